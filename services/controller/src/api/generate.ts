import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';
import { parse } from 'yaml';

// scripts/generate-types.js runs this file from src with Node's type stripping
// (no build needed), so it imports packages only, no sibling modules.

type JsonSchema = Parameters<typeof compile>[0];

/** The repository root: the nearest directory above `from` holding tsconfig.base.json. */
export function findRepoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'tsconfig.base.json'))) return dir;
  }
  throw new Error(`repository root (with tsconfig.base.json) not found above ${from}`);
}

/** The file `npm run generate -w services/controller` writes and the drift test compares. */
export const generatedFile = 'services/controller/src/api/v1alpha1.generated.ts';
export const crdFile = 'k8s/crds/tickersubscriptions.tickerflow.io.yaml';

const header = `// Generated from ${crdFile} (openAPIV3Schema of v1alpha1). Do not edit:
// change the CRD and run \`npm run generate -w services/controller\`.
// A unit test (src/api/v1alpha1.test.ts) fails when this file and the CRD drift apart.
`;

/** Readable type names for the schemas worth naming, by their path in openAPIV3Schema. */
const names: Record<string, string> = {
  'properties.spec': 'TickerSubscriptionSpec',
  'properties.status': 'TickerSubscriptionStatus',
  'properties.status.properties.conditions.items': 'TickerSubscriptionCondition',
  'properties.status.properties.conditions.items.properties.status': 'ConditionStatus',
  'properties.status.properties.symbols.items': 'SymbolStatus',
  'properties.status.properties.symbols.items.properties.state': 'SymbolState',
};

interface Crd {
  spec: { versions: { name: string; schema: { openAPIV3Schema: JsonSchema } }[] };
}

/**
 * The TypeScript types of the CRD's v1alpha1 schema: TickerSubscriptionSpec and
 * TickerSubscriptionStatus (with the item and enum types named above), formatted
 * with the repository's prettier settings, ready to be written to `generatedFile`.
 */
export async function generate(crdYaml: string, prettierrc: string): Promise<string> {
  const crd = parse(crdYaml) as Crd;
  const version = crd.spec.versions.find((v) => v.name === 'v1alpha1');
  if (!version) throw new Error(`${crdFile} has no version v1alpha1`);
  const root = prepare(version.schema.openAPIV3Schema, '');
  const properties = root.properties ?? {};
  const style = JSON.parse(prettierrc) as Record<string, unknown>;
  // Plain arrays, not tuples, for minItems / maxItems: the apiserver enforces the bounds.
  const options = { bannerComment: '', additionalProperties: false, ignoreMinAndMaxItems: true, strictIndexSignatures: true, style };
  const parts: string[] = [];
  for (const key of ['spec', 'status']) {
    const schema = properties[key];
    if (!schema?.title) throw new Error(`${crdFile}: v1alpha1 schema has no ${key}`);
    parts.push(await compile(schema, schema.title, options));
  }
  return `${header}\n${parts.join('\n')}`;
}

/** Reads the CRD and the prettier settings from the repository and generates. */
export async function generateFromRepo(repoRoot = findRepoRoot()): Promise<string> {
  return generate(readFileSync(join(repoRoot, crdFile), 'utf8'), readFileSync(join(repoRoot, '.prettierrc.json'), 'utf8'));
}

/** A copy without Kubernetes' x-kubernetes-* extensions, with titles where a named type is wanted. */
function prepare(schema: JsonSchema, path: string): JsonSchema {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-kubernetes-')) continue;
    if (key === 'properties' && value && typeof value === 'object') {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, JsonSchema>).map(([k, v]) => [k, prepare(v, child(path, `properties.${k}`))]));
    } else if (key === 'items' && value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = prepare(value as JsonSchema, child(path, 'items'));
    } else {
      out[key] = value;
    }
  }
  const name = names[path];
  if (name) out.title = name;
  return out;
}

const child = (path: string, key: string) => (path ? `${path}.${key}` : key);

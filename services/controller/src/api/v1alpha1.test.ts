import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { crdFile, findRepoRoot, generate, generateFromRepo, generatedFile } from './generate.js';
import { API_VERSION, crdPath, CRD_NAME, GROUP, KIND, PLURAL, VERSION } from './v1alpha1.js';

const root = findRepoRoot();

describe('TickerSubscription v1alpha1 types', () => {
  it('the committed generated types match the CRD (run `npm run generate -w services/controller` if not)', async () => {
    const committed = readFileSync(join(root, generatedFile), 'utf8');
    assert.equal(await generateFromRepo(root), committed, `${generatedFile} is out of date with ${crdFile}: run \`npm run generate -w services/controller\``);
  });

  it('crdPath finds the CRD from the compiled module, and it names the constants', () => {
    assert.equal(crdPath, join(root, crdFile));
    assert.ok(existsSync(crdPath));
    const crd = parse(readFileSync(crdPath, 'utf8')) as {
      metadata: { name: string };
      spec: { group: string; names: { kind: string; plural: string }; versions: { name: string; storage: boolean }[] };
    };
    assert.equal(crd.metadata.name, CRD_NAME);
    assert.equal(crd.spec.group, GROUP);
    assert.equal(crd.spec.names.kind, KIND);
    assert.equal(crd.spec.names.plural, PLURAL);
    assert.deepEqual(
      crd.spec.versions.map((v) => [v.name, v.storage]),
      [[VERSION, true]],
    );
    assert.equal(API_VERSION, 'tickerflow.io/v1alpha1');
  });

  it('the CRD schema is structural: no x-kubernetes-preserve-unknown-fields, a description on every field', () => {
    const text = readFileSync(crdPath, 'utf8');
    assert.doesNotMatch(text, /x-kubernetes-preserve-unknown-fields/);
    const crd = parse(text) as { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } };
    const missing: string[] = [];
    const walk = (schema: Schema, path: string) => {
      for (const [name, sub] of Object.entries(schema.properties ?? {})) {
        const at = `${path}.${name}`;
        if (!sub.description && at !== '.metadata') missing.push(at);
        walk(sub, at);
      }
      if (schema.items) walk(schema.items, `${path}[]`);
    };
    walk(crd.spec.versions[0]!.schema.openAPIV3Schema, '');
    assert.deepEqual(missing, []);
  });

  it('the generator strips x-kubernetes-* keys and names the item and enum types', async () => {
    const out = await generate(readFileSync(crdPath, 'utf8'), '{}');
    for (const name of [
      'TickerSubscriptionSpec',
      'TickerSubscriptionStatus',
      'TickerSubscriptionCondition',
      'SymbolStatus',
      'SymbolState',
      'ConditionStatus',
    ]) {
      assert.match(out, new RegExp(`export (interface|type) ${name}\\b`));
    }
    assert.doesNotMatch(out, /x-kubernetes|\[k: string\]/);
  });

  it('a CRD without v1alpha1 is an error', async () => {
    await assert.rejects(generate('spec: { versions: [{ name: v1, schema: { openAPIV3Schema: {} } }] }', '{}'), /has no version v1alpha1/);
  });
});

interface Schema {
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
}

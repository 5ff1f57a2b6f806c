/**
 * `npm run render -w test/chart`: copies the CRD (k8s/crds is its source)
 * into the chart and renders the chart's default install for users without
 * Helm into k8s/tickerflow.yaml. A test fails when either is out of date.
 */
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@tickerflow/harness';
import { chartDir, helmOk } from './chart.js';

export const crdSource = join(repoRoot, 'k8s', 'crds');
export const crdCopy = join(chartDir, 'files', 'crds');
export const renderedFile = join(repoRoot, 'k8s', 'tickerflow.yaml');

/** The rendered manifests: release "tickerflow" in namespace "tickerflow", default values. */
export async function renderManifests(): Promise<string> {
  const body = await helmOk('helm4', ['template', 'tickerflow', chartDir, '--namespace', 'tickerflow']);
  return [
    '# tickerflow for users without Helm: `helm template tickerflow charts/tickerflow -n tickerflow`',
    '# (default values: a Strimzi-managed Kafka). Regenerate with `npm run render -w test/chart`.',
    '# Create the namespace and the Finnhub token first:',
    '#   kubectl create namespace tickerflow',
    '#   kubectl create secret generic tickerflow-finnhub -n tickerflow --from-literal=token=YOUR_FINNHUB_API_KEY',
    '#   kubectl apply -n tickerflow --server-side -f k8s/tickerflow.yaml',
    body,
  ].join('\n');
}

async function main(): Promise<void> {
  for (const file of readdirSync(crdSource)) copyFileSync(join(crdSource, file), join(crdCopy, file));
  writeFileSync(renderedFile, await renderManifests());
  process.stdout.write(`wrote ${crdCopy} and ${renderedFile}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

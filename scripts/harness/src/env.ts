import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/**
 * What a test reads to reach the shared harness that scripts/test.sh started.
 * A missing component is an error with a clear message, never a skipped test.
 */
export function requireEnv(
  name:
    | 'KAFKA_BROKERS'
    | 'KUBECONFIG'
    | 'TICKERFLOW_HARNESS_DIR'
    | 'KIND_CLUSTER'
    | 'KIND_KUBECONFIG'
    | 'KIND_OFFLINE_NETWORK'
    | 'KIND_OFFLINE_BRIDGE'
    | 'TICKERFLOW_IMAGE'
    | 'TICKERFLOW_KAFKA_IMAGE'
    | 'TICKERFLOW_POSTGRES_IMAGE',
): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the tests with \`npm test\`, which installs and starts the real harness (a kind cluster for *.kind.test.js files)`,
    );
  }
  return value;
}

export const kafkaBrokers = (): string[] => requireEnv('KAFKA_BROKERS').split(',');
export const kubeconfigPath = (): string => requireEnv('KUBECONFIG');
export const harnessDir = (): string => requireEnv('TICKERFLOW_HARNESS_DIR');

/** Where tests save what a person may want to look at afterwards (screenshots, logs). */
export function artifactsDir(...sub: string[]): string {
  const dir = join(process.env.TICKERFLOW_ARTIFACTS ?? join(repoRoot, 'artifacts'), ...sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}

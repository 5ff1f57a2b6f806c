import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, sharedDir, versions } from './paths.js';

/**
 * Every upstream CRD the chart's objects are validated against: Strimzi,
 * prometheus-operator and KEDA from the shared folder, and CloudNativePG's
 * Cluster from the cache (scripts/harness/install-crds.sh). Throws when one is missing.
 */
export function upstreamCrdFiles(): string[] {
  const shared = join(sharedDir, 'crds', 'upstream');
  const cloudnativePg = join(cacheDir, 'crds', `cloudnative-pg-${versions.cloudnativePg}`, 'postgresql.cnpg.io_clusters.yaml');
  if (!existsSync(cloudnativePg)) throw new Error(`${cloudnativePg} is missing: run scripts/harness/install.sh`);
  const sharedFiles = readdirSync(shared).flatMap((dir) => readdirSync(join(shared, dir)).map((file) => join(shared, dir, file)));
  return [...sharedFiles, cloudnativePg];
}

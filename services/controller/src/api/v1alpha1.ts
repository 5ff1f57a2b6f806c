// TickerSubscription v1alpha1: the hand-written half of the API types. The
// schema types come from the CRD (v1alpha1.generated.ts, `npm run generate`).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { TickerSubscriptionSpec, TickerSubscriptionStatus } from './v1alpha1.generated.js';

export type * from './v1alpha1.generated.js';

export const GROUP = 'tickerflow.io';
export const VERSION = 'v1alpha1';
export const PLURAL = 'tickersubscriptions';
export const SINGULAR = 'tickersubscription';
export const KIND = 'TickerSubscription';
export const API_VERSION = `${GROUP}/${VERSION}`;
/** The CRD's name: `<plural>.<group>`. */
export const CRD_NAME = `${PLURAL}.${GROUP}`;

export type TickerSubscription = KubernetesObject & {
  spec: TickerSubscriptionSpec;
  status?: TickerSubscriptionStatus;
};

/** The CRD's path inside the repository. */
export const crdRepoPath = `k8s/crds/${CRD_NAME}.yaml`;

/**
 * The absolute path of the CRD manifest (k8s/crds/tickersubscriptions.tickerflow.io.yaml),
 * found from this module in src/api or dist/src/api: the repository root is the
 * nearest directory above holding tsconfig.base.json. Outside a checkout (e.g. in
 * a container image without the repository) it is the path relative to dist/src/api,
 * which may not exist; only tests and tools read it.
 */
export const crdPath = resolveCrdPath(dirname(fileURLToPath(import.meta.url)));

function resolveCrdPath(here: string): string {
  for (let dir = here; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'tsconfig.base.json'))) return join(dir, crdRepoPath);
  }
  // dist/src/api -> services/controller -> repository root
  return join(here, '..', '..', '..', '..', '..', crdRepoPath);
}

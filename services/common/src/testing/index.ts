/**
 * Helpers for tests only (`@tickerflow/common/testing`): nothing at runtime
 * imports this.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export * from './random.js';
export * from './reference-candles.js';

/** The repository root (this file lives in services/common/{src,dist/src}/testing). */
const repoRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (dir !== dirname(dir) && !existsSync(join(dir, 'tsconfig.base.json'))) dir = dirname(dir);
  return dir;
})();

/**
 * The project's shared folder (contracts, fixtures, upstream CRDs): beside the
 * clone, or at the workspace's fixed place for clones made elsewhere.
 */
export const sharedDir =
  process.env.TICKERFLOW_SHARED ??
  [resolve(repoRoot, '..', 'shared'), '/work/shared'].find((d) => existsSync(join(d, 'DESIGN.md'))) ??
  resolve(repoRoot, '..', 'shared');

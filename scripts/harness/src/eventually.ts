import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` until it returns true, for conditions that real components
 * reach asynchronously. The timeout only bounds a hang; it is not a timing assertion.
 */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 60_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await sleep(200);
  }
  throw new Error(`${what} not met within ${timeoutMs} ms${last instanceof Error ? `: ${last.message}` : ''}`);
}

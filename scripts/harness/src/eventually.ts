import { setTimeout as sleep } from 'node:timers/promises';
import { tail, type ManagedProcess } from './processes.js';

export interface EventuallyOptions {
  /** Bounds a hang (default 60 s); it is not a timing assertion. */
  timeoutMs?: number;
  /** Names the condition in the error. */
  what?: string;
  /** Pause between checks (default 200 ms). */
  intervalMs?: number;
  /**
   * The process the condition depends on: fail as soon as it exits instead of
   * waiting out the timeout, and quote the end of its log in either error so
   * the reason is visible in the test output.
   */
  untilExit?: Pick<ManagedProcess, 'name' | 'logFile' | 'exited'>;
}

/**
 * Polls `check` until it returns true, for conditions that real components
 * reach asynchronously. A check that throws counts as not yet; its last error
 * is quoted on timeout. The timeout only bounds a hang; it is not a timing assertion.
 */
export async function eventually(check: () => Promise<boolean> | boolean, opts: EventuallyOptions = {}): Promise<void> {
  const { timeoutMs = 60_000, what = 'condition', intervalMs = 200, untilExit: proc } = opts;
  let exitedWith: number | string | undefined;
  const exited = proc?.exited.then((code) => {
    exitedWith = code;
  });
  const logTail = () => (proc ? `; ${proc.name} log tail:\n${tail(proc.logFile)}` : '');
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (exitedWith !== undefined) throw new Error(`${proc!.name} exited (${exitedWith}) before ${what}${logTail()}`);
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await Promise.race([sleep(intervalMs), ...(exited ? [exited] : [])]);
  }
  throw new Error(`${what} not met within ${timeoutMs} ms${last instanceof Error ? `: ${last.message}` : ''}${logTail()}`);
}

import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { isRetriable } from './errors.js';

export interface RetryOptions extends BackoffOptions {
  /** Stops retrying (the last error is thrown) once aborted. */
  signal?: AbortSignal;
  /** Attempts at most (default: until it succeeds or is aborted). */
  attempts?: number;
  /** Whether an error is worth another attempt (default: isRetriable, so a TerminalError ends it). */
  retriable?: (err: unknown) => boolean;
  /** Called before each wait, with the failed attempt's number (1-based) and the delay. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/** For a failure that repeats: log the first and then every tenth (a metric counts each). */
export const worthLogging = (attempt: number): boolean => attempt === 1 || attempt % 10 === 0;

/**
 * Runs `fn` until it succeeds, waiting a bounded, jittered, exponentially
 * growing delay between attempts. An error that is not retriable, the last
 * attempt's error, or an abort ends it by throwing.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (opts.signal?.aborted || attempt >= (opts.attempts ?? Infinity) || !(opts.retriable ?? isRetriable)(err)) throw err;
      const delay = backoffDelay(attempt - 1, opts);
      opts.onRetry?.(err, attempt, delay);
      try {
        await sleep(delay, undefined, { signal: opts.signal });
      } catch {
        throw err;
      }
    }
  }
}

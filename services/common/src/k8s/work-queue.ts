import { backoffDelay, type BackoffOptions } from '../backoff.js';
import { isRetriable } from '../errors.js';

/**
 * controller-runtime's contract: reconcile a key by reading the current
 * world; return `{ requeueAfter }` to look again later, throw to be retried
 * with backoff, throw a TerminalError (or any error isRetriable refuses) to
 * have it recorded and not retried. The signal aborts when the queue stops.
 */
export interface Reconciler {
  reconcile(key: string, signal: AbortSignal): Promise<{ requeueAfter?: number } | void>;
}

export type ReconcileOutcome = 'success' | 'error' | 'requeue' | 'terminal';

export interface ReconcileResult {
  key: string;
  result: ReconcileOutcome;
  durationMs: number;
  err?: unknown;
  /** For an error: failures of this key in a row (1 for the first), e.g. for worthLogging. */
  failures?: number;
  /** For an error or a requeue: when the key runs again unless an add comes first. */
  retryInMs?: number;
}

/** Time as the queue sees it; injected so that tests can drive it. */
export interface QueueClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: QueueClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface WorkQueueOptions {
  reconciler: Reconciler;
  /** Reconciles running at once, each of a different key (default 1, as in controller-runtime). */
  concurrency?: number;
  /** Per-key retry delay after an error (default 500 ms growing to 5 min, jittered). */
  backoff?: BackoffOptions;
  /** Called after every reconcile, for metrics and logs; it must not throw (a throw is ignored). */
  onResult?: (result: ReconcileResult) => void;
  clock?: QueueClock;
  random?: () => number;
}

export interface WorkQueue {
  /** Queues a key; a key already waiting is not queued twice. */
  add(key: string): void;
  /** Queues a key after a delay; of two delays for one key the sooner wins. */
  addAfter(key: string, ms: number): void;
  start(): void;
  /** Drops what waits, aborts running reconciles through their signal and waits for them to end. */
  stop(): Promise<void>;
  /** Keys waiting for a reconcile, not counting those delayed. */
  depth(): number;
}

export const DEFAULT_QUEUE_BACKOFF: BackoffOptions = Object.freeze({ initialMs: 500, maxMs: 5 * 60_000 });

/**
 * A keyed work queue like client-go's workqueue: a key is queued once however
 * often it is added; a key never has two reconciles at once (added while it
 * runs, it is marked dirty and runs once more afterwards, so the last change
 * is always seen); failures back off per key so one broken object does not
 * slow the others. A reconcile that throws never escapes the queue.
 */
export function createWorkQueue(opts: WorkQueueOptions): WorkQueue {
  const concurrency = opts.concurrency ?? 1;
  const backoff = opts.backoff ?? DEFAULT_QUEUE_BACKOFF;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`);
  if (!(backoff.initialMs > 0) || !(backoff.maxMs >= backoff.initialMs)) throw new RangeError('backoff needs 0 < initialMs <= maxMs');
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? Math.random;

  const ready: string[] = [];
  // Keys that must run (again): those in `ready` plus those added while they run.
  const queued = new Set<string>();
  const processing = new Set<string>();
  const delayed = new Map<string, { at: number; handle: unknown }>();
  const failures = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  const abort = new AbortController();
  let started = false;
  let stopped = false;

  function add(key: string): void {
    if (stopped || queued.has(key)) return;
    queued.add(key);
    if (processing.has(key)) return;
    ready.push(key);
    pump();
  }

  function addAfter(key: string, ms: number): void {
    if (stopped) return;
    if (!(ms > 0)) return add(key);
    const at = clock.now() + ms;
    const waiting = delayed.get(key);
    if (waiting && waiting.at <= at) return;
    if (waiting) clock.clearTimeout(waiting.handle);
    const handle = clock.setTimeout(() => {
      delayed.delete(key);
      add(key);
    }, ms);
    delayed.set(key, { at, handle });
  }

  function pump(): void {
    while (started && !stopped && processing.size < concurrency && ready.length > 0) {
      const key = ready.shift()!;
      queued.delete(key);
      processing.add(key);
      const run = reconcile(key).finally(() => inFlight.delete(run));
      inFlight.add(run);
    }
  }

  async function reconcile(key: string): Promise<void> {
    const begin = clock.now();
    let result: Omit<ReconcileResult, 'key' | 'durationMs'>;
    try {
      const out = await opts.reconciler.reconcile(key, abort.signal);
      failures.delete(key);
      const after = out?.requeueAfter;
      if (after !== undefined && after > 0) {
        addAfter(key, after);
        result = { result: 'requeue', retryInMs: after };
      } else {
        result = { result: 'success' };
      }
    } catch (err) {
      if (!isRetriable(err)) {
        failures.delete(key);
        result = { result: 'terminal', err };
      } else {
        const n = (failures.get(key) ?? 0) + 1;
        failures.set(key, n);
        const delay = backoffDelay(n - 1, backoff, random);
        addAfter(key, delay);
        result = { result: 'error', err, failures: n, retryInMs: delay };
      }
    }
    processing.delete(key);
    if (queued.has(key) && !stopped) ready.push(key);
    try {
      opts.onResult?.({ key, durationMs: clock.now() - begin, ...result });
    } catch {
      // An observer's bug must not stop the queue.
    }
    pump();
  }

  return {
    add,
    addAfter,
    start() {
      started = true;
      pump();
    },
    async stop() {
      if (!stopped) {
        stopped = true;
        for (const { handle } of delayed.values()) clock.clearTimeout(handle);
        delayed.clear();
        ready.length = 0;
        queued.clear();
        abort.abort();
      }
      await Promise.all(inFlight);
    },
    depth: () => queued.size,
  };
}

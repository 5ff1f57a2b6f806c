import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TerminalError } from '../errors.js';
import { createWorkQueue, type QueueClock, type ReconcileResult, type Reconciler } from './work-queue.js';

/** Timers that fire only when the test advances time; each firing is followed by a drain of pending promises. */
function fakeClock() {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: QueueClock = {
    now: () => now,
    setTimeout(fn, ms) {
      timers.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
  };
  async function advance(ms: number): Promise<void> {
    const until = now + ms;
    for (;;) {
      await settle();
      const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort(([ia, a], [ib, b]) => a.at - b.at || ia - ib)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = until;
    await settle();
  }
  return { clock, advance, pending: () => timers.size };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A reconciler whose calls are recorded and answered by the test. */
function scripted(answer: (key: string, call: number) => Promise<{ requeueAfter?: number } | void> = async () => undefined) {
  const calls: string[] = [];
  const reconciler: Reconciler = {
    reconcile(key) {
      calls.push(key);
      return answer(key, calls.filter((k) => k === key).length);
    },
  };
  return { calls, reconciler };
}

describe('work queue', () => {
  it('queues a waiting key once however often it is added', async () => {
    const { clock, advance } = fakeClock();
    const { calls, reconciler } = scripted();
    const queue = createWorkQueue({ reconciler, clock });
    for (const key of ['a', 'b', 'a', 'a', 'b', 'c']) queue.add(key);
    assert.equal(queue.depth(), 3);
    queue.start();
    await advance(0);
    assert.deepEqual(calls, ['a', 'b', 'c']);
    assert.equal(queue.depth(), 0);
    await queue.stop();
  });

  it('runs a key added during its reconcile once more afterwards, never twice at once', async () => {
    const { clock, advance } = fakeClock();
    let active = 0;
    let maxActive = 0;
    const { calls, reconciler } = scripted(async () => {
      maxActive = Math.max(maxActive, ++active);
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 10));
      active--;
    });
    const queue = createWorkQueue({ reconciler, clock, concurrency: 4 });
    queue.start();
    queue.add('a');
    await advance(1);
    queue.add('a');
    queue.add('a');
    await advance(1);
    assert.equal(maxActive, 1);
    await advance(100);
    assert.deepEqual(calls, ['a', 'a']);
    assert.equal(maxActive, 1);
    await queue.stop();
  });

  it('never reconciles one key twice at once, runs at most `concurrency` at once, and reconciles every key after its last add', async () => {
    const op = fc.oneof(fc.record({ add: fc.constantFrom('a', 'b', 'c', 'd') }), fc.record({ wait: fc.integer({ min: 0, max: 30 }) }));
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 40 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1 }),
        async (ops, concurrency, durations) => {
          const { clock, advance } = fakeClock();
          const running = new Set<string>();
          const lastAdd = new Map<string, number>();
          const lastStart = new Map<string, number>();
          let calls = 0;
          let violation: string | undefined;
          const reconciler: Reconciler = {
            async reconcile(key, signal) {
              if (running.has(key)) violation ??= `${key} reconciled twice at once`;
              running.add(key);
              if (running.size > concurrency) violation ??= `${running.size} running with concurrency ${concurrency}`;
              lastStart.set(key, clock.now());
              const d = durations[calls++ % durations.length]!;
              await new Promise<void>((resolve) => {
                clock.setTimeout(resolve, d);
                signal.addEventListener('abort', () => resolve());
              });
              running.delete(key);
              if (d % 7 === 3) throw new Error('transient');
            },
          };
          const queue = createWorkQueue({ reconciler, clock, concurrency, backoff: { initialMs: 5, maxMs: 40 }, random: () => 0.5 });
          queue.start();
          for (const o of ops) {
            if ('add' in o) {
              lastAdd.set(o.add, clock.now());
              queue.add(o.add);
            } else await advance(o.wait);
          }
          await advance(2_000);
          await queue.stop();
          assert.equal(violation, undefined);
          for (const [key, at] of lastAdd) assert.ok((lastStart.get(key) ?? -1) >= at, `${key} added at ${at}, last reconciled at ${lastStart.get(key)}`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('retries a failing key with growing delays, and a success resets them', async () => {
    const { clock, advance } = fakeClock();
    let fail = true;
    const results: ReconcileResult[] = [];
    const { calls, reconciler } = scripted(async () => {
      if (fail) throw new Error('apiserver unavailable');
    });
    const queue = createWorkQueue({ reconciler, clock, backoff: { initialMs: 100, maxMs: 10_000 }, random: () => 1, onResult: (r) => results.push(r) });
    queue.start();
    queue.add('a');
    await advance(0);
    for (const expected of [100, 200, 400, 800]) {
      assert.equal(results.at(-1)?.retryInMs, expected);
      await advance(expected - 1);
      const before = calls.length;
      await advance(1);
      assert.equal(calls.length, before + 1, `retried after ${expected} ms`);
    }
    assert.deepEqual(
      results.map((r) => [r.result, r.failures]),
      [1, 2, 3, 4, 5].map((n) => ['error', n]),
    );
    fail = false;
    await advance(1600);
    assert.equal(results.at(-1)?.result, 'success');
    fail = true;
    queue.add('a');
    await advance(0);
    assert.equal(results.at(-1)?.failures, 1);
    assert.equal(results.at(-1)?.retryInMs, 100);
    await queue.stop();
  });

  it('records a terminal error and does not retry it; requeueAfter runs the key again later', async () => {
    const { clock, advance } = fakeClock();
    const results: ReconcileResult[] = [];
    const { calls, reconciler } = scripted(async (key, call) => {
      if (key === 'bad') throw new TerminalError('spec is invalid');
      return call === 1 ? { requeueAfter: 5000 } : undefined;
    });
    const queue = createWorkQueue({ reconciler, clock, onResult: (r) => results.push(r) });
    queue.start();
    queue.add('bad');
    queue.add('later');
    await advance(60 * 60_000);
    assert.deepEqual(calls, ['bad', 'later', 'later']);
    assert.deepEqual(
      results.map((r) => [r.key, r.result]),
      [
        ['bad', 'terminal'],
        ['later', 'requeue'],
        ['later', 'success'],
      ],
    );
    assert.ok(results[0]!.err instanceof TerminalError);
    await queue.stop();
  });

  it('of two delays for one key keeps the sooner', async () => {
    const { clock, advance, pending } = fakeClock();
    const { calls, reconciler } = scripted();
    const queue = createWorkQueue({ reconciler, clock });
    queue.start();
    queue.addAfter('a', 1000);
    queue.addAfter('a', 100);
    queue.addAfter('a', 500);
    assert.equal(pending(), 1);
    await advance(100);
    assert.deepEqual(calls, ['a']);
    await advance(5000);
    assert.deepEqual(calls, ['a']);
    await queue.stop();
  });

  it('survives a reconciler that throws synchronously and an onResult that throws', async () => {
    const { clock, advance } = fakeClock();
    let n = 0;
    const queue = createWorkQueue({
      reconciler: {
        reconcile: () => {
          n++;
          throw new Error('not even a promise');
        },
      },
      clock,
      backoff: { initialMs: 10, maxMs: 10 },
      onResult: () => {
        throw new Error('observer bug');
      },
    });
    queue.start();
    queue.add('a');
    await advance(100);
    assert.ok(n > 1);
    await queue.stop();
  });

  it('stop aborts running reconciles, waits for them, and drops what waits', async () => {
    const { clock, advance, pending } = fakeClock();
    let finished = false;
    const calls: string[] = [];
    const reconciler: Reconciler = {
      async reconcile(key, signal) {
        calls.push(key);
        // Ends a little after the abort, like a request that has to notice it.
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => setTimeout(resolve, 20)));
        finished = true;
      },
    };
    const queue = createWorkQueue({ reconciler, clock });
    queue.start();
    queue.add('a');
    queue.add('b');
    queue.addAfter('c', 1000);
    await advance(0);
    await queue.stop();
    assert.equal(finished, true);
    assert.equal(pending(), 0);
    queue.add('d');
    await advance(2000);
    assert.deepEqual(calls, ['a']);
    assert.equal(queue.depth(), 0);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRetriable, TerminalError, TickerflowError } from './errors.js';
import { retry } from './retry.js';

describe('retry', () => {
  it('tries again after failures, with growing, bounded, jittered delays, and returns the result', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await retry(
      async (attempt) => {
        calls++;
        if (attempt < 4) throw new Error(`fail ${attempt}`);
        return 'ok';
      },
      { initialMs: 2, maxMs: 8, onRetry: (_err, _attempt, delayMs) => delays.push(delayMs) },
    );
    assert.equal(result, 'ok');
    assert.equal(calls, 4);
    assert.equal(delays.length, 3);
    for (const d of delays) assert.ok(d >= 1 && d <= 8, `${d}`);
  });

  it('a terminal error, the last attempt or an abort ends it with the error', async () => {
    let calls = 0;
    await assert.rejects(
      retry(
        async () => {
          calls++;
          throw new TerminalError('refused');
        },
        { initialMs: 1, maxMs: 1 },
      ),
      /refused/,
    );
    assert.equal(calls, 1);
    await assert.rejects(
      retry(async (n) => Promise.reject(new Error(`attempt ${n}`)), { initialMs: 1, maxMs: 1, attempts: 3 }),
      /attempt 3/,
    );
    const abort = new AbortController();
    const pending = retry(async () => Promise.reject(new Error('down')), { initialMs: 10_000, maxMs: 10_000, signal: abort.signal });
    setTimeout(() => abort.abort(), 10);
    await assert.rejects(pending, /down/);
  });
});

describe('errors', () => {
  it('say whether a retry can help, through their causes; unknown errors count as transient', () => {
    assert.equal(isRetriable(new TerminalError('no')), false);
    assert.equal(isRetriable(new TickerflowError('later', { retriable: true })), true);
    assert.equal(isRetriable(new Error('wrapped', { cause: Object.assign(new Error('kafkajs'), { retriable: false }) })), false);
    assert.equal(isRetriable(new Error('plain')), true);
    const cause = new Error('root');
    assert.equal(new TerminalError('top', { cause }).cause, cause);
  });
});

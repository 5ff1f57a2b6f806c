import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProducerStateReport } from '@tickerflow/common';
import { observe, type ObserveInput } from './status.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const report = (symbols: ProducerStateReport['symbols'], at = NOW - 1000, connected = true): ProducerStateReport => ({
  reportedAt: new Date(at).toISOString(),
  identity: 'producer-0',
  connected,
  symbols,
});
const input = (over: Partial<ObserveInput>): ObserveInput => ({
  symbols: ['AAPL', 'BAD'],
  suspend: false,
  overLimit: [],
  limit: 50,
  report: undefined,
  staleAfterMs: 120_000,
  now: NOW,
  ...over,
});

describe('subscription status', () => {
  it('folds the producer report per symbol: subscribed with its last trade, rejected with Finnhub words', () => {
    const s = observe(
      input({
        report: report([
          { symbol: 'AAPL', state: 'subscribed', lastTradeTime: '2026-11-23T11:59:58Z' },
          { symbol: 'BAD', state: 'rejected', message: 'Invalid symbol BAD' },
        ]),
      }),
    );
    assert.deepEqual(s.symbols, [
      { symbol: 'AAPL', state: 'subscribed', lastTradeTime: '2026-11-23T11:59:58Z' },
      { symbol: 'BAD', state: 'rejected', message: 'Invalid symbol BAD' },
    ]);
    assert.equal(s.activeCount, 1);
    assert.equal(s.symbolCount, 2);
    assert.equal(s.lastTradeTime, '2026-11-23T11:59:58Z');
    assert.deepEqual(s.ready, { status: 'False', reason: 'SymbolsRejected', message: 'Finnhub rejected BAD (Invalid symbol BAD)' });
  });

  it('all subscribed is Ready; a symbol the producer has not reported yet is pending', () => {
    const symbols = [{ symbol: 'AAPL', state: 'subscribed' as const }];
    assert.equal(observe(input({ symbols: ['AAPL'], report: report(symbols) })).ready.reason, 'Streaming');
    const s = observe(input({ symbols: ['AAPL', 'NEW'], report: report(symbols) }));
    assert.equal(s.symbols[1]!.state, 'pending');
    assert.deepEqual(s.ready, { status: 'False', reason: 'Pending', message: 'waiting for Finnhub: NEW' });
  });

  it('a stale or missing report shows as unknown, never as the old subscribed', () => {
    const old = report([{ symbol: 'AAPL', state: 'subscribed' }], NOW - 121_000);
    const stale = observe(input({ symbols: ['AAPL'], report: old }));
    assert.equal(stale.symbols[0]!.state, 'unknown');
    assert.equal(stale.activeCount, 0);
    assert.equal(stale.ready.status, 'Unknown');
    assert.equal(stale.ready.reason, 'ProducerStateStale');
    assert.equal(observe(input({ symbols: ['AAPL'] })).ready.reason, 'ProducerStateMissing');
  });

  it('over the limit and suspended say so', () => {
    const over = observe(input({ overLimit: ['BAD'], limit: 1, report: report([{ symbol: 'AAPL', state: 'subscribed' }]) }));
    assert.equal(over.symbols[1]!.state, 'overLimit');
    assert.deepEqual(over.ready, { status: 'False', reason: 'SymbolLimitExceeded', message: 'over the limit of 1 symbols: BAD' });
    const paused = observe(input({ suspend: true, report: report([]) }));
    assert.deepEqual(
      paused.symbols.map((s) => s.state),
      ['suspended', 'suspended'],
    );
    assert.equal(paused.ready.reason, 'Suspended');
    assert.equal(paused.activeCount, 0);
  });

  it('a disconnected producer is not Ready', () => {
    const s = observe(input({ symbols: ['AAPL'], report: report([{ symbol: 'AAPL', state: 'subscribed' }], NOW, false) }));
    assert.equal(s.ready.reason, 'ProducerDisconnected');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { decodeProducerState, encodeProducerState, type ProducerStateReport } from '@tickerflow/common';
import type { SymbolState } from '../finnhub/symbol-state.js';
import { buildStateReport, createStateReporter, reportDue, sameObservation, type ObservedSnapshot } from './state-reporter.js';

const T0 = Date.UTC(2025, 0, 2, 14, 30, 0);

const symbols: SymbolState[] = [
  { symbol: 'AAPL', status: 'subscribed', lastTradeAt: T0 - 1500, sentAt: T0 - 9000 },
  { symbol: 'IC MARKETS:1', status: 'pending', sentAt: T0 - 100 },
  { symbol: 'FX:EURUSD', status: 'rejected', message: 'Invalid symbol FX:EURUSD', sentAt: T0 - 9000 },
  { symbol: 'NVDA', status: 'over-limit', message: 'Subscribing to too many symbols', sentAt: T0 - 9000 },
  { symbol: 'TSLA', status: 'over-limit', message: 'beyond the configured limit of 4 symbols', lastTradeAt: T0 - 60_000 },
];

describe('producer state report', () => {
  it('maps the symbol states to the ConfigMap contract, which reads it back unchanged', () => {
    const report = buildStateReport({ connected: true, symbols }, 'producer-0', T0);
    assert.deepEqual(report, {
      reportedAt: '2025-01-02T14:30:00.000Z',
      identity: 'producer-0',
      connected: true,
      symbols: [
        { symbol: 'AAPL', state: 'subscribed', lastTradeTime: '2025-01-02T14:29:58.500Z' },
        { symbol: 'IC MARKETS:1', state: 'pending' },
        { symbol: 'FX:EURUSD', state: 'rejected', message: 'Invalid symbol FX:EURUSD' },
        { symbol: 'NVDA', state: 'overLimit', message: 'Subscribing to too many symbols' },
        { symbol: 'TSLA', state: 'overLimit', message: 'beyond the configured limit of 4 symbols', lastTradeTime: '2025-01-02T14:29:00.000Z' },
      ],
    });
    assert.deepEqual(decodeProducerState(encodeProducerState(report)), report);
  });

  it('a new report is due when the observation changed or the heartbeat is up, not because time passed', () => {
    const at = (now: number, snapshot: ObservedSnapshot = { connected: true, symbols }) => buildStateReport(snapshot, 'producer-0', now);
    const last = { report: at(T0), at: T0 };
    assert.equal(reportDue(at(T0), undefined, T0, 30_000), true, 'nothing written yet');
    assert.ok(sameObservation(at(T0 + 5000), last.report));
    assert.equal(reportDue(at(T0 + 5000), last, T0 + 5000, 30_000), false, 'unchanged within the heartbeat');
    assert.equal(reportDue(at(T0 + 30_000), last, T0 + 30_000, 30_000), true, 'heartbeat');
    assert.equal(reportDue(at(T0 + 5000, { connected: false, symbols }), last, T0 + 5000, 30_000), true, 'disconnected');
    const traded = symbols.map((s) => (s.symbol === 'AAPL' ? { ...s, lastTradeAt: T0 + 10 } : s));
    assert.equal(reportDue(at(T0 + 5000, { connected: true, symbols: traded }), last, T0 + 5000, 30_000), true, 'a new last trade');
    const accepted = symbols.map((s) => (s.status === 'pending' ? { ...s, status: 'subscribed' as const } : s));
    assert.equal(reportDue(at(T0 + 5000, { connected: true, symbols: accepted }), last, T0 + 5000, 30_000), true, 'a state change');
  });

  it('writes on start, then only changes and heartbeats; a failed write is retried next tick and never thrown', async () => {
    let clock = T0;
    let snapshot: ObservedSnapshot = { connected: true, symbols };
    const writes: ProducerStateReport[] = [];
    let failNext = 0;
    let failed = 0;
    const reporter = createStateReporter(
      { identity: 'producer-0', intervalMs: 10, heartbeatMs: 1000 },
      {
        observe: () => snapshot,
        write: async (report) => {
          if (failNext > 0) {
            failNext--;
            throw new Error('apiserver away');
          }
          writes.push(report);
        },
        logger: pino({ level: 'silent' }),
        events: { written: () => undefined, failed: () => failed++ },
        now: () => clock,
      },
    );
    const until = async (what: () => boolean) => {
      for (let i = 0; i < 200 && !what(); i++) await sleep(5);
      assert.ok(what());
    };
    reporter.start();
    await until(() => writes.length === 1);
    await sleep(60);
    assert.equal(writes.length, 1, 'nothing changed: no write');

    failNext = 2;
    snapshot = { connected: false, symbols };
    await until(() => writes.length === 2);
    assert.equal(failed, 2);
    assert.equal(writes[1]!.connected, false);

    clock += 1000;
    await until(() => writes.length === 3);
    assert.equal(writes[2]!.reportedAt, new Date(T0 + 1000).toISOString(), 'heartbeat');

    await reporter.stop({ timeoutMs: 1000 });
    assert.equal(writes.length, 4, 'a final report on a graceful stop');
    clock += 5000;
    await sleep(50);
    assert.equal(writes.length, 4, 'nothing after stop');
  });
});

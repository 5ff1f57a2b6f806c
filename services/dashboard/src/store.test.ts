import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Candle } from '@tickerflow/common';
import { createCandleStore } from './store.js';

const MIN = 60_000;
const candle = (symbol: string, interval: string, windowStart: number, close = 1, ms = MIN): Candle => ({
  symbol,
  interval,
  windowStart,
  windowEnd: windowStart + ms,
  open: 1,
  high: Math.max(1, close),
  low: Math.min(1, close),
  close,
  volume: 2,
  vwap: 1,
  tradeCount: 2,
});

describe('candle store', () => {
  it('keeps at most historyMax candles per symbol and interval, dropping the oldest', () => {
    const store = createCandleStore({ intervals: ['1m', '5m'], historyMax: 3, symbolsMax: 10 });
    for (let i = 0; i < 5; i++) assert.equal(store.put(candle('AAPL', '1m', i * MIN), true), true);
    store.put(candle('AAPL', '5m', 0, 1, 5 * MIN), true);
    assert.deepEqual(
      store.candles('AAPL', '1m').map((c) => c.windowStart),
      [2 * MIN, 3 * MIN, 4 * MIN],
    );
    assert.equal(store.size(), 4);
    // Older than everything a full history keeps: refused, nothing changes.
    assert.equal(store.put(candle('AAPL', '1m', 0), true), false);
    assert.equal(store.size(), 4);
    // Out of order but inside the kept range: inserted in order, the oldest goes.
    store.put(candle('AAPL', '1m', 10 * MIN), false);
    store.put(candle('AAPL', '1m', 5 * MIN), false);
    assert.deepEqual(
      store.candles('AAPL', '1m').map((c) => c.windowStart),
      [4 * MIN, 5 * MIN, 10 * MIN],
    );
    assert.equal(store.size(), 4);
  });

  it('a final candle replaces the forming one of the same window; a forming update never overwrites a final one', () => {
    const store = createCandleStore({ intervals: ['1m'], historyMax: 10, symbolsMax: 10 });
    assert.equal(store.put(candle('X', '1m', 0, 5), false), true);
    assert.equal(store.put(candle('X', '1m', 0, 6), false), true);
    assert.deepEqual(
      store.candles('X', '1m').map((c) => [c.close, c.final]),
      [[6, false]],
    );
    assert.equal(store.put(candle('X', '1m', 0, 7), true), true);
    assert.deepEqual(
      store.candles('X', '1m').map((c) => [c.close, c.final]),
      [[7, true]],
    );
    assert.equal(store.put(candle('X', '1m', 0, 8), false), false);
    assert.deepEqual(
      store.candles('X', '1m').map((c) => [c.close, c.final]),
      [[7, true]],
    );
    assert.equal(store.size(), 1);
    // Unknown intervals are not kept.
    assert.equal(store.put(candle('X', '7m', 0), true), false);
    assert.equal(store.knowsInterval('7m'), false);
  });

  it('bounds the symbols, evicting the least recently updated and counting evictions', () => {
    const store = createCandleStore({ intervals: ['1m'], historyMax: 10, symbolsMax: 2 });
    store.put(candle('A', '1m', 0), true);
    store.put(candle('A', '1m', MIN), true);
    store.trade('B', 10, 1000);
    store.trade('A', 11, 2000); // A is now the most recent
    assert.equal(store.evictions(), 0);
    store.put(candle('C', '1m', 0), true);
    assert.deepEqual(store.symbols(), ['A', 'C']);
    assert.equal(store.evictions(), 1);
    assert.equal(store.size(), 3);
    store.trade('<img src=x onerror=alert(1)>', 1, 3000);
    assert.deepEqual(store.symbols(), ['<img src=x onerror=alert(1)>', 'C']);
    assert.equal(store.evictions(), 2);
    assert.equal(store.size(), 1);
    assert.deepEqual(store.candles('A', '1m'), []);
  });

  it('tracks the last price by event time and the trade rate over the recent window', () => {
    const store = createCandleStore({ intervals: ['1m'], historyMax: 10, symbolsMax: 10, rateWindowMs: 10_000 });
    const t0 = 1_000_000_000_000;
    for (let i = 0; i < 50; i++) store.trade('S', 100 + i, t0 + i * 100);
    store.trade('S', 1, t0); // out of order: not the last price
    const s = store.stats('S', t0 + 5_000)!;
    assert.equal(s.lastPrice, 149);
    assert.equal(s.lastTradeTs, t0 + 4_900);
    assert.equal(s.tradesPerSecond, 51 / 10);
    assert.equal(store.stats('S', t0 + 60_000)!.tradesPerSecond, 0);
    assert.equal(store.stats('nope', t0), undefined);
  });
});

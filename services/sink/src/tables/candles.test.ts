import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Candle } from '@tickerflow/common';
import { seriesOf } from './candles.js';

const candle = (symbol: string, interval: string, minute: number, length = 1): Candle => ({
  symbol,
  interval,
  windowStart: minute * 60_000,
  windowEnd: (minute + length) * 60_000,
  open: 1,
  high: 1,
  low: 1,
  close: 1,
  volume: 1,
  vwap: 1,
  tradeCount: 1,
});

describe('candle_series rows of a batch', () => {
  it('one per symbol and interval: first and last window start, last window end, in key order', () => {
    const rows = seriesOf([candle('MSFT', '1m', 7), candle('AAPL', '5m', 10, 5), candle('AAPL', '1m', 3), candle('MSFT', '1m', 2), candle('AAPL', '1m', 9)]);
    assert.deepEqual(rows, [
      { symbol: 'AAPL', interval: '1m', oldest: 3 * 60_000, newest: 9 * 60_000, newestEnd: 10 * 60_000 },
      { symbol: 'AAPL', interval: '5m', oldest: 10 * 60_000, newest: 10 * 60_000, newestEnd: 15 * 60_000 },
      { symbol: 'MSFT', interval: '1m', oldest: 2 * 60_000, newest: 7 * 60_000, newestEnd: 8 * 60_000 },
    ]);
    assert.deepEqual(seriesOf([]), []);
  });
});

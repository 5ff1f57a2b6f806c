import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@tickerflow/common';
import { readDashboardConfig } from './config.js';

describe('dashboard config', () => {
  it('has the documented defaults', () => {
    const c = readDashboardConfig({ KAFKA_BROKERS: 'a:9092, b:9092' });
    assert.deepEqual(c.KAFKA_BROKERS, ['a:9092', 'b:9092']);
    assert.equal(c.TRADES_TOPIC, 'finnhub.trades');
    assert.equal(c.CANDLES_TOPIC, 'finnhub.candles');
    assert.deepEqual(c.CANDLE_INTERVALS, [
      { name: '1m', ms: 60_000 },
      { name: '5m', ms: 300_000 },
    ]);
    assert.equal(c.ALLOWED_LATENESS, 5000);
    assert.equal(c.DASHBOARD_LOOKBACK, 6 * 3_600_000);
    assert.equal(c.DASHBOARD_HISTORY_MAX, 500);
    assert.equal(c.DASHBOARD_SYMBOLS_MAX, 1000);
    assert.equal(c.HTTP_PORT, 8080);
    assert.equal(c.LOG_LEVEL, 'info');
  });

  it('names every bad variable in one error', () => {
    assert.throws(
      () =>
        readDashboardConfig({ CANDLE_INTERVALS: '1m,60s', ALLOWED_LATENESS: 'soon', DASHBOARD_LOOKBACK: '-1h', DASHBOARD_HISTORY_MAX: '0', HTTP_PORT: 'x' }),
      (err: Error) => {
        assert.ok(err instanceof ConfigError);
        for (const name of ['KAFKA_BROKERS', 'CANDLE_INTERVALS', 'ALLOWED_LATENESS', 'DASHBOARD_LOOKBACK', 'DASHBOARD_HISTORY_MAX', 'HTTP_PORT']) {
          assert.match(err.message, new RegExp(`${name}: `), name);
        }
        return true;
      },
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arrayLiteral, copyLine, copyText, dayPartition } from './trades.js';

describe('trades archive: COPY text and day partitions', () => {
  it('escapes what COPY text format treats specially, and nothing else', () => {
    assert.equal(copyText('IC MARKETS:1'), 'IC MARKETS:1');
    assert.equal(copyText('a\\b\tc\nd\re'), 'a\\\\b\\tc\\nd\\re');
  });

  it('quotes every array element, so NULL, commas, braces and quotes stay text', () => {
    assert.equal(arrayLiteral([]), '{}');
    assert.equal(arrayLiteral(['NULL', 'a,b', '{x}', 'say "hi"', 'back\\slash']), '{"NULL","a,b","{x}","say \\"hi\\"","back\\\\slash"}');
  });

  it('one tab-separated line per trade, times in UTC ISO-8601', () => {
    const line = copyLine({
      trade: { symbol: 'BINANCE:BTCUSDT', price: 97000.5, volume: 0.0012, timestamp: Date.UTC(2026, 10, 24, 9, 30), conditions: ['1', '\\'], receivedAt: 0 },
      partition: 2,
      offset: '12345678901',
    });
    assert.equal(line, 'BINANCE:BTCUSDT\t2026-11-24T09:30:00.000Z\t97000.5\t0.0012\t{"1","\\\\\\\\"}\t1970-01-01T00:00:00.000Z\t2\t12345678901\n');
  });

  it('a UTC day per partition, bounds inclusive of midnight', () => {
    const p = dayPartition(Date.UTC(2026, 10, 24, 0, 0));
    assert.deepEqual(p, { name: 'trades_p20261124', from: '2026-11-24T00:00:00.000Z', to: '2026-11-25T00:00:00.000Z' });
    assert.equal(dayPartition(Date.UTC(2026, 10, 24, 23, 59, 59, 999)).name, 'trades_p20261124');
    assert.equal(dayPartition(Date.UTC(2026, 10, 25)).name, 'trades_p20261125');
  });
});

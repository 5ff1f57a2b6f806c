import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AvroDecodeError, checkAvroBounds, loadSchema, singleObjectCodec } from './avro.js';
import type { TradeValue } from './trades-topic.js';

const tradeType = loadSchema('trade');
const codec = singleObjectCodec<TradeValue>(tradeType);

describe('Avro decoding of untrusted bytes', () => {
  it('accepts every record the schema can encode (trades and candles)', () => {
    const candleType = loadSchema('candle');
    fc.assert(
      fc.property(
        fc.record({
          symbol: fc.string(),
          price: fc.double(),
          volume: fc.double(),
          timestamp: fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
          conditions: fc.array(fc.string(), { maxLength: 300 }),
          receivedAt: fc.integer({ min: 0, max: 2 ** 52 }),
        }),
        (t) => {
          checkAvroBounds(tradeType, tradeType.toBuffer(t));
          const c = {
            symbol: t.symbol,
            interval: '1m',
            windowStart: t.receivedAt,
            windowEnd: t.receivedAt,
            open: t.price,
            high: t.price,
            low: t.price,
            close: t.price,
            volume: t.volume,
            vwap: t.price,
            tradeCount: t.conditions.length,
          };
          checkAvroBounds(candleType, candleType.toBuffer(c));
        },
      ),
    );
  });

  it('refuses a tiny record that claims a billion array items, before allocating them', () => {
    const header = codec.encode({ symbol: 'X', price: 1, volume: 1, timestamp: 1, conditions: [], receivedAt: 1 }).subarray(0, 10);
    // symbol "X", price, volume, timestamp 1, then conditions: a block of 10⁹ items and nothing after.
    const body = Buffer.concat([Buffer.from([2, 0x58]), Buffer.alloc(16), Buffer.from([2]), Buffer.from([0x80, 0xa8, 0xd6, 0xb9, 0x07])]);
    const started = process.memoryUsage().heapUsed;
    assert.throws(
      () => codec.decode(Buffer.concat([header, body])),
      (err: Error) => err instanceof AvroDecodeError && err.reason === 'bad-body' && /block count/.test(err.message),
    );
    assert.ok(process.memoryUsage().heapUsed - started < 50 * 2 ** 20);
  });

  it('refuses truncated bodies, oversized lengths and trailing bytes as bad-body', () => {
    const good = codec.encode({ symbol: 'AAPL', price: 1, volume: 2, timestamp: 3, conditions: ['1'], receivedAt: 4 });
    fc.assert(
      fc.property(fc.integer({ min: 10, max: good.length - 1 }), (cut) => {
        assert.throws(
          () => codec.decode(good.subarray(0, cut)),
          (err: Error) => err instanceof AvroDecodeError && err.reason === 'bad-body',
        );
      }),
    );
    assert.throws(() => codec.decode(Buffer.concat([good, Buffer.from([0])])), /bytes left over/);
    const longSymbol = Buffer.from(good);
    longSymbol[10] = 0x7e; // symbol length 63, far beyond the record
    assert.throws(() => codec.decode(longSymbol), /length beyond the record/);
  });
});

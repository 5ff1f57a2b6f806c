import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadSchema, parseIntervals, singleObjectCodec, WATERMARK_HEADER, type TradeValue } from '@tickerflow/common';
import { createPartitionProcessor, decodeCheckpoint, encodeCheckpoint, type InputRecord, type TradeCodec } from './partition-processor.js';

const codec: TradeCodec = singleObjectCodec<TradeValue>(loadSchema('trade'));
const opts = { intervals: parseIntervals(['1s']), allowedLatenessMs: 0, codec };
const T = Date.UTC(2026, 10, 23, 15);
const trade = (offset: number, timestamp: number, price = 10): InputRecord => ({
  offset,
  key: Buffer.from('X'),
  value: codec.encode({ symbol: 'X', price, volume: 1, timestamp, conditions: [], receivedAt: timestamp }),
});
const watermark = (offset: number, time: number): InputRecord => ({
  offset,
  key: null,
  value: null,
  headers: { [WATERMARK_HEADER]: Buffer.from(String(time)) },
});

describe('partition processor', () => {
  it('emits candles and dead letters, and checkpoints where a rebuild must start', () => {
    const p = createPartitionProcessor({ offset: 0, replayFrom: 0, watermark: -Infinity }, opts);
    const out = p.process([
      trade(0, T),
      trade(1, T + 500),
      { offset: 2, key: Buffer.from('X'), value: Buffer.from('junk') },
      trade(3, T + 1200),
      watermark(4, T + 1500),
    ]);
    assert.deepEqual(
      out.candles.map((c) => [c.windowStart, c.tradeCount]),
      [[T, 2]],
    );
    assert.deepEqual(
      out.deadLetters.map((d) => [d.record.offset, d.error.reason]),
      [[2, 'bad-magic']],
    );
    assert.equal(out.trades, 3);
    assert.equal(out.watermarks, 1);
    assert.deepEqual(out.checkpoint, { offset: 5, replayFrom: 3, watermark: T + 1500 });
  });

  it('after a restart, replays silently up to the checkpoint and then emits exactly what the first run would have', () => {
    const records = [trade(0, T), trade(1, T + 1100), trade(2, T + 1300), watermark(3, T + 2000), trade(4, T + 2100), watermark(5, T + 3000)];
    const first = createPartitionProcessor({ offset: 0, replayFrom: 0, watermark: -Infinity }, opts);
    const a = first.process(records.slice(0, 3));
    const b = first.process(records.slice(3));
    const restarted = createPartitionProcessor(decodeCheckpoint(a.checkpoint!.offset, encodeCheckpoint(a.checkpoint!)), opts);
    assert.equal(restarted.position(), 1);
    const replay = restarted.process(records.slice(1)); // the broker redelivers from replayFrom
    assert.equal(replay.replayed, 2);
    assert.deepEqual(replay.candles, b.candles);
    assert.deepEqual(replay.checkpoint, b.checkpoint);
    // Records delivered twice are applied once.
    assert.deepEqual(restarted.process(records.slice(4)).candles, []);
  });

  it('treats metadata it did not write as no state', () => {
    assert.deepEqual(decodeCheckpoint(42, ''), { offset: 42, replayFrom: 42, watermark: -Infinity });
    assert.deepEqual(decodeCheckpoint(42, '{"v":1,"replayFrom":50,"watermark":1}'), { offset: 42, replayFrom: 42, watermark: -Infinity });
    assert.deepEqual(decodeCheckpoint(42, encodeCheckpoint({ offset: 42, replayFrom: 40, watermark: -Infinity })), {
      offset: 42,
      replayFrom: 40,
      watermark: -Infinity,
    });
  });
});

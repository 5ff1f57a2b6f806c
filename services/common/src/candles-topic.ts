import type { Codec } from './avro.js';
import type { Candle } from './candles/candle.js';
import { decodeRecordValue, InvalidRecordError } from './trades-topic.js';

/**
 * Decodes and checks one record of the candles topic; throws InvalidRecordError.
 * The candle comes back plain (avsc may give `long`s as other types), ready for JSON.
 */
export function readCandlesTopicRecord(codec: Codec<Candle>, record: { key: Buffer | null; value: Buffer | null }): Candle {
  const c = decodeRecordValue(codec, record.value);
  const candle: Candle = {
    symbol: c.symbol,
    interval: c.interval,
    windowStart: Number(c.windowStart),
    windowEnd: Number(c.windowEnd),
    open: c.open,
    high: c.high,
    low: c.low,
    close: c.close,
    volume: c.volume,
    vwap: c.vwap,
    tradeCount: Number(c.tradeCount),
  };
  const problem =
    candle.symbol.length === 0
      ? 'empty symbol'
      : ![candle.open, candle.high, candle.low, candle.close, candle.volume, candle.vwap].every(Number.isFinite)
        ? 'non-finite price or volume'
        : !(candle.windowEnd > candle.windowStart)
          ? 'window ends before it starts'
          : undefined;
  if (problem) throw new InvalidRecordError(`invalid candle: ${problem}`, 'invalid-candle');
  if (record.key && record.key.toString() !== candle.symbol) throw new InvalidRecordError('record key is not the candle symbol', 'key-mismatch');
  return candle;
}

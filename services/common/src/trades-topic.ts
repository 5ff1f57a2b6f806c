import { AvroDecodeError, type Codec } from './avro.js';
import type { Trade } from './finnhub/protocol.js';

/**
 * Watermark records: the producer writes one to every partition of the trades
 * topic each second (null key, null value, this header = its clock in epoch
 * ms, decimal). They carry event time forward on partitions whose symbols are
 * quiet, so candles of idle symbols still close, and, being in the log, keep
 * replays deterministic. Readers of the topic that are not ours skip null values.
 */
export const WATERMARK_HEADER = 'tickerflow-watermark';

/** A trade as the trades topic holds it (the Avro `Trade` record): Finnhub's fields and when the producer received it. */
export interface TradeValue extends Trade {
  /** When the producer read the frame, epoch ms. */
  receivedAt: number;
}

export type TradesTopicRecord = { kind: 'trade'; trade: TradeValue } | { kind: 'watermark'; time: number };

/**
 * Why a trades-topic record cannot be used (the consumer's dead-letter
 * reasons), every value, so metrics can start each at 0. Avro decode reasons
 * are among them: the compiler checks it where they are rethrown below.
 */
export const invalidTradesRecordReasons = [
  'bad-magic',
  'unknown-fingerprint',
  'unknown-schema-id',
  'bad-body',
  'empty-value',
  'invalid-trade',
  'key-mismatch',
  'bad-watermark',
  'future-timestamp',
] as const;

export type InvalidReason = (typeof invalidTradesRecordReasons)[number] | 'invalid-candle';

/**
 * How far an event time may be ahead of its record's Kafka timestamp. One
 * record far in the future (say a timestamp in microseconds) would otherwise
 * move a partition's watermark years ahead and make every later trade late.
 * Measured against the record's own timestamp, which is in the log, so
 * replays decide the same way.
 */
export const MAX_EVENT_TIME_AHEAD_MS = 3_600_000;

/** Prices and volumes beyond these are errors, not trades (and would overflow price × volume). */
const MAX_PRICE = 1e12;
const MAX_VOLUME = 1e15;

/** A record that cannot be used: counted by its reason (the consumer sends bad trades to the dead-letter topic). */
export class InvalidRecordError extends Error {
  override readonly name = 'InvalidRecordError';
  constructor(
    message: string,
    readonly reason: InvalidReason,
  ) {
    super(message);
  }
}

type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

function headerText(value: HeaderValue): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** A record's Avro value, decoded; an empty or undecodable one throws InvalidRecordError with its reason. */
export function decodeRecordValue<T>(codec: Codec<T>, value: Buffer | null): T {
  if (!value || value.length === 0) throw new InvalidRecordError('record has no value', 'empty-value');
  try {
    return codec.decode(value);
  } catch (err) {
    if (err instanceof AvroDecodeError) throw new InvalidRecordError(err.message, err.reason);
    throw err;
  }
}

/** Decodes and checks one record of the trades topic; throws InvalidRecordError. */
export function readTradesTopicRecord(
  codec: Codec<TradeValue>,
  record: { key: Buffer | null; value: Buffer | null; headers?: Record<string, HeaderValue>; timestamp?: number },
  maxAheadMs = MAX_EVENT_TIME_AHEAD_MS,
): TradesTopicRecord {
  const checkAhead = (time: number) => {
    if (record.timestamp !== undefined && Number.isFinite(record.timestamp) && time > record.timestamp + maxAheadMs) {
      throw new InvalidRecordError(`event time ${time} is more than ${maxAheadMs} ms ahead of the record's timestamp ${record.timestamp}`, 'future-timestamp');
    }
  };
  const watermark = headerText(record.headers?.[WATERMARK_HEADER]);
  if (watermark !== undefined) {
    const time = Number(watermark);
    if (!/^\d{1,16}$/.test(watermark) || !Number.isSafeInteger(time))
      throw new InvalidRecordError(`watermark header is not epoch milliseconds`, 'bad-watermark');
    checkAhead(time);
    return { kind: 'watermark', time };
  }
  const trade = decodeRecordValue(codec, record.value);
  const problem =
    trade.symbol.length === 0
      ? 'empty symbol'
      : !Number.isFinite(trade.price) || trade.price <= 0 || trade.price > MAX_PRICE
        ? 'price is not a positive number below 1e12'
        : !Number.isFinite(trade.volume) || trade.volume < 0 || trade.volume > MAX_VOLUME
          ? 'volume is not a non-negative number below 1e15'
          : !Number.isSafeInteger(trade.timestamp) || trade.timestamp < 0
            ? 'timestamp is not epoch milliseconds'
            : undefined;
  if (problem) throw new InvalidRecordError(`invalid trade: ${problem}`, 'invalid-trade');
  if (record.key && record.key.toString() !== trade.symbol) throw new InvalidRecordError('record key is not the trade symbol', 'key-mismatch');
  checkAhead(trade.timestamp);
  return { kind: 'trade', trade };
}

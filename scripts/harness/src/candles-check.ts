import { Kafka, logLevel } from 'kafkajs';
import {
  InvalidRecordError,
  loadSchema,
  readCandlesTopicRecord,
  readTradesTopicRecord,
  singleObjectCodec,
  type Candle,
  type Codec,
  type Interval,
  type TradeValue,
} from '@tickerflow/common';
import { referenceCandles, type ReferenceEvent } from '@tickerflow/common/testing';
import { eventually } from './eventually.js';
import { readTopic } from './kafka-read.js';

/**
 * Exactly-once checks of the candle consumer, wherever it runs: the group's
 * committed offsets at the log end, and the committed candles topic against
 * the reference implementation run over the trades topic.
 */
const tradeCodec = singleObjectCodec<TradeValue>(loadSchema('trade'));
const candleCodec = singleObjectCodec<Candle>(loadSchema('candle'));

/** Waits until the group has committed every partition up to its log end. */
export async function caughtUp(brokers: string[], topics: { trades: string; group: string }, timeoutMs = 120_000): Promise<void> {
  const admin = new Kafka({ clientId: 'test-lag', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await eventually(
      async () => {
        const ends = await admin.fetchTopicOffsets(topics.trades);
        const [committed] = await admin.fetchOffsets({ groupId: topics.group, topics: [topics.trades] });
        return ends.every((e) => committed?.partitions.find((c) => c.partition === e.partition)?.offset === e.high);
      },
      { timeoutMs, what: 'consumer group committed up to the log end' },
    );
  } finally {
    await admin.disconnect();
  }
}

/** The final candles the reference implementation computes from the trades topic, partition by partition. */
export async function recomputeCandles(
  brokers: string[],
  topic: string,
  opts: { intervals: Interval[]; allowedLatenessMs: number },
  codec: Codec<TradeValue> = tradeCodec,
) {
  const records = await readTopic(brokers, topic);
  const byPartition = new Map<number, typeof records>();
  for (const r of records) {
    const list = byPartition.get(r.partition);
    if (list) list.push(r);
    else byPartition.set(r.partition, [r]);
  }
  const candles: Candle[] = [];
  const invalid: typeof records = [];
  for (const partitionRecords of byPartition.values()) {
    partitionRecords.sort((a, b) => Number(a.offset) - Number(b.offset));
    const events: ReferenceEvent[] = [];
    for (const r of partitionRecords) {
      try {
        const parsed = readTradesTopicRecord(codec, r);
        events.push(parsed.kind === 'trade' ? { kind: 'trade', trade: parsed.trade } : { kind: 'time', time: parsed.time });
      } catch (err) {
        if (!(err instanceof InvalidRecordError)) throw err;
        invalid.push(r);
      }
    }
    candles.push(...referenceCandles(events, opts).final);
  }
  return { candles, invalid, trades: records.length - invalid.length };
}

/** The committed candles topic, decoded. */
export async function committedCandles(brokers: string[], topic: string, codec: Codec<Candle> = candleCodec): Promise<Candle[]> {
  return (await readTopic(brokers, topic)).map((r) => {
    if (!r.key) throw new Error(`candle at offset ${r.offset} has no key`);
    return readCandlesTopicRecord(codec, r);
  });
}

export const byIdentity = (a: Candle, b: Candle) => a.symbol.localeCompare(b.symbol) || a.interval.localeCompare(b.interval) || a.windowStart - b.windowStart;

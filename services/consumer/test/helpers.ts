import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { createTopic, eventually, metric, readTopic, startService, type ServiceProcess } from '@tickerflow/harness';
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

/** Tests read metrics through the harness's helper. */
export { metric };

export const tradeCodec = singleObjectCodec<TradeValue>(loadSchema('trade'));
export const candleCodec = singleObjectCodec<Candle>(loadSchema('candle'));

export interface Topics {
  trades: string;
  candles: string;
  dlq: string;
  group: string;
}

export async function newTopics(brokers: string[], partitions = 3): Promise<Topics> {
  const id = randomUUID().slice(0, 8);
  const topics = { trades: `trades.${id}`, candles: `candles.${id}`, dlq: `dlq.${id}`, group: `candles-${id}` };
  await createTopic(brokers, topics.trades, partitions);
  await createTopic(brokers, topics.candles, partitions);
  await createTopic(brokers, topics.dlq, 1);
  return topics;
}

export function startConsumer(brokers: string[], topics: Topics, env: Record<string, string> = {}): ServiceProcess {
  return startService('tickerflow-consumer', {
    KAFKA_BROKERS: brokers.join(','),
    TRADES_TOPIC: topics.trades,
    CANDLES_TOPIC: topics.candles,
    DLQ_TOPIC: topics.dlq,
    CONSUMER_GROUP: topics.group,
    CONSUMER_SESSION_TIMEOUT_MS: '6000',
    ...env,
  });
}

/** Waits until the group has committed every partition up to its log end. */
export async function caughtUp(brokers: string[], topics: Topics, timeoutMs = 120_000): Promise<void> {
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
  for (const r of records) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r]);
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

import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import { eventually } from './eventually.js';

export interface ReadRecord {
  key: Buffer | null;
  value: Buffer | null;
  partition: number;
  offset: string;
  headers: IHeaders;
  /** The record's Kafka timestamp, epoch ms. */
  timestamp: number;
}

/**
 * Reads a whole topic, every partition from the start to its current end,
 * with a fresh group (read_committed unless told otherwise).
 */
export async function readTopic(brokers: string[], topic: string, opts: { readUncommitted?: boolean } = {}): Promise<ReadRecord[]> {
  const kafka = new Kafka({ clientId: 'test-reader', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  const records: ReadRecord[] = [];
  // Where each partition's reading has got to: the next offset to read.
  const reached = new Map<number, bigint>();
  const done = () => [...ends].every(([p, end]) => (reached.get(p) ?? 0n) >= end);
  if (done()) return records;
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}-${Math.random()}`, readUncommitted: opts.readUncommitted ?? false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (done()) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          const end = ends.get(batch.partition) ?? 0n;
          for (const m of batch.messages) {
            if (BigInt(m.offset) < end) {
              records.push({
                key: m.key,
                value: m.value,
                partition: batch.partition,
                offset: m.offset,
                headers: m.headers ?? {},
                timestamp: Number(m.timestamp),
              });
            }
          }
          // The batch's last offset counts transaction markers too, which read_committed readers never see as records.
          const next = BigInt(batch.lastOffset()) + 1n;
          if (next > (reached.get(batch.partition) ?? 0n)) reached.set(batch.partition, next);
          await Promise.resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return records;
}

export async function createTopic(brokers: string[], topic: string, partitions = 3, configs: Record<string, string> = {}): Promise<void> {
  const admin = new Kafka({ clientId: 'test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    try {
      await admin.createTopics({
        topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
        waitForLeaders: true,
      });
    } catch (err) {
      // kafkajs waits for leaders retrying only LEADER_NOT_AVAILABLE; a busy broker may first answer that it does not host the new topic yet.
      if ((err as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
      await eventually(
        async () => {
          const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
          return topics[0]?.partitions.length === partitions && topics[0].partitions.every((p) => p.leader >= 0);
        },
        { timeoutMs: 30_000, what: `topic ${topic} with a leader for each partition` },
      );
    }
  } finally {
    await admin.disconnect();
  }
}

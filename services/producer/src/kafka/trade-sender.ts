import { Admin, compatibilityPartitioner, Producer } from '@platformatic/kafka';
import { backoffDelay, type PlatformaticConnection } from '@tickerflow/common';
import { ProduceError, type RecordOutcome, type RecordSender } from './trade-writer.js';

export interface TradeSender extends RecordSender {
  /** One metadata request for the topic: throws MissingTopicError when the brokers do not know it. */
  connect(topic: string): Promise<void>;
  /** Creates the topic with the brokers' default partitions and replication. */
  createTopic(topic: string): Promise<void>;
  /** The topic's partition count, from fresh metadata. */
  partitions(topic: string): Promise<number>;
  close(): Promise<void>;
}

export class MissingTopicError extends Error {
  override readonly name = 'MissingTopicError';
  constructor(
    readonly topic: string,
    options?: { cause?: unknown },
  ) {
    super(`topic ${topic} does not exist: create it (a Strimzi KafkaTopic, or kafka-topics.sh --create), or set KAFKA_CREATE_TOPICS=true`, options);
  }
}

/**
 * Errors a broker gives a partition's records for what they are: sending
 * them again can never succeed.
 */
const REFUSED = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'INVALID_TIMESTAMP', 'POLICY_VIOLATION', 'CORRUPT_MESSAGE']);

interface ErrorTree {
  code?: string;
  apiId?: string;
  errors?: unknown[];
  cause?: unknown;
  response?: { responses?: { name: string; partitionResponses: { index: number; errorCode: number }[] }[] };
  produced?: { offsets?: { topic: string; partition: number }[] };
}

/** A partition's answer: `written`, or the protocol error's name. */
type Answer = string;

/**
 * What the broker said about each partition of a failed request, read from
 * @platformatic/kafka's error tree: the Produce responses it carries (later
 * attempts overwrite earlier ones) and the partitions of requests that did
 * succeed. A partition with no answer is unknown.
 */

export function partitionAnswers(err: unknown, topic: string): Map<number, Answer> {
  const answers = new Map<number, Answer>();
  const walk = (e: unknown) => {
    if (!e || typeof e !== 'object') return;
    const node = e as ErrorTree;
    for (const r of node.response?.responses ?? []) {
      if (r.name !== topic) continue;
      for (const p of r.partitionResponses ?? []) answers.set(p.index, p.errorCode === 0 ? 'written' : codeName(node, p.index));
    }
    for (const child of node.errors ?? []) walk(child);
    walk(node.cause);
  };
  walk(err);
  for (const o of (err as ErrorTree | undefined)?.produced?.offsets ?? []) if (o.topic === topic) answers.set(o.partition, 'written');
  return answers;
}

/** The protocol error name for one partition of a Produce ResponseError (its errors carry paths `/responses/i/partition_responses/j`). */
function codeName(responseError: ErrorTree, partitionIndex: number): string {
  const responses = responseError.response?.responses ?? [];
  for (const child of responseError.errors ?? []) {
    const { path, apiId } = child as { path?: string; apiId?: string };
    const m = /^\/responses\/(\d+)\/partition_responses\/(\d+)$/.exec(path ?? '');
    if (m && responses[Number(m[1])]?.partitionResponses[Number(m[2])]?.index === partitionIndex) return apiId ?? 'UNKNOWN_SERVER_ERROR';
  }
  return 'UNKNOWN_SERVER_ERROR';
}

/** The library turns UNKNOWN_TOPIC_OR_PARTITION in a metadata answer into a UserError with only this message. */
const isMissingTopic = (err: unknown, topic: string): boolean => (err as Error | undefined)?.message === `Unknown topic ${topic}.`;

/**
 * The trades producer: idempotent, acks=all, on @platformatic/kafka, which
 * encodes about twice as fast as kafkajs (see the README). Keys are
 * partitioned like the Java client (murmur2, positive), so every client
 * agrees on a symbol's partition.
 *
 * The library retries a request itself, with the same producer id and
 * sequence numbers, while the errors are retriable (an outage, a timeout, a
 * leader move), so the broker de-duplicates a retried batch. After an error
 * it cannot retry it starts a new producer id; that is safe because the
 * writer then sends again only what the broker said it did not write.
 */
export function createTradeSender(connection: PlatformaticConnection, opts: { compression: 'none' | 'gzip' }): TradeSender {
  const producer = new Producer({
    ...connection,
    idempotent: true,
    acks: -1,
    compression: opts.compression,
    partitioner: compatibilityPartitioner,
    autocreateTopics: false,
    retries: true,
    // Jittered and bounded, so a fleet of producers does not retry in step.
    retryDelay: (_client, _op, attempt) => backoffDelay(attempt - 1, { initialMs: 100, maxMs: 5_000 }),
  });

  /** Each message's partition as the library chose it: explicit, or the key's hash modulo the partition count. */
  function partitionOf(topic: string, message: { key?: Buffer; partition?: number }): number | undefined {
    if (message.partition !== undefined) return message.partition;
    const count = producer.currentMetadata?.topics.get(topic)?.partitionsCount;
    return count ? compatibilityPartitioner(undefined as never, message.key) % count : undefined;
  }

  return {
    async connect(topic) {
      try {
        await producer.metadata({ topics: [topic], retries: 0, forceUpdate: true });
      } catch (err) {
        throw isMissingTopic(err, topic) ? new MissingTopicError(topic, { cause: err }) : err;
      }
    },
    async createTopic(topic) {
      const admin = new Admin(connection);
      try {
        await admin.createTopics({ topics: [topic], partitions: -1, replicas: -1 });
      } finally {
        await admin.close();
      }
    },
    async partitions(topic) {
      const metadata = await producer.metadata({ topics: [topic], forceUpdate: true });
      return metadata.topics.get(topic)?.partitionsCount ?? 0;
    },
    async send(topic, messages) {
      try {
        await producer.send({ messages: messages.map((m) => ({ topic, ...m })) });
      } catch (err) {
        const answers = partitionAnswers(err, topic);
        const outcomes = messages.map((m): RecordOutcome => {
          const partition = partitionOf(topic, m);
          const answer = partition === undefined ? undefined : answers.get(partition);
          if (answer === 'written') return { status: 'written' };
          if (answer !== undefined && REFUSED.has(answer)) return { status: 'rejected', partition: partition!, error: answer };
          return { status: 'retry' };
        });
        throw new ProduceError(`produce request failed: ${(err as Error).message}`, outcomes, { cause: err });
      }
    },
    close: () => producer.close(),
  };
}

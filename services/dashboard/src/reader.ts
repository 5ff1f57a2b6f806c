import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { retry, worthLogging, type Logger } from '@tickerflow/common';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { KafkaState } from './metrics.js';

export interface TopicReaderOptions {
  topic: string;
  /** Where reading starts: the first record at or after this time (epoch ms), asked again on every (re)start. */
  fromTime: () => number;
  /** Records of one partition, in offset order, each exactly once per (re)start. */
  onBatch(partition: number, messages: readonly KafkaMessage[]): void;
  /** Awaited before a batch is handed on (fetching schemas from a registry); a failure restarts the reader with backoff. */
  prepare?(messages: readonly KafkaMessage[]): Promise<void>;
  onState(state: KafkaState): void;
  logger: Logger;
}

/** A throwaway consumer group: the dashboard never commits, every replica reads everything. */
export const throwawayGroupId = (role: string) => `tickerflow-dashboard-${hostname()}-${role}-${randomBytes(6).toString('hex')}`;

/**
 * Reads one topic from a point in time to its live end with a kafkajs
 * consumer in a fresh group (read_committed, offsets never committed).
 *
 * The start offsets come from the broker's time index; the consumer seeks
 * there whenever it joins its group. Fetches that raced the seek are filtered
 * out per partition (nothing before the start, nothing twice), so every record
 * from the start on reaches `onBatch` exactly once and in order.
 */
export function createTopicReader(kafka: Kafka, opts: TopicReaderOptions) {
  const { logger, topic } = opts;
  let consumer: Consumer | undefined;
  let stopping = false;
  /** Per partition: the next offset to hand on. */
  const next = new Map<number, bigint>();
  let starting: Promise<void> | undefined;
  const abort = new AbortController();

  async function startOffsets(): Promise<Map<number, bigint>> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, opts.fromTime());
      return new Map(offsets.map((o) => [o.partition, BigInt(o.offset)]));
    } finally {
      await admin.disconnect();
    }
  }

  async function runOnce(): Promise<void> {
    opts.onState('connecting');
    // After a restart, reading goes on where it stopped: what was handed on stays handed on.
    for (const [p, o] of await startOffsets()) if (!next.has(p)) next.set(p, o);
    const c = kafka.consumer({
      groupId: throwawayGroupId(topic),
      readUncommitted: false,
      allowAutoTopicCreation: false,
      // The broker answers as soon as there is data; a shorter wait when idle only makes shutdown quicker.
      maxWaitTimeInMs: 1000,
      retry: { retries: 8 },
    });
    consumer = c;
    c.on(c.events.GROUP_JOIN, ({ payload }) => {
      for (const partition of payload.memberAssignment[topic] ?? []) {
        const offset = next.get(partition);
        if (offset !== undefined) c.seek({ topic, partition, offset: offset.toString() });
      }
      opts.onState('connected');
    });
    c.on(c.events.CRASH, ({ payload }) => {
      logger.error({ topic, err: payload.error, restart: payload.restart }, 'Kafka reader crashed');
      opts.onState('error');
      // kafkajs restarts by itself after retriable errors; after the others we start afresh.
      if (!payload.restart && !stopping) void restart();
    });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const partition = batch.partition;
        const from = next.get(partition) ?? 0n;
        const fresh = batch.messages.filter((m) => BigInt(m.offset) >= from);
        if (fresh.length > 0) {
          await opts.prepare?.(fresh);
          next.set(partition, BigInt(fresh[fresh.length - 1]!.offset) + 1n);
          opts.onBatch(partition, fresh);
        }
        await Promise.resolve();
      },
    });
  }

  /** Until Kafka answers or stop() aborts: every error is worth another attempt (the brokers, the topic or the registry may come later). */
  async function startWithRetry(): Promise<void> {
    await retry(
      async () => {
        try {
          await runOnce();
        } catch (err) {
          opts.onState('error');
          await consumer?.disconnect().catch(() => undefined);
          consumer = undefined;
          throw err;
        }
      },
      {
        initialMs: 500,
        maxMs: 15_000,
        signal: abort.signal,
        retriable: () => true,
        onRetry: (err, attempt, retryInMs) => {
          if (worthLogging(attempt)) logger.error({ topic, err, retryInMs, attempt }, 'cannot start the Kafka reader; retrying');
        },
      },
    ).catch((err: unknown) => {
      // Only an abort ends the retries: stopping, not a failure.
      if (!stopping) throw err;
    });
  }

  async function restart() {
    await consumer?.disconnect().catch(() => undefined);
    consumer = undefined;
    if (!stopping) starting = startWithRetry();
  }

  return {
    /** Starts reading in the background, retrying until Kafka answers. */
    start(): void {
      starting = startWithRetry();
    },
    async stop(): Promise<void> {
      stopping = true;
      abort.abort();
      await consumer?.disconnect().catch(() => undefined);
      // A connect in progress retries on its own schedule (kafkajs cannot abort it): don't let it hold shutdown.
      await Promise.race([starting?.catch(() => undefined), sleep(2000)]);
      await consumer?.disconnect().catch(() => undefined);
    },
  };
}

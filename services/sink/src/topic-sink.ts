import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, groupConsumer, InvalidRecordError, type Logger } from '@tickerflow/common';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type pg from 'pg';
import type { DatabaseHealth } from './database-health.js';
import type { SinkMetrics } from './metrics.js';
import { storedOffset, writeWithOffset, type PartitionRef } from './offsets.js';
import type { TableSpec } from './tables/table.js';

export interface TopicSinkOptions {
  topic: string;
  group: string;
  maxBytesPerPartition: number;
  sessionTimeoutMs: number;
}

/** A partition this instance reads, and where the database says its reading stands. */
interface Owned {
  generation: number;
  /** The stored next offset (undefined: nothing stored yet). */
  expected: bigint | undefined;
  /** A seek to `expected` was made (a visible record may start after it: transaction markers). */
  sought: boolean;
}

/**
 * One topic (read_committed) → one PostgreSQL table, exactly once: each
 * batch's rows and the partition's next offset commit in one database
 * transaction, and reading resumes where the database says, whatever Kafka's
 * group offsets say (they are only committed afterwards, for lag tools).
 */
export function createTopicSink<Row>(
  options: TopicSinkOptions,
  spec: TableSpec<Row>,
  deps: { kafka: Kafka; db: pg.Pool; health: DatabaseHealth; metrics: SinkMetrics; logger: Logger; now?: () => number },
) {
  const { kafka, db, health, metrics } = deps;
  const logger = deps.logger.child({ topic: options.topic, table: spec.table });
  const now = deps.now ?? Date.now;
  const { topic, group } = options;
  const { table } = spec;
  const ref = (partition: number): PartitionRef => ({ group, topic, partition });
  const owned = new Map<number, Owned>();
  let consumer: Consumer | undefined;
  let generation = 0;
  let joined = false;
  let crashed = false;

  /** The partition's reading position from the database, taken afresh after every rebalance; undefined when a seek was made instead. */
  async function own(payload: EachBatchPayload): Promise<Owned | undefined> {
    const { partition } = payload.batch;
    let o = owned.get(partition);
    if (!o || o.generation !== generation) {
      o = { generation, expected: await storedOffset(db, ref(partition)), sought: false };
      owned.set(partition, o);
    }
    if (o.expected !== undefined && !o.sought && BigInt(payload.batch.firstOffset()!) < o.expected) {
      o.sought = true;
      consumer!.seek({ topic, partition, offset: String(o.expected) });
      return undefined;
    }
    return o;
  }

  /** The batch's rows (skipping what is already stored); unusable records are counted by reason. */
  function read(payload: EachBatchPayload, from: bigint | undefined): Row[] {
    const rows: Row[] = [];
    const { partition } = payload.batch;
    for (const m of payload.batch.messages) {
      if (from !== undefined && BigInt(m.offset) < from) continue;
      try {
        const row = spec.read(m, partition);
        if (row !== undefined) rows.push(row);
      } catch (err) {
        if (!(err instanceof InvalidRecordError)) throw err;
        metrics.recordsSkipped.inc({ table, reason: err.reason });
        logger.warn({ partition, offset: m.offset, reason: err.reason }, 'record skipped');
      }
    }
    return rows;
  }

  async function eachBatch(payload: EachBatchPayload) {
    const { batch } = payload;
    const { partition } = batch;
    if (batch.isEmpty() || !payload.isRunning() || payload.isStale()) return;
    const started = now();
    let o: Owned | undefined;
    try {
      o = await own(payload);
    } catch (err) {
      await health.failed(err, 'cannot read the stored offset; retrying');
      return;
    }
    if (!o) return;
    const next = BigInt(batch.lastOffset()) + 1n;
    if (o.expected !== undefined && next <= o.expected) {
      payload.resolveOffset(batch.lastOffset());
      return;
    }
    try {
      // Writer schemas of Confluent-framed records, from the registry (cached).
      await spec.prepare(batch.messages.map((m) => m.value));
    } catch (err) {
      logger.warn({ err: { message: (err as Error).message } }, 'cannot read writer schemas from the registry; retrying the batch');
      await sleep(backoffDelay(0, { initialMs: 500, maxMs: 5_000 }));
      return;
    }
    const rows = read(payload, o.expected);
    let result;
    try {
      await spec.ensure?.(db, rows);
      result = await writeWithOffset(db, ref(partition), o.expected, next, (client) => spec.insert(client, rows));
    } catch (err) {
      metrics.transactions.inc({ table, result: 'failed' });
      spec.forget?.();
      // Whether the COMMIT got through is unknown: the stored offset is read again before the batch is retried.
      owned.delete(partition);
      await health.failed(err, 'database transaction failed; retrying the batch');
      return;
    }
    health.worked();
    if (result.kind === 'fenced') {
      metrics.transactions.inc({ table, result: 'fenced' });
      logger.warn(
        { partition, expected: String(o.expected), stored: String(result.stored) },
        'another instance moved the partition on; reading from the stored offset',
      );
      owned.delete(partition);
      return;
    }
    metrics.transactions.inc({ table, result: 'committed' });
    metrics.rowsWritten.inc({ table }, result.rows);
    o.expected = next;
    payload.resolveOffset(batch.lastOffset());
    metrics.lag.set({ topic, partition: String(partition) }, Math.max(0, Number(BigInt(batch.highWatermark) - next)));
    metrics.batchDuration.observe({ table }, (now() - started) / 1000);
    // For lag tools only: the database is the source of truth.
    void consumer!.commitOffsets([{ topic, partition, offset: String(next) }]).catch(() => undefined);
  }

  return {
    /** In the group and the consumer alive. */
    kafkaReady: () => joined && !crashed,

    /** Joins the group and runs; `fail` is called if the consumer gives up for good. */
    async start(fail: (err: Error) => void) {
      consumer = groupConsumer(
        kafka,
        { group, topic, maxBytesPerPartition: options.maxBytesPerPartition, sessionTimeoutMs: options.sessionTimeoutMs },
        logger,
        {
          joined: (mine) => {
            joined = true;
            // Every partition's position is read from the database again: another instance may have written in between.
            generation++;
            for (const p of [...owned.keys()]) {
              owned.delete(p);
              if (!mine.has(p)) metrics.lag.remove({ topic, partition: String(p) });
            }
          },
          gaveUp: (err) => {
            crashed = true;
            fail(err);
          },
        },
      );
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
    },

    /** Finishes the batch in hand and leaves the group. */
    stop: async () => consumer?.disconnect(),
  };
}

export type TopicSink = ReturnType<typeof createTopicSink>;

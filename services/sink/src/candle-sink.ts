import { setTimeout as sleep } from 'node:timers/promises';
import {
  backoffDelay,
  onConsumerGaveUp,
  candleKey,
  InvalidRecordError,
  readCandlesTopicRecord,
  worthLogging,
  type Candle,
  type Logger,
  type ReaderCodec,
} from '@tickerflow/common';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type pg from 'pg';
import { storedOffset, writeCandles, type PartitionRef } from './candle-store.js';
import { migrate } from './database.js';
import type { SinkMetrics } from './metrics.js';

export interface CandleSinkOptions {
  topic: string;
  group: string;
  rowsPerInsert: number;
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
 * Candles topic (read_committed) → PostgreSQL, exactly once: each batch's
 * candles and the partition's next offset commit in one database
 * transaction, and reading resumes where the database says, whatever Kafka's
 * group offsets say (they are only committed afterwards, for lag tools).
 */
export function createCandleSink(
  options: CandleSinkOptions,
  deps: { kafka: Kafka; db: pg.Pool; codec: ReaderCodec<Candle>; metrics: SinkMetrics; logger: Logger; now?: () => number },
) {
  const { kafka, db, codec, metrics, logger } = deps;
  const now = deps.now ?? Date.now;
  const { topic, group } = options;
  const ref = (partition: number): PartitionRef => ({ group, topic, partition });
  const owned = new Map<number, Owned>();
  let consumer: Consumer | undefined;
  let generation = 0;
  let joined = false;
  let crashed = false;
  let databaseUp = false;
  let failuresInARow = 0;
  let stopped = false;
  let pinger: NodeJS.Timeout | undefined;
  let fail: (err: Error) => void = () => undefined;

  function databaseWorked() {
    databaseUp = true;
    failuresInARow = 0;
    metrics.databaseUp.set(1);
  }
  /** Counts a database failure, logs the first and every tenth, and waits a growing delay before the batch comes back. */
  async function databaseFailed(err: unknown, what: string) {
    databaseUp = false;
    metrics.databaseUp.set(0);
    failuresInARow++;
    if (worthLogging(failuresInARow)) logger.warn({ err: { message: (err as Error).message }, failuresInARow }, what);
    await sleep(backoffDelay(failuresInARow - 1, { initialMs: 200, maxMs: 10_000 }));
  }

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

  /** The batch's candles (skipping what is already stored), and the unusable records counted by reason. */
  function decode(payload: EachBatchPayload, from: bigint | undefined): Candle[] {
    const byKey = new Map<string, Candle>();
    for (const m of payload.batch.messages) {
      if (from !== undefined && BigInt(m.offset) < from) continue;
      try {
        const candle = readCandlesTopicRecord(codec, m);
        // One row per key and statement: the later record wins, as in a compacted topic.
        byKey.set(candleKey(candle), candle);
      } catch (err) {
        if (!(err instanceof InvalidRecordError)) throw err;
        metrics.recordsSkipped.inc({ reason: err.reason });
        logger.warn({ partition: payload.batch.partition, offset: m.offset, reason: err.reason }, 'candle record skipped');
      }
    }
    return [...byKey.values()];
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
      await databaseFailed(err, 'cannot read the stored offset; retrying');
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
      await codec.prepare(batch.messages.map((m) => m.value));
    } catch (err) {
      logger.warn({ err: { message: (err as Error).message } }, 'cannot read writer schemas from the registry; retrying the batch');
      await sleep(backoffDelay(0, { initialMs: 500, maxMs: 5_000 }));
      return;
    }
    const candles = decode(payload, o.expected);
    let result;
    try {
      result = await writeCandles(db, ref(partition), o.expected, next, candles, options.rowsPerInsert);
    } catch (err) {
      metrics.transactions.inc({ result: 'failed' });
      // Whether the COMMIT got through is unknown: the stored offset is read again before the batch is retried.
      owned.delete(partition);
      await databaseFailed(err, 'database transaction failed; retrying the batch');
      return;
    }
    databaseWorked();
    if (result.kind === 'fenced') {
      metrics.transactions.inc({ result: 'fenced' });
      logger.warn(
        { partition, expected: String(o.expected), stored: String(result.stored) },
        'another instance moved the partition on; reading from the stored offset',
      );
      owned.delete(partition);
      return;
    }
    metrics.transactions.inc({ result: 'committed' });
    metrics.rowsWritten.inc({ table: 'candles' }, result.rows);
    o.expected = next;
    payload.resolveOffset(batch.lastOffset());
    metrics.lag.set({ topic, partition: String(partition) }, Math.max(0, Number(BigInt(batch.highWatermark) - next)));
    metrics.batchDuration.observe((now() - started) / 1000);
    // For lag tools only: the database is the source of truth.
    void consumer!.commitOffsets([{ topic, partition, offset: String(next) }]).catch(() => undefined);
  }

  /** Until the schema is current: the database may come up after the sink. */
  async function migrateWhenReachable() {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        const ran = await migrate(db, logger);
        databaseWorked();
        logger.info({ migrations: ran }, ran.length > 0 ? 'database schema migrated' : 'database schema current');
        return;
      } catch (err) {
        await databaseFailed(err, 'cannot migrate the database schema; retrying');
      }
    }
  }

  return {
    /** In the group and the consumer alive. */
    kafkaReady: () => joined && !crashed,
    databaseReady: () => databaseUp,

    async start(ctx: { fail: (err: Error) => void } = { fail: () => undefined }) {
      fail = ctx.fail;
      await migrateWhenReachable();
      if (stopped) return;
      // Readiness follows the database while no batch comes.
      pinger = setInterval(() => {
        db.query('SELECT 1').then(databaseWorked, (err: unknown) => {
          databaseUp = false;
          metrics.databaseUp.set(0);
          logger.debug({ err: { message: (err as Error).message } }, 'database ping failed');
        });
      }, 5_000);
      consumer = kafka.consumer({
        groupId: group,
        readUncommitted: false,
        maxBytesPerPartition: options.maxBytesPerPartition,
        sessionTimeout: options.sessionTimeoutMs,
        heartbeatInterval: Math.max(500, Math.floor(options.sessionTimeoutMs / 10)),
      });
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        joined = true;
        const mine = new Set(payload.memberAssignment[topic] ?? []);
        logger.info({ partitions: [...mine].sort((x, y) => x - y) }, 'joined the consumer group');
        // Every partition's position is read from the database again: another instance may have written in between.
        generation++;
        for (const p of [...owned.keys()]) {
          owned.delete(p);
          if (!mine.has(p)) metrics.lag.remove({ topic, partition: String(p) });
        }
      });
      onConsumerGaveUp(consumer, logger, (err) => {
        crashed = true;
        fail(err);
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
    },

    /** Finishes the batch in hand, leaves the group, closes the database pool. */
    async stop() {
      stopped = true;
      clearInterval(pinger);
      await consumer?.disconnect();
      await db.end();
    },
  };
}

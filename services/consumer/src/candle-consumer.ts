import { setTimeout as sleep } from 'node:timers/promises';
import {
  backoffDelay,
  groupConsumer,
  boundedLabel,
  retry,
  worthLogging,
  type Candle,
  type Codec,
  type Interval,
  type Logger,
  type ReaderCodec,
  type TradeValue,
} from '@tickerflow/common';
import { Partitioners, type Admin, type Consumer, type EachBatchPayload, type Kafka, type Producer } from 'kafkajs';
import type { ConsumerMetrics } from './metrics.js';
import {
  createPartitionProcessor,
  decodeCheckpoint,
  encodeCheckpoint,
  type BatchOutput,
  type Checkpoint,
  type InputRecord,
  type PartitionProcessor,
} from './partition-processor.js';
import { deadLetterRecord, fitDeadLetter } from './dead-letter.js';
import { chunkBySize, type SizedMessage } from './chunks.js';

export interface CandleConsumerOptions {
  tradesTopic: string;
  candlesTopic: string;
  deadLetterTopic: string;
  group: string;
  intervals: readonly Interval[];
  allowedLatenessMs: number;
  /** A trade or watermark this far ahead of its record's Kafka timestamp is a dead letter. */
  maxEventTimeAheadMs: number;
  /** Where a new consumer group starts. */
  startFrom: 'earliest' | 'latest';
  maxBytesPerPartition: number;
  partitionsConcurrently: number;
  sessionTimeoutMs: number;
  /** Distinct symbols labelled in per-symbol metrics; the rest count as `_other`. */
  symbolLabelsMax: number;
}

/** kafkajs marks broker errors worth retrying; its own wrappers carry the broker's error as `cause`. */
export function kafkajsRetriable(err: unknown): boolean {
  let e = err as { retriable?: boolean; cause?: unknown; name?: string } | undefined;
  while (e?.cause) e = e.cause;
  return (
    e?.retriable === true || e?.name === 'KafkaJSNumberOfRetriesExceeded' || e?.name === 'KafkaJSConnectionError' || e?.name === 'KafkaJSRequestTimeoutError'
  );
}

/** A request that overlapped the previous transaction's completion: the Java client retries it within the transaction too. */
const concurrentTransactions = (err: unknown) => (err as { type?: string }).type === 'CONCURRENT_TRANSACTIONS';

/** Bytes per produce request of a transaction: well under the brokers' default 1 MiB record batch limit. */
const SEND_BUDGET_BYTES = 512 * 1024;

interface Assigned {
  processor: PartitionProcessor;
  /** Transactional producer of this input partition: a new owner fences the old one. */
  producer: Producer;
  /** Offset of the last committed checkpoint. */
  committed: number;
  /** Set until the first batch from the rebuild position arrives. */
  seekingTo?: number;
  /** Seeks made for it: a visible record may start after the seek offset (transaction markers), so the second seek is the last. */
  seeks: number;
  /** The group generation it was taken in: after a rebalance it is taken over afresh. */
  generation: number;
}

/**
 * The exactly-once loop. Each input partition has its own transactional id
 * (`<group>-<topic>-<partition>`), so whichever instance takes a partition
 * over fences the previous owner before reading its committed offset; every
 * batch's candles, dead letters and input offset (with the rebuild
 * checkpoint in its metadata) commit in one transaction.
 */
export function createCandleConsumer(
  options: CandleConsumerOptions,
  deps: { kafka: Kafka; tradeCodec: ReaderCodec<TradeValue>; candleCodec: Codec<Candle>; metrics: ConsumerMetrics; logger: Logger; now?: () => number },
) {
  /** Set by start(): ends the process (non-zero) when the consumer cannot go on. */
  let fail: (err: Error) => void = () => undefined;
  /** Per partition, failed takeovers, schema look-ups or transactions in a row: the next attempt waits a jittered, growing delay. */
  const failures = new Map<number, number>();
  const retryDelay = (failed: number) => backoffDelay(failed - 1, { initialMs: 200, maxMs: 10_000 });

  /** Counts a failure of the partition's batch (it comes back at once), logs the first and every tenth, and returns how many in a row. */
  function partitionFailed(partition: number, err: unknown, what: string): number {
    const failed = (failures.get(partition) ?? 0) + 1;
    failures.set(partition, failed);
    lastBatchFailed = true;
    if (worthLogging(failed)) logger.warn({ partition, err, failuresInARow: failed }, what);
    return failed;
  }
  /** The DLQ topic's max.message.bytes (read at start); a dead letter beyond it loses its value. */
  let dlqMaxBytes = 1024 * 1024;
  const { kafka, metrics, logger } = deps;
  const now = deps.now ?? Date.now;
  const topic = options.tradesTopic;
  const assigned = new Map<number, Assigned>();
  let consumer: Consumer | undefined;
  let admin: Admin | undefined;
  let joined = false;
  let crashed = false;
  /** The last batch failed (a transaction, a takeover, the registry): not ready until one commits. */
  let lastBatchFailed = false;
  let generation = 0;
  const lateSymbol = boundedLabel(options.symbolLabelsMax);
  for (const i of options.intervals) metrics.candlesEmitted.inc({ interval: i.name }, 0);

  async function release(partition: number) {
    const a = assigned.get(partition);
    assigned.delete(partition);
    metrics.lag.remove({ topic, partition: String(partition) });
    metrics.watermark.remove({ topic, partition: String(partition) });
    metrics.assignedPartitions.set(assigned.size);
    await a?.producer.disconnect().catch(() => undefined);
  }

  /** Takes a partition over: fence the previous owner, read its checkpoint, seek to the rebuild start. */
  async function acquire(partition: number, firstOffset: number): Promise<Assigned> {
    const takenIn = generation;
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      transactionalId: `${options.group}-${topic}-${partition}`,
      maxInFlightRequests: 1,
      idempotent: true,
      transactionTimeout: 60_000,
    });
    let checkpoint: Checkpoint;
    try {
      await producer.connect();
      // InitProducerId: bumps the epoch (the old owner's writes now fail) and ends its open transaction.
      await (await producer.transaction()).abort();
      const [offsets] = await admin!.fetchOffsets({ groupId: options.group, topics: [topic] });
      const committed = offsets?.partitions.find((p) => p.partition === partition);
      checkpoint =
        committed && Number(committed.offset) >= 0
          ? decodeCheckpoint(Number(committed.offset), committed.metadata)
          : { offset: firstOffset, replayFrom: firstOffset, watermark: -Infinity };
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
    const a: Assigned = {
      generation: takenIn,
      seeks: 0,
      producer,
      committed: checkpoint.offset,
      processor: createPartitionProcessor(checkpoint, {
        intervals: options.intervals,
        allowedLatenessMs: options.allowedLatenessMs,
        codec: deps.tradeCodec,
        maxAheadMs: options.maxEventTimeAheadMs,
      }),
    };
    if (checkpoint.replayFrom !== firstOffset) a.seekingTo = checkpoint.replayFrom;
    if (checkpoint.replayFrom < checkpoint.offset) metrics.rebuilds.inc();
    assigned.set(partition, a);
    metrics.assignedPartitions.set(assigned.size);
    logger.info(
      { partition, checkpoint: { ...checkpoint, watermark: Number.isFinite(checkpoint.watermark) ? checkpoint.watermark : null } },
      'partition acquired',
    );
    return a;
  }

  async function commit(partition: number, a: Assigned, out: BatchOutput, records: readonly InputRecord[]) {
    const checkpoint = out.checkpoint!;
    const tx = await a.producer.transaction();
    try {
      // In requests within the brokers' limits: a backlog of poison records must not make one request too large to ever commit.
      const candles: SizedMessage[] = out.candles.map((c) => ({ key: c.symbol, value: deps.candleCodec.encode(c) }));
      for (const messages of chunkBySize(candles, SEND_BUDGET_BYTES)) await tx.send({ topic: options.candlesTopic, messages });
      const deadLetters = out.deadLetters.map((d) => fitDeadLetter(deadLetterRecord(d, topic, partition), dlqMaxBytes));
      for (const messages of chunkBySize(deadLetters, Math.min(SEND_BUDGET_BYTES, dlqMaxBytes))) await tx.send({ topic: options.deadLetterTopic, messages });
      await retry(
        () =>
          tx.sendOffsets({
            consumerGroupId: options.group,
            topics: [
              {
                topic,
                partitions: [{ partition, offset: String(checkpoint.offset), metadata: encodeCheckpoint(checkpoint) } as { partition: number; offset: string }],
              },
            ],
          }),
        { initialMs: 20, maxMs: 1000, attempts: 20, retriable: concurrentTransactions },
      );
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      metrics.transactions.inc({ result: 'aborted' });
      throw err;
    }
    metrics.transactions.inc({ result: 'committed' });
    lastBatchFailed = false;
    a.committed = checkpoint.offset;
    metrics.recordsConsumed.inc({ kind: 'trade' }, out.trades);
    metrics.recordsConsumed.inc({ kind: 'watermark' }, out.watermarks);
    metrics.recordsConsumed.inc({ kind: 'invalid' }, out.deadLetters.length);
    for (const d of out.deadLetters) metrics.deadLetters.inc({ reason: d.error.reason });
    for (const c of out.candles) metrics.candlesEmitted.inc({ interval: c.interval });
    for (const l of out.late) metrics.lateTrades.inc({ symbol: lateSymbol(l.symbol), interval: l.interval });
    const last = records[records.length - 1];
    if (last?.timestamp !== undefined) metrics.recordLatency.observe(Math.max(0, now() - last.timestamp) / 1000);
  }

  /**
   * Ownership: the partition's state for this batch, taken over afresh after
   * a rebalance (fence the previous owner, read its checkpoint) and moved to
   * the rebuild start. Undefined when this batch is not to be processed
   * (a takeover failed and backs off, or a seek was made).
   */
  async function own(payload: EachBatchPayload): Promise<Assigned | undefined> {
    const { partition } = payload.batch;
    let a = assigned.get(partition);
    if (a && a.generation !== generation) {
      await release(partition);
      a = undefined;
    }
    if (!a) {
      const failed = failures.get(partition) ?? 0;
      if (failed > 0) {
        // The same batch comes back at once after a failure: wait before trying again.
        await sleep(retryDelay(failed));
        if (!payload.isRunning() || payload.isStale()) return undefined;
        await payload.heartbeat();
      }
      try {
        a = await acquire(partition, Number(payload.batch.firstOffset()));
      } catch (err) {
        if (!kafkajsRetriable(err)) {
          // Retrying cannot help (ACLs refusing the transactional id, a broker's transaction.max.timeout.ms below ours).
          fail(new Error(`cannot take over partition ${partition}: ${(err as Error).message}`, { cause: err }));
          throw err;
        }
        partitionFailed(partition, err, 'taking over the partition failed; retrying with backoff');
        return undefined;
      }
    }
    return (await seekToRebuildStart(partition, a, Number(payload.batch.firstOffset()))) ? undefined : a;
  }

  /** Seeks back to where the open windows' input starts, if this batch starts after it; true when a seek was made. */
  async function seekToRebuildStart(partition: number, a: Assigned, first: number): Promise<boolean> {
    if (a.seekingTo === undefined) return false;
    if (first > a.seekingTo) {
      const earliest = Number((await admin!.fetchTopicOffsets(topic)).find((p) => p.partition === partition)?.low ?? 0);
      if (earliest > a.seekingTo) {
        // Retention deleted part of what the open windows need: rebuild from what is left.
        logger.warn({ partition, wanted: a.seekingTo, earliest }, 'input needed for the rebuild is gone; open windows rebuilt from the earliest record left');
        a.seekingTo = earliest;
      }
      if (first > a.seekingTo && a.seeks < 2) {
        a.seeks++;
        consumer!.seek({ topic, partition, offset: String(a.seekingTo) });
        return true;
      }
    }
    a.seekingTo = undefined;
    return false;
  }

  /**
   * Commit: the batch's output and input offset in one transaction, when the
   * checkpoint moved. False when it failed: the state is dropped and, if the
   * partition is still ours, the next batch rebuilds from the checkpoint.
   */
  async function commitIfAdvanced(partition: number, a: Assigned, out: BatchOutput, records: readonly InputRecord[]): Promise<boolean> {
    if (!out.checkpoint || out.checkpoint.offset <= a.committed) return true;
    try {
      await commit(partition, a, out, records);
    } catch (err) {
      // Fenced (the partition moved) or the broker failed.
      partitionFailed(partition, err, 'transaction failed; partition state dropped, retrying with backoff');
      await release(partition);
      return false;
    }
    failures.delete(partition);
    return true;
  }

  async function eachBatch(payload: EachBatchPayload) {
    const { batch } = payload;
    const { partition } = batch;
    if (batch.isEmpty() || !payload.isRunning() || payload.isStale()) return;
    const started = now();
    const a = await own(payload);
    if (!a) return;
    const records: InputRecord[] = batch.messages.map((m) => ({
      offset: Number(m.offset),
      key: m.key,
      value: m.value,
      headers: m.headers,
      timestamp: Number(m.timestamp),
    }));
    try {
      // Writer schemas of Confluent-framed records, from the registry (cached).
      await deps.tradeCodec.prepare(records.map((r) => r.value));
    } catch (err) {
      await sleep(retryDelay(partitionFailed(partition, err, 'cannot read writer schemas from the registry; retrying the batch')));
      return;
    }
    let out: BatchOutput;
    try {
      out = a.processor.process(records);
    } catch (err) {
      // Not bad input (that goes to the DLQ) but a bug: the state may be half-applied, so it is rebuilt.
      logger.error({ partition, err }, 'processing failed; partition state dropped');
      await release(partition);
      return;
    }
    metrics.recordsReplayed.inc(out.replayed);
    if (!(await commitIfAdvanced(partition, a, out, records))) return;
    // Moves kafkajs's fetch position on (offsets are committed by the transaction, not by kafkajs).
    payload.resolveOffset(batch.lastOffset());
    metrics.lag.set({ topic, partition: String(partition) }, Math.max(0, Number(batch.highWatermark) - a.committed));
    const wm = a.processor.aggregator.watermark();
    if (Number.isFinite(wm)) metrics.watermark.set({ topic, partition: String(partition) }, wm / 1000);
    metrics.batchDuration.observe((now() - started) / 1000);
  }

  return {
    /** In the group, not crashed, and the last transaction went through (e.g. the output topics exist). */
    ready: () => joined && !crashed && !lastBatchFailed,

    async start(ctx: { fail: (err: Error) => void } = { fail: () => undefined }) {
      fail = ctx.fail;
      admin = kafka.admin();
      await admin.connect();
      dlqMaxBytes = await topicMaxMessageBytes(admin, options.deadLetterTopic, dlqMaxBytes);
      consumer = groupConsumer(
        kafka,
        {
          group: options.group,
          topic,
          maxBytesPerPartition: options.maxBytesPerPartition,
          maxBytes: Math.max(10 * 1024 * 1024, options.maxBytesPerPartition * options.partitionsConcurrently),
          sessionTimeoutMs: options.sessionTimeoutMs,
        },
        logger,
        {
          joined: (mine) => {
            joined = true;
            // Every partition is taken over afresh after a rebalance: even one we keep may
            // have been committed by another owner in between. Partitions we lost go now; the
            // ones we keep are rebuilt from their checkpoint at their next batch (one may be in hand).
            generation++;
            for (const p of [...assigned.keys()]) if (!mine.has(p)) void release(p);
          },
          gaveUp: (err) => {
            crashed = true;
            fail(err);
          },
        },
      );
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: options.startFrom === 'earliest' });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConcurrently,
        eachBatch,
      });
    },

    /** Finishes the batch in hand, leaves the group, closes the producers. */
    async stop() {
      await consumer?.disconnect();
      await Promise.all([...assigned.keys()].map((p) => release(p)));
      await admin?.disconnect();
    },
  };
}

/** A topic's max.message.bytes, or `fallback` when it cannot be read (the topic is missing: the transaction will say so). */
async function topicMaxMessageBytes(admin: Admin, topic: string, fallback: number): Promise<number> {
  try {
    const { resources } = await admin.describeConfigs({
      resources: [{ type: 2 /* TOPIC */, name: topic, configNames: ['max.message.bytes'] }],
      includeSynonyms: false,
    });
    const value = Number(resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

import Denque from 'denque';
import { backoffDelay, tradeSizeProblem, worthLogging, WATERMARK_HEADER, type Logger, type Trade } from '@tickerflow/common';

/** What the writer needs of a Kafka producer: one acks=all request, resolved once acknowledged. */
export interface RecordSender {
  /**
   * Sends one produce request. Rejects with a ProduceError saying what became
   * of each record when the broker answered for some partitions; any other
   * rejection means nothing is known written.
   */
  send(topic: string, messages: readonly OutgoingRecord[]): Promise<void>;
}

/** A trade (key and value) or a watermark record (explicit partition, header only). */
export interface OutgoingRecord {
  key?: Buffer;
  value?: Buffer;
  partition?: number;
  headers?: Map<Buffer, Buffer>;
}

/**
 * What became of one record of a failed request: written, not written but
 * worth sending again, or refused by the broker for what it is (too large,
 * invalid): such a record is never accepted however often it is sent.
 */
export type RecordOutcome = { status: 'written' } | { status: 'retry' } | { status: 'rejected'; partition: number; error: string };

export class ProduceError extends Error {
  override readonly name = 'ProduceError';
  constructor(
    message: string,
    /** Per record of the request, in order. */
    readonly outcomes: readonly RecordOutcome[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * What a buffered record costs beyond its key and value bytes (two Buffer
 * objects and an entry), so the bound reflects memory, not payload alone.
 */
export const RECORD_OVERHEAD_BYTES = 256;

export type DropReason = 'buffer_full' | 'oversized' | 'rejected' | 'shutdown';
export const dropReasons: readonly DropReason[] = ['buffer_full', 'oversized', 'rejected', 'shutdown'];

export interface TradeWriterOptions {
  topic: string;
  /** Memory held for trades while Kafka is slow or away (payload plus per-record overhead); beyond it new trades are dropped and counted. */
  maxBufferBytes: number;
  /** Records per produce request. */
  maxBatchRecords: number;
  /** A send that takes longer than this marks Kafka as not ready. */
  stuckAfterMs: number;
  /** Delay before sending again after a request that made no progress. */
  retry?: { initialMs: number; maxMs: number };
}

export interface WriterEvents {
  /** A batch was acknowledged: when each of its trades was received, and its exchange time (watermark records excluded). */
  produced(trades: readonly { receivedAt: number; timestamp: number }[], ackedAt: number): void;
  dropped(count: number, reason: DropReason): void;
  produceError(err: Error): void;
}

/** A buffered record and the writer's bookkeeping about it (kept apart: only `record` goes to Kafka). */
interface Pending {
  record: OutgoingRecord;
  bytes: number;
  receivedAt: number;
  timestamp: number;
  watermark?: true;
  /** Sent again after its partition's batch was refused: it may be the record the broker refuses. */
  suspect?: boolean;
}

/**
 * A bounded, ordered buffer in front of the Kafka producer. One produce
 * request is in flight at a time (so per-symbol order holds and the
 * idempotent producer keeps its sequence numbers); while it is, new trades
 * accumulate and go together in the next request, so batches grow with load.
 *
 * A record leaves the buffer (and its memory is freed) when Kafka
 * acknowledges it. When a request fails, only what the broker did not write
 * goes back to the head, so nothing acknowledged is ever sent twice. A record
 * the broker refuses for what it is (too large for the topic, invalid) is
 * isolated by halving the request size until it travels alone with its
 * partition, then dropped and counted; the stream goes on behind it.
 */
export function createTradeWriter(
  opts: TradeWriterOptions,
  deps: { sender: RecordSender; encode: (trade: Trade, receivedAt: number) => Buffer; events: WriterEvents; logger: Logger; now?: () => number },
) {
  const now = deps.now ?? Date.now;
  const retry = opts.retry ?? { initialMs: 100, maxMs: 5_000 };
  const queue = new Denque<Pending>();
  let inFlight: Pending[] = [];
  let inFlightSince: number | undefined;
  let bufferedBytes = 0;
  let lastSendFailed = false;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let abandoned = false;
  // Request size: halved while isolating a refused record, doubled back after each clean request.
  let batchCap = opts.maxBatchRecords;
  let suspects = 0;
  let idle: (() => void)[] = [];
  const dropLog = new Map<DropReason, { count: number; loggedAt: number }>();

  function drop(count: number, reason: DropReason, detail?: Record<string, unknown>) {
    if (count === 0) return;
    deps.events.dropped(count, reason);
    // Logged at most every 10 s per reason, with how many since the last line.
    const entry = dropLog.get(reason) ?? { count: 0, loggedAt: -Infinity };
    entry.count += count;
    if (now() - entry.loggedAt >= 10_000) {
      deps.logger.error({ reason, dropped: entry.count, ...detail, bufferedBytes, maxBufferBytes: opts.maxBufferBytes }, `dropping trades: ${reason}`);
      entry.count = 0;
      entry.loggedAt = now();
    }
    dropLog.set(reason, entry);
  }

  /** Records that left the buffer: written, or dropped. */
  function release(batch: readonly Pending[]) {
    for (const p of batch) {
      bufferedBytes -= p.bytes;
      if (p.suspect) suspects--;
    }
  }

  /** The refused record was found: the others sent again with it are no longer suspect. */
  function clearSuspects() {
    for (let i = 0; i < queue.length && suspects > 0; i++) {
      const p = queue.peekAt(i)!;
      if (p.suspect) {
        p.suspect = false;
        suspects--;
      }
    }
  }

  function pump() {
    if (abandoned || inFlightSince !== undefined || retryTimer !== undefined) return;
    if (queue.length === 0) {
      for (const resolve of idle) resolve();
      idle = [];
      return;
    }
    const batch: Pending[] = [];
    const size = Math.min(batchCap, queue.length);
    for (let i = 0; i < size; i++) batch.push(queue.shift()!);
    inFlight = batch;
    inFlightSince = now();
    deps.sender
      .send(
        opts.topic,
        batch.map((p) => p.record),
      )
      .then(
        () => settle(batch, undefined),
        (err: Error) => settle(batch, err),
      )
      .finally(() => {
        inFlight = [];
        inFlightSince = undefined;
        pump();
      });
  }

  function settle(batch: Pending[], err: Error | undefined) {
    if (abandoned) return; // counted as dropped at shutdown
    const ackedAt = now();
    if (!err) {
      release(batch);
      lastSendFailed = false;
      failures = 0;
      if (suspects === 0) batchCap = Math.min(opts.maxBatchRecords, batchCap * 2);
      deps.events.produced(
        batch.filter((p) => !p.watermark),
        ackedAt,
      );
      return;
    }
    lastSendFailed = true;
    deps.events.produceError(err);
    const outcomes = err instanceof ProduceError && err.outcomes.length === batch.length ? err.outcomes : undefined;
    const outcome = (i: number): RecordOutcome => outcomes?.[i] ?? { status: 'retry' };
    // A refused record alone with its partition is refused for itself: it can never be written.
    const refusedPerPartition = new Map<number, number>();
    batch.forEach((_, i) => {
      const o = outcome(i);
      if (o.status === 'rejected') refusedPerPartition.set(o.partition, (refusedPerPartition.get(o.partition) ?? 0) + 1);
    });
    const written: Pending[] = [];
    const again: Pending[] = [];
    let largestGroup = 0;
    let found = false;
    batch.forEach((p, i) => {
      const o = outcome(i);
      if (o.status === 'written') written.push(p);
      else if (o.status === 'retry') again.push(p);
      else if (refusedPerPartition.get(o.partition) === 1) {
        release([p]);
        found = true;
        if (!p.watermark) drop(1, 'rejected', { kafkaError: o.error, partition: o.partition });
      } else {
        if (!p.suspect) suspects++;
        p.suspect = true;
        again.push(p);
        largestGroup = Math.max(largestGroup, refusedPerPartition.get(o.partition)!);
      }
    });
    release(written);
    deps.events.produced(
      written.filter((p) => !p.watermark),
      ackedAt,
    );
    if (largestGroup > 0) batchCap = Math.ceil(largestGroup / 2);
    // Back to the head, in their original order, ahead of everything newer.
    for (let i = again.length - 1; i >= 0; i--) queue.unshift(again[i]!);
    if (found && largestGroup === 0) {
      clearSuspects();
      batchCap = opts.maxBatchRecords;
    }
    // Something was written or dropped, or the request shrank to isolate a refused record: go on at once.
    const progress = again.length < batch.length || largestGroup > 0;
    if (progress) {
      failures = 0;
      deps.logger.warn({ err, written: written.length, again: again.length }, 'produce request partly failed; sending the rest again');
      return;
    }
    const delay = backoffDelay(failures++, { initialMs: retry.initialMs, maxMs: retry.maxMs });
    if (worthLogging(failures)) deps.logger.warn({ err, failures, retryInMs: delay }, 'produce failed; retrying');
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      pump();
    }, delay);
  }

  function tradesLeft(): number {
    let left = 0;
    for (const p of inFlight) if (!p.watermark) left++;
    for (let i = 0; i < queue.length; i++) if (!queue.peekAt(i)!.watermark) left++;
    return left;
  }

  function enqueue(p: Pending) {
    bufferedBytes += p.bytes;
    queue.push(p);
  }

  return {
    write(trades: readonly Trade[], receivedAt: number) {
      let full = 0;
      for (const trade of trades) {
        // A full buffer drops before spending time on encoding.
        if (bufferedBytes + RECORD_OVERHEAD_BYTES > opts.maxBufferBytes) {
          full++;
          continue;
        }
        const problem = tradeSizeProblem(trade);
        if (problem) {
          drop(1, 'oversized', { problem });
          continue;
        }
        const key = Buffer.from(trade.symbol, 'utf8');
        const value = deps.encode(trade, receivedAt);
        const bytes = key.length + value.length + RECORD_OVERHEAD_BYTES;
        if (bufferedBytes + bytes > opts.maxBufferBytes) {
          full++;
          continue;
        }
        enqueue({ record: { key, value }, bytes, receivedAt, timestamp: trade.timestamp });
      }
      drop(full, 'buffer_full');
      pump();
    },
    /**
     * Queues a watermark record for every partition: behind the trades already
     * buffered, so it never overtakes a trade received before `time`.
     */
    writeWatermarks(time: number, partitions: number) {
      const value = Buffer.from(String(time));
      const name = Buffer.from(WATERMARK_HEADER);
      for (let partition = 0; partition < partitions; partition++) {
        if (bufferedBytes + RECORD_OVERHEAD_BYTES > opts.maxBufferBytes) return;
        enqueue({ record: { partition, headers: new Map([[name, value]]) }, bytes: RECORD_OVERHEAD_BYTES, receivedAt: time, timestamp: time, watermark: true });
      }
      pump();
    },
    /** Bytes held for records not yet acknowledged (queued and in flight). */
    bufferedBytes: () => bufferedBytes,
    bufferedRecords: () => queue.length + inFlight.length,
    /** Kafka is taking our writes: no failed request outstanding and none stuck. */
    ready: () => !lastSendFailed && (inFlightSince === undefined || now() - inFlightSince < opts.stuckAfterMs),
    /** Resolves once everything buffered is acknowledged, or after timeoutMs; returns how many trades are left. */
    async flush(timeoutMs: number): Promise<number> {
      if (queue.length > 0 || inFlightSince !== undefined) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([new Promise<void>((resolve) => idle.push(resolve)), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
        clearTimeout(timer);
      }
      return tradesLeft();
    },
    /**
     * Shutdown: what is still unacknowledged is counted as dropped, and no more
     * is sent. `inFlight` of them were in a request whose outcome is unknown:
     * the broker may have written them.
     */
    abandon(): { left: number; inFlight: number } {
      abandoned = true;
      clearTimeout(retryTimer);
      const left = tradesLeft();
      const inFlightTrades = inFlight.filter((p) => !p.watermark).length;
      queue.clear();
      drop(left, 'shutdown');
      return { left, inFlight: inFlightTrades };
    },
  };
}

export type TradeWriter = ReturnType<typeof createTradeWriter>;

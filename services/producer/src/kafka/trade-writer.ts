import { WATERMARK_HEADER, type Logger, type Trade } from '@tickerflow/common';
/** What the writer needs of a Kafka producer: one acks=all request, resolved once acknowledged. */
export interface RecordSender {
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
 * What a buffered record costs beyond its key and value bytes (two Buffer
 * objects and an entry), so the bound reflects memory, not payload alone.
 */
export const RECORD_OVERHEAD_BYTES = 256;

export interface TradeWriterOptions {
  topic: string;
  /** Memory held for trades while Kafka is slow or away (payload plus per-record overhead); beyond it new trades are dropped and counted. */
  maxBufferBytes: number;
  /** Records per produce request. */
  maxBatchRecords: number;
  /** A send that takes longer than this marks Kafka as not ready. */
  stuckAfterMs: number;
}

export interface WriterEvents {
  /** A batch was acknowledged: when each of its trades was received, and its exchange time (watermark records excluded). */
  produced(trades: readonly { receivedAt: number; timestamp: number }[], ackedAt: number): void;
  dropped(count: number, reason: 'buffer_full'): void;
  produceError(err: Error): void;
}

/** A buffered record and the writer's bookkeeping about it (kept apart: only `record` goes to Kafka). */
interface Pending {
  record: OutgoingRecord;
  bytes: number;
  receivedAt: number;
  timestamp: number;
  watermark?: true;
}

/**
 * A bounded, ordered buffer in front of the Kafka producer. One produce
 * request is in flight at a time (so per-symbol order holds and the
 * idempotent producer keeps its sequence numbers); while it is, new trades
 * accumulate and go together in the next request, so batches grow with load.
 * A request that fails is sent again from the head of the buffer.
 */
export function createTradeWriter(
  opts: TradeWriterOptions,
  deps: { sender: RecordSender; encode: (trade: Trade, receivedAt: number) => Buffer; events: WriterEvents; logger: Logger; now?: () => number },
) {
  const now = deps.now ?? Date.now;
  const queue: Pending[] = [];
  let head = 0;
  let bufferedBytes = 0;
  let inFlightSince: number | undefined;
  let lastSendFailed = false;
  let idle: (() => void)[] = [];
  let droppedSinceLog = 0;
  let lastDropLog = 0;

  function pump() {
    if (inFlightSince !== undefined) return;
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
      for (const resolve of idle) resolve();
      idle = [];
      return;
    }
    const batch = queue.slice(head, head + opts.maxBatchRecords);
    inFlightSince = now();
    deps.sender
      .send(
        opts.topic,
        batch.map((p) => p.record),
      )
      .then(
        () => {
          const ackedAt = now();
          head += batch.length;
          for (const p of batch) bufferedBytes -= p.bytes;
          lastSendFailed = false;
          deps.events.produced(
            batch.filter((p) => !p.watermark),
            ackedAt,
          );
        },
        (err: Error) => {
          // Not acknowledged: the batch stays at the head and is sent again.
          lastSendFailed = true;
          deps.events.produceError(err);
          deps.logger.warn({ err: { name: err.name, message: err.message } }, 'produce failed; retrying');
          return new Promise<void>((resolve) => setTimeout(resolve, 500));
        },
      )
      .finally(() => {
        inFlightSince = undefined;
        pump();
      });
  }

  return {
    write(trades: readonly Trade[], receivedAt: number) {
      let dropped = 0;
      for (const trade of trades) {
        // A full buffer drops before spending time on encoding.
        if (bufferedBytes + RECORD_OVERHEAD_BYTES > opts.maxBufferBytes) {
          dropped++;
          continue;
        }
        const key = Buffer.from(trade.symbol, 'utf8');
        const value = deps.encode(trade, receivedAt);
        const bytes = key.length + value.length + RECORD_OVERHEAD_BYTES;
        if (bufferedBytes + bytes > opts.maxBufferBytes) {
          dropped++;
          continue;
        }
        bufferedBytes += bytes;
        queue.push({ record: { key, value }, bytes, receivedAt, timestamp: trade.timestamp });
      }
      if (dropped > 0) {
        deps.events.dropped(dropped, 'buffer_full');
        droppedSinceLog += dropped;
        if (now() - lastDropLog > 10_000) {
          deps.logger.error({ dropped: droppedSinceLog, bufferedBytes, maxBufferBytes: opts.maxBufferBytes }, 'buffer full: dropping trades');
          droppedSinceLog = 0;
          lastDropLog = now();
        }
      }
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
        bufferedBytes += RECORD_OVERHEAD_BYTES;
        queue.push({ record: { partition, headers: new Map([[name, value]]) }, bytes: RECORD_OVERHEAD_BYTES, receivedAt: time, timestamp: time, watermark: true });
      }
      pump();
    },
    bufferedBytes: () => bufferedBytes,
    bufferedRecords: () => queue.length - head,
    /** Kafka is taking our writes: no failed request outstanding and none stuck. */
    ready: () => !lastSendFailed && (inFlightSince === undefined || now() - inFlightSince < opts.stuckAfterMs),
    /** Resolves once everything buffered is acknowledged, or after timeoutMs; returns what is left. */
    async flush(timeoutMs: number): Promise<number> {
      if (queue.length - head > 0 || inFlightSince !== undefined) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => idle.push(resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
        ]);
        clearTimeout(timer);
      }
      return queue.length - head;
    },
  };
}

export type TradeWriter = ReturnType<typeof createTradeWriter>;

import { createCandleAggregator, InvalidRecordError, readTradesTopicRecord, type Candle, type Codec, type Interval, type TradeValue } from '@tickerflow/common';

/** A record of the trades topic as the processor needs it (offsets as numbers). */
export interface InputRecord {
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
  /** The record's Kafka timestamp, epoch ms. */
  timestamp?: number;
}

export type TradeCodec = Codec<TradeValue>;

/** Where a partition's processing stood at its last committed transaction (in the offset's metadata). */
export interface Checkpoint {
  /** Next offset to process: everything before it has its output committed. */
  offset: number;
  /** Earliest offset an open window depends on: the rebuild starts here. */
  replayFrom: number;
  /** The watermark when it was committed. */
  watermark: number;
}

export interface DeadLetter {
  record: InputRecord;
  error: InvalidRecordError;
}

export interface BatchOutput {
  candles: Candle[];
  deadLetters: DeadLetter[];
  late: { symbol: string; interval: string }[];
  trades: number;
  watermarks: number;
  /** Records read again to rebuild open windows (nothing emitted for them). */
  replayed: number;
  /** What to commit with this output; undefined while the rebuild has not caught up. */
  checkpoint?: Checkpoint;
}

const CHECKPOINT_VERSION = 1;

export function encodeCheckpoint(c: Checkpoint): string {
  return JSON.stringify({ v: CHECKPOINT_VERSION, replayFrom: c.replayFrom, watermark: Number.isFinite(c.watermark) ? c.watermark : null });
}

/** Reads a committed offset and its metadata; a missing or foreign metadata string means no state to rebuild. */
export function decodeCheckpoint(offset: number, metadata: string | null | undefined): Checkpoint {
  try {
    const parsed = JSON.parse(metadata ?? '') as { v?: number; replayFrom?: number; watermark?: number | null };
    if (parsed.v === CHECKPOINT_VERSION && Number.isSafeInteger(parsed.replayFrom) && parsed.replayFrom! <= offset) {
      return { offset, replayFrom: parsed.replayFrom!, watermark: parsed.watermark ?? -Infinity };
    }
  } catch {
    // Not ours (e.g. offsets reset with kafka-consumer-groups): start without open windows.
  }
  return { offset, replayFrom: offset, watermark: -Infinity };
}

/**
 * One input partition's processing: decode, aggregate, collect candles and
 * dead letters. Deterministic in the records it is given, so after a crash
 * or a move to another instance the open windows are rebuilt exactly by
 * replaying from the checkpoint's replayFrom; nothing is emitted for records
 * before the checkpoint's offset (their output was committed already).
 */
export function createPartitionProcessor(
  checkpoint: Checkpoint,
  opts: { intervals: readonly Interval[]; allowedLatenessMs: number; codec: TradeCodec; maxAheadMs?: number },
) {
  const aggregator = createCandleAggregator(opts);
  let position = checkpoint.replayFrom;
  let rebuilding = checkpoint.replayFrom < checkpoint.offset;
  if (!rebuilding) aggregator.resume(checkpoint.watermark);

  return {
    /** Next offset this processor expects. */
    position: () => position,
    rebuilding: () => rebuilding,
    aggregator,

    process(records: readonly InputRecord[]): BatchOutput {
      const out: BatchOutput = { candles: [], deadLetters: [], late: [], trades: 0, watermarks: 0, replayed: 0 };
      for (const record of records) {
        if (record.offset < position) continue; // delivered again: already applied
        if (rebuilding && record.offset >= checkpoint.offset) {
          rebuilding = false;
          aggregator.resume(checkpoint.watermark);
        }
        position = record.offset + 1;
        const emit = !rebuilding;
        if (!emit) out.replayed++;
        let parsed;
        try {
          parsed = readTradesTopicRecord(opts.codec, record, opts.maxAheadMs);
        } catch (err) {
          if (!(err instanceof InvalidRecordError)) throw err;
          if (emit) out.deadLetters.push({ record, error: err });
          continue;
        }
        let time: number;
        if (parsed.kind === 'trade') {
          const late = aggregator.add(parsed.trade, record.offset);
          if (emit) {
            out.trades++;
            for (const i of late) out.late.push({ symbol: parsed.trade.symbol, interval: i.name });
          }
          time = parsed.trade.timestamp;
        } else {
          if (emit) out.watermarks++;
          time = parsed.time;
        }
        const closed = aggregator.advance(time);
        if (emit) out.candles.push(...closed);
      }
      if (rebuilding && position >= checkpoint.offset) {
        rebuilding = false;
        aggregator.resume(checkpoint.watermark);
      }
      if (!rebuilding) {
        out.checkpoint = { offset: position, replayFrom: aggregator.replayFrom() ?? position, watermark: aggregator.watermark() };
      }
      return out;
    },
  };
}

export type PartitionProcessor = ReturnType<typeof createPartitionProcessor>;

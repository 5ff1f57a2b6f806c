import { messageBytes, type SizedMessage } from './chunks.js';
import type { DeadLetter } from './partition-processor.js';

/** Headers on every dead letter: why it failed and where it came from. */
export const DLQ_HEADERS = {
  errorClass: 'tickerflow.error.class',
  errorMessage: 'tickerflow.error.message',
  sourceTopic: 'tickerflow.source.topic',
  sourcePartition: 'tickerflow.source.partition',
  sourceOffset: 'tickerflow.source.offset',
  /** Set when the original value was left out because it alone exceeds the DLQ topic's max.message.bytes: its size. */
  valueOmitted: 'tickerflow.value.omitted.bytes',
} as const;

/** The original key, bytes and headers, plus ours. */
export function deadLetterRecord({ record, error }: DeadLetter, topic: string, partition: number) {
  const headers: Record<string, Buffer | string | (Buffer | string)[]> = {};
  for (const [name, value] of Object.entries(record.headers ?? {})) if (value !== undefined) headers[name] = value;
  headers[DLQ_HEADERS.errorClass] = error.reason;
  headers[DLQ_HEADERS.errorMessage] = error.message;
  headers[DLQ_HEADERS.sourceTopic] = topic;
  headers[DLQ_HEADERS.sourcePartition] = String(partition);
  headers[DLQ_HEADERS.sourceOffset] = String(record.offset);
  return { key: record.key, value: record.value, headers };
}

/**
 * A dead letter the DLQ topic would refuse for its size (its max.message.bytes
 * is below the trades topic's) keeps its key and headers but not its value,
 * and says how large the value was: it is still dead-lettered once.
 */
export function fitDeadLetter<M extends SizedMessage>(m: M, maxBytes: number): M {
  // Room for the record batch header.
  if (messageBytes(m) <= maxBytes - 128 || !m.value) return m;
  return { ...m, value: null, headers: { ...m.headers, [DLQ_HEADERS.valueOmitted]: String(m.value.length) } };
}

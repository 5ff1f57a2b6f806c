import type { DeadLetter } from './partition-processor.js';

/** Headers on every dead letter: why it failed and where it came from. */
export const DLQ_HEADERS = {
  errorClass: 'tickerflow.error.class',
  errorMessage: 'tickerflow.error.message',
  sourceTopic: 'tickerflow.source.topic',
  sourcePartition: 'tickerflow.source.partition',
  sourceOffset: 'tickerflow.source.offset',
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

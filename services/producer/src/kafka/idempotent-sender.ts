import type { Logger } from '@tickerflow/common';
import { Partitioners, type Kafka, type ProducerRecord, type RecordMetadata } from 'kafkajs';

/** Errors by which a broker says it no longer knows this producer's id or sequence numbers. */
const LOST_PRODUCER_STATE = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING']);

/**
 * An idempotent, acks=all kafkajs producer that survives a broker losing its
 * state (an unclean restart): kafkajs cannot recover from that on its own, so
 * a fresh producer (new id) replaces it and the failed request is left to the
 * caller to resend.
 */
export function createIdempotentSender(kafka: Kafka, logger: Logger) {
  const create = () =>
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // murmur2 of the key, as the Java client partitions: other producers agree on a symbol's partition.
      createPartitioner: Partitioners.DefaultPartitioner,
      // kafkajs retries a request itself (keeping idempotent sequence numbers) until the broker answers.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 2000 },
    });
  let producer = create();
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    async send(record: ProducerRecord): Promise<RecordMetadata[]> {
      try {
        return await producer.send(record);
      } catch (err) {
        const type = (err as { type?: string }).type ?? '';
        if (LOST_PRODUCER_STATE.has(type)) {
          logger.warn({ type }, "the broker lost this producer's state: starting a fresh idempotent producer");
          const stale = producer;
          producer = create();
          await stale.disconnect().catch(() => undefined);
          await producer.connect();
        }
        throw err;
      }
    },
  };
}

import { readFileSync } from 'node:fs';
import { compatibilityPartitioner, Producer, type SASLMechanismValue } from '@platformatic/kafka';
import type { KafkaEnv } from '@tickerflow/common';
import type { RecordSender } from './trade-writer.js';

export interface TradeSender extends RecordSender {
  /** Resolves once the brokers answer and know the topic (retrying until then). */
  connect(topic: string): Promise<void>;
  /** The topic's partition count, from fresh metadata. */
  partitions(topic: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * The trades producer: idempotent, acks=all, on @platformatic/kafka, which
 * encodes about twice as fast as kafkajs (see the README). It retries a request
 * itself until the broker answers, so an outage holds the writer's buffer
 * rather than failing it. Keys are partitioned like the Java client
 * (murmur2, positive), so every client agrees on a symbol's partition.
 */
export function createTradeSender(cfg: KafkaEnv, opts: { clientId: string; compression: 'none' | 'gzip' }): TradeSender {
  const producer = new Producer({
    clientId: cfg.KAFKA_CLIENT_ID ?? opts.clientId,
    bootstrapBrokers: cfg.KAFKA_BROKERS,
    idempotent: true,
    acks: -1,
    compression: opts.compression,
    partitioner: compatibilityPartitioner,
    autocreateTopics: false,
    retries: true,
    retryDelay: 500,
    ...(cfg.KAFKA_TLS && {
      tls: {
        rejectUnauthorized: !cfg.KAFKA_TLS_INSECURE_SKIP_VERIFY,
        ...(cfg.KAFKA_TLS_CA_FILE && { ca: readFileSync(cfg.KAFKA_TLS_CA_FILE, 'utf8') }),
      },
    }),
    ...(cfg.KAFKA_SASL_MECHANISM && {
      sasl: {
        mechanism: cfg.KAFKA_SASL_MECHANISM.toUpperCase() as SASLMechanismValue,
        username: cfg.KAFKA_SASL_USERNAME,
        password: cfg.KAFKA_SASL_PASSWORD,
      },
    }),
  });
  return {
    async connect(topic) {
      await producer.metadata({ topics: [topic] });
    },
    async partitions(topic) {
      const metadata = await producer.metadata({ topics: [topic], forceUpdate: true });
      return metadata.topics.get(topic)?.partitionsCount ?? 0;
    },
    async send(topic, messages) {
      await producer.send({ messages: messages.map((m) => ({ topic, ...m })) });
    },
    close: () => producer.close(),
  };
}

import { crossFieldChecks, env, serviceEnvSchema, kafkaEnvRefinement, kafkaEnvSchema, parseConfig, schemaRegistryEnvSchema } from '@tickerflow/common';
import { z } from 'zod';

export const consumerConfigSchema = z
  .object({
    ...serviceEnvSchema(30_000),
    ...kafkaEnvSchema,
    ...schemaRegistryEnvSchema,
    TRADES_TOPIC: env.string('finnhub.trades'),
    CANDLES_TOPIC: env.string('finnhub.candles'),
    DLQ_TOPIC: env.string('finnhub.trades.dlq'),
    CONSUMER_GROUP: env.string('tickerflow-candles'),
    CANDLE_INTERVALS: env.intervals('1m,5m'),
    ALLOWED_LATENESS: env.duration('5s'),
    // A trade or watermark this far ahead of its record's Kafka timestamp goes to the DLQ.
    MAX_EVENT_TIME_AHEAD: env.duration('1h'),
    // Where a new consumer group starts reading the trades topic.
    CONSUMER_START: z.enum(['earliest', 'latest']).default('earliest'),
    CONSUMER_MAX_BYTES_PER_PARTITION: env.int(4 * 1024 * 1024, 1024),
    // Partitions processed at once: one partition's transaction commits while another's batch is aggregated.
    CONSUMER_PARTITIONS_CONCURRENTLY: env.int(3, 1),
    CONSUMER_SESSION_TIMEOUT_MS: env.int(30_000, 1000),
    // Distinct symbols labelled in per-symbol metrics; the rest count as `_other`.
    CONSUMER_SYMBOL_LABELS_MAX: env.int(1000, 1),
  })
  .superRefine(kafkaEnvRefinement, crossFieldChecks);

export type ConsumerConfig = z.infer<typeof consumerConfigSchema>;

export const readConsumerConfig = (environment: NodeJS.ProcessEnv): Readonly<ConsumerConfig> => parseConfig(consumerConfigSchema, environment);

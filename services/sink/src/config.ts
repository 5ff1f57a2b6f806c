import {
  crossFieldChecks,
  databaseEnvRefinement,
  databaseEnvSchema,
  env,
  kafkaEnvRefinement,
  kafkaEnvSchema,
  parseConfig,
  schemaRegistryEnvSchema,
  serviceEnvSchema,
} from '@tickerflow/common';
import { z } from 'zod';

export const sinkConfigSchema = z
  .object({
    ...serviceEnvSchema(30_000),
    ...kafkaEnvSchema,
    ...schemaRegistryEnvSchema,
    ...databaseEnvSchema(true),
    CANDLES_TOPIC: env.string('finnhub.candles'),
    // The Kafka group that balances partitions between sink instances; the offsets themselves live in the database.
    SINK_GROUP: env.string('tickerflow-sink'),
    // Rows per INSERT statement (PostgreSQL allows 65535 parameters; a candle takes 11).
    SINK_INSERT_ROWS: z.coerce.number({ error: 'must be a number' }).int('must be an integer').min(1).max(5957, 'must be at most 5957').default(1000),
    // The raw trades archive: every trade of TRADES_TOPIC into the day-partitioned `trades` table.
    SINK_TRADES_ENABLED: env.bool(false),
    TRADES_TOPIC: env.string('finnhub.trades'),
    SINK_TRADES_GROUP: env.string('tickerflow-sink-trades'),
    SINK_MAX_BYTES_PER_PARTITION: env.int(1024 * 1024, 1024),
    SINK_SESSION_TIMEOUT_MS: env.int(30_000, 1000),
  })
  .superRefine(kafkaEnvRefinement, crossFieldChecks)
  .superRefine(databaseEnvRefinement, crossFieldChecks);

export type SinkConfig = z.infer<typeof sinkConfigSchema>;

export const readSinkConfig = (environment: NodeJS.ProcessEnv): Readonly<SinkConfig> => parseConfig(sinkConfigSchema, environment);

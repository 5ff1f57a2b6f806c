import { readFileSync } from 'node:fs';
import { crossFieldChecks, env, kafkaEnvRefinement, kafkaEnvSchema, parseConfig, schemaRegistryEnvSchema, serviceEnvSchema } from '@tickerflow/common';
import { z } from 'zod';

export const sinkConfigSchema = z
  .object({
    ...serviceEnvSchema(30_000),
    ...kafkaEnvSchema,
    ...schemaRegistryEnvSchema,
    CANDLES_TOPIC: env.string('finnhub.candles'),
    // The Kafka group that balances partitions between sink instances; the offsets themselves live in the database.
    SINK_GROUP: env.string('tickerflow-sink'),
    // postgres://user@host:port/database, without the password (DATABASE_PASSWORD or DATABASE_PASSWORD_FILE).
    DATABASE_URL: env.url(['postgres:', 'postgresql:']).refine((v) => new URL(v).password === '', {
      message: 'must not hold the password: set DATABASE_PASSWORD or DATABASE_PASSWORD_FILE',
    }),
    DATABASE_PASSWORD: env.optionalString(),
    DATABASE_PASSWORD_FILE: env.optionalString(),
    // disable | require (encrypted, any certificate) | verify-full (encrypted, certificate checked against DATABASE_SSL_CA_FILE or the system CAs).
    DATABASE_SSL: z.enum(['disable', 'require', 'verify-full']).default('disable'),
    DATABASE_SSL_CA_FILE: env.optionalString(),
    // Rows per INSERT statement (PostgreSQL allows 65535 parameters; a candle takes 11).
    SINK_INSERT_ROWS: env.int(1000, 1),
    SINK_MAX_BYTES_PER_PARTITION: env.int(1024 * 1024, 1024),
    SINK_SESSION_TIMEOUT_MS: env.int(30_000, 1000),
  })
  .superRefine(kafkaEnvRefinement, crossFieldChecks)
  .superRefine((cfg, ctx) => {
    if (cfg.DATABASE_PASSWORD && cfg.DATABASE_PASSWORD_FILE)
      ctx.addIssue({ code: 'custom', path: ['DATABASE_PASSWORD_FILE'], message: 'set DATABASE_PASSWORD or DATABASE_PASSWORD_FILE, not both' });
    if (cfg.DATABASE_SSL_CA_FILE && cfg.DATABASE_SSL !== 'verify-full')
      ctx.addIssue({ code: 'custom', path: ['DATABASE_SSL_CA_FILE'], message: 'is only used with DATABASE_SSL=verify-full' });
  });

export type SinkConfig = z.infer<typeof sinkConfigSchema>;

export const readSinkConfig = (environment: NodeJS.ProcessEnv): Readonly<SinkConfig> => parseConfig(sinkConfigSchema, environment);

/** The database password, from the variable or the (Secret-mounted) file; never logged. */
export function databasePassword(cfg: Pick<SinkConfig, 'DATABASE_PASSWORD' | 'DATABASE_PASSWORD_FILE'>): string | undefined {
  if (cfg.DATABASE_PASSWORD_FILE) return readFileSync(cfg.DATABASE_PASSWORD_FILE, 'utf8').trimEnd();
  return cfg.DATABASE_PASSWORD;
}

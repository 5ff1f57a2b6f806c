import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { z } from 'zod';
import type { Logger } from 'pino';
import { env } from './config.js';

/** Kafka connection settings every service reads from the environment. */
export const kafkaEnvSchema = {
  KAFKA_BROKERS: env.list(),
  KAFKA_CLIENT_ID: env.optionalString(),
  KAFKA_TLS: env.bool(false),
  KAFKA_TLS_CA_FILE: env.optionalString(),
  KAFKA_TLS_INSECURE_SKIP_VERIFY: env.bool(false),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: env.optionalString(),
  KAFKA_SASL_PASSWORD: env.optionalString(),
};

export type KafkaEnv = z.infer<z.ZodObject<typeof kafkaEnvSchema>>;

/** A SASL mechanism needs both a username and a password. */
export const kafkaEnvRefinement = (cfg: Partial<KafkaEnv>, ctx: z.RefinementCtx) => {
  if (cfg.KAFKA_SASL_MECHANISM && (!cfg.KAFKA_SASL_USERNAME || !cfg.KAFKA_SASL_PASSWORD)) {
    ctx.addIssue({ code: 'custom', path: ['KAFKA_SASL_USERNAME'], message: 'KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD' });
  }
};

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose own logs go through our logger (warnings and errors only). */
export function createKafka(cfg: KafkaEnv, clientId: string, logger: Logger): Kafka {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  const config: KafkaConfig = {
    clientId: cfg.KAFKA_CLIENT_ID ?? clientId,
    brokers: cfg.KAFKA_BROKERS,
    logLevel: logLevel.WARN,
    logCreator: () => ({ level, log }) => {
      const { message, ...extra } = log;
      kafkaLogger[levels[level] ?? 'info']({ namespace: log.namespace, error: extra.error as unknown }, message);
    },
  };
  if (cfg.KAFKA_TLS) {
    config.ssl = {
      rejectUnauthorized: !cfg.KAFKA_TLS_INSECURE_SKIP_VERIFY,
      ...(cfg.KAFKA_TLS_CA_FILE ? { ca: [readFileSync(cfg.KAFKA_TLS_CA_FILE, 'utf8')] } : {}),
    };
  }
  if (cfg.KAFKA_SASL_MECHANISM) {
    config.sasl = {
      mechanism: cfg.KAFKA_SASL_MECHANISM,
      username: cfg.KAFKA_SASL_USERNAME!,
      password: cfg.KAFKA_SASL_PASSWORD!,
    } as SASLOptions;
  }
  return new Kafka(config);
}

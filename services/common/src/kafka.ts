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

/**
 * kafkajs logs every error response of the broker at error level, also the
 * ones it retries itself (`CONCURRENT_TRANSACTIONS`, a coordinator still
 * loading); the error also reaches the caller, which retries or logs it: so
 * these are debug. What is left is said once per 30 s per message, with how
 * often it happened meanwhile, so a retry storm cannot flood the log.
 */
export function kafkajsLogLevel(level: number, message: string): 'error' | 'warn' | 'info' | 'debug' {
  if (message.startsWith('Response ')) return 'debug';
  if (message.startsWith('Restarting the consumer')) return 'warn';
  return levels[level] ?? 'info';
}

const REPEAT_WINDOW_MS = 30_000;

/** A kafkajs client whose own logs go through our logger (warnings and errors only). */
export function createKafka(cfg: KafkaEnv, clientId: string, logger: Logger, now: () => number = Date.now): Kafka {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  const repeats = new Map<string, { at: number; count: number }>();
  const config: KafkaConfig = {
    clientId: cfg.KAFKA_CLIENT_ID ?? clientId,
    brokers: cfg.KAFKA_BROKERS,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...extra } = log;
        const error = extra.error as unknown;
        const target = kafkajsLogLevel(level, message);
        if (target === 'debug') return kafkaLogger.debug({ namespace: log.namespace, error }, message);
        const key = `${message}\u0000${String(error)}`;
        const seen = repeats.get(key);
        if (seen && now() - seen.at < REPEAT_WINDOW_MS) {
          seen.count++;
          return;
        }
        repeats.set(key, { at: now(), count: 0 });
        if (repeats.size > 1000) repeats.clear();
        kafkaLogger[target]({ namespace: log.namespace, error, ...(seen && seen.count > 0 && { repeatedMeanwhile: seen.count }) }, message);
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

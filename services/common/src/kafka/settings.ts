import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { env } from '../config.js';

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

/** How to reach and authenticate to the brokers, for either client (see ./kafkajs.ts and ./platformatic.ts). */
export interface KafkaConnection {
  brokers: string[];
  /** Overrides the service's own client id. */
  clientId?: string;
  tls?: { rejectUnauthorized: boolean; ca?: string };
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

/** The connection from the environment (the CA file is read here, once). */
export function kafkaConnection(cfg: KafkaEnv): KafkaConnection {
  return {
    brokers: cfg.KAFKA_BROKERS,
    ...(cfg.KAFKA_CLIENT_ID && { clientId: cfg.KAFKA_CLIENT_ID }),
    ...(cfg.KAFKA_TLS && {
      tls: { rejectUnauthorized: !cfg.KAFKA_TLS_INSECURE_SKIP_VERIFY, ...(cfg.KAFKA_TLS_CA_FILE && { ca: readFileSync(cfg.KAFKA_TLS_CA_FILE, 'utf8') }) },
    }),
    ...(cfg.KAFKA_SASL_MECHANISM && {
      sasl: { mechanism: cfg.KAFKA_SASL_MECHANISM, username: cfg.KAFKA_SASL_USERNAME!, password: cfg.KAFKA_SASL_PASSWORD! },
    }),
  };
}

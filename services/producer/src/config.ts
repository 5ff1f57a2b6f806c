import { crossFieldChecks, env, serviceEnvSchema, kafkaEnvRefinement, kafkaEnvSchema, parseConfig, schemaRegistryEnvSchema } from '@tickerflow/common';
import { z } from 'zod';
import { parseSymbolList } from './symbols/source.js';

export const producerConfigSchema = z
  .object({
    FINNHUB_TOKEN: z.string({ error: 'is required (the Finnhub API key, from a Secret)' }).min(1, 'is required'),
    FINNHUB_WS_URL: env.url(['wss:', 'ws:']).default('wss://ws.finnhub.io'),
    SYMBOLS: z
      .string()
      .transform((text, ctx) => {
        try {
          return parseSymbolList(text);
        } catch {
          // The parser's message quotes the value: not repeated here.
          ctx.addIssue({ code: 'custom', message: 'starts with [ but is not a JSON array of strings (or give a comma-separated list)' });
          return z.NEVER;
        }
      })
      .optional(),
    SYMBOLS_FILE: env.optionalString(),
    SYMBOLS_FILE_POLL_MS: env.int(1000, 10),
    FINNHUB_SYMBOL_LIMIT: env.int(50, 1),
    FINNHUB_STALE_SECONDS: env.number(150, 0.1),
    FINNHUB_UNAUTHORIZED_RETRY_SECONDS: env.number(60, 0.1),
    FINNHUB_SYMBOL_ACCEPT_SECONDS: env.number(5, 0),
    RECONNECT_INITIAL_MS: env.int(500, 1),
    RECONNECT_MAX_MS: env.int(30_000, 1),
    ...serviceEnvSchema(20_000),
    ...kafkaEnvSchema,
    TRADES_TOPIC: env.string('finnhub.trades'),
    // Off by default: in Kubernetes a Strimzi KafkaTopic owns the topic.
    KAFKA_CREATE_TOPICS: env.bool(false),
    KAFKA_COMPRESSION: z.enum(['none', 'gzip']).default('none'),
    PRODUCER_BUFFER_MAX_BYTES: env.int(64 * 1024 * 1024, 1024),
    // Larger requests measured slower on the bench (see the README).
    PRODUCER_BATCH_MAX_RECORDS: env.int(1000, 1),
    // Watermark records carry event time on quiet partitions (0 turns them off).
    PRODUCER_WATERMARK_INTERVAL_MS: env.int(1000, 0),
    ...schemaRegistryEnvSchema,
    SHUTDOWN_DRAIN_QUIET_MS: env.int(300, 0),
  })
  .superRefine((cfg, ctx) => {
    kafkaEnvRefinement(cfg, ctx);
    if (cfg.SYMBOLS === undefined && cfg.SYMBOLS_FILE === undefined) {
      ctx.addIssue({ code: 'custom', path: ['SYMBOLS'], message: 'set SYMBOLS (comma-separated or a JSON array) or SYMBOLS_FILE' });
    }
  }, crossFieldChecks);

export type ProducerConfig = z.infer<typeof producerConfigSchema>;

export const readProducerConfig = (environment: NodeJS.ProcessEnv): Readonly<ProducerConfig> => parseConfig(producerConfigSchema, environment);

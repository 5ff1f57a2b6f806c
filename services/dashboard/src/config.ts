import {
  crossFieldChecks,
  databaseEnvRefinement,
  databaseEnvSchema,
  env,
  serviceEnvSchema,
  kafkaEnvRefinement,
  kafkaEnvSchema,
  parseConfig,
  schemaRegistryEnvSchema,
} from '@tickerflow/common';
import { z } from 'zod';

export const dashboardConfigSchema = z
  .object({
    ...serviceEnvSchema(10_000),
    ...kafkaEnvSchema,
    ...schemaRegistryEnvSchema,
    // The history database tickerflow-sink writes (optional): candles older than the look-back come from it.
    ...databaseEnvSchema(false),
    TRADES_TOPIC: env.string('finnhub.trades'),
    CANDLES_TOPIC: env.string('finnhub.candles'),
    CANDLE_INTERVALS: env.intervals('1m,5m'),
    ALLOWED_LATENESS: env.duration('5s'),
    DASHBOARD_LOOKBACK: env.duration('6h'),
    DASHBOARD_HISTORY_MAX: env.int(500, 1),
    DASHBOARD_SYMBOLS_MAX: env.int(1000, 1),
    SSE_HEARTBEAT_MS: env.int(15_000, 100),
    SSE_MAX_CLIENTS: env.int(1000, 1),
    // One host (or one proxy: raise it behind an ingress) cannot take every slot.
    SSE_MAX_CLIENTS_PER_ADDRESS: env.int(20, 1),
    // Unsent output one slow client may have before it is dropped.
    SSE_CLIENT_BUFFER_BYTES: env.int(1024 * 1024, 1024),
    // Unsent output over all clients: memory for slow readers is bounded by this, not by the client count.
    SSE_BUFFER_BYTES: env.int(64 * 1024 * 1024, 1024),
  })
  .superRefine(kafkaEnvRefinement, crossFieldChecks)
  .superRefine(databaseEnvRefinement, crossFieldChecks);

export type DashboardConfig = z.infer<typeof dashboardConfigSchema>;

export const readDashboardConfig = (environment: NodeJS.ProcessEnv): Readonly<DashboardConfig> => parseConfig(dashboardConfigSchema, environment);

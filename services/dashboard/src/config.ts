import { crossFieldChecks, env, kafkaEnvRefinement, kafkaEnvSchema, parseConfig } from '@tickerflow/common';
import { z } from 'zod';

export const dashboardConfigSchema = z
  .object({
    ...kafkaEnvSchema,
    TRADES_TOPIC: env.string('finnhub.trades'),
    CANDLES_TOPIC: env.string('finnhub.candles'),
    CANDLE_INTERVALS: env.intervals('1m,5m'),
    ALLOWED_LATENESS: env.duration('5s'),
    DASHBOARD_LOOKBACK: env.duration('6h'),
    DASHBOARD_HISTORY_MAX: env.int(500, 1),
    DASHBOARD_SYMBOLS_MAX: env.int(1000, 1),
    SSE_HEARTBEAT_MS: env.int(15_000, 100),
    // Each open stream may buffer up to 4 MiB for a slow reader.
    SSE_MAX_CLIENTS: env.int(1000, 1),
    SHUTDOWN_TIMEOUT_MS: env.int(10_000, 100),
    HTTP_PORT: env.int(8080, 0),
    // All interfaces in a pod; 127.0.0.1 for local runs.
    HTTP_HOST: env.string('0.0.0.0'),
    LOG_LEVEL: env.logLevel(),
  })
  .superRefine(kafkaEnvRefinement, crossFieldChecks);

export type DashboardConfig = z.infer<typeof dashboardConfigSchema>;

export const readDashboardConfig = (environment: NodeJS.ProcessEnv): Readonly<DashboardConfig> => parseConfig(dashboardConfigSchema, environment);

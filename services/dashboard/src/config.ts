import { env, kafkaEnvRefinement, kafkaEnvSchema, parseConfig, parseDuration, parseIntervals } from '@tickerflow/common';
import { z } from 'zod';

/** A duration such as `5s` or `6h` (a bare number is milliseconds), as milliseconds. */
const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      try {
        return parseDuration(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a duration such as 500ms, 5s, 1m, 6h, 1d' });
        return z.NEVER;
      }
    });

export const dashboardConfigSchema = z
  .object({
    ...kafkaEnvSchema,
    TRADES_TOPIC: env.string('finnhub.trades'),
    CANDLES_TOPIC: env.string('finnhub.candles'),
    CANDLE_INTERVALS: z
      .string()
      .default('1m,5m')
      .transform((v, ctx) => {
        try {
          return parseIntervals(v.split(','));
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `must be distinct durations with a unit, e.g. 1m,5m (${(err as Error).message})` });
          return z.NEVER;
        }
      }),
    ALLOWED_LATENESS: duration('5s'),
    DASHBOARD_LOOKBACK: duration('6h'),
    DASHBOARD_HISTORY_MAX: env.int(500, 1),
    DASHBOARD_SYMBOLS_MAX: env.int(1000, 1),
    SSE_HEARTBEAT_MS: env.int(15_000, 100),
    SHUTDOWN_TIMEOUT_MS: env.int(10_000, 100),
    HTTP_PORT: env.int(8080, 0),
    // All interfaces in a pod; 127.0.0.1 for local runs.
    HTTP_HOST: env.string('0.0.0.0'),
    LOG_LEVEL: env.logLevel(),
  })
  .superRefine((cfg, ctx) => kafkaEnvRefinement(cfg, ctx));

export type DashboardConfig = z.infer<typeof dashboardConfigSchema>;

export const readDashboardConfig = (environment: NodeJS.ProcessEnv): Readonly<DashboardConfig> => parseConfig(dashboardConfigSchema, environment);

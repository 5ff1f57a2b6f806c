import { z } from 'zod';
import { parseDuration, parseIntervals } from './candles/interval.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Validates the environment once, at the edge, against a zod schema and
 * returns a frozen config. Every problem is reported in one clear message;
 * values are never echoed (they may be secrets).
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): Readonly<z.infer<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(environment)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
  }
  return Object.freeze(result.data);
}

/**
 * For cross-field rules (`.superRefine(rule, crossFieldChecks)`): run them even
 * when a field failed on its own, so one start-up reports every problem. The
 * rules must only test fields for presence.
 */
export const crossFieldChecks = { when: () => true };

/** Reusable field parsers for environment variables (all arrive as strings). */
export const env = {
  string: (fallback?: string) =>
    fallback === undefined ? z.string({ error: 'is required' }).min(1, 'is required') : z.string().min(1, 'must not be empty').default(fallback),
  optionalString: () => z.string().min(1, 'must not be empty').optional(),
  int: (fallback: number, min = 0) =>
    z.coerce.number({ error: 'must be a number' }).int('must be an integer').min(min, `must be at least ${min}`).default(fallback),
  number: (fallback: number, min = 0) => z.coerce.number({ error: 'must be a number' }).min(min, `must be at least ${min}`).default(fallback),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  list: (fallback?: string) =>
    (fallback === undefined ? z.string({ error: 'is required' }).min(1, 'is required') : z.string().min(1).default(fallback)).transform((v) =>
      // For host lists, not symbols: entries are trimmed.
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    ),
  /** A duration such as `500ms`, `5s`, `1m`, `6h` (a bare number is milliseconds), as milliseconds. */
  duration: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((text, ctx) => {
        try {
          return parseDuration(text);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }),
  /** Candle intervals, comma-separated (`1m,5m`): distinct, with a unit, sorted. */
  intervals: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((text, ctx) => {
        try {
          return parseIntervals(
            text
              .split(',')
              .map((s) => s.trim())
              .filter((s) => s.length > 0),
          );
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  url: (protocols: string[]) =>
    z
      .string()
      .min(1)
      .refine((v) => URL.canParse(v) && protocols.includes(new URL(v).protocol), {
        message: `must be a URL with scheme ${protocols.join(' or ')}`,
      }),
};

/**
 * The settings every service shares (its Kafka connection is `kafkaEnvSchema`):
 * only the graceful-stop budget differs, by what a service has to finish.
 */
export const serviceEnvSchema = (shutdownTimeoutMs: number) => ({
  HTTP_PORT: env.int(8080, 0),
  // All interfaces in a pod; 127.0.0.1 for local runs.
  HTTP_HOST: env.string('0.0.0.0'),
  LOG_LEVEL: env.logLevel(),
  SHUTDOWN_TIMEOUT_MS: env.int(shutdownTimeoutMs, 100),
});

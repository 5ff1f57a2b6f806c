import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Values that must never appear in a log line (API tokens, passwords). */
  secrets?: readonly (string | undefined)[];
  destination?: DestinationStream;
}

/**
 * JSON logs to stdout. Known secret fields are redacted by path, and as a
 * last line of defence every occurrence of a secret value in the finished
 * line (inside an error message or a URL, say) is replaced before it is written.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const secrets = (opts.secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 4);
  return pino(
    {
      name: opts.service,
      level: opts.level ?? 'info',
      base: { service: opts.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['token', '*.token', 'password', '*.password', 'headers.authorization'], censor: '[redacted]' },
      hooks: secrets.length > 0 ? { streamWrite: (line) => scrub(line, secrets) } : {},
    },
    opts.destination ?? pino.destination({ sync: false }),
  );
}

export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * Node prints process warnings as plain text on stderr; here they become JSON
 * log lines. kafkajs 2.2.4's TimeoutNegativeWarning (a harmless negative
 * setTimeout inside its client on Node ≥ 23) is dropped.
 */
export function logProcessWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    logger.warn({ warning: { name: warning.name, message: warning.message } }, 'process warning');
  });
}

/**
 * One way to fail: an error says whether trying again can help, and keeps
 * what caused it. Like kafkajs's retriable errors and controller-runtime's
 * TerminalError: code that retries asks `isRetriable`, never the message.
 */
export class TickerflowError extends Error {
  override name = 'TickerflowError';
  readonly retriable: boolean;
  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.retriable = options.retriable;
  }
}

/** Do not retry: the same attempt would fail the same way (bad configuration, refused permissions, a record the broker refuses). */
export class TerminalError extends TickerflowError {
  override name = 'TerminalError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retriable: false, cause: options.cause });
  }
}

/**
 * Whether trying again can help: our errors say so; a library's error that
 * carries a `retriable` flag (kafkajs's protocol errors) is taken at its word,
 * through its causes; anything else is assumed transient.
 */
export function isRetriable(err: unknown): boolean {
  for (let e = err as { retriable?: unknown; cause?: unknown } | undefined; e && typeof e === 'object'; e = e.cause as typeof e) {
    if (typeof e.retriable === 'boolean') return e.retriable;
  }
  return true;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Multiplier per attempt. */
  factor?: number;
}

/**
 * Exponential backoff with full jitter (AWS architecture blog): a uniformly
 * random delay in [0, min(max, initial * factor^attempt)], so that many
 * clients reconnecting at once spread out. Bounded by maxMs.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxMs, opts.initialMs * (opts.factor ?? 2) ** Math.max(0, attempt));
  return Math.max(opts.initialMs / 2, Math.floor(random() * ceiling));
}

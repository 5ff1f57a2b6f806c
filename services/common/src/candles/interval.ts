/** A candle interval as configured, e.g. `{ name: '1m', ms: 60000 }`. */
export interface Interval {
  readonly name: string;
  readonly ms: number;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration such as `500ms`, `5s`, `1m`, `4h`, `1d`; a bare number is milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) throw new Error(`'${text}' is not a duration (use e.g. 500ms, 5s, 1m, 1h, 1d)`);
  return Number(match[1]) * UNITS[match[2] ?? 'ms']!;
}

/** Parses CANDLE_INTERVALS entries (`1m,5m`): positive, distinct, sorted by length. */
export function parseIntervals(names: readonly string[]): Interval[] {
  const intervals = names.map((name) => {
    const ms = parseDuration(name);
    if (ms <= 0 || !/[a-z]$/.test(name)) throw new Error(`interval '${name}' needs a positive length and a unit (s, m, h, d)`);
    return { name, ms };
  });
  if (intervals.length === 0) throw new Error('at least one interval is needed');
  const seen = new Set<number>();
  for (const { name, ms } of intervals) {
    if (seen.has(ms)) throw new Error(`interval '${name}' is listed twice`);
    seen.add(ms);
  }
  return intervals.sort((a, b) => a.ms - b.ms);
}

/** Start of the window containing `time` (windows align to the epoch). */
export const windowStartOf = (time: number, intervalMs: number) => Math.floor(time / intervalMs) * intervalMs;

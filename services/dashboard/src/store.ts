import type { Candle } from '@tickerflow/common';

/** A candle as the page shows it: final (from the candles topic) or still forming (our own aggregation). */
export interface HeldCandle extends Candle {
  final: boolean;
}

export interface SymbolStats {
  symbol: string;
  /** Price of the latest trade by event time; null before the first trade. */
  lastPrice: number | null;
  /** Event time of the latest trade, epoch ms; null before the first trade. */
  lastTradeTs: number | null;
  /** Trades per second over the last `rateWindowMs` of wall-clock time (by event time). */
  tradesPerSecond: number;
}

export interface StoreOptions {
  intervals: readonly string[];
  /** Candles kept per symbol and interval (final and forming together); the oldest go first. */
  historyMax: number;
  /** Symbols kept; the one updated least recently goes first. */
  symbolsMax: number;
  /** Window for tradesPerSecond. */
  rateWindowMs?: number;
}

interface Series {
  /** Sorted by windowStart, at most historyMax long. */
  candles: HeldCandle[];
}

interface SymbolEntry {
  series: Map<string, Series>;
  lastPrice: number | null;
  lastTradeTs: number | null;
  /** Trade counts per event-time second (epoch seconds), only recent ones. */
  perSecond: Map<number, number>;
}

export type CandleStore = ReturnType<typeof createCandleStore>;

/**
 * Bounded in-memory candle history per symbol and interval: pure, no clock
 * (callers pass `now`), no I/O. A final candle replaces the forming one with
 * the same window; a forming update never overwrites a final candle.
 */
export function createCandleStore(opts: StoreOptions) {
  const intervals = new Set(opts.intervals);
  const rateWindowMs = opts.rateWindowMs ?? 10_000;
  const symbols = new Map<string, SymbolEntry>();
  let evicted = 0;
  let held = 0;

  /** The entry for `symbol`, created if new and moved to most recently used; evicts beyond the bound. */
  function touch(symbol: string): SymbolEntry {
    let entry = symbols.get(symbol);
    if (entry) {
      symbols.delete(symbol);
    } else {
      entry = { series: new Map(), lastPrice: null, lastTradeTs: null, perSecond: new Map() };
    }
    symbols.set(symbol, entry);
    while (symbols.size > opts.symbolsMax) {
      const [oldest, old] = symbols.entries().next().value!;
      for (const s of old.series.values()) held -= s.candles.length;
      symbols.delete(oldest);
      evicted++;
    }
    return entry;
  }

  function rate(entry: SymbolEntry, now: number): number {
    const from = Math.floor((now - rateWindowMs) / 1000);
    let count = 0;
    for (const [second, n] of entry.perSecond) {
      if (second < from) entry.perSecond.delete(second);
      else if (second * 1000 <= now) count += n;
    }
    return count / (rateWindowMs / 1000);
  }

  return {
    knowsInterval: (interval: string) => intervals.has(interval),

    /**
     * Puts a candle in its symbol's history. Returns false when it changed
     * nothing: an unknown interval, a forming update for a window that is
     * already final, or a window older than everything a full history keeps.
     */
    put(candle: Candle, final: boolean): boolean {
      if (!intervals.has(candle.interval)) return false;
      const existingEntry = symbols.get(candle.symbol);
      const list = existingEntry?.series.get(candle.interval)?.candles;
      if (list && list.length >= opts.historyMax && candle.windowStart < list[0]!.windowStart) return false;
      if (!final && list) {
        const i = indexOf(list, candle.windowStart);
        if (i >= 0 && list[i]!.final) return false;
      }
      const entry = touch(candle.symbol);
      let series = entry.series.get(candle.interval);
      if (!series) {
        series = { candles: [] };
        entry.series.set(candle.interval, series);
      }
      const candles = series.candles;
      const value = { ...candle, final };
      const i = insertionPoint(candles, candle.windowStart);
      if (candles[i]?.windowStart === candle.windowStart) {
        candles[i] = value;
      } else {
        candles.splice(i, 0, value);
        held++;
        if (candles.length > opts.historyMax) {
          candles.shift();
          held--;
        }
      }
      return true;
    },

    /** Counts a trade for the symbol's last price and trade rate. */
    trade(symbol: string, price: number, timestamp: number): void {
      const entry = touch(symbol);
      if (entry.lastTradeTs === null || timestamp >= entry.lastTradeTs) {
        entry.lastTradeTs = timestamp;
        entry.lastPrice = price;
      }
      const second = Math.floor(timestamp / 1000);
      entry.perSecond.set(second, (entry.perSecond.get(second) ?? 0) + 1);
      // Keep the per-second map small even for a symbol nobody asks about.
      if (entry.perSecond.size > rateWindowMs / 1000 + 5) {
        const newest = Math.max(...entry.perSecond.keys());
        for (const s of entry.perSecond.keys()) if (s < newest - rateWindowMs / 1000 - 1) entry.perSecond.delete(s);
      }
    },

    /** History and forming candles, oldest first. */
    candles(symbol: string, interval: string): HeldCandle[] {
      return [...(symbols.get(symbol)?.series.get(interval)?.candles ?? [])];
    },

    stats(symbol: string, now: number): SymbolStats | undefined {
      const entry = symbols.get(symbol);
      if (!entry) return undefined;
      return { symbol, lastPrice: entry.lastPrice, lastTradeTs: entry.lastTradeTs, tradesPerSecond: rate(entry, now) };
    },

    /** Every symbol held, sorted. */
    symbols(): string[] {
      return [...symbols.keys()].sort();
    },

    has: (symbol: string) => symbols.has(symbol),
    /** Candles held over all symbols and intervals. */
    size: () => held,
    symbolCount: () => symbols.size,
    /** Symbols dropped to stay within symbolsMax, since start. */
    evictions: () => evicted,
  };
}

/** First index whose windowStart is >= `start` (binary search; most inserts land at the end). */
function insertionPoint(list: readonly HeldCandle[], start: number): number {
  if (list.length === 0 || list[list.length - 1]!.windowStart < start) return list.length;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.windowStart < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function indexOf(list: readonly HeldCandle[], start: number): number {
  const i = insertionPoint(list, start);
  return list[i]?.windowStart === start ? i : -1;
}

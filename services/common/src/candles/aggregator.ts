import { compareCandles, type Candle, type PricePoint } from './candle.js';
import { windowStartOf, type Interval } from './interval.js';

export interface AggregatorOptions {
  intervals: readonly Interval[];
  /** How far behind the latest event time a trade may arrive and still count. */
  allowedLatenessMs: number;
}

interface OpenWindow {
  symbol: string;
  interval: string;
  start: number;
  end: number;
  open: number;
  openTs: number;
  high: number;
  low: number;
  close: number;
  closeTs: number;
  volume: number;
  priceVolume: number;
  count: number;
  /** Input position of the window's first trade: where a rebuild must start reading. */
  firstOffset: number;
  intervalIndex: number;
}

const newWindow = (trade: PricePoint, interval: string, intervalIndex: number, start: number, firstOffset: number, ms: number): OpenWindow => ({
  symbol: trade.symbol,
  interval,
  start,
  end: start + ms,
  open: trade.price,
  openTs: trade.timestamp,
  high: trade.price,
  low: trade.price,
  close: trade.price,
  closeTs: trade.timestamp,
  volume: trade.volume,
  priceVolume: trade.price * trade.volume,
  count: 1,
  firstOffset,
  intervalIndex,
});

const toCandle = (w: OpenWindow): Candle => ({
  symbol: w.symbol,
  interval: w.interval,
  windowStart: w.start,
  windowEnd: w.end,
  open: w.open,
  high: w.high,
  low: w.low,
  close: w.close,
  volume: w.volume,
  vwap: w.volume > 0 ? w.priceVolume / w.volume : w.close,
  tradeCount: w.count,
});

export type CandleAggregator = ReturnType<typeof createCandleAggregator>;

/**
 * Event-time tumbling windows for one input partition: pure, no clock, no I/O.
 * The watermark is the largest event time seen minus the allowed lateness; a
 * window closes (its candle is final) once the watermark reaches its end, and
 * a trade for a window that has closed is late: counted, not aggregated.
 * Feeding the same records in the same order always gives the same candles,
 * which is what makes replay after a crash exact.
 */
export function createCandleAggregator(opts: AggregatorOptions) {
  const open = new Map<string, OpenWindow>();
  // The latest window per symbol and interval: most trades land there, found without building a key.
  const latest = new Map<string, (OpenWindow | undefined)[]>();
  let watermark = -Infinity;
  let earliestEnd = Infinity;

  function closeUpTo(silently: boolean): Candle[] {
    if (earliestEnd > watermark) return [];
    const closed: Candle[] = [];
    earliestEnd = Infinity;
    for (const [key, w] of open) {
      if (w.end <= watermark) {
        open.delete(key);
        const cached = latest.get(w.symbol);
        // Only so it can be collected: a trade for a closed window is late before the cache is looked at.
        if (cached?.[w.intervalIndex] === w) {
          cached[w.intervalIndex] = undefined;
          // A symbol with no open window leaves the cache: it holds only what is open.
          if (cached.every((x) => x === undefined)) latest.delete(w.symbol);
        }
        if (!silently) closed.push(toCandle(w));
      } else if (w.end < earliestEnd) earliestEnd = w.end;
    }
    return closed.sort(compareCandles);
  }

  return {
    /**
     * Adds a trade read at input position `offset`. Returns the intervals for
     * which it came too late (its window had already closed); `touched`, if
     * given, hears of each window the trade went into (a live view redraws those).
     */
    add(trade: PricePoint, offset: number, touched?: (interval: Interval, windowStart: number) => void): Interval[] {
      const late: Interval[] = [];
      // Made only when a window opens: a late trade of a new symbol leaves no state behind.
      let cached = latest.get(trade.symbol);
      for (let index = 0; index < opts.intervals.length; index++) {
        const interval = opts.intervals[index]!;
        const start = windowStartOf(trade.timestamp, interval.ms);
        const end = start + interval.ms;
        if (end <= watermark) {
          late.push(interval);
          continue;
        }
        const current = cached?.[index];
        let w = current?.start === start ? current : undefined;
        if (!w) {
          const key = `${trade.symbol}\u0000${interval.name}\u0000${start}`;
          w = open.get(key);
          const fresh = !w;
          w ??= newWindow(trade, interval.name, index, start, offset, interval.ms);
          if (fresh) {
            open.set(key, w);
            if (w.end < earliestEnd) earliestEnd = w.end;
          }
          if (!current || start > current.start) {
            if (!cached) latest.set(trade.symbol, (cached = []));
            cached[index] = w;
          }
          if (fresh) {
            touched?.(interval, start);
            continue;
          }
        }
        // Out-of-order trades: open is the earliest by event time, close the latest.
        if (trade.timestamp < w.openTs) {
          w.open = trade.price;
          w.openTs = trade.timestamp;
        }
        if (trade.timestamp >= w.closeTs) {
          w.close = trade.price;
          w.closeTs = trade.timestamp;
        }
        if (trade.price > w.high) w.high = trade.price;
        if (trade.price < w.low) w.low = trade.price;
        w.volume += trade.volume;
        w.priceVolume += trade.price * trade.volume;
        w.count += 1;
        touched?.(interval, start);
      }
      return late;
    },

    /** Event time reached `time` (a trade's or a watermark record's): returns the candles that became final. */
    advance(time: number): Candle[] {
      const next = time - opts.allowedLatenessMs;
      if (next <= watermark) return [];
      watermark = next;
      return closeUpTo(false);
    },

    watermark: () => watermark,

    /** Symbols with an open window (what the state is bounded by). */
    openSymbols: () => latest.size,

    /** Candles of the windows still open (the forming ones), in deterministic order. */
    forming: () => [...open.values()].map(toCandle).sort(compareCandles),

    /** Earliest input position any open window depends on; undefined when none is open. */
    replayFrom(): number | undefined {
      let min: number | undefined;
      for (const w of open.values()) if (min === undefined || w.firstOffset < min) min = w.firstOffset;
      return min;
    },

    /**
     * Ends a rebuild: the watermark returns to what it was when the state was
     * saved, and windows that had closed by then (their candles were already
     * written) are dropped without emitting.
     */
    resume(savedWatermark: number) {
      if (savedWatermark > watermark) watermark = savedWatermark;
      closeUpTo(true);
    },
  };
}

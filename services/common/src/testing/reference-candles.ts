import { candleKey, compareCandles, type Candle, type PricePoint } from '../candles/candle.js';
import { windowStartOf, type Interval } from '../candles/interval.js';

export type ReferenceEvent = { kind: 'trade'; trade: PricePoint } | { kind: 'time'; time: number };

/**
 * The obviously correct, slow computation the aggregator is checked against
 * (in property tests and in the exactly-once test): collect each window's
 * on-time trades, then compute every candle the final watermark has closed.
 */
export function referenceCandles(events: readonly ReferenceEvent[], opts: { intervals: readonly Interval[]; allowedLatenessMs: number }) {
  let watermark = -Infinity;
  const windows = new Map<string, { symbol: string; interval: Interval; start: number; trades: PricePoint[] }>();
  const late = new Map<string, number>();
  for (const event of events) {
    const time = event.kind === 'trade' ? event.trade.timestamp : event.time;
    if (event.kind === 'trade') {
      const { trade } = event;
      for (const interval of opts.intervals) {
        const start = windowStartOf(trade.timestamp, interval.ms);
        if (start + interval.ms <= watermark) {
          const k = `${trade.symbol}\u0000${interval.name}`;
          late.set(k, (late.get(k) ?? 0) + 1);
          continue;
        }
        const key = candleKey({ symbol: trade.symbol, interval: interval.name, windowStart: start });
        const w = windows.get(key) ?? { symbol: trade.symbol, interval, start, trades: [] };
        w.trades.push(trade);
        windows.set(key, w);
      }
    }
    watermark = Math.max(watermark, time - opts.allowedLatenessMs);
  }
  const final: Candle[] = [];
  for (const { symbol, interval, start, trades } of windows.values()) {
    if (start + interval.ms > watermark) continue;
    const byTime = trades.map((t, i) => ({ t, i })).sort((a, b) => a.t.timestamp - b.t.timestamp || a.i - b.i);
    const volume = trades.reduce((sum, t) => sum + t.volume, 0);
    const priceVolume = trades.reduce((sum, t) => sum + t.price * t.volume, 0);
    const close = byTime[byTime.length - 1]!.t.price;
    final.push({
      symbol,
      interval: interval.name,
      windowStart: start,
      windowEnd: start + interval.ms,
      open: byTime[0]!.t.price,
      high: trades.reduce((m, t) => Math.max(m, t.price), -Infinity),
      low: trades.reduce((m, t) => Math.min(m, t.price), Infinity),
      close,
      volume,
      vwap: volume > 0 ? priceVolume / volume : close,
      tradeCount: trades.length,
    });
  }
  return { final: final.sort(compareCandles), late, watermark };
}

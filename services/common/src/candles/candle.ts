/** A candle as written to the candles topic (schemas/candle.avsc). */
export interface Candle {
  symbol: string;
  interval: string;
  windowStart: number;
  windowEnd: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  vwap: number;
  tradeCount: number;
}

/** What the aggregation needs of a trade. */
export interface PricePoint {
  symbol: string;
  price: number;
  volume: number;
  timestamp: number;
}

/** Identity of a final candle: exactly one per key may exist. */
export const candleKey = (c: Pick<Candle, 'symbol' | 'interval' | 'windowStart'>) => `${c.symbol}\u0000${c.interval}\u0000${c.windowStart}`;

/** Deterministic order: by window end, then interval length, then symbol. */
export function compareCandles(a: Candle, b: Candle): number {
  return a.windowEnd - b.windowEnd || a.windowEnd - a.windowStart - (b.windowEnd - b.windowStart) || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);
}

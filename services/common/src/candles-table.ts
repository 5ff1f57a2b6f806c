import type { Candle } from './candles/index.js';

/**
 * The history database's `candles` table (created by tickerflow-sink's
 * migrations), one place for its row shape: the sink writes rows, the
 * dashboard and the tests read them.
 */
export const CANDLE_COLUMNS = ['symbol', '"interval"', 'window_start', 'window_end', 'open', 'high', 'low', 'close', 'volume', 'vwap', 'trade_count'] as const;

/** A row as node-postgres returns it (timestamptz as Date). */
export interface CandleRow {
  symbol: string;
  interval: string;
  window_start: Date;
  window_end: Date;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  vwap: number;
  trade_count: number;
}

/** A candle's values in CANDLE_COLUMNS order. */
export const candleRowValues = (c: Candle) =>
  [c.symbol, c.interval, new Date(c.windowStart), new Date(c.windowEnd), c.open, c.high, c.low, c.close, c.volume, c.vwap, c.tradeCount] as const;

export const candleFromRow = (r: CandleRow): Candle => ({
  symbol: r.symbol,
  interval: r.interval,
  windowStart: r.window_start.getTime(),
  windowEnd: r.window_end.getTime(),
  open: r.open,
  high: r.high,
  low: r.low,
  close: r.close,
  volume: r.volume,
  vwap: r.vwap,
  tradeCount: r.trade_count,
});

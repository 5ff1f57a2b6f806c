import type { Candle } from '@tickerflow/common';
import type pg from 'pg';

/** Final candles older than the page holds, from the history database tickerflow-sink writes. */
export interface CandleHistory {
  /** Up to `limit` final candles of one symbol and interval that start before `beforeMs`, oldest first. */
  older(symbol: string, interval: string, beforeMs: number, limit: number): Promise<Candle[]>;
}

interface Row {
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

/** The sink's `candles` table; its primary key (symbol, interval, window_start) makes this an index range scan. */
export function databaseHistory(db: pg.Pool): CandleHistory {
  return {
    async older(symbol, interval, beforeMs, limit) {
      const { rows } = await db.query<Row>(
        `SELECT symbol, "interval", window_start, window_end, open, high, low, close, volume, vwap, trade_count
           FROM candles WHERE symbol = $1 AND "interval" = $2 AND window_start < $3
          ORDER BY window_start DESC LIMIT $4`,
        [symbol, interval, new Date(beforeMs), limit],
      );
      return rows.reverse().map((r) => ({
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
      }));
    },
  };
}

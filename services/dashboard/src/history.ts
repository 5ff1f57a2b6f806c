import { CANDLE_COLUMNS, candleFromRow, type Candle, type CandleRow } from '@tickerflow/common';
import type pg from 'pg';

/** Final candles older than the page holds, from the history database tickerflow-sink writes. */
export interface CandleHistory {
  /** Up to `limit` final candles of one symbol and interval that start before `beforeMs`, oldest first. */
  older(symbol: string, interval: string, beforeMs: number, limit: number): Promise<Candle[]>;
}

/** The sink's `candles` table; its primary key (symbol, interval, window_start) makes this an index range scan. */
export function databaseHistory(db: pg.Pool): CandleHistory {
  return {
    async older(symbol, interval, beforeMs, limit) {
      const { rows } = await db.query<CandleRow>(
        `SELECT ${CANDLE_COLUMNS.join(', ')} FROM candles WHERE symbol = $1 AND "interval" = $2 AND window_start < $3
          ORDER BY window_start DESC LIMIT $4`,
        [symbol, interval, new Date(beforeMs), limit],
      );
      return rows.reverse().map(candleFromRow);
    },
  };
}

import { CANDLE_COLUMNS as COLUMNS, candleKey, candleRowValues, readCandlesTopicRecord, type Candle, type ReaderCodec } from '@tickerflow/common';
import type { TableSpec } from './table.js';

/**
 * Final candles keyed by (symbol, interval, window start). A candle already
 * there is replaced, as in a compacted topic; multi-row INSERTs of
 * `rowsPerInsert` rows (PostgreSQL allows 65535 parameters; a candle takes 11).
 * Each series' first and last window go into candle_series in the same
 * transaction (least/greatest: a batch read twice changes nothing).
 */
export function candlesTable(codec: ReaderCodec<Candle>, rowsPerInsert: number): TableSpec<Candle> {
  return {
    table: 'candles',
    skipReasons: ['bad-magic', 'unknown-fingerprint', 'unknown-schema-id', 'bad-body', 'empty-value', 'invalid-candle', 'key-mismatch'],
    prepare: (values) => codec.prepare(values),
    read: (message) => readCandlesTopicRecord(codec, message),
    async insert(client, rows) {
      // One row per key and statement (ON CONFLICT cannot touch a row twice): the later record wins.
      const candles = [...new Map(rows.map((c) => [candleKey(c), c])).values()];
      if (candles.length === 0) return 0;
      for (let i = 0; i < candles.length; i += rowsPerInsert) {
        const chunk = candles.slice(i, i + rowsPerInsert);
        const values = chunk.map((_, r) => `(${COLUMNS.map((__, c) => `$${r * COLUMNS.length + c + 1}`).join(', ')})`).join(', ');
        await client.query(
          `INSERT INTO candles (${COLUMNS.join(', ')}) VALUES ${values}
           ON CONFLICT (symbol, "interval", window_start) DO UPDATE SET ${COLUMNS.slice(3)
             .map((col) => `${col} = EXCLUDED.${col}`)
             .join(', ')}`,
          chunk.flatMap((c) => [...candleRowValues(c)]),
        );
      }
      // A few rows, not every candle, go over the wire.
      const rowsOfSeries = seriesOf(candles);
      await client.query(
        `INSERT INTO candle_series (symbol, "interval", oldest, newest, newest_end)
         SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[])
         ON CONFLICT (symbol, "interval") DO UPDATE SET oldest = least(candle_series.oldest, EXCLUDED.oldest),
           newest = greatest(candle_series.newest, EXCLUDED.newest), newest_end = greatest(candle_series.newest_end, EXCLUDED.newest_end)`,
        [
          rowsOfSeries.map((s) => s.symbol),
          rowsOfSeries.map((s) => s.interval),
          rowsOfSeries.map((s) => new Date(s.oldest)),
          rowsOfSeries.map((s) => new Date(s.newest)),
          rowsOfSeries.map((s) => new Date(s.newestEnd)),
        ],
      );
      return candles.length;
    },
  };
}

export interface CandleSeries {
  symbol: string;
  interval: string;
  oldest: number;
  newest: number;
  newestEnd: number;
}

/** Per (symbol, interval) of the candles: the first and last window start and the last window end, in key order (the order their rows are locked in). */
export function seriesOf(candles: readonly Candle[]): CandleSeries[] {
  const series = new Map<string, CandleSeries>();
  for (const c of candles) {
    const key = JSON.stringify([c.symbol, c.interval]);
    const s = series.get(key);
    if (!s) series.set(key, { symbol: c.symbol, interval: c.interval, oldest: c.windowStart, newest: c.windowStart, newestEnd: c.windowEnd });
    else {
      s.oldest = Math.min(s.oldest, c.windowStart);
      s.newest = Math.max(s.newest, c.windowStart);
      s.newestEnd = Math.max(s.newestEnd, c.windowEnd);
    }
  }
  return [...series.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
}

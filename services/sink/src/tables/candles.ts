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
      await client.query(
        `INSERT INTO candle_series (symbol, "interval", oldest, newest, newest_end)
         SELECT symbol, "interval", min(window_start), max(window_start), max(window_end)
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[]) AS batch (symbol, "interval", window_start, window_end)
         GROUP BY 1, 2 ORDER BY 1, 2
         ON CONFLICT (symbol, "interval") DO UPDATE SET oldest = least(candle_series.oldest, EXCLUDED.oldest),
           newest = greatest(candle_series.newest, EXCLUDED.newest), newest_end = greatest(candle_series.newest_end, EXCLUDED.newest_end)`,
        [candles.map((c) => c.symbol), candles.map((c) => c.interval), candles.map((c) => new Date(c.windowStart)), candles.map((c) => new Date(c.windowEnd))],
      );
      return candles.length;
    },
  };
}

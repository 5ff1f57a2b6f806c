import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidTradesRecordReasons, readTradesTopicRecord, type ReaderCodec, type TradeValue } from '@tickerflow/common';
import { from as copyFrom } from 'pg-copy-streams';
import type { TableSpec } from './table.js';

/** A trade and the record it came from. */
export interface ArchivedTrade {
  trade: TradeValue;
  partition: number;
  offset: string;
}

const DAY_MS = 86_400_000;
const COLUMNS = ['symbol', 'trade_time', 'price', 'volume', 'conditions', 'received_at', 'kafka_partition', 'kafka_offset'];
/** Lines per chunk written to the COPY stream. */
const LINES_PER_CHUNK = 2000;

/** COPY's text format: backslash, tab, newline and carriage return are escaped. */
export const copyText = (s: string) => s.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!);

/** A text[] literal, every element quoted (so none reads as NULL), `"` and `\` escaped inside. */
export const arrayLiteral = (items: readonly string[]) => `{${items.map((s) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;

export const copyLine = ({ trade, partition, offset }: ArchivedTrade) =>
  [
    copyText(trade.symbol),
    new Date(trade.timestamp).toISOString(),
    String(trade.price),
    String(trade.volume),
    copyText(arrayLiteral(trade.conditions)),
    new Date(trade.receivedAt).toISOString(),
    String(partition),
    offset,
  ].join('\t') + '\n';

/** The day partition holding `time` (epoch ms): its name and bounds. */
export function dayPartition(time: number) {
  const start = Math.floor(time / DAY_MS) * DAY_MS;
  const day = new Date(start).toISOString().slice(0, 10);
  return { name: `trades_p${day.replaceAll('-', '')}`, from: new Date(start).toISOString(), to: new Date(start + DAY_MS).toISOString() };
}

/** PostgreSQL's codes when another session created the same partition a moment earlier. */
const ALREADY_THERE = new Set(['42P07', '23505']);

/**
 * The raw trades archive: every trade record as one row (watermarks carry no
 * row), written with COPY into day partitions created on first use.
 */
export function tradesTable(codec: ReaderCodec<TradeValue>): TableSpec<ArchivedTrade> {
  /** Partitions known to exist; forgotten when a write fails (someone may have dropped one). */
  const known = new Set<string>();
  return {
    table: 'trades',
    skipReasons: invalidTradesRecordReasons,
    prepare: (values) => codec.prepare(values),
    read(message, partition) {
      const record = readTradesTopicRecord(codec, { ...message, timestamp: Number(message.timestamp) });
      return record.kind === 'trade' ? { trade: record.trade, partition, offset: message.offset } : undefined;
    },
    async ensure(db, rows) {
      const needed = new Map(rows.map((r) => dayPartition(r.trade.timestamp)).map((p) => [p.name, p]));
      for (const p of needed.values()) {
        if (known.has(p.name)) continue;
        try {
          await db.query(`CREATE TABLE IF NOT EXISTS ${p.name} PARTITION OF trades FOR VALUES FROM ('${p.from}') TO ('${p.to}')`);
        } catch (err) {
          if (!ALREADY_THERE.has((err as { code?: string }).code ?? '')) throw err;
        }
        known.add(p.name);
      }
    },
    forget: () => known.clear(),
    async insert(client, rows) {
      if (rows.length === 0) return 0;
      const chunks = function* () {
        for (let i = 0; i < rows.length; i += LINES_PER_CHUNK)
          yield rows
            .slice(i, i + LINES_PER_CHUNK)
            .map(copyLine)
            .join('');
      };
      await pipeline(Readable.from(chunks()), client.query(copyFrom(`COPY trades (${COLUMNS.join(', ')}) FROM STDIN`)));
      return rows.length;
    },
  };
}

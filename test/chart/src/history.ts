import assert from 'node:assert/strict';
import { readCandlesTopicRecord, type Candle, type Codec } from '@tickerflow/common';
import { historyDatasource, historyQueries, type tickerflowDashboard } from '@tickerflow/grafana-dashboard';
import type { KindPostgres } from './kind.js';

/** A topic record's place. */
interface Placed {
  partition: number;
  offset: string;
}

/** Rows of a sink table and the next offsets the sink stored with them (by partition), read together. */
export interface HistorySnapshot<T> {
  rows: T[];
  offsets: Record<string, number>;
}

/** One statement, so one snapshot: `rowsJson` (a json_agg of the rows) and the group's stored offsets, from the same transactions. */
export async function historySnapshot<T>(db: KindPostgres, rowsJson: string, group: string): Promise<HistorySnapshot<T>> {
  const json = await db.psql(
    `SELECT json_build_object('rows', (${rowsJson}), 'offsets', (SELECT coalesce(json_object_agg("partition", next_offset), '{}') FROM kafka_offsets WHERE group_id = '${group}'))`,
  );
  const { rows, offsets } = JSON.parse(json) as { rows: T[] | null; offsets: Record<string, number> };
  return { rows: rows ?? [], offsets };
}

/** Whether the record is below its partition's stored offset: written to the table. */
export const storedIn =
  (offsets: Record<string, number>) =>
  (r: Placed): boolean =>
    BigInt(r.offset) < BigInt(offsets[r.partition] ?? 0);

/** What the candles table must hold for the records it stored: the last record per (symbol, interval, window start), as a compacted topic keeps. */
export function lastCandlePerKey(
  records: (Placed & { key: Buffer | null; value: Buffer | null })[],
  offsets: Record<string, number>,
  codec: Codec<Candle>,
): Candle[] {
  const latest = new Map<string, Candle>();
  for (const r of records.filter(storedIn(offsets))) {
    const c = readCandlesTopicRecord(codec, r);
    latest.set(JSON.stringify([c.symbol, c.interval, c.windowStart]), c);
  }
  return [...latest.values()];
}

/**
 * Grafana's history row on this database, as Grafana runs it: each history
 * variable's query gives values (the one `choose` picks among them), and each
 * panel's query, with the variables and `$__timeFilter` over the last hour
 * expanded, gives rows.
 */
export async function assertHistoryQueriesAnswer(
  db: KindPostgres,
  dashboard: ReturnType<typeof tickerflowDashboard>,
  choose: Record<string, string>,
): Promise<void> {
  const resolved = new Map<string, string>();
  for (const v of dashboard.templating?.list ?? []) {
    if (v.datasource?.type !== historyDatasource.type) continue;
    const values = (await db.psql(String(v.query as string))).split('\n').filter(Boolean);
    assert.ok(values.length > 0, `variable ${v.name} has values`);
    resolved.set(v.name, choose[v.name] ?? values[0]!);
    assert.ok(values.includes(resolved.get(v.name)!), `${v.name}: ${values.join(', ')}`);
  }
  const to = new Date();
  const from = new Date(to.getTime() - 3_600_000);
  for (const q of historyQueries(dashboard)) {
    const sql = q.rawSql
      .replace(/\$__timeFilter\((\w+)\)/g, `$1 BETWEEN '${from.toISOString()}' AND '${to.toISOString()}'`)
      .replace(/\$(history_\w+)/g, (_, name: string) => resolved.get(name)!);
    assert.ok(Number(await db.psql(`SELECT count(*) FROM (${sql}) q`)) > 0, `${q.panel}: ${sql}`);
  }
}

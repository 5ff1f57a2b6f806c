import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dashboardFile, historyDatasource, historyQueries, panelQueries, renderDashboard, tickerflowDashboard } from '../src/index.js';

/** The sink's migrations (ops/grafana/{test,dist/test} → services/sink/migrations). */
const migrations = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'services', 'sink', 'migrations');

/** Each table the sink's Up migrations create, with its columns; `quoted`: declared in double quotes (a keyword). */
function sinkSchema(): Map<string, Map<string, { quoted: boolean }>> {
  const tables = new Map<string, Map<string, { quoted: boolean }>>();
  for (const file of readdirSync(migrations).filter((f) => f.endsWith('.sql'))) {
    const up = readFileSync(join(migrations, file), 'utf8').split('-- Down Migration')[0]!;
    for (const [, table, body] of up.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+) \(([\s\S]*?)\n\)/g)) {
      const columns = new Map<string, { quoted: boolean }>();
      for (const line of body!.split('\n').map((l) => l.trim())) {
        const column = /^(?:"(\w+)"|(\w+)) /.exec(line);
        if (column && !/^(PRIMARY|UNIQUE|CONSTRAINT|CHECK|FOREIGN|EXCLUDE)\b/i.test(line))
          columns.set(column[1] ?? column[2]!, { quoted: column[1] !== undefined });
      }
      tables.set(table!, columns);
    }
    for (const [, table, quoted, bare] of up.matchAll(/ALTER TABLE (\w+) ADD COLUMN (?:IF NOT EXISTS )?(?:"(\w+)"|(\w+))/g))
      tables.get(table!)?.set(quoted ?? bare!, { quoted: quoted !== undefined });
  }
  return tables;
}

/** SQL words the dashboard's queries use that are not names of the sink's tables or columns. */
const sqlWords = new Set('select distinct from where and or not in is null as group by order asc desc limit count min max sum avg now date_part'.split(' '));
/** Grafana's SQL macros the queries may use. */
const macros = new Set(['__timeFilter', '__timeFrom', '__timeTo', '__timeGroup', '__timeGroupAlias', '__unixEpochFilter']);

/**
 * What is wrong with one of the dashboard's PostgreSQL queries against the sink's schema: a table
 * that does not exist, a name that is no column of the query's tables (nor an alias of its own),
 * a keyword-named column not in double quotes, a variable the dashboard does not have.
 */
function sqlProblems(rawSql: string, schema: ReturnType<typeof sinkSchema>, variables: Set<string>): string[] {
  const problems: string[] = [];
  for (const [, name] of rawSql.matchAll(/\$\{?(\w+)/g))
    if (name!.startsWith('__') ? !macros.has(name!) : !variables.has(name!)) problems.push(`no variable or macro $${name}`);
  // Literals and variables out: what is left is SQL words, numbers, tables, columns and aliases.
  const code = rawSql.replace(/'(?:[^']|'')*'/g, "''").replace(/\$\{?\w+\}?/g, ' ');
  const tables = [...code.matchAll(/\b(?:FROM|JOIN)\s+(\w+)/gi)].map((m) => m[1]!);
  if (tables.length === 0) problems.push('no table');
  for (const t of tables) if (!schema.has(t)) problems.push(`no table ${t}`);
  const aliases = new Set([...code.matchAll(/\bAS\s+(?:"(\w+)"|(\w+))/gi)].map((m) => m[1] ?? m[2]!));
  for (const [, quoted, bare] of code.matchAll(/"(\w+)"|\b([A-Za-z_]\w*)\b/g)) {
    const name = quoted ?? bare!;
    if (bare !== undefined && (sqlWords.has(name.toLowerCase()) || tables.includes(name))) continue;
    if (aliases.has(name)) continue;
    const column = tables.map((t) => schema.get(t)?.get(name)).find((c) => c !== undefined);
    if (!column) problems.push(`no column ${name} in ${tables.join(', ')}`);
    else if (column.quoted && bare !== undefined) problems.push(`${name} needs double quotes`);
  }
  return problems;
}

/** The output column names of `SELECT a, f(b, c) AS d, ... FROM` (commas inside parentheses are no column's end). */
function selected(rawSql: string): string[] {
  const list = /^SELECT (.*?) FROM \w+/i.exec(rawSql)![1]!;
  const columns = [''];
  let depth = 0;
  for (const ch of list) {
    depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
    if (ch === ',' && depth === 0) columns.push('');
    else columns[columns.length - 1] += ch;
  }
  return columns.map((c) => /"?(\w+)"?$/.exec(c.trim())![1]!);
}

describe('the Grafana dashboard (ops/grafana)', () => {
  const d = tickerflowDashboard();
  const queries = panelQueries(d);
  const history = historyQueries(d);
  const historyTitles = ['Candles: $history_symbol $history_interval', 'History by interval', 'Sink offsets'];

  it('is committed as generated (npm run generate -w ops/grafana)', () => {
    assert.equal(readFileSync(dashboardFile, 'utf8'), renderDashboard(d));
  });

  it('is the classic dashboard JSON model with the datasource, namespace, symbol and pod variables, and the history_ ones', () => {
    assert.equal(typeof d.schemaVersion, 'number');
    assert.ok(!('spec' in d) && Array.isArray(d.panels), 'panels at the top level, not a v2 spec');
    const variables = (d.templating?.list ?? []).map((v) => [v.name, v.type]);
    assert.deepEqual(variables, [
      ['datasource', 'datasource'],
      ['namespace', 'query'],
      ['symbol', 'query'],
      ['pod', 'query'],
      ['history_datasource', 'datasource'],
      ['history_symbol', 'query'],
      ['history_interval', 'query'],
    ]);
  });

  it("has the panels users look for, each with a query on its row's datasource variable", () => {
    const titles = (d.panels ?? []).filter((p) => p.type !== 'row').map((p) => p.title);
    for (const wanted of [
      'Trades/s by symbol',
      'Exchange → Kafka latency',
      'Connection state and reconnects',
      'Symbols by state',
      'Buffer and drops',
      'Consumer lag by partition',
      'Candles/s',
      'Late trades',
      'Dead letters by reason',
      'Transactions',
      'Batch duration',
      'Controller reconciles and queue depth',
      'Leaders',
      'Dashboard SSE clients',
      'CPU per pod',
      'Memory per pod',
      ...historyTitles,
    ])
      assert.ok(titles.includes(wanted), `a panel "${wanted}"`);
    let row = '';
    for (const p of d.panels ?? []) {
      if (p.type === 'row') {
        row = p.title ?? '';
        continue;
      }
      if (row === 'History (PostgreSQL)') {
        assert.ok(historyTitles.includes(p.title ?? ''), p.title);
        assert.deepEqual((p as { datasource?: unknown }).datasource, { type: 'grafana-postgresql-datasource', uid: '${history_datasource}' }, p.title);
        assert.ok(
          history.some((q) => q.panel === p.title && q.rawSql !== ''),
          `${p.title} has a query`,
        );
      } else {
        assert.deepEqual((p as { datasource?: unknown }).datasource, { type: 'prometheus', uid: '${datasource}' }, p.title);
        assert.ok(
          queries.some((q) => q.panel === p.title && q.expr !== ''),
          `${p.title} has a query`,
        );
      }
    }
  });

  it("reads the history on Grafana's PostgreSQL data source, with single-valued history_symbol and history_interval from the candles table", () => {
    const list = d.templating?.list ?? [];
    const source = list.find((v) => v.name === 'history_datasource')!;
    assert.equal(source.query, 'grafana-postgresql-datasource', "the plugin id since Grafana 10.2.3 ('postgres' before, now its alias)");
    assert.equal(historyDatasource.uid, '${history_datasource}');
    for (const [name, column] of [
      ['history_symbol', 'symbol'],
      ['history_interval', '"interval"'],
    ] as const) {
      const v = list.find((x) => x.name === name)!;
      assert.deepEqual(v.datasource, historyDatasource, name);
      assert.equal(v.query, `SELECT DISTINCT ${column} FROM candle_series ORDER BY 1`);
      assert.equal(v.definition, v.query);
      assert.ok(!v.multi && !v.includeAll, `${name} is single-valued: it goes into = '$${name}'`);
    }
  });

  it("every history query names only the sink's tables and columns (keywords in double quotes) and the dashboard's variables", () => {
    const schema = sinkSchema();
    assert.deepEqual(
      [...(schema.get('candles')?.keys() ?? [])],
      ['symbol', 'interval', 'window_start', 'window_end', 'open', 'high', 'low', 'close', 'volume', 'vwap', 'trade_count'],
    );
    assert.ok(schema.get('kafka_offsets')?.get('partition')?.quoted);
    const list = d.templating?.list ?? [];
    const variables = new Set(list.map((v) => v.name));
    const sqls = [
      ...history.map((q) => ({ what: q.panel, sql: q.rawSql })),
      ...list.filter((v) => v.datasource?.type === historyDatasource.type).map((v) => ({ what: `variable ${v.name}`, sql: String(v.query as string) })),
    ];
    assert.equal(sqls.length, 5);
    for (const { what, sql } of sqls) assert.deepEqual(sqlProblems(sql, schema, variables), [], `${what}: ${sql}`);
    for (const q of history) {
      assert.deepEqual([q.editorMode, q.rawQuery], ['code', true], q.panel);
      for (const [, name] of q.rawSql.matchAll(/\$(?!__)(\w+)/g)) {
        const v = list.find((x) => x.name === name)!;
        assert.ok(!v.multi && !v.includeAll, `${q.panel}: $${name} is single-valued`);
      }
    }
    // The checker itself: it catches what it is there to catch.
    assert.deepEqual(sqlProblems("SELECT interval, vwap AS v, price FROM candles WHERE symbol = '$nope' ORDER BY v", schema, variables), [
      'no variable or macro $nope',
      'interval needs double quotes',
      'no column price in candles',
    ]);
    assert.deepEqual(sqlProblems('SELECT symbol FROM candle', schema, variables), ['no table candle', 'no column symbol in candle']);
  });

  it('draws one symbol and interval as candlesticks over the time range: time, open, high, low, close and volume', () => {
    const p = (d.panels ?? []).find((x) => x.type === 'candlestick')!;
    assert.equal(p.title, historyTitles[0]);
    const [q, ...more] = history.filter((x) => x.panel === p.title);
    assert.equal(more.length, 0);
    assert.equal(q!.format, 'time_series');
    assert.deepEqual(selected(q!.rawSql), ['time', 'open', 'high', 'low', 'close', 'volume']);
    assert.match(q!.rawSql, /WHERE symbol = '\$history_symbol' AND "interval" = '\$history_interval' AND \$__timeFilter\(window_start\) ORDER BY 1$/);
    assert.deepEqual((p as { options?: { fields?: unknown } }).options?.fields, { open: 'open', high: 'high', low: 'low', close: 'close', volume: 'volume' });
    for (const t of history.filter((x) => x.panel !== p.title)) {
      assert.equal(t.format, 'table', t.panel);
      assert.ok(selected(t.rawSql).includes('age'), `${t.panel}: an age column`);
    }
    assert.deepEqual(selected(history.find((x) => x.panel === 'History by interval')!.rawSql), ['interval', 'symbols', 'oldest', 'newest', 'age']);
  });

  it('rates over $__rate_interval and filters every series by the namespace and pod variables', () => {
    for (const { panel, expr } of queries) {
      for (const window of expr.matchAll(/\[([^\]]+)\]/g)) assert.equal(window[1], '$__rate_interval', `${panel}: ${expr}`);
      for (const selector of expr.matchAll(/(tickerflow_\w+|process_\w+)\{([^}]*)\}/g))
        assert.match(selector[2]!, /namespace="\$namespace", pod=~"\$pod"/, `${panel}: ${selector[0]}`);
    }
  });
});

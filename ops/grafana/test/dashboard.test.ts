import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { dashboardFile, panelQueries, renderDashboard, tickerflowDashboard } from '../src/index.js';

describe('the Grafana dashboard (ops/grafana)', () => {
  const d = tickerflowDashboard();
  const queries = panelQueries(d);

  it('is committed as generated (npm run generate -w ops/grafana)', () => {
    assert.equal(readFileSync(dashboardFile, 'utf8'), renderDashboard(d));
  });

  it('is the classic dashboard JSON model with the datasource, namespace, symbol and pod variables', () => {
    assert.equal(typeof d.schemaVersion, 'number');
    assert.ok(!('spec' in d) && Array.isArray(d.panels), 'panels at the top level, not a v2 spec');
    const variables = (d.templating?.list ?? []).map((v) => [v.name, v.type]);
    assert.deepEqual(variables, [
      ['datasource', 'datasource'],
      ['namespace', 'query'],
      ['symbol', 'query'],
      ['pod', 'query'],
    ]);
  });

  it('has the panels users look for, each with a query on the datasource variable', () => {
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
    ])
      assert.ok(titles.includes(wanted), `a panel "${wanted}"`);
    for (const p of d.panels ?? []) {
      if (p.type === 'row') continue;
      assert.deepEqual((p as { datasource?: unknown }).datasource, { type: 'prometheus', uid: '${datasource}' }, p.title);
      assert.ok(
        queries.some((q) => q.panel === p.title && q.expr !== ''),
        `${p.title} has a query`,
      );
    }
  });

  it('rates over $__rate_interval and filters every series by the namespace and pod variables', () => {
    for (const { panel, expr } of queries) {
      for (const window of expr.matchAll(/\[([^\]]+)\]/g)) assert.equal(window[1], '$__rate_interval', `${panel}: ${expr}`);
      for (const selector of expr.matchAll(/(tickerflow_\w+|process_\w+)\{([^}]*)\}/g))
        assert.match(selector[2]!, /namespace="\$namespace", pod=~"\$pod"/, `${panel}: ${selector[0]}`);
    }
  });
});

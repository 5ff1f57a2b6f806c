import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { historyDatasource, tickerflowDashboard, type SqlQuery } from './dashboard.js';

export { historyDatasource, tickerflowDashboard, type SqlQuery };

/** Where the chart ships the dashboard from (ops/grafana/{src,dist/src} → charts/tickerflow/dashboards). */
export const dashboardFile = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'charts', 'tickerflow', 'dashboards', 'tickerflow.json');

/** The dashboard file's text: stable JSON, two-space indented, ending in a newline. */
export const renderDashboard = (d: Dashboard = tickerflowDashboard()): string => `${JSON.stringify(d, null, 2)}\n`;

const targetsOf = (d: Dashboard, type: string) =>
  (d.panels ?? []).flatMap((p) =>
    'targets' in p && p.targets && p.datasource?.type === type ? p.targets.map((t) => ({ panel: p.title ?? '', target: t })) : [],
  );

/** Every Prometheus panel's PromQL, with the panel's title, as Grafana would run them (the history's SQL is in historyQueries). */
export function panelQueries(d: Dashboard): { panel: string; expr: string }[] {
  return targetsOf(d, 'prometheus').map(({ panel, target }) => ({ panel, expr: (target as { expr?: string }).expr ?? '' }));
}

/** Every history panel's SQL query (on the PostgreSQL data source), with the panel's title. */
export function historyQueries(d: Dashboard): ({ panel: string } & SqlQuery)[] {
  return targetsOf(d, historyDatasource.type).map(({ panel, target }) => ({ panel, ...(target as unknown as SqlQuery) }));
}

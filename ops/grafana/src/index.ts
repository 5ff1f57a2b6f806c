import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { tickerflowDashboard } from './dashboard.js';

export { tickerflowDashboard };

/** Where the chart ships the dashboard from (ops/grafana/{src,dist/src} → charts/tickerflow/dashboards). */
export const dashboardFile = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'charts', 'tickerflow', 'dashboards', 'tickerflow.json');

/** The dashboard file's text: stable JSON, two-space indented, ending in a newline. */
export const renderDashboard = (d: Dashboard = tickerflowDashboard()): string => `${JSON.stringify(d, null, 2)}\n`;

/** Every panel's PromQL, with the panel's title, as Grafana would run them. */
export function panelQueries(d: Dashboard): { panel: string; expr: string }[] {
  return (d.panels ?? []).flatMap((p) =>
    'targets' in p && p.targets ? p.targets.map((t) => ({ panel: p.title ?? '', expr: (t as { expr?: string }).expr ?? '' })) : [],
  );
}

/** `npm run generate -w ops/grafana`: writes the dashboard JSON into the chart. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { dashboardFile, renderDashboard } from './index.js';

mkdirSync(dirname(dashboardFile), { recursive: true });
writeFileSync(dashboardFile, renderDashboard());
process.stdout.write(`wrote ${dashboardFile}\n`);

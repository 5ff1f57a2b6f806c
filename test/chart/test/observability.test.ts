import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { dashboardFile, panelQueries, tickerflowDashboard } from '@tickerflow/grafana-dashboard';
import { binaries, harnessDir, repoRoot } from '@tickerflow/harness';
import { chartDir, helm, helmOk } from '../src/chart.js';

const run = promisify(execFile);
const alertTests = join(repoRoot, 'test', 'chart', 'alerts', 'tickerflow.test.yaml');

interface Rule {
  alert: string;
  expr: string;
  annotations: Record<string, string>;
}
interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: Record<string, unknown> & { groups?: { rules: Rule[] }[] };
  data?: Record<string, string>;
}

/** The chart rendered as the alert tests expect it: release `tf` in namespace `tickerflow`. */
async function render(...set: string[]): Promise<Manifest[]> {
  const out = await helmOk('helm4', ['template', 'tf', chartDir, '-n', 'tickerflow', '--set', 'finnhub.token=x', ...set.flatMap((s) => ['--set', s])]);
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => !!m);
}
const rulesOf = (manifests: Manifest[]) => manifests.find((m) => m.kind === 'PrometheusRule')?.spec.groups?.flatMap((g) => g.rules) ?? [];

/** Writes the rules file promtool reads (a rule group file), beside a copy of the unit tests. */
function ruleDir(spec: unknown): string {
  const dir = mkdtempSync(join(harnessDir(), 'alerts-'));
  writeFileSync(join(dir, 'rules.yaml'), stringify(spec));
  copyFileSync(alertTests, join(dir, 'tickerflow.test.yaml'));
  return dir;
}
const promtool = (args: string[], cwd: string) =>
  run(binaries.promtool, args, { cwd }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`promtool ${args.join(' ')}: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  });

/** Every alert: the sink's exist only when it runs. */
const withSink = ['metrics.prometheusRule.enabled=true', 'sink.enabled=true', 'database.mode=cloudnativepg'];

describe('charts/tickerflow: alerts, dashboard, scraping and autoscaling', () => {
  it('the PrometheusRule passes promtool check rules and every promtool unit test', async () => {
    const manifests = await render(...withSink);
    const rule = manifests.find((m) => m.kind === 'PrometheusRule')!;
    const dir = ruleDir(rule.spec);
    const checked = await promtool(['check', 'rules', 'rules.yaml'], dir);
    assert.match(checked.stdout, /SUCCESS: 16 rules found/);
    const tested = await promtool(['test', 'rules', 'tickerflow.test.yaml'], dir);
    assert.match(tested.stdout, /SUCCESS/);
  });

  it('every alert has a firing and a quiet unit test, and links to a runbook section that exists', async () => {
    const rules = rulesOf(await render(...withSink));
    const tests = (parse(readFileSync(alertTests, 'utf8')) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] }).tests.flatMap(
      (t) => t.alert_rule_test,
    );
    const anchors = new Set([...readFileSync(join(repoRoot, 'docs', 'runbook.md'), 'utf8').matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1]!.trim()));
    for (const { alert, annotations } of rules) {
      assert.ok(
        tests.some((t) => t.alertname === alert && t.exp_alerts.length > 0),
        `${alert} has a firing case`,
      );
      assert.ok(
        tests.some((t) => t.alertname === alert && t.exp_alerts.length === 0),
        `${alert} has a quiet case`,
      );
      const section = annotations.runbook_url!.split('#')[1]!;
      assert.ok(anchors.has(section), `docs/runbook.md has a section "${section}" (${alert})`);
    }
  });

  it('alerts can be left out, and the no-trades alert can wait for market hours', async () => {
    const rules = rulesOf(
      await render(
        'metrics.prometheusRule.enabled=true',
        'metrics.prometheusRule.disabled={TickerflowTargetDown}',
        'metrics.prometheusRule.marketHours=hour() >= 14 < 21',
      ),
    );
    assert.ok(!rules.some((r) => r.alert === 'TickerflowTargetDown'));
    assert.equal(rules.length, 13);
    assert.match(rules.find((r) => r.alert === 'TickerflowNoTrades')!.expr, /\) and on\(\) \(hour\(\) >= 14 < 21\)$/);
    const dir = ruleDir({ groups: [{ name: 'guarded', rules }] });
    await promtool(['check', 'rules', 'rules.yaml'], dir);
  });

  it("every dashboard query, with its variables substituted, is PromQL that Prometheus' own parser accepts", async () => {
    const substitute = (expr: string) =>
      expr.replaceAll('$__rate_interval', '1m').replaceAll('$namespace', 'tickerflow').replaceAll('$symbol', '.*').replaceAll('$pod', '.*');
    const queries = panelQueries(tickerflowDashboard());
    assert.ok(queries.length >= 20);
    const recording = queries.map((q, i) => ({ record: `tickerflow:dashboard_query_${i}`, expr: substitute(q.expr) }));
    const dir = ruleDir({ groups: [{ name: 'dashboard', rules: recording }] });
    const checked = await promtool(['check', 'rules', 'rules.yaml'], dir);
    assert.match(checked.stdout, new RegExp(`SUCCESS: ${queries.length} rules found`));
  });

  it('ships the generated dashboard in a ConfigMap with the sidecar label', async () => {
    const cm = (await render('metrics.grafanaDashboard.enabled=true')).find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name === 'tf-tickerflow-grafana-dashboard',
    )!;
    assert.equal(cm.metadata.labels?.grafana_dashboard, '1');
    assert.equal(cm.data?.['tickerflow.json'], readFileSync(dashboardFile, 'utf8'));
  });

  it('a ServiceMonitor per component, with the labels Prometheus selects on', async () => {
    const monitors = (await render('metrics.serviceMonitor.enabled=true', 'metrics.serviceMonitor.labels.release=kube-prometheus-stack')).filter(
      (m) => m.kind === 'ServiceMonitor',
    );
    assert.deepEqual(monitors.map((m) => m.metadata.name).sort(), ['controller', 'consumer', 'dashboard', 'producer'].map((c) => `tf-tickerflow-${c}`).sort());
    for (const m of monitors) {
      assert.equal(m.metadata.labels?.release, 'kube-prometheus-stack');
      assert.deepEqual(m.spec.endpoints, [{ port: 'http', path: '/metrics', interval: '30s' }]);
    }
  });

  it('the consumer scales on lag with KEDA or an HPA, never above the trades partitions; the page on CPU', async () => {
    const keda = await render('consumer.autoscaling.mode=keda', 'consumer.autoscaling.maxReplicas=4', 'kafka.topics.trades.partitions=4');
    const scaled = keda.find((m) => m.kind === 'ScaledObject')!;
    assert.equal(scaled.spec.maxReplicaCount, 4);
    const [trigger] = scaled.spec.triggers as { type: string; metadata: Record<string, string> }[];
    assert.equal(trigger!.type, 'prometheus');
    assert.equal(trigger!.metadata.query, 'sum(tickerflow_consumer_lag_records{namespace="tickerflow", job="tf-tickerflow-consumer"})');
    const consumer = keda.find((m) => m.kind === 'Deployment' && m.metadata.name === 'tf-tickerflow-consumer')!;
    assert.ok(!('replicas' in consumer.spec), 'the autoscaler owns the replica count');

    const hpa = (await render('consumer.autoscaling.mode=hpa', 'dashboard.autoscaling.enabled=true')).filter((m) => m.kind === 'HorizontalPodAutoscaler');
    assert.deepEqual(hpa.map((m) => m.metadata.name).sort(), ['tf-tickerflow-consumer', 'tf-tickerflow-dashboard']);
    assert.deepEqual(
      (hpa[0]!.spec.metrics as { type: string }[]).map((m) => m.type),
      ['External'],
    );

    const tooMany = await helm('helm4', [
      'template',
      'tf',
      chartDir,
      '--set',
      'finnhub.token=x',
      '--set',
      'consumer.autoscaling.mode=keda',
      '--set',
      'consumer.autoscaling.maxReplicas=8',
    ]);
    assert.notEqual(tooMany.code, 0);
    assert.match(tooMany.stderr, /consumer\.autoscaling\.maxReplicas \(8\) is above kafka\.topics\.trades\.partitions \(6\)/);
  });
});

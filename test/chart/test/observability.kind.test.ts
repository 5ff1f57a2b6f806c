import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { loadSchema, parseIntervals, singleObjectCodec, type TradeValue } from '@tickerflow/common';
import { panelQueries, tickerflowDashboard } from '@tickerflow/grafana-dashboard';
import {
  artifactsDir,
  byIdentity,
  caughtUp,
  committedCandles,
  eventually,
  installMonitoringStack,
  launchChromium,
  recomputeCandles,
  repoRoot,
  type MonitoringStack,
} from '@tickerflow/harness';
import { chartDir, helmOk } from '../src/chart.js';
import { componentOf, imageValues, kindSession } from '../src/kind.js';
import { panelsPage, type PanelData } from '../src/panels-page.js';

const ns = 'tickerflow-obs';
const kafkaNs = 'obs-kafka';
const release = 'obs';
const fullname = `${release}-tickerflow`;
const consumer = `${fullname}-consumer`;
const partitions = 3;
const kind = kindSession();
const { kubectl, jsonpath, getJson } = kind;
const tradeCodec = singleObjectCodec<TradeValue>(loadSchema('trade'));

interface Alert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}
interface Target {
  labels: Record<string, string>;
  health: string;
  lastError: string;
}
interface RuleGroup {
  file: string;
  rules: { name: string; health: string; lastError?: string; lastEvaluation: string; state: string }[];
}

/**
 * Monitoring and autoscaling for real, on the kind cluster: Prometheus
 * Operator's Prometheus scrapes the chart's ServiceMonitors and evaluates its
 * PrometheusRule, every panel of the Grafana dashboard has data, and KEDA
 * scales the consumer on lag with candles staying exactly once.
 */
describe('charts/tickerflow on kind with Prometheus Operator and KEDA', () => {
  let stack: MonitoringStack;
  let kafkaBrokers: string[];

  const pods = () => kind.releasePods(ns, release);
  const alerts = async (name: string) => (await stack.prometheus.get<{ alerts: Alert[] }>('alerts')).alerts.filter((a) => a.labels.alertname === name);
  const firing = async (name: string) => (await alerts(name)).some((a) => a.state === 'firing');
  const scale = (deployment: string, replicas: number) => kubectl(['scale', '-n', ns, `deployment/${fullname}-${deployment}`, `--replicas=${replicas}`]);
  const replicas = async () => Number((await jsonpath(['get', 'deployment', '-n', ns, consumer], '{.spec.replicas}')) || 0);

  before(async () => {
    stack = await installMonitoringStack(kind.kubeconfig);
    kafkaBrokers = await kind.kafka(kafkaNs, { 'finnhub.trades': partitions, 'finnhub.candles': partitions, 'finnhub.trades.dlq': 1 });
    await kind.restrictedNamespace(ns);
    // The CRD may be left from the other kind test (kept on uninstall): this release does not own it.
    await kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, 'k8s', 'crds')]);
    await helmOk('helm4', [
      'install',
      release,
      chartDir,
      '--kubeconfig',
      kind.kubeconfig,
      '-n',
      ns,
      '-f',
      join(chartDir, 'ci', 'simulator-values.yaml'),
      '--set',
      imageValues(),
      '--set',
      `crds.install=false,simulator.rate=100,kafka.external.bootstrapServers=kafka.${kafkaNs}.svc.cluster.local:9092`,
      '--set',
      'metrics.serviceMonitor.enabled=true,metrics.serviceMonitor.interval=5s,metrics.grafanaDashboard.enabled=true',
      // Short holds, so alerts fire within a test.
      '--set',
      'metrics.prometheusRule.enabled=true,metrics.prometheusRule.for.producerNotConnected=15s,metrics.prometheusRule.for.consumerLagHigh=10s',
      '--set',
      'metrics.prometheusRule.consumerLagRecords=1000',
      '--set',
      `consumer.autoscaling.mode=keda,consumer.autoscaling.maxReplicas=${partitions},consumer.autoscaling.lagPerReplica=5000`,
      '--set',
      'consumer.autoscaling.pollingInterval=5,consumer.autoscaling.scaleDownStabilizationSeconds=30',
      // A slow consumer (short of CPU, small fetches: many small transactions) falls behind 20,000 trades/s; each replica KEDA adds brings its own share.
      '--set',
      'consumer.resources.requests.cpu=50m,consumer.resources.limits.cpu=100m',
      '--set',
      'consumer.extraEnv[0].name=CONSUMER_MAX_BYTES_PER_PARTITION',
      '--set-string',
      'consumer.extraEnv[0].value=16384',
      '--wait',
      '--timeout',
      '8m',
    ]);
    await kubectl(['apply', '-n', ns, '-f', join(repoRoot, 'k8s', 'examples', 'tickersubscription.yaml')]);
  });

  after(async () => {
    const dump = await Promise.allSettled([
      kubectl(['get', 'all,scaledobject,hpa,servicemonitor,prometheusrule,tsub', '-n', ns, '-o', 'wide']),
      kubectl(['get', 'events', '-n', ns, '--sort-by=.lastTimestamp']),
      kubectl(['get', 'all', '-n', 'monitoring', '-o', 'wide']),
      kubectl(['get', 'all', '-n', 'keda', '-o', 'wide']),
      kubectl(['logs', '-n', 'keda', 'deployment/keda-operator', '--tail=100']),
      kubectl(['logs', '-n', 'monitoring', 'deployment/prometheus-operator', '--tail=60']),
    ]);
    writeFileSync(
      join(artifactsDir('chart'), 'observability-kind.txt'),
      dump.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason))).join('\n---\n'),
    );
    await stack?.stop();
    await kind.stop();
  });

  it("Prometheus' targets API shows every tickerflow Pod up", async () => {
    await eventually(
      async () => {
        const { activeTargets } = await stack.prometheus.get<{ activeTargets: Target[] }>('targets', { state: 'active' });
        const up = new Set(activeTargets.filter((t) => t.labels.namespace === ns && t.health === 'up').map((t) => t.labels.pod));
        const ours = (await pods()).filter((p) => componentOf(p) !== 'finnhub-sim').map((p) => p.metadata.name);
        const missing = ours.filter((p) => !up.has(p));
        if (missing.length > 0) throw new Error(`not up yet: ${missing.join(', ')}`);
        return ours.length >= 5;
      },
      { timeoutMs: 180_000, intervalMs: 3_000, what: 'every Pod scraped and up' },
    );
    const { activeTargets } = await stack.prometheus.get<{ activeTargets: Target[] }>('targets', { state: 'active' });
    const jobs = new Set(activeTargets.filter((t) => t.labels.namespace === ns).map((t) => t.labels.job));
    assert.deepEqual(
      [...jobs].sort(),
      ['consumer', 'controller', 'dashboard', 'producer'].map((c) => `${fullname}-${c}`),
    );
  });

  it('Prometheus loaded every alert of the PrometheusRule and evaluates each without error', async () => {
    const rule = await getJson<{ spec: { groups: { rules: { alert: string }[] }[] } }>(['get', 'prometheusrule', '-n', ns, fullname]);
    const wanted = rule.spec.groups.flatMap((g) => g.rules.map((r) => r.alert)).sort();
    assert.equal(wanted.length, 14);
    let loaded: RuleGroup['rules'] = [];
    await eventually(
      async () => {
        const { groups } = await stack.prometheus.get<{ groups: RuleGroup[] }>('rules', { type: 'alert' });
        loaded = groups.filter((g) => g.file.includes(`${ns}-${fullname}`)).flatMap((g) => g.rules);
        return loaded.length === wanted.length && loaded.every((r) => !r.lastEvaluation.startsWith('0001'));
      },
      { timeoutMs: 180_000, intervalMs: 3_000, what: 'the rule file loaded and evaluated' },
    );
    assert.deepEqual(loaded.map((r) => r.name).sort(), wanted);
    for (const r of loaded) assert.equal(r.health, 'ok', `${r.name}: ${r.lastError ?? ''}`);
  });

  it('"producer not connected" fires when the simulator stops and resolves when it is back', async () => {
    await eventually(async () => (await stack.prometheus.query(`tickerflow_producer_connection_state{namespace="${ns}", state="open"} == 1`)).length === 1, {
      timeoutMs: 180_000,
      what: 'the leader connected',
    });
    assert.equal(await firing('TickerflowProducerNotConnected'), false, 'quiet while connected');
    await scale('finnhub-sim', 0);
    await eventually(() => firing('TickerflowProducerNotConnected'), { timeoutMs: 180_000, intervalMs: 3_000, what: 'TickerflowProducerNotConnected firing' });
    await scale('finnhub-sim', 1);
    await eventually(async () => (await alerts('TickerflowProducerNotConnected')).length === 0, {
      timeoutMs: 240_000,
      intervalMs: 3_000,
      what: 'TickerflowProducerNotConnected resolved',
    });
  });

  it("every Grafana panel's query, with the dashboard's variables resolved from Prometheus as Grafana does, returns data", async () => {
    const dashboard = tickerflowDashboard();
    // label_values(selector, label): what Grafana's Prometheus data source asks /api/v1/series for.
    const values = new Map<string, string[]>([['namespace', [ns]]]);
    const substitute = (expr: string) =>
      expr.replace(/\$(__rate_interval|namespace|symbol|pod)\b/g, (_, name: string) => {
        if (name === '__rate_interval') return '1m'; // Grafana: max(4 × the data source's 15 s scrape interval, interval + scrape)
        const v = values.get(name)!;
        // A multi-value variable with every value selected, as Grafana formats it for a regex matcher.
        return v.length === 1 ? v[0]! : `(${v.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`;
      });
    for (const variable of dashboard.templating.list ?? []) {
      // Only queries on Prometheus: not the data source pickers, nor the history row's SQL (the kind chart test runs those on PostgreSQL).
      if (variable.datasource?.type !== 'prometheus') continue;
      const m = /^label_values\((.+), (\w+)\)$/.exec(String(variable.query as string));
      assert.ok(m, `${variable.name}: ${String(variable.query as string)}`);
      const series = await stack.prometheus.get<Record<string, string>[]>('series', {
        'match[]': substitute(m[1]!),
        start: String(Date.now() / 1000 - 3600),
      });
      const found = [...new Set(series.map((s) => s[m[2]!]!))].sort();
      assert.ok(found.length > 0, `variable ${variable.name} has values`);
      if (variable.name === 'namespace') assert.ok(found.includes(ns));
      else values.set(variable.name, found);
    }
    const queries = panelQueries(dashboard);
    assert.ok(queries.length >= 20);
    const empty: string[] = [];
    const report: string[] = [];
    const data: PanelData[] = [];
    for (const q of queries) {
      const expr = substitute(q.expr);
      const series = await stack.prometheus.queryRange(expr, 900, 15);
      const points = series.flatMap((s) => s.values).filter(([, v]) => Number.isFinite(Number(v))).length;
      report.push(`${q.panel}\t${series.length} series\t${points} points\t${expr}`);
      data.push({ panel: q.panel, series });
      if (points === 0) empty.push(`${q.panel}: ${expr}`);
    }
    writeFileSync(join(artifactsDir('chart'), 'dashboard-panels-on-kind.tsv'), `${report.join('\n')}\n`);
    await screenshot(panelsPage(`tickerflow dashboard queries on kind: namespace ${ns}, last 15 min`, data), 'dashboard-panels-on-kind.png');
    assert.deepEqual(empty, [], 'every panel query has data');
  });

  it('forced lag: KEDA scales the consumer up (never above the partitions) and back down, the lag alert fires, and candles stay exactly once', async () => {
    const hpa = await getJson<{ spec: { maxReplicas: number; minReplicas: number } }>(['get', 'hpa', '-n', ns, `keda-hpa-${consumer}`]);
    assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas], [1, partitions]);
    assert.equal(await replicas(), 1);
    // Watch the Deployment's replicas throughout.
    let highest = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        highest = Math.max(highest, await replicas().catch(() => 0));
        await sleep(1_000);
      }
    })();
    try {
      // The consumer is held at one replica while trades come in faster than it keeps up with: the lag is high
      // and growing (the alert's condition, a delta over minute steps), then KEDA may scale again. The hold is a
      // spec change (maxReplicaCount), which KEDA applies to its HPA. KEDA's pause annotation deletes and recreates
      // the HPA and restarts the scale loop; with it, one CI run saw no scale-up for 5 min after the resume.
      const maxReplicas = (n: number) =>
        kubectl(['patch', 'scaledobject', '-n', ns, consumer, '--type', 'merge', '-p', JSON.stringify({ spec: { maxReplicaCount: n } })]);
      await maxReplicas(1);
      await eventually(
        async () => (await getJson<{ spec: { maxReplicas: number } }>(['get', 'hpa', '-n', ns, `keda-hpa-${consumer}`])).spec.maxReplicas === 1,
        {
          timeoutMs: 60_000,
          what: 'KEDA applied maxReplicaCount 1 to its HPA',
        },
      );
      const burst = await produceTradesUntil(kafkaBrokers, () => firing('TickerflowConsumerLagHigh'), { perSecond: 20_000, timeoutMs: 360_000 });
      assert.equal(highest, 1, 'one replica while held');
      await maxReplicas(partitions);
      await eventually(async () => highest > 1, { timeoutMs: 300_000, what: `KEDA scaled the consumer up (${burst} records of lag)` }).catch(
        async (e: Error) => {
          // What the HPA and KEDA saw, in the test's own error (CI keeps only the output).
          const [hpaNow, so] = await Promise.all([
            jsonpath(['get', 'hpa', '-n', ns, `keda-hpa-${consumer}`], '{.spec.maxReplicas} {.status} ').catch(String),
            jsonpath(['get', 'scaledobject', '-n', ns, consumer], '{.status.conditions}').catch(String),
          ]);
          throw new Error(`${e.message}\nHPA: ${hpaNow}\nScaledObject conditions: ${so}`);
        },
      );
      await caughtUp(kafkaBrokers, { trades: 'finnhub.trades', group: 'tickerflow-candles' }, 600_000);
      await eventually(async () => (await replicas()) === 1, { timeoutMs: 300_000, intervalMs: 2_000, what: 'KEDA scaled the consumer back to 1' });
    } finally {
      watching = false;
      await watcher;
    }
    assert.ok(highest > 1 && highest <= partitions, `replicas went up to ${highest}, at most ${partitions}`);
    // Stop the source, let the group commit everything, then compare with the offline recomputation.
    await scale('producer', 0);
    await eventually(async () => (await pods()).every((p) => componentOf(p) !== 'producer'), { timeoutMs: 120_000, what: 'the producer stopped' });
    await caughtUp(kafkaBrokers, { trades: 'finnhub.trades', group: 'tickerflow-candles' }, 300_000);
    const { candles: expected, invalid } = await recomputeCandles(kafkaBrokers, 'finnhub.trades', {
      intervals: parseIntervals(['1m']),
      allowedLatenessMs: 2_000,
    });
    const actual = await committedCandles(kafkaBrokers, 'finnhub.candles');
    assert.equal(invalid.length, 0);
    assert.ok(expected.length > 0);
    assert.deepEqual([...actual].sort(byIdentity), [...expected].sort(byIdentity), 'committed candles equal the recomputation: none twice, none missing');
  });
});

/** Chromium's screenshot of a page, into artifacts/chart. */
async function screenshot(html: string, file: string): Promise<void> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.setContent(html);
    await page.screenshot({ path: join(artifactsDir('chart'), file), fullPage: true });
  } finally {
    await browser.close();
  }
}

/**
 * Writes trades of eight symbols into the trades topic as the producer would
 * (event time = now), about `perSecond` of them, until `done` holds; resolves
 * with how many were written.
 */
async function produceTradesUntil(brokers: string[], done: () => Promise<boolean>, opts: { perSecond: number; timeoutMs: number }): Promise<number> {
  const symbols = ['AAPL', 'MSFT', 'AMZN', 'NVDA', 'GOOGL', 'META', 'TSLA', 'BINANCE:BTCUSDT'];
  const producer = new Kafka({ clientId: 'test-fill', brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  let n = 0;
  try {
    const started = Date.now();
    const batch = Math.ceil(opts.perSecond / 10);
    for (let round = 0; ; round++) {
      if (Date.now() - started > opts.timeoutMs) throw new Error(`still not done after ${n} trades in ${opts.timeoutMs} ms`);
      // Every 2 s: is it done?
      if (round % 20 === 0 && (await done())) return n;
      const messages = Array.from({ length: batch }, () => {
        const symbol = symbols[n % symbols.length]!;
        const now = Date.now();
        const trade: TradeValue = { symbol, price: 100 + (n % 13), volume: 1 + (n % 5), timestamp: now, conditions: [], receivedAt: now };
        n++;
        return { key: symbol, value: tradeCodec.encode(trade) };
      });
      await producer.send({ topic: 'finnhub.trades', acks: -1, messages });
      await sleep(Math.max(0, started + ((round + 1) * 1000) / 10 - Date.now()));
    }
  } finally {
    await producer.disconnect();
  }
}

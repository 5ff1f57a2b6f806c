import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import kafkajs, { Kafka, logLevel } from 'kafkajs';
import {
  fromWire,
  loadSchema,
  readCandlesTopicRecord,
  readTradesTopicRecord,
  singleObjectCodec,
  type Candle,
  type Trade,
  type TradeValue,
  type WireTrade,
} from '@tickerflow/common';
import { artifactsDir, blocked, eventually, httpGetFrom, launchChromium, probePod, readTopic, repoRoot, requireEnv } from '@tickerflow/harness';
import { tickerflowDashboard } from '@tickerflow/grafana-dashboard';
import { chartDir, helm, helmOk } from '../src/chart.js';
import { assertHistoryQueriesAnswer, historySnapshot, lastCandlePerKey, storedIn } from '../src/history.js';
import { componentOf, imageValues, isReady, kindSession } from '../src/kind.js';

const ns = 'tickerflow';
const kafkaNs = 'kafka';
const historyNs = 'history';
/** The dashboard's Kafka look-back: anything older on the page came from PostgreSQL. */
const lookbackMs = 60_000;
const release = 'tf';
const fullname = `${release}-tickerflow`;
const kind = kindSession();
const { kubectl, kubectlResult, jsonpath, getJson, forward } = kind;
/** The example a user applies. */
const exampleSubscription = join(repoRoot, 'k8s', 'examples', 'tickersubscription.yaml');
const tradeCodec = singleObjectCodec<TradeValue>(loadSchema('trade'));
const candleCodec = singleObjectCodec<Candle>(loadSchema('candle'));
const tradeKey = (t: Trade) => JSON.stringify([t.symbol, t.price, t.volume, t.timestamp, t.conditions]);

/** The RBAC table of the chart's README: ServiceAccount → "resource verb" lines. */
function documentedRbac(): Map<string, string[]> {
  const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## RBAC'), readme.indexOf('## Security and network'));
  const rules = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const m = /^\| (controller|producer) \| `([^`]+)` \| ([a-z, ]+) \|/.exec(line);
    if (!m) continue;
    for (const verb of m[3]!.split(',').map((v) => v.trim())) rules.set(m[1]!, [...(rules.get(m[1]!) ?? []), `${m[2]} ${verb}`]);
  }
  return rules;
}

/** What `kubectl auth can-i --list` grants a ServiceAccount beyond what every authenticated user gets. */
async function grantedRbac(serviceAccount: string): Promise<string[]> {
  const [header, ...rows] = (await kubectl(['auth', 'can-i', '--list', '-n', ns, `--as=system:serviceaccount:${ns}:${serviceAccount}`])).trimEnd().split('\n');
  // A fixed-width table: Resources, Non-Resource URLs, Resource Names, Verbs.
  const urls = header!.indexOf('Non-Resource URLs');
  const verbsAt = header!.indexOf('Verbs');
  const everyone = /^selfsubject(accessreviews|rulesreviews|reviews)\./;
  const granted: string[] = [];
  for (const row of rows) {
    const resource = row.slice(0, urls).trim();
    if (!resource || everyone.test(resource)) continue;
    for (const verb of row
      .slice(verbsAt)
      .trim()
      .replace(/^\[|\]$/g, '')
      .split(' '))
      granted.push(`${resource} ${verb}`);
  }
  return granted.sort();
}

/**
 * The chart on the harness's kind cluster, as a user runs it: external-Kafka
 * mode against a Kafka Pod, the simulator instead of Finnhub, Pods from the
 * product image in a namespace that enforces the restricted Pod Security
 * Standard; then TickerSubscription → trades → candles → the page, an
 * upgrade with the producer's leader handing over, a leader killed, RBAC
 * exactly as documented, and an uninstall that leaves only the CRD.
 */
describe('charts/tickerflow on the kind cluster', () => {
  const image = requireEnv('TICKERFLOW_IMAGE');
  let kafkaBrokers: string[];
  let simBase: string;
  const helmArgs = [
    '--kubeconfig',
    kind.kubeconfig,
    '-n',
    ns,
    '-f',
    join(chartDir, 'ci', 'simulator-values.yaml'),
    '--set',
    imageValues(image),
    '--set',
    'simulator.rate=50,simulator.extraArgs={--record}',
    // The history: the sink (and its raw trades archive) into a PostgreSQL Pod, read back by the page.
    '--set',
    `sink.enabled=true,sink.trades.enabled=true,database.mode=external,database.external.passwordSecret=history-db,dashboard.lookback=${lookbackMs / 1000}s`,
    '--set',
    `database.external.url=postgres://tickerflow@postgres.${historyNs}.svc:5432/tickerflow`,
  ];
  let history: Awaited<ReturnType<typeof kind.postgres>>;
  const password = randomBytes(12).toString('hex');

  const pods = () => kind.releasePods(ns, release);
  const leaseHolder = (name: string) => jsonpath(['get', 'lease', '-n', ns, name], '{.spec.holderIdentity}');
  const simStats = async () =>
    ((await (await fetch(`${simBase}/control/stats`)).json()) as { connections: { id: number; open: boolean; closeCode?: number }[] }).connections;
  /** The trades in the read_committed trades topic, of the records `which` keeps. */
  const kafkaTrades = async (which: (r: { partition: number; offset: string }) => boolean = () => true) =>
    (await readTopic(kafkaBrokers, 'finnhub.trades'))
      .filter(which)
      .map((r) => readTradesTopicRecord(tradeCodec, r))
      .flatMap((r) => (r.kind === 'trade' ? [r.trade] : []));

  /** Every trade the simulator sent, over every connection, is in the trades topic (as a multiset). */
  async function everySentTradeArrived(what: string): Promise<number> {
    let sentCount = 0;
    await eventually(
      async () => {
        const sent: Trade[] = [];
        for (const c of await simStats()) {
          const wire = (await (await fetch(`${simBase}/control/connections/${c.id}/trades`)).json()) as WireTrade[];
          sent.push(...wire.map(fromWire));
        }
        const inKafka = new Map<string, number>();
        for (const t of await kafkaTrades()) inKafka.set(tradeKey(t), (inKafka.get(tradeKey(t)) ?? 0) + 1);
        sentCount = sent.length;
        let missing = 0;
        for (const t of sent) {
          const n = inKafka.get(tradeKey(t)) ?? 0;
          if (n === 0) missing++;
          else inKafka.set(tradeKey(t), n - 1);
        }
        if (missing > 0) throw new Error(`${missing} of ${sent.length} sent trades not in Kafka yet`);
        return sent.length > 0;
      },
      { timeoutMs: 180_000, intervalMs: 3_000, what },
    );
    return sentCount;
  }

  before(async () => {
    [kafkaBrokers, history] = await Promise.all([
      // No topics: the chart's topic Job creates them (auto-creation is off on this broker).
      kind.kafka(kafkaNs, {}),
      kind.postgres(historyNs, password),
    ]);
    assert.equal(history.url, `postgres://tickerflow@postgres.${historyNs}.svc:5432/tickerflow`);
    await kind.restrictedNamespace(ns);
    // The chart's password Secret; by stdin, never on a command line.
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'history-db', namespace: ns }, type: 'Opaque', stringData: { password } }),
    );
  });

  after(async () => {
    await kind.saveDiagnostics('kind.txt', [
      ['get', 'all,cm,lease,networkpolicy,pdb,tsub', '-n', ns, '-o', 'wide'],
      ['get', 'events', '-n', ns, '--sort-by=.lastTimestamp'],
      ...['controller', 'producer', 'consumer', 'dashboard', 'sink', 'finnhub-sim'].map((c) => [
        'logs',
        '-n',
        ns,
        '-l',
        `app.kubernetes.io/component=${c}`,
        '--tail=80',
        '--prefix',
        '--all-containers',
      ]),
    ]);
    await kind.stop();
    // The cluster is shared with the other kind tests: its Kafka goes, the kept CRD stays.
    await kubectl(['delete', 'namespace', kafkaNs, historyNs, '--wait=false']);
  });

  it('helm install: the topic Job creates the topics; every Pod Ready in a namespace that enforces the restricted Pod Security Standard', async () => {
    const install = await helm('helm4', ['install', release, chartDir, ...helmArgs, '--wait', '--timeout', '8m']);
    assert.equal(install.code, 0, install.stderr);
    // Helm printed the Job's log (hook-output-log-policy; Helm 4 quotes it in its own log line): each topic created.
    const printed = (install.stderr + install.stdout).replaceAll('\\"', '"');
    for (const topic of ['finnhub.trades', 'finnhub.candles', 'finnhub.trades.dlq'])
      assert.match(printed, new RegExp(`"topic":"${topic.replaceAll('.', '\\.')}"[^}]*"msg":"topic created"`), topic);
    // The pre-install hook made the topics with the values' partitions and config, and was deleted once it succeeded.
    const admin = new Kafka({ clientId: 'test-topics', brokers: kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: ['finnhub.trades', 'finnhub.candles', 'finnhub.trades.dlq'] });
      assert.deepEqual(Object.fromEntries(topics.map((t) => [t.name, t.partitions.length])), {
        'finnhub.trades': 3,
        'finnhub.candles': 3,
        'finnhub.trades.dlq': 1,
      });
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: 'finnhub.trades', configNames: ['min.insync.replicas', 'retention.ms'] }],
      });
      assert.deepEqual(Object.fromEntries(resources[0]!.configEntries.map((e) => [e.configName, e.configValue])), {
        'min.insync.replicas': '1',
        'retention.ms': '604800000',
      });
    } finally {
      await admin.disconnect();
    }
    assert.equal((await kubectlResult(['get', 'job', '-n', ns, `${fullname}-topics`])).code, 1, 'the succeeded hook Job is gone');
    const all = await pods();
    const count = (c: string) => all.filter((p) => componentOf(p) === c).length;
    assert.deepEqual(['controller', 'producer', 'consumer', 'dashboard', 'sink', 'finnhub-sim'].map(count), [2, 2, 1, 1, 1, 1]);
    for (const p of all) assert.ok(isReady(p), `${p.metadata.name} Ready`);
    assert.equal(await jsonpath(['get', 'namespace', ns], '{.metadata.labels.pod-security\\.kubernetes\\.io/enforce}'), 'restricted');
    // The admission check is real: a privileged Pod is refused in this namespace.
    const refused = await kubectlResult(['run', 'root-shell', '-n', ns, `--image=${image}`, '--image-pull-policy=Never', '--privileged', '--', 'id']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /violates PodSecurity "restricted/);
  });

  it('RBAC: kubectl auth can-i --list grants each ServiceAccount exactly the verbs the chart README lists', async () => {
    const documented = documentedRbac();
    assert.deepEqual([...documented.keys()].sort(), ['controller', 'producer']);
    for (const [component, rules] of documented) assert.deepEqual(await grantedRbac(`${fullname}-${component}`), [...rules].sort(), component);
    // The consumer, the dashboard and the sink call no Kubernetes API: no token is mounted at all.
    for (const component of ['consumer', 'dashboard', 'sink'])
      assert.equal(await jsonpath(['get', 'deployment', '-n', ns, `${fullname}-${component}`], '{.spec.template.spec.automountServiceAccountToken}'), 'false');
  });

  it("NetworkPolicy: a Pod outside the allowed set cannot reach the controller's, producer's, consumer's or sink's port; a Pod in the monitoring namespace can", async () => {
    await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } }));
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [probePod({ name: 'outsider', namespace: ns, image }), probePod({ name: 'scraper', namespace: 'monitoring', image })],
      }),
    );
    await kubectl(['wait', '-n', ns, '--for=condition=Ready', 'pod/outsider', '--timeout=180s']);
    await kubectl(['wait', '-n', 'monitoring', '--for=condition=Ready', 'pod/scraper', '--timeout=180s']);
    const metricsUrls = ['controller', 'producer', 'consumer', 'sink'].map((c) => `http://${fullname}-${c}.${ns}.svc:8080/metrics`);
    const getAll = (namespace: string, pod: string) => Promise.all(metricsUrls.map((url) => httpGetFrom({ kubeconfig: kind.kubeconfig, namespace, pod, url })));

    let scraped: string[] = [];
    await eventually(async () => (scraped = await getAll('monitoring', 'scraper')).every((r) => r.startsWith('200 ')), {
      timeoutMs: 120_000,
      intervalMs: 2_000,
      what: 'the monitoring namespace scrapes every /metrics',
    });
    for (const r of scraped) assert.match(r, /^200 # HELP /, 'Prometheus text from /metrics');
    assert.deepEqual(await getAll(ns, 'outsider'), [blocked, blocked, blocked, blocked], 'a Pod of the same namespace outside the allowed set is dropped');
    // dashboardFrom is empty by default: the page is open to any Pod.
    const page = await httpGetFrom({ kubeconfig: kind.kubeconfig, namespace: ns, pod: 'outsider', url: `http://${fullname}-dashboard.${ns}.svc/healthz` });
    assert.match(page, /^200 /, 'the dashboard answers anyone');
    await kubectl(['delete', 'pod', '-n', ns, 'outsider', '--wait=false']);
  });

  it('a TickerSubscription → trades in Kafka → final candles, and kubectl get tsub shows the symbols streaming', async () => {
    await kubectl(['apply', '-n', ns, '-f', exampleSubscription]);
    const symbols = ['AAPL', 'MSFT', 'AMZN', 'BINANCE:BTCUSDT'];
    simBase = `http://127.0.0.1:${await forward(`service/${fullname}-finnhub-sim`, ns, 8080)}`;
    await eventually(
      async () => {
        const seen = new Set((await kafkaTrades()).map((t) => t.symbol));
        return symbols.every((s) => seen.has(s));
      },
      { timeoutMs: 180_000, intervalMs: 2_000, what: 'trades of every subscribed symbol in finnhub.trades' },
    );
    await eventually(
      async () => {
        const candles = (await readTopic(kafkaBrokers, 'finnhub.candles')).map((r) => readCandlesTopicRecord(candleCodec, r));
        return candles.some((c) => c.symbol === 'AAPL' && c.interval === '1m');
      },
      { timeoutMs: 240_000, intervalMs: 5_000, what: 'a final AAPL 1m candle in finnhub.candles (read_committed)' },
    );
    interface Tsub {
      status?: { conditions?: { type: string; status: string }[]; symbols?: { symbol: string; state: string }[] };
    }
    await eventually(
      async () => {
        const tsub = await getJson<Tsub>(['get', 'tsub', '-n', ns, 'big-tech-and-bitcoin']);
        const states = new Map((tsub.status?.symbols ?? []).map((s) => [s.symbol, s.state]));
        return tsub.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true && symbols.every((s) => states.get(s) === 'subscribed');
      },
      { timeoutMs: 120_000, intervalMs: 2_000, what: 'the subscription Ready with every symbol subscribed' },
    );
    const table = await kubectl(['get', 'tsub', '-n', ns]);
    writeFileSync(join(artifactsDir('chart'), 'kubectl-get-tsub.txt'), table);
    assert.match(table, /big-tech-and-bitcoin\s+4\s+True\s+4\s/);
  });

  it('the dashboard page, through a port-forward to its Service, draws the final candles in Chromium (screenshot saved)', async () => {
    const port = await forward(`service/${fullname}-dashboard`, ns, 80);
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      await page.goto(`http://127.0.0.1:${port}/?symbol=AAPL&interval=1m`);
      const chart = page.locator('#chart');
      // At least one final candle before the forming one, drawn on canvases. The history comes
      // over HTTP, the Kafka state over the event stream: either may come first.
      await eventually(
        async () =>
          (await chart.getAttribute('data-symbol')) === 'AAPL' &&
          Number(await chart.getAttribute('data-bars')) >= 2 &&
          (await page.locator('#chart canvas').count()) > 0 &&
          (await page.locator('#kafka').textContent()) === 'connected' &&
          (await page.locator('#stream').textContent()) === 'connected',
        { timeoutMs: 120_000, what: 'AAPL 1m candles drawn, Kafka and the event stream connected' },
      );
      await page.screenshot({ path: join(artifactsDir('chart'), 'dashboard-on-kind.png') });
    } finally {
      await browser?.close();
    }
  });

  it('helm upgrade with a changed value rolls every Deployment; the producer leader hands over with never two Finnhub connections, and every trade sent reached Kafka', async () => {
    const before = new Map((await pods()).map((p) => [p.metadata.uid, componentOf(p)]));
    const leaderBefore = await leaseHolder(`${fullname}-producer`);
    await helmOk('helm4', ['upgrade', release, chartDir, ...helmArgs, '--set', 'logLevel=warn', '--wait', '--timeout', '8m']);
    for (const d of ['controller', 'producer', 'consumer', 'dashboard'])
      await kubectl(['rollout', 'status', '-n', ns, `deployment/${fullname}-${d}`, '--timeout=300s']);
    const after = await pods();
    for (const p of after.filter((p) => componentOf(p) !== 'finnhub-sim')) assert.ok(!before.has(p.metadata.uid), `${p.metadata.name} is a new Pod`);
    assert.ok(
      after.some((p) => componentOf(p) === 'finnhub-sim' && before.has(p.metadata.uid)),
      'the simulator kept running (its values did not change)',
    );
    await eventually(async () => ![leaderBefore, ''].includes(await leaseHolder(`${fullname}-producer`)), {
      timeoutMs: 120_000,
      what: 'a new producer Pod holds the Lease',
    });
    const stats = await simStats();
    assert.ok(stats.length >= 2, `the new leader connected (${stats.length} connections in all)`);
    // The simulator closes an older connection with 1008 when a second one uses the key.
    assert.deepEqual(
      stats.filter((c) => c.closeCode === 1008),
      [],
      'never two connections at once',
    );
    assert.equal(stats.filter((c) => c.open).length, 1);
    const sent = await everySentTradeArrived('every trade the simulator sent (over every leader) in finnhub.trades');
    assert.ok(sent > 0);
  });

  it('deleting the leader Pod: the standby takes the Lease and streams', async () => {
    const leader = await leaseHolder(`${fullname}-producer`);
    const connectionsBefore = (await simStats()).length;
    await kubectl(['delete', 'pod', '-n', ns, leader, '--wait=false']);
    await eventually(async () => ![leader, ''].includes(await leaseHolder(`${fullname}-producer`)), {
      timeoutMs: 120_000,
      what: 'the standby holds the Lease',
    });
    await eventually(async () => (await simStats()).length > connectionsBefore && (await simStats()).some((c) => c.open), {
      timeoutMs: 120_000,
      what: 'the new leader connected to the simulator',
    });
    assert.deepEqual(
      (await simStats()).filter((c) => c.closeCode === 1008),
      [],
      'never two connections at once',
    );
    await everySentTradeArrived('every trade sent, the new leader\u2019s too, in finnhub.trades');
  });

  it('RBAC is needed: without patch on tickersubscriptions/status the controller gets 403 and no status; with it back, it reconciles', async () => {
    const role = `${fullname}-controller`;
    const rules = await getJson<{ rules: { resources: string[]; verbs: string[] }[] }>(['get', 'role', '-n', ns, role]);
    const index = rules.rules.findIndex((r) => r.resources.includes('tickersubscriptions/status'));
    assert.ok(index >= 0);
    await kubectl(['patch', 'role', '-n', ns, role, '--type=json', '-p', JSON.stringify([{ op: 'remove', path: `/rules/${index}` }])]);
    const errors = async () => {
      const leader = await leaseHolder(`${fullname}-controller`);
      const text = await kubectl(['get', '--raw', `/api/v1/namespaces/${ns}/pods/${leader}:8080/proxy/metrics`]);
      // 403 is not worth retrying: the work queue counts it terminal; either way it failed.
      const count = (result: string) =>
        Number(new RegExp(`tickerflow_controller_reconciles_total\\{kind="subscription",result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
      return count('error') + count('terminal');
    };
    const errorsBefore = await errors();
    await kubectl(
      ['apply', '-n', ns, '-f', '-'],
      JSON.stringify({ apiVersion: 'tickerflow.io/v1alpha1', kind: 'TickerSubscription', metadata: { name: 'rbac-check' }, spec: { symbols: ['NVDA'] } }),
    );
    await eventually(async () => (await errors()) > errorsBefore, { timeoutMs: 120_000, what: 'the controller counted failed reconciles' });
    assert.equal(await jsonpath(['get', 'tsub', '-n', ns, 'rbac-check'], '{.status.observedGeneration}'), '', 'no status was written');
    const logs = await kubectl(['logs', '-n', ns, await leaseHolder(`${fullname}-controller`), '--tail=200']);
    assert.match(logs, /403|forbidden/i);
    // The rule back, as the chart has it.
    await kubectl(['patch', 'role', '-n', ns, role, '--type=json', '-p', JSON.stringify([{ op: 'add', path: `/rules/${index}`, value: rules.rules[index] }])]);
    await eventually(async () => (await jsonpath(['get', 'tsub', '-n', ns, 'rbac-check'], '{.status.observedGeneration}')) === '1', {
      timeoutMs: 120_000,
      what: 'the status written once the verb is back',
    });
  });

  it('history: the tables equal the topics up to the offsets stored with them; a dashboard started now shows AAPL candles older than its Kafka look-back, from PostgreSQL', async () => {
    type CandleRow = { symbol: string; interval: string; windowStart: number; close: number; volume: number; tradeCount: number };
    const candleKey = (c: CandleRow) => JSON.stringify([c.symbol, c.interval, c.windowStart, c.close, c.volume, c.tradeCount]);
    await eventually(
      async () => {
        const db = await historySnapshot<CandleRow>(
          history,
          `SELECT json_agg(json_build_object('symbol', symbol, 'interval', "interval", 'windowStart', (extract(epoch FROM window_start) * 1000)::bigint,
            'close', close, 'volume', volume, 'tradeCount', trade_count)) FROM candles`,
          'tickerflow-sink',
        );
        const rows = db.rows.map(candleKey).sort();
        const inTopic = lastCandlePerKey(await readTopic(kafkaBrokers, 'finnhub.candles'), db.offsets, candleCodec);
        assert.deepEqual(rows, inTopic.map(candleKey).sort(), 'the candles table is the read_committed candles topic up to the stored offsets');
        return rows.filter((k) => k.startsWith('["AAPL","1m"')).length >= 3;
      },
      { timeoutMs: 240_000, intervalMs: 5_000, what: 'three AAPL 1m candles in PostgreSQL' },
    );
    const db = await historySnapshot<Trade>(
      history,
      `SELECT json_agg(json_build_object('symbol', symbol, 'price', price, 'volume', volume, 'timestamp', (extract(epoch FROM trade_time) * 1000)::bigint,
        'conditions', conditions)) FROM trades`,
      'tickerflow-sink-trades',
    );
    const archived = db.rows.map(tradeKey).sort();
    const inTopic = (await kafkaTrades(storedIn(db.offsets))).map(tradeKey).sort();
    assert.ok(archived.length > 0);
    assert.deepEqual(archived, inTopic, 'the trades archive is the trades topic (as a multiset) up to the stored offsets');

    await assertHistoryQueriesAnswer(history, tickerflowDashboard(), { history_symbol: 'AAPL', history_interval: '1m' });

    // A dashboard that starts now reads only the look-back from Kafka.
    await kubectl(['rollout', 'restart', '-n', ns, `deployment/${fullname}-dashboard`]);
    await kubectl(['rollout', 'status', '-n', ns, `deployment/${fullname}-dashboard`, '--timeout=300s']);
    const dashboardPod = (await pods()).find((p) => componentOf(p) === 'dashboard' && isReady(p))!;
    const started = Date.parse(await jsonpath(['get', 'pod', '-n', ns, dashboardPod.metadata.name], '{.status.startTime}'));
    const firstInDb = Number(
      await history.psql(`SELECT (extract(epoch FROM min(window_start)) * 1000)::bigint FROM candles WHERE symbol = 'AAPL' AND "interval" = '1m'`),
    );
    assert.ok(firstInDb < started - lookbackMs - 60_000, 'the database holds AAPL candles older than the new dashboard reads from Kafka');
    const port = await forward(`pod/${dashboardPod.metadata.name}`, ns, 8080);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      await page.goto(`http://127.0.0.1:${port}/?symbol=AAPL&interval=1m`);
      const chart = page.locator('#chart');
      // With only the look-back in memory, the page asks the server for the page before it: from PostgreSQL.
      await eventually(async () => Number(await chart.getAttribute('data-oldest')) * 1000 === firstInDb, {
        timeoutMs: 120_000,
        what: "the page's oldest AAPL 1m bar is the database's first",
      });
      assert.ok(Number(await chart.getAttribute('data-bars')) >= 3);
      // Zoomed out with the mouse wheel, so the picture shows the bars from the database too.
      const box = (await chart.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      for (let i = 0; i < 5; i++) await page.mouse.wheel(0, 400);
      await page.screenshot({ path: join(artifactsDir('chart'), 'dashboard-history-on-kind.png') });
    } finally {
      await browser.close();
    }
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /tickerflow_dashboard_history_queries_total\{result="ok"\} [1-9]/);
    // The database password is in no log of the Pods that use it.
    for (const c of ['sink', 'dashboard']) assert.ok(!(await kubectl(['logs', '-n', ns, `deployment/${fullname}-${c}`])).includes(password), `${c} logs`);
  });

  it('helm uninstall leaves nothing but the kept CRD (with the subscriptions in it)', async () => {
    await helmOk('helm4', ['uninstall', release, '--kubeconfig', kind.kubeconfig, '-n', ns, '--wait', '--timeout', '5m']);
    await kubectl(['delete', 'secret', 'history-db', '-n', ns]);
    await eventually(async () => (await kubectl(['get', 'pods', '-n', ns, '-o', 'name'])).trim() === '', { timeoutMs: 120_000, what: 'every Pod gone' });
    const left = (
      await kubectl([
        'get',
        'deployments,replicasets,services,configmaps,secrets,serviceaccounts,roles,rolebindings,leases,networkpolicies,poddisruptionbudgets',
        '-n',
        ns,
        '-o',
        'name',
      ])
    )
      .trim()
      .split('\n')
      .filter(Boolean);
    // What Kubernetes itself puts in every namespace.
    assert.deepEqual(left.sort(), ['configmap/kube-root-ca.crt', 'serviceaccount/default']);
    const crd = await getJson<{ metadata: { annotations: Record<string, string> } }>(['get', 'crd', 'tickersubscriptions.tickerflow.io']);
    assert.equal(crd.metadata.annotations['helm.sh/resource-policy'], 'keep');
    assert.deepEqual((await kubectl(['get', 'tsub', '-n', ns, '-o', 'name'])).trim().split('\n').sort(), [
      'tickersubscription.tickerflow.io/big-tech-and-bitcoin',
      'tickersubscription.tickerflow.io/rbac-check',
    ]);
    assert.equal((await helm('helm4', ['list', '-n', ns, '--kubeconfig', kind.kubeconfig, '-q'])).stdout.trim(), '');
  });
});

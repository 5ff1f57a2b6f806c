import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiException, CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { decodeProducerState, encodeDesiredSymbols, fromWire, SYMBOLS_KEY, type ProducerStateReport } from '@tickerflow/common';
import type { RunningSim } from '@tickerflow/finnhub-sim';
import { eventually, kafkaBrokers, kubeconfigPath, type ServiceProcess } from '@tickerflow/harness';
import { codec, kafkaTrades, metric, newTopic, settled, simSent, sortedKeys, TOKEN, tracked, tradeKey, tradeRecords } from './helpers.js';

/**
 * The producer in Kubernetes, against the real kube-apiserver + etcd, Kafka
 * and finnhub-sim: symbols from a ConfigMap applied live, the observed state
 * written to another, and two replicas electing a leader with a Lease so that
 * Finnhub never sees two connections for the key. Each test has its own
 * namespace. The admin kubeconfig is used: the service's RBAC is tested with the chart.
 */

const { started, producer, sim, stopAll } = tracked();
const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath());
const core = kc.makeApiClient(CoreV1Api);
const coordination = kc.makeApiClient(CoordinationV1Api);
const SYMBOLS_CM = 'tickerflow-symbols';
const STATE_CM = 'tickerflow-producer-state';

/** The producer against the simulator and Kafka, its symbols from the namespace's ConfigMap. */
const inNamespace = (s: RunningSim, topic: string, namespace: string) => ({
  FINNHUB_WS_URL: s.url,
  KAFKA_BROKERS: kafkaBrokers().join(','),
  TRADES_TOPIC: topic,
  SYMBOLS_CONFIGMAP: SYMBOLS_CM,
  KUBE_NAMESPACE: namespace,
});
/** Leader election with short timings, so hand-overs happen within a test. */
const leaderElection = (t: { leaseSeconds: number; renewDeadlineSeconds: number }) => ({
  LEADER_ELECTION: 'true',
  LEADER_ELECTION_LEASE_DURATION_SECONDS: String(t.leaseSeconds),
  LEADER_ELECTION_RENEW_DEADLINE_SECONDS: String(t.renewDeadlineSeconds),
  LEADER_ELECTION_RETRY_PERIOD_SECONDS: '0.5',
});

const notFound = (err: unknown) => err instanceof ApiException && err.code === 404;

async function newNamespace(): Promise<string> {
  const name = `tf-producer-${randomUUID().slice(0, 8)}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

/** Writes the symbols ConfigMap as the controller would: a list, or a raw (possibly malformed) document. */
async function setSymbols(namespace: string, symbols: readonly string[] | string): Promise<void> {
  const body = { metadata: { name: SYMBOLS_CM, namespace }, data: typeof symbols === 'string' ? { [SYMBOLS_KEY]: symbols } : encodeDesiredSymbols(symbols) };
  try {
    await core.replaceNamespacedConfigMap({ name: SYMBOLS_CM, namespace, body });
  } catch (err) {
    if (!notFound(err)) throw err;
    await core.createNamespacedConfigMap({ namespace, body });
  }
}

async function readState(namespace: string): Promise<{ report?: ProducerStateReport; resourceVersion?: string; managers: string[] }> {
  try {
    const cm = await core.readNamespacedConfigMap({ name: STATE_CM, namespace });
    return {
      report: decodeProducerState(cm.data),
      resourceVersion: cm.metadata?.resourceVersion,
      managers: (cm.metadata?.managedFields ?? []).map((f) => `${f.manager}/${f.operation}`),
    };
  } catch (err) {
    if (notFound(err)) return { managers: [] };
    throw err;
  }
}

async function leaseHolder(namespace: string, name = 'tickerflow-producer'): Promise<string | undefined> {
  try {
    return (await coordination.readNamespacedLease({ name, namespace })).spec?.holderIdentity ?? undefined;
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}

const subscriptions = (s: RunningSim, connection = 0) => [...(s.sim.stats()[connection]?.subscriptions ?? [])].sort();
const sameSet = (a: readonly string[], b: readonly string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

interface SymbolsView {
  role: 'standalone' | 'leader' | 'standby';
  identity: string;
  connection: string;
  symbols: { symbol: string; status: string }[];
}
const view = async (p: ServiceProcess) => JSON.parse((await p.get('/symbols')).body) as SymbolsView;

/**
 * Watches the simulator's connections every few milliseconds for the whole
 * test: the most open at once, and when each was first seen open and closed.
 */
function connectionMonitor(s: RunningSim) {
  let maxOpen = 0;
  const seen = new Map<number, { openedAt: number; closedAt?: number }>();
  const check = () => {
    const now = Date.now();
    const stats = s.sim.stats();
    maxOpen = Math.max(maxOpen, stats.filter((c) => c.open).length);
    for (const c of stats) {
      const entry = seen.get(c.id) ?? { openedAt: now };
      if (!c.open && entry.closedAt === undefined) entry.closedAt = now;
      seen.set(c.id, entry);
    }
  };
  const timer = setInterval(check, 5);
  return {
    connections: () => (check(), seen),
    maxOpen: () => (check(), maxOpen),
    stop: () => clearInterval(timer),
  };
}

/** A TCP proxy to the kube-apiserver that can be cut: a producer behind it loses the API, nothing else does. */
async function apiserverProxy(): Promise<{ kubeconfig: string; cut(): void }> {
  const config = JSON.parse(readFileSync(kubeconfigPath(), 'utf8')) as { clusters: [{ cluster: { server: string } }] };
  const target = new URL(config.clusters[0].cluster.server);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  config.clusters[0].cluster.server = `https://127.0.0.1:${port}`;
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'kube-proxy-')), 'kubeconfig');
  writeFileSync(kubeconfig, JSON.stringify(config), { mode: 0o600 });
  return {
    kubeconfig,
    cut() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** The trades of one simulator connection that are (or are not) in Kafka, and the first one's Kafka timestamp. */
async function connectionInKafka(s: RunningSim, connectionId: number, topic: string) {
  const records = await tradeRecords(kafkaBrokers(), topic);
  const inKafka = new Map<string, number>();
  for (const r of records) {
    const { symbol, price, volume, timestamp, conditions } = codec.decode(r.value!);
    const key = tradeKey({ symbol, price, volume, timestamp, conditions });
    inKafka.set(key, Math.min(inKafka.get(key) ?? Infinity, r.timestamp));
  }
  const keys = s.sim.sentTrades(connectionId).map((w) => tradeKey(fromWire(w)));
  const present = keys.filter((k) => inKafka.has(k));
  return { sent: keys.length, missing: keys.length - present.length, firstKafkaTimestamp: Math.min(...present.map((k) => inKafka.get(k)!)) };
}

describe('producer in Kubernetes: symbols ConfigMap, state ConfigMap, Lease', () => {
  after(stopAll);

  it('follows the symbols ConfigMap live on the one open socket: subscribe/unsubscribe frames only for the difference, nothing lost', async (t) => {
    const namespace = await newNamespace();
    const s = await sim({ token: TOKEN, rate: 300, seed: 41 });
    const topic = await newTopic(kafkaBrokers());
    await setSymbols(namespace, ['AAPL', 'MSFT']);
    const p = producer({
      ...inNamespace(s, topic, namespace),
      POD_NAME: 'producer-live',
    });
    await eventually(() => sameSet(subscriptions(s), ['AAPL', 'MSFT']), { timeoutMs: 60_000, what: 'first subscriptions' });
    await sleep(500);

    const editedAt = Date.now();
    await setSymbols(namespace, ['MSFT', 'IC MARKETS:1', 'BINANCE:ETHUSDT']);
    await eventually(() => sameSet(subscriptions(s), ['MSFT', 'IC MARKETS:1', 'BINANCE:ETHUSDT']), { intervalMs: 10, what: 'live change' });
    t.diagnostic(`ConfigMap edit → subscriptions at the simulator: ${Date.now() - editedAt} ms`);
    await sleep(500);

    // A malformed document keeps the last good list, and is logged and counted.
    await setSymbols(namespace, '{"symbols": "AAPL"}');
    await eventually(async () => (await metric(p, 'tickerflow_producer_symbol_source_errors_total')) === 1, { what: 'malformed document counted' });
    assert.match(p.output(), /not a valid symbol list; keeping the last good list/);
    assert.ok(sameSet(subscriptions(s), ['MSFT', 'IC MARKETS:1', 'BINANCE:ETHUSDT']));

    // Deleted: nothing is wanted (the socket stays open); created again: subscribed again.
    await core.deleteNamespacedConfigMap({ name: SYMBOLS_CM, namespace });
    await eventually(() => subscriptions(s).length === 0, { what: 'all unsubscribed after the delete' });
    await setSymbols(namespace, ['AAPL']);
    await eventually(() => sameSet(subscriptions(s), ['AAPL']), { what: 'subscribed after the re-create' });
    await sleep(500);
    s.sim.setGenerating(false);
    await settled(p);

    const stats = s.sim.stats();
    assert.equal(stats.length, 1, 'one connection throughout: no reconnect');
    assert.ok(stats[0]!.open);
    // Only the difference goes out, on the same socket: MSFT is never subscribed twice; the malformed version sends nothing.
    assert.deepEqual(
      stats[0]!.received.map((f) => `${f.type} ${f.symbol}`),
      [
        'subscribe AAPL',
        'subscribe MSFT',
        'unsubscribe AAPL',
        'subscribe IC MARKETS:1',
        'subscribe BINANCE:ETHUSDT',
        'unsubscribe MSFT',
        'unsubscribe IC MARKETS:1',
        'unsubscribe BINANCE:ETHUSDT',
        'subscribe AAPL',
      ],
    );
    for (const reason of ['closed', 'stale', 'error']) assert.equal(await metric(p, `tickerflow_producer_reconnects_total{reason="${reason}"}`), 0, reason);
    const sent = await simSent(s);
    const { trades } = await kafkaTrades(kafkaBrokers(), topic);
    assert.deepEqual(sortedKeys(trades), sortedKeys(sent), 'every trade the simulator sent is in Kafka');
    for (const symbol of ['AAPL', 'MSFT', 'IC MARKETS:1', 'BINANCE:ETHUSDT'])
      assert.ok(
        trades.some((x) => x.symbol === symbol),
        symbol,
      );
    assert.equal(p.output().match(/the symbols ConfigMap does not exist/g)?.length, 1, 'a missing ConfigMap is logged once');
  });

  it('writes the observed state to its ConfigMap by server-side apply: subscribed with last trade, rejected with Finnhub text, over the limit; only on change or heartbeat', async (t) => {
    const namespace = await newNamespace();
    const s = await sim({ token: TOKEN, rate: 200, seed: 43, invalidSymbols: new Set(['FX:EURUSD']) });
    const topic = await newTopic(kafkaBrokers());
    await setSymbols(namespace, ['AAPL', 'FX:EURUSD', 'BINANCE:BTCUSDT', 'TSLA']);
    const p = producer({
      ...inNamespace(s, topic, namespace),
      POD_NAME: 'producer-state',
      FINNHUB_SYMBOL_LIMIT: '3',
      PRODUCER_STATE_INTERVAL: '200ms',
      PRODUCER_STATE_HEARTBEAT: '2s',
    });
    const stateOf = (report: ProducerStateReport | undefined, symbol: string) => report?.symbols.find((x) => x.symbol === symbol);
    await eventually(
      async () => {
        const { report } = await readState(namespace);
        return (
          report?.connected === true &&
          stateOf(report, 'AAPL')?.state === 'subscribed' &&
          stateOf(report, 'BINANCE:BTCUSDT')?.lastTradeTime !== undefined &&
          stateOf(report, 'FX:EURUSD')?.state === 'rejected'
        );
      },
      { timeoutMs: 60_000, what: 'state reported' },
    );
    s.sim.setGenerating(false);
    await sleep(1000);
    const { report, managers } = await readState(namespace);
    assert.equal(report!.identity, 'producer-state');
    assert.ok(Math.abs(Date.parse(report!.reportedAt) - Date.now()) < 10_000);
    assert.deepEqual(managers, ['tickerflow-producer/Apply'], 'one writer, by server-side apply');
    const sent = await simSent(s);
    const lastTrade = (symbol: string) => new Date(Math.max(...sent.filter((x) => x.symbol === symbol).map((x) => x.timestamp))).toISOString();
    assert.deepEqual(report!.symbols, [
      { symbol: 'AAPL', state: 'subscribed', lastTradeTime: lastTrade('AAPL') },
      { symbol: 'FX:EURUSD', state: 'rejected', message: 'Invalid symbol FX:EURUSD' },
      { symbol: 'BINANCE:BTCUSDT', state: 'subscribed', lastTradeTime: lastTrade('BINANCE:BTCUSDT') },
      { symbol: 'TSLA', state: 'overLimit', message: 'beyond the configured limit of 3 symbols' },
    ]);

    // Nothing changes now: the next write is the heartbeat, not every interval.
    const first = (await readState(namespace)).resourceVersion;
    await eventually(async () => (await readState(namespace)).resourceVersion !== first, { timeoutMs: 10_000, intervalMs: 20, what: 'a heartbeat write' });
    const heartbeatAt = Date.now();
    const second = (await readState(namespace)).resourceVersion;
    await eventually(async () => (await readState(namespace)).resourceVersion !== second, { timeoutMs: 10_000, intervalMs: 20, what: 'the next heartbeat' });
    const between = Date.now() - heartbeatAt;
    t.diagnostic(`heartbeat writes ${between} ms apart (PRODUCER_STATE_HEARTBEAT=2s, PRODUCER_STATE_INTERVAL=200ms)`);
    assert.ok(between > 1500, `no write between heartbeats while nothing changed (${between} ms)`);

    // A change shows within about an interval.
    const editedAt = Date.now();
    await setSymbols(namespace, ['AAPL', 'MSFT']);
    await eventually(async () => sameSet((await readState(namespace)).report?.symbols.map((x) => x.symbol) ?? [], ['AAPL', 'MSFT']), {
      intervalMs: 20,
      what: 'the new symbols reported',
    });
    t.diagnostic(`symbols ConfigMap edit → state ConfigMap: ${Date.now() - editedAt} ms`);

    // A graceful stop leaves a last report that says the socket is closed.
    assert.equal(await p.stop('SIGTERM'), 0);
    const last = (await readState(namespace)).report!;
    assert.equal(last.connected, false);
    assert.ok(last.symbols.every((x) => x.state === 'pending'));
  });

  it('two replicas with a Lease: one Finnhub connection, ever; SIGKILL of the leader → the standby streams; SIGTERM hands over at once', async (t) => {
    const namespace = await newNamespace();
    const s = await sim({ token: TOKEN, rate: 300, seed: 47 });
    const monitor = connectionMonitor(s);
    try {
      const topic = await newTopic(kafkaBrokers());
      await setSymbols(namespace, ['AAPL', 'MSFT', 'BINANCE:BTCUSDT']);
      const env = {
        ...inNamespace(s, topic, namespace),
        ...leaderElection({ leaseSeconds: 6, renewDeadlineSeconds: 4 }),
        PRODUCER_STATE_INTERVAL: '500ms',
      };
      const a = producer({ ...env, POD_NAME: 'producer-a' });
      await eventually(async () => (await view(a)).role === 'leader', { timeoutMs: 60_000, what: 'a leads' });
      const b = producer({ ...env, POD_NAME: 'producer-b' });
      await eventually(async () => (await view(b)).role === 'standby' && (await b.get('/readyz')).status === 200, {
        timeoutMs: 60_000,
        what: 'b ready as the standby',
      });
      assert.equal(await metric(a, 'tickerflow_producer_leader'), 1);
      assert.equal(await metric(b, 'tickerflow_producer_leader'), 0);
      assert.equal(await leaseHolder(namespace), 'producer-a');
      await eventually(async () => (await metric(a, 'tickerflow_producer_trades_produced_total')) > 300, { what: 'a streaming' });
      assert.equal(s.sim.stats().length, 1, 'the standby did not connect');

      // SIGKILL: nobody releases the Lease; b takes it once it expires.
      const killedAt = Date.now();
      await a.stop('SIGKILL');
      await eventually(() => s.sim.stats().length === 2 && subscriptions(s, 1).length === 3, { timeoutMs: 60_000, intervalMs: 20, what: 'b connected' });
      const bConnectedMs = monitor.connections().get(2)!.openedAt - killedAt;
      await eventually(async () => (await metric(b, 'tickerflow_producer_trades_produced_total')) > 300, { what: 'b streaming' });
      assert.equal(await leaseHolder(namespace), 'producer-b');
      assert.equal((await view(b)).role, 'leader');

      // SIGTERM: b drains, then releases the Lease; c need not wait for it to expire.
      const c = producer({ ...env, POD_NAME: 'producer-c' });
      await eventually(async () => (await view(c)).role === 'standby', { timeoutMs: 60_000, what: 'c the standby' });
      const terminatedAt = Date.now();
      const exited = b.stop('SIGTERM');
      await eventually(() => s.sim.stats().length === 3 && subscriptions(s, 2).length === 3, { timeoutMs: 60_000, intervalMs: 20, what: 'c connected' });
      const cConnectedMs = monitor.connections().get(3)!.openedAt - terminatedAt;
      assert.equal(await exited, 0);
      assert.equal(s.sim.stats()[1]!.closeCode, 1000, 'b closed its socket gracefully');
      await eventually(async () => (await metric(c, 'tickerflow_producer_trades_produced_total')) > 100, { what: 'c streaming' });
      assert.equal(await leaseHolder(namespace), 'producer-c');
      s.sim.setGenerating(false);
      await settled(c);

      // Never two connections for the token, and never one dropped for another's sake.
      assert.equal(monitor.maxOpen(), 1, 'the simulator saw two connections open at once');
      assert.equal(s.sim.stats().length, 3, 'one connection per leader');
      assert.ok(s.sim.stats().every((x) => x.closeCode !== 1008));
      const fromB = await connectionInKafka(s, 2, topic);
      const fromC = await connectionInKafka(s, 3, topic);
      assert.equal(fromB.missing, 0, 'every trade b received is in Kafka (graceful stop)');
      assert.equal(fromC.missing, 0);
      assert.equal((await connectionInKafka(s, 1, topic)).sent > 0, true);
      t.diagnostic(`SIGKILL of the leader → standby connected to Finnhub: ${bConnectedMs} ms (Lease duration 6 s, retry 0.5 s)`);
      t.diagnostic(`SIGKILL of the leader → first trade of the new leader in Kafka (record timestamp): ${fromB.firstKafkaTimestamp - killedAt} ms`);
      t.diagnostic(`SIGTERM of the leader → standby connected (drain, Lease released, acquired): ${cConnectedMs} ms`);
      t.diagnostic(`SIGTERM of the leader → first trade of the new leader in Kafka: ${fromC.firstKafkaTimestamp - terminatedAt} ms`);
    } finally {
      monitor.stop();
    }
  });

  it('a leader cut off from the API server drops its Finnhub socket before the standby can take the Lease', async (t) => {
    const namespace = await newNamespace();
    const s = await sim({ token: TOKEN, rate: 200, seed: 53 });
    const monitor = connectionMonitor(s);
    const proxy = await apiserverProxy();
    try {
      const topic = await newTopic(kafkaBrokers());
      await setSymbols(namespace, ['AAPL', 'MSFT']);
      const env = {
        ...inNamespace(s, topic, namespace),
        ...leaderElection({ leaseSeconds: 4, renewDeadlineSeconds: 2.5 }),
      };
      const a = producer({ ...env, POD_NAME: 'producer-a', KUBECONFIG: proxy.kubeconfig });
      await eventually(async () => (await view(a)).role === 'leader', { timeoutMs: 60_000, what: 'a leads' });
      const b = producer({ ...env, POD_NAME: 'producer-b' });
      await eventually(async () => (await view(b)).role === 'standby', { timeoutMs: 60_000, what: 'b the standby' });
      await eventually(() => subscriptions(s).length === 2, { what: 'a subscribed' });

      const cutAt = Date.now();
      proxy.cut();
      await eventually(() => s.sim.stats().length === 2 && s.sim.stats()[1]!.open, { timeoutMs: 60_000, intervalMs: 20, what: 'b connected' });
      await eventually(async () => (await view(a)).role === 'standby', { what: 'a knows it is no longer leading' });
      await eventually(async () => (await metric(b, 'tickerflow_producer_trades_produced_total')) > 50, { what: 'b streaming' });
      const [first, second] = [monitor.connections().get(1)!, monitor.connections().get(2)!];
      assert.ok(first.closedAt !== undefined && first.closedAt < second.openedAt, 'the old leader let go of the socket first');
      assert.equal(monitor.maxOpen(), 1);
      assert.equal(await metric(a, 'tickerflow_producer_leader'), 0);
      assert.equal(await leaseHolder(namespace), 'producer-b');
      t.diagnostic(`API server cut → old leader dropped its socket: ${first.closedAt - cutAt} ms (renew deadline 2.5 s)`);
      t.diagnostic(`API server cut → new leader connected: ${second.openedAt - cutAt} ms (Lease duration 4 s); margin ${second.openedAt - first.closedAt} ms`);
    } finally {
      proxy.cut();
      monitor.stop();
    }
  });

  it('never shows the token: not in any output of these producers', async () => {
    assert.ok(started.length >= 6, 'the producers of the tests above (run the whole file)');
    for (const p of started) {
      await p.stop('SIGKILL');
      assert.ok(!p.output().includes(TOKEN), 'token in process output');
    }
  });
});

import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { decodeDesiredSymbols } from '@tickerflow/common';
import { API_VERSION, CRD_NAME, crdPath, GROUP, KIND, PLURAL, VERSION, type TickerSubscription } from '@tickerflow/controller';
import { seededRandom, startSim, type RunningSim } from '@tickerflow/finnhub-sim';
import { binaries, createTopic, eventually, metric, startKube, startService, type KafkaBroker, type ServiceProcess } from '@tickerflow/harness';
import { cpuSeconds, peakRssBytes } from './measure.js';

const TOKEN = `bench-controller-${randomUUID()}`;
const SYMBOLS_CONFIGMAP = 'tickerflow-symbols';

export interface ControllerBenchOptions {
  /** Sequential `kubectl apply`s of a new symbol, each timed to its subscribe frame at the simulator (default 50). */
  applies?: number;
  /** TickerSubscriptions created at once for the convergence run (default 1,000). */
  subscriptions?: number;
  /** Distinct symbols they draw their 1–3 symbols from (default 1,500). */
  symbolPool?: number;
  /** Creates in flight at once (default 20). */
  concurrency?: number;
}

export interface ControllerBenchResult {
  applies: number;
  /** t0 before spawning `kubectl apply` → the simulator's receive time of the subscribe frame for the new symbol. */
  applyToSubscribeP50Ms: number;
  applyToSubscribeP99Ms: number;
  applyToSubscribeMaxMs: number;
  /** t0 → `kubectl apply` exited (its start-up and the API write): part of the above. */
  kubectlReturnedP50Ms: number;
  kubectlReturnedP99Ms: number;
  subscriptions: number;
  symbolPool: number;
  /** Distinct symbols over the subscriptions: what the ConfigMap must hold. */
  unionSymbols: number;
  concurrency: number;
  /** t0 before the first create → the last create answered. */
  createdMs: number;
  /** t0 → the poll (every pollMs) that found the ConfigMap = the union and every status current with a Ready condition. */
  convergedMs: number;
  pollMs: number;
  /** The controller's counters at convergence (it started on an empty namespace). */
  subscriptionReconciles: number;
  symbolsReconciles: number;
  failedReconciles: number;
  statusWrites: number;
  symbolsWrites: number;
  /** Ready reasons at convergence, e.g. { ProducerStateMissing: 1000 }. */
  readyReasons: Record<string, number>;
  controllerCpuSeconds: number;
  controllerPeakRssMiB: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Runs kubectl; resolves with its exit code and output, never rejects. */
function kubectl(kubeconfig: string, args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(binaries.kubectl, ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin);
  });
}

async function kubectlOk(kubeconfig: string, args: string[], stdin?: string): Promise<string> {
  const r = await kubectl(kubeconfig, args, stdin);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** The CRD as the controller's tests install it, served before we go on. */
async function installCrd(kubeconfig: string): Promise<void> {
  await kubectlOk(kubeconfig, ['apply', '--server-side', '--force-conflicts', '--field-manager=tickerflow-bench', '-f', crdPath]);
  await kubectlOk(kubeconfig, ['wait', '--for=condition=Established', '--timeout=60s', `crd/${CRD_NAME}`]);
  // Discovery may lag behind Established.
  await eventually(async () => (await kubectl(kubeconfig, ['get', 'tsub', '-A'])).code === 0, { timeoutMs: 30_000, what: 'the tsub resource served' });
}

const subscription = (name: string, symbols: readonly string[]) => ({ apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec: { symbols } });

/** The simulator's receive time of the first subscribe frame for `symbol`, over all connections. */
function subscribedAt(sim: RunningSim, symbol: string): number | undefined {
  for (const c of sim.sim.stats()) for (const r of c.received) if (r.type === 'subscribe' && r.symbol === symbol) return r.at;
  return undefined;
}

async function waitSubscribed(sim: RunningSim, symbol: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const at = subscribedAt(sim, symbol);
    if (at !== undefined) return at;
    if (Date.now() > deadline) throw new Error(`no subscribe frame for ${symbol} at the simulator within ${timeoutMs} ms`);
    await sleep(5);
  }
}

function startController(kubeconfig: string, namespace: string): ServiceProcess {
  return startService('tickerflow-controller', {
    KUBECONFIG: kubeconfig,
    KUBE_NAMESPACE: namespace,
    WATCH_NAMESPACE: namespace,
    SYMBOLS_CONFIGMAP,
    // Above the convergence run's union, so nothing is over the limit.
    FINNHUB_SYMBOL_LIMIT: '2000',
    LOG_LEVEL: 'info',
  });
}

async function controllerLeading(controller: ServiceProcess): Promise<void> {
  await eventually(async () => (await controller.get('/readyz')).status === 200, { timeoutMs: 60_000, what: 'controller ready' });
  await eventually(async () => (await metric(controller, 'tickerflow_controller_leader')) === 1, { timeoutMs: 60_000, what: 'controller leading' });
}

/**
 * (1) `kubectl apply` of a subscription with a new symbol → the subscribe
 * frame for it at finnhub-sim, through the controller (symbols ConfigMap) and
 * the producer (ConfigMap watch → Finnhub connection), one apply at a time.
 */
async function measureApplyLatency(
  kubeconfig: string,
  core: CoreV1Api,
  broker: KafkaBroker,
  applies: number,
  started: ServiceProcess[],
  sims: RunningSim[],
): Promise<{ latencies: number[]; kubectlReturned: number[] }> {
  const ns = `bench-ctl-lat-${randomUUID().slice(0, 8)}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const topic = `bench.controller.trades.${randomUUID().slice(0, 8)}`;
  await createTopic([broker.bootstrap], topic, 3);
  // One symbol more than the applies: the warm-up's.
  const limit = applies + 1;
  const sim = await startSim({ token: TOKEN, symbolLimit: Math.max(limit, 50) });
  sims.push(sim);
  const controller = startController(kubeconfig, ns);
  started.push(controller);
  const producer = startService('tickerflow-producer', {
    KAFKA_BROKERS: broker.bootstrap,
    FINNHUB_TOKEN: TOKEN,
    FINNHUB_WS_URL: sim.url,
    SYMBOLS_CONFIGMAP,
    KUBE_NAMESPACE: ns,
    KUBECONFIG: kubeconfig,
    TRADES_TOPIC: topic,
    FINNHUB_SYMBOL_LIMIT: String(Math.max(limit, 50)),
    LOG_LEVEL: 'info',
  });
  started.push(producer);
  await controllerLeading(controller);
  // Warm-up: the whole path once (connection to the simulator open, informers and clients warm), not measured.
  await kubectlOk(kubeconfig, ['apply', '-n', ns, '-f', '-'], JSON.stringify(subscription('warm', ['WARM'])));
  await waitSubscribed(sim, 'WARM', 60_000);

  const latencies: number[] = [];
  const kubectlReturned: number[] = [];
  for (let i = 1; i <= applies; i++) {
    const symbol = `LAT${i}`;
    const t0 = Date.now();
    const r = await kubectl(kubeconfig, ['apply', '-n', ns, '-f', '-'], JSON.stringify(subscription(`lat-${i}`, [symbol])));
    if (r.code !== 0) throw new Error(`kubectl apply lat-${i} failed (${r.code}): ${r.stderr}`);
    kubectlReturned.push(Date.now() - t0);
    const at = await waitSubscribed(sim, symbol, 30_000);
    latencies.push(at - t0);
  }
  return { latencies, kubectlReturned };
}

/**
 * (2) `count` subscriptions created through the API as fast as it takes them;
 * the time until the symbols ConfigMap holds their union and every one's
 * status is current (observedGeneration = generation) with a Ready condition.
 */
async function measureConvergence(
  kubeconfig: string,
  kc: KubeConfig,
  core: CoreV1Api,
  opts: { count: number; pool: number; concurrency: number; pollMs: number },
  started: ServiceProcess[],
) {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const ns = `bench-ctl-conv-${randomUUID().slice(0, 8)}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const controller = startController(kubeconfig, ns);
  started.push(controller);
  await controllerLeading(controller);
  const cpu0 = cpuSeconds(controller.pid);

  const rnd = seededRandom(42);
  const pool = Array.from({ length: opts.pool }, (_, i) => `SYM${String(i).padStart(4, '0')}`);
  const subs = Array.from({ length: opts.count }, (_, i) => {
    const symbols = new Set<string>();
    const n = 1 + Math.floor(rnd() * 3);
    while (symbols.size < n) symbols.add(pool[Math.floor(rnd() * pool.length)]!);
    return subscription(`conv-${String(i).padStart(4, '0')}`, [...symbols]);
  });
  const union = new Set(subs.flatMap((s) => s.spec.symbols));

  const t0 = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (next < subs.length) {
        const body = subs[next++]!;
        await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, body });
      }
    }),
  );
  const createdMs = Date.now() - t0;

  let readyReasons: Record<string, number> = {};
  const converged = async (): Promise<boolean> => {
    let symbols: string[];
    try {
      symbols = decodeDesiredSymbols((await core.readNamespacedConfigMap({ name: SYMBOLS_CONFIGMAP, namespace: ns })).data);
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return false;
      throw err;
    }
    if (symbols.length !== union.size || !symbols.every((s) => union.has(s))) return false;
    const list = (await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL })) as {
      items: TickerSubscription[];
    };
    if (list.items.length !== opts.count) return false;
    const reasons: Record<string, number> = {};
    for (const s of list.items) {
      const ready = s.status?.conditions?.find((c) => c.type === 'Ready');
      if (!ready || s.status?.observedGeneration !== s.metadata?.generation) return false;
      reasons[ready.reason] = (reasons[ready.reason] ?? 0) + 1;
    }
    readyReasons = reasons;
    return true;
  };
  let convergedMs = Number.NaN;
  const deadline = t0 + 300_000;
  while (Date.now() < deadline) {
    const polledAt = Date.now();
    if (await converged()) {
      convergedMs = Date.now() - t0;
      break;
    }
    await sleep(Math.max(0, opts.pollMs - (Date.now() - polledAt)));
  }
  if (Number.isNaN(convergedMs)) throw new Error(`${opts.count} subscriptions did not converge within 300 s`);

  const m = (series: string) => metric(controller, series);
  const reconciles = (kind: string, result: string) => m(`tickerflow_controller_reconciles_total{kind="${kind}",result="${result}"}`);
  let failedReconciles = 0;
  for (const kind of ['subscription', 'symbols']) for (const result of ['error', 'terminal']) failedReconciles += await reconciles(kind, result);
  return {
    unionSymbols: union.size,
    createdMs,
    convergedMs,
    subscriptionReconciles: await reconciles('subscription', 'success'),
    symbolsReconciles: await reconciles('symbols', 'success'),
    failedReconciles,
    statusWrites: await m('tickerflow_controller_status_writes_total'),
    symbolsWrites: await m('tickerflow_controller_symbols_writes_total'),
    readyReasons,
    controllerCpuSeconds: cpuSeconds(controller.pid) - cpu0,
    controllerPeakRssMiB: peakRssBytes(controller.pid) / 1024 / 1024,
  };
}

/**
 * The controller against a real kube-apiserver + etcd (started here, only for
 * this scenario): (1) apply → subscribe frame latency through the controller
 * and the producer; (2) time to converge on 1,000 subscriptions. The producer
 * is stopped before (2): the convergence measured is the controller's alone.
 */
export async function benchController(broker: KafkaBroker, workDir: string, opts: ControllerBenchOptions = {}): Promise<ControllerBenchResult> {
  const applies = opts.applies ?? 50;
  const count = opts.subscriptions ?? 1000;
  const symbolPool = opts.symbolPool ?? 1500;
  const concurrency = opts.concurrency ?? 20;
  const pollMs = 500;
  const dir = mkdtempSync(join(workDir, 'controller-'));
  const kube = await startKube(dir);
  const started: ServiceProcess[] = [];
  const sims: RunningSim[] = [];
  let ok = false;
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(kube.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    await installCrd(kube.kubeconfig);

    const lat = await measureApplyLatency(kube.kubeconfig, core, broker, applies, started, sims);
    // Quiet for (2): only its controller runs.
    await Promise.all(started.splice(0).map((p) => p.stop('SIGTERM')));
    await Promise.all(sims.splice(0).map((s) => s.stop()));

    const conv = await measureConvergence(kube.kubeconfig, kc, core, { count, pool: symbolPool, concurrency, pollMs }, started);
    const sorted = [...lat.latencies].sort((a, b) => a - b);
    const returned = [...lat.kubectlReturned].sort((a, b) => a - b);
    ok = true;
    return {
      applies,
      applyToSubscribeP50Ms: quantile(sorted, 0.5),
      applyToSubscribeP99Ms: quantile(sorted, 0.99),
      applyToSubscribeMaxMs: sorted.at(-1) ?? Number.NaN,
      kubectlReturnedP50Ms: quantile(returned, 0.5),
      kubectlReturnedP99Ms: quantile(returned, 0.99),
      subscriptions: count,
      symbolPool,
      concurrency,
      pollMs,
      ...conv,
    };
  } catch (err) {
    for (const p of started) process.stderr.write(`[bench controller] output of pid ${p.pid}:\n${p.output().split('\n').slice(-30).join('\n')}\n`);
    throw err;
  } finally {
    await Promise.all(started.map((p) => p.stop('SIGTERM')));
    await Promise.all(sims.map((s) => s.stop()));
    await kube.stop();
    // The etcd data and logs are kept when the run failed.
    if (ok) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`[bench controller] kube-apiserver and etcd logs kept in ${dir}\n`);
  }
}

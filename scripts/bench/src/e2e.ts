import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTopic, eventually, sample, startService, startSimProcess, type KafkaBroker, type ServiceProcess } from '@tickerflow/harness';
import { cpuSeconds, peakRssBytes } from './measure.js';
import { BENCH_SYMBOLS } from './symbols.js';

const TOKEN = `bench-e2e-${randomUUID()}`;

export interface E2eBenchOptions {
  /** Trades per second the simulator sends (default 5,000). */
  rate?: number;
  /** Time streaming before measuring (default 10 s). */
  warmupMs?: number;
  /** Measured window (default 30 s). */
  windowMs?: number;
}

export interface E2eBenchResult {
  rate: number;
  windowMs: number;
  /** What the simulator really sent during the window. */
  simSentPerSec: number;
  /** Trades the producer had acknowledged by Kafka during the window (below simSentPerSec: the producer is behind). */
  producerAckedPerSec: number;
  /** Trade-topic records the dashboard read during the window. */
  dashboardRecordsPerSec: number;
  /** SSE `candle` events for forming candles received in the window, and per second. */
  events: number;
  eventsPerSec: number;
  /** SSE receive time − lastTradeTs of the event (the simulator's clock when it sent that trade), same machine. */
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  dashboardCpuSecondsPer1000Trades: number;
  dashboardPeakRssMiB: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * Follows the dashboard's event stream (every symbol) and calls `onCandle`
 * with each forming-candle event's lastTradeTs and the time it arrived.
 */
async function followStream(url: string, signal: AbortSignal, onCandle: (lastTradeTs: number, receivedAt: number) => void): Promise<void> {
  const res = await fetch(url, { signal });
  if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status}`);
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body) {
      const receivedAt = Date.now();
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!block.startsWith('event: candle\n')) continue;
        const data = block.slice(block.indexOf('\ndata: ') + 7);
        const e = JSON.parse(data) as { final: boolean; lastTradeTs: number | null };
        if (!e.final && e.lastTradeTs !== null) onCandle(e.lastTradeTs, receivedAt);
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}

/**
 * End-to-end latency at a fixed trade rate: finnhub-sim (trade `t` = its clock
 * when it sends) → tickerflow-producer → Kafka → tickerflow-dashboard → SSE
 * `candle` event for the forming candle, measured as receive time minus the
 * event's lastTradeTs. Everything runs on this machine, so one clock.
 */
export async function benchE2e(broker: KafkaBroker, opts: E2eBenchOptions = {}): Promise<E2eBenchResult> {
  const rate = opts.rate ?? 5000;
  const warmupMs = opts.warmupMs ?? 10_000;
  const windowMs = opts.windowMs ?? 30_000;
  const suffix = randomUUID().slice(0, 8);
  const tradesTopic = `bench.e2e.trades.${suffix}`;
  const candlesTopic = `bench.e2e.candles.${suffix}`;
  await createTopic([broker.bootstrap], tradesTopic, 3);
  await createTopic([broker.bootstrap], candlesTopic, 3);
  const sim = await startSimProcess(['--token', TOKEN, '--rate', String(rate), '--seed', '42']);
  const started: ServiceProcess[] = [];
  const abort = new AbortController();
  try {
    const producer = startService('tickerflow-producer', {
      FINNHUB_TOKEN: TOKEN,
      FINNHUB_WS_URL: sim.url,
      KAFKA_BROKERS: broker.bootstrap,
      TRADES_TOPIC: tradesTopic,
      SYMBOLS: BENCH_SYMBOLS.join(','),
      LOG_LEVEL: 'info',
    });
    started.push(producer);
    const dashboard = startService('tickerflow-dashboard', {
      KAFKA_BROKERS: broker.bootstrap,
      TRADES_TOPIC: tradesTopic,
      CANDLES_TOPIC: candlesTopic,
      LOG_LEVEL: 'info',
    });
    started.push(dashboard);
    const port = await dashboard.port();
    await eventually(async () => (await dashboard.get('/readyz')).status === 200, { timeoutMs: 60_000, what: 'dashboard ready' });

    let measuring = false;
    const latencies: number[] = [];
    let seen = 0;
    const stream = followStream(`http://127.0.0.1:${port}/api/stream`, abort.signal, (lastTradeTs, receivedAt) => {
      seen++;
      if (measuring) latencies.push(receivedAt - lastTradeTs);
    });
    await eventually(() => seen > 0, { timeoutMs: 60_000, what: 'forming-candle events arriving' });
    await sleep(warmupMs);

    const scrape = async () => ({
      dashboard: (await dashboard.get('/metrics')).body,
      producer: (await producer.get('/metrics')).body,
      sim: await (await fetch(`${sim.httpUrl}/metrics`)).text(),
      cpu: cpuSeconds(dashboard.pid),
      at: Date.now(),
    });
    const s0 = await scrape();
    measuring = true;
    await sleep(windowMs);
    measuring = false;
    const s1 = await scrape();
    abort.abort();
    await stream;

    const seconds = (s1.at - s0.at) / 1000;
    const read = (m: string) => sample(m, `tickerflow_dashboard_records_read_total{topic="${tradesTopic}"}`);
    const records = read(s1.dashboard) - read(s0.dashboard);
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      rate,
      windowMs,
      simSentPerSec: (sample(s1.sim, 'finnhub_sim_trades_sent') - sample(s0.sim, 'finnhub_sim_trades_sent')) / seconds,
      producerAckedPerSec:
        (sample(s1.producer, 'tickerflow_producer_trades_produced_total') - sample(s0.producer, 'tickerflow_producer_trades_produced_total')) / seconds,
      dashboardRecordsPerSec: records / seconds,
      events: latencies.length,
      eventsPerSec: latencies.length / seconds,
      latencyP50Ms: quantile(sorted, 0.5),
      latencyP99Ms: quantile(sorted, 0.99),
      latencyMaxMs: sorted.at(-1) ?? Number.NaN,
      dashboardCpuSecondsPer1000Trades: ((s1.cpu - s0.cpu) / records) * 1000,
      dashboardPeakRssMiB: peakRssBytes(dashboard.pid) / 1024 / 1024,
    };
  } finally {
    abort.abort();
    await Promise.all(started.map((p) => p.stop('SIGTERM')));
    await sim.stop();
  }
}

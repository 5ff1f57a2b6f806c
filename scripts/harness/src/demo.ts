import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startKafka } from './kafka.js';
import { createTopic } from './kafka-read.js';
import { repoRoot } from './paths.js';
import { sample } from './prom-text.js';
import { startSimProcess } from './service.js';

/**
 * The main job on one machine: a local single-node Kafka, finnhub-sim and
 * the pipeline, all as child processes, stopped together on Ctrl-C.
 */
async function main() {
  // kafkajs's harmless TimeoutNegativeWarning on Node ≥ 23 (see logProcessWarnings) is not news for the person watching.
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    if (w.name !== 'TimeoutNegativeWarning') process.stderr.write(`[demo] ${w.name}: ${w.message}\n`);
  });
  const workDir = join(repoRoot, '.harness', 'demo');
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const children: ChildProcess[] = [];
  const kafka = await startKafka(workDir, { heap: '512m' });
  // Services first (they flush and commit to Kafka), Kafka last; stragglers are killed after 15 s.
  // Once, whichever signals arrive: a second SIGTERM would cut the services' graceful stop short.
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopAll());
  const stopAll = async () => {
    const exited = children.map((c) =>
      c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => c.once('exit', () => resolve())),
    );
    for (const c of [...children].reverse()) c.kill('SIGTERM');
    await Promise.race([Promise.all(exited), sleep(15_000)]);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await kafka.stop();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(0)));

  const brokers = [kafka.bootstrap];
  for (const topic of ['finnhub.trades', 'finnhub.candles', 'finnhub.trades.dlq']) await createTopic(brokers, topic, 3);
  const token = 'demo-token';
  const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name);
  const sim = await startSimProcess(['--port', '0', '--token', token, '--rate', process.env.DEMO_RATE ?? '200']);
  children.push(sim.child);
  const simUrl = sim.url;
  const ports = {
    dashboard: process.env.DASHBOARD_PORT ?? '8080',
    producer: process.env.PRODUCER_PORT ?? '8081',
    consumer: process.env.CONSUMER_PORT ?? '8082',
  };
  const service = (name: string, port: string, env: Record<string, string>) => {
    const child = spawn(process.execPath, [bin(name)], {
      stdio: ['ignore', 'inherit', 'inherit'],
      // Its own process group: Ctrl-C reaches the demo, which stops the services in order, once.
      detached: true,
      env: { ...process.env, KAFKA_BROKERS: kafka.bootstrap, HTTP_HOST: '127.0.0.1', HTTP_PORT: port, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...env },
    });
    children.push(child);
  };
  service('tickerflow-producer', ports.producer, {
    FINNHUB_TOKEN: token,
    FINNHUB_WS_URL: simUrl,
    SYMBOLS: process.env.SYMBOLS ?? 'AAPL,MSFT,NVDA,BINANCE:BTCUSDT,BINANCE:ETHUSDT,OANDA:EUR_USD,IC MARKETS:1',
  });
  service('tickerflow-consumer', ports.consumer, {});
  service('tickerflow-dashboard', ports.dashboard, {});
  process.stdout.write(
    [
      '',
      'tickerflow demo running (Ctrl-C stops everything):',
      `  live candle page   http://127.0.0.1:${ports.dashboard}/`,
      `  Kafka              ${kafka.bootstrap}  (topics finnhub.trades, finnhub.candles, finnhub.trades.dlq)`,
      `  finnhub-sim        ${simUrl}  (control: ${simUrl.replace(/^ws/, 'http')}/control/stats)`,
      `  producer           http://127.0.0.1:${ports.producer}/metrics   symbols: http://127.0.0.1:${ports.producer}/symbols`,
      `  consumer           http://127.0.0.1:${ports.consumer}/metrics`,
      `  dashboard API      http://127.0.0.1:${ports.dashboard}/api/symbols`,
      '',
    ].join('\n'),
  );
  for (;;) {
    await sleep(5000);
    try {
      const produced = sample(await (await fetch(`http://127.0.0.1:${ports.producer}/metrics`)).text(), 'tickerflow_producer_trades_produced_total');
      const consumer = await (await fetch(`http://127.0.0.1:${ports.consumer}/metrics`)).text();
      const candles = ['1m', '5m'].reduce((sum, i) => sum + sample(consumer, `tickerflow_consumer_candles_emitted_total{interval="${i}"}`), 0);
      process.stdout.write(`[demo] trades in Kafka: ${produced}; final candles: ${candles}\n`);
    } catch {
      process.stdout.write('[demo] services not answering yet\n');
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[demo] ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

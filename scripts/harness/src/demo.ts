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
  const workDir = join(repoRoot, '.harness', 'demo');
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const children: ChildProcess[] = [];
  const kafka = await startKafka(workDir, { heap: '512m' });
  const stop = async () => {
    for (const c of children.reverse()) c.kill('SIGTERM');
    await sleep(1500);
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
  const producerPort = process.env.PRODUCER_PORT ?? '8081';
  const producer = spawn(process.execPath, [bin('tickerflow-producer')], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      FINNHUB_TOKEN: token,
      FINNHUB_WS_URL: simUrl,
      KAFKA_BROKERS: kafka.bootstrap,
      SYMBOLS: process.env.SYMBOLS ?? 'AAPL,MSFT,NVDA,BINANCE:BTCUSDT,BINANCE:ETHUSDT,OANDA:EUR_USD,IC MARKETS:1',
      HTTP_PORT: producerPort,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    },
  });
  children.push(producer);
  process.stdout.write(
    [
      '',
      'tickerflow demo running (Ctrl-C stops everything):',
      `  Kafka              ${kafka.bootstrap}  (topics finnhub.trades, finnhub.candles, finnhub.trades.dlq)`,
      `  finnhub-sim        ${simUrl}  (control: ${simUrl.replace(/^ws/, 'http')}/control/stats)`,
      `  producer metrics   http://127.0.0.1:${producerPort}/metrics   symbols: http://127.0.0.1:${producerPort}/symbols`,
      '  consumer (candles) and the live page arrive with the consumer/dashboard issue.',
      '',
    ].join('\n'),
  );
  for (;;) {
    await sleep(5000);
    try {
      const text = await (await fetch(`http://127.0.0.1:${producerPort}/metrics`)).text();
      const produced = sample(text, 'tickerflow_producer_trades_produced_total');
      process.stdout.write(`[demo] trades in Kafka: ${produced}\n`);
    } catch {
      process.stdout.write('[demo] producer not answering yet\n');
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[demo] ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTopic, metric, repoRoot, startKafka, startService, startSimProcess, type KafkaBroker, type ServiceProcess } from '@tickerflow/harness';

/** Something the demo started and stops: a service or the simulator. */
interface Running {
  stop(signal?: NodeJS.Signals): Promise<unknown>;
}

/**
 * The main job on one machine: a local single-node Kafka, finnhub-sim and
 * the pipeline, all as child processes started as the tests start them, with
 * their output on this terminal. A Ctrl-C (SIGINT or SIGTERM, once or many
 * times) stops everything in order, once; then this resolves.
 */
export async function runDemo(): Promise<void> {
  const env = process.env;
  const workDir = join(repoRoot, '.harness', 'demo');
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const ports = {
    dashboard: env.DASHBOARD_PORT ?? '8080',
    producer: env.PRODUCER_PORT ?? '8081',
    consumer: env.CONSUMER_PORT ?? '8082',
  };

  // Every child runs in its own process group, so a terminal's Ctrl-C reaches only this process.
  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const pause = (ms: number) => sleep(ms, undefined, { signal: interrupted.signal }).catch(() => undefined);

  let kafka: KafkaBroker | undefined;
  const running: Running[] = [];
  try {
    // A Ctrl-C during start-up lets the step under way finish (each is bounded), then starts nothing more.
    kafka = await startKafka(workDir, { heap: '512m' });
    if (interrupted.signal.aborted) return;
    const brokers = [kafka.bootstrap];
    for (const topic of ['finnhub.trades', 'finnhub.candles', 'finnhub.trades.dlq']) await createTopic(brokers, topic, 3);
    if (interrupted.signal.aborted) return;
    const token = 'demo-token';
    const sim = await startSimProcess(['--port', '0', '--token', token, '--rate', env.DEMO_RATE ?? '200']);
    running.push(sim);
    if (interrupted.signal.aborted) return;

    const service = (bin: string, port: string, serviceEnv: Record<string, string>): ServiceProcess => {
      const started = startService(
        bin,
        { KAFKA_BROKERS: kafka!.bootstrap, HTTP_PORT: port, LOG_LEVEL: env.LOG_LEVEL ?? 'warn', ...serviceEnv },
        { stdio: 'inherit', detached: true },
      );
      running.push(started);
      void started.exited.then((code) => {
        if (!interrupted.signal.aborted) process.stderr.write(`[demo] ${bin} exited (${code}); the rest keeps running until Ctrl-C\n`);
      });
      return started;
    };
    const producer = service('tickerflow-producer', ports.producer, {
      FINNHUB_TOKEN: token,
      FINNHUB_WS_URL: sim.url,
      SYMBOLS: env.SYMBOLS ?? 'AAPL,MSFT,NVDA,BINANCE:BTCUSDT,BINANCE:ETHUSDT,OANDA:EUR_USD,IC MARKETS:1',
    });
    const consumer = service('tickerflow-consumer', ports.consumer, {});
    const dashboard = service('tickerflow-dashboard', ports.dashboard, {});
    const [dashboardPort, producerPort, consumerPort] = await Promise.all([dashboard.port(), producer.port(), consumer.port()]);
    process.stdout.write(
      [
        '',
        'tickerflow demo running (Ctrl-C stops everything):',
        `  live candle page   http://127.0.0.1:${dashboardPort}/`,
        `  Kafka              ${kafka.bootstrap}  (topics finnhub.trades, finnhub.candles, finnhub.trades.dlq)`,
        `  finnhub-sim        ${sim.url}  (control: ${sim.httpUrl}/control/stats)`,
        `  producer           http://127.0.0.1:${producerPort}/metrics   symbols: http://127.0.0.1:${producerPort}/symbols`,
        `  consumer           http://127.0.0.1:${consumerPort}/metrics`,
        `  dashboard API      http://127.0.0.1:${dashboardPort}/api/symbols`,
        '',
      ].join('\n'),
    );
    for (;;) {
      await pause(5000);
      if (interrupted.signal.aborted) return;
      try {
        const produced = await metric(producer, 'tickerflow_producer_trades_produced_total');
        let candles = 0;
        for (const interval of ['1m', '5m']) candles += await metric(consumer, `tickerflow_consumer_candles_emitted_total{interval="${interval}"}`);
        process.stdout.write(`[demo] trades in Kafka: ${produced}; final candles: ${candles}\n`);
      } catch {
        process.stdout.write('[demo] services not answering yet\n');
      }
    }
  } finally {
    process.stdout.write('[demo] stopping\n');
    await stopAll(running, kafka);
  }
}

/**
 * Services first, in reverse start order (they flush and commit to Kafka), Kafka last;
 * whatever still runs after 15 s is killed.
 */
async function stopAll(running: readonly Running[], kafka: KafkaBroker | undefined): Promise<void> {
  const stopped = [...running].reverse().map((p) => p.stop('SIGTERM'));
  const inTime = await Promise.race([Promise.all(stopped).then(() => true), sleep(15_000, false, { ref: false })]);
  if (!inTime) {
    process.stderr.write('[demo] still running after 15 s: SIGKILL\n');
    await Promise.all(running.map((p) => p.stop('SIGKILL')));
  }
  await kafka?.stop();
}

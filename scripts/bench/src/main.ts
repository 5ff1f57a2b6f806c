import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { artifactsDir, repoRoot, startKafka, versions } from '@tickerflow/harness';
import { benchConsumer, type ConsumerBenchResult } from './consumer.js';
import { benchController, type ControllerBenchResult } from './controller.js';
import { benchE2e, type E2eBenchResult } from './e2e.js';
import { benchProducer, type ProducerBenchResult } from './producer.js';
import { benchSink, type SinkBenchResult } from './sink.js';

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function producerTable(r: ProducerBenchResult): string {
  return [
    '| producer scenario | value |',
    '|---|---|',
    `| Kafka ProducerPerformance, ${r.recordBytes}-byte records, acks=all, idempotent (reference) | ${fmt(r.referenceRecordsPerSec)} records/s |`,
    `| tickerflow-producer, best over finnhub-sim rates 50k–1M/s (sim sent ${fmt(r.simMaxTradesPerSec)}/s) | ${fmt(r.producerMaxTradesPerSec)} trades/s acknowledged |`,
    `| **ratio to ProducerPerformance** | **${fmt(r.ratio, 2)}** |`,
    `| trades dropped in that run (bounded buffer) | ${fmt(r.droppedAtMax)} |`,
    `| at a fixed ${fmt(r.fixedRate)} trades/s: achieved | ${fmt(r.fixedAchievedPerSec)} trades/s |`,
    `| CPU seconds per 1,000 trades | ${fmt(r.cpuSecondsPer1000, 4)} |`,
    `| peak RSS | ${fmt(r.peakRssMiB, 1)} MiB |`,
    `| frame received → Kafka ack, p50 / p99 | ${fmt(r.ackLatencyP50Ms, 2)} ms / ${fmt(r.ackLatencyP99Ms, 2)} ms |`,
    `| naive baseline (one awaited send per trade, as the demos do) | ${fmt(r.naiveTradesPerSec)} trades/s |`,
  ].join('\n');
}

function consumerTable(r: ConsumerBenchResult): string {
  return [
    '| consumer scenario (pre-filled topic, 3 partitions) | value |',
    '|---|---|',
    `| Kafka ConsumerPerformance over the same ${fmt(r.records)} records (reference, fetch rate; median of ${r.runs}, range ${fmt(r.referenceRange[0])}–${fmt(r.referenceRange[1])}) | ${fmt(r.referenceRecordsPerSec)} records/s |`,
    `| tickerflow-consumer, exactly once (decode, aggregate 1m+5m, transactions with offsets; median of ${r.runs}, range ${fmt(r.consumerRange[0])}–${fmt(r.consumerRange[1])}) | ${fmt(r.consumerRecordsPerSec)} records/s |`,
    `| **ratio to ConsumerPerformance** | **${fmt(r.ratio, 2)}** |`,
    `| candles emitted / transactions committed | ${fmt(r.candles)} / ${fmt(r.transactions)} |`,
    `| CPU seconds per 1,000 records | ${fmt(r.cpuSecondsPer1000, 4)} |`,
    `| peak RSS | ${fmt(r.peakRssMiB, 1)} MiB |`,
    `| with ${fmt(r.poisonShare * 100, 1)}% poison records (to the DLQ; median of ${r.runs}) | ${fmt(r.poisonRecordsPerSec)} records/s (${fmt(r.poisonRecordsPerSec / r.consumerRecordsPerSec, 2)} of clean) |`,
  ].join('\n');
}

function e2eTable(r: E2eBenchResult): string {
  return [
    `| end to end at ${fmt(r.rate)} trades/s: finnhub-sim → producer → Kafka → dashboard → SSE | value |`,
    '|---|---|',
    `| simulator sent / dashboard read | ${fmt(r.simSentPerSec)} / ${fmt(r.dashboardRecordsPerSec)} records/s |`,
    `| SSE forming-candle events received | ${fmt(r.events)} (${fmt(r.eventsPerSec, 1)}/s) over ${fmt(r.windowMs / 1000)} s |`,
    `| **trade sent → its forming candle on the SSE stream, p50 / p99** | **${fmt(r.latencyP50Ms, 1)} ms / ${fmt(r.latencyP99Ms, 1)} ms** (max ${fmt(r.latencyMaxMs, 1)} ms) |`,
    `| reference: the Spark trigger of the public Finnhub pipeline alone | 5,000 ms |`,
    `| dashboard CPU seconds per 1,000 trades / peak RSS | ${fmt(r.dashboardCpuSecondsPer1000Trades, 4)} / ${fmt(r.dashboardPeakRssMiB, 1)} MiB |`,
  ].join('\n');
}

function controllerTable(r: ControllerBenchResult): string {
  const met = (ok: boolean) => (ok ? 'met' : '**not met**');
  const reasons = Object.entries(r.readyReasons)
    .map(([reason, n]) => `${reason} ${fmt(n)}`)
    .join(', ');
  return [
    `| controller: kube-apiserver ${versions.kubernetes} + etcd ${versions.etcd}, tickerflow-controller, tickerflow-producer, finnhub-sim | value | goal |`,
    '|---|---|---|',
    `| **\`kubectl apply\` of a subscription with a new symbol → its subscribe frame at finnhub-sim, p50 / p99 over ${fmt(r.applies)} applies** (one at a time; includes kubectl's own start-up, as a user sees it) | **${fmt(r.applyToSubscribeP50Ms)} ms / ${fmt(r.applyToSubscribeP99Ms)} ms** (max ${fmt(r.applyToSubscribeMaxMs)} ms) | p99 < 2 s: ${met(r.applyToSubscribeP99Ms < 2000)} |`,
    `| of which \`kubectl apply\` itself (start-up + the API write), p50 / p99 | ${fmt(r.kubectlReturnedP50Ms)} ms / ${fmt(r.kubectlReturnedP99Ms)} ms | |`,
    `| **${fmt(r.subscriptions)} TickerSubscriptions (1–3 of ${fmt(r.symbolPool)} symbols each, ${fmt(r.unionSymbols)} distinct) created through the API, ${r.concurrency} at a time → symbols ConfigMap = their union and every status current with a Ready condition** (polled every ${fmt(r.pollMs)} ms; producer stopped) | **${fmt(r.convergedMs / 1000, 1)} s** (creates done at ${fmt(r.createdMs / 1000, 1)} s) | < 30 s: ${met(r.convergedMs < 30_000)} |`,
    `| controller work until then: reconciles (subscription / symbols), failed reconciles | ${fmt(r.subscriptionReconciles)} / ${fmt(r.symbolsReconciles)}, ${fmt(r.failedReconciles)} failed | |`,
    `| status writes / symbols ConfigMap writes | ${fmt(r.statusWrites)} / ${fmt(r.symbolsWrites)} | |`,
    `| Ready reasons at convergence | ${reasons} | |`,
    `| controller CPU seconds over the run / peak RSS | ${fmt(r.controllerCpuSeconds, 2)} / ${fmt(r.controllerPeakRssMiB, 1)} MiB | |`,
  ].join('\n');
}

function sinkTable(r: SinkBenchResult): string {
  const what = r.table === 'candles' ? 'final candles' : 'raw trades';
  const how = r.table === 'candles' ? 'multi-row INSERT … ON CONFLICT' : 'COPY into the day partition';
  return [
    `| sink scenario: ${what} (${fmt(r.rows)} pre-filled, 3 partitions, PostgreSQL from Debian on loopback) | value |`,
    '|---|---|',
    `| psql \\copy of the same rows from a file into the same table (reference) | ${fmt(r.copyRowsPerSec)} rows/s |`,
    `| tickerflow-sink, exactly once (decode, ${how}, with the offset in one transaction per batch) | ${fmt(r.sinkRowsPerSec)} rows/s |`,
    `| **ratio to COPY** | **${fmt(r.ratio, 2)}** |`,
    `| sink CPU seconds per 1,000 rows / peak RSS | ${fmt(r.cpuSecondsPer1000, 4)} / ${fmt(r.peakRssMiB, 1)} MiB |`,
  ].join('\n');
}

async function main() {
  const scenarios = process.argv.slice(2);
  const want = (s: string) => scenarios.length === 0 || scenarios.includes(s);
  const workDir = join(repoRoot, '.harness', 'bench');
  mkdirSync(workDir, { recursive: true });
  const broker = await startKafka(workDir);
  const sections: string[] = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, Kafka single-node KRaft on loopback.`,
  ];
  const results: Record<string, unknown> = {};
  try {
    if (want('producer')) {
      const r = await benchProducer(broker, workDir, { windowMs: 10_000, fixedRate: 5000 });
      results.producer = r;
      sections.push(producerTable(r));
    }
    if (want('consumer')) {
      const r = await benchConsumer(broker, workDir, { records: 1_000_000, poisonShare: 0.01, runs: 3 });
      results.consumer = r;
      sections.push(consumerTable(r));
    }
    if (want('e2e')) {
      const r = await benchE2e(broker, { rate: 5000 });
      results.e2e = r;
      sections.push(e2eTable(r));
    }
    if (want('sink')) {
      const candles = await benchSink(broker, workDir, { table: 'candles', rows: 300_000 });
      const trades = await benchSink(broker, workDir, { table: 'trades', rows: 500_000 });
      results.sink = { candles, trades };
      sections.push(sinkTable(candles), sinkTable(trades));
    }
    if (want('controller')) {
      const r = await benchController(broker, workDir, { applies: 50, subscriptions: 1000, symbolPool: 1500, concurrency: 20 });
      results.controller = r;
      sections.push(controllerTable(r));
    }
  } finally {
    await broker.stop();
  }
  const report = sections.join('\n\n') + '\n';
  const dir = artifactsDir('bench');
  writeFileSync(join(dir, 'report.md'), report);
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results, null, 2));
  process.stdout.write(report);
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

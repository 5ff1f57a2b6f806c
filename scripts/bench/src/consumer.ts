import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { loadSchema, singleObjectCodec, WATERMARK_HEADER, type TradeValue } from '@tickerflow/common';
import { createTopic, runKafkaTool, sample, startService, type KafkaBroker } from '@tickerflow/harness';
import { cpuSeconds, peakRssBytes } from './measure.js';
import { BENCH_SYMBOLS } from './symbols.js';

const PARTITIONS = 3;

export interface ConsumerBenchResult {
  records: number;
  runs: number;
  referenceRecordsPerSec: number;
  referenceRange: [number, number];
  consumerRecordsPerSec: number;
  consumerRange: [number, number];
  ratio: number;
  candles: number;
  transactions: number;
  cpuSecondsPer1000: number;
  peakRssMiB: number;
  poisonShare: number;
  poisonRecordsPerSec: number;
}

/**
 * Fills a topic as the producer would: `count` trades over the symbols, a
 * thousand per second of event time, a watermark record per partition each
 * second; a share of them replaced by undecodable bytes if asked.
 */
async function fillTopic(brokers: string[], topic: string, count: number, poisonShare: number): Promise<number> {
  const codec = singleObjectCodec<TradeValue>(loadSchema('trade'));
  const kafka = new Kafka({ clientId: 'bench-fill', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  // Event time from two hours back: never ahead of the records' own timestamps.
  const start = Math.floor(Date.now() / 60_000) * 60_000 - 7_200_000;
  let written = 0;
  let batch: Message[] = [];
  const flush = async () => {
    await producer.send({ topic, acks: -1, messages: batch });
    written += batch.length;
    batch = [];
  };
  for (let i = 0; i < count; i++) {
    const symbol = BENCH_SYMBOLS[i % BENCH_SYMBOLS.length]!;
    const timestamp = start + i; // 1,000 trades per second of event time
    const value =
      poisonShare > 0 && i % Math.round(1 / poisonShare) === 0
        ? Buffer.from('not avro at all')
        : codec.encode({ symbol, price: 100 + Math.sin(i / 1000) * 5, volume: 1 + (i % 10), timestamp, conditions: ['1'], receivedAt: timestamp + 20 });
    batch.push({ key: symbol, value });
    if (i % 1000 === 999)
      for (let partition = 0; partition < PARTITIONS; partition++)
        batch.push({ partition, key: null, value: null, headers: { [WATERMARK_HEADER]: String(timestamp) } });
    if (batch.length >= 5000) await flush();
  }
  if (batch.length > 0) await flush();
  await producer.disconnect();
  return written;
}

/** Kafka's ConsumerPerformance over the same topic: its fetch rate (records/s, group join excluded). */
async function measureReference(broker: KafkaBroker, workDir: string, topic: string, records: number): Promise<number> {
  const out = await runKafkaTool(workDir, 'org.apache.kafka.tools.ConsumerPerformance', [
    '--bootstrap-server',
    broker.bootstrap,
    '--topic',
    topic,
    '--messages',
    String(records),
    '--group',
    `perf-${randomUUID().slice(0, 8)}`,
    '--timeout',
    '60000',
  ]);
  const lines = out.trim().split('\n');
  const header = lines
    .find((l) => l.includes('nMsg.sec'))!
    .split(',')
    .map((s) => s.trim());
  const values = lines
    .at(-1)!
    .split(',')
    .map((s) => s.trim());
  const column = header.indexOf('fetch.nMsg.sec');
  if (column < 0 || values[column] === undefined) throw new Error(`cannot read ConsumerPerformance output:\n${out}`);
  return Number(values[column]);
}

/** Runs tickerflow-consumer (exactly-once) over the filled topic from its start until everything is committed. */
async function measureConsumer(broker: KafkaBroker, topic: string, records: number) {
  const id = randomUUID().slice(0, 8);
  const [candles, dlq] = [`bench.candles.${id}`, `bench.dlq.${id}`];
  await createTopic([broker.bootstrap], candles, PARTITIONS);
  await createTopic([broker.bootstrap], dlq, 1);
  const consumer = startService('tickerflow-consumer', {
    KAFKA_BROKERS: broker.bootstrap,
    TRADES_TOPIC: topic,
    CANDLES_TOPIC: candles,
    DLQ_TOPIC: dlq,
    CONSUMER_GROUP: `bench-${id}`,
    LOG_LEVEL: 'info',
  });
  const scrape = async () => (await fetch(`http://127.0.0.1:${await consumer.port()}/metrics`)).text();
  const consumed = (text: string) =>
    ['trade', 'watermark', 'invalid'].reduce((sum, kind) => sum + sample(text, `tickerflow_consumer_records_consumed_total{kind="${kind}"}`), 0);
  try {
    // The clock starts at the first committed transaction (group join excluded, as for the reference).
    let first: { at: number; count: number; cpu: number } | undefined;
    for (;;) {
      const text = await scrape();
      const count = consumed(text);
      if (!first && count > 0) first = { at: Date.now(), count, cpu: cpuSeconds(consumer.pid) };
      if (count >= records) {
        const seconds = (Date.now() - first!.at) / 1000;
        return {
          perSec: (count - first!.count) / seconds,
          candles:
            sample(text, 'tickerflow_consumer_candles_emitted_total{interval="1m"}') + sample(text, 'tickerflow_consumer_candles_emitted_total{interval="5m"}'),
          transactions: sample(text, 'tickerflow_consumer_transactions_total{result="committed"}'),
          cpuPer1000: ((cpuSeconds(consumer.pid) - first!.cpu) / (count - first!.count)) * 1000,
          peakRssMiB: peakRssBytes(consumer.pid) / 1024 / 1024,
        };
      }
      await sleep(100);
    }
  } finally {
    await consumer.stop('SIGTERM');
  }
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: readonly number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];

/**
 * Each measurement runs `runs` times, interleaved (reference, clean, poisoned),
 * each consumer run with a fresh group over the same filled topics; medians
 * are reported, so one noisy run on a shared machine does not decide.
 */
export async function benchConsumer(
  broker: KafkaBroker,
  workDir: string,
  opts: { records: number; poisonShare: number; runs: number },
): Promise<ConsumerBenchResult> {
  const [topic, poisonTopic] = [`bench.trades.${randomUUID().slice(0, 8)}`, `bench.poison.${randomUUID().slice(0, 8)}`];
  await createTopic([broker.bootstrap], topic, PARTITIONS);
  await createTopic([broker.bootstrap], poisonTopic, PARTITIONS);
  process.stderr.write(`[bench] consumer: filling ${opts.records} trades, clean and with ${opts.poisonShare * 100}% poison records\n`);
  const records = await fillTopic([broker.bootstrap], topic, opts.records, 0);
  const poisonRecords = await fillTopic([broker.bootstrap], poisonTopic, opts.records, opts.poisonShare);
  const reference: number[] = [];
  const clean: Awaited<ReturnType<typeof measureConsumer>>[] = [];
  const poisoned: number[] = [];
  for (let run = 1; run <= opts.runs; run++) {
    reference.push(await measureReference(broker, join(workDir, 'tools'), topic, records));
    clean.push(await measureConsumer(broker, topic, records));
    poisoned.push((await measureConsumer(broker, poisonTopic, poisonRecords)).perSec);
    process.stderr.write(
      `[bench]   run ${run}: ConsumerPerformance ${Math.round(reference.at(-1)!)}/s, consumer ${Math.round(clean.at(-1)!.perSec)}/s, with poison ${Math.round(poisoned.at(-1)!)}/s\n`,
    );
  }
  const perSec = clean.map((c) => c.perSec);
  const m = clean.find((c) => c.perSec === median(perSec))!;
  return {
    records,
    runs: opts.runs,
    referenceRecordsPerSec: median(reference),
    referenceRange: range(reference),
    consumerRecordsPerSec: m.perSec,
    consumerRange: range(perSec),
    ratio: m.perSec / median(reference),
    candles: m.candles,
    transactions: m.transactions,
    cpuSecondsPer1000: m.cpuPer1000,
    peakRssMiB: m.peakRssMiB,
    poisonShare: opts.poisonShare,
    poisonRecordsPerSec: median(poisoned),
  };
}

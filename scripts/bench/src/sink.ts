import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { candleRowValues, loadSchema, singleObjectCodec, type Candle } from '@tickerflow/common';
import { createTopic, postgresBinDir, startPostgres, startService, type KafkaBroker } from '@tickerflow/harness';
import { cpuSeconds, peakRssBytes } from './measure.js';
import { BENCH_SYMBOLS } from './symbols.js';

const execFileAsync = promisify(execFile);
const PARTITIONS = 3;

export interface SinkBenchResult {
  rows: number;
  /** psql `\copy` of the same rows from a CSV file into a table of the same shape (reference). */
  copyRowsPerSec: number;
  sinkRowsPerSec: number;
  ratio: number;
  cpuSecondsPer1000: number;
  peakRssMiB: number;
}

/** `count` final candles, 1m windows of BENCH_SYMBOLS, committed to the topic in transactions. */
async function fillCandles(brokers: string[], topic: string, count: number): Promise<Candle[]> {
  const codec = singleObjectCodec<Candle>(loadSchema('candle'));
  const start = Date.UTC(2026, 0, 1);
  const candles = Array.from({ length: count }, (_, i): Candle => {
    const symbol = BENCH_SYMBOLS[i % BENCH_SYMBOLS.length]!;
    const windowStart = start + Math.floor(i / BENCH_SYMBOLS.length) * 60_000;
    const open = 100 + (i % 17);
    return {
      symbol,
      interval: '1m',
      windowStart,
      windowEnd: windowStart + 60_000,
      open,
      high: open + 3,
      low: open - 2,
      close: open + 1,
      volume: 50 + (i % 9),
      vwap: open + 0.7,
      tradeCount: 20 + (i % 11),
    };
  });
  const producer = new Kafka({ clientId: 'bench-candles', brokers, logLevel: logLevel.NOTHING }).producer({
    transactionalId: `bench-candles-${randomUUID()}`,
    maxInFlightRequests: 1,
    idempotent: true,
  });
  await producer.connect();
  for (let i = 0; i < candles.length; i += 10_000) {
    const tx = await producer.transaction();
    await tx.send({ topic, messages: candles.slice(i, i + 10_000).map((c) => ({ key: c.symbol, value: codec.encode(c) })) });
    await tx.commit();
  }
  await producer.disconnect();
  return candles;
}

/**
 * tickerflow-sink draining a pre-filled candles topic into PostgreSQL
 * (exactly once: rows and offsets per transaction), beside the reference:
 * psql's `\copy` of the same rows from a CSV file, on the same server.
 */
export async function benchSink(broker: KafkaBroker, workDir: string, opts: { rows: number }): Promise<SinkBenchResult> {
  const db = await startPostgres(workDir);
  const client = new pg.Client({ host: db.host, port: db.port, user: db.user, database: db.database, password: db.password });
  try {
    const topic = `bench.candles.${randomUUID().slice(0, 8)}`;
    await createTopic([broker.bootstrap], topic, PARTITIONS);
    process.stderr.write(`[bench] sink: filling ${opts.rows} candles\n`);
    const candles = await fillCandles([broker.bootstrap], topic, opts.rows);

    // Reference: COPY from a file into a table shaped like the sink's.
    const csv = join(workDir, `candles-${Date.now()}.csv`);
    writeFileSync(
      csv,
      candles
        .map((c) =>
          candleRowValues(c)
            .map((v) => (v instanceof Date ? v.toISOString() : v))
            .join(','),
        )
        .join('\n') + '\n',
    );
    const psql = (sql: string) =>
      execFileAsync(
        join(postgresBinDir(), 'psql'),
        ['-h', db.host, '-p', String(db.port), '-U', db.user, '-d', db.database, '-v', 'ON_ERROR_STOP=1', '-c', sql],
        {
          env: { ...process.env, PGPASSWORD: db.password },
        },
      );
    await psql(
      'CREATE TABLE copy_reference (symbol text NOT NULL, "interval" text NOT NULL, window_start timestamptz NOT NULL, window_end timestamptz NOT NULL, open double precision NOT NULL, high double precision NOT NULL, low double precision NOT NULL, close double precision NOT NULL, volume double precision NOT NULL, vwap double precision NOT NULL, trade_count integer NOT NULL, PRIMARY KEY (symbol, "interval", window_start))',
    );
    const copyStarted = process.hrtime.bigint();
    await psql(`\\copy copy_reference FROM '${csv}' WITH (FORMAT csv)`);
    const copySeconds = Number(process.hrtime.bigint() - copyStarted) / 1e9;

    // The sink, timed from its first row to the last (start-up and group join left out).
    await client.connect();
    const sink = startService('tickerflow-sink', {
      KAFKA_BROKERS: broker.bootstrap,
      CANDLES_TOPIC: topic,
      SINK_GROUP: `bench-${topic}`,
      DATABASE_URL: db.url,
      DATABASE_PASSWORD: db.password,
      LOG_LEVEL: 'warn',
    });
    const count = async () => {
      try {
        return Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM candles')).rows[0]!.n);
      } catch {
        return 0; // the table is not there before the sink's migration
      }
    };
    let first: { at: bigint; rows: number } | undefined;
    let last = { at: 0n, rows: 0 };
    let peakRss = 0;
    for (const deadline = Date.now() + 600_000; Date.now() < deadline; await sleep(100)) {
      const rows = await count();
      const at = process.hrtime.bigint();
      peakRss = Math.max(peakRss, peakRssBytes(sink.pid));
      if (rows > 0 && !first) first = { at, rows };
      if (rows >= opts.rows) {
        last = { at, rows };
        break;
      }
    }
    const cpu = cpuSeconds(sink.pid);
    await sink.stop('SIGTERM');
    if (!first || last.rows < opts.rows) throw new Error(`the sink wrote ${last.rows} of ${opts.rows} rows in 10 min`);
    const sinkSeconds = Number(last.at - first.at) / 1e9;
    const sinkRowsPerSec = (last.rows - first.rows) / sinkSeconds;
    const copyRowsPerSec = opts.rows / copySeconds;
    return {
      rows: opts.rows,
      copyRowsPerSec,
      sinkRowsPerSec,
      ratio: sinkRowsPerSec / copyRowsPerSec,
      cpuSecondsPer1000: (cpu / opts.rows) * 1000,
      peakRssMiB: peakRss / 2 ** 20,
    };
  } finally {
    await client.end().catch(() => undefined);
    await db.stop();
  }
}

import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Message } from 'kafkajs';
import pg from 'pg';
import { candleRowValues, createDatabasePool, createLogger, loadSchema, singleObjectCodec, type Candle, type TradeValue } from '@tickerflow/common';
import { createTopic, postgresBinDir, startPostgres, startService, type KafkaBroker, type PostgresServer } from '@tickerflow/harness';
import { copyLine, copyText, dayPartition, migrate } from '@tickerflow/sink';
import { cpuSeconds, peakRssBytes } from './measure.js';
import { BENCH_SYMBOLS } from './symbols.js';

const execFileAsync = promisify(execFile);
const PARTITIONS = 3;
const START = Date.UTC(2026, 0, 2);

export type SinkTable = 'candles' | 'trades';

export interface SinkBenchResult {
  table: SinkTable;
  rows: number;
  /** psql `\copy` of the same rows from a file into the same table (migrated the same way) in another database (reference). */
  copyRowsPerSec: number;
  sinkRowsPerSec: number;
  ratio: number;
  cpuSecondsPer1000: number;
  peakRssMiB: number;
}

/** What the bench writes to the topic for one table, and the same rows as COPY text lines. */
interface Workload {
  messages: Message[];
  /** Kafka transactions (candles come from the consumer's) or plain idempotent sends (trades come from the producer's). */
  transactional: boolean;
  copyLines: string[];
  /** The sink's environment for this table. */
  env: (topic: string) => Record<string, string>;
}

function candlesWorkload(count: number): Workload {
  const codec = singleObjectCodec<Candle>(loadSchema('candle'));
  const candles = Array.from({ length: count }, (_, i): Candle => {
    const windowStart = START + Math.floor(i / BENCH_SYMBOLS.length) * 60_000;
    const open = 100 + (i % 17);
    return {
      symbol: BENCH_SYMBOLS[i % BENCH_SYMBOLS.length]!,
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
  return {
    messages: candles.map((c) => ({ key: c.symbol, value: codec.encode(c) })),
    transactional: true,
    copyLines: candles.map(
      (c) =>
        candleRowValues(c)
          .map((v) => (v instanceof Date ? v.toISOString() : copyText(String(v))))
          .join('\t') + '\n',
    ),
    env: (topic) => ({ CANDLES_TOPIC: topic }),
  };
}

function tradesWorkload(count: number): Workload {
  const codec = singleObjectCodec<TradeValue>(loadSchema('trade'));
  const trades = Array.from({ length: count }, (_, i): TradeValue => {
    // 10 ms apart: the bench stays inside one UTC day (one partition).
    const timestamp = START + i * 10;
    return {
      symbol: BENCH_SYMBOLS[i % BENCH_SYMBOLS.length]!,
      price: 100 + (i % 97) / 7,
      volume: (i % 13) / 3,
      timestamp,
      conditions: i % 4 === 0 ? ['1', '12'] : [],
      receivedAt: timestamp + 40,
    };
  });
  return {
    messages: trades.map((t) => ({ key: t.symbol, value: codec.encode(t) })),
    transactional: false,
    copyLines: trades.map((trade, i) => copyLine({ trade, partition: i % PARTITIONS, offset: String(i) })),
    env: (topic) => ({ CANDLES_TOPIC: `${topic}.no-candles`, SINK_TRADES_ENABLED: 'true', TRADES_TOPIC: topic }),
  };
}

async function fill(brokers: string[], topic: string, workload: Workload) {
  const kafka = new Kafka({ clientId: 'bench-sink', brokers, logLevel: logLevel.NOTHING });
  const producer = workload.transactional
    ? kafka.producer({ transactionalId: `bench-sink-${randomUUID()}`, maxInFlightRequests: 1, idempotent: true })
    : kafka.producer({ idempotent: true });
  await producer.connect();
  for (let i = 0; i < workload.messages.length; i += 10_000) {
    const messages = workload.messages.slice(i, i + 10_000);
    if (workload.transactional) {
      const tx = await producer.transaction();
      await tx.send({ topic, messages });
      await tx.commit();
    } else {
      await producer.send({ topic, messages });
    }
  }
  await producer.disconnect();
}

/** The reference: psql's `\copy` of the same rows into the same table, in a database of its own migrated by the sink's migrations. */
async function copyReference(db: PostgresServer, workDir: string, table: SinkTable, lines: string[]): Promise<number> {
  const database = `reference_${randomUUID().slice(0, 8)}`;
  await db.createDatabase(database);
  const logger = createLogger({ service: 'bench', level: 'warn' });
  const connection = { host: db.host, port: db.port, user: db.user, password: db.password, database, ssl: false as const };
  const pool = createDatabasePool({ ...connection, application_name: 'bench', connectionTimeoutMillis: 10_000, query_timeout: 60_000 }, logger);
  try {
    await migrate(pool, logger);
    if (table === 'trades') {
      const p = dayPartition(START);
      await pool.query(`CREATE TABLE ${p.name} PARTITION OF trades FOR VALUES FROM ('${p.from}') TO ('${p.to}')`);
    }
  } finally {
    await pool.end();
  }
  const file = join(workDir, `${table}-${Date.now()}.copy`);
  writeFileSync(file, lines.join(''));
  const started = process.hrtime.bigint();
  await execFileAsync(
    join(postgresBinDir(), 'psql'),
    ['-h', db.host, '-p', String(db.port), '-U', db.user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-c', `\\copy ${table} FROM '${file}'`],
    { env: { ...process.env, PGPASSWORD: db.password } },
  );
  return lines.length / (Number(process.hrtime.bigint() - started) / 1e9);
}

/**
 * tickerflow-sink draining a pre-filled topic into PostgreSQL (exactly once:
 * rows and offsets per transaction), beside the reference: psql's `\copy` of
 * the same rows into the same table, on the same server.
 */
export async function benchSink(broker: KafkaBroker, workDir: string, opts: { table: SinkTable; rows: number }): Promise<SinkBenchResult> {
  const db = await startPostgres(workDir);
  const client = new pg.Client({ host: db.host, port: db.port, user: db.user, database: db.database, password: db.password });
  try {
    const topic = `bench.${opts.table}.${randomUUID().slice(0, 8)}`;
    await createTopic([broker.bootstrap], topic, PARTITIONS);
    if (opts.table === 'trades') await createTopic([broker.bootstrap], `${topic}.no-candles`, 1);
    const workload = opts.table === 'candles' ? candlesWorkload(opts.rows) : tradesWorkload(opts.rows);
    process.stderr.write(`[bench] sink: filling ${opts.rows} ${opts.table}\n`);
    await fill([broker.bootstrap], topic, workload);
    const copyRowsPerSec = await copyReference(db, workDir, opts.table, workload.copyLines);

    // The sink, timed from its first row to the last (start-up and group join left out).
    await client.connect();
    const sink = startService('tickerflow-sink', {
      KAFKA_BROKERS: broker.bootstrap,
      SINK_GROUP: `bench-${topic}`,
      SINK_TRADES_GROUP: `bench-${topic}-trades`,
      DATABASE_URL: db.url,
      DATABASE_PASSWORD: db.password,
      LOG_LEVEL: 'warn',
      ...workload.env(topic),
    });
    const count = async () => {
      try {
        return Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${opts.table}`)).rows[0]!.n);
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
    const sinkRowsPerSec = (last.rows - first.rows) / (Number(last.at - first.at) / 1e9);
    return {
      table: opts.table,
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

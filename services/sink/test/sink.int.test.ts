import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import pg from 'pg';
import {
  candleFromRow,
  loadSchema,
  readTradesTopicRecord,
  singleObjectCodec,
  WATERMARK_HEADER,
  type Candle,
  type CandleRow,
  type TradeValue,
} from '@tickerflow/common';
import { seededRandom } from '@tickerflow/common/testing';
import {
  committedCandles,
  createTopic,
  eventually,
  harnessDir,
  kafkaBrokers,
  readTopic,
  metric,
  startPostgres,
  startService,
  type PostgresServer,
  type ServiceProcess,
} from '@tickerflow/harness';

const candleCodec = singleObjectCodec<Candle>(loadSchema('candle'));
const tradeCodec = singleObjectCodec<TradeValue>(loadSchema('trade'));
const SYMBOLS = ['AAPL', 'MSFT', 'AMZN', 'BINANCE:BTCUSDT', 'OANDA:EUR_USD', 'NVDA'];

/** Final candles, one per symbol and minute from `minute` on, written in Kafka transactions: some committed, some aborted. */
class CandleWriter {
  private minute = Date.UTC(2026, 10, 23, 14, 0) / 60_000;
  readonly committed: Candle[] = [];
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  private next(): Candle[] {
    const windowStart = this.minute++ * 60_000;
    return SYMBOLS.map((symbol, i) => {
      const open = 100 + i + (this.minute % 7);
      return {
        symbol,
        interval: '1m',
        windowStart,
        windowEnd: windowStart + 60_000,
        open,
        high: open + 2,
        low: open - 1,
        close: open + 1,
        volume: 10 + i,
        vwap: open + 0.5,
        tradeCount: 3 + i,
      };
    });
  }

  /** One transaction of `minutes` minutes of candles; aborted ones must never reach the table. */
  async write(minutes: number, abort = false, extra: { key: string; value: Buffer }[] = []): Promise<void> {
    const candles = Array.from({ length: minutes }, () => this.next()).flat();
    const tx = await this.producer.transaction();
    await tx.send({ topic: this.topic, messages: [...candles.map((c) => ({ key: c.symbol, value: candleCodec.encode(c) })), ...extra] });
    if (abort) return tx.abort();
    await tx.commit();
    this.committed.push(...candles);
  }
}

/** The two sets of candles are equal; on failure, says how many differ and shows a few (not thousands of lines). */
function assertSameCandles(actual: Candle[], expected: Candle[], context: string) {
  const text = (c: Candle) =>
    JSON.stringify([c.symbol, c.interval, c.windowStart, c.windowEnd, c.open, c.high, c.low, c.close, c.volume, c.vwap, c.tradeCount]);
  const count = (list: Candle[]) => list.reduce((m, c) => m.set(text(c), (m.get(text(c)) ?? 0) + 1), new Map<string, number>());
  const [a, e] = [count(actual), count(expected)];
  const extra = [...a].filter(([k, n]) => n > (e.get(k) ?? 0)).map(([k]) => k);
  const missing = [...e].filter(([k, n]) => n > (a.get(k) ?? 0)).map(([k]) => k);
  assert.deepEqual(
    { rows: actual.length, extra: extra.slice(0, 5), missing: missing.slice(0, 5) },
    { rows: expected.length, extra: [], missing: [] },
    `${context}: ${extra.length} rows extra or doubled, ${missing.length} missing`,
  );
}

describe('tickerflow-sink: candles topic → PostgreSQL, exactly once', () => {
  let db: PostgresServer;
  let producer: Producer;
  const started: ServiceProcess[] = [];

  /** Each test has a database of its own. */
  let database = '';
  const client = async () => {
    const c = new pg.Client({ host: db.host, port: db.port, user: db.user, database, password: db.password });
    await c.connect();
    return c;
  };
  const tableRows = async (): Promise<Candle[]> => {
    const c = await client();
    try {
      return (await c.query<CandleRow>('SELECT * FROM candles')).rows.map(candleFromRow);
    } finally {
      await c.end();
    }
  };
  /** candle_series is what the candles table says of each series (the sink keeps it in the same transactions). */
  const assertSeriesMatchCandles = async () => {
    const c = await client();
    try {
      const kept = await c.query('SELECT symbol, "interval", oldest, newest, newest_end FROM candle_series ORDER BY 1, 2');
      const computed = await c.query(
        'SELECT symbol, "interval", min(window_start) AS oldest, max(window_start) AS newest, max(window_end) AS newest_end FROM candles GROUP BY 1, 2 ORDER BY 1, 2',
      );
      assert.ok(kept.rows.length >= SYMBOLS.length);
      assert.deepEqual(kept.rows, computed.rows, 'candle_series agrees with candles');
    } finally {
      await c.end();
    }
  };
  const sink = (topic: string, group: string, extra: Record<string, string> = {}) => {
    const s = startService('tickerflow-sink', {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      CANDLES_TOPIC: topic,
      SINK_GROUP: group,
      DATABASE_URL: `postgres://${db.user}@${db.host}:${db.port}/${database}`,
      DATABASE_PASSWORD: db.password,
      SINK_SESSION_TIMEOUT_MS: '6000',
      // Small inserts, so a batch takes several statements.
      SINK_INSERT_ROWS: '7',
      ...extra,
    });
    started.push(s);
    return s;
  };
  /** A topic and a database for one test. */
  const newTopic = async (prefix = 'candles') => {
    const id = randomUUID().slice(0, 8);
    const topic = `${prefix}.${id}`;
    await createTopic(kafkaBrokers(), topic, 3);
    database = `sink_${id}`;
    await db.createDatabase(database);
    return { topic, group: `sink-${topic}` };
  };
  /** As many rows as committed candles (each key is written once, so more would be a bug the comparison after shows). */
  const caughtUp = (count: number) =>
    eventually(async () => (await tableRows()).length >= count, { timeoutMs: 120_000, intervalMs: 500, what: `the table holds ${count} candles` });

  /** The stored offsets are the partitions' ends: nothing left to write twice. */
  const storedOffsetsAreEnds = async (topic: string, group: string) => {
    const admin = new Kafka({ clientId: 'test-ends', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const c = await client();
    const stored = (
      await c.query<{ partition: number; next_offset: string }>('SELECT "partition", next_offset FROM kafka_offsets WHERE group_id = $1 AND topic = $2', [
        group,
        topic,
      ])
    ).rows;
    await c.end();
    for (const e of ends) assert.equal(stored.find((s) => s.partition === e.partition)?.next_offset ?? '0', e.high, `${topic} partition ${e.partition}`);
  };

  before(async () => {
    db = await startPostgres(harnessDir());
    producer = new Kafka({ clientId: 'test-candles', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).producer({
      transactionalId: `test-candles-${randomUUID()}`,
      maxInFlightRequests: 1,
      idempotent: true,
    });
    await producer.connect();
  });

  after(async () => {
    await Promise.all(started.map((s) => s.stop('SIGKILL')));
    await producer?.disconnect();
    await db?.stop();
  });

  it('exactly once across SIGKILLs, restarts and a second instance joining and leaving: the table equals the read_committed topic', async () => {
    const { topic, group } = await newTopic();
    const writer = new CandleWriter(producer, topic);
    const seed = Number(process.env.SINK_CRASH_SEED ?? Date.now() % 100_000);
    const rand = seededRandom(seed);
    const plan: string[] = [];
    let a = sink(topic, group);
    let b: ServiceProcess | undefined;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 10; i++) await writer.write(1 + Math.floor(rand() * 5), rand() < 0.2);
      const wait = 200 + Math.floor(rand() * 1500);
      plan.push(`round ${round}: wrote, ran ${wait} ms`);
      await sleep(wait);
      if (round === 1) {
        b = sink(topic, group);
        plan.push('second instance joins');
      }
      if (round === 4 && b) {
        plan.push('second instance killed');
        await b.stop(rand() < 0.5 ? 'SIGKILL' : 'SIGTERM');
      }
      plan.push('SIGKILL first instance, restart');
      await a.stop('SIGKILL');
      a = sink(topic, group);
    }
    await caughtUp(writer.committed.length);
    const context = `seed ${seed}: ${plan.join('; ')}`;
    const topicCandles = await committedCandles(kafkaBrokers(), topic);
    assert.equal(topicCandles.length, writer.committed.length, 'read_committed sees exactly the committed transactions');
    assertSameCandles(await tableRows(), topicCandles, context);
    await assertSeriesMatchCandles();
    await storedOffsetsAreEnds(topic, group);
  });

  it('an undecodable record is counted and skipped; the database going away is survived: not ready meanwhile, nothing lost, nothing doubled', async () => {
    const { topic, group } = await newTopic();
    const writer = new CandleWriter(producer, topic);
    const s = sink(topic, group);
    await writer.write(3, false, [{ key: 'AAPL', value: Buffer.from('not avro') }]);
    await eventually(async () => (await metric(s, 'tickerflow_sink_records_skipped_total{table="candles",reason="bad-magic"}')) === 1, {
      what: 'the bad record counted',
    });
    await caughtUp(writer.committed.length);
    assert.equal((await s.get('/readyz')).status, 200);

    await db.stop();
    await writer.write(4);
    await eventually(async () => (await s.get('/readyz')).status === 503, { timeoutMs: 60_000, what: 'not ready while the database is away' });
    assert.match((await s.get('/readyz')).body, /database/);
    await writer.write(4);
    await db.restart();
    await caughtUp(writer.committed.length);
    await eventually(async () => (await s.get('/readyz')).status === 200, { timeoutMs: 60_000, what: 'ready again' });
    assertSameCandles(await tableRows(), writer.committed, 'every committed candle once');
    await assertSeriesMatchCandles();
    assert.ok((await metric(s, 'tickerflow_sink_transactions_total{table="candles",result="failed"}')) > 0, 'writes failed while the database was away');
    assert.equal(await metric(s, 'tickerflow_sink_records_skipped_total{table="candles",reason="bad-magic"}'), 1, 'the bad record counted once');
    assert.ok(!s.output().includes(db.password), 'the password is never logged');
  });
  it('raw trades archive: exactly once across SIGKILLs and a second instance; the table equals the trades topic as a multiset', async () => {
    const { topic: candlesTopic, group } = await newTopic();
    const { topic: tradesTopic } = await newTopic('trades');
    const trades = { SINK_TRADES_ENABLED: 'true', TRADES_TOPIC: tradesTopic, SINK_TRADES_GROUP: `${group}-trades`, SINK_MAX_BYTES_PER_PARTITION: '4096' };
    const plain = new Kafka({ clientId: 'test-trades', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).producer({ idempotent: true });
    await plain.connect();
    const seed = Number(process.env.SINK_CRASH_SEED ?? Date.now() % 100_000);
    const rand = seededRandom(seed);
    // Symbols and conditions with what COPY and array literals escape; times across a UTC midnight (two day partitions).
    const symbols = ['AAPL', 'BINANCE:BTCUSDT', 'IC MARKETS:1', 'ODD\\SYM\tBOL'];
    const conditions = [[], ['1', '12'], ['NULL', 'a,b', '{x}', 'say "hi"', 'back\\slash']];
    let time = Date.UTC(2026, 10, 23, 23, 58);
    const send = async (count: number) => {
      const messages = Array.from({ length: count }, () => {
        const symbol = symbols[Math.floor(rand() * symbols.length)]!;
        time += Math.floor(rand() * 50);
        // Identical trades happen: every third one is sent twice, and both must be kept.
        return {
          key: symbol,
          value: tradeCodec.encode({
            symbol,
            price: 100 + rand(),
            volume: rand() < 0.2 ? 0 : rand() * 10,
            timestamp: time,
            conditions: conditions[Math.floor(rand() * 3)]!,
            receivedAt: time + 5,
          }),
        };
      });
      const twice = messages.filter((_, i) => i % 3 === 0);
      const watermarks = [0, 1, 2].map((partition) => ({ partition, key: null, value: null, headers: { [WATERMARK_HEADER]: String(time) } }));
      await plain.send({ topic: tradesTopic, messages: [...messages, ...twice, ...watermarks] });
    };
    const plan: string[] = [];
    const instances: ServiceProcess[] = [];
    const start = () => {
      const s = sink(candlesTopic, group, trades);
      instances.push(s);
      return s;
    };
    let a = start();
    let b: ServiceProcess | undefined;
    await plain.send({ topic: tradesTopic, messages: [{ key: 'AAPL', value: Buffer.from('not avro') }] });
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 5; i++) await send(200 + Math.floor(rand() * 600));
      const wait = 200 + Math.floor(rand() * 1500);
      plan.push(`round ${round}: wrote, ran ${wait} ms`);
      await sleep(wait);
      if (round === 1) {
        b = start();
        plan.push('second instance joins');
      }
      if (round === 3 && b) {
        plan.push('second instance killed');
        await b.stop('SIGKILL');
      }
      plan.push('SIGKILL first instance, restart');
      await a.stop('SIGKILL');
      a = start();
    }
    await plain.disconnect();

    const expected = (await readTopic(kafkaBrokers(), tradesTopic)).flatMap((r) => {
      try {
        const record = readTradesTopicRecord(tradeCodec, r);
        return record.kind === 'trade' ? [{ ...record.trade, partition: r.partition, offset: r.offset }] : [];
      } catch {
        return [];
      }
    });
    const c = await client();
    const count = async () => Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM trades')).rows[0]!.n);
    await eventually(async () => (await count()) >= expected.length, {
      timeoutMs: 120_000,
      intervalMs: 500,
      what: `the archive holds ${expected.length} trades`,
    });
    const rows = (
      await c.query<{
        symbol: string;
        price: number;
        volume: number;
        trade_time: Date;
        conditions: string[];
        received_at: Date;
        kafka_partition: number;
        kafka_offset: string;
      }>('SELECT * FROM trades')
    ).rows.map((r) => ({
      symbol: r.symbol,
      price: r.price,
      volume: r.volume,
      timestamp: r.trade_time.getTime(),
      conditions: r.conditions,
      receivedAt: r.received_at.getTime(),
      partition: r.kafka_partition,
      offset: r.kafka_offset,
    }));
    const partitions = (
      await c.query<{ name: string }>("SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'trades'::regclass ORDER BY 1")
    ).rows;
    await c.end();
    const key = (t: (typeof rows)[number]) => JSON.stringify([t.partition, t.offset, t.symbol, t.price, t.volume, t.timestamp, t.conditions, t.receivedAt]);
    assert.deepEqual(rows.map(key).sort(), expected.map(key).sort(), `seed ${seed}: ${plan.join('; ')}`);
    assert.ok(expected.length > 3000, `a real amount of trades (${expected.length})`);
    assert.deepEqual(
      partitions.map((p) => p.name),
      ['trades_p20261123', 'trades_p20261124'],
      'a partition per UTC day',
    );
    const skipped = instances.filter((s) => /"table":"trades".*"reason":"bad-magic"|"reason":"bad-magic".*"table":"trades"/.test(s.output()));
    await storedOffsetsAreEnds(tradesTopic, `${group}-trades`);
    assert.ok(skipped.length >= 1, 'the undecodable trade record was counted and skipped (logged by the instance that read it)');
  });
});

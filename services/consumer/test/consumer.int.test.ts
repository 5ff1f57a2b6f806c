import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { candleKey, parseIntervals, WATERMARK_HEADER, type TradeValue } from '@tickerflow/common';
import { seededRandom } from '@tickerflow/common/testing';
import { eventually, kafkaBrokers, promtoolCheckMetrics, readTopic, startService, type ServiceProcess } from '@tickerflow/harness';
import { startSim, type RunningSim } from '@tickerflow/finnhub-sim';
import { DLQ_HEADERS } from '../src/dead-letter.js';
import { byIdentity, caughtUp, committedCandles, metric, newTopics, recomputeCandles, startConsumer, tradeCodec, type Topics } from './helpers.js';

const TOKEN = 'consumer-test-token';
const INTERVALS = '1s,5s';
const LATENESS = '300ms';
const reference = { intervals: parseIntervals(INTERVALS.split(',')), allowedLatenessMs: 300 };

const started: ServiceProcess[] = [];
const sims: RunningSim[] = [];
function consumer(topics: Topics, env: Record<string, string> = {}) {
  const c = startConsumer(kafkaBrokers(), topics, { CANDLE_INTERVALS: INTERVALS, ALLOWED_LATENESS: LATENESS, ...env });
  started.push(c);
  return c;
}

describe('consumer against the real Kafka', () => {
  after(async () => {
    await Promise.all(started.map((p) => p.stop('SIGKILL')));
    await Promise.all(sims.map((s) => s.stop()));
  });

  it('exactly once across SIGKILLs, restarts and a second instance joining and leaving: committed candles equal the offline recomputation', async () => {
    const topics = await newTopics(kafkaBrokers(), 3);
    const sim = await startSim({ token: TOKEN, rate: 400, seed: 23 });
    sims.push(sim);
    const producer = startService('tickerflow-producer', {
      FINNHUB_TOKEN: TOKEN,
      FINNHUB_WS_URL: sim.url,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      TRADES_TOPIC: topics.trades,
      SYMBOLS: 'AAPL,MSFT,BINANCE:BTCUSDT,BINANCE:ETHUSDT,OANDA:EUR_USD,IC MARKETS:1',
      PRODUCER_WATERMARK_INTERVAL_MS: '200',
    });
    started.push(producer);

    const seed = Number(process.env.CRASH_TEST_SEED ?? Date.now() % 100_000);
    const rand = seededRandom(seed);
    const plan: string[] = [];
    let a = consumer(topics);
    await eventually(async () => (await metric(a, 'tickerflow_consumer_candles_emitted_total{interval="1s"}')) > 0, {
      timeoutMs: 90_000,
      what: 'first candles',
    });
    let b: ServiceProcess | undefined;
    for (let round = 0; round < 5; round++) {
      const wait = 1000 + Math.floor(rand() * 4000);
      plan.push(`round ${round}: run ${wait} ms`);
      await sleep(wait);
      if (round === 1) {
        b = consumer(topics);
        plan.push('second instance joins');
      }
      if (round === 3 && b) {
        plan.push('second instance killed');
        await b.stop(rand() < 0.5 ? 'SIGKILL' : 'SIGTERM');
      }
      plan.push('SIGKILL first instance, restart');
      await a.stop('SIGKILL');
      a = consumer(topics);
    }
    // Let it finish: stop the source, then wait for the group to commit everything.
    await producer.stop('SIGTERM');
    await caughtUp(kafkaBrokers(), topics, 180_000);
    const { candles: expected, invalid } = await recomputeCandles(kafkaBrokers(), topics.trades, reference);
    const actual = await committedCandles(kafkaBrokers(), topics.candles);
    const context = `seed ${seed}: ${plan.join('; ')}`;
    assert.equal(invalid.length, 0);
    assert.ok(expected.length > 50, `enough candles to mean something (${expected.length}); ${context}`);
    assert.equal(new Set(actual.map(candleKey)).size, actual.length, `no duplicate final candle; ${context}`);
    assert.deepEqual(actual.sort(byIdentity), expected.sort(byIdentity), context);
    assert.deepEqual(await readTopic(kafkaBrokers(), topics.dlq), []);
    // The last instance rebuilt its open windows from the input rather than starting empty.
    assert.ok((await metric(a, 'tickerflow_consumer_rebuilds_total')) > 0);
    assert.deepEqual(await promtoolCheckMetrics((await a.get('/metrics')).body), { ok: true, output: '' });
  });

  it('poison records go to the dead-letter topic with their reason and origin; everything else becomes candles', async () => {
    const topics = await newTopics(kafkaBrokers(), 2);
    const kafka = new Kafka({ clientId: 'poison-writer', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    // Event time an hour back, minute-aligned: within MAX_EVENT_TIME_AHEAD of the records' timestamps.
    const T = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
    const trade = (symbol: string, i: number): TradeValue => ({
      symbol,
      price: 100 + (i % 7),
      volume: 1 + (i % 3),
      timestamp: T + i * 40,
      conditions: [],
      receivedAt: T + i * 40,
    });
    const valid = tradeCodec.encode(trade('AAPL', 0));
    const wrongFingerprint = Buffer.from(valid);
    wrongFingerprint.writeBigUInt64LE(0x0123456789abcdefn, 2);
    // Each poison record has exactly one fault; the ones that decode carry their partition's symbol.
    const poison: { name: string; value: (symbol: string) => Buffer | null }[] = [
      { name: 'bad-magic', value: () => Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9]) },
      { name: 'unknown-fingerprint', value: () => wrongFingerprint },
      { name: 'bad-body', value: () => valid.subarray(0, 14) },
      { name: 'empty-value', value: () => null },
      { name: 'invalid-trade', value: (symbol) => tradeCodec.encode({ ...trade(symbol, 1), price: -5 }) },
      // Microseconds instead of milliseconds: would push the watermark decades ahead.
      { name: 'future-timestamp', value: (symbol) => tradeCodec.encode({ ...trade(symbol, 1), timestamp: T * 1000 }) },
      // 25 bytes claiming a billion array items.
      {
        name: 'bad-body',
        value: () => Buffer.concat([valid.subarray(0, 10), Buffer.from([2, 0x58]), Buffer.alloc(16), Buffer.from([2, 0x80, 0xa8, 0xd6, 0xb9, 0x07])]),
      },
    ];
    const messages: { key: string; value: Buffer | null; partition: number; headers?: Record<string, string> }[] = [];
    for (let i = 0; i < 3000; i++) {
      for (const [partition, symbol] of [
        [0, 'AAPL'],
        [1, 'MSFT'],
      ] as const) {
        messages.push({ key: symbol, value: tradeCodec.encode(trade(symbol, i)), partition });
        if (i % 400 === 200) {
          const p = poison[Math.floor(i / 400)]!;
          messages.push({ key: symbol, value: p.value(symbol), partition, headers: { origin: 'test' } });
        }
      }
    }
    // Event time moves on past the last window on both partitions.
    for (const partition of [0, 1]) messages.push({ key: '', value: null, partition, headers: { [WATERMARK_HEADER]: String(T + 3000 * 40 + 10_000) } });
    for (let i = 0; i < messages.length; i += 500) await producer.send({ topic: topics.trades, messages: messages.slice(i, i + 500) });
    await producer.disconnect();

    const c = consumer(topics);
    await caughtUp(kafkaBrokers(), topics);
    const dead = await readTopic(kafkaBrokers(), topics.dlq);
    const { candles: expected, invalid, trades } = await recomputeCandles(kafkaBrokers(), topics.trades, reference);
    assert.equal(dead.length, invalid.length);
    assert.equal(dead.length, 14);
    assert.equal(poison.length, 7);
    const reasons = dead.map((d) => d.headers[DLQ_HEADERS.errorClass]!.toString()).sort();
    assert.deepEqual(new Set(reasons), new Set(poison.map((p) => p.name)));
    for (const d of dead) {
      assert.equal(d.headers[DLQ_HEADERS.sourceTopic]!.toString(), topics.trades);
      assert.equal(d.headers.origin!.toString(), 'test');
      assert.ok(d.headers[DLQ_HEADERS.errorMessage]!.toString().length > 0);
      const source = invalid.find(
        (r) => r.partition === Number(d.headers[DLQ_HEADERS.sourcePartition]!.toString()) && r.offset === d.headers[DLQ_HEADERS.sourceOffset]!.toString(),
      );
      assert.ok(source, 'the dead letter names its source record');
      assert.deepEqual(d.value, source.value);
      assert.deepEqual(d.key, source.key);
    }
    const actual = await committedCandles(kafkaBrokers(), topics.candles);
    assert.deepEqual(actual.sort(byIdentity), expected.sort(byIdentity));
    assert.equal(await metric(c, 'tickerflow_consumer_records_consumed_total{kind="trade"}'), trades - 2);
    assert.equal(await metric(c, 'tickerflow_consumer_dlq_records_total{reason="bad-magic"}'), reasons.filter((r) => r === 'bad-magic').length);
    assert.equal(await metric(c, `tickerflow_consumer_lag_records{topic="${topics.trades}",partition="0"}`), 0);
    assert.equal((await c.get('/readyz')).status, 200);
    assert.deepEqual(await promtoolCheckMetrics((await c.get('/metrics')).body), { ok: true, output: '' });
    // SIGTERM: leaves the group and exits cleanly.
    assert.equal(await c.stop('SIGTERM'), 0);
  });

  it('broken configuration stops it at start-up, naming each variable', async () => {
    const c = startService('tickerflow-consumer', { KAFKA_BROKERS: '', CANDLE_INTERVALS: '1m,60s', ALLOWED_LATENESS: 'soon' }, { inheritEnv: false });
    assert.equal(await c.exited, 2);
    for (const name of ['KAFKA_BROKERS', 'CANDLE_INTERVALS', 'ALLOWED_LATENESS']) assert.match(c.output(), new RegExp(name));
  });
});

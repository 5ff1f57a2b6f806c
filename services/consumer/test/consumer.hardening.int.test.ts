import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { eventually, harnessDir, kafkaBrokers, readTopic, startKafka, type ServiceProcess } from '@tickerflow/harness';
import { WATERMARK_HEADER, type TradeValue } from '@tickerflow/common';
import { DLQ_HEADERS } from '../src/dead-letter.js';
import { caughtUp, metric, newTopics, startConsumer, tradeCodec, type Topics } from './helpers.js';

const started: ServiceProcess[] = [];
function consumer(brokers: string[], topics: Topics, env: Record<string, string> = {}) {
  const c = startConsumer(brokers, topics, { CANDLE_INTERVALS: '1s', ALLOWED_LATENESS: '0', ...env });
  started.push(c);
  return c;
}

async function produce(
  brokers: string[],
  topic: string,
  messages: { key: string | null; value: Buffer | null; partition: number; headers?: Record<string, string> }[],
) {
  const producer = new Kafka({ clientId: 'hardening-writer', brokers, logLevel: logLevel.NOTHING }).producer({ idempotent: true });
  await producer.connect();
  for (let i = 0; i < messages.length; i += 1000) await producer.send({ topic, messages: messages.slice(i, i + 1000) });
  await producer.disconnect();
}

const errorLines = (output: string) => output.split('\n').filter((l) => l.includes('"level":"error"') || l.includes('"level":"fatal"'));

describe('consumer hardening against the real Kafka', () => {
  after(async () => {
    await Promise.all(started.map((c) => c.stop('SIGKILL')));
  });

  it('a backlog of poison records larger than a request may be drains: every record dead-lettered once, lag back to zero', async () => {
    const brokers = kafkaBrokers();
    const topics = await newTopics(brokers, 1);
    // 20,000 records of 300 random bytes (after an FF, so none looks like either Avro framing): 6 MB in one partition, 4 MiB per fetch, 1 MiB per record batch at the broker.
    const count = 20_000;
    await produce(
      brokers,
      topics.trades,
      Array.from({ length: count }, (_, i) => ({ key: `K${i % 50}`, value: Buffer.concat([Buffer.from([0xff]), randomBytes(299)]), partition: 0 })),
    );
    const c = consumer(brokers, topics);
    await caughtUp(brokers, topics, 180_000);
    const dead = await readTopic(brokers, topics.dlq);
    const offsets = dead.map((r) => Number(r.headers[DLQ_HEADERS.sourceOffset]!.toString())).sort((a, b) => a - b);
    assert.equal(offsets.length, count, 'every record dead-lettered');
    assert.deepEqual(
      offsets,
      Array.from({ length: count }, (_, i) => i),
      'each exactly once',
    );
    assert.equal(await metric(c, 'tickerflow_consumer_dlq_records_total{reason="bad-magic"}'), count);
    await eventually(async () => (await metric(c, `tickerflow_consumer_lag_records{topic="${topics.trades}",partition="0"}`)) === 0, {
      timeoutMs: 30_000,
      what: 'lag zero',
    });
  });

  it('late trades of a flood of distinct symbols are counted under a bounded label set', async () => {
    const brokers = kafkaBrokers();
    const topics = await newTopics(brokers, 1);
    const T = Math.floor(Date.now() / 1000) * 1000 - 600_000;
    const trade = (symbol: string, timestamp: number): TradeValue => ({ symbol, price: 1, volume: 1, timestamp, conditions: [], receivedAt: timestamp });
    // Event time moves on, then 3,000 symbols trade too late.
    const messages = [
      { key: 'AAPL', value: tradeCodec.encode(trade('AAPL', T)), partition: 0 },
      { key: null, value: null, partition: 0, headers: { [WATERMARK_HEADER]: String(T + 60_000) } },
      ...Array.from({ length: 3000 }, (_, i) => ({ key: `S${i}`, value: tradeCodec.encode(trade(`S${i}`, T + 1000)), partition: 0 })),
    ];
    await produce(brokers, topics.trades, messages);
    const c = consumer(brokers, topics, { CONSUMER_SYMBOL_LABELS_MAX: '100' });
    await caughtUp(brokers, topics);
    const body = (await c.get('/metrics')).body;
    const series = body.split('\n').filter((l) => l.startsWith('tickerflow_consumer_late_trades_total{'));
    assert.equal(series.length, 101, 'at most 100 symbols and _other');
    const total = series.reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    assert.equal(total, 3000, 'every late trade counted');
    assert.equal(await metric(c, 'tickerflow_consumer_late_trades_total{symbol="_other",interval="1s"}'), 2900);
  });

  it('a fresh broker: the consumer starts and commits without one error line (retriable errors are retried quietly with backoff)', async () => {
    const broker = await startKafka(join(harnessDir(), 'fresh-broker'), { heap: '512m' });
    try {
      const brokers = [broker.bootstrap];
      const topics = await newTopics(brokers, 3);
      const T = Math.floor(Date.now() / 1000) * 1000 - 60_000;
      await produce(
        brokers,
        topics.trades,
        [0, 1, 2].flatMap((partition) => [
          ...Array.from({ length: 100 }, (_, i) => ({
            key: `P${partition}`,
            value: tradeCodec.encode({ symbol: `P${partition}`, price: 1 + i, volume: 1, timestamp: T + i * 50, conditions: [], receivedAt: T }),
            partition,
          })),
          { key: null, value: null, partition, headers: { [WATERMARK_HEADER]: String(T + 30_000) } },
        ]),
      );
      const c = consumer(brokers, topics);
      await caughtUp(brokers, topics);
      assert.ok((await metric(c, 'tickerflow_consumer_transactions_total{result="committed"}')) >= 3);
      assert.deepEqual(errorLines(c.output()), []);
      assert.equal(await c.stop('SIGTERM'), 0);
      assert.deepEqual(errorLines(c.output()), []);
    } finally {
      await broker.stop();
    }
  });

  it('a partition it cannot take over for good (the broker refuses its transaction timeout) ends the process non-zero, naming why', async () => {
    // The consumer's transactions last up to 60 s; this broker allows 30 s: InitProducerId fails, and no retry can help.
    const broker = await startKafka(join(harnessDir(), 'strict-broker'), { heap: '512m', properties: { 'transaction.max.timeout.ms': '30000' } });
    try {
      const brokers = [broker.bootstrap];
      const topics = await newTopics(brokers, 1);
      await produce(brokers, topics.trades, [
        {
          key: 'AAPL',
          value: tradeCodec.encode({ symbol: 'AAPL', price: 1, volume: 1, timestamp: Date.now(), conditions: [], receivedAt: Date.now() }),
          partition: 0,
        },
      ]);
      const c = consumer(brokers, topics);
      const code = await c.exited;
      assert.equal(code, 1);
      assert.match(c.output(), /cannot take over partition 0/);
      assert.match(c.output(), /transaction timeout/i);
    } finally {
      await broker.stop();
    }
  });
});

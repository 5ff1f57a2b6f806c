import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  eventually,
  harnessDir,
  kafkaBrokers,
  metric,
  readTopic,
  startSchemaRegistry,
  startService,
  startSimProcess,
  type SchemaRegistry,
  type ServiceProcess,
} from '@tickerflow/harness';
import { createSchemaRegistry, loadSchema, parseIntervals, readerCodec, type Candle, type TradeValue } from '@tickerflow/common';
import { byIdentity, caughtUp, committedCandles, newTopics, recomputeCandles, startConsumer } from './helpers.js';

const TOKEN = `registry-${randomUUID()}`;
const PASSWORD = `pw-${randomUUID()}`;
const INTERVALS = '2s,10s';

describe('the pipeline with a schema registry (Apicurio, basic auth)', () => {
  const processes: ServiceProcess[] = [];
  const stops: (() => Promise<unknown>)[] = [];
  let registry: SchemaRegistry | undefined;
  after(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    for (const stop of stops) await stop();
    await registry?.stop();
  });

  it('trades and candles in the Confluent wire format: every reader decodes them, candles exactly once, nothing in the DLQ, the password never shown', async () => {
    registry = await startSchemaRegistry(join(harnessDir(), 'registry'), { user: { name: 'tickerflow', password: PASSWORD } });
    const brokers = kafkaBrokers();
    const topics = await newTopics(brokers, 3);
    const auth = { SCHEMA_REGISTRY_URL: registry.url, SCHEMA_REGISTRY_USERNAME: 'tickerflow', SCHEMA_REGISTRY_PASSWORD: PASSWORD };
    const sim = await startSimProcess(['--token', TOKEN, '--rate', '400', '--seed', '29']);
    stops.push(() => sim.stop());
    const producer = startService('tickerflow-producer', {
      FINNHUB_TOKEN: TOKEN,
      FINNHUB_WS_URL: sim.url,
      KAFKA_BROKERS: brokers.join(','),
      TRADES_TOPIC: topics.trades,
      SYMBOLS: 'AAPL,MSFT,BINANCE:BTCUSDT,OANDA:EUR_USD',
      ...auth,
    });
    const consumer = startConsumer(brokers, topics, { CANDLE_INTERVALS: INTERVALS, ALLOWED_LATENESS: '300ms', ...auth });
    const dashboard = startService('tickerflow-dashboard', {
      KAFKA_BROKERS: brokers.join(','),
      TRADES_TOPIC: topics.trades,
      CANDLES_TOPIC: topics.candles,
      CANDLE_INTERVALS: INTERVALS,
      ALLOWED_LATENESS: '300ms',
      ...auth,
    });
    processes.push(producer, consumer, dashboard);

    await eventually(async () => (await metric(consumer, 'tickerflow_consumer_candles_emitted_total{interval="2s"}')) > 20, {
      timeoutMs: 90_000,
      what: 'candles from Confluent-framed trades',
    });
    await eventually(async () => (await metric(dashboard, `tickerflow_dashboard_records_read_total{topic="${topics.candles}"}`)) > 20, {
      timeoutMs: 60_000,
      what: 'the dashboard reads the candles',
    });
    await fetch(`${sim.httpUrl}/control/generating`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ on: false }) });
    await sleep(3000); // watermark records close the last windows
    await caughtUp(brokers, topics);

    // Both topics carry the Confluent framing (magic byte 0 and a schema id).
    const trades = (await readTopic(brokers, topics.trades)).filter((r) => r.value && r.value.length > 0);
    assert.ok(trades.length > 100 && trades.every((r) => r.value![0] === 0), 'trades in Confluent framing');
    const client = createSchemaRegistry({ url: registry.url, username: 'tickerflow', password: PASSWORD });
    const tradeReader = readerCodec<TradeValue>(loadSchema('trade'), client);
    const candleReader = readerCodec<Candle>(loadSchema('candle'), client);
    await tradeReader.prepare(trades.map((r) => r.value));
    const candleRecords = await readTopic(brokers, topics.candles);
    assert.ok(
      candleRecords.every((r) => r.value![0] === 0),
      "candles in the trades' framing",
    );
    await candleReader.prepare(candleRecords.map((r) => r.value));

    const expected = await recomputeCandles(brokers, topics.trades, { intervals: parseIntervals(INTERVALS.split(',')), allowedLatenessMs: 300 }, tradeReader);
    assert.equal(expected.invalid.length, 0);
    const committed = await committedCandles(brokers, topics.candles, candleReader);
    assert.ok(committed.length > 20);
    assert.deepEqual(committed.sort(byIdentity), expected.candles.sort(byIdentity));
    assert.equal((await readTopic(brokers, topics.dlq)).length, 0, 'nothing dead-lettered');
    assert.ok((await metric(dashboard, `tickerflow_dashboard_records_read_total{topic="${topics.trades}"}`)) > 100);
    assert.ok(!(await dashboard.get('/metrics')).body.includes('tickerflow_dashboard_invalid_records_total{'), 'the dashboard skipped no record');
    for (const p of processes) assert.ok(!p.output().includes(PASSWORD), 'password in a process output');
  });

  it('credentials in the URL, or wrong ones, are refused with a clear message that does not show them', async () => {
    const brokers = kafkaBrokers();
    const inUrl = startService('tickerflow-consumer', {
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: `http://tickerflow:${PASSWORD}@127.0.0.1:1/apis/ccompat/v7`,
    });
    assert.equal(await inUrl.exited, 2);
    assert.match(inUrl.output(), /SCHEMA_REGISTRY_URL: must not contain credentials: use SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD/);
    const wrong = startService('tickerflow-consumer', {
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registry!.url,
      SCHEMA_REGISTRY_USERNAME: 'tickerflow',
      SCHEMA_REGISTRY_PASSWORD: `${PASSWORD}-wrong`,
    });
    assert.equal(await wrong.exited, 1);
    assert.match(wrong.output(), /schema registry refused the credentials/);
    for (const p of [inUrl, wrong]) assert.ok(!p.output().includes(PASSWORD), 'password shown');
  });
});

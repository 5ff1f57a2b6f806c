import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  decodeWithJavaAvro,
  eventually,
  harnessDir,
  kafkaBrokers,
  promtoolCheckMetrics,
  readTopic,
  sharedDir,
  startKafka,
  startService,
} from '@tickerflow/harness';
import { loadReplay } from '@tickerflow/finnhub-sim';
import { readTradesTopicRecord, schemasDir, WATERMARK_HEADER } from '@tickerflow/common';
import { Partitioners } from 'kafkajs';
import { codec, kafkaTrades, metric, newTopic, settled, simSent, sortedKeys, TOKEN, tracked, tradeRecords } from './helpers.js';

const fixtureFile = join(sharedDir, 'fixtures', 'finnhub', 'public-samples.jsonl');
const SYMBOLS = ['AAPL', 'BRK.B', 'BINANCE:BTCUSDT', 'OANDA:EUR_USD', 'IC MARKETS:1'];

/** Every process started here; each one's whole output is checked for the token at the end. */
const { started, producer, sim, stopAll } = tracked();

describe('producer against finnhub-sim and the real Kafka', () => {
  after(stopAll);

  it('replays every fixture frame: trades in Kafka equal what the simulator sent, keyed by symbol', async () => {
    const frames = loadReplay(fixtureFile);
    const symbols = [...new Set(frames.flatMap((f) => (f.trades ?? []).map((t) => t.s)))];
    const s = await sim({ token: TOKEN, replay: frames, rate: 0, replayQuietMs: 300, replayIntervalMs: 20 });
    const topic = await newTopic(kafkaBrokers());
    const p = producer({ FINNHUB_WS_URL: s.url, KAFKA_BROKERS: kafkaBrokers().join(','), TRADES_TOPIC: topic, SYMBOLS: JSON.stringify(symbols) });
    await eventually(() => s.sim.stats()[0]?.replayPosition === frames.length, { timeoutMs: 60_000, what: 'replay finished' });
    await settled(p);
    const sent = await simSent(s);
    const { trades, keys } = await kafkaTrades(kafkaBrokers(), topic);
    assert.ok(sent.length > 20);
    assert.deepEqual(sortedKeys(trades), sortedKeys(sent));
    assert.deepEqual(
      keys,
      trades.map((t) => t.symbol),
    );
    // Every frame the simulator sent was received and classified (pings and errors included).
    const framesSent = s.sim.stats()[0]!.framesSent;
    const byType = await Promise.all(
      ['trade', 'ping', 'error', 'news', 'unknown', 'malformed'].map((t) => metric(p, `tickerflow_producer_frames_received_total{type="${t}"}`)),
    );
    assert.equal(
      byType.reduce((a, b) => a + b),
      framesSent,
    );
    assert.ok(byType[1]! > 0 && byType[2]! > 0, 'the fixture pings and errors were received');
    assert.equal((await p.get('/healthz')).status, 200);
  });

  it('synthetic stream: multiset equality, an independent Avro decoder reads the records, clean metrics', async () => {
    const s = await sim({ token: TOKEN, rate: 800, seed: 7 });
    const topic = await newTopic(kafkaBrokers());
    const p = producer({ FINNHUB_WS_URL: s.url, KAFKA_BROKERS: kafkaBrokers().join(','), TRADES_TOPIC: topic, SYMBOLS: SYMBOLS.join(',') });
    await eventually(async () => (await p.get('/readyz')).status === 200, { timeoutMs: 30_000, what: 'producer ready' });
    await eventually(async () => (await metric(p, 'tickerflow_producer_trades_produced_total')) > 1500, { timeoutMs: 60_000, what: 'trades flowing' });
    s.sim.setGenerating(false);
    await sleep(200);
    await settled(p);
    const sent = await simSent(s);
    const { trades } = await kafkaTrades(kafkaBrokers(), topic);
    assert.deepEqual(sortedKeys(trades), sortedKeys(sent));
    assert.deepEqual(new Set(trades.map((t) => t.symbol)), new Set(SYMBOLS));

    // The same records, decoded by Apache Avro for Java from the .avsc alone, equal the trades the simulator sent.
    const records = await tradeRecords(kafkaBrokers(), topic);
    const decoded = await decodeWithJavaAvro(
      join(schemasDir, 'trade.avsc'),
      records.map((r) => r.value!),
    );
    assert.equal(decoded.length, sent.length);
    const javaTrades = decoded.map((d) => ({
      symbol: d.symbol as string,
      price: d.price as number,
      volume: d.volume as number,
      timestamp: d.timestamp as number,
      conditions: d.conditions as string[],
    }));
    assert.deepEqual(sortedKeys(javaTrades), sortedKeys(sent));
    // Keys are partitioned as the Java client does (kafkajs's default partitioner is Java-compatible).
    const javaCompatible = Partitioners.DefaultPartitioner();
    const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
    for (const r of records) {
      assert.equal(r.partition, javaCompatible({ topic, partitionMetadata, message: { key: r.key, value: null } }), r.key!.toString());
    }

    // Every partition carries watermark records: producer clock, never going back.
    const watermarks = (await readTopic(kafkaBrokers(), topic)).filter((r) => r.headers[WATERMARK_HEADER] !== undefined);
    for (const partition of [0, 1, 2]) {
      const times = watermarks
        .filter((r) => r.partition === partition)
        .map((r) => readTradesTopicRecord(codec, r))
        .map((r) => (r.kind === 'watermark' ? r.time : Number.NaN));
      assert.ok(times.length > 0, `watermarks on partition ${partition}`);
      assert.deepEqual(
        times,
        [...times].sort((a, b) => a - b),
      );
      assert.ok(times.every((t) => Math.abs(t - Date.now()) < 600_000));
    }

    const metricsText = (await p.get('/metrics')).body;
    assert.deepEqual(await promtoolCheckMetrics(metricsText), { ok: true, output: '' });
    for (const path of ['/metrics', '/readyz', '/symbols', '/healthz']) assert.ok(!(await p.get(path)).body.includes(TOKEN), path);
  });

  it('reconnects after a server close and after a silent stall, resubscribing every symbol, losing nothing', async () => {
    const s = await sim({ token: TOKEN, rate: 300, seed: 3 });
    const topic = await newTopic(kafkaBrokers());
    const p = producer({
      FINNHUB_WS_URL: s.url,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      TRADES_TOPIC: topic,
      SYMBOLS: SYMBOLS.join(','),
      FINNHUB_STALE_SECONDS: '1.5',
    });
    await eventually(() => s.sim.stats()[0]?.subscriptions.length === SYMBOLS.length, { timeoutMs: 30_000, what: 'first subscriptions' });
    await sleep(500);
    s.sim.close(undefined, 1001, 'maintenance');
    await eventually(() => s.sim.stats().length === 2 && s.sim.stats()[1]!.subscriptions.length === SYMBOLS.length, {
      timeoutMs: 30_000,
      what: 'reconnected after close',
    });
    await sleep(500);
    s.sim.stall(undefined, true);
    await eventually(() => s.sim.stats().length === 3 && s.sim.stats()[2]!.subscriptions.length === SYMBOLS.length, {
      timeoutMs: 30_000,
      what: 'reconnected after stall',
    });
    assert.deepEqual(new Set(s.sim.stats()[2]!.subscriptions), new Set(SYMBOLS));
    await sleep(500);
    s.sim.setGenerating(false);
    await settled(p);
    assert.ok((await metric(p, 'tickerflow_producer_reconnects_total{reason="stale"}')) >= 1);
    assert.ok((await metric(p, 'tickerflow_producer_reconnects_total{reason="closed"}')) >= 1);
    const sent = await simSent(s);
    const { trades } = await kafkaTrades(kafkaBrokers(), topic);
    assert.deepEqual(sortedKeys(trades), sortedKeys(sent));
  });

  it('applies symbol file changes live on the open socket: no reconnect, new symbols flow, removed ones stop', async () => {
    const s = await sim({ token: TOKEN, rate: 300, seed: 5 });
    const topic = await newTopic(kafkaBrokers());
    const file = join(mkdtempSync(join(tmpdir(), 'symbols-')), 'symbols.json');
    writeFileSync(file, JSON.stringify(['AAPL', 'MSFT']));
    const p = producer({ FINNHUB_WS_URL: s.url, KAFKA_BROKERS: kafkaBrokers().join(','), TRADES_TOPIC: topic, SYMBOLS_FILE: file });
    await eventually(() => s.sim.stats()[0]?.subscriptions.length === 2, { timeoutMs: 30_000, what: 'subscribed' });
    writeFileSync(file, JSON.stringify(['MSFT', 'IC MARKETS:1', 'BINANCE:ETHUSDT']));
    await eventually(() => new Set(s.sim.stats()[0]?.subscriptions).size === 3 && !s.sim.stats()[0]!.subscriptions.includes('AAPL'), {
      timeoutMs: 30_000,
      what: 'live change',
    });
    await sleep(1000);
    s.sim.setGenerating(false);
    await settled(p);
    assert.equal(s.sim.stats().length, 1, 'one connection: no reconnect');
    assert.equal(await metric(p, 'tickerflow_producer_reconnects_total{reason="closed"}'), 0);
    const sent = await simSent(s);
    const { trades } = await kafkaTrades(kafkaBrokers(), topic);
    assert.deepEqual(sortedKeys(trades), sortedKeys(sent));
    assert.ok(trades.some((t) => t.symbol === 'IC MARKETS:1') && trades.some((t) => t.symbol === 'AAPL'));
    const { role, symbols } = JSON.parse((await p.get('/symbols')).body) as { role: string; symbols: { symbol: string; status: string }[] };
    assert.equal(role, 'standalone');
    assert.deepEqual(symbols.map((x) => x.symbol).sort(), ['BINANCE:ETHUSDT', 'IC MARKETS:1', 'MSFT']);
  });

  it('a refused token is a clear configuration error: readiness false, slow retries, token never shown', async () => {
    const s = await sim({ token: 'the-right-token' });
    const topic = await newTopic(kafkaBrokers());
    const p = producer({
      FINNHUB_WS_URL: s.url,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      TRADES_TOPIC: topic,
      SYMBOLS: 'AAPL',
      FINNHUB_UNAUTHORIZED_RETRY_SECONDS: '30',
    });
    await eventually(async () => (await metric(p, 'tickerflow_producer_connection_state{state="unauthorized"}')) === 1, {
      timeoutMs: 30_000,
      what: 'unauthorized',
    });
    const ready = await p.get('/readyz');
    assert.equal(ready.status, 503);
    assert.deepEqual(JSON.parse(ready.body), { ready: false, failing: ['finnhub'] });
    assert.match(p.output(), /Finnhub refused the API token: check FINNHUB_TOKEN/);
    await sleep(1500);
    assert.equal(await metric(p, 'tickerflow_producer_reconnects_total{reason="unauthorized"}'), 1, 'no fast retry loop');
    assert.equal(s.sim.stats().length, 0);
  });

  it('maps Finnhub errors to symbol states: invalid symbol rejected with its text, too many symbols over the limit', async () => {
    const s = await sim({ token: TOKEN, rate: 100, symbolLimit: 3, invalidSymbols: new Set(['FX:EURUSD']) });
    const topic = await newTopic(kafkaBrokers());
    const wanted = ['AAPL', 'FX:EURUSD', 'MSFT', 'GOOG', 'NVDA', 'TSLA'];
    const p = producer({
      FINNHUB_WS_URL: s.url,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      TRADES_TOPIC: topic,
      SYMBOLS: wanted.join(','),
      FINNHUB_SYMBOL_LIMIT: '5',
    });
    await eventually(async () => (await metric(p, 'tickerflow_producer_symbols{state="over-limit"}')) === 2, { timeoutMs: 30_000, what: 'over-limit counted' });
    await eventually(async () => (await metric(p, 'tickerflow_producer_symbols{state="subscribed"}')) === 3, {
      timeoutMs: 30_000,
      what: 'accepted symbols settled',
    });
    const states = Object.fromEntries(
      (JSON.parse((await p.get('/symbols')).body) as { symbols: { symbol: string; status: string; message?: string }[] }).symbols.map((x) => [
        x.symbol,
        [x.status, x.message],
      ]),
    );
    assert.deepEqual(states['FX:EURUSD'], ['rejected', 'Invalid symbol FX:EURUSD']);
    // The simulator accepts 3 (AAPL, MSFT, GOOG); NVDA is refused by Finnhub; TSLA is beyond our own limit of 5.
    assert.deepEqual(states.NVDA, ['over-limit', 'Subscribing to too many symbols']);
    assert.equal(states.TSLA![0], 'over-limit');
    for (const ok of ['AAPL', 'MSFT', 'GOOG']) assert.equal(states[ok]![0], 'subscribed', ok);
    assert.equal(await metric(p, 'tickerflow_producer_symbols{state="rejected"}'), 1);
    assert.deepEqual(s.sim.stats()[0]!.subscriptions.sort(), ['AAPL', 'GOOG', 'MSFT']);
  });

  it('malformed frames are counted, never crash, and the stream goes on', async () => {
    const s = await sim({ token: TOKEN, rate: 200 });
    const topic = await newTopic(kafkaBrokers());
    const p = producer({ FINNHUB_WS_URL: s.url, KAFKA_BROKERS: kafkaBrokers().join(','), TRADES_TOPIC: topic, SYMBOLS: 'AAPL' });
    await eventually(() => s.sim.stats()[0]?.subscriptions.length === 1, { timeoutMs: 30_000 });
    for (const text of ['{', 'not json', '{"type":"trade","data":{}}', '[]', '{"type":42}']) s.sim.sendRaw(undefined, text);
    s.sim.sendRaw(undefined, '{"type":"trade","data":[{"s":"AAPL","p":"x","t":1,"v":1}]}');
    await eventually(async () => (await metric(p, 'tickerflow_producer_frames_received_total{type="malformed"}')) === 5, {
      timeoutMs: 30_000,
      what: 'malformed counted',
    });
    assert.equal(await metric(p, 'tickerflow_producer_trades_invalid_total'), 1);
    const before = await metric(p, 'tickerflow_producer_trades_produced_total');
    await eventually(async () => (await metric(p, 'tickerflow_producer_trades_produced_total')) > before + 50, { timeoutMs: 30_000, what: 'still streaming' });
    assert.equal(s.sim.stats().length, 1);
  });

  it('graceful shutdown on SIGTERM loses nothing the simulator sent, and exits 0', async () => {
    const s = await sim({ token: TOKEN, rate: 1000, seed: 11 });
    const topic = await newTopic(kafkaBrokers());
    const p = producer({ FINNHUB_WS_URL: s.url, KAFKA_BROKERS: kafkaBrokers().join(','), TRADES_TOPIC: topic, SYMBOLS: SYMBOLS.join(',') });
    await eventually(async () => (await metric(p, 'tickerflow_producer_trades_produced_total')) > 1000, { timeoutMs: 60_000, what: 'streaming' });
    assert.equal(await p.stop('SIGTERM'), 0);
    const sent = await simSent(s);
    const { trades } = await kafkaTrades(kafkaBrokers(), topic);
    assert.ok(sent.length > 1000);
    assert.deepEqual(sortedKeys(trades), sortedKeys(sent));
    assert.equal(s.sim.stats()[0]!.closeCode, 1000);
  });

  it('Kafka stopped and restarted mid-stream: nothing lost within the buffer, exactly the counted trades lost beyond it', async () => {
    const broker = await startKafka(join(harnessDir(), 'outage'), { heap: '512m' });
    try {
      const brokers = [broker.bootstrap];
      const [roomySim, tightSim] = [await sim({ token: TOKEN, rate: 400, seed: 13 }), await sim({ token: TOKEN, rate: 400, seed: 17 })];
      const [roomyTopic, tightTopic] = [await newTopic(brokers), await newTopic(brokers)];
      const common = { KAFKA_BROKERS: broker.bootstrap, SYMBOLS: 'AAPL,MSFT,BINANCE:BTCUSDT' };
      const roomy = producer({ ...common, FINNHUB_WS_URL: roomySim.url, TRADES_TOPIC: roomyTopic });
      // 96 KiB: about 300 trades.
      const tight = producer({ ...common, FINNHUB_WS_URL: tightSim.url, TRADES_TOPIC: tightTopic, PRODUCER_BUFFER_MAX_BYTES: '98304' });
      for (const p of [roomy, tight]) {
        await eventually(async () => (await metric(p, 'tickerflow_producer_trades_produced_total')) > 300, { timeoutMs: 60_000, what: 'streaming' });
      }
      await broker.stop();
      await eventually(async () => (await metric(tight, 'tickerflow_producer_trades_dropped_total{reason="buffer_full"}')) > 200, {
        timeoutMs: 60_000,
        what: 'tight buffer overflowing',
      });
      await eventually(async () => (await roomy.get('/readyz')).status === 503, { timeoutMs: 60_000, what: 'not ready while Kafka is away' });
      assert.deepEqual((JSON.parse((await roomy.get('/readyz')).body) as { failing: string[] }).failing, ['kafka']);
      assert.ok((await metric(roomy, 'tickerflow_producer_buffer_records')) > 0);
      assert.ok((await metric(tight, 'tickerflow_producer_buffer_bytes')) <= 98304);
      await broker.restart();
      await sleep(1000);
      roomySim.sim.setGenerating(false);
      tightSim.sim.setGenerating(false);
      await settled(roomy);
      await settled(tight);
      await eventually(async () => (await roomy.get('/readyz')).status === 200, { timeoutMs: 60_000, what: 'ready again' });

      const roomySent = await simSent(roomySim);
      assert.deepEqual(sortedKeys((await kafkaTrades(brokers, roomyTopic)).trades), sortedKeys(roomySent), 'no loss within the buffer');

      const tightSent = sortedKeys(await simSent(tightSim));
      const tightKafka = sortedKeys((await kafkaTrades(brokers, tightTopic)).trades);
      const dropped = await metric(tight, 'tickerflow_producer_trades_dropped_total{reason="buffer_full"}');
      assert.equal(tightSent.length - tightKafka.length, dropped, 'every lost trade is counted');
      // What reached Kafka is a sub-multiset of what was sent: no duplicates, nothing invented.
      const remaining = new Map<string, number>();
      for (const k of tightSent) remaining.set(k, (remaining.get(k) ?? 0) + 1);
      for (const k of tightKafka) {
        assert.ok((remaining.get(k) ?? 0) > 0, 'a trade in Kafka that was not sent (or twice)');
        remaining.set(k, remaining.get(k)! - 1);
      }
    } finally {
      await broker.stop();
    }
  });

  it('broken configuration stops it at start-up with exit code 2 and a message naming each variable', async () => {
    const p = startService('tickerflow-producer', { FINNHUB_TOKEN: '', KAFKA_BROKERS: '', FINNHUB_STALE_SECONDS: 'soon', FINNHUB_WS_URL: 'http://x' });
    assert.equal(await p.exited, 2);
    for (const name of [
      'FINNHUB_TOKEN: is required',
      'KAFKA_BROKERS: is required',
      'FINNHUB_STALE_SECONDS: must be a number',
      'FINNHUB_WS_URL: must be a URL with scheme wss: or ws:',
    ]) {
      assert.ok(p.output().includes(name), `${name} in:\n${p.output()}`);
    }
  });

  it('never shows the token: not in any output, metrics, readiness or symbol states', async () => {
    // One of its own, refused by Finnhub (the token is in the URL of every refused upgrade), so this test stands alone too.
    const s = await sim({ token: `other-${TOKEN}` });
    const refused = producer({
      FINNHUB_WS_URL: s.url,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      TRADES_TOPIC: await newTopic(kafkaBrokers()),
      SYMBOLS: 'AAPL',
      FINNHUB_UNAUTHORIZED_RETRY_SECONDS: '0.2',
    });
    await eventually(async () => (await metric(refused, 'tickerflow_producer_reconnects_total{reason="unauthorized"}')) >= 2, {
      timeoutMs: 30_000,
      what: 'refused twice',
    });
    for (const path of ['/metrics', '/readyz', '/symbols']) assert.ok(!(await refused.get(path)).body.includes(TOKEN), path);
    for (const p of started) {
      await p.stop('SIGKILL');
      assert.ok(!p.output().includes(TOKEN), 'token in process output');
      assert.ok(p.output().length > 0);
    }
  });
});

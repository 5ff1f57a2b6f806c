import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { pino } from 'pino';
import { kafkaConnection, platformaticConnection } from '@tickerflow/common';
import { binaries, createTopic, eventually, harnessDir, kafkaBrokers, repoRoot, startKafka, startService, type ServiceProcess } from '@tickerflow/harness';
import { readProducerConfig } from '../src/config.js';
import { tradeCodec } from '../src/app.js';
import { createTradeSender } from '../src/kafka/trade-sender.js';
import { createTradeWriter } from '../src/kafka/trade-writer.js';
import { kafkaTrades, metric, newTopic, settled, simSent, sortedKeys, TOKEN, tracked } from './helpers.js';

const { producer, sim, stopAll } = tracked();
const readyz = async (p: ServiceProcess) => JSON.parse((await p.get('/readyz')).body) as { failing: string[]; reasons?: Record<string, string> };

/** A trade at the record bounds (128-byte symbol, 32 condition codes of 32 bytes): about 1.3 KB as a record. */
const bigTrade = (i: number) => ({ s: `BIG:${'X'.repeat(124)}`, p: 1 + i, t: Date.now(), v: 1, c: Array.from({ length: 32 }, () => 'C'.repeat(32)) });

describe('producer hardening against the real Kafka', () => {
  after(stopAll);

  it('a record the topic refuses is dropped with its reason; acknowledged trades are never written twice and the stream goes on', async () => {
    const brokers = kafkaBrokers();
    // 1 KiB per record batch: the big trades can never be written, and larger batches of normal trades are refused too.
    const topic = await newTopic(brokers, 3, { 'max.message.bytes': '1024' });
    const s = await sim({ token: TOKEN, rate: 400, seed: 23 });
    const p = producer({
      FINNHUB_WS_URL: s.url,
      KAFKA_BROKERS: brokers.join(','),
      TRADES_TOPIC: topic,
      SYMBOLS: 'AAPL,MSFT,BINANCE:BTCUSDT,OANDA:EUR_USD',
      PRODUCER_WATERMARK_INTERVAL_MS: '0',
    });
    await eventually(async () => (await metric(p, 'tickerflow_producer_trades_produced_total')) > 200, { timeoutMs: 60_000, what: 'streaming' });
    // Frames mixing normal trades with refused ones: the normal ones of the same request must land once.
    for (let i = 0; i < 5; i++) {
      s.sim.sendRaw(undefined, JSON.stringify({ type: 'trade', data: [bigTrade(i), { s: 'AAPL', p: 100 + i, t: Date.now(), v: 7, c: ['1'] }] }));
      await sleep(50);
    }
    // An absurd frame: a 10 KB symbol and 10,000 condition codes never become records.
    s.sim.sendRaw(
      undefined,
      JSON.stringify({
        type: 'trade',
        data: [
          { s: 'Z'.repeat(10_000), p: 1, t: Date.now(), v: 1 },
          { s: 'AAPL', p: 1, t: Date.now(), v: 1, c: Array.from({ length: 10_000 }, () => '1') },
        ],
      }),
    );
    await eventually(async () => (await metric(p, 'tickerflow_producer_trades_dropped_total{reason="rejected"}')) === 5, {
      timeoutMs: 60_000,
      what: 'refused trades dropped',
    });
    const before = await metric(p, 'tickerflow_producer_trades_produced_total');
    await eventually(async () => (await metric(p, 'tickerflow_producer_trades_produced_total')) > before + 200, {
      timeoutMs: 60_000,
      what: 'the stream goes on',
    });
    s.sim.setGenerating(false);
    await settled(p);

    assert.equal(await metric(p, 'tickerflow_producer_trades_dropped_total{reason="oversized"}'), 2);
    assert.equal(await metric(p, 'tickerflow_producer_trades_dropped_total{reason="buffer_full"}'), 0);
    assert.ok(p.output().includes('MESSAGE_TOO_LARGE'), 'the broker error is logged');
    const { trades } = await kafkaTrades(brokers, topic);
    const expected = [...(await simSent(s)), ...[0, 1, 2, 3, 4].map((i) => ({ symbol: 'AAPL', price: 100 + i, volume: 7, timestamp: 0, conditions: ['1'] }))];
    // The hand-made AAPL trades carry their send time: compare them without it.
    const norm = (t: { symbol: string; price: number; volume: number; timestamp: number; conditions: string[] }) =>
      t.volume === 7 && t.symbol === 'AAPL' ? { ...t, timestamp: 0 } : t;
    assert.deepEqual(sortedKeys(trades.map(norm)), sortedKeys(expected.map(norm)), 'every other trade exactly once');
    assert.ok(!trades.some((t) => t.symbol.startsWith('BIG:')));
  });

  it('under steady overload the heap stays flat: acknowledged records are freed although the queue never empties', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const brokers = kafkaBrokers();
    const topic = await newTopic(brokers, 3);
    const config = readProducerConfig({ FINNHUB_TOKEN: 'x', KAFKA_BROKERS: brokers.join(','), SYMBOLS: 'A', TRADES_TOPIC: topic });
    const sender = createTradeSender(platformaticConnection(kafkaConnection(config), 'overload-test'), { compression: 'none' });
    const codec = await tradeCodec(config);
    const counts = { produced: 0, dropped: 0 };
    const maxBufferBytes = 4 * 1024 * 1024;
    const writer = createTradeWriter(
      { topic, maxBufferBytes, maxBatchRecords: 1000, stuckAfterMs: 5000 },
      {
        sender,
        encode: (t, receivedAt) => codec.encode({ ...t, receivedAt }),
        logger: pino({ level: 'silent' }),
        events: { produced: (b) => (counts.produced += b.length), dropped: (n) => (counts.dropped += n), produceError: () => undefined },
      },
    );
    await sender.connect(topic);
    const symbols = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'BINANCE:BTCUSDT'];
    let i = 0;
    let maxBuffered = 0;
    const heap = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const offer = (ms: number) => {
      const end = Date.now() + ms;
      return new Promise<void>((resolve) => {
        const tick = () => {
          // More than Kafka takes: the buffer stays full, the queue never empties.
          writer.write(
            Array.from({ length: 2000 }, () => ({ symbol: symbols[i % 5]!, price: 1 + (i++ % 100), volume: 1, timestamp: Date.now(), conditions: [] })),
            Date.now(),
          );
          maxBuffered = Math.max(maxBuffered, writer.bufferedBytes());
          if (Date.now() < end) setImmediate(tick);
          else resolve();
        };
        tick();
      });
    };
    await offer(3000); // warm-up: the buffer fills
    const warm = { heap: heap(), produced: counts.produced };
    await offer(12_000);
    const end = { heap: heap(), produced: counts.produced };
    assert.equal(await writer.flush(30_000), 0);
    await sender.close();
    const acked = end.produced - warm.produced;
    const growth = end.heap - warm.heap;
    process.stdout.write(
      `# overload: ${acked} acknowledged, ${counts.dropped} dropped, heap ${(warm.heap / 2 ** 20).toFixed(1)} → ${(end.heap / 2 ** 20).toFixed(1)} MiB\n`,
    );
    assert.ok(acked > 50_000, `Kafka kept acknowledging (${acked})`);
    assert.ok(counts.dropped > 0, 'the writer was overloaded');
    assert.ok(maxBuffered <= maxBufferBytes);
    // The old writer kept every acknowledged record until the queue emptied: ~300 bytes each.
    assert.ok(growth < 8 * 2 ** 20, `heap grew ${(growth / 2 ** 20).toFixed(1)} MiB while ${acked} records were acknowledged`);
  });

  it('a missing trades topic: a log line that names it and says what to do, /readyz 503 naming it, then streaming once it exists', async () => {
    const brokers = kafkaBrokers();
    const topic = `missing.${Date.now()}`;
    const s = await sim({ token: TOKEN, rate: 100 });
    const p = producer({ FINNHUB_WS_URL: s.url, KAFKA_BROKERS: brokers.join(','), TRADES_TOPIC: topic, SYMBOLS: 'AAPL' });
    await eventually(() => p.output().includes(`topic ${topic} does not exist`), { timeoutMs: 30_000, what: 'log line naming the topic' });
    assert.ok(p.output().includes('KAFKA_CREATE_TOPICS'));
    assert.equal((await p.get('/readyz')).status, 503);
    const body = await readyz(p);
    assert.ok(body.failing.includes('kafka'));
    assert.match(body.reasons?.kafka ?? '', new RegExp(`topic ${topic.replace('.', '\\.')} does not exist`));
    await createTopic(brokers, topic, 3);
    await eventually(async () => (await metric(p, 'tickerflow_producer_trades_produced_total')) > 20, {
      timeoutMs: 60_000,
      what: 'streaming once the topic exists',
    });
    assert.equal((await p.get('/readyz')).status, 200);
  });

  it('KAFKA_CREATE_TOPICS=true creates the missing topic and streams', async () => {
    const brokers = kafkaBrokers();
    const topic = `created.${Date.now()}`;
    const s = await sim({ token: TOKEN, rate: 100 });
    const p = producer({ FINNHUB_WS_URL: s.url, KAFKA_BROKERS: brokers.join(','), TRADES_TOPIC: topic, SYMBOLS: 'AAPL', KAFKA_CREATE_TOPICS: 'true' });
    await eventually(async () => (await metric(p, 'tickerflow_producer_trades_produced_total')) > 20, {
      timeoutMs: 60_000,
      what: 'streaming into the created topic',
    });
    assert.ok(p.output().includes('created the trades topic'));
    assert.ok((await kafkaTrades(brokers, topic)).trades.length > 20);
  });

  it('trades unacknowledged at the shutdown deadline are counted as dropped: sent = in Kafka + dropped', async () => {
    const broker = await startKafka(join(harnessDir(), 'shutdown-drop'), { heap: '512m' });
    try {
      const topic = await newTopic([broker.bootstrap]);
      const s = await sim({ token: TOKEN, rate: 300, seed: 5 });
      const p = producer({
        FINNHUB_WS_URL: s.url,
        KAFKA_BROKERS: broker.bootstrap,
        TRADES_TOPIC: topic,
        SYMBOLS: 'AAPL,MSFT',
        SHUTDOWN_TIMEOUT_MS: '3000',
        PRODUCER_WATERMARK_INTERVAL_MS: '0',
      });
      await eventually(async () => (await metric(p, 'tickerflow_producer_trades_produced_total')) > 100, { timeoutMs: 60_000, what: 'streaming' });
      await broker.stop();
      await eventually(async () => (await metric(p, 'tickerflow_producer_buffer_records')) > 100, { timeoutMs: 30_000, what: 'trades held for Kafka' });
      assert.equal(await p.stop('SIGTERM'), 0);
      const line = p
        .output()
        .split('\n')
        .find((l) => l.includes('counted as dropped'));
      assert.ok(line, `shutdown line in:\n${p.output().slice(-2000)}`);
      const { left, inFlight } = JSON.parse(line) as { left: number; inFlight: number };
      await broker.restart();
      const sent = (await simSent(s)).length;
      const inKafka = (await kafkaTrades([broker.bootstrap], topic)).trades.length;
      assert.ok(left > 0);
      // Every trade not in Kafka is counted; of those counted, only the ones in the last request (outcome unknown) may be in Kafka.
      assert.ok(sent <= inKafka + left, `${sent} sent, ${inKafka} in Kafka, ${left} counted`);
      assert.ok(sent >= inKafka + left - inFlight, `${sent} sent, ${inKafka} in Kafka, ${left} counted, ${inFlight} in flight`);
    } finally {
      await broker.stop();
    }
  });

  it('trades of symbols nobody wants are counted under _other: the per-symbol series stay bounded by the wanted symbols', async () => {
    const s = await sim({ token: TOKEN, rate: 50 });
    const p = producer({ FINNHUB_WS_URL: s.url, KAFKA_BROKERS: kafkaBrokers().join(','), TRADES_TOPIC: await newTopic(kafkaBrokers()), SYMBOLS: 'AAPL,MSFT' });
    await eventually(async () => (await metric(p, 'tickerflow_producer_trades_produced_total')) > 10, { timeoutMs: 30_000, what: 'streaming' });
    for (let f = 0; f < 20; f++)
      s.sim.sendRaw(
        undefined,
        JSON.stringify({ type: 'trade', data: Array.from({ length: 100 }, (_, i) => ({ s: `STRAY${f * 100 + i}`, p: 1, t: Date.now(), v: 1 })) }),
      );
    await eventually(async () => (await metric(p, 'tickerflow_producer_symbol_trades_total{symbol="_other"}')) === 2000, {
      timeoutMs: 30_000,
      what: 'stray trades counted',
    });
    const series = (await p.get('/metrics')).body.split('\n').filter((l) => l.startsWith('tickerflow_producer_symbol_trades_total{'));
    assert.deepEqual(series.map((l) => /symbol="([^"]*)"/.exec(l)![1]).sort(), ['AAPL', 'MSFT', '_other']);
  });

  it('an unparsable SYMBOLS exits 2 naming the variable (not its value)', async () => {
    const p = startService('tickerflow-producer', { FINNHUB_TOKEN: 't', KAFKA_BROKERS: '127.0.0.1:1', SYMBOLS: '["AAPL", secret-ish' });
    assert.equal(await p.exited, 2);
    assert.match(p.output(), /SYMBOLS: starts with \[ but is not a JSON array/);
    assert.ok(!p.output().includes('secret-ish'));
  });

  it('every bin run on Node.js < 22 says in one line which Node it needs, and exits 1', () => {
    for (const bin of ['tickerflow-producer', 'tickerflow-consumer', 'tickerflow-dashboard', 'finnhub-sim']) {
      const r = spawnSync(binaries.legacyNode, [join(repoRoot, 'node_modules', '.bin', bin)], { encoding: 'utf8', env: { PATH: process.env.PATH } });
      assert.equal(r.status, 1, bin);
      assert.match(r.stderr, new RegExp(`^${bin}: needs Node\\.js 22 or newer \\(24 LTS recommended\\); this is Node\\.js 20\\.\\d+\\.\\d+\\n$`));
    }
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import {
  artifactsDir,
  createTopic,
  eventually,
  kafkaBrokers,
  launchChromium,
  promtoolCheckMetrics,
  readTopic,
  sample,
  startService,
  startSimProcess,
  type ServiceProcess,
} from '@tickerflow/harness';
import { loadSchema, parseIntervals, readTradesTopicRecord, singleObjectCodec, windowStartOf, type Candle, type TradeValue } from '@tickerflow/common';
import { referenceCandles, type ReferenceEvent } from '@tickerflow/common/testing';

const TOKEN = `tf-dashboard-test-${randomUUID()}`;
const HOSTILE = '<img src=x onerror=alert(1)>';
const SYMBOLS = ['AAPL', 'BINANCE:BTCUSDT', HOSTILE];
const HISTORY = 20;
const candleCodec = singleObjectCodec<Candle>(loadSchema('candle'));

type Browser = Awaited<ReturnType<typeof launchChromium>>;
type Page = Awaited<ReturnType<Browser['newPage']>>;

/** Final candles of the past, as the consumer would write them: HISTORY one-minute windows ending 10 minutes ago. */
function pastCandles(symbol: string, base: number): Candle[] {
  const end = windowStartOf(Date.now(), 60_000) - 10 * 60_000;
  return Array.from({ length: HISTORY }, (_, i) => {
    const windowStart = end - (HISTORY - i) * 60_000;
    const open = base + i;
    const close = base + i + (i % 2 === 0 ? 0.5 : -0.5);
    return {
      symbol,
      interval: '1m',
      windowStart,
      windowEnd: windowStart + 60_000,
      open,
      high: Math.max(open, close) + 0.25,
      low: Math.min(open, close) - 0.25,
      close,
      volume: 10 + i,
      vwap: (open + close) / 2,
      tradeCount: 5 + i,
    };
  });
}

/** Writes candles to the candles topic in one Kafka transaction, committed or aborted. */
async function writeCandles(brokers: string[], topic: string, candles: Candle[], commit: boolean): Promise<void> {
  const kafka = new Kafka({ clientId: 'dashboard-test-candles', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ transactionalId: `dashboard-test-${randomUUID()}`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const txn = await producer.transaction();
    await txn.send({ topic, acks: -1, messages: candles.map((c) => ({ key: c.symbol, value: candleCodec.encode(c) })) });
    if (commit) await txn.commit();
    else await txn.abort();
  } finally {
    await producer.disconnect();
  }
}

/** What the page shows: read from the DOM, never from the API. */
async function chartState(page: Page) {
  const chart = page.locator('#chart');
  const text = async (selector: string) => (await page.locator(selector).textContent()) ?? '';
  return {
    bars: Number(await chart.getAttribute('data-bars')),
    lastTime: Number((await chart.getAttribute('data-last-time')) || 0),
    symbol: (await chart.getAttribute('data-symbol')) ?? '',
    interval: (await chart.getAttribute('data-interval')) ?? '',
    // lightweight-charts draws on canvases.
    canvases: await page.locator('#chart canvas').count(),
    title: await text('#title'),
    lastPrice: await text('#last-price'),
    kafka: await text('#kafka'),
  };
}

describe('dashboard: simulator → producer → Kafka → dashboard → Chromium', () => {
  const brokers = kafkaBrokers();
  const suffix = randomUUID().slice(0, 8);
  const tradesTopic = `trades.dash.${suffix}`;
  const candlesTopic = `candles.dash.${suffix}`;
  let sim: Awaited<ReturnType<typeof startSimProcess>> | undefined;
  let producer: ServiceProcess | undefined;
  let dashboard: ServiceProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let base = '';
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    await createTopic(brokers, tradesTopic, 3);
    await createTopic(brokers, candlesTopic, 3);
    await writeCandles(brokers, candlesTopic, [...pastCandles('AAPL', 180), ...pastCandles('BINANCE:BTCUSDT', 64_000)], true);
    // Never visible to a read_committed reader.
    await writeCandles(brokers, candlesTopic, pastCandles('ABORTED', 1), false);

    sim = await startSimProcess(['--token', TOKEN, '--rate', '150', '--seed', '17']);
    producer = startService('tickerflow-producer', {
      FINNHUB_TOKEN: TOKEN,
      FINNHUB_WS_URL: sim.url,
      KAFKA_BROKERS: brokers.join(','),
      TRADES_TOPIC: tradesTopic,
      SYMBOLS: JSON.stringify(SYMBOLS),
      LOG_LEVEL: 'info',
    });
    dashboard = startService('tickerflow-dashboard', {
      KAFKA_BROKERS: brokers.join(','),
      TRADES_TOPIC: tradesTopic,
      CANDLES_TOPIC: candlesTopic,
      CANDLE_INTERVALS: '5s,1m',
      ALLOWED_LATENESS: '1s',
      LOG_LEVEL: 'info',
    });
    base = `http://127.0.0.1:${await dashboard.port()}`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  });

  after(async () => {
    await browser?.close();
    await Promise.all([dashboard?.stop('SIGKILL'), producer?.stop('SIGKILL')]);
    await sim?.stop();
    // The services' logs, for a person looking into a failure.
    if (dashboard) writeFileSync(join(artifactsDir('dashboard'), 'dashboard.log'), dashboard.output());
    if (producer) writeFileSync(join(artifactsDir('dashboard'), 'producer.log'), producer.output());
  });

  it('becomes ready once both Kafka readers run, and lists the symbols trading', async () => {
    await eventually(async () => (await dashboard!.get('/readyz')).status === 200, { timeoutMs: 60_000, what: 'dashboard ready' });
    assert.deepEqual(JSON.parse((await dashboard!.get('/readyz')).body), { ready: true, failing: [] });
    await eventually(
      async () => {
        const { symbols } = JSON.parse((await dashboard!.get('/api/symbols')).body) as { symbols: { symbol: string }[] };
        return SYMBOLS.every((s) => symbols.some((x) => x.symbol === s));
      },
      { timeoutMs: 60_000, what: 'every subscribed symbol traded' },
    );
    const { intervals, symbols } = JSON.parse((await dashboard!.get('/api/symbols')).body) as { intervals: string[]; symbols: { symbol: string }[] };
    assert.deepEqual(intervals, ['5s', '1m']);
    assert.ok(!symbols.some((s) => s.symbol === 'ABORTED'), 'an aborted transaction is never read');
  });

  it('draws the history and the forming candle, and a new candle appears live without a reload', async () => {
    await page.goto(`${base}/?symbol=AAPL&interval=1m`);
    await eventually(
      async () => {
        const s = await chartState(page);
        // The committed history plus at least the forming candle of now.
        return (
          s.symbol === 'AAPL' &&
          s.interval === '1m' &&
          s.bars >= HISTORY + 1 &&
          s.canvases > 0 &&
          s.lastTime * 1000 >= windowStartOf(Date.now(), 60_000) - 60_000
        );
      },
      { timeoutMs: 60_000, what: 'AAPL 1m history and forming candle drawn' },
    );
    // Live figures from the stream: trades per second above zero.
    await eventually(async () => Number((await page.locator('#tps').textContent()) ?? 0) > 0, { timeoutMs: 60_000, what: 'trades per second shown' });
    const oneMinute = await chartState(page);
    assert.equal(oneMinute.title, 'AAPL · 1m');
    assert.match(oneMinute.lastPrice, /^[\d,.]+$/);
    assert.equal(oneMinute.kafka, 'connected');
    await page.screenshot({ path: join(artifactsDir('dashboard'), 'dashboard.png') });

    await page.evaluate('window.noReload = true');
    await page.selectOption('#interval', '5s');
    await eventually(
      async () => {
        const s = await chartState(page);
        return s.interval === '5s' && s.bars >= 1;
      },
      { timeoutMs: 60_000, what: 'AAPL 5s candles drawn' },
    );
    const first = await chartState(page);
    await eventually(
      async () => {
        const s = await chartState(page);
        return s.interval === '5s' && s.bars > first.bars && s.lastTime > first.lastTime;
      },
      { timeoutMs: 60_000, what: 'a new 5s candle appeared live' },
    );
    assert.equal(await page.evaluate('window.noReload'), true, 'the page was not reloaded');
    await page.screenshot({ path: join(artifactsDir('dashboard'), 'dashboard-5s.png') });
  });

  it('draws every subscribed symbol; the hostile symbol is literal text, nothing injected, no dialog', async () => {
    for (const symbol of SYMBOLS) {
      await page.selectOption('#symbol', symbol);
      await eventually(
        async () => {
          const s = await chartState(page);
          return s.symbol === symbol && s.bars >= 1 && s.canvases > 0;
        },
        { timeoutMs: 60_000, what: `candles drawn for ${symbol}` },
      );
    }
    const s = await chartState(page);
    assert.equal(s.title, `${HOSTILE} · 5s`);
    const dom = {
      images: await page.locator('img').count(),
      options: await page.locator('#symbol option').allTextContents(),
      titleHtml: await page.locator('#title').innerHTML(),
    };
    assert.equal(dom.images, 0, 'no <img> element was injected');
    assert.ok(dom.options.includes(HOSTILE), 'the picker shows the symbol as text');
    assert.ok(dom.titleHtml.includes('&lt;img'), 'the title holds the symbol escaped, as text');
    await page.screenshot({ path: join(artifactsDir('dashboard'), 'dashboard-hostile-symbol.png') });
    assert.deepEqual(dialogs, []);
    assert.deepEqual(pageErrors, [], 'no script errors and no Content-Security-Policy violations');
  });

  it('serves a strict CSP, SSE with the right headers, clear 400s, and clean metrics', async () => {
    const page_ = await fetch(`${base}/`);
    const csp = page_.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /default-src 'none'/);

    const controller = new AbortController();
    const stream = await fetch(`${base}/api/stream?symbol=AAPL`, { signal: controller.signal });
    assert.equal(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(stream.headers.get('x-accel-buffering'), 'no');
    const reader = stream.body!.getReader();
    let text = '';
    const decoder = new TextDecoder();
    while (!/event: candle\n/.test(text)) {
      const { value, done } = (await reader.read()) as { value?: Uint8Array; done: boolean };
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    assert.match(text, /event: candle\n/);
    assert.match(text, /event: status\ndata: \{"kafka":"connected"\}\n\n/);
    controller.abort();

    for (const [query, message] of [
      ['interval=1m', /symbol is required/],
      ['symbol=AAPL&interval=7m', /interval must be one of: 5s, 1m/],
      ['symbol=AAPL', /interval must be one of/],
    ] as const) {
      const res = await dashboard!.get(`/api/candles?${query}`);
      assert.equal(res.status, 400, query);
      assert.match((JSON.parse(res.body) as { error: string }).error, message);
    }
    const history = JSON.parse((await dashboard!.get(`/api/candles?symbol=${encodeURIComponent('BINANCE:BTCUSDT')}&interval=1m`)).body) as {
      candles: (Candle & { final: boolean })[];
    };
    assert.equal(history.candles.filter((c) => c.final).length, HISTORY);

    const metrics = (await dashboard!.get('/metrics')).body;
    assert.deepEqual(await promtoolCheckMetrics(metrics), { ok: true, output: '' });
    assert.ok(sample(metrics, `tickerflow_dashboard_records_read_total{topic="${tradesTopic}"}`) > 0);
    assert.equal(sample(metrics, `tickerflow_dashboard_records_read_total{topic="${candlesTopic}"}`), 2 * HISTORY);
    assert.ok(sample(metrics, 'tickerflow_dashboard_sse_clients') >= 1);
    assert.ok(sample(metrics, 'tickerflow_dashboard_sse_events_sent_total{event="candle"}') > 0);
    assert.ok(sample(metrics, 'tickerflow_dashboard_candles_held') >= 2 * HISTORY);
    assert.equal(sample(metrics, 'tickerflow_dashboard_kafka_state{state="connected"}'), 1);
  });

  it('draws exactly the candles the aggregation core computes from the trades topic, every record once', async () => {
    // No more trades: stop the simulator's feed by stopping the producer (it flushes what it has).
    assert.equal(await producer!.stop('SIGTERM'), 0);
    const records = await readTopic(brokers, tradesTopic);
    await eventually(
      async () => sample((await dashboard!.get('/metrics')).body, `tickerflow_dashboard_records_read_total{topic="${tradesTopic}"}`) === records.length,
      { timeoutMs: 60_000, what: 'the dashboard read every record of the trades topic' },
    );
    // The reference computation, per partition as the dashboard aggregates, then every window closed.
    const codec = singleObjectCodec<TradeValue>(loadSchema('trade'));
    const expected: Candle[] = [];
    for (const partition of new Set(records.map((r) => r.partition))) {
      const events: ReferenceEvent[] = records
        .filter((r) => r.partition === partition)
        .map((r) => {
          const rec = readTradesTopicRecord(codec, r);
          return rec.kind === 'watermark' ? { kind: 'time', time: rec.time } : { kind: 'trade', trade: rec.trade };
        });
      events.push({ kind: 'time', time: Number.MAX_SAFE_INTEGER });
      expected.push(...referenceCandles(events, { intervals: parseIntervals(['5s', '1m']), allowedLatenessMs: 1000 }).final);
    }
    assert.ok(expected.length > 0);
    for (const symbol of SYMBOLS) {
      for (const interval of ['5s', '1m']) {
        const body = JSON.parse((await dashboard!.get(`/api/candles?symbol=${encodeURIComponent(symbol)}&interval=${interval}`)).body) as {
          candles: (Candle & { final: boolean })[];
        };
        const fromTrades = body.candles.filter((c) => !c.final).map(({ final: _final, ...c }) => c);
        const want = expected.filter((c) => c.symbol === symbol && c.interval === interval).sort((a, b) => a.windowStart - b.windowStart);
        assert.deepEqual(fromTrades, want, `${symbol} ${interval}`);
      }
    }
  });

  it('shuts down cleanly on SIGTERM, ending the event streams', async () => {
    await page.close();
    assert.equal(await dashboard!.stop('SIGTERM'), 0);
    assert.match(dashboard!.output(), /shutdown complete/);
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  artifactsDir,
  createTopic,
  eventually,
  harnessDir,
  kafkaBrokers,
  launchChromium,
  metric,
  startPostgres,
  startService,
  type PostgresServer,
  type ServiceProcess,
} from '@tickerflow/harness';
import { createDatabasePool, createLogger, databaseConnection } from '@tickerflow/common';
import { migrate } from '@tickerflow/sink';

const MINUTE = 60_000;
const DAYS = 3;
/** Whole minutes, so windows line up. */
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE;
const FIRST = NOW - DAYS * 24 * 60 * MINUTE;

interface CandleJson {
  windowStart: number;
  open: number;
}

/**
 * The dashboard with the history database the sink writes: candles older
 * than its Kafka look-back come from PostgreSQL, a page at a time, and the
 * page scrolls back days.
 */
describe('dashboard history from PostgreSQL', () => {
  let db: PostgresServer;
  let dashboard: ServiceProcess;
  const silent = createLogger({ service: 'test', level: 'silent' });

  before(async () => {
    db = await startPostgres(harnessDir());
    // The schema as the sink makes it, then three days of AAPL 1m candles and a few of MSFT.
    const pool = createDatabasePool(databaseConnection({ DATABASE_URL: db.url, DATABASE_PASSWORD: db.password }, 'test')!, silent);
    await migrate(pool, silent);
    await pool.query(
      `INSERT INTO candles (symbol, "interval", window_start, window_end, open, high, low, close, volume, vwap, trade_count)
       SELECT s.symbol, '1m', to_timestamp(t / 1000.0), to_timestamp((t + 60000) / 1000.0), 100 + (t / 60000) % 50, 102 + (t / 60000) % 50,
              99 + (t / 60000) % 50, 101 + (t / 60000) % 50, 10, 100.5 + (t / 60000) % 50, 3
         FROM (VALUES ('AAPL'), ('MSFT')) AS s(symbol), generate_series($1::bigint, $2::bigint, 60000) AS t
        WHERE s.symbol = 'AAPL' OR t >= $2::bigint - 600000`,
      [FIRST, NOW - MINUTE],
    );
    await pool.end();
    const id = randomUUID().slice(0, 8);
    const topics = { trades: `trades.${id}`, candles: `candles.${id}` };
    for (const t of Object.values(topics)) await createTopic(kafkaBrokers(), t, 1);
    dashboard = startService('tickerflow-dashboard', {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      TRADES_TOPIC: topics.trades,
      CANDLES_TOPIC: topics.candles,
      CANDLE_INTERVALS: '1m',
      DATABASE_URL: `postgres://${db.user}@${db.host}:${db.port}/${db.database}`,
      DATABASE_PASSWORD: db.password,
    });
    await eventually(async () => (await dashboard.get('/readyz')).status === 200, { timeoutMs: 60_000, what: 'dashboard ready' });
  });

  after(async () => {
    await dashboard?.stop('SIGKILL');
    await db?.stop();
  });

  const older = async (before: number, limit?: number) => {
    const res = await dashboard.get(`/api/candles?symbol=AAPL&interval=1m&before=${before}${limit ? `&limit=${limit}` : ''}`);
    assert.equal(res.status, 200, res.body);
    return (JSON.parse(res.body) as { candles: CandleJson[]; history: string }).candles;
  };

  it('pages back through the history database to the first candle: oldest first, each page before the last, none twice', async () => {
    const seen: number[] = [];
    let before = NOW;
    for (;;) {
      const page = await older(before);
      if (page.length === 0) break;
      assert.ok(page.length <= 500);
      const starts = page.map((c) => c.windowStart);
      assert.deepEqual(
        starts,
        [...starts].sort((a, b) => a - b),
        'oldest first',
      );
      assert.ok(starts.every((s) => s < before));
      seen.push(...starts);
      before = starts[0]!;
    }
    assert.equal(seen.length, DAYS * 24 * 60);
    assert.equal(new Set(seen).size, seen.length);
    assert.equal(Math.min(...seen), FIRST);
    assert.equal((await older(NOW, 7)).length, 7);
    assert.equal((await dashboard.get('/api/candles?symbol=AAPL&interval=1m&before=soon')).status, 400);
    assert.equal((await dashboard.get('/api/candles?symbol=AAPL&interval=1m&before=1&limit=0')).status, 400);
    assert.ok((await metric(dashboard, 'tickerflow_dashboard_history_queries_total{result="ok"}')) > 0);
  });

  it('the page scrolls back days: dragging the chart to the right loads older pages from the database (screenshot saved)', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      await page.goto(`http://127.0.0.1:${await dashboard.port()}/?symbol=AAPL&interval=1m`);
      const chart = page.locator('#chart');
      const oldest = async () => Number((await chart.getAttribute('data-oldest')) || Infinity);
      // Kafka holds nothing: the first page comes from the database.
      await eventually(async () => Number(await chart.getAttribute('data-bars')) >= 500, { timeoutMs: 60_000, what: 'the newest page drawn' });
      const box = (await chart.boundingBox())!;
      const target = (NOW - 2 * 24 * 60 * MINUTE) / 1000;
      await eventually(
        async () => {
          // Zoom out and drag towards the past.
          await page.mouse.move(box.x + box.width / 2, box.y + box.height / 3);
          await page.mouse.wheel(0, 400);
          await page.mouse.move(box.x + 50, box.y + box.height / 3);
          await page.mouse.down();
          await page.mouse.move(box.x + box.width - 50, box.y + box.height / 3, { steps: 5 });
          await page.mouse.up();
          return (await oldest()) <= target;
        },
        { timeoutMs: 120_000, intervalMs: 300, what: 'candles two days old loaded by scrolling back' },
      );
      assert.ok(Number(await chart.getAttribute('data-bars')) > 2 * 24 * 60);
      await page.screenshot({ path: join(artifactsDir('dashboard'), 'history-scrolled-back.png') });
    } finally {
      await browser.close();
    }
  });
});

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { runner } from 'node-pg-migrate';
import type pg from 'pg';
import { createDatabasePool, createLogger, databaseConnection } from '@tickerflow/common';
import { harnessDir, startPostgres, type PostgresServer } from '@tickerflow/harness';
import { migrate, migrationsDir, MIGRATIONS_TABLE } from '../src/database.js';

/** The sink's versioned schema on a real PostgreSQL: from empty, and from an older version that already holds data. */
describe('sink schema migrations (PostgreSQL)', () => {
  let server: PostgresServer;
  const pools: pg.Pool[] = [];
  const logger = createLogger({ service: 'migrations-test', level: 'silent' });
  const files = readdirSync(migrationsDir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const database = async (name: string) => {
    const connection = databaseConnection({ DATABASE_URL: await server.createDatabase(name), DATABASE_PASSWORD: server.password }, 'migrations-test')!;
    const pool = createDatabasePool(connection, logger);
    pools.push(pool);
    return pool;
  };

  before(async () => {
    server = await startPostgres(harnessDir());
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await server?.stop();
  });

  it('an empty database gets every migration once; a second start runs none', async () => {
    const db = await database('fresh');
    assert.deepEqual(
      await migrate(db, logger),
      files.map((f) => f.replace(/\.sql$/, '')),
    );
    assert.deepEqual(await migrate(db, logger), []);
  });

  it('candle_series is filled from the candles a database already held', async () => {
    const db = await database('upgrade');
    const client = await db.connect();
    try {
      // The schema as it was before candle_series, with candles in it.
      const before = files.findIndex((f) => f.includes('candle-series'));
      assert.ok(before > 0);
      await runner({ dbClient: client, dir: migrationsDir, direction: 'up', migrationsTable: MIGRATIONS_TABLE, count: before, log: () => undefined });
    } finally {
      client.release();
    }
    await db.query(`INSERT INTO candles SELECT s, i, t, t + d, 1, 2, 0.5, 1.5, 10, 1.2, 3
      FROM unnest(ARRAY['AAPL', 'MSFT']) s, (VALUES ('1m', interval '1 minute'), ('5m', interval '5 minutes')) v (i, d),
           generate_series(timestamptz '2026-11-23 14:00Z', timestamptz '2026-11-23 16:00Z', d) t`);
    await migrate(db, logger);
    const { rows } = await db.query<{ symbol: string; interval: string; oldest: Date; newest: Date; newest_end: Date }>(
      'SELECT symbol, "interval", oldest, newest, newest_end FROM candle_series ORDER BY 1, 2',
    );
    const at = (hhmm: string) => new Date(`2026-11-23T${hhmm}:00Z`);
    assert.deepEqual(rows, [
      { symbol: 'AAPL', interval: '1m', oldest: at('14:00'), newest: at('16:00'), newest_end: at('16:01') },
      { symbol: 'AAPL', interval: '5m', oldest: at('14:00'), newest: at('16:00'), newest_end: at('16:05') },
      { symbol: 'MSFT', interval: '1m', oldest: at('14:00'), newest: at('16:00'), newest_end: at('16:01') },
      { symbol: 'MSFT', interval: '5m', oldest: at('14:00'), newest: at('16:00'), newest_end: at('16:05') },
    ]);
  });
});

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@tickerflow/common';
import { runner } from 'node-pg-migrate';
import pg from 'pg';

export interface DatabaseSettings {
  /** postgres://user@host:port/database (no password). */
  url: string;
  password?: string;
  ssl: 'disable' | 'require' | 'verify-full';
  sslCaFile?: string;
}

/** The versioned schema migrations, shipped beside dist/ (services/sink/migrations). */
export const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');
const MIGRATIONS_TABLE = 'tickerflow_migrations';

/** Connection settings for node-postgres: the URL's parts, the password apart (pg lets a URL override an explicit password). */
export function clientConfig(settings: DatabaseSettings): pg.ClientConfig {
  const url = new URL(settings.url);
  const ssl =
    settings.ssl === 'disable'
      ? false
      : settings.ssl === 'require'
        ? { rejectUnauthorized: false }
        : { rejectUnauthorized: true, ...(settings.sslCaFile && { ca: readFileSync(settings.sslCaFile, 'utf8') }) };
  return {
    host: decodeURIComponent(url.hostname),
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username),
    database: decodeURIComponent(url.pathname.slice(1)),
    password: settings.password,
    ssl,
    application_name: 'tickerflow-sink',
    connectionTimeoutMillis: 10_000,
    // A statement the database never answers (a half-open connection) ends, so the batch is retried.
    query_timeout: 60_000,
  };
}

export function createPool(settings: DatabaseSettings, logger: Logger): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(settings), max: 4, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection must not crash the process: the next checkout reconnects.
  pool.on('error', (err) => logger.warn({ err: { message: err.message } }, 'database connection lost'));
  return pool;
}

/** Brings the schema up to the newest migration (under node-pg-migrate's advisory lock: instances starting together take turns). */
export async function migrate(pool: pg.Pool, logger: Logger): Promise<string[]> {
  const client = await pool.connect();
  try {
    const ran = await runner({
      dbClient: client,
      dir: migrationsDir,
      direction: 'up',
      migrationsTable: MIGRATIONS_TABLE,
      count: Infinity,
      checkOrder: true,
      advisoryLockMode: 'wait',
      logger: {
        debug: () => undefined,
        info: (msg: string) => logger.debug(msg),
        warn: (msg: string) => logger.warn(msg),
        error: (msg: string) => logger.error(msg),
      },
    });
    return ran.map((m) => m.name);
  } finally {
    client.release();
  }
}

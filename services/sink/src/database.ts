import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@tickerflow/common';
import { runner } from 'node-pg-migrate';
import type pg from 'pg';

/** The versioned schema migrations, shipped beside dist/ (services/sink/migrations). */
export const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');
export const MIGRATIONS_TABLE = 'tickerflow_migrations';

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

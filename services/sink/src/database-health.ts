import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, worthLogging, type Logger } from '@tickerflow/common';
import type pg from 'pg';
import { migrate } from './database.js';
import type { SinkMetrics } from './metrics.js';

/**
 * Whether the database answers, as the topic sinks and a ping see it: the
 * sink's readiness. Failures are logged first and every tenth time, each
 * followed by a growing delay before the caller retries.
 */
export function createDatabaseHealth(db: pg.Pool, deps: { metrics: SinkMetrics; logger: Logger }) {
  const { metrics, logger } = deps;
  let up = false;
  let failuresInARow = 0;
  let pinger: NodeJS.Timeout | undefined;
  let stopped = false;

  const health = {
    ready: () => up,
    worked() {
      up = true;
      failuresInARow = 0;
      metrics.databaseUp.set(1);
    },
    async failed(err: unknown, what: string) {
      up = false;
      metrics.databaseUp.set(0);
      failuresInARow++;
      if (worthLogging(failuresInARow)) logger.warn({ err: { message: (err as Error).message }, failuresInARow }, what);
      await sleep(backoffDelay(failuresInARow - 1, { initialMs: 200, maxMs: 10_000 }));
    },
    /** Until the schema is current (the database may come up after the sink); false if stopped first. */
    async migrateWhenReachable(): Promise<boolean> {
      while (!stopped) {
        try {
          const ran = await migrate(db, logger);
          health.worked();
          logger.info({ migrations: ran }, ran.length > 0 ? 'database schema migrated' : 'database schema current');
          return true;
        } catch (err) {
          await health.failed(err, 'cannot migrate the database schema; retrying');
        }
      }
      return false;
    },
    /** Readiness follows the database while no batch comes. */
    startPinging(intervalMs = 5_000) {
      pinger = setInterval(() => {
        db.query('SELECT 1').then(
          () => health.worked(),
          (err: unknown) => {
            up = false;
            metrics.databaseUp.set(0);
            logger.debug({ err: { message: (err as Error).message } }, 'database ping failed');
          },
        );
      }, intervalMs);
    },
    stop() {
      stopped = true;
      clearInterval(pinger);
    },
  };
  return health;
}

export type DatabaseHealth = ReturnType<typeof createDatabaseHealth>;

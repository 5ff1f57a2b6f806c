import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { Logger } from 'pino';
import { z } from 'zod';
import { env } from './config.js';

/**
 * PostgreSQL settings every service that uses the history database reads:
 * the URL without its password, the password apart (a variable or a
 * Secret-mounted file), TLS. `required`: whether DATABASE_URL must be set.
 */
export const databaseEnvSchema = (required: boolean) => {
  const url = env.url(['postgres:', 'postgresql:']).refine((v) => !URL.canParse(v) || new URL(v).password === '', {
    message: 'must not hold the password: set DATABASE_PASSWORD or DATABASE_PASSWORD_FILE',
  });
  return {
    DATABASE_URL: required ? url : url.optional(),
    DATABASE_PASSWORD: env.optionalString(),
    DATABASE_PASSWORD_FILE: env.optionalString(),
    // disable | require (encrypted, any certificate) | verify-full (certificate checked against DATABASE_SSL_CA_FILE or the system CAs).
    DATABASE_SSL: z.enum(['disable', 'require', 'verify-full']).default('disable'),
    DATABASE_SSL_CA_FILE: env.optionalString(),
  };
};

export type DatabaseEnv = z.infer<z.ZodObject<ReturnType<typeof databaseEnvSchema>>>;

/** One password source, and a CA only where it is used. */
export const databaseEnvRefinement = (cfg: Partial<DatabaseEnv>, ctx: z.RefinementCtx) => {
  if (cfg.DATABASE_PASSWORD && cfg.DATABASE_PASSWORD_FILE)
    ctx.addIssue({ code: 'custom', path: ['DATABASE_PASSWORD_FILE'], message: 'set DATABASE_PASSWORD or DATABASE_PASSWORD_FILE, not both' });
  if (cfg.DATABASE_SSL_CA_FILE && cfg.DATABASE_SSL !== 'verify-full')
    ctx.addIssue({ code: 'custom', path: ['DATABASE_SSL_CA_FILE'], message: 'is only used with DATABASE_SSL=verify-full' });
};

/** Connection settings in node-postgres' shape: the URL's parts, the password apart (pg lets a URL override an explicit password). */
export interface DatabaseConnection {
  host: string;
  port: number;
  user: string;
  database: string;
  password?: string;
  ssl: false | { rejectUnauthorized: boolean; ca?: string };
  application_name: string;
  connectionTimeoutMillis: number;
  query_timeout: number;
}

/** The connection settings, or undefined without DATABASE_URL; the password is read here (from the file if given) and never logged. */
export function databaseConnection(cfg: Partial<DatabaseEnv>, applicationName: string): DatabaseConnection | undefined {
  if (!cfg.DATABASE_URL) return undefined;
  const url = new URL(cfg.DATABASE_URL);
  const password = cfg.DATABASE_PASSWORD_FILE ? readFileSync(cfg.DATABASE_PASSWORD_FILE, 'utf8').trimEnd() : cfg.DATABASE_PASSWORD;
  const ssl =
    cfg.DATABASE_SSL === 'require'
      ? { rejectUnauthorized: false }
      : cfg.DATABASE_SSL === 'verify-full'
        ? { rejectUnauthorized: true, ...(cfg.DATABASE_SSL_CA_FILE && { ca: readFileSync(cfg.DATABASE_SSL_CA_FILE, 'utf8') }) }
        : false;
  return {
    host: decodeURIComponent(url.hostname),
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username),
    database: decodeURIComponent(url.pathname.slice(1)),
    password,
    ssl,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
    // A statement the database never answers (a half-open connection) ends, so the work is retried.
    query_timeout: 60_000,
  };
}

/** A small pool for the history database; an idle connection lost is logged, never fatal (the next checkout reconnects). */
export function createDatabasePool(connection: DatabaseConnection, logger: Logger): pg.Pool {
  const pool = new pg.Pool({ ...connection, max: 4, idleTimeoutMillis: 30_000 });
  pool.on('error', (err) => logger.warn({ err: { message: err.message } }, 'database connection lost'));
  return pool;
}

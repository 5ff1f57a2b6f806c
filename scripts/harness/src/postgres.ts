import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { eventually } from './eventually.js';
import { freePort, startProcess, type ManagedProcess } from './processes.js';

const execFileAsync = promisify(execFile);

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** postgres://user@host:port/database: the password is given apart, as the services take it. */
  readonly url: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
  /** Starts the stopped server again on the same port and data (an outage, for fault tests). */
  restart(): Promise<void>;
  /** A new, empty database on this server, owned by `user`; resolves with its URL (no password). */
  createDatabase(name: string): Promise<string>;
}

/** Debian's PostgreSQL server binaries (postgresql-NN), the newest installed; PG_BIN overrides. */
export function postgresBinDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))) : [];
  if (versions.length === 0) throw new Error(`no PostgreSQL server in ${root}: run scripts/harness/install.sh (Debian's postgresql)`);
  return join(root, versions.sort((a, b) => Number(b) - Number(a))[0]!, 'bin');
}

/**
 * A PostgreSQL server of its own on a free loopback port, data in the run's
 * directory, password authentication (scram-sha-256) for one database. As
 * root it runs as Debian's `postgres` user (the server refuses root).
 */
export async function startPostgres(workDir: string): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const dir = join(workDir, `postgres-${Date.now()}`);
  const data = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const user = 'tickerflow';
  const database = 'tickerflow';
  const password = randomBytes(12).toString('hex');
  writeFileSync(join(dir, 'pwfile'), password);
  // As root, everything runs as the `postgres` user, which must own the directory.
  const asUser = process.getuid?.() === 0 ? await postgresIds() : undefined;
  if (asUser) for (const path of [dir, join(dir, 'pwfile')]) chownSync(path, asUser.uid, asUser.gid);
  const run = (command: string, args: string[]) =>
    asUser
      ? (['setpriv', ['--reuid', String(asUser.uid), '--regid', String(asUser.gid), '--clear-groups', '--', command, ...args]] as const)
      : ([command, args] as const);
  const [initCmd, initArgs] = run(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    user,
    '--auth=scram-sha-256',
    `--pwfile=${join(dir, 'pwfile')}`,
    '-E',
    'UTF8',
    '--no-locale',
  ]);
  await execFileAsync(initCmd, [...initArgs]).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`initdb failed: ${err.message}\n${err.stderr ?? ''}`);
  });
  const start = () => {
    const [cmd, args] = run(join(bin, 'postgres'), ['-D', data, '-h', '127.0.0.1', '-p', String(port), '-k', dir, '-c', 'log_min_messages=warning']);
    return startProcess({ name: 'postgres', command: cmd, args: [...args], logFile: join(dir, 'postgres.log') });
  };
  const ready = async (proc: ManagedProcess) =>
    eventually(
      async () => {
        await execFileAsync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', 'postgres']);
        return true;
      },
      { timeoutMs: 60_000, what: 'PostgreSQL accepting connections', untilExit: proc },
    );
  let proc = start();
  await ready(proc);
  const createDatabase = async (name: string) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name ${name}: lower-case letters, digits and _ only`);
    await execFileAsync(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', 'postgres', '-c', `CREATE DATABASE ${name}`], {
      env: { ...process.env, PGPASSWORD: password },
    });
    return `postgres://${user}@127.0.0.1:${port}/${name}`;
  };
  await createDatabase(database);
  const server: PostgresServer = {
    host: '127.0.0.1',
    port,
    user,
    password,
    database,
    url: `postgres://${user}@127.0.0.1:${port}/${database}`,
    get process() {
      return proc;
    },
    // SIGINT is PostgreSQL's fast shutdown: clients are disconnected (SIGTERM would wait for them to leave).
    async stop() {
      try {
        process.kill(proc.pid, 'SIGINT');
      } catch {
        // already gone
      }
      await Promise.race([proc.exited, sleep(10_000)]);
      await proc.stop();
    },
    createDatabase,
    async restart() {
      proc = start();
      await ready(proc);
    },
  };
  return server;
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([execFileAsync('id', ['-u', 'postgres']), execFileAsync('id', ['-g', 'postgres'])]);
  return { uid: Number(uid), gid: Number(gid) };
}

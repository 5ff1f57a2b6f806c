import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths.js';
import { sample } from './prom-text.js';

/** One of our services, run as a real process from its bin, with its output captured (or shown, see ServiceOptions.stdio). */
export interface ServiceProcess {
  readonly pid: number;
  /** Everything it wrote to stdout and stderr so far ('' when its output goes to the terminal). */
  output(): string;
  /**
   * The ops HTTP port, read from its start-up log line (HTTP_PORT=0 picks a free one).
   * With its output on the terminal it is the HTTP_PORT given, which must then be nonzero.
   */
  port(): Promise<number>;
  get(path: string): Promise<{ status: number; body: string }>;
  /** Sends a signal and resolves with the exit code (or signal name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
  exited: Promise<number | string>;
}

export interface ServiceOptions {
  /** false: only PATH from this process's environment, the rest from `env` (default true). */
  inheritEnv?: boolean;
  /** 'pipe' (default): output captured for output() and port(); 'inherit': written to this process's terminal. */
  stdio?: 'pipe' | 'inherit';
  /** Its own process group, so a terminal's Ctrl-C reaches only this process, which stops the service itself. */
  detached?: boolean;
}

export function startService(bin: string, env: Record<string, string>, opts: ServiceOptions = {}): ServiceProcess {
  const childEnv = { ...(opts.inheritEnv === false ? { PATH: process.env.PATH } : process.env), HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', ...env };
  const child = spawn(process.execPath, [join(repoRoot, 'node_modules', '.bin', bin)], {
    env: childEnv,
    stdio: ['ignore', opts.stdio ?? 'pipe', opts.stdio ?? 'pipe'],
    detached: opts.detached ?? false,
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  let portPromise: Promise<number> | undefined;
  const logged = () =>
    new Promise<number>((resolve, reject) => {
      const look = () => {
        for (const line of out.split('\n')) {
          if (!line.startsWith('{')) continue;
          try {
            const entry = JSON.parse(line) as { port?: number };
            if (typeof entry.port === 'number' && entry.port > 0) return resolve(entry.port);
          } catch {
            // not a log line
          }
        }
        if (child.exitCode !== null) return reject(new Error(`${bin} exited (${child.exitCode}) before it listened:\n${out}`));
        setTimeout(look, 50);
      };
      look();
    });
  const given = () => {
    const port = Number(childEnv.HTTP_PORT);
    if (Number.isInteger(port) && port > 0) return Promise.resolve(port);
    return Promise.reject(new Error(`${bin}: its output goes to the terminal, so its port is known only from a nonzero HTTP_PORT (not ${childEnv.HTTP_PORT})`));
  };
  const port = () => (portPromise ??= opts.stdio === 'inherit' ? given() : logged());
  return {
    pid: child.pid!,
    output: () => out,
    port,
    async get(path) {
      const res = await fetch(`http://127.0.0.1:${await port()}${path}`);
      return { status: res.status, body: await res.text() };
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    exited,
  };
}

/** Starts finnhub-sim from its bin as a separate process and resolves with its WebSocket URL (its first stdout line). */
export async function startSimProcess(
  args: string[],
): Promise<{ url: string; httpUrl: string; child: ChildProcess; stop(signal?: NodeJS.Signals): Promise<void> }> {
  // Its own process group: a Ctrl-C reaches the parent, which stops it.
  const child = spawn(process.execPath, [join(repoRoot, 'node_modules', '.bin', 'finnhub-sim'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`finnhub-sim exited ${code}`)));
  });
  child.stdout.resume();
  return {
    url,
    httpUrl: url.replace(/^ws/, 'http'),
    child,
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/** The value of one sample of a service's /metrics, e.g. metric(p, 'x_total{type="ping"}'). */
export async function metric(service: ServiceProcess, series: string): Promise<number> {
  return sample((await service.get('/metrics')).body, series);
}

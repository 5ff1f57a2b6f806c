import type { Server } from 'node:http';
import express, { type Express } from 'express';
import type { Registry } from 'prom-client';

export interface ReadinessCheck {
  name: string;
  ready(): boolean;
  /** Why it is not ready, for a person reading /readyz (never a secret). */
  reason?(): string | undefined;
}

export interface OpsServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  readiness: readonly ReadinessCheck[];
  /** Extra routes (the simulator's control API, the dashboard's pages). */
  routes?: (app: Express) => void;
}

/**
 * /healthz (the process is alive), /readyz (its real dependencies are up, with
 * the failing check named) and /metrics (Prometheus text format).
 */
export async function startOpsServer(opts: OpsServerOptions): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/readyz', (_req, res) => {
    const failing = opts.readiness.filter((c) => !c.ready());
    const reasons = Object.fromEntries(failing.flatMap((c) => (c.reason?.() ? [[c.name, c.reason()]] : [])));
    res
      .status(failing.length === 0 ? 200 : 503)
      .json({ ready: failing.length === 0, failing: failing.map((c) => c.name), ...(Object.keys(reasons).length > 0 && { reasons }) });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(opts.registry.contentType).send(await opts.registry.metrics());
  });
  opts.routes?.(app);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port, opts.host ?? '0.0.0.0', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

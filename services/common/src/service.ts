import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ConfigError } from './config.js';
import { startOpsServer, type ReadinessCheck } from './ops-server.js';
import { onShutdown } from './shutdown.js';

/** What a service's app gives its composition root. */
export interface ServiceApp {
  readiness: readonly ReadinessCheck[];
  routes?: (http: Express) => void;
  /** `fail` ends the process with a non-zero exit (after the graceful stop): for errors it cannot recover from. */
  start(ctx: { fail: (err: Error) => void }): Promise<void> | void;
  stop(): Promise<void>;
}

/**
 * The end of every composition root: serve /healthz, /readyz, /metrics (and
 * the app's routes), log the port, stop the app and then the server on
 * SIGTERM, and start the app.
 */
export async function serveApp(
  app: ServiceApp,
  opts: { name: string; host: string; port: number; registry: Registry; logger: Logger; shutdownTimeoutMs: number; context?: Record<string, unknown> },
): Promise<void> {
  const ops = await startOpsServer({ host: opts.host, port: opts.port, registry: opts.registry, readiness: app.readiness, routes: app.routes });
  opts.logger.info({ port: ops.port, ...opts.context }, `${opts.name} starting`);
  const fail = onShutdown(
    opts.logger,
    async () => {
      await app.stop();
      await ops.close();
    },
    opts.shutdownTimeoutMs,
  );
  await app.start({ fail });
}

/**
 * Runs a service's composition root. If it cannot start, the reason goes to
 * stderr (config errors name the variable, never its value) and the process
 * exits 2 for configuration, 1 for anything else.
 */
export function runService(name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`${name}: ${(err as Error).message}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  });
}

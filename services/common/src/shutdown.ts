import closeWithGrace from 'close-with-grace';
import { ConfigError } from './config.js';
import type { Logger } from 'pino';

/**
 * One shutdown path for SIGTERM, SIGINT, uncaught errors and unhandled
 * rejections, with a deadline. A crash exits non-zero.
 */
export function onShutdown(logger: Logger, close: () => Promise<void>, delayMs = 25_000): void {
  closeWithGrace({ delay: delayMs }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'fatal error, shutting down');
    else logger.info({ signal }, 'shutting down');
    await close();
    logger.info('shutdown complete');
    logger.flush();
  });
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

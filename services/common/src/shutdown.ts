import closeWithGrace from 'close-with-grace';
import type { Logger } from 'pino';

/**
 * One shutdown path for SIGTERM, SIGINT, uncaught errors and unhandled
 * rejections, with a deadline. A crash exits non-zero. Returns `fail`, for a
 * service that finds itself unable to go on (so the orchestrator restarts it):
 * the same graceful close, then exit code 1.
 */
export function onShutdown(logger: Logger, close: () => Promise<void>, delayMs = 25_000): (err: Error) => void {
  const grace = closeWithGrace({ delay: delayMs }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'fatal error, shutting down');
    else logger.info({ signal }, 'shutting down');
    await close();
    logger.info('shutdown complete');
    logger.flush();
  });
  let failing = false;
  return (err) => {
    if (failing) return;
    failing = true;
    grace.uninstall();
    logger.fatal({ err }, 'cannot go on; shutting down to be restarted');
    setTimeout(() => process.exit(1), delayMs).unref();
    void close()
      .catch((closeErr: unknown) => logger.error({ err: closeErr }, 'shutdown failed'))
      .finally(() => {
        logger.flush();
        process.exit(1);
      });
  };
}

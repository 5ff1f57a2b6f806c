import closeWithGrace from 'close-with-grace';
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


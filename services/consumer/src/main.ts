import { createLogger, createRegistry, logProcessWarnings, onShutdown, runService, startOpsServer } from '@tickerflow/common';
import { createConsumerApp } from './app.js';
import { readConsumerConfig } from './config.js';

/** Composition root: read config, build the parts, start, wait for signals. */
async function main() {
  const config = readConsumerConfig(process.env);
  const logger = createLogger({ service: 'tickerflow-consumer', level: config.LOG_LEVEL, secrets: [config.KAFKA_SASL_PASSWORD] });
  logProcessWarnings(logger);
  const registry = createRegistry();
  const app = createConsumerApp(config, { registry, logger });
  const ops = await startOpsServer({ host: config.HTTP_HOST, port: config.HTTP_PORT, registry, readiness: app.readiness });
  logger.info({ port: ops.port, topic: config.TRADES_TOPIC, group: config.CONSUMER_GROUP }, 'tickerflow-consumer starting');
  onShutdown(logger, async () => {
    await app.stop();
    await ops.close();
  }, config.SHUTDOWN_TIMEOUT_MS);
  await app.start();
}

runService('tickerflow-consumer', main);

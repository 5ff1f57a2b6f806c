import { createLogger, createRegistry, logProcessWarnings, runService, serveApp } from '@tickerflow/common';
import { consumerCodecs, createConsumerApp } from './app.js';
import { readConsumerConfig } from './config.js';

/** Composition root: read config, build the parts, start, wait for signals. */
async function main() {
  const config = readConsumerConfig(process.env);
  const logger = createLogger({
    service: 'tickerflow-consumer',
    level: config.LOG_LEVEL,
    secrets: [config.KAFKA_SASL_PASSWORD, config.SCHEMA_REGISTRY_PASSWORD],
  });
  logProcessWarnings(logger);
  const registry = createRegistry();
  const app = createConsumerApp(config, { registry, logger, codecs: await consumerCodecs(config) });
  await serveApp(app, {
    name: 'tickerflow-consumer',
    host: config.HTTP_HOST,
    port: config.HTTP_PORT,
    registry,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    context: { topic: config.TRADES_TOPIC, group: config.CONSUMER_GROUP },
  });
}

runService('tickerflow-consumer', main);

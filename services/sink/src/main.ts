import { createLogger, createRegistry, databaseConnection, logProcessWarnings, runService, serveApp } from '@tickerflow/common';
import { createSinkApp } from './app.js';
import { readSinkConfig } from './config.js';

/** Composition root: read config, build the parts, start, wait for signals. */
async function main() {
  const config = readSinkConfig(process.env);
  const database = databaseConnection(config, 'tickerflow-sink')!;
  const logger = createLogger({
    service: 'tickerflow-sink',
    level: config.LOG_LEVEL,
    secrets: [database.password, config.KAFKA_SASL_PASSWORD, config.SCHEMA_REGISTRY_PASSWORD],
  });
  logProcessWarnings(logger);
  const registry = createRegistry();
  const app = createSinkApp(config, { registry, logger, database });
  await serveApp(app, {
    name: 'tickerflow-sink',
    host: config.HTTP_HOST,
    port: config.HTTP_PORT,
    registry,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    context: { topic: config.CANDLES_TOPIC, group: config.SINK_GROUP, database: config.DATABASE_URL },
  });
}

runService('tickerflow-sink', main);

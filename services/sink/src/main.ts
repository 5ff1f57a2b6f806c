import { createLogger, createRegistry, logProcessWarnings, runService, serveApp } from '@tickerflow/common';
import { createSinkApp } from './app.js';
import { databasePassword, readSinkConfig } from './config.js';

/** Composition root: read config, build the parts, start, wait for signals. */
async function main() {
  const config = readSinkConfig(process.env);
  const password = databasePassword(config);
  const logger = createLogger({
    service: 'tickerflow-sink',
    level: config.LOG_LEVEL,
    secrets: [password, config.KAFKA_SASL_PASSWORD, config.SCHEMA_REGISTRY_PASSWORD],
  });
  logProcessWarnings(logger);
  const registry = createRegistry();
  const database = { url: config.DATABASE_URL, password, ssl: config.DATABASE_SSL, sslCaFile: config.DATABASE_SSL_CA_FILE };
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

import {
  createKafkajsClient,
  kafkaConnection,
  createDatabasePool,
  createLogger,
  createRegistry,
  databaseConnection,
  logProcessWarnings,
  runService,
  serveApp,
} from '@tickerflow/common';
import { createDashboardApp } from './app.js';
import { readDashboardConfig } from './config.js';
import { databaseHistory } from './history.js';

/** Composition root: read config, build the parts, start, wait for signals. */
async function main() {
  const config = readDashboardConfig(process.env);
  const database = databaseConnection(config, 'tickerflow-dashboard');
  const logger = createLogger({
    service: 'tickerflow-dashboard',
    level: config.LOG_LEVEL,
    secrets: [config.KAFKA_SASL_PASSWORD, config.SCHEMA_REGISTRY_PASSWORD, database?.password],
  });
  logProcessWarnings(logger);
  const registry = createRegistry();
  // Older history from the sink's database, when configured.
  const pool = database && createDatabasePool(database, logger);
  const app = createDashboardApp(config, {
    kafka: createKafkajsClient(kafkaConnection(config), 'tickerflow-dashboard', logger),
    registry,
    logger,
    history: pool && databaseHistory(pool),
  });
  // The app reads Kafka in the background, retrying until it answers; the page is served meanwhile.
  await serveApp(app, {
    name: 'tickerflow-dashboard',
    host: config.HTTP_HOST,
    port: config.HTTP_PORT,
    registry,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    context: { tradesTopic: config.TRADES_TOPIC, candlesTopic: config.CANDLES_TOPIC, intervals: config.CANDLE_INTERVALS.map((i) => i.name) },
  });
}

runService('tickerflow-dashboard', main);

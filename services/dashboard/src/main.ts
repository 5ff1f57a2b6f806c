import { createKafka, createLogger, createRegistry, logProcessWarnings, onShutdown, runService, startOpsServer } from '@tickerflow/common';
import { createDashboardApp } from './app.js';
import { readDashboardConfig } from './config.js';

/** Composition root: read config, build the parts, start, wait for signals. */
async function main() {
  const config = readDashboardConfig(process.env);
  const logger = createLogger({ service: 'tickerflow-dashboard', level: config.LOG_LEVEL, secrets: [config.KAFKA_SASL_PASSWORD] });
  logProcessWarnings(logger);
  const registry = createRegistry();
  const app = createDashboardApp(config, { kafka: createKafka(config, 'tickerflow-dashboard', logger), registry, logger });
  const ops = await startOpsServer({ host: config.HTTP_HOST, port: config.HTTP_PORT, registry, readiness: app.readiness, routes: app.routes });
  logger.info(
    { port: ops.port, tradesTopic: config.TRADES_TOPIC, candlesTopic: config.CANDLES_TOPIC, intervals: config.CANDLE_INTERVALS.map((i) => i.name) },
    'tickerflow-dashboard starting',
  );
  onShutdown(logger, async () => {
    await app.stop();
    await ops.close();
  }, config.SHUTDOWN_TIMEOUT_MS);
  // Reads in the background, retrying until Kafka answers; the page is served meanwhile.
  app.start();
}

runService('tickerflow-dashboard', main);

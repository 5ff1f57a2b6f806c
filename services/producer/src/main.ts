import { createLogger, createRegistry, kafkaConnection, logProcessWarnings, platformaticConnection, runService, serveApp } from '@tickerflow/common';
import { createProducerApp, symbolSource, tradeCodec } from './app.js';
import { readProducerConfig } from './config.js';
import { createTradeSender } from './kafka/trade-sender.js';

/** Composition root: read config, build the parts, start, wait for signals. */
async function main() {
  const config = readProducerConfig(process.env);
  const logger = createLogger({
    service: 'tickerflow-producer',
    level: config.LOG_LEVEL,
    secrets: [config.FINNHUB_TOKEN, config.KAFKA_SASL_PASSWORD, config.SCHEMA_REGISTRY_PASSWORD],
  });
  logProcessWarnings(logger);
  const registry = createRegistry();
  const app = createProducerApp(config, {
    sender: createTradeSender(platformaticConnection(kafkaConnection(config), 'tickerflow-producer'), { compression: config.KAFKA_COMPRESSION }),
    registry,
    logger,
    codec: await tradeCodec(config),
    symbols: symbolSource(config, logger),
  });
  await serveApp(app, {
    name: 'tickerflow-producer',
    host: config.HTTP_HOST,
    port: config.HTTP_PORT,
    registry,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    context: { topic: config.TRADES_TOPIC },
  });
}

runService('tickerflow-producer', main);

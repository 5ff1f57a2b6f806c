import { KubeConfig } from '@kubernetes/client-node';
import { createLogger, createRegistry, kafkaConnection, logProcessWarnings, platformaticConnection, runService, serveApp } from '@tickerflow/common';
import { createProducerApp, tradeCodec } from './app.js';
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
  // The API server: in a pod its service account, outside KUBECONFIG (or ~/.kube/config). Only when a feature needs it.
  let kube: KubeConfig | undefined;
  if (config.SYMBOLS_CONFIGMAP || config.LEADER_ELECTION) {
    kube = new KubeConfig();
    kube.loadFromDefault();
  }
  const app = createProducerApp(config, {
    sender: createTradeSender(platformaticConnection(kafkaConnection(config), 'tickerflow-producer'), { compression: config.KAFKA_COMPRESSION }),
    registry,
    logger,
    codec: await tradeCodec(config),
    kube,
  });
  await serveApp(app, {
    name: 'tickerflow-producer',
    host: config.HTTP_HOST,
    port: config.HTTP_PORT,
    registry,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    context: { topic: config.TRADES_TOPIC, identity: config.POD_NAME, leaderElection: config.LEADER_ELECTION },
  });
}

runService('tickerflow-producer', main);

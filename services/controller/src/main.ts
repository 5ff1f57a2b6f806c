import { KubeConfig } from '@kubernetes/client-node';
import { createLogger, createRegistry, logProcessWarnings, runService, serveApp } from '@tickerflow/common';
import { createControllerApp } from './app.js';
import { readControllerConfig } from './config.js';

/** Composition root: read config, build the parts, start, wait for signals. */
async function main() {
  const config = readControllerConfig(process.env);
  const logger = createLogger({ service: 'tickerflow-controller', level: config.LOG_LEVEL });
  logProcessWarnings(logger);
  const registry = createRegistry();
  // KUBECONFIG outside a cluster, the service account inside one.
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const app = createControllerApp(config, { kc, registry, logger });
  await serveApp(app, {
    name: 'tickerflow-controller',
    host: config.HTTP_HOST,
    port: config.HTTP_PORT,
    registry,
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    context: { namespace: config.KUBE_NAMESPACE, watchNamespace: config.WATCH_NAMESPACE ?? '(all)' },
  });
}

runService('tickerflow-controller', main);

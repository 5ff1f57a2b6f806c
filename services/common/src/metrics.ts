import { collectDefaultMetrics, Registry } from 'prom-client';

/** A registry with Node's process metrics; every service's own metric is prefixed `tickerflow_`. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

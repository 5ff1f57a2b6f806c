import { collectDefaultMetrics, Registry } from 'prom-client';

/** A registry with Node's process metrics; every service's own metric is prefixed `tickerflow_`. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client names these gauges `_total`, which Prometheus reserves for counters (promtool flags them).
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
  return registry;
}

/** The label value that stands for every value past a bounded label's cap. */
export const OTHER_LABEL = '_other';

/**
 * A label fed by untrusted input (a symbol from the trades topic) keeps at
 * most `max` distinct values; the rest are counted under `_other`, so a flood
 * of distinct symbols cannot grow the registry without bound.
 */
export function boundedLabel(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return OTHER_LABEL;
    seen.add(value);
    return value;
  };
}

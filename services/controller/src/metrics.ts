import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The controller's metrics (prefix tickerflow_controller_). */
export function createControllerMetrics(registry: Registry) {
  const registers = [registry];
  const reconciles = new Counter({
    name: 'tickerflow_controller_reconciles_total',
    help: 'Reconciles, by what was reconciled (subscription, symbols) and result (success, requeue, error, terminal).',
    labelNames: ['kind', 'result'],
    registers,
  });
  for (const kind of ['subscription', 'symbols']) for (const result of ['success', 'requeue', 'error', 'terminal']) reconciles.inc({ kind, result }, 0);
  return {
    reconciles,
    reconcileDuration: new Histogram({
      name: 'tickerflow_controller_reconcile_duration_seconds',
      help: 'Time one reconcile took, by what was reconciled.',
      labelNames: ['kind'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    queueDepth: new Gauge({ name: 'tickerflow_controller_queue_depth', help: 'Keys waiting in the work queue.', registers }),
    leader: new Gauge({ name: 'tickerflow_controller_leader', help: '1 while this replica holds the Lease and reconciles, else 0.', registers }),
    statusWrites: new Counter({
      name: 'tickerflow_controller_status_writes_total',
      help: 'TickerSubscription status writes (only when the status changed).',
      registers,
    }),
    symbolsWrites: new Counter({
      name: 'tickerflow_controller_symbols_writes_total',
      help: 'Writes of the symbols ConfigMap (only when the desired symbols changed).',
      registers,
    }),
    desiredSymbols: new Gauge({
      name: 'tickerflow_controller_desired_symbols',
      help: 'Symbols in the symbols ConfigMap (the union of the live subscriptions, capped at the limit).',
      registers,
    }),
    overLimitSymbols: new Gauge({ name: 'tickerflow_controller_over_limit_symbols', help: 'Subscribed symbols that did not fit under the limit.', registers }),
  };
}

export type ControllerMetrics = ReturnType<typeof createControllerMetrics>;

import { Counter, Gauge, type Registry } from 'prom-client';

export const kafkaStates = ['connecting', 'connected', 'error'] as const;
export type KafkaState = (typeof kafkaStates)[number];

export const sseEventTypes = ['candle', 'stats', 'status'] as const;

/** The dashboard's metrics; live values (held candles, symbols, clients) are read at scrape time. */
export function createDashboardMetrics(
  registry: Registry,
  live: { candlesHeld(): number; symbolsHeld(): number; symbolsEvicted(): number; sseClients(): number; sseBufferedBytes(): number; kafkaState(): KafkaState },
  topics: { trades: string; candles: string },
) {
  const registers = [registry];
  const recordsRead = new Counter({ name: 'tickerflow_dashboard_records_read_total', help: 'Kafka records read, by topic.', labelNames: ['topic'], registers });
  const invalidRecords = new Counter({
    name: 'tickerflow_dashboard_invalid_records_total',
    help: 'Kafka records skipped because they could not be decoded or failed validation, by topic and reason.',
    labelNames: ['topic', 'reason'],
    registers,
  });
  for (const topic of [topics.trades, topics.candles]) recordsRead.inc({ topic }, 0);
  const lateTrades = new Counter({
    name: 'tickerflow_dashboard_late_trades_total',
    help: 'Trades that arrived after their window had closed here (not drawn).',
    registers,
  });
  const sseEvents = new Counter({
    name: 'tickerflow_dashboard_sse_events_sent_total',
    help: 'Server-sent events written to clients, by event type.',
    labelNames: ['event'],
    registers,
  });
  for (const event of sseEventTypes) sseEvents.inc({ event }, 0);
  const sseDropped = new Counter({
    name: 'tickerflow_dashboard_sse_clients_dropped_total',
    help: 'Event streams closed for falling behind, by reason (client: its own SSE_CLIENT_BUFFER_BYTES; budget: SSE_BUFFER_BYTES over all clients).',
    labelNames: ['reason'],
    registers,
  });
  for (const reason of ['client', 'budget']) sseDropped.inc({ reason }, 0);
  new Gauge({
    name: 'tickerflow_dashboard_sse_buffered_bytes',
    help: 'Unsent server-sent event output over all clients.',
    registers,
    collect() {
      this.set(live.sseBufferedBytes());
    },
  });
  new Gauge({
    name: 'tickerflow_dashboard_sse_clients',
    help: 'Connected server-sent event clients.',
    registers,
    collect() {
      this.set(live.sseClients());
    },
  });
  new Gauge({
    name: 'tickerflow_dashboard_candles_held',
    help: 'Candles held in memory, over all symbols and intervals.',
    registers,
    collect() {
      this.set(live.candlesHeld());
    },
  });
  new Gauge({
    name: 'tickerflow_dashboard_symbols_held',
    help: 'Symbols held in memory.',
    registers,
    collect() {
      this.set(live.symbolsHeld());
    },
  });
  new Counter({
    name: 'tickerflow_dashboard_symbols_evicted_total',
    help: 'Symbols dropped from memory (least recently updated first) to stay within DASHBOARD_SYMBOLS_MAX.',
    registers,
    collect() {
      this.reset();
      this.inc(live.symbolsEvicted());
    },
  });
  new Gauge({
    name: 'tickerflow_dashboard_kafka_state',
    help: 'State of the Kafka readers (1 for the current state).',
    labelNames: ['state'],
    registers,
    collect() {
      const current = live.kafkaState();
      for (const state of kafkaStates) this.set({ state }, state === current ? 1 : 0);
    },
  });
  const historyQueries = new Counter({
    name: 'tickerflow_dashboard_history_queries_total',
    help: 'Queries of the history database (older candles for the page), by result (ok, error).',
    labelNames: ['result'],
    registers,
  });
  for (const result of ['ok', 'error']) historyQueries.inc({ result }, 0);
  return { recordsRead, invalidRecords, lateTrades, sseEvents, sseDropped, historyQueries };
}

export type DashboardMetrics = ReturnType<typeof createDashboardMetrics>;

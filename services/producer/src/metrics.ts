import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { frameKinds, OTHER_LABEL } from '@tickerflow/common';
import { connectionStates, type ConnectionState } from './finnhub/connection.js';
import { symbolStatuses, type SymbolState } from './finnhub/symbol-state.js';
import { dropReasons } from './kafka/trade-writer.js';

const latencyBuckets = [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The producer's metrics; live values (buffer, symbols) are read at scrape time. */
export function createProducerMetrics(registry: Registry, live: { bufferBytes(): number; bufferRecords(): number; symbols(): SymbolState[] }) {
  const registers = [registry];
  const framesReceived = new Counter({
    name: 'tickerflow_producer_frames_received_total',
    help: 'Finnhub frames received, by type.',
    labelNames: ['type'],
    registers,
  });
  for (const kind of frameKinds) framesReceived.inc({ type: kind }, 0);
  const connectionState = new Gauge({
    name: 'tickerflow_producer_connection_state',
    help: 'Finnhub connection state (1 for the current state).',
    labelNames: ['state'],
    registers,
  });
  const symbolTrades = new Counter({
    name: 'tickerflow_producer_symbol_trades_total',
    help: 'Trades received per wanted symbol (_other: symbols not wanted).',
    labelNames: ['symbol'],
    registers,
  });
  const symbolChildren = new Map<string, Counter.Internal>();
  new Gauge({
    name: 'tickerflow_producer_symbol_last_trade_timestamp_seconds',
    help: 'Exchange time of the last trade per wanted symbol, Unix seconds.',
    labelNames: ['symbol'],
    registers,
    collect() {
      this.reset();
      for (const s of live.symbols()) if (s.lastTradeAt !== undefined) this.set({ symbol: s.symbol }, s.lastTradeAt / 1000);
    },
  });
  new Gauge({
    name: 'tickerflow_producer_symbols',
    help: 'Wanted symbols by state (pending, subscribed, rejected, over-limit).',
    labelNames: ['state'],
    registers,
    collect() {
      const counts = Object.fromEntries(symbolStatuses.map((s) => [s, 0]));
      for (const s of live.symbols()) counts[s.status]!++;
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'tickerflow_producer_buffer_bytes',
    help: 'Bytes of trades waiting for Kafka.',
    registers,
    collect() {
      this.set(live.bufferBytes());
    },
  });
  new Gauge({
    name: 'tickerflow_producer_buffer_records',
    help: 'Trades waiting for Kafka.',
    registers,
    collect() {
      this.set(live.bufferRecords());
    },
  });

  const metrics = {
    framesReceived,
    tradesReceived: new Counter({ name: 'tickerflow_producer_trades_received_total', help: 'Valid trades received from Finnhub.', registers }),
    tradesInvalid: new Counter({
      name: 'tickerflow_producer_trades_invalid_total',
      help: 'Trades inside trade frames that failed validation (missing or ill-typed fields).',
      registers,
    }),
    tradesProduced: new Counter({ name: 'tickerflow_producer_trades_produced_total', help: 'Trades acknowledged by Kafka (acks=all).', registers }),
    tradesDropped: new Counter({
      name: 'tickerflow_producer_trades_dropped_total',
      help: 'Trades not written, by reason (buffer_full: Kafka away longer than the buffer holds; oversized: symbol or conditions beyond the record bounds; rejected: the broker refused the record; shutdown: unacknowledged at the shutdown deadline).',
      labelNames: ['reason'],
      registers,
    }),
    produceErrors: new Counter({ name: 'tickerflow_producer_produce_errors_total', help: 'Produce requests that failed and were retried.', registers }),
    reconnects: new Counter({
      name: 'tickerflow_producer_reconnects_total',
      help: 'Finnhub reconnects, by reason (closed, stale, error, unauthorized).',
      labelNames: ['reason'],
      registers,
    }),
    finnhubErrors: new Counter({
      name: 'tickerflow_producer_finnhub_errors_total',
      help: 'Error frames from Finnhub (invalid symbol, too many symbols, ...).',
      registers,
    }),
    leader: new Gauge({
      name: 'tickerflow_producer_leader',
      help: 'Whether this replica holds the Finnhub connection: 1 for the Lease leader (always, without LEADER_ELECTION), 0 for a standby.',
      registers,
    }),
    symbolSourceErrors: new Counter({
      name: 'tickerflow_producer_symbol_source_errors_total',
      help: 'Symbol lists that could not be read or parsed (the file or the ConfigMap); the last good list is kept.',
      registers,
    }),
    stateWrites: new Counter({
      name: 'tickerflow_producer_state_writes_total',
      help: 'Writes of the state ConfigMap by result (written, failed; a failed write is tried again next interval).',
      labelNames: ['result'],
      registers,
    }),
    lastStateWrite: new Gauge({
      name: 'tickerflow_producer_state_last_write_timestamp_seconds',
      help: 'When the state ConfigMap was last written, Unix seconds.',
      registers,
    }),
    lastFrame: new Gauge({
      name: 'tickerflow_producer_last_frame_timestamp_seconds',
      help: 'When the last frame (pings included) arrived, Unix seconds.',
      registers,
    }),
    ackLatency: new Histogram({
      name: 'tickerflow_producer_ack_latency_seconds',
      help: 'From frame received to Kafka acknowledgement of its last trade, per frame.',
      buckets: latencyBuckets,
      registers,
    }),
    exchangeLatency: new Histogram({
      name: 'tickerflow_producer_exchange_latency_seconds',
      help: 'From exchange timestamp to Kafka acknowledgement, per trade.',
      buckets: latencyBuckets,
      registers,
    }),
    setConnectionState(state: ConnectionState) {
      for (const s of connectionStates) connectionState.set({ state: s }, s === state ? 1 : 0);
    },
    symbolTraded(symbol: string, count: number) {
      let child = symbolChildren.get(symbol);
      if (!child) symbolChildren.set(symbol, (child = symbolTrades.labels(symbol)));
      child.inc(count);
    },
    /** Symbols no longer wanted lose their series, so the label set is bounded by the wanted symbols. */
    keepSymbols(wanted: ReadonlySet<string>) {
      for (const symbol of symbolChildren.keys()) {
        if (wanted.has(symbol) || symbol === OTHER_LABEL) continue;
        symbolTrades.remove(symbol);
        symbolChildren.delete(symbol);
      }
    },
  };
  for (const reason of dropReasons) metrics.tradesDropped.inc({ reason }, 0);
  for (const reason of ['closed', 'stale', 'error', 'unauthorized']) metrics.reconnects.inc({ reason }, 0);
  for (const result of ['written', 'failed']) metrics.stateWrites.inc({ result }, 0);
  metrics.setConnectionState('closed');
  return metrics;
}

export type ProducerMetrics = ReturnType<typeof createProducerMetrics>;

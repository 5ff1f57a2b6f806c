import { loadSchema, readerCodec, schemaRegistryFrom, type Candle, type Logger, type TradeValue } from '@tickerflow/common';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { DashboardConfig } from './config.js';
import { createFeed } from './feed.js';
import type { CandleHistory } from './history.js';
import { createDashboardMetrics } from './metrics.js';
import { dashboardRoutes } from './routes.js';
import { createSseHub } from './sse.js';
import { createCandleStore } from './store.js';

export type { CandleEvent } from './feed.js';
export type { HeldCandle, SymbolStats } from './store.js';

/**
 * Kafka readers → bounded store → server-sent events and the JSON API.
 * Wires the parts; main.ts gives it a Kafka client, a registry and a logger.
 */
export function createDashboardApp(config: DashboardConfig, deps: { kafka: Kafka; registry: Registry; logger: Logger; history?: CandleHistory }) {
  const intervals = config.CANDLE_INTERVALS.map((i) => i.name);
  const store = createCandleStore({ intervals, historyMax: config.DASHBOARD_HISTORY_MAX, symbolsMax: config.DASHBOARD_SYMBOLS_MAX });
  const metrics = createDashboardMetrics(
    deps.registry,
    {
      candlesHeld: () => store.size(),
      symbolsHeld: () => store.symbolCount(),
      symbolsEvicted: () => store.evictions(),
      sseClients: () => sse.clients(),
      sseBufferedBytes: () => sse.bufferedBytes(),
      kafkaState: () => feed.status(),
    },
    { trades: config.TRADES_TOPIC, candles: config.CANDLES_TOPIC },
  );
  const sse = createSseHub({
    heartbeatMs: config.SSE_HEARTBEAT_MS,
    maxClients: config.SSE_MAX_CLIENTS,
    maxClientsPerAddress: config.SSE_MAX_CLIENTS_PER_ADDRESS,
    maxBufferedBytes: config.SSE_CLIENT_BUFFER_BYTES,
    maxTotalBufferedBytes: config.SSE_BUFFER_BYTES,
    dropped: (reason) => metrics.sseDropped.inc({ reason }),
    greeting: () => [{ event: 'status', data: { kafka: feed.status() } }],
    sent: (event) => metrics.sseEvents.inc({ event }),
  });
  const registry = schemaRegistryFrom(config);
  const feed = createFeed(
    {
      tradesTopic: config.TRADES_TOPIC,
      candlesTopic: config.CANDLES_TOPIC,
      intervals: config.CANDLE_INTERVALS,
      allowedLatenessMs: config.ALLOWED_LATENESS,
      lookbackMs: config.DASHBOARD_LOOKBACK,
    },
    {
      kafka: deps.kafka,
      store,
      metrics,
      logger: deps.logger,
      // Both framings: single-object, and the Confluent wire format with a registry.
      tradeCodec: readerCodec<TradeValue>(loadSchema('trade'), registry),
      candleCodec: readerCodec<Candle>(loadSchema('candle'), registry),
      events: {
        candle: (e) => sse.broadcast({ event: 'candle', data: e, symbol: e.symbol }),
        stats: (s) => sse.broadcast({ event: 'stats', data: s, symbol: s.symbol }),
        status: (kafka) => sse.broadcast({ event: 'status', data: { kafka } }),
      },
    },
  );

  return {
    store,
    readiness: [{ name: 'kafka', ready: () => feed.ready() }],
    routes: dashboardRoutes({ store, sse, intervals, history: deps.history, historyQueried: (result) => metrics.historyQueries.inc({ result }) }),
    start: () => feed.start(),
    /** Ends the event streams, then leaves Kafka. */
    async stop() {
      sse.close();
      await feed.stop();
    },
  };
}

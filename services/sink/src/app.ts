import {
  createDatabasePool,
  createKafkajsClient,
  kafkaConnection,
  loadSchema,
  readerCodec,
  schemaRegistryFrom,
  type Candle,
  type DatabaseConnection,
  type Logger,
  type TradeValue,
} from '@tickerflow/common';
import type { Registry } from 'prom-client';
import type { SinkConfig } from './config.js';
import { createDatabaseHealth } from './database-health.js';
import { createSinkMetrics } from './metrics.js';
import { candlesTable } from './tables/candles.js';
import type { TableSpec } from './tables/table.js';
import { tradesTable } from './tables/trades.js';
import { createTopicSink } from './topic-sink.js';

export { migrate, migrationsDir } from './database.js';
export { copyLine, copyText, dayPartition } from './tables/trades.js';

/** Candles topic (and, when enabled, trades topic) → PostgreSQL, exactly once. */
export function createSinkApp(config: SinkConfig, deps: { registry: Registry; logger: Logger; database: DatabaseConnection }) {
  const { logger } = deps;
  const registry = schemaRegistryFrom(config);
  // Both framings: single-object Avro, or Confluent's with a registry.
  const candles = candlesTable(readerCodec<Candle>(loadSchema('candle'), registry), config.SINK_INSERT_ROWS);
  const trades = config.SINK_TRADES_ENABLED ? tradesTable(readerCodec<TradeValue>(loadSchema('trade'), registry)) : undefined;
  const metrics = createSinkMetrics(deps.registry, trades ? [candles, trades] : [candles]);
  const db = createDatabasePool(deps.database, logger);
  const health = createDatabaseHealth(db, { metrics, logger });
  const kafka = createKafkajsClient(kafkaConnection(config), 'tickerflow-sink', logger);
  const sinkOf = <Row>(topic: string, group: string, spec: TableSpec<Row>) =>
    createTopicSink({ topic, group, maxBytesPerPartition: config.SINK_MAX_BYTES_PER_PARTITION, sessionTimeoutMs: config.SINK_SESSION_TIMEOUT_MS }, spec, {
      kafka,
      db,
      health,
      metrics,
      logger,
    });
  const sinks = [sinkOf(config.CANDLES_TOPIC, config.SINK_GROUP, candles)];
  if (trades) sinks.push(sinkOf(config.TRADES_TOPIC, config.SINK_TRADES_GROUP, trades));
  return {
    readiness: [
      { name: 'database', ready: health.ready },
      { name: 'kafka', ready: () => sinks.every((s) => s.kafkaReady()) },
    ],
    async start(ctx: { fail: (err: Error) => void }) {
      if (!(await health.migrateWhenReachable())) return;
      health.startPinging();
      await Promise.all(sinks.map((s) => s.start(ctx.fail)));
    },
    /** Finishes the batches in hand, leaves the groups, closes the database pool. */
    async stop() {
      health.stop();
      await Promise.all(sinks.map((s) => s.stop()));
      await db.end();
    },
  };
}

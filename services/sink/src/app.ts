import {
  createKafkajsClient,
  kafkaConnection,
  loadSchema,
  readerCodec,
  schemaRegistryFrom,
  type Candle,
  type DatabaseConnection,
  type Logger,
} from '@tickerflow/common';
import type { Registry } from 'prom-client';
import { createCandleSink } from './candle-sink.js';
import type { SinkConfig } from './config.js';
import { createPool } from './database.js';
import { createSinkMetrics } from './metrics.js';

export { createPool, migrate, migrationsDir } from './database.js';

/** Candles topic → PostgreSQL, exactly once. */
export function createSinkApp(config: SinkConfig, deps: { registry: Registry; logger: Logger; database: DatabaseConnection }) {
  const sink = createCandleSink(
    {
      topic: config.CANDLES_TOPIC,
      group: config.SINK_GROUP,
      rowsPerInsert: config.SINK_INSERT_ROWS,
      maxBytesPerPartition: config.SINK_MAX_BYTES_PER_PARTITION,
      sessionTimeoutMs: config.SINK_SESSION_TIMEOUT_MS,
    },
    {
      kafka: createKafkajsClient(kafkaConnection(config), 'tickerflow-sink', deps.logger),
      db: createPool(deps.database, deps.logger),
      // Both framings: single-object Avro, or Confluent's with a registry.
      codec: readerCodec<Candle>(loadSchema('candle'), schemaRegistryFrom(config)),
      metrics: createSinkMetrics(deps.registry),
      logger: deps.logger,
    },
  );
  return {
    readiness: [
      { name: 'database', ready: sink.databaseReady },
      { name: 'kafka', ready: sink.kafkaReady },
    ],
    start: (ctx: { fail: (err: Error) => void }) => sink.start(ctx),
    stop: () => sink.stop(),
  };
}

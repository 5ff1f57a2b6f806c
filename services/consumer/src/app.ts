import {
  createKafkajsClient,
  kafkaConnection,
  loadSchema,
  readerCodec,
  schemaRegistryFrom,
  topicCodec,
  type Candle,
  type Logger,
  type TradeValue,
} from '@tickerflow/common';
import type { Registry } from 'prom-client';
import { createCandleConsumer } from './candle-consumer.js';
import type { ConsumerConfig } from './config.js';
import { createConsumerMetrics } from './metrics.js';

/**
 * The codecs: trades read in both framings; candles written in the trades'
 * framing (Confluent with a registry, registered as `<candles topic>-value`).
 */
export async function consumerCodecs(config: ConsumerConfig) {
  const registry = schemaRegistryFrom(config);
  return {
    trade: readerCodec<TradeValue>(loadSchema('trade'), registry),
    candle: await topicCodec<Candle>(loadSchema('candle'), config.CANDLES_TOPIC, registry),
  };
}

/** Trades topic → candles topic (and dead letters), exactly once. */
export function createConsumerApp(config: ConsumerConfig, deps: { registry: Registry; logger: Logger; codecs: Awaited<ReturnType<typeof consumerCodecs>> }) {
  const loop = createCandleConsumer(
    {
      tradesTopic: config.TRADES_TOPIC,
      candlesTopic: config.CANDLES_TOPIC,
      deadLetterTopic: config.DLQ_TOPIC,
      group: config.CONSUMER_GROUP,
      intervals: config.CANDLE_INTERVALS,
      allowedLatenessMs: config.ALLOWED_LATENESS,
      maxEventTimeAheadMs: config.MAX_EVENT_TIME_AHEAD,
      startFrom: config.CONSUMER_START,
      maxBytesPerPartition: config.CONSUMER_MAX_BYTES_PER_PARTITION,
      partitionsConcurrently: config.CONSUMER_PARTITIONS_CONCURRENTLY,
      sessionTimeoutMs: config.CONSUMER_SESSION_TIMEOUT_MS,
      symbolLabelsMax: config.CONSUMER_SYMBOL_LABELS_MAX,
    },
    {
      kafka: createKafkajsClient(kafkaConnection(config), 'tickerflow-consumer', deps.logger),
      tradeCodec: deps.codecs.trade,
      candleCodec: deps.codecs.candle,
      metrics: createConsumerMetrics(
        deps.registry,
        config.CANDLE_INTERVALS.map((i) => i.name),
      ),
      logger: deps.logger,
    },
  );
  return {
    readiness: [{ name: 'kafka', ready: loop.ready }],
    start: (ctx: { fail: (err: Error) => void }) => loop.start(ctx),
    stop: () => loop.stop(),
  };
}

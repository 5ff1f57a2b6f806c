import { createKafka, loadSchema, singleObjectCodec, type Candle, type Logger, type TradeValue } from '@tickerflow/common';
import type { Registry } from 'prom-client';
import { createCandleConsumer } from './candle-consumer.js';
import type { ConsumerConfig } from './config.js';
import { createConsumerMetrics } from './metrics.js';

/** Trades topic → candles topic (and dead letters), exactly once. */
export function createConsumerApp(config: ConsumerConfig, deps: { registry: Registry; logger: Logger }) {
  const loop = createCandleConsumer(config, {
    kafka: createKafka(config, 'tickerflow-consumer', deps.logger),
    tradeCodec: singleObjectCodec<TradeValue>(loadSchema('trade')),
    candleCodec: singleObjectCodec<Candle>(loadSchema('candle')),
    metrics: createConsumerMetrics(deps.registry),
    logger: deps.logger,
  });
  return {
    readiness: [{ name: 'kafka', ready: loop.ready }],
    start: (ctx: { fail: (err: Error) => void }) => loop.start(ctx),
    stop: () => loop.stop(),
  };
}

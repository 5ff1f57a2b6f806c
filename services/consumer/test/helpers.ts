import { randomUUID } from 'node:crypto';
import { createTopic, metric, startService, type ServiceProcess } from '@tickerflow/harness';
import { loadSchema, singleObjectCodec, type Candle, type TradeValue } from '@tickerflow/common';

/** Tests read metrics, and check candles against the offline recomputation, through the harness's helpers. */
export { metric };
export { byIdentity, caughtUp, committedCandles, recomputeCandles } from '@tickerflow/harness';

export const tradeCodec = singleObjectCodec<TradeValue>(loadSchema('trade'));
export const candleCodec = singleObjectCodec<Candle>(loadSchema('candle'));

export interface Topics {
  trades: string;
  candles: string;
  dlq: string;
  group: string;
}

export async function newTopics(brokers: string[], partitions = 3): Promise<Topics> {
  const id = randomUUID().slice(0, 8);
  const topics = { trades: `trades.${id}`, candles: `candles.${id}`, dlq: `dlq.${id}`, group: `candles-${id}` };
  await createTopic(brokers, topics.trades, partitions);
  await createTopic(brokers, topics.candles, partitions);
  await createTopic(brokers, topics.dlq, 1);
  return topics;
}

export function startConsumer(brokers: string[], topics: Topics, env: Record<string, string> = {}): ServiceProcess {
  return startService('tickerflow-consumer', {
    KAFKA_BROKERS: brokers.join(','),
    TRADES_TOPIC: topics.trades,
    CANDLES_TOPIC: topics.candles,
    DLQ_TOPIC: topics.dlq,
    CONSUMER_GROUP: topics.group,
    CONSUMER_SESSION_TIMEOUT_MS: '6000',
    ...env,
  });
}

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { invalidTradesRecordReasons } from '@tickerflow/common';

const secondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/**
 * The candle consumer's metrics (prefix tickerflow_consumer_). Counters with
 * known label values start at 0, so dashboards and alerts see a series before
 * the first event.
 */
export function createConsumerMetrics(registry: Registry, intervals: readonly string[] = []) {
  const registers = [registry];
  const recordsConsumed = new Counter({
    name: 'tickerflow_consumer_records_consumed_total',
    help: 'Input records processed and committed, by kind (trade, watermark, invalid).',
    labelNames: ['kind'],
    registers,
  });
  for (const kind of ['trade', 'watermark', 'invalid']) recordsConsumed.inc({ kind }, 0);
  const deadLetters = new Counter({
    name: 'tickerflow_consumer_dlq_records_total',
    help: 'Records written to the dead-letter topic, by reason.',
    labelNames: ['reason'],
    registers,
  });
  for (const reason of invalidTradesRecordReasons) deadLetters.inc({ reason }, 0);
  const transactions = new Counter({
    name: 'tickerflow_consumer_transactions_total',
    help: 'Kafka transactions (candles, dead letters and input offsets), by result (committed, aborted).',
    labelNames: ['result'],
    registers,
  });
  for (const result of ['committed', 'aborted']) transactions.inc({ result }, 0);
  const candlesEmitted = new Counter({
    name: 'tickerflow_consumer_candles_emitted_total',
    help: 'Final candles committed to the candles topic, by interval.',
    labelNames: ['interval'],
    registers,
  });
  const lateTrades = new Counter({
    name: 'tickerflow_consumer_late_trades_total',
    help: 'Trades that arrived after their window closed (not in the candle), by symbol (at most CONSUMER_SYMBOL_LABELS_MAX, then _other) and interval.',
    labelNames: ['symbol', 'interval'],
    registers,
  });
  for (const interval of intervals) {
    candlesEmitted.inc({ interval }, 0);
    lateTrades.inc({ symbol: '_other', interval }, 0);
  }
  return {
    recordsConsumed,
    recordsReplayed: new Counter({
      name: 'tickerflow_consumer_records_replayed_total',
      help: 'Input records read again to rebuild open windows after a restart or rebalance.',
      registers,
    }),
    rebuilds: new Counter({ name: 'tickerflow_consumer_rebuilds_total', help: 'Partitions whose open windows were rebuilt from the input.', registers }),
    candlesEmitted,
    lateTrades,
    deadLetters,
    transactions,
    batchDuration: new Histogram({
      name: 'tickerflow_consumer_batch_duration_seconds',
      help: 'Time to process one fetched batch and commit its transaction.',
      buckets: secondsBuckets,
      registers,
    }),
    recordLatency: new Histogram({
      name: 'tickerflow_consumer_record_latency_seconds',
      help: 'From a record being appended to the trades topic to its transaction committing (last record of each batch).',
      buckets: secondsBuckets,
      registers,
    }),
    lag: new Gauge({
      name: 'tickerflow_consumer_lag_records',
      help: 'Records in the partition not yet committed by this consumer (log end offset minus committed offset).',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    watermark: new Gauge({
      name: 'tickerflow_consumer_watermark_timestamp_seconds',
      help: 'Event-time watermark per assigned partition, Unix seconds.',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    assignedPartitions: new Gauge({ name: 'tickerflow_consumer_assigned_partitions', help: 'Input partitions assigned to this instance.', registers }),
  };
}

export type ConsumerMetrics = ReturnType<typeof createConsumerMetrics>;

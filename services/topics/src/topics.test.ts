import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { topicsConfigSchema, type WantedTopic } from './config.js';
import { planTopics } from './topics.js';

const wanted: WantedTopic[] = [
  { name: 'finnhub.trades', partitions: 6, replicas: 3, config: { 'retention.ms': 604800000 } },
  { name: 'finnhub.candles', partitions: 6, replicas: 3, config: {} },
  { name: 'finnhub.trades.dlq', partitions: 1, replicas: 3, config: {} },
];

describe('tickerflow-topics: plan and configuration', () => {
  it('creates what is missing, keeps what is there, and says how an existing topic differs without touching it', () => {
    const plan = planTopics(
      wanted,
      new Map([
        ['finnhub.trades', { partitions: 6, replicas: 3 }],
        ['finnhub.candles', { partitions: 3, replicas: 1 }],
      ]),
    );
    assert.deepEqual(
      plan.create.map((t) => t.name),
      ['finnhub.trades.dlq'],
    );
    assert.deepEqual(plan.present, ['finnhub.trades']);
    assert.deepEqual(plan.differ, [{ name: 'finnhub.candles', problem: '3 partitions, not 6; replication factor 1, not 3' }]);
  });

  it('refuses a topic list that is not JSON, or a topic without partitions, naming what is wrong', () => {
    const parse = (TOPICS?: string) => topicsConfigSchema.safeParse({ KAFKA_BROKERS: 'kafka:9092', ...(TOPICS !== undefined && { TOPICS }) });
    assert.deepEqual(
      parse('{oops').error?.issues.map((i) => i.message),
      ['must be a JSON array of topics'],
    );
    assert.deepEqual(
      parse('[{"name":"t","replicas":1}]').error?.issues.map((i) => i.message),
      ['0.partitions: Invalid input: expected number, received undefined'],
    );
    assert.deepEqual(
      parse().error?.issues.map((i) => i.message),
      ['is required'],
    );
    assert.deepEqual(parse(JSON.stringify(wanted)).data?.TOPICS, wanted);
  });
});

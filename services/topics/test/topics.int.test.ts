import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import kafkajs, { Kafka, logLevel, type Admin } from 'kafkajs';
import { createTopic, kafkaBrokers, startService } from '@tickerflow/harness';

/** One run of the bin to its end: exit code and output. */
async function run(env: Record<string, string>): Promise<{ code: number | string; output: string }> {
  const p = startService('tickerflow-topics', { KAFKA_BROKERS: kafkaBrokers().join(','), ...env });
  const code = await p.exited;
  return { code, output: p.output() };
}

const logLines = (output: string) =>
  output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: string; msg: string; topic?: string; problem?: string });

describe('tickerflow-topics against the real Kafka', () => {
  let admin: Admin;
  const id = randomUUID().slice(0, 8);
  const trades = `trades.${id}`;
  const candles = `candles.${id}`;
  const dlq = `dlq.${id}`;
  const topics = JSON.stringify([
    { name: trades, partitions: 4, replicas: 1, config: { 'retention.ms': 3600000, 'min.insync.replicas': 1 } },
    { name: candles, partitions: 3, replicas: 1 },
    { name: dlq, partitions: 1, replicas: 1, config: { 'max.message.bytes': 2097152 } },
  ]);

  before(async () => {
    admin = new Kafka({ clientId: 'test-topics', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    // One of them exists already, with fewer partitions than wanted.
    await createTopic(kafkaBrokers(), candles, 2);
  });
  after(async () => {
    await admin?.disconnect();
  });

  it('creates the missing topics with their partitions and config, leaves an existing one as it is (saying how it differs), and exits 0', async () => {
    const { code, output } = await run({ TOPICS: topics });
    assert.equal(code, 0, output);
    const { topics: described } = await admin.fetchTopicMetadata({ topics: [trades, candles, dlq] });
    assert.deepEqual(Object.fromEntries(described.map((t) => [t.name, t.partitions.length])), { [trades]: 4, [candles]: 2, [dlq]: 1 });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [trades, dlq].map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms', 'max.message.bytes'] })),
    });
    const value = (topic: string, name: string) =>
      configs.resources.find((r) => r.resourceName === topic)!.configEntries.find((e) => e.configName === name)!.configValue;
    assert.equal(value(trades, 'retention.ms'), '3600000');
    assert.equal(value(dlq, 'max.message.bytes'), '2097152');
    const lines = logLines(output);
    assert.deepEqual(
      lines.filter((l) => l.msg === 'topic created').map((l) => l.topic),
      [trades, dlq],
    );
    assert.deepEqual(
      lines.filter((l) => l.level === 'warn').map((l) => [l.topic, l.problem]),
      [[candles, '2 partitions, not 3']],
    );
  });

  it('a second run finds every topic and changes nothing', async () => {
    const { code, output } = await run({ TOPICS: topics });
    assert.equal(code, 0, output);
    assert.deepEqual(
      logLines(output)
        .filter((l) => l.msg === 'topic already there')
        .map((l) => l.topic),
      [trades, dlq],
    );
    assert.ok(!logLines(output).some((l) => l.msg === 'topic created'));
  });

  it('a topic the brokers refuse fails the run with exit code 1, naming the topic and the reason', async () => {
    const bad = `bad.${id}`;
    const { code, output } = await run({ TOPICS: JSON.stringify([{ name: bad, partitions: 1, replicas: 3 }]), TOPICS_TIMEOUT_MS: '5000' });
    assert.equal(code, 1, output);
    assert.match(output, new RegExp(`tickerflow-topics: cannot create topic ${bad.replace('.', '\\.')}: replication-factor is invalid`, 'i'));
    assert.ok(!(await admin.listTopics()).includes(bad));
  });

  it('a broken topic list stops it with exit code 2 and a message naming the variable', async () => {
    const { code, output } = await run({ TOPICS: '[{"name":"x"}]' });
    assert.equal(code, 2, output);
    assert.match(output, /TOPICS: 0\.partitions/);
  });
});

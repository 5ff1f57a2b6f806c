import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Admin, type EachMessagePayload } from 'kafkajs';
import { kafkaBrokers } from '../src/env.js';

/**
 * kafkajs against the real Kafka 4.x broker: everything the producer and the
 * exactly-once consumer rely on.
 */
describe('kafkajs against the harness Kafka 4.x broker', () => {
  const kafka = new Kafka({ clientId: 'smoke', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const admin: Admin = kafka.admin();
  const run = randomUUID().slice(0, 8);
  const input = `smoke.input.${run}`;
  const output = `smoke.output.${run}`;

  before(async () => {
    await admin.connect();
  });
  after(async () => {
    await admin.disconnect();
  });

  it('creates topics with a chosen partition count', async () => {
    const created = await admin.createTopics({
      topics: [
        { topic: input, numPartitions: 3, replicationFactor: 1 },
        { topic: output, numPartitions: 2, replicationFactor: 1 },
      ],
      waitForLeaders: true,
    });
    assert.equal(created, true);
    const meta = await admin.fetchTopicMetadata({ topics: [input, output] });
    assert.deepEqual(meta.topics.map((t) => t.partitions.length).sort(), [2, 3]);
  });

  it('produces idempotently with acks=all, keyed records land on one partition per key', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
    await producer.connect();
    const keys = ['AAPL', 'BINANCE:BTCUSDT', 'IC MARKETS:1'];
    const results = await producer.send({
      topic: input,
      acks: -1,
      messages: keys.flatMap((key) => Array.from({ length: 10 }, (_, i) => ({ key, value: `${key}#${i}` }))),
    });
    await producer.disconnect();
    assert.ok(results.every((r) => r.errorCode === 0));
    const offsets = await admin.fetchTopicOffsets(input);
    assert.equal(
      offsets.reduce((n, p) => n + Number(p.high), 0),
      30,
    );
  });

  it('commits a transaction with sendOffsets and hides an aborted one from read_committed readers', async () => {
    const group = `smoke-eos-${run}`;
    const consumer = kafka.consumer({ groupId: group, readUncommitted: false });
    const producer = kafka.producer({ transactionalId: `smoke-tx-${run}`, idempotent: true, maxInFlightRequests: 1 });
    await Promise.all([consumer.connect(), producer.connect()]);
    await consumer.subscribe({ topic: input, fromBeginning: true });

    // Read all 30 input records, then write them to the output in one transaction with the offsets.
    const seen: EachMessagePayload[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async (payload) => {
            seen.push(payload);
            if (seen.length === 30) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.stop();

    const committed = await producer.transaction();
    await committed.send({ topic: output, messages: seen.map((m) => ({ key: m.message.key, value: m.message.value })) });
    const next = new Map<number, string>();
    for (const m of seen) next.set(m.partition, (BigInt(m.message.offset) + 1n).toString());
    await committed.sendOffsets({
      consumerGroupId: group,
      topics: [{ topic: input, partitions: [...next].map(([partition, offset]) => ({ partition, offset })) }],
    });
    await committed.commit();

    const aborted = await producer.transaction();
    await aborted.send({ topic: output, messages: [{ key: 'AAPL', value: 'must-not-be-seen' }] });
    await aborted.abort();
    await Promise.all([consumer.disconnect(), producer.disconnect()]);

    // The group's committed offsets are the input's end offsets (-1: a partition no key hashed to).
    const [groupOffsets] = await admin.fetchOffsets({ groupId: group, topics: [input] });
    const ends = await admin.fetchTopicOffsets(input);
    for (const { partition, high } of ends) {
      const committedOffset = groupOffsets!.partitions.find((p) => p.partition === partition)!.offset;
      assert.equal(committedOffset, high === '0' ? '-1' : high, `partition ${partition}`);
    }

    // A read_committed group sees the 30 committed records and not the aborted one.
    const reader = kafka.consumer({ groupId: `smoke-reader-${run}`, readUncommitted: false });
    await reader.connect();
    await reader.subscribe({ topic: output, fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve, reject) => {
      reader
        .run({
          eachMessage: async ({ message }) => {
            values.push(message.value!.toString());
            if (values.length === 30) setTimeout(resolve, 1000);
          },
        })
        .catch(reject);
    });
    await reader.disconnect();
    assert.equal(values.length, 30);
    assert.ok(!values.includes('must-not-be-seen'));
    assert.deepEqual(new Set(values).size, 30);
  });
});

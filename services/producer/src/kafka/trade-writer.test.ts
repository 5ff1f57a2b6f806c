import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { Trade } from '@tickerflow/common';
import { WATERMARK_HEADER } from '@tickerflow/common';
import { createTradeWriter, RECORD_OVERHEAD_BYTES, type OutgoingRecord } from './trade-writer.js';

/** A controllable stand-in for the Kafka producer: each send waits for the test to settle it. */
function fakeSender() {
  const calls: { topic: string; messages: readonly OutgoingRecord[]; settle: (ok: boolean) => void }[] = [];
  return {
    calls,
    send: (topic: string, messages: readonly OutgoingRecord[]) =>
      new Promise<void>((resolve, reject) => {
        calls.push({ topic, messages, settle: (ok) => (ok ? resolve() : reject(new Error('broker away'))) });
      }),
  };
}

const trade = (symbol: string, i: number): Trade => ({ symbol, price: i, volume: 1, timestamp: i, conditions: [] });

function setup(maxBufferBytes = 100_000) {
  const sender = fakeSender();
  const seen = { produced: 0, dropped: 0, errors: 0 };
  const writer = createTradeWriter(
    { topic: 't', maxBufferBytes, maxBatchRecords: 100, stuckAfterMs: 10_000 },
    {
      sender,
      encode: (t) => Buffer.from(`${t.symbol}:${t.price}`),
      events: {
        produced: (batch) => (seen.produced += batch.length),
        dropped: (n) => (seen.dropped += n),
        produceError: () => seen.errors++,
      },
      logger: pino({ level: 'silent' }),
    },
  );
  return { sender, seen, writer };
}

const values = (call: { messages: readonly OutgoingRecord[] }) => call.messages.map((m) => String(m.value));

describe('trade writer', () => {
  it('queues watermark records behind the trades already buffered, one per partition, not counted as trades', async () => {
    const { sender, writer, seen } = setup();
    writer.write([trade('AAPL', 1)], 0);
    writer.write([trade('MSFT', 2)], 0);
    writer.writeWatermarks(1234, 2);
    sender.calls[0]!.settle(true);
    await sleep(0);
    const second = sender.calls[1]!.messages;
    assert.deepEqual(second.map((m) => [m.partition, m.key, m.headers?.values().next().value?.toString()]), [
      [undefined, Buffer.from('MSFT'), undefined],
      [0, undefined, '1234'],
      [1, undefined, '1234'],
    ]);
    assert.equal(second[1]!.headers?.keys().next().value?.toString(), WATERMARK_HEADER);
    sender.calls[1]!.settle(true);
    await sleep(0);
    assert.equal(seen.produced, 2);
  });

  it('keys by symbol, keeps one request in flight and batches what arrives meanwhile, in order', async () => {
    const { sender, writer, seen } = setup();
    writer.write([trade('AAPL', 1)], 0);
    writer.write([trade('MSFT', 2), trade('AAPL', 3)], 0);
    writer.write([trade('AAPL', 4)], 0);
    assert.equal(sender.calls.length, 1);
    assert.deepEqual(values(sender.calls[0]!), ['AAPL:1']);
    assert.equal(String(sender.calls[0]!.messages[0]!.key), 'AAPL');
    assert.equal(sender.calls[0]!.topic, 't');
    sender.calls[0]!.settle(true);
    await sleep(0);
    assert.equal(sender.calls.length, 2);
    assert.deepEqual(values(sender.calls[1]!), ['MSFT:2', 'AAPL:3', 'AAPL:4']);
    sender.calls[1]!.settle(true);
    assert.equal(await writer.flush(1000), 0);
    assert.equal(seen.produced, 4);
    assert.equal(writer.bufferedBytes(), 0);
  });

  it('a failed request is sent again with the same records, and readiness reflects it', async () => {
    const { sender, writer, seen } = setup();
    writer.write([trade('A', 1), trade('A', 2)], 0);
    sender.calls[0]!.settle(false);
    await sleep(10);
    assert.equal(writer.ready(), false);
    assert.equal(seen.errors, 1);
    await sleep(600);
    assert.equal(sender.calls.length, 2);
    assert.deepEqual(values(sender.calls[1]!), ['A:1', 'A:2']);
    sender.calls[1]!.settle(true);
    await writer.flush(1000);
    assert.equal(writer.ready(), true);
    assert.equal(seen.produced, 2);
  });

  it('beyond the byte bound new trades are dropped and counted; the buffer never grows past it', () => {
    const perRecord = 5 + RECORD_OVERHEAD_BYTES;
    const { writer, seen } = setup(6 * perRecord);
    // Each record is key (1 byte) + value ("A:NN", 4 bytes) + overhead: 6 fit.
    writer.write(Array.from({ length: 10 }, (_, i) => trade('A', 10 + i)), 0);
    assert.equal(writer.bufferedBytes(), 6 * perRecord);
    assert.equal(seen.dropped, 4);
    assert.equal(writer.bufferedRecords(), 6);
  });

  it('flush gives up after its timeout and reports what is left', async () => {
    const { writer } = setup();
    writer.write([trade('A', 1)], 0);
    assert.equal(await writer.flush(20), 1);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { Trade } from '@tickerflow/common';
import { WATERMARK_HEADER } from '@tickerflow/common';
import { createTradeWriter, ProduceError, RECORD_OVERHEAD_BYTES, type OutgoingRecord, type RecordOutcome } from './trade-writer.js';

interface Call {
  topic: string;
  messages: readonly OutgoingRecord[];
  /** true: acknowledged; false: failed, nothing known written; a list: what became of each record. */
  settle: (result: boolean | readonly RecordOutcome[]) => void;
}

/** A controllable stand-in for the Kafka producer: each send waits for the test to settle it. */
function fakeSender() {
  const calls: Call[] = [];
  return {
    calls,
    send: (topic: string, messages: readonly OutgoingRecord[]) =>
      new Promise<void>((resolve, reject) => {
        calls.push({
          topic,
          messages,
          settle: (result) => (result === true ? resolve() : reject(result === false ? new Error('broker away') : new ProduceError('partly failed', result))),
        });
      }),
  };
}

const trade = (symbol: string, i: number): Trade => ({ symbol, price: i, volume: 1, timestamp: i, conditions: [] });

function setup(maxBufferBytes = 100_000) {
  const sender = fakeSender();
  const seen = { produced: 0, dropped: 0, errors: 0, reasons: [] as string[] };
  const writer = createTradeWriter(
    { topic: 't', maxBufferBytes, maxBatchRecords: 100, stuckAfterMs: 10_000 },
    {
      sender,
      encode: (t) => Buffer.from(`${t.symbol}:${t.price}`),
      events: {
        produced: (batch) => (seen.produced += batch.length),
        dropped: (n, reason) => {
          seen.dropped += n;
          seen.reasons.push(reason);
        },
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
    assert.deepEqual(
      second.map((m) => [m.partition, m.key, m.headers?.values().next().value?.toString()]),
      [
        [undefined, Buffer.from('MSFT'), undefined],
        [0, undefined, '1234'],
        [1, undefined, '1234'],
      ],
    );
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

  it('a request that partly failed: what was written is never sent again, the rest goes first in the next request', async () => {
    const { sender, writer, seen } = setup();
    writer.write([trade('A', 1)], 0);
    writer.write([trade('B', 2), trade('A', 3)], 0);
    sender.calls[0]!.settle(true);
    await sleep(0);
    writer.write([trade('C', 4)], 0);
    assert.deepEqual(values(sender.calls[1]!), ['B:2', 'A:3']);
    writer.write([trade('A', 5)], 0);
    // B's partition failed (leader moved), A's was written.
    sender.calls[1]!.settle([{ status: 'retry' }, { status: 'written' }]);
    await sleep(0);
    assert.deepEqual(values(sender.calls[2]!), ['B:2', 'C:4', 'A:5']);
    assert.equal(seen.produced, 2);
    sender.calls[2]!.settle(true);
    assert.equal(await writer.flush(1000), 0);
    const sent = sender.calls.flatMap((c, i) => (i === 1 ? ['A:3'] : values(c)));
    assert.deepEqual(sent.sort(), ['A:1', 'A:3', 'A:5', 'B:2', 'C:4'], 'every trade written once');
    assert.equal(seen.produced, 5);
    assert.equal(writer.bufferedBytes(), 0);
  });

  it('a record the broker refuses is isolated by halving the request, then dropped and counted; the others are written once', async () => {
    const { sender, writer, seen } = setup();
    writer.write([trade('X', 0)], 0);
    const bad = 'X:13';
    writer.write(
      Array.from({ length: 8 }, (_, i) => trade('X', 10 + i)),
      0,
    ); // all in one partition
    sender.calls[0]!.settle(true);
    const written: string[] = ['X:0'];
    // The broker refuses the partition's whole batch while it holds the bad record.
    for (let i = 1; i < 20 && writer.bufferedRecords() > 0; i++) {
      for (let wait = 0; sender.calls.length <= i && wait < 1000; wait++) await sleep(1);
      if (sender.calls.length <= i) break;
      const call = sender.calls[i]!;
      const vals = values(call);
      if (vals.includes(bad)) call.settle(vals.map(() => ({ status: 'rejected', partition: 0, error: 'MESSAGE_TOO_LARGE' })));
      else {
        written.push(...vals);
        call.settle(true);
      }
    }
    await writer.flush(1000);
    assert.deepEqual(written.sort(), ['X:0', 'X:10', 'X:11', 'X:12', 'X:14', 'X:15', 'X:16', 'X:17']);
    assert.deepEqual(seen.reasons, ['rejected']);
    assert.equal(seen.dropped, 1);
    assert.equal(seen.produced, 8);
    // 8 → 4 → 2 → 1: the refusals isolate it, then the request size grows back.
    assert.ok(sender.calls.length <= 8, `${sender.calls.length} requests`);
    writer.write(
      Array.from({ length: 8 }, (_, i) => trade('Y', 20 + i)),
      0,
    );
    await sleep(0);
    assert.ok(sender.calls.at(-1)!.messages.length >= 2);
  });

  it('a trade whose symbol or conditions are beyond the record bounds is dropped before it is queued', () => {
    const { writer, seen, sender } = setup();
    writer.write([{ ...trade('A', 1), symbol: 'S'.repeat(200) }, { ...trade('A', 2), conditions: Array.from({ length: 100 }, () => '1') }, trade('A', 3)], 0);
    assert.deepEqual(seen.reasons, ['oversized', 'oversized']);
    assert.deepEqual(values(sender.calls[0]!), ['A:3']);
  });

  it('memory is freed as records are acknowledged, even when the queue never empties', async () => {
    const { sender, writer } = setup(10_000_000);
    for (let round = 0; round < 50; round++) {
      writer.write(
        Array.from({ length: 100 }, (_, i) => trade('A', i)),
        0,
      );
      sender.calls.at(-1)!.settle(true);
      await sleep(0);
      // One request in flight and one round waiting: never more.
      assert.ok(writer.bufferedRecords() <= 200, `${writer.bufferedRecords()} buffered`);
    }
  });

  it('at shutdown, what Kafka has not acknowledged is counted as dropped', async () => {
    const { writer, seen } = setup();
    writer.write([trade('A', 1), trade('A', 2)], 0);
    writer.writeWatermarks(5, 2);
    assert.equal(await writer.flush(10), 2);
    assert.deepEqual(writer.abandon(), { left: 2, inFlight: 2 });
    assert.deepEqual(seen.reasons, ['shutdown']);
    assert.equal(seen.dropped, 2);
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
    writer.write(
      Array.from({ length: 10 }, (_, i) => trade('A', 10 + i)),
      0,
    );
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

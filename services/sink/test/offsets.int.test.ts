import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createDatabasePool, createLogger, databaseConnection } from '@tickerflow/common';
import { eventually, harnessDir, startPostgres, type PostgresServer } from '@tickerflow/harness';
import { migrate } from '../src/app.js';
import { storedOffset, writeWithOffset, type PartitionRef } from '../src/offsets.js';

/** A gate a transaction waits at, opened by the test. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/**
 * The fence that keeps a zombie sink (one that lost its partition without
 * knowing it, with a batch in hand) from writing: against a real PostgreSQL,
 * two writers of one partition, in turn and at the same time.
 */
describe('sink offsets: a writer with a stale position is fenced (PostgreSQL)', () => {
  let server: PostgresServer;
  let db: pg.Pool;
  let n = 0;
  /** A partition of its own per test. */
  const partition = (): PartitionRef => ({ group: 'fence-test', topic: 'candles', partition: n++ });

  /** Writes one row per offset in [from, next) as `writer`, calling `during` inside the transaction. */
  const write = (ref: PartitionRef, writer: string, expected: bigint | undefined, next: bigint, during?: () => Promise<void>) =>
    writeWithOffset(db, ref, expected, next, async (client) => {
      await during?.();
      const from = expected ?? 0n;
      const offsets = Array.from({ length: Number(next - from) }, (_, i) => String(from + BigInt(i)));
      await client.query('INSERT INTO fence_rows (writer, "partition", "offset") SELECT $1, $2, unnest($3::bigint[])', [writer, ref.partition, offsets]);
      return offsets.length;
    });
  /** Who wrote each offset of the partition, in order. */
  const rows = async (ref: PartitionRef) =>
    (
      await db.query<{ writer: string; offset: string }>('SELECT writer, "offset" FROM fence_rows WHERE "partition" = $1 ORDER BY "offset", writer', [
        ref.partition,
      ])
    ).rows.map((r) => `${r.offset}:${r.writer}`);
  const range = (from: number, to: number, writer: string) => Array.from({ length: to - from }, (_, i) => `${from + i}:${writer}`);
  /** The other transaction is waiting for a lock (the row or the key the first one holds). */
  const waitingForLock = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted')).rows[0]!.n > 0;

  before(async () => {
    server = await startPostgres(harnessDir());
    const logger = createLogger({ service: 'fence-test', level: 'silent' });
    const connection = databaseConnection({ DATABASE_URL: await server.createDatabase('fence'), DATABASE_PASSWORD: server.password }, 'fence-test')!;
    db = createDatabasePool(connection, logger);
    await migrate(db, logger);
    await db.query('CREATE TABLE fence_rows (writer text NOT NULL, "partition" integer NOT NULL, "offset" bigint NOT NULL)');
  });

  after(async () => {
    await db?.end();
    await server?.stop();
  });

  it('in turn: the first write and every later one are fenced once another writer moved the offset on; nothing of the stale batch lands', async () => {
    const ref = partition();
    // Both found nothing stored; B writes first.
    assert.deepEqual(await write(ref, 'B', undefined, 10n), { kind: 'committed', rows: 10 });
    assert.deepEqual(await write(ref, 'A', undefined, 10n), { kind: 'fenced', stored: 10n });
    // Both read 10; B moves on to 20; A's batch from 10 is stale.
    assert.deepEqual(await write(ref, 'B', 10n, 20n), { kind: 'committed', rows: 10 });
    assert.deepEqual(await write(ref, 'A', 10n, 15n), { kind: 'fenced', stored: 20n });
    // Fenced, A reads the stored offset again and goes on from there.
    assert.equal(await storedOffset(db, ref), 20n);
    assert.deepEqual(await write(ref, 'A', 20n, 25n), { kind: 'committed', rows: 5 });
    assert.deepEqual(await rows(ref), [...range(0, 20, 'B'), ...range(20, 25, 'A')]);
  });

  for (const [what, expected] of [
    ['the first write (the offset row inserted, not yet committed)', undefined],
    ['a later write (the offset row locked for update)', 30n],
  ] as const) {
    it(`at the same time, ${what}: the second writer waits for the first's transaction, then is fenced`, async () => {
      const ref = partition();
      if (expected !== undefined) await write(ref, 'setup', undefined, expected);
      const inB = gate();
      const releaseB = gate();
      const b = write(ref, 'B', expected, (expected ?? 0n) + 10n, async () => {
        inB.open();
        await releaseB.opened;
      });
      await inB.opened;
      // A read the same position before B committed, and writes while B's transaction is open.
      const a = write(ref, 'A', expected, (expected ?? 0n) + 10n);
      await eventually(waitingForLock, { timeoutMs: 10_000, intervalMs: 50, what: "A's transaction waiting for B's lock" });
      releaseB.open();
      assert.deepEqual(await b, { kind: 'committed', rows: 10 });
      assert.deepEqual(await a, { kind: 'fenced', stored: (expected ?? 0n) + 10n });
      const from = Number(expected ?? 0n);
      assert.deepEqual(await rows(ref), [...range(0, from, 'setup'), ...range(from, from + 10, 'B')]);
    });
  }

  it('a failed batch leaves neither rows nor a moved offset', async () => {
    const ref = partition();
    await write(ref, 'B', undefined, 5n);
    await assert.rejects(
      writeWithOffset(db, ref, 5n, 10n, async (client) => {
        await client.query('INSERT INTO fence_rows (writer, "partition", "offset") VALUES ($1, $2, 5)', ['B', ref.partition]);
        throw new Error('the insert failed half way');
      }),
      /half way/,
    );
    assert.equal(await storedOffset(db, ref), 5n);
    assert.deepEqual(await rows(ref), range(0, 5, 'B'));
  });
});

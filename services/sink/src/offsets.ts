import type pg from 'pg';

/** Where a sink's reading of one partition stands, as the database has it. */
export interface PartitionRef {
  group: string;
  topic: string;
  partition: number;
}

export type WriteResult = { kind: 'committed'; rows: number } | { kind: 'fenced'; stored: bigint };

/** The next offset to read, as stored with the rows; undefined before the first write. `forUpdate` locks the row (inside a transaction). */
export async function storedOffset(db: pg.Pool | pg.PoolClient, ref: PartitionRef, forUpdate = false): Promise<bigint | undefined> {
  const { rows } = await db.query<{ next_offset: string }>(
    `SELECT next_offset FROM kafka_offsets WHERE group_id = $1 AND topic = $2 AND "partition" = $3${forUpdate ? ' FOR UPDATE' : ''}`,
    [ref.group, ref.topic, ref.partition],
  );
  return rows[0] ? BigInt(rows[0].next_offset) : undefined;
}

/**
 * One transaction: the rows (written by `insert`, which says how many) and
 * the partition's next offset. The offset row is locked and must still be
 * `expected` (undefined: no row yet), so an instance that lost the partition
 * without knowing it writes nothing.
 */
export async function writeWithOffset(
  db: pg.Pool,
  ref: PartitionRef,
  expected: bigint | undefined,
  next: bigint,
  insert: (client: pg.PoolClient) => Promise<number>,
): Promise<WriteResult> {
  const client = await db.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    if (expected === undefined) {
      const inserted = await client.query(
        'INSERT INTO kafka_offsets (group_id, topic, "partition", next_offset) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
        [ref.group, ref.topic, ref.partition, String(next)],
      );
      if (inserted.rowCount !== 1) return await fenced(client, ref);
    } else {
      if ((await storedOffset(client, ref, true)) !== expected) return await fenced(client, ref);
      await client.query('UPDATE kafka_offsets SET next_offset = $4, updated_at = now() WHERE group_id = $1 AND topic = $2 AND "partition" = $3', [
        ref.group,
        ref.topic,
        ref.partition,
        String(next),
      ]);
    }
    const rows = await insert(client);
    await client.query('COMMIT');
    return { kind: 'committed', rows };
  } catch (err) {
    broken = true;
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    // A client whose connection failed mid-transaction is not given back to the pool.
    client.release(broken);
  }
}

async function fenced(client: pg.PoolClient, ref: PartitionRef): Promise<WriteResult> {
  await client.query('ROLLBACK');
  return { kind: 'fenced', stored: (await storedOffset(client, ref)) ?? 0n };
}

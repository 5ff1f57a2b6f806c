import type { KafkaMessage } from 'kafkajs';
import type pg from 'pg';

/** What a topic sink needs to know about its table: how to read a record into a row, and how to write a batch of rows. */
export interface TableSpec<Row> {
  /** The table's name, also the `table` label of the sink's metrics. */
  readonly table: string;
  /** Why this table's records can be skipped (metric series start at 0 for each). */
  readonly skipReasons: readonly string[];
  /** Registry lookups a batch's records need before `read` (Confluent framing); may throw (retried). */
  prepare(values: (Buffer | null)[]): Promise<void>;
  /** One record's row; undefined for a record that carries no row (a watermark). Throws InvalidRecordError for a bad one. */
  read(message: KafkaMessage, partition: number): Row | undefined;
  /** Before the transaction: whatever the rows need to exist (time partitions). */
  ensure?(db: pg.Pool, rows: readonly Row[]): Promise<void>;
  /** After a failed write: forget what `ensure` knew (a partition may have been dropped). */
  forget?(): void;
  /** Inside the transaction: writes the rows, returns how many. */
  insert(client: pg.PoolClient, rows: readonly Row[]): Promise<number>;
}

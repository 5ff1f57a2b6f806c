import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const secondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The sink's metrics (prefix tickerflow_sink_); series with known labels start at 0 for each table written. */
export function createSinkMetrics(registry: Registry, tables: readonly { table: string; skipReasons: readonly string[] }[]) {
  const registers = [registry];
  const rowsWritten = new Counter({
    name: 'tickerflow_sink_rows_written_total',
    help: 'Rows committed to PostgreSQL, by table.',
    labelNames: ['table'],
    registers,
  });
  const recordsSkipped = new Counter({
    name: 'tickerflow_sink_records_skipped_total',
    help: 'Input records that could not be used (undecodable or invalid), counted and skipped, by table and reason.',
    labelNames: ['table', 'reason'],
    registers,
  });
  const transactions = new Counter({
    name: 'tickerflow_sink_transactions_total',
    help: 'Database transactions (rows and offsets), by table and result: committed, failed (the database erred; retried), fenced (another instance had moved the offset on).',
    labelNames: ['table', 'result'],
    registers,
  });
  for (const { table, skipReasons } of tables) {
    rowsWritten.inc({ table }, 0);
    for (const reason of skipReasons) recordsSkipped.inc({ table, reason }, 0);
    for (const result of ['committed', 'failed', 'fenced']) transactions.inc({ table, result }, 0);
  }
  return {
    rowsWritten,
    recordsSkipped,
    transactions,
    batchDuration: new Histogram({
      name: 'tickerflow_sink_batch_duration_seconds',
      help: 'Write one fetched batch and its offset in one database transaction, by table.',
      labelNames: ['table'],
      buckets: secondsBuckets,
      registers,
    }),
    lag: new Gauge({
      name: 'tickerflow_sink_lag_records',
      help: 'Records in the partition not yet in the database (log end offset minus the stored next offset), per assigned partition.',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    databaseUp: new Gauge({
      name: 'tickerflow_sink_database_up',
      help: '1 while the last database round trip succeeded.',
      registers,
    }),
  };
}

export type SinkMetrics = ReturnType<typeof createSinkMetrics>;

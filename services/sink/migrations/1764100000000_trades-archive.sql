-- Up Migration
-- The raw trades archive (written only when SINK_TRADES_ENABLED), one row per
-- trades-topic record, partitioned by day of trade time so old days can be
-- dropped whole (DROP TABLE trades_pYYYYMMDD). The sink creates each day's
-- partition before it writes the first trade of that day. Trades have no
-- natural key (two identical trades are two trades); the record's partition
-- and offset say where each row came from.
CREATE TABLE trades (
  symbol text NOT NULL,
  trade_time timestamptz NOT NULL,
  price double precision NOT NULL,
  volume double precision NOT NULL,
  conditions text[] NOT NULL,
  received_at timestamptz NOT NULL,
  kafka_partition integer NOT NULL,
  kafka_offset bigint NOT NULL
) PARTITION BY RANGE (trade_time);
COMMENT ON TABLE trades IS 'Raw trades from the trades topic, written by tickerflow-sink exactly once, one partition per UTC day';
-- "One symbol over a time range"; created on each partition.
CREATE INDEX trades_symbol_time ON trades (symbol, trade_time);

-- Down Migration
DROP TABLE trades;

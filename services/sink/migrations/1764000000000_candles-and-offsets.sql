-- Up Migration
-- Final candles, one row per (symbol, interval, window start): the primary key
-- is also the index for "one symbol and interval over a time range".
CREATE TABLE candles (
  symbol text NOT NULL,
  "interval" text NOT NULL,
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL,
  open double precision NOT NULL,
  high double precision NOT NULL,
  low double precision NOT NULL,
  close double precision NOT NULL,
  volume double precision NOT NULL,
  vwap double precision NOT NULL,
  trade_count integer NOT NULL,
  PRIMARY KEY (symbol, "interval", window_start)
);
COMMENT ON TABLE candles IS 'Final OHLCV candles from the candles topic, written by tickerflow-sink exactly once';

-- The next Kafka offset to read per group, topic and partition, committed in
-- the same transaction as the rows it covers.
CREATE TABLE kafka_offsets (
  group_id text NOT NULL,
  topic text NOT NULL,
  "partition" integer NOT NULL,
  next_offset bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic, "partition")
);

-- Down Migration
DROP TABLE kafka_offsets;
DROP TABLE candles;

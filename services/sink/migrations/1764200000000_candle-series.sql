-- Up Migration
-- One row per (symbol, interval) in candles: its first and last window, kept by
-- the sink in the same transaction as the candles. What Grafana's history
-- variables and freshness table read, instead of scanning the whole candles
-- table on every dashboard load.
CREATE TABLE candle_series (
  symbol text NOT NULL,
  "interval" text NOT NULL,
  oldest timestamptz NOT NULL,
  newest timestamptz NOT NULL,
  newest_end timestamptz NOT NULL,
  PRIMARY KEY (symbol, "interval")
);
COMMENT ON TABLE candle_series IS 'Per symbol and interval: the first and last window start and the last window end in candles, kept by tickerflow-sink';
INSERT INTO candle_series (symbol, "interval", oldest, newest, newest_end)
SELECT symbol, "interval", min(window_start), max(window_start), max(window_end) FROM candles GROUP BY 1, 2;

-- Down Migration
DROP TABLE candle_series;

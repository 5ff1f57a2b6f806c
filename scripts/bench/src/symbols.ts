/** The symbols every benchmark subscribes or writes: stocks, crypto and forex, as Finnhub names them. */
export const BENCH_SYMBOLS = [
  'AAPL',
  'MSFT',
  'AMZN',
  'GOOG',
  'META',
  'NVDA',
  'TSLA',
  'BRK.B',
  'JPM',
  'V',
  'BINANCE:BTCUSDT',
  'BINANCE:ETHUSDT',
  'COINBASE:SOL-USD',
  'OANDA:EUR_USD',
  'OANDA:USD_JPY',
  'IC MARKETS:1',
];

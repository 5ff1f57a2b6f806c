import type { WireTrade } from '@tickerflow/common';

/** mulberry32: a tiny, fast, seedable PRNG, so a seed gives the same market every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type AssetClass = 'stock' | 'crypto' | 'forex';

const CRYPTO_EXCHANGES = /^(BINANCE|COINBASE|KRAKEN|BITFINEX|BITSTAMP|GEMINI|HUOBI|KUCOIN|OKEX|POLONIEX|BYBIT):/;
const FOREX_BROKERS = /^(OANDA|FXCM|FOREX\.COM|IC MARKETS|FXPRO|PEPPERSTONE|SAXO|OCTAFX):/i;

export function assetClass(symbol: string): AssetClass {
  if (CRYPTO_EXCHANGES.test(symbol)) return 'crypto';
  if (FOREX_BROKERS.test(symbol)) return 'forex';
  return 'stock';
}

const STOCK_CONDITIONS = [['1'], ['1', '12'], ['1', '8'], ['12'], ['1', '24'], []];

export interface MarketOptions {
  seed: number;
  /** Probability that a trade is repeated exactly in its frame (Finnhub sends exact duplicates). */
  duplicateRate?: number;
  /** Probability that a frame's trades are not in time order. */
  disorderRate?: number;
}

/**
 * A synthetic market: a random walk per symbol, with the quirks of each asset
 * class as Finnhub reports them (stock condition codes; crypto `c: null` and
 * fractional volumes; forex price updates with `v: 0` and no `c`).
 */
export function createMarket(opts: MarketOptions) {
  const random = seededRandom(opts.seed);
  const prices = new Map<string, number>();
  const duplicateRate = opts.duplicateRate ?? 0.01;
  const disorderRate = opts.disorderRate ?? 0.05;

  const startPrice = (symbol: string) => {
    switch (assetClass(symbol)) {
      case 'crypto':
        return 1000 + random() * 60_000;
      case 'forex':
        return 0.5 + random() * 1.5;
      default:
        return 10 + random() * 490;
    }
  };

  const trade = (symbol: string, timestamp: number): WireTrade => {
    const last = prices.get(symbol) ?? startPrice(symbol);
    const kind = assetClass(symbol);
    const step = (random() - 0.5) * (kind === 'forex' ? 0.0004 : 0.002);
    const decimals = kind === 'forex' ? 5 : 2;
    const price = Math.max(10 ** -decimals, Number((last * (1 + step)).toFixed(decimals)));
    prices.set(symbol, price);
    switch (kind) {
      case 'crypto':
        return { c: null, p: price, s: symbol, t: timestamp, v: Number((random() * 2).toFixed(8)) };
      case 'forex':
        return { p: price, s: symbol, t: timestamp, v: 0 };
      default: {
        // Whole-dollar prices arrive as JSON integers.
        const conditions = STOCK_CONDITIONS[Math.floor(random() * STOCK_CONDITIONS.length)]!;
        return { c: conditions, p: price, s: symbol, t: timestamp, v: 1 + Math.floor(random() * 500) };
      }
    }
  };

  return {
    /** `count` trades spread over `symbols`, timestamped around `now`. */
    trades(symbols: readonly string[], count: number, now: number): WireTrade[] {
      const out: WireTrade[] = [];
      if (symbols.length === 0) return out;
      for (let i = 0; i < count; i++) {
        const symbol = symbols[Math.floor(random() * symbols.length)]!;
        out.push(trade(symbol, now - Math.floor(random() * 50)));
      }
      out.sort((a, b) => a.t - b.t);
      return out;
    },
    /** Splits trades into frames of several symbols each, adding Finnhub's duplicates and disorder. */
    frames(trades: readonly WireTrade[], maxPerFrame: number): WireTrade[][] {
      const frames: WireTrade[][] = [];
      for (let i = 0; i < trades.length; i += maxPerFrame) {
        const frame = trades.slice(i, i + maxPerFrame);
        if (frame.length > 1 && random() < disorderRate) {
          const j = Math.floor(random() * (frame.length - 1));
          [frame[j], frame[j + 1]] = [frame[j + 1]!, frame[j]!];
        }
        if (frame.length > 0 && random() < duplicateRate) {
          const j = Math.floor(random() * frame.length);
          frame.splice(j, 0, { ...frame[j]! });
        }
        frames.push(frame);
      }
      return frames;
    },
  };
}

export type Market = ReturnType<typeof createMarket>;

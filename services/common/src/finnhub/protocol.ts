/**
 * The Finnhub WebSocket protocol (../shared/DESIGN.md §2): server frames are
 * classified, never thrown. Symbols are opaque strings, kept exactly as sent.
 */

export interface Trade {
  symbol: string;
  price: number;
  volume: number;
  /** Exchange time, epoch milliseconds. */
  timestamp: number;
  conditions: string[];
}

export type Frame =
  | { kind: 'trade'; trades: Trade[]; invalidTrades: number }
  | { kind: 'ping' }
  | { kind: 'error'; message: string }
  | { kind: 'news'; type: string }
  | { kind: 'unknown'; type: string }
  | { kind: 'malformed'; reason: string };

export type FrameKind = Frame['kind'];
export const frameKinds: readonly FrameKind[] = ['trade', 'ping', 'error', 'news', 'unknown', 'malformed'];

const NEWS_TYPES = new Set(['news', 'pr', 'press-release']);

export function parseFrame(text: string): Frame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'malformed', reason: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'malformed', reason: 'not a JSON object' };
  }
  const frame = value as Record<string, unknown>;
  const type = frame.type;
  if (typeof type !== 'string') return { kind: 'malformed', reason: 'no type' };
  switch (type) {
    case 'ping':
      return { kind: 'ping' };
    case 'error':
      return { kind: 'error', message: typeof frame.msg === 'string' ? frame.msg : '' };
    case 'trade': {
      if (!Array.isArray(frame.data)) return { kind: 'malformed', reason: 'trade frame without a data list' };
      const trades: Trade[] = [];
      let invalidTrades = 0;
      for (const item of frame.data) {
        const trade = parseTrade(item);
        if (trade) trades.push(trade);
        else invalidTrades++;
      }
      return { kind: 'trade', trades, invalidTrades };
    }
    default:
      return NEWS_TYPES.has(type) ? { kind: 'news', type } : { kind: 'unknown', type };
  }
}

function parseTrade(item: unknown): Trade | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const { s, p, t, v, c } = item as Record<string, unknown>;
  if (typeof s !== 'string' || s.length === 0) return undefined;
  if (typeof p !== 'number' || !Number.isFinite(p)) return undefined;
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return undefined;
  let conditions: string[];
  if (c === undefined || c === null) conditions = [];
  else if (Array.isArray(c) && c.every((x) => typeof x === 'string')) conditions = c;
  else return undefined;
  return { symbol: s, price: p, volume: v, timestamp: t, conditions };
}

/**
 * Bounds on what one trade may carry, checked before it is queued for Kafka:
 * far above anything Finnhub sends (symbols are short, a stock trade has a
 * few condition codes), far below a topic's max.message.bytes, so no frame can
 * make a record the broker would refuse.
 */
export const TRADE_LIMITS = { symbolBytes: 128, conditions: 32, conditionBytes: 32 } as const;

/** Why a trade is too large to be a record, or undefined. */
export function tradeSizeProblem(trade: Pick<Trade, 'symbol' | 'conditions'>): string | undefined {
  // A UTF-16 unit is at most 3 UTF-8 bytes: short symbols need no byte count.
  if (trade.symbol.length * 3 > TRADE_LIMITS.symbolBytes && Buffer.byteLength(trade.symbol) > TRADE_LIMITS.symbolBytes)
    return `symbol longer than ${TRADE_LIMITS.symbolBytes} bytes`;
  if (trade.conditions.length > TRADE_LIMITS.conditions) return `more than ${TRADE_LIMITS.conditions} condition codes`;
  if (trade.conditions.some((c) => Buffer.byteLength(c) > TRADE_LIMITS.conditionBytes))
    return `a condition code longer than ${TRADE_LIMITS.conditionBytes} bytes`;
  return undefined;
}

/** Client → server messages. */
export const subscribeMessage = (symbol: string): string => JSON.stringify({ type: 'subscribe', symbol });
export const unsubscribeMessage = (symbol: string): string => JSON.stringify({ type: 'unsubscribe', symbol });

/** Server → client frames, as Finnhub writes them (used by the simulator). */
export interface WireTrade {
  s: string;
  p: number;
  t: number;
  v: number;
  c?: string[] | null;
}
export const tradeFrame = (data: readonly WireTrade[]): string => JSON.stringify({ data, type: 'trade' });
export const pingFrame = (): string => '{"type":"ping"}';
export const errorFrame = (msg: string): string => JSON.stringify({ msg, type: 'error' });

/** Finnhub's error texts, and what they say about a symbol. */
export const TOO_MANY_SYMBOLS = 'Subscribing to too many symbols';
export const invalidSymbolMessage = (symbol: string): string => `Invalid symbol ${symbol}`;
export function invalidSymbolIn(message: string): string | undefined {
  return message.startsWith('Invalid symbol ') ? message.slice('Invalid symbol '.length) : undefined;
}

/** The wire trade (c null/absent → []) as our Trade, for comparisons in tests. */
export function fromWire(w: WireTrade): Trade {
  return { symbol: w.s, price: w.p, volume: w.v, timestamp: w.t, conditions: w.c ?? [] };
}

import { invalidSymbolIn, TOO_MANY_SYMBOLS } from '@tickerflow/common';

export type SymbolStatus = 'pending' | 'subscribed' | 'rejected' | 'over-limit';
export const symbolStatuses: readonly SymbolStatus[] = ['pending', 'subscribed', 'rejected', 'over-limit'];

export interface SymbolState {
  symbol: string;
  status: SymbolStatus;
  /** Finnhub's text when it rejected the symbol, or why it is over the limit. */
  message?: string;
  /** Exchange time of the last trade seen, epoch milliseconds. */
  lastTradeAt?: number;
  /** When the subscribe was sent, epoch milliseconds. */
  sentAt?: number;
}

/**
 * What Finnhub did with each wanted symbol. Finnhub never confirms a
 * subscription: a symbol is subscribed once it trades, or once `acceptAfterMs`
 * passes without an error. `Invalid symbol X` names its symbol; `Subscribing
 * to too many symbols` does not, and Finnhub sends one per excess subscribe in
 * order, so each is charged to the most recently sent symbol not yet charged
 * and not yet seen trading.
 */
export function createSymbolStates(opts: { acceptAfterMs: number; now: () => number }) {
  const states = new Map<string, SymbolState>();
  // Send order: many subscribes go out in the same millisecond.
  const sendOrder = new Map<string, number>();
  let sends = 0;

  return {
    /** Replaces the wanted set; states of symbols still wanted are kept. */
    want(symbols: readonly string[], overLimit: readonly string[], limit: number) {
      const next = new Map<string, SymbolState>();
      for (const s of symbols) next.set(s, states.get(s) ?? { symbol: s, status: 'pending' });
      for (const s of overLimit) {
        next.set(s, { symbol: s, status: 'over-limit', message: `beyond the configured limit of ${limit} symbols`, lastTradeAt: states.get(s)?.lastTradeAt });
      }
      states.clear();
      for (const [k, v] of next) states.set(k, v);
      // Only wanted symbols are remembered: churn in the symbol list cannot grow this.
      for (const s of sendOrder.keys()) if (!states.has(s)) sendOrder.delete(s);
    },
    subscribeSent(symbol: string) {
      const state = states.get(symbol);
      if (!state) return;
      state.status = 'pending';
      state.sentAt = opts.now();
      sendOrder.set(symbol, ++sends);
      delete state.message;
    },
    trade(symbol: string, timestamp: number) {
      const state = states.get(symbol);
      if (!state) return;
      if (state.status === 'pending') state.status = 'subscribed';
      if (state.lastTradeAt === undefined || timestamp > state.lastTradeAt) state.lastTradeAt = timestamp;
    },
    /** Applies a Finnhub error frame; returns the symbol it was charged to, if any. */
    error(message: string): string | undefined {
      const invalid = invalidSymbolIn(message);
      if (invalid !== undefined) {
        const state = states.get(invalid);
        if (!state) return undefined;
        state.status = 'rejected';
        state.message = message;
        return invalid;
      }
      if (message === TOO_MANY_SYMBOLS) {
        const candidate = [...states.values()]
          .filter((s) => s.sentAt !== undefined && s.status !== 'over-limit' && s.status !== 'rejected' && s.lastTradeAt === undefined)
          .sort((a, b) => sendOrder.get(b.symbol)! - sendOrder.get(a.symbol)!)[0];
        if (!candidate) return undefined;
        candidate.status = 'over-limit';
        candidate.message = message;
        return candidate.symbol;
      }
      return undefined;
    },
    /** Pending symbols without an error for acceptAfterMs count as subscribed. */
    tick() {
      const now = opts.now();
      for (const s of states.values()) {
        if (s.status === 'pending' && s.sentAt !== undefined && now - s.sentAt >= opts.acceptAfterMs) s.status = 'subscribed';
      }
    },
    /** The connection is gone: everything sent must be sent again. */
    reset() {
      for (const s of states.values()) {
        if (s.status !== 'over-limit' || s.message === TOO_MANY_SYMBOLS) {
          s.status = 'pending';
          delete s.sentAt;
          delete s.message;
        }
      }
    },
    get: (symbol: string) => states.get(symbol),
    snapshot: (): SymbolState[] => [...states.values()].map((s) => ({ ...s })),
  };
}

export type SymbolStates = ReturnType<typeof createSymbolStates>;

import type { ObservedSymbolState, ProducerStateReport } from '@tickerflow/common';

export type SymbolPhase = ObservedSymbolState | 'suspended' | 'unknown';

export interface SymbolStatus {
  symbol: string;
  state: SymbolPhase;
  message?: string;
  lastTradeTime?: string;
}

/** Ready condition reasons (event reasons are in event-reasons.ts). */
export const ReadyReason = {
  Streaming: 'Streaming',
  Pending: 'Pending',
  SymbolsRejected: 'SymbolsRejected',
  SymbolLimitExceeded: 'SymbolLimitExceeded',
  Suspended: 'Suspended',
  ProducerStateMissing: 'ProducerStateMissing',
  ProducerStateStale: 'ProducerStateStale',
  ProducerDisconnected: 'ProducerDisconnected',
} as const;

export interface ReadySummary {
  status: 'True' | 'False' | 'Unknown';
  reason: (typeof ReadyReason)[keyof typeof ReadyReason];
  message: string;
}

export interface ObservedStatus {
  symbols: SymbolStatus[];
  symbolCount: number;
  activeCount: number;
  lastTradeTime?: string;
  producerStateTime?: string;
  ready: ReadySummary;
}

export interface ObserveInput {
  symbols: readonly string[];
  suspend: boolean;
  /** Its symbols that did not fit under the limit (from desiredSymbols). */
  overLimit: readonly string[];
  limit: number;
  /** The producer's last report; undefined when there is none. */
  report: ProducerStateReport | undefined;
  /** The report is older than this: the producer is gone, its states are not current. */
  staleAfterMs: number;
  now: number;
}

const list = (symbols: readonly string[], max = 10) => symbols.slice(0, max).join(', ') + (symbols.length > max ? ` and ${symbols.length - max} more` : '');

/**
 * One subscription's status from the desired state and the producer's report.
 * Pure. A stale or missing report makes every symbol `unknown` and Ready
 * Unknown, never the old `subscribed`.
 */
export function observe(input: ObserveInput): ObservedStatus {
  const { report } = input;
  const reportAge = report ? input.now - Date.parse(report.reportedAt) : Infinity;
  const fresh = report !== undefined && reportAge <= input.staleAfterMs;
  const bySymbol = new Map((fresh ? report.symbols : []).map((s) => [s.symbol, s]));
  const over = new Set(input.overLimit);
  const symbols = input.symbols.map((symbol): SymbolStatus => {
    if (input.suspend) return { symbol, state: 'suspended' };
    if (over.has(symbol)) return { symbol, state: 'overLimit', message: `beyond the limit of ${input.limit} symbols (FINNHUB_SYMBOL_LIMIT)` };
    if (!fresh)
      return { symbol, state: 'unknown', message: report ? `the producer's last report is from ${report.reportedAt}` : 'no report from the producer yet' };
    const seen = bySymbol.get(symbol);
    if (!seen) return { symbol, state: 'pending', message: 'not yet picked up by the producer' };
    return { symbol, state: seen.state, ...(seen.message && { message: seen.message }), ...(seen.lastTradeTime && { lastTradeTime: seen.lastTradeTime }) };
  });
  const active = symbols.filter((s) => s.state === 'subscribed');
  const lastTradeTime = symbols.reduce<string | undefined>(
    (max, s) => (s.lastTradeTime && (!max || Date.parse(s.lastTradeTime) > Date.parse(max)) ? s.lastTradeTime : max),
    undefined,
  );
  return {
    symbols,
    symbolCount: symbols.length,
    activeCount: active.length,
    ...(lastTradeTime && { lastTradeTime }),
    ...(report && { producerStateTime: report.reportedAt }),
    ready: readiness(input, symbols, fresh),
  };
}

function readiness(input: ObserveInput, symbols: readonly SymbolStatus[], fresh: boolean): ReadySummary {
  const named = (state: SymbolPhase) => symbols.filter((s) => s.state === state).map((s) => s.symbol);
  if (input.suspend) return { status: 'False', reason: ReadyReason.Suspended, message: 'suspended: contributes no symbols' };
  const overByUs = input.overLimit;
  if (overByUs.length > 0) {
    return { status: 'False', reason: ReadyReason.SymbolLimitExceeded, message: `over the limit of ${input.limit} symbols: ${list(overByUs)}` };
  }
  if (!input.report) return { status: 'Unknown', reason: ReadyReason.ProducerStateMissing, message: 'no report from the producer yet' };
  if (!fresh) return { status: 'Unknown', reason: ReadyReason.ProducerStateStale, message: `the producer's last report is from ${input.report.reportedAt}` };
  const rejected = symbols.filter((s) => s.state === 'rejected');
  if (rejected.length > 0) {
    return {
      status: 'False',
      reason: ReadyReason.SymbolsRejected,
      message: `Finnhub rejected ${list(
        rejected.map((s) => `${s.symbol} (${s.message ?? 'no message'})`),
        5,
      )}`,
    };
  }
  const overByFinnhub = named('overLimit');
  if (overByFinnhub.length > 0) {
    return { status: 'False', reason: ReadyReason.SymbolLimitExceeded, message: `Finnhub refused over the plan's limit: ${list(overByFinnhub)}` };
  }
  if (!input.report.connected) return { status: 'False', reason: ReadyReason.ProducerDisconnected, message: 'the producer is not connected to Finnhub' };
  const pending = named('pending');
  if (pending.length > 0) return { status: 'False', reason: ReadyReason.Pending, message: `waiting for Finnhub: ${list(pending)}` };
  return { status: 'True', reason: ReadyReason.Streaming, message: `all ${symbols.length} symbols subscribed` };
}

/** When the report will turn stale (a reconcile is due then), or undefined. */
export function staleAt(report: ProducerStateReport | undefined, staleAfterMs: number): number | undefined {
  return report ? Date.parse(report.reportedAt) + staleAfterMs : undefined;
}

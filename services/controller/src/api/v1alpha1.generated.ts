// Generated from k8s/crds/tickersubscriptions.tickerflow.io.yaml (openAPIV3Schema of v1alpha1). Do not edit:
// change the CRD and run `npm run generate -w services/controller`.
// A unit test (src/api/v1alpha1.test.ts) fails when this file and the CRD drift apart.

/**
 * What the subscription asks for.
 */
export interface TickerSubscriptionSpec {
  /**
   * The Finnhub symbols whose trades to stream, e.g. AAPL, BINANCE:BTCUSDT, OANDA:EUR_USD. Between 1 and 500 symbols, each listed once. A symbol is an opaque string of 1 to 64 characters that does not start or end with whitespace and contains no control characters; whether Finnhub knows it is reported per symbol in status.symbols.
   *
   * @minItems 1
   * @maxItems 500
   *
   * Items: A Finnhub symbol, e.g. AAPL or BINANCE:BTCUSDT.
   */
  symbols: string[];
  /**
   * Suspends the subscription: while true it contributes no symbols to the producer (they are unsubscribed unless another subscription lists them), and its status says so (every symbol in state suspended, Ready False with reason Suspended). Defaults to false.
   */
  suspend?: boolean;
}

/**
 * The status of the condition, one of True, False, Unknown.
 */
export type ConditionStatus = 'True' | 'False' | 'Unknown';
/**
 * subscribed: Finnhub accepted it and trades stream; pending: asked for and not yet confirmed by the producer; rejected: Finnhub refused it (see message); overLimit: left out because the union of all subscriptions exceeds the plan's symbol limit; suspended: the subscription is suspended; unknown: the producer has not reported (recently).
 */
export type SymbolState = 'subscribed' | 'pending' | 'rejected' | 'overLimit' | 'suspended' | 'unknown';

/**
 * What the controller observed; written only by the controller.
 */
export interface TickerSubscriptionStatus {
  /**
   * The metadata.generation of the spec this status describes.
   */
  observedGeneration?: number;
  /**
   * The latest observations of the subscription's state. Ready is True when every symbol is streaming (subscribed), False otherwise, with a reason and a message saying why.
   */
  conditions?: TickerSubscriptionCondition[];
  /**
   * The state of each symbol the subscription lists, as the producer reported it.
   */
  symbols?: SymbolStatus[];
  /**
   * How many symbols the subscription lists.
   */
  symbolCount?: number;
  /**
   * How many of its symbols are streaming trades (state subscribed).
   */
  activeCount?: number;
  /**
   * When the newest trade of any of its symbols happened.
   */
  lastTradeTime?: string;
  /**
   * When the producer last reported what Finnhub accepted; if this is old, the per-symbol states may be stale.
   */
  producerStateTime?: string;
}
/**
 * One aspect of the subscription's state (mirrors metav1.Condition).
 */
export interface TickerSubscriptionCondition {
  /**
   * The type of the condition in CamelCase, e.g. Ready.
   */
  type: string;
  status: ConditionStatus;
  /**
   * The metadata.generation of the spec the condition was set for.
   */
  observedGeneration?: number;
  /**
   * When the condition last changed from one status to another.
   */
  lastTransitionTime: string;
  /**
   * A programmatic identifier in CamelCase for the condition's last transition.
   */
  reason: string;
  /**
   * A human-readable message with details about the transition; may be empty.
   */
  message: string;
}
/**
 * The state of one symbol.
 */
export interface SymbolStatus {
  /**
   * The symbol, as listed in spec.symbols.
   */
  symbol: string;
  state: SymbolState;
  /**
   * Details of the state; for rejected, Finnhub's own words.
   */
  message?: string;
  /**
   * When the newest trade of the symbol that the producer saw happened.
   */
  lastTradeTime?: string;
}

/** Reasons of the Events the controller records on TickerSubscriptions: constants, so alerts and `kubectl get events --field-selector reason=` can rely on them. */
export const EventReason = {
  /** The Ready condition changed; the Event's message is the condition's. */
  Streaming: 'Streaming',
  SymbolLimitExceeded: 'SymbolLimitExceeded',
  SymbolsRejected: 'SymbolsRejected',
  Suspended: 'Suspended',
  ProducerStateStale: 'ProducerStateStale',
  /** Writing the status failed (retried with backoff). */
  StatusWriteFailed: 'StatusWriteFailed',
} as const;

export type EventReasonValue = (typeof EventReason)[keyof typeof EventReason];

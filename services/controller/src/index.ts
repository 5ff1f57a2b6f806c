// The TickerSubscription controller: its API types and the pure parts, for tests and tools.
export * from './api/v1alpha1.js';
export { desiredSymbols, type SubscriptionView } from './desired.js';
export { observe } from './status.js';

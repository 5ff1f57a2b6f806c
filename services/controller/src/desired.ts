/** What the desired-state computation needs of a TickerSubscription. */
export interface SubscriptionView {
  /** `namespace/name`. */
  key: string;
  /** RFC 3339, from metadata.creationTimestamp: older subscriptions keep their symbols when the limit is reached. */
  createdAt: string;
  symbols: readonly string[];
  suspend: boolean;
}

export interface DesiredSymbols {
  /** What the producer should stream: de-duplicated, in a deterministic order, at most `limit`. */
  symbols: string[];
  /** Per subscription key, its symbols that did not fit under the limit (only subscriptions with any). */
  overLimit: Map<string, string[]>;
}

/**
 * The union of the live subscriptions' symbols, capped at the plan's limit:
 * oldest subscription first (then by key), each in its spec order, so the
 * same subscriptions always give the same list and a new subscription can
 * never push out symbols that were already streaming. Suspended
 * subscriptions contribute nothing. Pure.
 */
export function desiredSymbols(subscriptions: readonly SubscriptionView[], limit: number): DesiredSymbols {
  const ordered = subscriptions.filter((s) => !s.suspend).sort((a, b) => compareAge(a, b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const kept = new Set<string>();
  const overLimit = new Map<string, string[]>();
  for (const sub of ordered) {
    for (const symbol of sub.symbols) {
      if (kept.has(symbol)) continue;
      if (kept.size < limit) {
        kept.add(symbol);
        continue;
      }
      const over = overLimit.get(sub.key) ?? [];
      if (!over.includes(symbol)) over.push(symbol);
      overLimit.set(sub.key, over);
    }
  }
  return { symbols: [...kept], overLimit };
}

function compareAge(a: SubscriptionView, b: SubscriptionView): number {
  const ta = Date.parse(a.createdAt);
  const tb = Date.parse(b.createdAt);
  return (Number.isFinite(ta) ? ta : Infinity) - (Number.isFinite(tb) ? tb : Infinity) || 0;
}

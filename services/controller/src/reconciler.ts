import {
  decodeDesiredSymbols,
  decodeProducerState,
  keyOf,
  setCondition,
  semanticallyEqual,
  type Logger,
  type ProducerStateReport,
  type Reconciler,
} from '@tickerflow/common';
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import type { TickerSubscription, TickerSubscriptionStatus } from './api/v1alpha1.js';
import { desiredSymbols, type DesiredSymbols, type SubscriptionView } from './desired.js';
import { EventReason } from './event-reasons.js';
import type { ControllerMetrics } from './metrics.js';
import { observe, staleAt, ReadyReason } from './status.js';

/** The queue key of the symbols ConfigMap (subscription keys are `namespace/name`, which never start with a slash). */
export const SYMBOLS_QUEUE_KEY = '/symbols';

/** What the reconciler reads (informer caches) and writes (the API), injected. */
export interface ReconcilerDeps {
  subscriptions(): readonly TickerSubscription[];
  subscription(key: string): TickerSubscription | undefined;
  symbolsConfigMap(): V1ConfigMap | undefined;
  producerStateConfigMap(): V1ConfigMap | undefined;
  applySymbols(symbols: readonly string[]): Promise<void>;
  applyStatus(subscription: TickerSubscription, status: TickerSubscriptionStatus): Promise<void>;
  recordEvent(subject: KubernetesObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
  metrics: ControllerMetrics;
  logger: Logger;
  now(): number;
}

export interface ReconcilerOptions {
  limit: number;
  staleAfterMs: number;
}

const view = (s: TickerSubscription): SubscriptionView => ({
  key: keyOf(s),
  createdAt: String(s.metadata?.creationTimestamp ?? ''),
  symbols: s.spec.symbols,
  suspend: s.spec.suspend === true,
});

const READY_EVENT: Record<string, { type: 'Normal' | 'Warning'; reason: string }> = {
  [ReadyReason.Streaming]: { type: 'Normal', reason: EventReason.Streaming },
  [ReadyReason.SymbolLimitExceeded]: { type: 'Warning', reason: EventReason.SymbolLimitExceeded },
  [ReadyReason.SymbolsRejected]: { type: 'Warning', reason: EventReason.SymbolsRejected },
  [ReadyReason.Suspended]: { type: 'Normal', reason: EventReason.Suspended },
  [ReadyReason.ProducerStateStale]: { type: 'Warning', reason: EventReason.ProducerStateStale },
};

/**
 * Level-triggered: a key names what to make right, never what happened. The
 * symbols ConfigMap is a pure function of the live subscriptions (so deleting
 * one needs no finalizer); a subscription's status is a pure function of the
 * desired state and the producer's report, written only when it differs.
 */
export function createReconciler(opts: ReconcilerOptions, deps: ReconcilerDeps): Reconciler & { desired(): DesiredSymbols; subscriptionsChanged(): void } {
  // Every subscription's status depends on all of them (who is over the limit): computed once per change, not per reconcile.
  let memo: DesiredSymbols | undefined;
  const desired = () => (memo ??= desiredSymbols(deps.subscriptions().map(view), opts.limit));

  function producerReport(): ProducerStateReport | undefined {
    try {
      return decodeProducerState(deps.producerStateConfigMap()?.data);
    } catch (err) {
      // Not ours to fix: reported as missing (Ready Unknown), and logged.
      deps.logger.warn({ err }, 'the producer state ConfigMap is malformed; treating it as missing');
      return undefined;
    }
  }

  async function reconcileSymbols() {
    const { symbols, overLimit } = desired();
    deps.metrics.desiredSymbols.set(symbols.length);
    deps.metrics.overLimitSymbols.set(new Set([...overLimit.values()].flat()).size);
    const current = deps.symbolsConfigMap();
    let currentSymbols: string[] | undefined;
    try {
      currentSymbols = current ? decodeDesiredSymbols(current.data) : undefined;
    } catch {
      // Malformed (edited by hand): rewritten below.
      currentSymbols = undefined;
    }
    if (semanticallyEqual(currentSymbols, symbols)) return {};
    await deps.applySymbols(symbols);
    deps.metrics.symbolsWrites.inc();
    deps.logger.info({ symbols: symbols.length, overLimit: overLimit.size }, 'symbols ConfigMap updated');
    return {};
  }

  async function reconcileSubscription(key: string) {
    const sub = deps.subscription(key);
    // Deleted: its symbols leave the ConfigMap through the symbols key; nothing else to clean up.
    if (!sub) return {};
    const now = deps.now();
    const report = producerReport();
    const state = desired();
    const observed = observe({
      symbols: sub.spec.symbols,
      suspend: sub.spec.suspend === true,
      overLimit: state.overLimit.get(key) ?? [],
      limit: opts.limit,
      report,
      staleAfterMs: opts.staleAfterMs,
      now,
    });
    const generation = sub.metadata?.generation ?? 0;
    const previous = sub.status;
    const conditions = setCondition(previous?.conditions ?? [], { type: 'Ready', ...observed.ready, observedGeneration: generation }, new Date(now));
    const { ready: _ready, ...rest } = observed;
    const status: TickerSubscriptionStatus = { observedGeneration: generation, conditions, ...rest };
    if (!semanticallyEqual(previous ?? {}, status)) {
      deps.logger.debug({ key, previous, status }, 'status changed');
      await deps.applyStatus(sub, status);
      deps.metrics.statusWrites.inc();
      const before = previous?.conditions?.find((c) => c.type === 'Ready');
      const event = READY_EVENT[observed.ready.reason];
      if (event && (before?.reason !== observed.ready.reason || before?.message !== observed.ready.message)) {
        await deps
          .recordEvent(sub, event.type, event.reason, observed.ready.message)
          .catch((err: unknown) => deps.logger.warn({ err, key }, 'cannot record an event'));
      }
    }
    // A fresh report turns stale at a known time: look again then, even if nothing else happens.
    const due = staleAt(report, opts.staleAfterMs);
    return due !== undefined && due > now ? { requeueAfter: due - now + 1000 } : {};
  }

  return {
    desired,
    subscriptionsChanged: () => {
      memo = undefined;
    },
    async reconcile(key) {
      const kind = key === SYMBOLS_QUEUE_KEY ? 'symbols' : 'subscription';
      const end = deps.metrics.reconcileDuration.startTimer({ kind });
      try {
        return key === SYMBOLS_QUEUE_KEY ? await reconcileSymbols() : await reconcileSubscription(key);
      } finally {
        end();
      }
    },
  };
}

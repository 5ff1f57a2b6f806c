import { setTimeout as sleep } from 'node:timers/promises';
import { KubernetesObjectApi, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import {
  applyObject,
  encodeProducerState,
  worthLogging,
  type Logger,
  type ObservedSymbolState,
  type Owners,
  type ProducerStateReport,
} from '@tickerflow/common';
import type { SymbolState, SymbolStatus } from '../finnhub/symbol-state.js';

/**
 * The leader's observed state, written to the state ConfigMap the controller
 * folds into each TickerSubscription's status: what Finnhub accepted, rejected
 * (its words), what is over the limit, and when each symbol last traded.
 *
 * Written at most once every `intervalMs` and only when it changed, but at
 * least every `heartbeatMs`: `reportedAt` is then a liveness signal, and the
 * controller treats a report older than about four heartbeats as stale (the
 * producer is gone) rather than showing its last "subscribed". A failed write
 * is logged (the first and every tenth), counted, and tried again next tick.
 */

const observed: Record<SymbolStatus, ObservedSymbolState> = {
  pending: 'pending',
  subscribed: 'subscribed',
  rejected: 'rejected',
  'over-limit': 'overLimit',
};

/** What the report is built from: the symbol states and whether the socket is open. */
export interface ObservedSnapshot {
  connected: boolean;
  symbols: readonly SymbolState[];
}

export function buildStateReport(snapshot: ObservedSnapshot, identity: string, now: number): ProducerStateReport {
  return {
    reportedAt: new Date(now).toISOString(),
    identity,
    connected: snapshot.connected,
    symbols: snapshot.symbols.map((s) => ({
      symbol: s.symbol,
      state: observed[s.status],
      ...(s.message !== undefined && s.status !== 'pending' && s.status !== 'subscribed' && { message: s.message }),
      ...(s.lastTradeAt !== undefined && { lastTradeTime: new Date(s.lastTradeAt).toISOString() }),
    })),
  };
}

/** The same observation, whenever it was made: reportedAt alone is no change. */
export function sameObservation(a: ProducerStateReport, b: ProducerStateReport): boolean {
  return JSON.stringify({ ...a, reportedAt: '' }) === JSON.stringify({ ...b, reportedAt: '' });
}

/** Whether a report is due: none written yet, something changed, or the heartbeat is up. */
export function reportDue(next: ProducerStateReport, last: { report: ProducerStateReport; at: number } | undefined, now: number, heartbeatMs: number): boolean {
  return last === undefined || !sameObservation(next, last.report) || now - last.at >= heartbeatMs;
}

export const FIELD_MANAGER = 'tickerflow-producer';

/** Writes a report to the state ConfigMap by server-side apply: this producer owns `data` (one writer: the leader). */
export function producerStateWriter(
  kc: KubeConfig,
  where: { namespace: string; name: string; owners?: Owners },
): (report: ProducerStateReport) => Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  return async (report) => {
    const configMap: V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: where.name,
        namespace: where.namespace,
        labels: { 'app.kubernetes.io/part-of': 'tickerflow', 'app.kubernetes.io/component': 'producer' },
        ...(where.owners && { ownerReferences: await where.owners() }),
      },
      data: encodeProducerState(report),
    };
    await applyObject(client, configMap, FIELD_MANAGER);
  };
}

export interface StateReporterOptions {
  identity: string;
  intervalMs: number;
  heartbeatMs: number;
  /** A write that has not answered by then counts as failed (default 10 s), so a hung request cannot stop the reports. */
  writeTimeoutMs?: number;
}

export interface StateReporterDeps {
  observe(): ObservedSnapshot;
  /** Writes the report (server-side apply of the state ConfigMap). */
  write(report: ProducerStateReport): Promise<void>;
  logger: Logger;
  events: { written(at: number): void; failed(): void };
  now?: () => number;
}

export function createStateReporter(opts: StateReporterOptions, deps: StateReporterDeps) {
  const now = deps.now ?? Date.now;
  let last: { report: ProducerStateReport; at: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let running = false;
  let failures = 0;

  async function writeIfDue(force: boolean) {
    const at = now();
    const report = buildStateReport(deps.observe(), opts.identity, at);
    if (!force && !reportDue(report, last, at, opts.heartbeatMs)) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeoutMs = opts.writeTimeoutMs ?? 10_000;
      await Promise.race([
        deps.write(report),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      last = { report, at };
      if (failures > 0) deps.logger.info({ failures }, 'state ConfigMap written again');
      failures = 0;
      deps.events.written(at);
    } catch (err) {
      failures++;
      deps.events.failed();
      if (worthLogging(failures)) deps.logger.error({ err, failures }, 'cannot write the state ConfigMap; trying again next interval');
    } finally {
      clearTimeout(timer);
    }
  }

  function schedule(delayMs: number) {
    timer = setTimeout(() => {
      timer = undefined;
      inFlight = writeIfDue(false).finally(() => {
        inFlight = undefined;
        if (running) schedule(opts.intervalMs);
      });
    }, delayMs);
  }

  return {
    /** Starts reporting (now, then every interval): call on becoming the one writer. */
    start() {
      if (running) return;
      running = true;
      last = undefined;
      schedule(0);
    },
    /**
     * Stops reporting; waits (up to 2 s) for a write in flight, so that it
     * lands before another leader can start. `final` writes one last report
     * (bounded by its timeout): for a graceful stop while still the leader.
     */
    async stop(final?: { timeoutMs: number }) {
      const wasRunning = running;
      running = false;
      clearTimeout(timer);
      timer = undefined;
      if (inFlight) await Promise.race([inFlight, sleep(2000)]);
      if (final && wasRunning) await Promise.race([writeIfDue(true), sleep(final.timeoutMs)]);
    },
  };
}

export type StateReporter = ReturnType<typeof createStateReporter>;

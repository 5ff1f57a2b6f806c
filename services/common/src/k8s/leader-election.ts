import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease, type V1LeaseSpec, type V1OwnerReference } from '@kubernetes/client-node';
import type { Logger } from '../logger.js';
import { worthLogging } from '../retry.js';

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's
 * leaderelection does it.
 *
 * The guarantee (why the producer can promise never two Finnhub connections):
 * a leader counts its renew deadline from just before it sent its last
 * successful write, and stops leading (awaiting onStoppedLeading) when the
 * deadline passes without another. A standby takes the Lease over only after
 * it has seen the same record, unchanged, for the record's full
 * leaseDurationSeconds by its own clock: it saw that record after it was
 * written, so after the leader sent it. Since renewDeadline < leaseDuration,
 * the old leader has stopped before the standby can start, with
 * leaseDuration - renewDeadline (5 s by default) for onStoppedLeading to
 * finish. Remote timestamps are never compared with our clock, so clock skew
 * between nodes does not matter; only the rate at which clocks run does.
 * Every write carries the resourceVersion it read, so of two writers racing
 * one gets 409 Conflict, and a leader that gets one stops leading at once.
 */

export type LeaseApi = Pick<CoordinationV1Api, 'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'>;

/** The `LEADER_ELECTION_*` and `POD_NAME` settings every elected service reads from its environment. */
export interface LeaderElectionSettings {
  LEADER_ELECTION_LEASE: string;
  LEADER_ELECTION_LEASE_DURATION_SECONDS: number;
  LEADER_ELECTION_RENEW_DEADLINE_SECONDS: number;
  LEADER_ELECTION_RETRY_PERIOD_SECONDS: number;
  POD_NAME: string;
}

/** The Lease and its timing from a service's configuration, in the elector's terms. */
export const leaseOptions = (config: LeaderElectionSettings) => ({
  name: config.LEADER_ELECTION_LEASE,
  identity: config.POD_NAME,
  leaseDurationMs: config.LEADER_ELECTION_LEASE_DURATION_SECONDS * 1000,
  renewDeadlineMs: config.LEADER_ELECTION_RENEW_DEADLINE_SECONDS * 1000,
  retryPeriodMs: config.LEADER_ELECTION_RETRY_PERIOD_SECONDS * 1000,
});

export interface LeaderElectorOptions {
  /** The API to use, or a kubeconfig to make it from. */
  api?: LeaseApi;
  kc?: KubeConfig;
  namespace: string;
  /** The Lease's name: one per elected role. */
  name: string;
  /** Unique per candidate, e.g. the pod name. */
  identity: string;
  /** Owner references for the Lease when this candidate creates it (see deploymentOwners). */
  owners?: () => Promise<V1OwnerReference[]>;
  /** How long a standby waits, after the Lease last changed, before taking it over (default 15 s; whole seconds on the wire). */
  leaseDurationMs?: number;
  /** How long a leader keeps leading without a successful renew (default 10 s; less than leaseDurationMs). */
  renewDeadlineMs?: number;
  /** Pause between attempts (default 2 s; a standby's is jittered up to 2.2 times). */
  retryPeriodMs?: number;
  /**
   * Called on becoming leader; not awaited (renewing goes on meanwhile). Its
   * signal aborts when leadership ends. It should not throw (a throw is logged).
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /**
   * Called when leadership ends, after onStartedLeading's promise settled, and
   * awaited before this candidate tries again or releases the Lease. Both must
   * finish within leaseDuration - renewDeadline for the guarantee to hold.
   */
  onStoppedLeading(): void | Promise<void>;
  logger: Logger;
  /** On stop(), hand the Lease over at once (default true; client-go's ReleaseOnCancel). False behaves like a crash. */
  releaseOnStop?: boolean;
  /** A monotonic clock in ms for every timing decision (default performance.now). */
  now?: () => number;
  random?: () => number;
}

export interface LeaderElector {
  /** Starts campaigning in the background; returns at once. */
  start(): void;
  /** Stops leading first (awaiting onStoppedLeading), then releases the Lease so a standby takes over at once. */
  stop(): Promise<void>;
  isLeader(): boolean;
}

/** What a candidate remembers of a Lease: the record and when, by its own clock, it last saw it change. */
export interface LeaseObservation {
  record: string;
  at: number;
}

/**
 * Pure: the observation after reading `spec` at `now`, and whether `identity`
 * may write itself into the Lease. A Lease is free when nobody holds it, when
 * we do, or when its record has not changed for its leaseDurationSeconds as
 * measured by our clock since we first saw this record (like client-go:
 * renewTime is never compared with our clock).
 */
export function judgeLease(input: {
  spec: V1LeaseSpec | undefined;
  identity: string;
  previous: LeaseObservation | undefined;
  now: number;
  /** For a record that carries no leaseDurationSeconds. */
  defaultLeaseDurationMs: number;
}): { observed: LeaseObservation; mayAcquire: boolean } {
  const { spec, identity, previous, now } = input;
  const record = fingerprint(spec);
  const observed = previous?.record === record ? previous : { record, at: now };
  const holder = spec?.holderIdentity;
  if (!holder || holder === identity) return { observed, mayAcquire: true };
  const durationMs = spec.leaseDurationSeconds !== undefined ? spec.leaseDurationSeconds * 1000 : input.defaultLeaseDurationMs;
  return { observed, mayAcquire: observed.at + durationMs <= now };
}

const fingerprint = (spec: V1LeaseSpec | undefined): string =>
  JSON.stringify([spec?.holderIdentity, spec?.leaseDurationSeconds, spec?.acquireTime, spec?.renewTime, spec?.leaseTransitions]);

const statusOf = (err: unknown): unknown => (err as { code?: unknown } | undefined)?.code;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(ms)} ms`)), Math.max(1, ms));
  });
  // Race subscribes to `promise`, so a late rejection is handled; its late success is ignored (a later read sees it).
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createLeaderElector(opts: LeaderElectorOptions): LeaderElector {
  const leaseDurationMs = opts.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = opts.retryPeriodMs ?? 2_000;
  if (!(leaseDurationMs >= 1000)) throw new RangeError('leaseDurationMs must be at least 1000');
  if (!(renewDeadlineMs < leaseDurationMs)) throw new RangeError('renewDeadlineMs must be less than leaseDurationMs');
  if (!(retryPeriodMs > 0 && renewDeadlineMs > 1.2 * retryPeriodMs)) throw new RangeError('renewDeadlineMs must exceed 1.2 × retryPeriodMs > 0');
  if (!opts.identity) throw new RangeError('identity must not be empty');
  const api: LeaseApi = opts.api ?? opts.kc?.makeApiClient(CoordinationV1Api) ?? missing();
  const { namespace, name, identity } = opts;
  const leaseDurationSeconds = Math.ceil(leaseDurationMs / 1000);
  const now = opts.now ?? (() => performance.now());
  const random = opts.random ?? Math.random;
  const releaseOnStop = opts.releaseOnStop ?? true;
  const logger = opts.logger.child({ lease: `${namespace}/${name}`, identity });

  let observed: LeaseObservation | undefined;
  let observedHolder: string | undefined;
  let leading = false;
  // Our last write made us the holder, and nothing since said otherwise.
  let holding = false;
  let stopped = false;
  let loop: Promise<void> | undefined;
  let leadership: AbortController | undefined;
  let startedLeading: Promise<void> = Promise.resolve();
  let stoppedLeading: Promise<void> = Promise.resolve();
  let deadlineTimer: NodeJS.Timeout | undefined;
  // When the current leadership ends unless renewed: also bounds each renew request.
  let deadlineAt = 0;
  let wake = () => {};

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wake = () => {};
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
    });

  /** One read and, if the Lease is free or ours, one write. `sentAt` is taken just before the write. */
  async function tryAcquireOrRenew(timeoutMs: number): Promise<{ held: true; sentAt: number } | { held: false; conflict: boolean }> {
    const call = <T>(p: Promise<T>, what: string) => withTimeout(p, timeoutMs, what);
    let lease: V1Lease | undefined;
    try {
      lease = await call(api.readNamespacedLease({ name, namespace }), 'reading the Lease');
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    const time = new V1MicroTime();
    if (!lease) {
      const sentAt = now();
      try {
        const created = await call(
          api.createNamespacedLease({
            namespace,
            body: {
              metadata: { name, namespace, ...(opts.owners && { ownerReferences: await opts.owners() }) },
              spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: time, renewTime: time, leaseTransitions: 0 },
            },
          }),
          'creating the Lease',
        );
        observed = { record: fingerprint(created.spec), at: now() };
        return { held: true, sentAt };
      } catch (err) {
        // Another candidate created it first.
        if (statusOf(err) === 409) return { held: false, conflict: true };
        throw err;
      }
    }
    const judged = judgeLease({ spec: lease.spec, identity, previous: observed, now: now(), defaultLeaseDurationMs: leaseDurationMs });
    observed = judged.observed;
    const holder = lease.spec?.holderIdentity || undefined;
    if (holder !== observedHolder) {
      observedHolder = holder;
      if (holder !== identity) logger.info({ holder: holder ?? null }, holder ? 'the Lease is held by another candidate' : 'the Lease is free');
    }
    if (!judged.mayAcquire) return { held: false, conflict: false };
    const ours = holder === identity;
    const spec: V1LeaseSpec = {
      ...lease.spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: time,
      ...(ours ? {} : { acquireTime: time, leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 }),
    };
    const sentAt = now();
    try {
      // metadata.resourceVersion comes along: a write by anyone since our read makes this a 409.
      const replaced = await call(api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec } }), 'writing the Lease');
      observed = { record: fingerprint(replaced.spec), at: now() };
      return { held: true, sentAt };
    } catch (err) {
      if (statusOf(err) === 409) return { held: false, conflict: true };
      throw err;
    }
  }

  function startLeading(renewedAt: number): void {
    leading = true;
    const controller = new AbortController();
    leadership = controller;
    armDeadline(renewedAt);
    logger.info('started leading');
    startedLeading = (async () => opts.onStartedLeading(controller.signal))().catch((err: unknown) => logger.error({ err }, 'onStartedLeading threw'));
  }

  function armDeadline(renewedAt: number): void {
    deadlineAt = renewedAt + renewDeadlineMs;
    clearTimeout(deadlineTimer);
    // A timer of its own, so that a hanging request cannot delay stepping down.
    deadlineTimer = setTimeout(() => void stopLeading('renew deadline passed'), Math.max(0, deadlineAt - now()));
  }

  function stopLeading(reason: string): Promise<void> {
    if (!leading) return stoppedLeading;
    leading = false;
    clearTimeout(deadlineTimer);
    leadership?.abort();
    wake();
    if (stopped) logger.info({ reason }, 'stopped leading');
    else logger.warn({ reason }, 'stopped leading');
    const started = startedLeading;
    stoppedLeading = (async () => {
      await started;
      try {
        await opts.onStoppedLeading();
      } catch (err) {
        logger.error({ err }, 'onStoppedLeading threw');
      }
    })();
    return stoppedLeading;
  }

  async function lead(): Promise<void> {
    let failures = 0;
    while (leading && !stopped) {
      await pause(retryPeriodMs);
      if (!leading || stopped) return;
      try {
        const result = await tryAcquireOrRenew(Math.max(1, deadlineAt - now()));
        if (!leading) return;
        if (result.held) {
          failures = 0;
          armDeadline(result.sentAt);
        } else {
          holding = false;
          void stopLeading(result.conflict ? 'the Lease was written by someone else (409)' : 'the Lease is held by another candidate');
        }
      } catch (err) {
        failures++;
        if (worthLogging(failures)) logger.warn({ err, failures }, 'cannot renew the Lease; retrying until the renew deadline');
      }
    }
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      let renewedAt: number | undefined;
      try {
        const result = await tryAcquireOrRenew(renewDeadlineMs);
        failures = 0;
        holding = result.held;
        if (result.held) renewedAt = result.sentAt;
      } catch (err) {
        failures++;
        if (worthLogging(failures)) logger.warn({ err, failures }, 'cannot read or write the Lease; retrying');
      }
      if (stopped) return;
      if (renewedAt === undefined) {
        await pause(retryPeriodMs * (1 + 1.2 * random()));
        continue;
      }
      startLeading(renewedAt);
      await lead();
      await stoppedLeading;
    }
  }

  async function release(): Promise<void> {
    try {
      const lease = await withTimeout(api.readNamespacedLease({ name, namespace }), renewDeadlineMs, 'reading the Lease');
      if (lease.spec?.holderIdentity !== identity) return;
      const time = new V1MicroTime();
      // Like client-go: no holder, and a 1 s duration for candidates that wait out the duration anyway.
      await withTimeout(
        api.replaceNamespacedLease({
          name,
          namespace,
          body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: time, renewTime: time } },
        }),
        renewDeadlineMs,
        'releasing the Lease',
      );
      logger.info('released the Lease');
    } catch (err) {
      logger.warn({ err }, 'cannot release the Lease; a standby takes over once it expires');
    }
  }

  let stopping: Promise<void> | undefined;
  return {
    start() {
      if (loop || stopped) return;
      loop = run().catch((err: unknown) => logger.error({ err }, 'leader election loop failed'));
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        await stopLeading('stopping');
        wake();
        await loop;
        if (releaseOnStop && holding) await release();
      })();
      return stopping;
    },
    isLeader: () => leading,
  };
}

function missing(): never {
  throw new TypeError('createLeaderElector needs api or kc');
}

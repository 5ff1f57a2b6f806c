import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { V1MicroTime, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';
import fc from 'fast-check';
import { pino } from 'pino';
import { createLeaderElector, judgeLease, type LeaseApi } from './leader-election.js';

const spec = (holderIdentity: string | undefined, renewTime = '2026-01-01T00:00:00.000000Z'): V1LeaseSpec => ({
  holderIdentity,
  leaseDurationSeconds: 15,
  renewTime: renewTime as unknown as V1MicroTime,
});

describe('judgeLease', () => {
  const base = { identity: 'me', defaultLeaseDurationMs: 15_000 };

  it('takes a missing, free or own Lease at once', () => {
    for (const s of [undefined, spec(undefined), spec(''), spec('me')]) {
      assert.equal(judgeLease({ ...base, spec: s, previous: undefined, now: 0 }).mayAcquire, true);
    }
  });

  it("takes another's Lease only after its record stayed unchanged for leaseDurationSeconds by our clock", () => {
    const first = judgeLease({ ...base, spec: spec('other'), previous: undefined, now: 1_000 });
    assert.deepEqual([first.mayAcquire, first.observed.at], [false, 1_000]);
    const later = judgeLease({ ...base, spec: spec('other'), previous: first.observed, now: 15_999 });
    assert.deepEqual([later.mayAcquire, later.observed.at], [false, 1_000]);
    assert.equal(judgeLease({ ...base, spec: spec('other'), previous: later.observed, now: 16_000 }).mayAcquire, true);
  });

  it('restarts the wait whenever the record changes, and never compares renewTime with our clock', () => {
    // A renewTime far in the past (clock skew, or a long-dead leader) does not count: only our observation does.
    const seen = judgeLease({ ...base, spec: spec('other', '1999-01-01T00:00:00.000000Z'), previous: undefined, now: 100_000 });
    assert.equal(seen.mayAcquire, false);
    const renewed = judgeLease({ ...base, spec: spec('other', '1999-01-01T00:00:02.000000Z'), previous: seen.observed, now: 114_000 });
    assert.deepEqual([renewed.mayAcquire, renewed.observed.at], [false, 114_000]);
    assert.equal(judgeLease({ ...base, spec: spec('other', '1999-01-01T00:00:02.000000Z'), previous: renewed.observed, now: 128_999 }).mayAcquire, false);
  });

  it('never lets a standby in while the holder keeps renewing within the lease duration', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 14_999 }), { maxLength: 50 }), (gaps) => {
        let observed = judgeLease({ ...base, spec: spec('other', 'r0'), previous: undefined, now: 0 }).observed;
        let t = 0;
        for (const [i, gap] of gaps.entries()) {
          t += gap;
          // The holder renewed at some point in the gap; the standby reads just before the next renewal.
          const judged = judgeLease({ ...base, spec: spec('other', `r${i}`), previous: observed, now: t });
          assert.equal(judged.mayAcquire, false);
          observed = judgeLease({ ...base, spec: spec('other', `r${i + 1}`), previous: judged.observed, now: t }).observed;
        }
      }),
    );
  });

  it('uses the default duration for a record without one', () => {
    const s: V1LeaseSpec = { holderIdentity: 'other' };
    const first = judgeLease({ ...base, spec: s, previous: undefined, now: 0 });
    assert.equal(judgeLease({ ...base, spec: s, previous: first.observed, now: 14_999 }).mayAcquire, false);
    assert.equal(judgeLease({ ...base, spec: s, previous: first.observed, now: 15_000 }).mayAcquire, true);
  });
});

/** An in-memory Lease endpoint with the API server's optimistic concurrency (409 on a stale resourceVersion). */
function fakeLeaseApi() {
  let stored: V1Lease | undefined;
  let version = 0;
  let down = false;
  const apiError = (code: number) => Object.assign(new Error(`HTTP ${code}`), { code });
  const copy = (lease: V1Lease): V1Lease => JSON.parse(JSON.stringify(lease)) as V1Lease;
  const api: LeaseApi = {
    async readNamespacedLease() {
      if (down) throw apiError(503);
      if (!stored) throw apiError(404);
      return copy(stored);
    },
    async createNamespacedLease({ body }) {
      if (down) throw apiError(503);
      if (stored) throw apiError(409);
      stored = copy({ ...body, metadata: { ...body.metadata, resourceVersion: String(++version) } });
      return copy(stored);
    },
    async replaceNamespacedLease({ body }) {
      if (down) throw apiError(503);
      if (!(body.spec?.renewTime instanceof V1MicroTime)) throw apiError(400);
      if (body.metadata?.resourceVersion !== stored?.metadata?.resourceVersion) throw apiError(409);
      stored = copy({ ...body, metadata: { ...body.metadata, resourceVersion: String(++version) } });
      return copy(stored);
    },
  };
  return { api, lease: () => stored, setDown: (value: boolean) => void (down = value) };
}

describe('leader elector (in memory)', () => {
  const timing = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 50 };
  const logger = pino({ level: 'silent' });
  const elector = (fake: ReturnType<typeof fakeLeaseApi>, identity: string, on: { started?: () => void; stopped: () => void | Promise<void> }) =>
    createLeaderElector({
      api: fake.api,
      namespace: 'ns',
      name: 'lease',
      identity,
      ...timing,
      logger,
      onStartedLeading: on.started ?? (() => undefined),
      onStoppedLeading: on.stopped,
    });

  it('one of two candidates leads; stop() steps down first, then releases, and the other takes over at once', async () => {
    const fake = fakeLeaseApi();
    const events: string[] = [];
    const make = (identity: string) =>
      elector(fake, identity, {
        started: () => void events.push(`${identity} started`),
        stopped: async () => {
          await sleep(20);
          events.push(`${identity} stopped (holder still ${fake.lease()?.spec?.holderIdentity})`);
        },
      });
    const [a, b] = [make('a'), make('b')];
    a.start();
    await sleep(30);
    b.start();
    await sleep(200);
    assert.deepEqual([a.isLeader(), b.isLeader()], [true, false]);
    const stoppedAt = performance.now();
    await a.stop();
    assert.equal(fake.lease()?.spec?.holderIdentity, '');
    while (!b.isLeader()) await sleep(5);
    assert.ok(performance.now() - stoppedAt < timing.leaseDurationMs, 'taken over before the lease could expire');
    assert.deepEqual(events, ['a started', 'a stopped (holder still a)', 'b started']);
    assert.equal(fake.lease()?.spec?.leaseTransitions, 1);
    await b.stop();
  });

  it('a leader that cannot renew stops leading within its renew deadline, before a standby may take over', async () => {
    const fake = fakeLeaseApi();
    let stoppedAt = 0;
    const a = elector(fake, 'a', { stopped: () => void (stoppedAt = performance.now()) });
    a.start();
    while (!a.isLeader()) await sleep(5);
    await sleep(100);
    const lastRenew = performance.now();
    fake.setDown(true);
    while (a.isLeader()) await sleep(5);
    const after = stoppedAt - lastRenew;
    assert.ok(after <= timing.renewDeadlineMs + 20 && after < timing.leaseDurationMs, `stopped ${after} ms after the last renew`);
    await a.stop();
  });

  it('a leader whose renewal meets a 409 stops leading at once', async () => {
    const fake = fakeLeaseApi();
    let stopped = false;
    const a = elector(fake, 'a', { stopped: () => void (stopped = true) });
    a.start();
    while (!a.isLeader()) await sleep(5);
    // Someone else writes the Lease (an admin, a candidate with a broken clock).
    const lease = fake.lease()!;
    await fake.api.replaceNamespacedLease({
      name: 'lease',
      namespace: 'ns',
      body: { ...lease, spec: { ...lease.spec, holderIdentity: 'intruder', renewTime: new V1MicroTime() } },
    });
    await sleep(timing.retryPeriodMs * 3);
    assert.equal(stopped, true);
    assert.equal(a.isLeader(), false);
    await a.stop();
    assert.equal(fake.lease()?.spec?.holderIdentity, 'intruder', 'a lease held by another is not released');
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { eventually, harnessDir, kubeconfigPath, startKube, type KubeControlPlane } from '@tickerflow/harness';
import { pino } from 'pino';
import {
  applyObject,
  applyStatus,
  createInformer,
  createLeaderElector,
  createWorkQueue,
  findCondition,
  keyOf,
  semanticallyEqual,
  setCondition,
  splitKey,
  type ResourceInformer,
} from '../src/k8s/index.js';

/** The controller parts in services/common/src/k8s against a real kube-apiserver (etcd behind it). */

const silent = pino({ level: 'silent' });
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfigPath());
const core = kc.makeApiClient(k8s.CoreV1Api);
const isStatus = (code: number) => (err: unknown) => (err as { code?: number }).code === code;

async function namespace(prefix: string, client = core): Promise<string> {
  const ns = `${prefix}-${randomUUID().slice(0, 8)}`;
  await client.createNamespace({ body: { metadata: { name: ns } } });
  return ns;
}

function configMapInformer(config: k8s.KubeConfig, ns: string, onChange: (cm: k8s.V1ConfigMap) => void, logger = silent) {
  const api = config.makeApiClient(k8s.CoreV1Api);
  return createInformer<k8s.V1ConfigMap>({
    kc: config,
    path: `/api/v1/namespaces/${ns}/configmaps`,
    list: () => api.listNamespacedConfigMap({ namespace: ns }),
    logger,
    onChange,
    backoff: { initialMs: 200, maxMs: 2000 },
  });
}

// A watch on a resource nobody touches: started first, checked last, so the idle wait overlaps the other tests.
let idle: { ns: string; informer: ResourceInformer<k8s.V1ConfigMap>; since: number; seen: Map<string, number> } | undefined;
before(async () => {
  const ns = await namespace('k8s-idle');
  const seen = new Map<string, number>();
  const informer = configMapInformer(kc, ns, (cm) => seen.set(cm.metadata?.name ?? '', performance.now()));
  await informer.start();
  idle = { ns, informer, since: performance.now(), seen };
});
after(async () => {
  await idle?.informer.stop();
});

describe('leader election on a Lease', () => {
  const timing = { leaseDurationMs: 4000, renewDeadlineMs: 2500, retryPeriodMs: 300 };
  const coord = kc.makeApiClient(k8s.CoordinationV1Api);
  let ns: string;
  const electors: ReturnType<typeof createLeaderElector>[] = [];
  before(async () => {
    ns = await namespace('k8s-lease');
  });
  after(async () => {
    await Promise.all(electors.map((e) => e.stop()));
  });

  function candidates(lease: string, releaseOnStop = true) {
    const leading = new Set<string>();
    let mostAtOnce = 0;
    const make = (identity: string) => {
      const elector = createLeaderElector({
        kc,
        namespace: ns,
        name: lease,
        identity,
        ...timing,
        releaseOnStop,
        logger: silent,
        onStartedLeading: () => {
          leading.add(identity);
          mostAtOnce = Math.max(mostAtOnce, leading.size);
        },
        onStoppedLeading: () => void leading.delete(identity),
      });
      electors.push(elector);
      elector.start();
      return elector;
    };
    return { make, leading, mostAtOnce: () => mostAtOnce };
  }

  const readLease = (name: string) => coord.readNamespacedLease({ name, namespace: ns });
  const microTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

  it('exactly one of two candidates leads; stop() hands the Lease to the other at once', async (t) => {
    const c = candidates('release');
    const candidate = { a: c.make('a'), b: c.make('b') };
    await eventually(() => c.leading.size === 1, { timeoutMs: 20_000, what: 'a leader' });
    const [first] = [...c.leading] as ['a' | 'b'];
    const second = first === 'a' ? 'b' : 'a';
    await sleep(timing.retryPeriodMs * 5);
    assert.deepEqual([...c.leading], [first], 'the leader keeps the Lease while it renews');
    assert.equal(candidate[first].isLeader(), true);
    assert.equal(candidate[second].isLeader(), false);

    const held = await readLease('release');
    assert.equal(held.spec?.holderIdentity, first);
    assert.equal(held.spec?.leaseDurationSeconds, 4);
    // The API server accepted our V1MicroTime values and stores microseconds.
    assert.match(String(held.spec?.acquireTime), microTime);
    assert.match(String(held.spec?.renewTime), microTime);

    const stoppedAt = performance.now();
    await candidate[first].stop();
    assert.equal(c.leading.has(first), false);
    await eventually(() => candidate[second].isLeader(), { timeoutMs: 20_000, what: `${second} leading` });
    const takeoverMs = performance.now() - stoppedAt;
    t.diagnostic(`takeover after a release: ${Math.round(takeoverMs)} ms (lease duration ${timing.leaseDurationMs} ms)`);
    assert.ok(takeoverMs < timing.leaseDurationMs, `took ${takeoverMs} ms: the Lease was not released`);
    const taken = await readLease('release');
    assert.equal(taken.spec?.holderIdentity, second);
    assert.equal(taken.spec?.leaseTransitions, 1);
    assert.equal(c.mostAtOnce(), 1);
  });

  it('a leader that dies without releasing is replaced once the lease duration has passed', async (t) => {
    const c = candidates('crash', false);
    const dying = c.make('dying');
    await eventually(() => dying.isLeader(), { timeoutMs: 20_000, what: 'dying leading' });
    const standby = c.make('standby');
    await sleep(timing.retryPeriodMs * 5);
    assert.equal(standby.isLeader(), false);

    const stoppedAt = performance.now();
    await dying.stop();
    assert.equal((await readLease('crash')).spec?.holderIdentity, 'dying', 'not released');
    await eventually(() => standby.isLeader(), { timeoutMs: 20_000, what: 'standby leading' });
    const takeoverMs = performance.now() - stoppedAt;
    t.diagnostic(`takeover after a crash: ${Math.round(takeoverMs)} ms (lease duration ${timing.leaseDurationMs} ms, retry period ${timing.retryPeriodMs} ms)`);
    // The dead leader's last renewal came at most about a retry period before it stopped.
    assert.ok(takeoverMs >= timing.leaseDurationMs - 2 * timing.retryPeriodMs, `took over after only ${takeoverMs} ms`);
    const lease = await readLease('crash');
    assert.equal(lease.spec?.holderIdentity, 'standby');
    assert.equal(lease.spec?.leaseTransitions, 1);
    assert.match(String(lease.spec?.acquireTime), microTime);
    assert.equal(c.mostAtOnce(), 1);
  });
});

describe('informer and work queue', () => {
  let ns: string;
  let informer: ResourceInformer<k8s.V1ConfigMap>;
  let queue: ReturnType<typeof createWorkQueue>;
  const reconciled: { key: string; v: string | null }[] = [];
  before(async () => {
    ns = await namespace('k8s-queue');
    // Level-triggered: the reconciler reads the cache, never the event.
    queue = createWorkQueue({
      reconciler: {
        async reconcile(key) {
          const { namespace: keyNs, name } = splitKey(key);
          reconciled.push({ key, v: informer.get(name, keyNs)?.data?.v ?? null });
        },
      },
    });
    informer = configMapInformer(kc, ns, (cm) => queue.add(keyOf(cm)));
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'listed' }, data: { v: '0' } } });
    await informer.start();
    queue.start();
  });
  after(async () => {
    await queue.stop();
    await informer.stop();
  });

  const reconciledWith = (key: string, v: string | null) =>
    eventually(() => reconciled.some((r) => r.key === key && r.v === v), { what: `${key} reconciled with ${v}` });

  it('reconciles what the first list found, then every create, update and delete', async () => {
    assert.equal(informer.synced(), true);
    await reconciledWith(`${ns}/listed`, '0');
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cm' }, data: { v: '1' } } });
    await reconciledWith(`${ns}/cm`, '1');
    await core.replaceNamespacedConfigMap({ name: 'cm', namespace: ns, body: { metadata: { name: 'cm' }, data: { v: '2' } } });
    await reconciledWith(`${ns}/cm`, '2');
    await core.deleteNamespacedConfigMap({ name: 'cm', namespace: ns });
    await reconciledWith(`${ns}/cm`, null);
    assert.deepEqual(
      informer.list().map((cm) => cm.metadata?.name),
      ['listed'],
    );
  });
});

describe('informer across an API server restart', () => {
  let plane: KubeControlPlane;
  let informer: ResourceInformer<k8s.V1ConfigMap> | undefined;
  before(async () => {
    plane = await startKube(join(harnessDir(), `k8s-restart-${randomUUID()}`));
  });
  after(async () => {
    await informer?.stop();
    await plane?.stop();
  });

  it('keeps watching: a change after the restart reaches onChange without a new informer', async (t) => {
    const own = new k8s.KubeConfig();
    own.loadFromFile(plane.kubeconfig);
    const api = own.makeApiClient(k8s.CoreV1Api);
    const ns = await namespace('k8s-restart', api);
    const seen = new Set<string>();
    const logs: { msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as { msg: string }) });
    informer = configMapInformer(own, ns, (cm) => seen.add(cm.metadata?.name ?? ''), logger);
    await informer.start();
    await api.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'before' } } });
    await eventually(() => seen.has('before'), { what: 'the change before the restart' });

    const restartedAt = performance.now();
    await plane.restartApiserver();
    t.diagnostic(`kube-apiserver restarted in ${Math.round(performance.now() - restartedAt)} ms`);
    // A pooled connection to the old process may fail once: the create is retried, and 409 means an earlier try landed.
    await eventually(
      async () => {
        await api.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'after' } } }).catch((err: unknown) => {
          if (!isStatus(409)(err)) throw err;
        });
        return true;
      },
      { what: 'creating a ConfigMap after the restart' },
    );
    await eventually(() => seen.has('after'), { what: 'the change after the restart', timeoutMs: 60_000 });
    t.diagnostic(`change after the restart seen ${Math.round(performance.now() - restartedAt)} ms after the restart began`);
    assert.equal(informer.synced(), true);
    assert.ok(
      logs.some((l) => l.msg === 'informer stopped; restarting it'),
      `the informer noticed the restart: ${logs.map((l) => l.msg).join(', ')}`,
    );
  });
});

describe('server-side apply', () => {
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const manager = 'tickerflow-k8s-test';
  let ns: string;
  before(async () => {
    ns = await namespace('k8s-apply');
  });

  it('applying the same ConfigMap twice changes nothing; a different one does', async () => {
    const cm: k8s.V1ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace: ns }, data: { a: '1' } };
    const first = await applyObject(objects, cm, manager);
    const again = await applyObject(objects, cm, manager);
    assert.equal(again.metadata?.resourceVersion, first.metadata?.resourceVersion);
    const changed = await applyObject(objects, { ...cm, data: { a: '2' } }, manager);
    assert.notEqual(changed.metadata?.resourceVersion, first.metadata?.resourceVersion);
    assert.deepEqual(changed.data, { a: '2' });
    assert.ok(changed.metadata?.managedFields?.some((f) => f.manager === manager && f.operation === 'Apply'));
  });

  it("applies a custom resource's status through the status subresource", async () => {
    const group = `k8s-${randomUUID().slice(0, 8)}.tickerflow.io`;
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    const conditionSchema = {
      type: 'object',
      required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
      properties: {
        type: { type: 'string' },
        status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
        reason: { type: 'string' },
        message: { type: 'string' },
        observedGeneration: { type: 'integer' },
        lastTransitionTime: { type: 'string', format: 'date-time' },
      },
    };
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: `gadgets.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: { type: 'object', properties: { size: { type: 'integer' } } },
                    status: {
                      type: 'object',
                      properties: {
                        observedGeneration: { type: 'integer' },
                        conditions: { type: 'array', items: conditionSchema },
                      },
                    },
                  },
                },
              },
            },
          ],
        },
      },
    });
    await eventually(async () => {
      const crd = await ext.readCustomResourceDefinition({ name: `gadgets.${group}` });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
    });
    const ref = { group, version: 'v1', plural: 'gadgets', kind: 'Gadget', namespace: ns, name: 'g1' };
    await eventually(async () => {
      await custom.createNamespacedCustomObject({
        group,
        version: 'v1',
        namespace: ns,
        plural: 'gadgets',
        body: { apiVersion: `${group}/v1`, kind: 'Gadget', metadata: { name: 'g1' }, spec: { size: 1 } },
      });
      return true;
    });

    const status = {
      observedGeneration: 1,
      conditions: setCondition([], { type: 'Ready', status: 'True', reason: 'Tested', message: 'applied', observedGeneration: 1 }, new Date()),
    };
    const applied = await applyStatus(custom, ref, status, manager);
    assert.ok(semanticallyEqual(applied.status, status), JSON.stringify(applied.status));
    assert.equal(findCondition(applied.status?.conditions, 'Ready')?.reason, 'Tested');
    assert.ok(applied.metadata?.managedFields?.some((f) => f.manager === manager && f.operation === 'Apply' && f.subresource === 'status'));
    const again = await applyStatus(custom, ref, status, manager);
    assert.equal(again.metadata?.resourceVersion, applied.metadata?.resourceVersion, 'the same status again is a no-op');
    const read = (await custom.getNamespacedCustomObject({ group, version: 'v1', namespace: ns, plural: 'gadgets', name: 'g1' })) as {
      spec: unknown;
      status: unknown;
    };
    assert.deepEqual(read.spec, { size: 1 });
    assert.ok(semanticallyEqual(read.status, status));
  });
});

describe('informer on a quiet resource', () => {
  it('delivers a change that comes after more than 35 s without any (past the watch client-side timeout)', async (t) => {
    assert.ok(idle);
    const quietFor = 36_000;
    const wait = idle.since + quietFor - performance.now();
    if (wait > 0) await sleep(wait);
    t.diagnostic(
      `watch idle for ${Math.round((performance.now() - idle.since) / 1000)} s (${wait > 0 ? `${Math.round(wait / 1000)} s of it waited here` : 'all of it during the other tests'})`,
    );
    const sent = performance.now();
    await core.createNamespacedConfigMap({ namespace: idle.ns, body: { metadata: { name: 'wake-up' } } });
    await eventually(() => idle!.seen.has('wake-up'), { what: 'the change after the idle time' });
    t.diagnostic(`change after the idle time arrived in ${Math.round(idle.seen.get('wake-up')! - sent)} ms`);
    assert.equal(idle.informer.synced(), true);
  });
});

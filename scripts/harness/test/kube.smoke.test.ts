import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { harnessDir, kubeconfigPath } from '../src/env.js';
import { eventually } from '../src/eventually.js';
import { writeTokenKubeconfig } from '../src/kube.js';

const group = 'smoke.tickerflow.io';
interface Widget extends k8s.KubernetesObject {
  spec: { size: number; color?: string };
}

/** @kubernetes/client-node against the harness kube-apiserver (etcd behind it, RBAC on). */
describe('@kubernetes/client-node against the harness kube-apiserver', () => {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  const ns = `smoke-${randomUUID().slice(0, 8)}`;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  let informer: k8s.Informer<Widget> & k8s.ObjectCache<Widget>;
  const events: { verb: string; obj: Widget }[] = [];

  before(async () => {
    await core.createNamespace({ body: { metadata: { name: ns } } });
  });
  let stopped = false;
  after(async () => {
    stopped = true;
    await informer?.stop();
  });

  it('applies a CRD and waits for it to be Established', async () => {
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    const name = `widgets.${group}`;
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: {
                      type: 'object',
                      required: ['size'],
                      properties: { size: { type: 'integer', minimum: 1 }, color: { type: 'string' } },
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
      const crd = await ext.readCustomResourceDefinition({ name });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
    });
  });

  it('receives a created custom resource through an informer', async () => {
    const path = `/apis/${group}/v1/namespaces/${ns}/widgets`;
    informer = k8s.makeInformer<Widget>(kc, path, () => custom.listNamespacedCustomObject({ group, version: 'v1', namespace: ns, plural: 'widgets' }));
    informer.on('add', (obj) => events.push({ verb: 'add', obj }));
    informer.on('update', (obj) => events.push({ verb: 'update', obj }));
    // An informer stops on error (a new CRD answers 429 while its watch cache
    // initializes); like any controller, start it again after a pause.
    informer.on('error', () => {
      if (!stopped) setTimeout(() => void informer.start().catch(() => undefined), 1000);
    });
    await informer.start();
    await custom.createNamespacedCustomObject({
      group,
      version: 'v1',
      namespace: ns,
      plural: 'widgets',
      body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 1 } },
    });
    await eventually(async () => events.some((e) => e.verb === 'add' && e.obj.metadata?.name === 'w1'));
  });

  it('rejects a resource that violates the CRD schema', async () => {
    await assert.rejects(
      custom.createNamespacedCustomObject({
        group,
        version: 'v1',
        namespace: ns,
        plural: 'widgets',
        body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'bad' }, spec: { size: 0 } },
      }),
      (err: k8s.ApiException<unknown>) => err.code === 422,
    );
  });

  it('server-side applies a patch with its own field manager', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const applied = await objects.patch<Widget>(
      { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1', namespace: ns }, spec: { size: 1, color: 'green' } },
      undefined,
      undefined,
      'tickerflow-smoke',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    assert.equal(applied.spec.color, 'green');
    assert.ok(applied.metadata?.managedFields?.some((f) => f.manager === 'tickerflow-smoke' && f.operation === 'Apply'));
    await eventually(async () => events.some((e) => e.verb === 'update' && e.obj.spec.color === 'green'));
  });

  it('creates and renews a Lease, and a stale renewal is refused', async () => {
    const coord = kc.makeApiClient(k8s.CoordinationV1Api);
    const now = () => new k8s.V1MicroTime();
    const lease = await coord.createNamespacedLease({
      namespace: ns,
      body: { metadata: { name: 'leader' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: now(), renewTime: now() } },
    });
    const renewed = await coord.replaceNamespacedLease({
      name: 'leader',
      namespace: ns,
      body: { ...lease, spec: { ...lease.spec, renewTime: now() } },
    });
    assert.notEqual(renewed.metadata?.resourceVersion, lease.metadata?.resourceVersion);
    await assert.rejects(
      coord.replaceNamespacedLease({ name: 'leader', namespace: ns, body: { ...lease, spec: { ...lease.spec, holderIdentity: 'b' } } }),
      (err: k8s.ApiException<unknown>) => err.code === 409,
    );
  });

  it('issues ServiceAccount tokens (TokenRequest) that RBAC authorizes', async () => {
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'reader' } } });
    const token = await core.createNamespacedServiceAccountToken({
      name: 'reader',
      namespace: ns,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const saConfig = new k8s.KubeConfig();
    saConfig.loadFromFile(writeTokenKubeconfig(kubeconfigPath(), join(harnessDir(), `sa-${ns}.kubeconfig`), token.status!.token!));
    const asReader = saConfig.makeApiClient(k8s.CoreV1Api);
    await assert.rejects(asReader.listNamespacedConfigMap({ namespace: ns }), (err: k8s.ApiException<unknown>) => err.code === 403);

    const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns,
      body: { metadata: { name: 'cm-reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'cm-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
      },
    });
    await eventually(async () => {
      await asReader.listNamespacedConfigMap({ namespace: ns });
      return true;
    });
  });
});

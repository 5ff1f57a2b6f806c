import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SYMBOLS_KEY } from '@tickerflow/common';
import { eventually, harnessDir, startKube, startService, type KubeControlPlane, type ServiceProcess } from '@tickerflow/harness';
import { apply, installCrd, kubectl, kubectlOk, subscription } from './kube.js';

/** A control plane of its own, so restarting its kube-apiserver disturbs no other test. */
describe('the controller survives a kube-apiserver restart without restarting itself', () => {
  let plane: KubeControlPlane;
  let controller: ServiceProcess;
  const ns = 'restart';
  const desired = async () => {
    const r = await kubectl(['get', 'configmap', 'tickerflow-symbols', '-n', ns, '-o', 'json'], undefined, plane.kubeconfig);
    return r.code === 0 ? ((JSON.parse(r.stdout) as { data: Record<string, string> }).data[SYMBOLS_KEY] ?? '') : '';
  };

  before(async () => {
    plane = await startKube(join(harnessDir(), `controller-restart-${randomUUID().slice(0, 8)}`));
    await installCrd(plane.kubeconfig);
    await kubectlOk(['create', 'namespace', ns], undefined, plane.kubeconfig);
    controller = startService('tickerflow-controller', { KUBECONFIG: plane.kubeconfig, KUBE_NAMESPACE: ns, LOG_LEVEL: 'info', LEADER_ELECTION: 'true' });
  });
  after(async () => {
    await controller?.stop('SIGKILL');
    await plane?.stop();
  });

  it('informers restart themselves and the state converges; the process never exits', async (t) => {
    await eventually(async () => (await apply(ns, subscription('before', { symbols: ['AAPL'] }), plane.kubeconfig)).code === 0, {
      what: 'apply before the restart',
    });
    await eventually(async () => (await desired()) === '["AAPL"]', { what: 'ConfigMap before the restart' });
    const restartedAt = Date.now();
    await plane.restartApiserver();
    await eventually(async () => (await apply(ns, subscription('after', { symbols: ['MSFT'] }), plane.kubeconfig)).code === 0, {
      what: 'apply after the restart',
    });
    await eventually(async () => (await desired()) === '["AAPL","MSFT"]', { what: 'ConfigMap after the restart', timeoutMs: 120_000 }).catch((err: Error) => {
      throw new Error(`${err.message}\ncontroller output:\n${controller.output().slice(-6000)}`);
    });
    t.diagnostic(`converged ${Date.now() - restartedAt} ms after the restart began`);
    const generationSeen = async () =>
      (
        JSON.parse(await kubectlOk(['get', 'tsub', 'after', '-n', ns, '-o', 'json'], undefined, plane.kubeconfig)) as {
          status?: { observedGeneration?: number };
        }
      ).status?.observedGeneration;
    await eventually(async () => (await generationSeen()) === 1, { what: 'the new subscription has a status' });
    const exited = await Promise.race([controller.exited, new Promise((resolve) => setTimeout(resolve, 10, 'running'))]);
    assert.equal(exited, 'running', 'the controller process is the same one');
    assert.match(controller.output(), /informer stopped; restarting it/);
  });
});

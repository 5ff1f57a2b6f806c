import { eventually, kubectl, kubectlOk } from '@tickerflow/harness';
import { API_VERSION, crdPath, CRD_NAME, KIND } from '../src/api/v1alpha1.js';

export { kubectl, kubectlOk, type KubectlResult as Result } from '@tickerflow/harness';

/** `kubectl apply -f -` of one object as YAML on stdin (JSON is YAML); kubectl validates fields strictly by default. */
export const apply = (ns: string, obj: object, kubeconfig?: string) => kubectl(['apply', '-n', ns, '-f', '-'], JSON.stringify(obj), kubeconfig);

export const subscription = (name: string, spec: unknown) => ({
  apiVersion: API_VERSION,
  kind: KIND,
  metadata: { name },
  ...(spec === undefined ? {} : { spec }),
});

/** Installs the CRD from k8s/crds (idempotent: other tests install the same file) and waits until it serves. */
export async function installCrd(kubeconfig?: string): Promise<void> {
  await kubectlOk(['apply', '--server-side', '--force-conflicts', '--field-manager=tickerflow-tests', '-f', crdPath], undefined, kubeconfig);
  await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', `crd/${CRD_NAME}`], undefined, kubeconfig);
  // Discovery may lag behind Established.
  await eventually(async () => (await kubectl(['get', 'tsub', '-A'], undefined, kubeconfig)).code === 0, {
    timeoutMs: 30_000,
    what: 'the tsub resource to be served',
  });
}

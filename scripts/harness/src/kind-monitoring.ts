import { join } from 'node:path';
import { eventually } from './eventually.js';
import { startPortForward } from './kind-kafka.js';
import { localImages } from './kind.js';
import { kubectlOk } from './kubectl.js';
import { cacheDir, versions } from './paths.js';
import { prometheusApi, type PrometheusApi } from './prometheus-api.js';

/** Where the Prometheus the stack runs lives: the chart's default `networkPolicy.metricsFrom` and KEDA address point here. */
export const monitoringNamespace = 'monitoring';

export interface MonitoringStack {
  /** The Prometheus, through a port-forward to its `prometheus-operated` Service. */
  readonly prometheus: PrometheusApi;
  readonly prometheusUrl: string;
  stop(): Promise<void>;
}

/** Built by scripts/harness/install-monitoring.sh: CRDs and the kustomized upstream manifests on the local images. */
const built = (name: string, version: string, file: string) => join(cacheDir, name, version, file);

/**
 * What users run next to the chart, on the kind cluster: Prometheus Operator
 * with one Prometheus that selects every ServiceMonitor and PrometheusRule
 * (scraping and evaluating every 5 s), and KEDA's operator and metrics API
 * server, all from images built here (preloaded in the node image).
 */
export async function installMonitoringStack(kubeconfig: string): Promise<MonitoringStack> {
  const kubectl = (args: string[], stdin?: string) => kubectlOk(args, stdin, kubeconfig);
  // Server-side: several CRDs are too large for the last-applied annotation.
  const apply = (file: string) => kubectl(['apply', '--server-side', '--force-conflicts', '-f', file]);
  const po = (file: string) => built('prometheus-operator', versions.prometheusOperator, file);
  const keda = (file: string) => built('keda', versions.keda, file);
  await apply(po('crds.yaml'));
  await apply(keda('crds.yaml'));
  await kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=120s']);
  await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: monitoringNamespace } }));
  await apply(po('manifests.yaml'));
  await apply(keda('manifests.yaml'));
  const { prometheus: image } = await localImages();
  await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'Prometheus',
      metadata: { name: 'prometheus', namespace: monitoringNamespace },
      spec: {
        image,
        version: versions.prometheus,
        replicas: 1,
        serviceAccountName: 'prometheus',
        // {} selects everything, in every namespace.
        serviceMonitorSelector: {},
        serviceMonitorNamespaceSelector: {},
        podMonitorSelector: {},
        podMonitorNamespaceSelector: {},
        ruleSelector: {},
        ruleNamespaceSelector: {},
        scrapeInterval: '5s',
        evaluationInterval: '5s',
        securityContext: { runAsUser: 65534, runAsNonRoot: true, fsGroup: 65534 },
      },
    }),
  );
  await kubectl(['rollout', 'status', '-n', monitoringNamespace, 'deployment/prometheus-operator', '--timeout=300s']);
  for (const d of ['keda-operator', 'keda-metrics-apiserver']) await kubectl(['rollout', 'status', '-n', 'keda', `deployment/${d}`, '--timeout=300s']);
  await eventually(async () => (await kubectl(['get', 'statefulset', '-n', monitoringNamespace, '-o', 'name'])).includes('prometheus-prometheus'), {
    timeoutMs: 120_000,
    what: 'the operator created the Prometheus StatefulSet',
  });
  await kubectl(['rollout', 'status', '-n', monitoringNamespace, 'statefulset/prometheus-prometheus', '--timeout=300s']);
  // KEDA serves external metrics once its certificates are in place and the CA is patched into the APIService.
  await kubectl(['wait', '--for=condition=Available', 'apiservice/v1beta1.external.metrics.k8s.io', '--timeout=300s']);
  const forward = await startPortForward({ kubeconfig, namespace: monitoringNamespace, target: 'service/prometheus-operated', remotePort: 9090 });
  const prometheusUrl = `http://127.0.0.1:${forward.port}`;
  await eventually(async () => (await fetch(`${prometheusUrl}/-/ready`)).ok, { timeoutMs: 60_000, what: 'Prometheus /-/ready' });
  return { prometheus: prometheusApi(prometheusUrl), prometheusUrl, stop: () => forward.process.stop() };
}

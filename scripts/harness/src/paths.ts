import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Versions of the real components; the installers in scripts/harness read the same defaults. */
export const versions = {
  kafka: process.env.KAFKA_VERSION ?? '4.3.1',
  kubernetes: process.env.K8S_VERSION ?? 'v1.36.3',
  etcd: process.env.ETCD_VERSION ?? 'v3.6.16',
  helm: process.env.HELM_VERSION ?? 'v3.22.0',
  helm4: process.env.HELM4_VERSION ?? 'v4.3.1',
  helmDocs: process.env.HELM_DOCS_VERSION ?? 'v1.14.2',
  avro: process.env.AVRO_VERSION ?? '1.12.1',
  apicurio: process.env.APICURIO_VERSION ?? '3.3.3',
  legacyNode: process.env.LEGACY_NODE_VERSION ?? '20.20.2',
  kind: process.env.KIND_VERSION ?? 'v0.32.0',
  prometheusOperator: process.env.PROMETHEUS_OPERATOR_VERSION ?? 'v0.93.0',
  prometheus: process.env.PROMETHEUS_VERSION ?? 'v3.13.1',
  keda: process.env.KEDA_VERSION ?? 'v2.20.2',
  cloudnativePg: process.env.CNPG_VERSION ?? 'v1.30.1',
} as const;

export const cacheDir = process.env.TICKERFLOW_CACHE ?? join(homedir(), '.cache', 'tickerflow');

/** The repository root (this file lives in scripts/harness/{src,dist/src}). */
export const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

/** The project's shared folder (contracts, fixtures, upstream CRDs): one home, in common's test helpers. */
export { sharedDir } from '@tickerflow/common/testing';

export const binaries = {
  kafkaLib: join(cacheDir, 'kafka', versions.kafka, 'lib'),
  avroLib: join(cacheDir, 'avro', versions.avro, 'lib'),
  kubeApiserver: join(cacheDir, 'k8s', versions.kubernetes, 'bin', 'kube-apiserver'),
  kubectl: process.env.KUBECTL_BIN ?? join(cacheDir, 'k8s', versions.kubernetes, 'bin', 'kubectl'),
  etcd: join(cacheDir, 'etcd', versions.etcd, 'bin', 'etcd'),
  helm: join(cacheDir, 'helm', versions.helm, 'bin', 'helm'),
  helm4: join(cacheDir, 'helm', versions.helm4, 'bin', 'helm'),
  helmDocs: join(cacheDir, 'helm-docs', versions.helmDocs, 'bin', 'helm-docs'),
  prometheus: process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus',
  promtool: process.env.PROMTOOL_BIN ?? '/usr/bin/promtool',
  chromium: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
  java: process.env.JAVA_BIN ?? 'java',
  apicurio: join(cacheDir, 'apicurio', versions.apicurio),
  kind: process.env.KIND_BIN ?? join(cacheDir, 'kind', versions.kind, 'bin', 'kind'),
  legacyNode: join(cacheDir, 'node-legacy', versions.legacyNode, 'node_modules', 'node', 'bin', 'node'),
} as const;

function findRepoRoot(from: string): string {
  let dir = from;
  while (dir !== dirname(dir)) {
    if (existsSync(join(dir, 'tsconfig.base.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`repository root not found above ${from}`);
}

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { binaries, kubeconfigPath, kubectl, kubectlOk, upstreamCrdFiles, versions } from '@tickerflow/harness';
import { chartDir, ciValuesFiles, helm, helmOk, type HelmName } from '../src/chart.js';
import { crdCopy, crdSource, renderedFile, renderManifests } from '../src/render.js';

const run = promisify(execFile);
const helmNames: HelmName[] = ['helm3', 'helm4'];
const valuesCases = [{ name: 'default values', args: [] as string[] }, ...ciValuesFiles.map((f) => ({ name: basename(f), args: ['-f', f] }))];

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}
/** kind.group/name, as kubectl takes it. */
const resourceName = (o: K8sObject) => {
  const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
  return `${o.kind}${group}/${o.metadata.name}`;
};
const parseManifests = (text: string): K8sObject[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => !!o);

describe('charts/tickerflow: lint, schema, generated files', () => {
  for (const which of helmNames)
    for (const { name, args } of valuesCases)
      it(`${which} lint --strict is clean with ${name}`, async () => {
        const r = await helm(which, ['lint', '--strict', chartDir, ...args]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
        assert.doesNotMatch(r.stdout, /\[(WARNING|ERROR)\]/);
      });

  for (const which of helmNames) {
    it(`${which}: values.schema.json refuses a typo, naming the key`, async () => {
      const r = await helm(which, ['template', 't', chartDir, '--set', 'producer.replicsa=3']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /at '\/producer': additional properties 'replicsa' not allowed/);
      const top = await helm(which, ['template', 't', chartDir, '--set', 'kafak.mode=external']);
      assert.notEqual(top.code, 0);
      assert.match(top.stderr, /additional properties 'kafak' not allowed/);
    });
    it(`${which}: values.schema.json refuses a wrong type and a bad enum, naming the key`, async () => {
      const r = await helm(which, ['template', 't', chartDir, '--set-string', 'producer.replicas=two']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /at '\/producer\/replicas': got string, want integer/);
      const mode = await helm(which, ['template', 't', chartDir, '--set', 'kafka.mode=kraft']);
      assert.notEqual(mode.code, 0);
      assert.match(mode.stderr, /at '\/kafka\/mode'/);
    });
  }

  it('refuses a token and an existing Secret together, and external Kafka without an address, with clear messages', async () => {
    const both = await helm('helm4', ['template', 't', chartDir, '--set', 'finnhub.token=a', '--set', 'finnhub.existingSecret=b']);
    assert.match(both.stderr, /finnhub: set either token or existingSecret, not both/);
    const external = await helm('helm4', ['template', 't', chartDir, '--set', 'kafka.mode=external', '--set', 'finnhub.token=a']);
    assert.match(external.stderr, /kafka.external.bootstrapServers is required with kafka.mode=external/);
  });

  it('external Kafka: a pre-install and pre-upgrade hook Job creates the topics as the values say, over TLS and SASL; none with Strimzi or create=false; an impossible min.insync.replicas is refused', async () => {
    const external = join(chartDir, 'ci', 'external-tls-sasl-values.yaml');
    const jobs = async (...args: string[]) =>
      parseManifests(await helmOk('helm4', ['template', 't', chartDir, ...args])).filter((o) => o.kind === 'Job') as unknown as {
        metadata: { name: string; annotations: Record<string, string> };
        spec: {
          template: {
            spec: { restartPolicy: string; containers: { command: string[]; env: { name: string; value?: string }[] }[]; volumes: { name: string }[] };
          };
        };
      }[];
    const [job, ...more] = await jobs('-f', external, '--set', 'kafka.topics.trades.partitions=12');
    assert.equal(more.length, 0);
    assert.equal(job!.metadata.name, 't-tickerflow-topics');
    assert.deepEqual(job!.metadata.annotations['helm.sh/hook'], 'pre-install,pre-upgrade');
    const pod = job!.spec.template.spec;
    assert.equal(pod.restartPolicy, 'Never');
    const [c] = pod.containers;
    assert.deepEqual(c!.command, ['tickerflow-topics']);
    const env = new Map(c!.env.map((e) => [e.name, e]));
    assert.deepEqual(JSON.parse(env.get('TOPICS')!.value!), [
      { name: 'finnhub.trades', partitions: 12, replicas: 3, config: { 'retention.ms': 604800000, 'min.insync.replicas': 2 } },
      { name: 'finnhub.candles', partitions: 6, replicas: 3, config: { 'retention.ms': 7776000000, 'min.insync.replicas': 2 } },
      { name: 'finnhub.trades.dlq', partitions: 1, replicas: 3, config: { 'retention.ms': 1209600000 } },
    ]);
    for (const name of ['KAFKA_TLS', 'KAFKA_TLS_CA_FILE', 'KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']) assert.ok(env.has(name), name);
    assert.ok(pod.volumes.some((v) => v.name === 'kafka-ca'));
    // Its own NetworkPolicy, a hook before it (the chart's others are not there at install): DNS and the Kafka ports only.
    const policy = parseManifests(await helmOk('helm4', ['template', 't', chartDir, '-f', external])).find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.name === 't-tickerflow-topics',
    ) as unknown as {
      metadata: { annotations: Record<string, string> };
      spec: { policyTypes: string[]; ingress?: unknown; egress: { ports: { port: number }[] }[] };
    };
    assert.equal(policy.metadata.annotations['helm.sh/hook-weight'], '-1');
    assert.deepEqual(policy.spec.policyTypes, ['Ingress', 'Egress']);
    assert.equal(policy.spec.ingress, undefined, 'no ingress');
    assert.deepEqual(
      policy.spec.egress.map((e) => e.ports.map((p) => p.port)),
      [[53, 53], [9094]],
    );
    assert.equal(job!.metadata.annotations['helm.sh/hook-output-log-policy'], 'hook-succeeded,hook-failed');
    assert.deepEqual(await jobs('--set', 'finnhub.token=a'), [], 'Strimzi mode: KafkaTopics, no Job');
    assert.deepEqual(await jobs('-f', external, '--set', 'kafka.topics.create=false'), []);
    const impossible = await helm('helm4', ['template', 't', chartDir, '-f', external, '--set', 'kafka.topics.candles.replicas=1']);
    assert.match(impossible.stderr, /kafka.topics.candles.config.min.insync.replicas \(2\) must be at most kafka.topics.candles.replicas \(1\)/);
  });

  it('refuses the sink without a database, an external database without a URL or password Secret, and a password in the URL', async () => {
    const template = (...set: string[]) => helm('helm4', ['template', 't', chartDir, '--set', 'finnhub.token=a', ...set.flatMap((v) => ['--set', v])]);
    const noDatabase = await template('sink.enabled=true');
    assert.notEqual(noDatabase.code, 0);
    assert.match(noDatabase.stderr, /sink.enabled needs a database: set database.mode to external or cloudnativepg/);
    const noUrl = await template('sink.enabled=true', 'database.mode=external', 'database.external.passwordSecret=db');
    assert.match(noUrl.stderr, /database.external.url is required with database.mode=external/);
    const noSecret = await template('sink.enabled=true', 'database.mode=external', 'database.external.url=postgres://u@db:5432/history');
    assert.match(noSecret.stderr, /database.external.passwordSecret is required with database.mode=external/);
    const password = await template(
      'database.mode=external',
      'database.external.passwordSecret=db',
      'database.external.url=postgres://u:hunter2@db:5432/history',
    );
    assert.notEqual(password.code, 0);
    assert.match(
      password.stderr,
      /at '\/database\/external\/url': value must be 'the URL without its password \(the password comes from database.external.passwordSecret\)'/,
    );
    const scheme = await template('database.mode=external', 'database.external.passwordSecret=db', 'database.external.url=mysql://u@db:5432/history');
    assert.match(scheme.stderr, /at '\/database\/external\/url': 'mysql:\/\/u@db:5432\/history' does not match pattern/);
    // The refusal names the key, never the password it refused.
    assert.doesNotMatch(password.stderr + password.stdout, /hunter2/);
  });

  it('the chart README is what helm-docs generates from values.yaml, and documents every value', async () => {
    const { stdout } = await run(binaries.helmDocs, ['--chart-search-root', chartDir, '--template-files=README.md.gotmpl', '--dry-run', '--log-level=error']);
    const committed = readFileSync(join(chartDir, 'README.md'), 'utf8');
    assert.equal(stdout, committed, 'charts/tickerflow/README.md is stale: run helm-docs in charts/tickerflow');
    const rows = committed.split('\n').filter((l) => /^\| [a-zA-Z]+(\.[a-zA-Z0-9.]+)* \| (string|int|bool|list|object|float)/.test(l));
    assert.ok(rows.length > 80, `${rows.length} values documented`);
    for (const row of rows) assert.doesNotMatch(row, /\|\s*\|$/, `undocumented value: ${row}`);
  });

  it('k8s/tickerflow.yaml and the chart copy of the CRD are up to date (npm run render -w test/chart)', async () => {
    assert.equal(readFileSync(renderedFile, 'utf8'), await renderManifests(), 'k8s/tickerflow.yaml is stale');
    for (const file of readdirSync(crdSource))
      assert.equal(readFileSync(join(crdCopy, file), 'utf8'), readFileSync(join(crdSource, file), 'utf8'), `${file}: the chart's copy is stale`);
  });

  it('renders the restricted Pod Security Standard, probes (Deployments) and resources for every container', async () => {
    for (const { args } of valuesCases) {
      const objects = parseManifests(await helmOk('helm4', ['template', 't', chartDir, ...args]));
      const deployments = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Job') as unknown as {
        kind: string;
        metadata: { name: string };
        spec: { template: { spec: { securityContext: Record<string, unknown>; containers: Record<string, unknown>[] } } };
      }[];
      assert.ok(deployments.length >= 3);
      for (const d of deployments) {
        const pod = d.spec.template.spec;
        assert.equal(pod.securityContext.runAsNonRoot, true, d.metadata.name);
        assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' }, d.metadata.name);
        for (const c of pod.containers) {
          const sc = c.securityContext as Record<string, unknown>;
          assert.equal(sc.allowPrivilegeEscalation, false, d.metadata.name);
          assert.equal(sc.readOnlyRootFilesystem, true, d.metadata.name);
          assert.deepEqual(sc.capabilities, { drop: ['ALL'] }, d.metadata.name);
          if (d.kind === 'Deployment') assert.ok(c.readinessProbe && c.livenessProbe, `${d.metadata.name}: probes`);
          assert.ok((c.resources as { limits?: { memory?: string } }).limits?.memory, `${d.metadata.name}: a memory limit`);
        }
      }
    }
  });
});

/**
 * Every object each values file renders is accepted by the real schemas: the
 * harness kube-apiserver with the upstream Strimzi, prometheus-operator, KEDA
 * and CloudNativePG CRDs installed, and our CRD.
 */
describe('charts/tickerflow installs into the harness kube-apiserver (upstream CRDs)', () => {
  const upstreamFiles = upstreamCrdFiles();

  it('the upstream CRDs are established', async () => {
    for (const file of upstreamFiles) await kubectlOk(['apply', '--server-side', '--field-manager=tickerflow-harness', '-f', file]);
    for (const file of upstreamFiles) await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', '-f', file]);
  });

  it('the TickerSubscription CRD as the chart renders it (labels, keep annotation) is accepted', async () => {
    const objects = parseManifests(await helmOk('helm4', ['template', 't', chartDir, '--show-only', 'templates/crd.yaml']));
    assert.deepEqual(
      objects.map((o) => o.kind),
      ['CustomResourceDefinition'],
    );
    const r = await kubectl(
      ['apply', '--server-side', '--dry-run=server', '--field-manager=tickerflow-chart-test', '--force-conflicts', '-f', '-'],
      JSON.stringify(objects[0]),
    );
    assert.equal(r.code, 0, r.stderr);
  });

  for (const which of helmNames)
    for (const file of ciValuesFiles)
      it(`${which} install with ${basename(file)}: every object is accepted and exists`, async () => {
        const ns = `chart-${which}-${randomUUID().slice(0, 6)}`;
        await kubectlOk(['create', 'namespace', ns]);
        // The CRD is cluster-scoped and other tests create and delete it: checked above, not owned here.
        const args = ['--kubeconfig', kubeconfigPath(), '-n', ns, '-f', file, '--set', 'crds.install=false'];
        try {
          // Strict field validation first: an unknown field fails instead of being pruned.
          const rendered = await helmOk(which, ['template', 'tf', chartDir, ...args, '--kube-version', versions.kubernetes]);
          const strict = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-n', ns, '-f', '-'], rendered);
          assert.equal(strict.code, 0, strict.stderr);
          // No hooks: this API server has no nodes to run the topic Job on (the dry run above checked it; the kind tests run it).
          await helmOk(which, ['install', 'tf', chartDir, ...args, '--no-hooks', '--timeout', '120s']);
          const objects = parseManifests(await helmOk(which, ['get', 'manifest', 'tf', '--kubeconfig', kubeconfigPath(), '-n', ns]));
          assert.ok(objects.length >= 15, `${objects.length} objects`);
          if (file.includes('strimzi'))
            assert.ok(
              objects.some((o) => o.apiVersion === 'kafka.strimzi.io/v1'),
              'Strimzi objects rendered',
            );
          for (const o of objects) {
            const got = await kubectl(['get', '-n', ns, resourceName(o), '-o', 'name']);
            assert.equal(got.code, 0, `${o.kind} ${o.metadata.name}: ${got.stderr}`);
          }
        } finally {
          await helm(which, ['uninstall', 'tf', '--kubeconfig', kubeconfigPath(), '-n', ns]);
          await kubectl(['delete', 'namespace', ns, '--wait=false']);
        }
      });
});

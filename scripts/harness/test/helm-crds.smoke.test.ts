import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { kubeconfigPath } from '../src/env.js';
import { upstreamCrdFiles } from '../src/crds.js';
import { binaries, repoRoot, versions } from '../src/paths.js';

const run = promisify(execFile);
const fixtures = join(repoRoot, 'scripts', 'harness', 'test', 'fixtures');
const kubectl = (...args: string[]) => run(binaries.kubectl, ['--kubeconfig', kubeconfigPath(), ...args]);
const helm = (...args: string[]) => run(binaries.helm, ['--kubeconfig', kubeconfigPath(), ...args]);

describe('kubectl and helm against the harness kube-apiserver', () => {
  const ns = `helm-${randomUUID().slice(0, 8)}`;

  it('kubectl reports the server version the apiserver was built as', async () => {
    const { stdout } = await kubectl('version', '-o', 'json');
    const version = JSON.parse(stdout) as { serverVersion: { gitVersion: string } };
    assert.equal(version.serverVersion.gitVersion, versions.kubernetes);
  });

  it('installs every upstream CRD and accepts a sample object of each kind', async () => {
    const files = upstreamCrdFiles();
    assert.equal(files.length, 10);
    for (const file of files) await kubectl('apply', '--server-side', '--field-manager=tickerflow-harness', '-f', file);
    // Only these: other test files create and delete CRDs of their own meanwhile.
    for (const file of files) await kubectl('wait', '--for=condition=Established', '--timeout=60s', '-f', file);

    await kubectl('create', 'namespace', ns);
    const { stdout } = await kubectl('apply', '--server-side', '-n', ns, '-f', join(fixtures, 'upstream-samples.yaml'), '-o', 'name');
    const created = stdout
      .trim()
      .split('\n')
      .map((line) => line.split('/')[0])
      .sort();
    assert.deepEqual(created, [
      'cluster.postgresql.cnpg.io',
      'kafka.kafka.strimzi.io',
      'kafkanodepool.kafka.strimzi.io',
      'kafkatopic.kafka.strimzi.io',
      'kafkauser.kafka.strimzi.io',
      'podmonitor.monitoring.coreos.com',
      'prometheusrule.monitoring.coreos.com',
      'scaledobject.keda.sh',
      'servicemonitor.monitoring.coreos.com',
      'triggerauthentication.keda.sh',
    ]);
  });

  it('the upstream schemas are enforced: an invalid KafkaTopic is refused', async () => {
    const bad = JSON.stringify({
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaTopic',
      metadata: { name: 'bad', namespace: ns },
      spec: { partitions: 'three' },
    });
    await assert.rejects(
      new Promise((resolve, reject) => {
        const child = execFile(binaries.kubectl, ['--kubeconfig', kubeconfigPath(), 'apply', '--server-side', '-f', '-'], (err, out) =>
          err ? reject(new Error(`${err.message}`)) : resolve(out),
        );
        child.stdin?.end(bad);
      }),
      /spec.partitions: expected numeric/,
    );
  });

  it('helm installs a chart, renders against the live server version, and uninstalls it', async () => {
    await helm('install', 'hello', join(fixtures, 'hello-chart'), '-n', ns, '--set', 'greeting=hi there', '--wait', '--timeout', '60s');
    const { stdout } = await kubectl('get', 'configmap', 'hello-greeting', '-n', ns, '-o', 'json');
    const cm = JSON.parse(stdout) as { data: Record<string, string> };
    assert.equal(cm.data.greeting, 'hi there');
    assert.equal(cm.data.kubeVersion, versions.kubernetes);
    const list = JSON.parse((await helm('list', '-n', ns, '-o', 'json')).stdout) as { name: string; status: string }[];
    assert.deepEqual(
      list.map((r) => [r.name, r.status]),
      [['hello', 'deployed']],
    );
    await helm('uninstall', 'hello', '-n', ns, '--wait');
    await assert.rejects(kubectl('get', 'configmap', 'hello-greeting', '-n', ns), /NotFound/);
  });
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { loadSchema, readTradesTopicRecord, singleObjectCodec, type TradesTopicRecord, type TradeValue } from '@tickerflow/common';
import { artifactsDir, requireEnv } from '../src/env.js';
import { eventually } from '../src/eventually.js';
import { readTopic } from '../src/kafka-read.js';
import { kubectlOk } from '../src/kubectl.js';
import { kafkaInCluster, startPortForward } from '../src/kind-kafka.js';
import { blocked, httpGetFrom, probePod, restrictedSecurityContext } from '../src/kind-probe.js';
import { freePort, type ManagedProcess } from '../src/processes.js';

const execFileAsync = promisify(execFile);
const ns = 'smoke';
const symbols = ['AAPL', 'MSFT', 'BINANCE:BTCUSDT'];
const kubeconfig = () => requireEnv('KIND_KUBECONFIG');
/** scripts/kind-e2e.sh: kind's public node image, which pulls. */
const publicImages = process.env.TICKERFLOW_KIND_IMAGES === 'public' ? 'public images are pulled' : false;

const kubectl = (args: string[], stdin?: string) => kubectlOk(args, stdin, kubeconfig());
const apply = (objects: object[]) => kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
const jsonpath = (args: string[], path: string) => kubectl([...args, '-o', `jsonpath=${path}`]);

function deployment(name: string, container: object, extra: object = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { ...extra, containers: [{ name, imagePullPolicy: 'Never', ...container }] } },
    },
  };
}
function service(name: string, port: number, namespace = ns) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { selector: { app: name }, ports: [{ name: 'main', port, targetPort: port }] },
  };
}

/**
 * The harness's kind cluster, built here from the package registries: the
 * node is Ready, CoreDNS resolves Services, the product's image runs
 * tickerflow-producer against finnhub-sim and a Kafka Pod with the restricted
 * security context and a readiness probe, trades reach Kafka, RBAC refuses a
 * ServiceAccount what it was not granted, NetworkPolicy is enforced, and no
 * image was ever pulled.
 */
describe('kind cluster (node image and every image built locally)', () => {
  const image = requireEnv('TICKERFLOW_IMAGE');
  const kafkaImage = requireEnv('TICKERFLOW_KAFKA_IMAGE');
  let externalPort: number;
  let forward: ManagedProcess | undefined;

  before(async () => {
    externalPort = await freePort();
    await kubectl(['create', 'namespace', ns]);
    await apply([
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'finnhub', namespace: ns }, stringData: { token: 'kind-smoke-token' } },
      ...kafkaInCluster({ namespace: ns, image: kafkaImage, externalPort }),
      deployment('finnhub-sim', {
        image,
        command: ['finnhub-sim', '--host', '0.0.0.0', '--port', '8080', '--rate', '200'],
        env: [{ name: 'FINNHUB_TOKEN', valueFrom: { secretKeyRef: { name: 'finnhub', key: 'token' } } }],
        securityContext: restrictedSecurityContext,
      }),
      service('finnhub-sim', 8080),
      deployment('producer', {
        image,
        command: ['tickerflow-producer'],
        env: [
          { name: 'FINNHUB_TOKEN', valueFrom: { secretKeyRef: { name: 'finnhub', key: 'token' } } },
          { name: 'FINNHUB_WS_URL', value: 'ws://finnhub-sim:8080' },
          { name: 'KAFKA_BROKERS', value: 'kafka:9092' },
          { name: 'KAFKA_CREATE_TOPICS', value: 'true' },
          { name: 'SYMBOLS', value: symbols.join(',') },
        ],
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 2 },
        livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
        securityContext: restrictedSecurityContext,
      }),
    ]);
  });

  after(async () => {
    await forward?.stop();
    // What a person needs to see when something here failed.
    const dump = await Promise.allSettled([
      kubectl(['get', 'pods', '-A', '-o', 'wide']),
      kubectl(['describe', 'pods', '-n', ns]),
      ...['kafka', 'finnhub-sim', 'producer'].map((d) => kubectl(['logs', '-n', ns, `deployment/${d}`, '--tail=60'])),
    ]);
    writeFileSync(join(artifactsDir('kind'), 'smoke.txt'), dump.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason))).join('\n---\n'));
  });

  it('has a Ready node', async () => {
    const ready = await jsonpath(['get', 'nodes'], '{.items[*].status.conditions[?(@.type=="Ready")].status}');
    assert.equal(ready, 'True');
  });

  it('runs the producer from the product image: readiness probe passed, trades in the Kafka Pod', async () => {
    await kubectl(['rollout', 'status', '-n', ns, 'deployment/kafka', 'deployment/finnhub-sim', 'deployment/producer', '--timeout=300s']);
    const ready = await jsonpath(['get', 'pods', '-n', ns, '-l', 'app=producer'], '{.items[0].status.conditions[?(@.type=="Ready")].status}');
    assert.equal(ready, 'True');
    const user = await kubectl(['exec', '-n', ns, 'deployment/producer', '--', 'id', '-u']);
    assert.equal(user.trim(), '65532', 'the product image runs as a non-root user');

    forward = (await startPortForward({ kubeconfig: kubeconfig(), namespace: ns, target: 'deployment/kafka', remotePort: 9094, localPort: externalPort }))
      .process;
    const codec = singleObjectCodec<TradeValue>(loadSchema('trade'));
    let trades: { key: string | undefined; record: TradesTopicRecord }[] = [];
    await eventually(
      async () => {
        const records = await readTopic([`127.0.0.1:${externalPort}`], 'finnhub.trades');
        const parsed = records.map((r) => ({ key: r.key?.toString(), record: readTradesTopicRecord(codec, r) }));
        trades = parsed.filter((p) => p.record.kind === 'trade');
        return trades.length >= 100;
      },
      { timeoutMs: 180_000, what: '100 trades in finnhub.trades, read through a port-forward', untilExit: forward },
    );
    for (const { key, record } of trades) {
      assert.ok(record.kind === 'trade');
      assert.equal(key, record.trade.symbol, 'keyed by symbol');
      assert.ok(symbols.includes(record.trade.symbol), `${record.trade.symbol} was subscribed`);
    }
  });

  it('resolves a Service name through CoreDNS from a Pod', async () => {
    const clusterIp = await jsonpath(['get', 'service', '-n', ns, 'finnhub-sim'], '{.spec.clusterIP}');
    const script = `require('node:dns').promises.lookup('finnhub-sim.${ns}.svc.cluster.local').then((a) => console.log(a.address))`;
    const resolved = await kubectl(['exec', '-n', ns, 'deployment/producer', '--', 'node', '-e', script]);
    assert.equal(resolved.trim(), clusterIp);
  });

  it('refuses a ServiceAccount what its Role does not grant (403 from the API inside a Pod)', async () => {
    await apply([
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader', namespace: ns } },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'configmap-reader', namespace: ns },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'reader', namespace: ns },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
      },
    ]);
    // The Pod asks the API with its own token for what it may and may not read.
    const script = `
      const fs = require('node:fs');
      const token = fs.readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/token', 'utf8');
      const ask = (path) => fetch('https://kubernetes.default.svc' + path, { headers: { authorization: 'Bearer ' + token } }).then((r) => r.status);
      Promise.all(['/api/v1/namespaces/${ns}/configmaps', '/api/v1/namespaces/${ns}/secrets'].map(ask)).then((s) => console.log(s.join(' ')));`;
    await apply([
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'rbac-probe', namespace: ns },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              serviceAccountName: 'reader',
              restartPolicy: 'Never',
              containers: [
                {
                  name: 'probe',
                  image,
                  imagePullPolicy: 'Never',
                  command: ['node', '-e', script],
                  env: [{ name: 'NODE_EXTRA_CA_CERTS', value: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt' }],
                  securityContext: restrictedSecurityContext,
                },
              ],
            },
          },
        },
      },
    ]);
    await kubectl(['wait', '-n', ns, '--for=condition=complete', 'job/rbac-probe', '--timeout=180s']);
    const statuses = (await kubectl(['logs', '-n', ns, 'job/rbac-probe'])).trim();
    assert.equal(statuses, '200 403', 'configmaps granted (200), secrets refused (403)');
  });

  it('enforces NetworkPolicy: denying ingress blocks a request that succeeds without it; an allow rule lets only its peer in', async () => {
    const netns = 'netpol';
    const policy = (name: string, spec: object) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: netns }, spec });
    await kubectl(['create', 'namespace', netns]);
    await apply([
      probePod({
        name: 'server',
        namespace: netns,
        image,
        command: ['node', '-e', "require('node:http').createServer((q, s) => s.end('hello')).listen(8080)"],
      }),
      service('server', 8080, netns),
      probePod({ name: 'client', namespace: netns, image }),
      probePod({ name: 'other', namespace: netns, image }),
    ]);
    await kubectl(['wait', '-n', netns, '--for=condition=Ready', 'pod/server', 'pod/client', 'pod/other', '--timeout=180s']);
    const podIp = await jsonpath(['get', 'pod', '-n', netns, 'server'], '{.status.podIP}');
    const reach = (pod: string) =>
      Promise.all(
        [`http://${podIp}:8080/`, `http://server.${netns}.svc:8080/`].map((url) => httpGetFrom({ kubeconfig: kubeconfig(), namespace: netns, pod, url })),
      );
    const answered = ['200 hello', '200 hello'];

    assert.deepEqual(await reach('client'), answered, 'without a policy the server answers on its Pod IP and its Service');
    await apply([policy('deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] })]);
    let denied: string[] = [];
    await eventually(async () => (denied = await reach('client')).every((r) => r === blocked), {
      timeoutMs: 120_000,
      intervalMs: 2_000,
      what: 'the deny-ingress policy enforced',
    });
    assert.deepEqual(denied, [blocked, blocked]);

    await apply([
      policy('allow-client', {
        podSelector: { matchLabels: { app: 'server' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 8080, protocol: 'TCP' }] }],
      }),
    ]);
    await eventually(async () => JSON.stringify(await reach('client')) === JSON.stringify(answered), {
      timeoutMs: 120_000,
      intervalMs: 2_000,
      what: 'the allow-client policy enforced',
    });
    assert.deepEqual(await reach('other'), [blocked, blocked], 'a Pod the rule does not name stays blocked');
  });

  it('pulled no image: every image the cluster runs was preloaded in the node or loaded by kind', async () => {
    const node = `${requireEnv('KIND_CLUSTER')}-control-plane`;
    const { stdout } = await execFileAsync('docker', ['exec', node, 'ctr', '--namespace=k8s.io', 'images', 'list', '--quiet']);
    const present = new Set(stdout.split('\n').filter(Boolean));
    const running = new Set((await jsonpath(['get', 'pods', '-A'], '{.items[*].spec.containers[*].image}')).split(' ').filter(Boolean));
    for (const name of running) assert.ok(present.has(name) || present.has(`docker.io/${name}`), `${name} is in the node's containerd`);
    assert.ok(running.has(image) && running.has(kafkaImage));
    const pulling = await jsonpath(['get', 'events', '-A', '--field-selector', 'reason=Pulling'], '{.items[*].message}');
    assert.equal(pulling, '', 'the kubelet never pulled an image');
  });

  it("was created with every registry unreachable: the node's only network forwards nothing beyond its own bridge", { skip: publicImages }, async () => {
    const node = `${requireEnv('KIND_CLUSTER')}-control-plane`;
    const bridge = requireEnv('KIND_OFFLINE_BRIDGE');
    const { stdout } = await execFileAsync('docker', ['inspect', node, '--format', '{{json .NetworkSettings.Networks}}']);
    assert.deepEqual(Object.keys(JSON.parse(stdout) as object), [requireEnv('KIND_OFFLINE_NETWORK')], 'the node is on the offline network only');
    // Exits non-zero when the rule is missing.
    await execFileAsync('iptables', ['-C', 'DOCKER-USER', '-i', bridge, '!', '-o', bridge, '-j', 'REJECT']);
    const { stdout: rules } = await execFileAsync('iptables', ['-S', 'DOCKER-USER']);
    const ours = rules.split('\n').findIndex((r) => r.includes(`-i ${bridge} `));
    assert.ok(ours >= 0 && ours < rules.split('\n').findIndex((r) => r.endsWith('-j RETURN')), 'the rule comes before DOCKER-USER returns');
  });
});

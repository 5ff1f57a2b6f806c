import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { binaries, cacheDir, repoRoot } from './paths.js';

const execFileAsync = promisify(execFile);

/** The tags `build-images.sh --print-tags` prints: every image is built here, none is pulled. */
export interface LocalImages {
  node: string;
  kafka: string;
  /** PostgreSQL 15 from Debian's packages (not preloaded: loaded into the node per run). */
  postgres: string;
  helper: string;
  kindNode: string;
  kubeRepository: string;
  etcdTag: string;
  corednsTag: string;
  /** Prometheus Operator (and its config reloader), Prometheus, and KEDA's operator and metrics API server. */
  prometheusOperator: string;
  prometheus: string;
  keda: string;
  kedaMetricsApiserver: string;
}

export interface KindCluster {
  readonly name: string;
  readonly kubeconfig: string;
  readonly dockerHost: string;
  /** The product's image (every service), built from the repository's Dockerfile on the local Node image and loaded into the node. */
  readonly productImage: string;
  /** A single-node Kafka on the local Java image, loaded into the node. */
  readonly kafkaImage: string;
  /** PostgreSQL 15 from Debian's packages on the local Debian image, loaded into the node. */
  readonly postgresImage: string;
  /** How long `kind create cluster` took, in seconds. */
  readonly createSeconds: number;
  /** With the local images: the Docker network the node runs on, whose bridge may only talk to itself and the host (no registry is reachable). */
  readonly offlineNetwork?: { name: string; bridge: string };
  delete(): Promise<void>;
}

const script = (...path: string[]) => join(repoRoot, 'scripts', 'harness', ...path);
const ownDockerHost = `unix://${join(cacheDir, 'docker', 'docker.sock')}`;

async function run(command: string, args: string[], env: NodeJS.ProcessEnv, what: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { env, cwd: repoRoot, maxBuffer: 64 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    const tail = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${what} failed: ${e.message.split('\n')[0]}\n${tail}`, { cause: err });
  }
}

export async function localImages(): Promise<LocalImages> {
  return JSON.parse(await run('bash', [script('build-images.sh'), '--print-tags'], process.env, 'build-images.sh --print-tags')) as LocalImages;
}

/**
 * TICKERFLOW_KIND_IMAGES=public (scripts/kind-e2e.sh, on a machine with
 * internet): kind's own node image, the Dockerfile's default node:24-bookworm-slim,
 * the Kafka image on a public Java 17 runtime and the PostgreSQL image on
 * debian:bookworm-slim, instead of the local builds.
 */
const publicImages = () => process.env.TICKERFLOW_KIND_IMAGES === 'public';

/** kind's cluster configuration for the node image built here: kubeadm uses the preloaded images' names, the kubelet runs on cgroup v1 too. */
export function kindConfig(images: LocalImages): string {
  return `kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
kubeadmConfigPatches:
  - |
    kind: ClusterConfiguration
    imageRepository: ${images.kubeRepository}
    etcd:
      local:
        imageRepository: ${images.kubeRepository}
        imageTag: ${images.etcdTag}
    dns:
      imageRepository: ${images.kubeRepository}
      imageTag: ${images.corednsTag}
  - |
    kind: KubeletConfiguration
    failCgroupV1: false
`;
}

/**
 * A Docker network for the kind node whose traffic can reach only its own
 * bridge and the host: a firewall rule rejects everything it would forward
 * elsewhere, so no registry can be reached by kind, kubeadm or containerd.
 * The host still reaches the node (kubectl, port-forwards).
 */
async function createOfflineNetwork(env: NodeJS.ProcessEnv, id: string) {
  const name = `tickerflow-${id}`;
  const bridge = `tfkind${id}`.slice(0, 15);
  const rule = ['DOCKER-USER', '-i', bridge, '!', '-o', bridge, '-j', 'REJECT'];
  await run('docker', ['network', 'create', '--opt', `com.docker.network.bridge.name=${bridge}`, name], env, 'docker network create');
  try {
    await run('iptables', ['-I', ...rule], env, 'iptables (the rule that keeps the kind network offline)');
  } catch (err) {
    await run('docker', ['network', 'rm', name], env, 'docker network rm').catch(() => undefined);
    throw err;
  }
  return {
    name,
    bridge,
    async remove() {
      await run('iptables', ['-D', ...rule], env, 'iptables -D').catch(() => undefined);
      await run('docker', ['network', 'rm', name], env, 'docker network rm').catch(() => undefined);
    },
  };
}

/**
 * A single-node kind cluster from the node image the harness built (run
 * `scripts/harness/install.sh` first), with the product's image, the Kafka
 * image and the PostgreSQL image loaded, on a Docker network with no way out (Cilium, preloaded, is its
 * pod network and NetworkPolicy enforcer). Docker is the machine's when it answers, otherwise the
 * harness's own daemon, which `delete()` stops again.
 */
export async function startKindCluster(workDir: string): Promise<KindCluster> {
  const dockerHost = (await run('bash', [script('docker', 'daemon.sh'), 'up'], process.env, 'starting Docker')).trim();
  const env = { ...process.env, DOCKER_HOST: dockerHost };
  const name = `tickerflow-${process.pid}`;
  const kubeconfig = join(workDir, 'kind-kubeconfig');
  const images = publicImages() ? undefined : await localImages();
  const productImage = 'tickerflow.local/tickerflow:test';
  const kafkaImage = images?.kafka ?? 'tickerflow.local/kafka:public';
  const postgresImage = images?.postgres ?? 'tickerflow.local/postgres:public';
  let created = false;
  let network: Awaited<ReturnType<typeof createOfflineNetwork>> | undefined;
  const remove = async () => {
    // TICKERFLOW_KEEP_KIND=1 leaves the cluster (and Docker) running to look into a failure.
    if (process.env.TICKERFLOW_KEEP_KIND) return;
    if (created) await run(binaries.kind, ['delete', 'cluster', '--name', name, '--kubeconfig', kubeconfig], env, 'kind delete cluster').catch(() => undefined);
    await network?.remove();
    if (dockerHost === ownDockerHost) await run('bash', [script('docker', 'daemon.sh'), 'down'], env, 'stopping Docker').catch(() => undefined);
  };
  try {
    if (images) await run('docker', ['image', 'inspect', images.kindNode], env, `the node image ${images.kindNode} (built by scripts/harness/install.sh)`);
    const configFile = join(workDir, 'kind.yaml');
    writeFileSync(configFile, images ? kindConfig(images) : 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n');
    const nodeImage = images ? ['--image', images.kindNode] : [];
    // The local images need nothing from outside, so the node gets no way out; the public ones are pulled.
    network = images ? await createOfflineNetwork(env, String(process.pid)) : undefined;
    const kindEnv = network ? { ...env, KIND_EXPERIMENTAL_DOCKER_NETWORK: network.name } : env;
    const started = Date.now();
    let createSeconds = 0;
    created = true;
    const [cluster, build, kafka, postgres] = await Promise.allSettled([
      run(
        binaries.kind,
        ['create', 'cluster', '--name', name, ...nodeImage, '--config', configFile, '--kubeconfig', kubeconfig, '--wait', '300s'],
        kindEnv,
        'kind create cluster',
      ).then(() => (createSeconds = (Date.now() - started) / 1000)),
      run(
        'docker',
        ['build', '--quiet', ...(images ? ['--build-arg', `BASE_IMAGE=${images.node}`] : []), '--tag', productImage, '.'],
        { ...env, DOCKER_BUILDKIT: '0' },
        'docker build of the product image',
      ),
      images ? undefined : run('bash', [script('build-images.sh'), '--public-kafka', kafkaImage], env, 'the Kafka image on a public Java runtime'),
      images ? undefined : run('bash', [script('build-images.sh'), '--public-postgres', postgresImage], env, 'the PostgreSQL image on a public Debian'),
    ]);
    if (cluster.status === 'rejected') throw cluster.reason;
    if (build.status === 'rejected') throw build.reason;
    if (kafka.status === 'rejected') throw kafka.reason;
    if (postgres.status === 'rejected') throw postgres.reason;
    await run(binaries.kind, ['load', 'docker-image', '--name', name, productImage, kafkaImage, postgresImage], env, 'kind load docker-image');
    const offlineNetwork = network && { name: network.name, bridge: network.bridge };
    return { name, kubeconfig, dockerHost, productImage, kafkaImage, postgresImage, createSeconds, offlineNetwork, delete: remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

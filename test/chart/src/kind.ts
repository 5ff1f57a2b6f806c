import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  artifactsDir,
  createTopic,
  freePort,
  kafkaInCluster,
  kindPostgresDatabase,
  kindPostgresUser,
  kubectl as kubectlAny,
  kubectlOk,
  postgresInCluster,
  requireEnv,
  startPortForward,
  type ManagedProcess,
} from '@tickerflow/harness';

/** The harness's PostgreSQL Pod, from `kindSession().postgres()`. */
export interface KindPostgres {
  /** `postgres://tickerflow@postgres.<namespace>.svc:5432/tickerflow`: in the cluster, the password given apart. */
  url: string;
  /** One `psql -At -c` inside the Pod (trusted local socket): its output without the last newline; rejects on an SQL error. */
  psql(sql: string): Promise<string>;
}

export interface Pod {
  metadata: { name: string; uid: string; labels: Record<string, string>; deletionTimestamp?: string };
  status: { phase: string; podIP?: string; conditions?: { type: string; status: string }[] };
}
export const isReady = (p: Pod) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
export const componentOf = (p: Pod) => p.metadata.labels['app.kubernetes.io/component'];

/** The product image as the chart's `image.*` values, never pulled. */
export function imageValues(image = requireEnv('TICKERFLOW_IMAGE')): string {
  const at = image.lastIndexOf(':');
  return `image.repository=${image.slice(0, at)},image.tag=${image.slice(at + 1)},image.pullPolicy=Never`;
}

/** A test's handle on the harness's kind cluster: kubectl with its kubeconfig, and port-forwards stopped at the end. */
export function kindSession() {
  const kubeconfig = requireEnv('KIND_KUBECONFIG');
  const forwards: ManagedProcess[] = [];
  const kubectl = (args: string[], stdin?: string) => kubectlOk(args, stdin, kubeconfig);
  const session = {
    kubeconfig,
    kubectl,
    /** kubectl's exit code and output, for commands expected to fail. */
    kubectlResult: (args: string[], stdin?: string) => kubectlAny(args, stdin, kubeconfig),
    jsonpath: (args: string[], path: string) => kubectl([...args, '-o', `jsonpath=${path}`]),
    getJson: async <T>(args: string[]): Promise<T> => JSON.parse(await kubectl([...args, '-o', 'json'])) as T,
    applyObjects: (items: object[]) => kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items })),
    /** kubectl port-forward, kept for the test's life; resolves with the local port. */
    forward: async (target: string, namespace: string, remotePort: number, localPort?: number): Promise<number> => {
      const f = await startPortForward({ kubeconfig, namespace, target, remotePort, localPort });
      forwards.push(f.process);
      return f.port;
    },
    /** A release's Pods, without those already terminating. */
    releasePods: async (namespace: string, release: string): Promise<Pod[]> =>
      (await session.getJson<{ items: Pod[] }>(['get', 'pods', '-n', namespace, '-l', `app.kubernetes.io/instance=${release}`])).items.filter(
        (p) => !p.metadata.deletionTimestamp,
      ),
    /** What a person needs to see when a test failed: each kubectl command's output (or error) into artifacts/chart/<file>. */
    async saveDiagnostics(file: string, commands: string[][]): Promise<void> {
      const outputs = await Promise.allSettled(commands.map((args) => kubectl(args)));
      const text = outputs.map((r, i) => `$ kubectl ${commands[i]!.join(' ')}\n${r.status === 'fulfilled' ? r.value : String(r.reason)}`);
      writeFileSync(join(artifactsDir('chart'), file), text.join('\n---\n'));
    },
    /** A namespace where Pods must meet the restricted Pod Security Standard. */
    async restrictedNamespace(name: string): Promise<void> {
      await kubectl(['create', 'namespace', name]);
      await kubectl(['label', 'namespace', name, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/warn=restricted']);
    },
    /**
     * The harness's single-broker Kafka in `namespace`, reached from the test
     * through a port-forward; the topics exist before the chart is installed
     * (external mode documents it). Resolves with the test's bootstrap list.
     */
    async kafka(namespace: string, topics: Record<string, number>): Promise<string[]> {
      const externalPort = await freePort();
      await kubectl(['create', 'namespace', namespace]);
      await session.applyObjects(kafkaInCluster({ namespace, image: requireEnv('TICKERFLOW_KAFKA_IMAGE'), externalPort }));
      await kubectl(['rollout', 'status', '-n', namespace, 'deployment/kafka', '--timeout=300s']);
      await session.forward('deployment/kafka', namespace, 9094, externalPort);
      const brokers = [`127.0.0.1:${externalPort}`];
      for (const [topic, partitions] of Object.entries(topics)) await createTopic(brokers, topic, partitions);
      return brokers;
    },
    /**
     * The harness's PostgreSQL 15 in `namespace` (created unless it exists;
     * the Pod meets the restricted Pod Security Standard): the Secret
     * `postgres` with `password`, a Deployment and a Service `postgres`, once
     * rolled out. Its data lives as long as the Pod.
     */
    async postgres(namespace: string, password: string): Promise<KindPostgres> {
      const created = await session.kubectlResult(['create', 'namespace', namespace]);
      if (created.code !== 0 && !created.stderr.includes('AlreadyExists')) throw new Error(`kubectl create namespace ${namespace} failed: ${created.stderr}`);
      // The password goes by stdin, never on a command line.
      const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'postgres', namespace }, type: 'Opaque', stringData: { password } };
      await session.applyObjects([secret, ...postgresInCluster({ namespace, image: requireEnv('TICKERFLOW_POSTGRES_IMAGE'), passwordSecret: 'postgres' })]);
      await kubectl(['rollout', 'status', '-n', namespace, 'deployment/postgres', '--timeout=300s']);
      return {
        url: `postgres://${kindPostgresUser}@postgres.${namespace}.svc:5432/${kindPostgresDatabase}`,
        psql: async (sql: string) =>
          (
            await kubectl(['exec', '-n', namespace, 'deploy/postgres', '--', 'psql', '-U', kindPostgresUser, '-d', kindPostgresDatabase, '-At', '-c', sql])
          ).replace(/\n$/, ''),
      };
    },
    stop: () => Promise.all(forwards.map((f) => f.stop())),
  };
  return session;
}

import { connect } from 'node:net';
import { join } from 'node:path';
import { harnessDir } from './env.js';
import { eventually } from './eventually.js';
import { binaries } from './paths.js';
import { freePort, startProcess, type ManagedProcess } from './processes.js';

/**
 * A single-broker Kafka in a kind cluster (the harness's Kafka image): a
 * Deployment and a Service named `kafka`, reached in the cluster at
 * `kafka.<namespace>.svc.cluster.local:9092` and from the test through a
 * port-forward to the Pod's 9094, advertised as 127.0.0.1:externalPort.
 */
export function kafkaInCluster(opts: { namespace: string; image: string; externalPort: number }): object[] {
  const { namespace, image, externalPort } = opts;
  const labels = { app: 'kafka' };
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'kafka', namespace },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'kafka',
                image,
                imagePullPolicy: 'Never',
                env: [
                  { name: 'KAFKA_CFG_LISTENERS', value: 'PLAINTEXT://:9092,EXTERNAL://:9094,CONTROLLER://127.0.0.1:9093' },
                  {
                    name: 'KAFKA_CFG_ADVERTISED_LISTENERS',
                    value: `PLAINTEXT://kafka.${namespace}.svc.cluster.local:9092,EXTERNAL://127.0.0.1:${externalPort}`,
                  },
                  { name: 'KAFKA_CFG_LISTENER_SECURITY_PROTOCOL_MAP', value: 'PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT' },
                ],
                readinessProbe: { tcpSocket: { port: 9092 }, periodSeconds: 2 },
                volumeMounts: [{ name: 'data', mountPath: '/var/lib/kafka' }],
              },
            ],
            volumes: [{ name: 'data', emptyDir: {} }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kafka', namespace },
      spec: { selector: labels, ports: [{ name: 'kafka', port: 9092, targetPort: 9092 }] },
    },
  ];
}

/** Whether something listens on a loopback port. */
export const acceptsConnections = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

export interface PortForward {
  readonly port: number;
  readonly process: ManagedProcess;
}

/** `kubectl port-forward` to a Pod, Deployment or Service, once it accepts connections on loopback (a free port unless given). */
export async function startPortForward(opts: {
  kubeconfig: string;
  namespace: string;
  target: string;
  remotePort: number;
  localPort?: number;
}): Promise<PortForward> {
  const port = opts.localPort ?? (await freePort());
  const proc = startProcess({
    name: `port-forward ${opts.target}`,
    command: binaries.kubectl,
    args: ['--kubeconfig', opts.kubeconfig, 'port-forward', '-n', opts.namespace, opts.target, `${port}:${opts.remotePort}`],
    logFile: join(harnessDir(), `port-forward-${opts.namespace}-${opts.target.replace(/\W/g, '-')}.log`),
  });
  await eventually(() => acceptsConnections(port), { timeoutMs: 60_000, what: `port-forward to ${opts.target}`, untilExit: proc });
  return { port, process: proc };
}

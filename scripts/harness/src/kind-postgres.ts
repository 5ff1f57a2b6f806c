import { restrictedSecurityContext } from './kind-probe.js';

/** The user and the database of the PostgreSQL Pod `postgresInCluster` makes. */
export const kindPostgresUser = 'tickerflow';
export const kindPostgresDatabase = 'tickerflow';

/**
 * A PostgreSQL 15 in a kind cluster (the harness's PostgreSQL image): a
 * Deployment and a Service named `postgres`, reached in the cluster at
 * `postgres.<namespace>.svc:5432` as user `tickerflow`, database `tickerflow`,
 * with the password under the key `password` of the Secret `passwordSecret`
 * (scram-sha-256 over TCP; psql inside the Pod goes through the trusted local
 * socket). The Pod meets the restricted Pod Security Standard: non-root, no
 * capabilities, read-only root filesystem; data, socket and /tmp are emptyDirs,
 * so the data lives as long as the Pod.
 */
export function postgresInCluster(opts: { namespace: string; image: string; passwordSecret: string }): object[] {
  const { namespace, image, passwordSecret } = opts;
  const labels = { app: 'postgres' };
  const uid = 65532;
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'postgres', namespace, labels },
      spec: {
        replicas: 1,
        // Never two servers at once, not even during a rollout.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            // No POSTGRES_PORT=tcp://... from the Service of the same name in the environment.
            enableServiceLinks: false,
            securityContext: { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'postgres',
                image,
                imagePullPolicy: 'Never',
                ports: [{ name: 'postgres', containerPort: 5432 }],
                env: [
                  { name: 'POSTGRES_USER', value: kindPostgresUser },
                  { name: 'POSTGRES_DB', value: kindPostgresDatabase },
                  { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: passwordSecret, key: 'password' } } },
                ],
                readinessProbe: {
                  exec: { command: ['pg_isready', '--host=127.0.0.1', '--port=5432', `--username=${kindPostgresUser}`, `--dbname=${kindPostgresDatabase}`] },
                  periodSeconds: 2,
                  timeoutSeconds: 5,
                },
                securityContext: { ...restrictedSecurityContext, runAsUser: uid, runAsGroup: uid },
                volumeMounts: [
                  { name: 'data', mountPath: '/var/lib/postgresql/data' },
                  { name: 'run', mountPath: '/var/run/postgresql' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: ['data', 'run', 'tmp'].map((name) => ({ name, emptyDir: {} })),
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'postgres', namespace, labels },
      spec: { selector: labels, ports: [{ name: 'postgres', port: 5432, targetPort: 5432 }] },
    },
  ];
}

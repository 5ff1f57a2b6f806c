import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { env, parseConfig, serviceEnvSchema } from '@tickerflow/common';
import { z } from 'zod';

/** The namespace a pod runs in (from its service account), for defaults. */
const IN_CLUSTER_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
const podNamespace = (): string | undefined => (existsSync(IN_CLUSTER_NAMESPACE_FILE) ? readFileSync(IN_CLUSTER_NAMESPACE_FILE, 'utf8').trim() : undefined);

export const controllerConfigSchema = z
  .object({
    ...serviceEnvSchema(10_000),
    // Where the symbols ConfigMap, the producer's state ConfigMap and the Lease live (the release's namespace).
    KUBE_NAMESPACE: env.optionalString(),
    // TickerSubscriptions are read from this namespace only, unless WATCH_ALL_NAMESPACES is set.
    WATCH_NAMESPACE: env.optionalString(),
    WATCH_ALL_NAMESPACES: env.bool(false),
    SYMBOLS_CONFIGMAP: env.string('tickerflow-symbols'),
    PRODUCER_STATE_CONFIGMAP: env.string('tickerflow-producer-state'),
    FINNHUB_SYMBOL_LIMIT: env.int(50, 1),
    // The producer rewrites its report at least every 30 s: older than this, its symbol states are not current.
    PRODUCER_STATE_STALE_AFTER: env.duration('2m'),
    LEADER_ELECTION: env.bool(true),
    LEADER_ELECTION_LEASE: env.string('tickerflow-controller'),
    LEADER_ELECTION_LEASE_DURATION_SECONDS: env.number(15, 1),
    LEADER_ELECTION_RENEW_DEADLINE_SECONDS: env.number(10, 1),
    LEADER_ELECTION_RETRY_PERIOD_SECONDS: env.number(2, 0.1),
    POD_NAME: env.string(`${hostname()}-${process.pid}`),
    // What it creates in the cluster (ConfigMaps, its Lease) is owned by this Deployment, so deleting it deletes them.
    OWNER_DEPLOYMENT: env.optionalString(),
  })
  .transform((cfg, ctx) => {
    const namespace = cfg.KUBE_NAMESPACE ?? podNamespace();
    if (!namespace) {
      ctx.addIssue({ code: 'custom', path: ['KUBE_NAMESPACE'], message: 'is required outside a pod (the namespace of the ConfigMaps and the Lease)' });
      return z.NEVER;
    }
    if (!(cfg.LEADER_ELECTION_RENEW_DEADLINE_SECONDS < cfg.LEADER_ELECTION_LEASE_DURATION_SECONDS)) {
      ctx.addIssue({
        code: 'custom',
        path: ['LEADER_ELECTION_RENEW_DEADLINE_SECONDS'],
        message: 'must be below LEADER_ELECTION_LEASE_DURATION_SECONDS (a leader must give up before its Lease can be taken)',
      });
      return z.NEVER;
    }
    return { ...cfg, KUBE_NAMESPACE: namespace, WATCH_NAMESPACE: cfg.WATCH_ALL_NAMESPACES ? undefined : (cfg.WATCH_NAMESPACE ?? namespace) };
  });

export type ControllerConfig = z.output<typeof controllerConfigSchema>;

export const readControllerConfig = (environment: NodeJS.ProcessEnv): Readonly<ControllerConfig> => parseConfig(controllerConfigSchema, environment);

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { crossFieldChecks, env, serviceEnvSchema, kafkaEnvRefinement, kafkaEnvSchema, parseConfig, schemaRegistryEnvSchema } from '@tickerflow/common';
import { z } from 'zod';
import { parseSymbolList } from './symbols/source.js';

export const producerConfigSchema = z
  .object({
    FINNHUB_TOKEN: z.string({ error: 'is required (the Finnhub API key, from a Secret)' }).min(1, 'is required'),
    FINNHUB_WS_URL: env.url(['wss:', 'ws:']).default('wss://ws.finnhub.io'),
    SYMBOLS: z
      .string()
      .transform((text, ctx) => {
        try {
          return parseSymbolList(text);
        } catch {
          // The parser's message quotes the value: not repeated here.
          ctx.addIssue({ code: 'custom', message: 'starts with [ but is not a JSON array of strings (or give a comma-separated list)' });
          return z.NEVER;
        }
      })
      .optional(),
    SYMBOLS_FILE: env.optionalString(),
    SYMBOLS_FILE_POLL_MS: env.int(1000, 10),
    // Kubernetes: the controller's symbols ConfigMap, watched through the API.
    SYMBOLS_CONFIGMAP: env.optionalString(),
    PRODUCER_STATE_CONFIGMAP: env.string('tickerflow-producer-state'),
    // Durations (`5s`, `500ms`): the state ConfigMap is written at most every interval, and at least every heartbeat.
    PRODUCER_STATE_INTERVAL: env.duration('5s').pipe(z.number().min(100, 'must be at least 100ms')),
    PRODUCER_STATE_HEARTBEAT: env.duration('30s').pipe(z.number().min(100, 'must be at least 100ms')),
    KUBE_NAMESPACE: env.optionalString(),
    LEADER_ELECTION: env.bool(false),
    LEADER_ELECTION_LEASE: env.string('tickerflow-producer'),
    // client-go's defaults.
    LEADER_ELECTION_LEASE_DURATION_SECONDS: env.number(15, 1),
    LEADER_ELECTION_RENEW_DEADLINE_SECONDS: env.number(10, 0.1),
    LEADER_ELECTION_RETRY_PERIOD_SECONDS: env.number(2, 0.05),
    POD_NAME: env.string(),
    // What it creates in the cluster (ConfigMaps, its Lease) is owned by this Deployment, so deleting it deletes them.
    OWNER_DEPLOYMENT: env.optionalString(),
    FINNHUB_SYMBOL_LIMIT: env.int(50, 1),
    FINNHUB_STALE_SECONDS: env.number(150, 0.1),
    FINNHUB_UNAUTHORIZED_RETRY_SECONDS: env.number(60, 0.1),
    FINNHUB_SYMBOL_ACCEPT_SECONDS: env.number(5, 0),
    RECONNECT_INITIAL_MS: env.int(500, 1),
    RECONNECT_MAX_MS: env.int(30_000, 1),
    ...serviceEnvSchema(20_000),
    ...kafkaEnvSchema,
    TRADES_TOPIC: env.string('finnhub.trades'),
    // Off by default: in Kubernetes a Strimzi KafkaTopic owns the topic.
    KAFKA_CREATE_TOPICS: env.bool(false),
    KAFKA_COMPRESSION: z.enum(['none', 'gzip']).default('none'),
    PRODUCER_BUFFER_MAX_BYTES: env.int(64 * 1024 * 1024, 1024),
    // Larger requests measured slower on the bench (see the README).
    PRODUCER_BATCH_MAX_RECORDS: env.int(1000, 1),
    // Watermark records carry event time on quiet partitions (0 turns them off).
    PRODUCER_WATERMARK_INTERVAL_MS: env.int(1000, 0),
    ...schemaRegistryEnvSchema,
    SHUTDOWN_DRAIN_QUIET_MS: env.int(300, 0),
  })
  .superRefine((cfg, ctx) => {
    kafkaEnvRefinement(cfg, ctx);
    const sources = (['SYMBOLS', 'SYMBOLS_FILE', 'SYMBOLS_CONFIGMAP'] as const).filter((name) => cfg[name] !== undefined);
    if (sources.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['SYMBOLS'], message: 'set SYMBOLS (comma-separated or a JSON array), SYMBOLS_FILE or SYMBOLS_CONFIGMAP' });
    } else if (sources.length > 1) {
      ctx.addIssue({ code: 'custom', path: [sources[1]!], message: `set only one symbol source: ${sources.join(' and ')} are both set` });
    }
    const kubeUsers = [cfg.SYMBOLS_CONFIGMAP !== undefined && 'SYMBOLS_CONFIGMAP', cfg.LEADER_ELECTION === true && 'LEADER_ELECTION=true'].filter(Boolean);
    if (kubeUsers.length > 0 && cfg.KUBE_NAMESPACE === undefined) {
      ctx.addIssue({ code: 'custom', path: ['KUBE_NAMESPACE'], message: `is required with ${kubeUsers.join(' and ')} outside a pod` });
    }
    // client-go's rules: the leader gives up (renew deadline) before its Lease can be taken, and retries more than once before that.
    const [lease, renew, retry] = [
      cfg.LEADER_ELECTION_LEASE_DURATION_SECONDS,
      cfg.LEADER_ELECTION_RENEW_DEADLINE_SECONDS,
      cfg.LEADER_ELECTION_RETRY_PERIOD_SECONDS,
    ];
    if (typeof lease === 'number' && typeof renew === 'number' && lease <= renew) {
      ctx.addIssue({ code: 'custom', path: ['LEADER_ELECTION_RENEW_DEADLINE_SECONDS'], message: 'must be less than LEADER_ELECTION_LEASE_DURATION_SECONDS' });
    }
    if (typeof renew === 'number' && typeof retry === 'number' && renew <= retry * 1.2) {
      ctx.addIssue({
        code: 'custom',
        path: ['LEADER_ELECTION_RETRY_PERIOD_SECONDS'],
        message: 'must be less than LEADER_ELECTION_RENEW_DEADLINE_SECONDS / 1.2',
      });
    }
    const [interval, heartbeat] = [cfg.PRODUCER_STATE_INTERVAL, cfg.PRODUCER_STATE_HEARTBEAT];
    if (typeof interval === 'number' && typeof heartbeat === 'number' && heartbeat < interval) {
      ctx.addIssue({ code: 'custom', path: ['PRODUCER_STATE_HEARTBEAT'], message: 'must be at least PRODUCER_STATE_INTERVAL' });
    }
  }, crossFieldChecks);

export type ProducerConfig = z.infer<typeof producerConfigSchema>;

const IN_CLUSTER_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** Defaults that come from where the process runs, not from the environment: the pod's namespace, an identity. */
export interface RuntimeDefaults {
  /** The in-cluster namespace (the service account's namespace file), when there is one. */
  namespace?: string;
  identity: string;
}

export function runtimeDefaults(namespaceFile = IN_CLUSTER_NAMESPACE_FILE): RuntimeDefaults {
  let namespace: string | undefined;
  try {
    namespace = readFileSync(namespaceFile, 'utf8').trim() || undefined;
  } catch {
    // Not in a pod: KUBE_NAMESPACE is then required where Kubernetes is used.
  }
  return { namespace, identity: `${hostname()}-${process.pid}` };
}

export const readProducerConfig = (environment: NodeJS.ProcessEnv, defaults: RuntimeDefaults = runtimeDefaults()): Readonly<ProducerConfig> =>
  parseConfig(producerConfigSchema, { ...(defaults.namespace && { KUBE_NAMESPACE: defaults.namespace }), POD_NAME: defaults.identity, ...environment });

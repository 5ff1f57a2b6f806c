import {
  applyObject,
  applyStatus,
  createInformer,
  createLeaderElector,
  createWorkQueue,
  deploymentOwners,
  encodeDesiredSymbols,
  keyOf,
  leaseOptions,
  splitKey,
  worthLogging,
  type Logger,
} from '@tickerflow/common';
import { CoreV1Api, CustomObjectsApi, KubernetesObjectApi, type KubeConfig, type KubernetesObject, type V1ConfigMap } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION, type TickerSubscription } from './api/v1alpha1.js';
import type { ControllerConfig } from './config.js';
import { createControllerMetrics } from './metrics.js';
import { createReconciler, SYMBOLS_QUEUE_KEY } from './reconciler.js';

export const FIELD_MANAGER = 'tickerflow-controller';

/**
 * Wiring: informers on TickerSubscriptions and the two ConfigMaps feed one
 * work queue; only the Lease holder reconciles (every replica keeps its
 * caches warm, so a new leader starts at once).
 */
export function createControllerApp(config: ControllerConfig, deps: { kc: KubeConfig; registry: Registry; logger: Logger; now?: () => number }) {
  const { kc, logger } = deps;
  const now = deps.now ?? Date.now;
  const metrics = createControllerMetrics(deps.registry);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const namespace = config.KUBE_NAMESPACE;
  const watched = config.WATCH_NAMESPACE;
  // The symbols ConfigMap and the Lease belong to this Deployment (gone with it).
  const owners = deploymentOwners(kc, namespace, config.OWNER_DEPLOYMENT);

  /** Every subscription's status is looked at again (the queue de-duplicates). */
  const resyncSubscriptions = () => {
    for (const s of subscriptions.list()) queue.add(keyOf(s));
  };
  const subscriptions = createInformer<TickerSubscription>({
    kc,
    path: watched ? `/apis/${GROUP}/${VERSION}/namespaces/${watched}/${PLURAL}` : `/apis/${GROUP}/${VERSION}/${PLURAL}`,
    list: () =>
      (watched
        ? custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: watched, plural: PLURAL })
        : custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as never,
    logger: logger.child({ informer: PLURAL }),
    // Any subscription can move another over or under the limit: all are looked at again (the queue de-duplicates).
    onChange: () => {
      reconciler.subscriptionsChanged();
      queue.add(SYMBOLS_QUEUE_KEY);
      resyncSubscriptions();
    },
  });
  // One informer for both ConfigMaps of the namespace: which one changed decides what to reconcile.
  const configMaps = createInformer<V1ConfigMap>({
    kc,
    path: `/api/v1/namespaces/${namespace}/configmaps`,
    list: () => core.listNamespacedConfigMap({ namespace }),
    logger: logger.child({ informer: 'configmaps' }),
    onChange: (cm) => {
      if (cm.metadata?.name === config.SYMBOLS_CONFIGMAP) queue.add(SYMBOLS_QUEUE_KEY);
      // The producer's report changes every subscription's status.
      else if (cm.metadata?.name === config.PRODUCER_STATE_CONFIGMAP) resyncSubscriptions();
    },
  });

  const reconciler = createReconciler(
    { limit: config.FINNHUB_SYMBOL_LIMIT, staleAfterMs: config.PRODUCER_STATE_STALE_AFTER },
    {
      subscriptions: () => subscriptions.list(),
      subscription: (key) => {
        const { namespace: ns, name } = splitKey(key);
        return subscriptions.get(name, ns);
      },
      symbolsConfigMap: () => configMaps.get(config.SYMBOLS_CONFIGMAP, namespace),
      producerStateConfigMap: () => configMaps.get(config.PRODUCER_STATE_CONFIGMAP, namespace),
      applySymbols: async (symbols) =>
        applyObject(
          objects,
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: config.SYMBOLS_CONFIGMAP, namespace, labels: { 'app.kubernetes.io/managed-by': FIELD_MANAGER }, ownerReferences: await owners() },
            data: encodeDesiredSymbols(symbols),
          } as KubernetesObject,
          FIELD_MANAGER,
        ).then(() => undefined),
      applyStatus: (sub, status) =>
        applyStatus(
          custom,
          { group: GROUP, version: VERSION, plural: PLURAL, kind: KIND, namespace: sub.metadata!.namespace!, name: sub.metadata!.name! },
          status,
          FIELD_MANAGER,
        ).then(() => undefined),
      recordEvent: (subject, type, reason, message) => recordEvent(core, subject, type, reason, message, now),
      metrics,
      logger,
      now,
    },
  );

  // A queue per leadership term: a stopped queue stays stopped, and a new term starts from a full resync anyway.
  const newQueue = () =>
    createWorkQueue({
      reconciler,
      concurrency: 2,
      onResult: (r) => {
        metrics.reconciles.inc({ kind: r.key === SYMBOLS_QUEUE_KEY ? 'symbols' : 'subscription', result: r.result });
        metrics.queueDepth.set(queue.depth());
        if (r.result === 'error' && worthLogging(r.failures ?? 1))
          logger.warn({ key: r.key, err: r.err, failures: r.failures, retryInMs: r.retryInMs }, 'reconcile failed; retrying with backoff');
        if (r.result === 'terminal') logger.error({ key: r.key, err: r.err }, 'reconcile failed for good');
      },
    });
  let queue = newQueue();

  let leading = false;
  function lead() {
    leading = true;
    metrics.leader.set(1);
    logger.info('leading: reconciling');
    queue = newQueue();
    queue.start();
    queue.add(SYMBOLS_QUEUE_KEY);
    resyncSubscriptions();
  }
  async function follow() {
    if (!leading) return;
    leading = false;
    metrics.leader.set(0);
    logger.info('not leading: reconciling stopped');
    await queue.stop();
  }
  const elector = config.LEADER_ELECTION
    ? createLeaderElector({
        kc,
        namespace,
        ...leaseOptions(config),
        owners,
        onStartedLeading: lead,
        onStoppedLeading: follow,
        logger,
      })
    : undefined;
  metrics.leader.set(0);

  return {
    readiness: [{ name: 'kubernetes', ready: () => subscriptions.synced() && configMaps.synced() }],
    async start() {
      await Promise.all([subscriptions.start(), configMaps.start()]);
      if (elector) elector.start();
      else lead();
    },
    async stop() {
      // The Lease goes last but one: a standby must not start while we still write.
      if (elector) await elector.stop();
      else await follow();
      await Promise.all([subscriptions.stop(), configMaps.stop()]);
    },
  };
}

/** A core/v1 Event on the object (what `kubectl describe` shows). */
async function recordEvent(core: CoreV1Api, subject: KubernetesObject, type: 'Normal' | 'Warning', reason: string, message: string, now: () => number) {
  const at = new Date(now());
  const ns = subject.metadata?.namespace ?? 'default';
  await core.createNamespacedEvent({
    namespace: ns,
    body: {
      metadata: { generateName: `${subject.metadata?.name ?? 'tsub'}.`, namespace: ns },
      involvedObject: { apiVersion: API_VERSION, kind: KIND, name: subject.metadata?.name, namespace: ns, uid: subject.metadata?.uid },
      type,
      reason,
      message,
      source: { component: FIELD_MANAGER },
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
      reportingComponent: FIELD_MANAGER,
    },
  });
}

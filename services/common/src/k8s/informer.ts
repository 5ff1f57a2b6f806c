import { makeInformer, type Informer, type KubeConfig, type KubernetesListObject, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import { backoffDelay, type BackoffOptions } from '../backoff.js';
import type { Logger } from '../logger.js';
import { worthLogging } from '../retry.js';

/** The queue key of an object: `namespace/name`, or `name` when cluster-scoped (client-go's MetaNamespaceKeyFunc). */
export function keyOf(obj: KubernetesObject): string {
  const name = obj.metadata?.name ?? '';
  return obj.metadata?.namespace ? `${obj.metadata.namespace}/${name}` : name;
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export type ListFn<T extends KubernetesObject> = () => Promise<KubernetesListObject<T>>;

export interface InformerOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  /** The collection's API path, e.g. `/api/v1/namespaces/ns/configmaps`. */
  path: string;
  list: ListFn<T>;
  labelSelector?: string;
  logger: Logger;
  /**
   * Called for an added, changed or deleted object alike (the deleted one's
   * last state): level-triggered code looks up the current state by key. It
   * must not throw (a throw is logged).
   */
  onChange: (obj: T) => void;
  /** Pause before restarting after a failure (default 500 ms growing to 30 s, jittered). */
  backoff?: BackoffOptions;
  /** The client-node informer to wrap (tests pass a fake). */
  makeInformer?: (kc: KubeConfig, path: string, list: ListFn<T>, labelSelector?: string) => Informer<T> & ObjectCache<T>;
}

export interface ResourceInformer<T extends KubernetesObject> {
  /** Resolves once the first list succeeded and the watch is open; rejects if stopped before. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The cached objects. */
  list(): readonly T[];
  get(name: string, namespace?: string): T | undefined;
  /** Listed and watching now (false while it waits to restart). */
  synced(): boolean;
}

export const DEFAULT_INFORMER_BACKOFF: BackoffOptions = Object.freeze({ initialMs: 500, maxMs: 30_000 });

/**
 * A @kubernetes/client-node informer that keeps running. In client-node 2.x
 * the informer reconnects by itself only after a watch timeout (and relists
 * after 410 Gone); any other failure (the API server restarting, a refused
 * list, a new CRD's watch answering 429) stops it and only emits `error`.
 * Here every such stop is followed by a restart after a jittered, growing
 * pause. A restart resumes the watch from the last resource version, so no
 * change is lost and nothing is relisted unless the server says it must be.
 */
export function createInformer<T extends KubernetesObject>(opts: InformerOptions<T>): ResourceInformer<T> {
  const backoff = opts.backoff ?? DEFAULT_INFORMER_BACKOFF;
  const logger = opts.logger.child({ informer: opts.path });
  const informer = (opts.makeInformer ?? makeInformer<T>)(opts.kc, opts.path, opts.list, opts.labelSelector);

  let stopped = false;
  let isSynced = false;
  let failures = 0;
  // Counts every failure, so that an attempt can tell whether it failed meanwhile.
  let errors = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let firstSync: PromiseWithResolvers<void> | undefined;

  const changed = (obj: T) => {
    try {
      opts.onChange(obj);
    } catch (err) {
      logger.error({ err, key: keyOf(obj) }, 'informer onChange threw');
    }
  };
  informer.on('add', changed);
  informer.on('update', changed);
  informer.on('delete', changed);
  informer.on('error', (err: unknown) => failed(err));

  function failed(err: unknown): void {
    if (stopped) return;
    isSynced = false;
    errors++;
    failures++;
    if (restartTimer) return;
    const delayMs = backoffDelay(failures - 1, backoff);
    if (worthLogging(failures)) logger.warn({ err, failures, delayMs }, 'informer stopped; restarting it');
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      void attempt();
    }, delayMs);
  }

  async function attempt(): Promise<void> {
    const before = errors;
    try {
      // Resolves once the watch is open, or after `error` was emitted.
      await informer.start();
    } catch (err) {
      failed(err);
    }
    if (stopped || errors !== before) return;
    isSynced = true;
    if (failures > 0) logger.info({ failures }, 'informer watching again');
    failures = 0;
    firstSync?.resolve();
  }

  return {
    start() {
      if (!firstSync) {
        firstSync = Promise.withResolvers<void>();
        void attempt();
      }
      return firstSync.promise;
    },
    async stop() {
      stopped = true;
      isSynced = false;
      clearTimeout(restartTimer);
      restartTimer = undefined;
      firstSync?.reject(new Error(`informer for ${opts.path} stopped before its first list`));
      await informer.stop();
    },
    list: () => informer.list(),
    get: (name, namespace) => informer.get(name, namespace),
    synced: () => isSynced,
  };
}

import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { createInformer, decodeDesiredSymbols, type Logger } from '@tickerflow/common';
import type { SymbolSource } from './source.js';

/**
 * What a version of the symbols ConfigMap means for the wanted list: a new
 * list when its content differs from the last one applied; nothing for an
 * unchanged one (a re-list, a label edit); an error, once per bad document,
 * that keeps the last good list; an empty list when the ConfigMap is gone
 * (reported once per disappearance).
 */
export function symbolsTracker(deps: { onChange: (symbols: string[]) => void; onError: (err: Error) => void; onMissing: () => void }) {
  let last: string | undefined;
  let lastBad: string | undefined;
  let missing = false;
  const apply = (symbols: string[]) => {
    const key = JSON.stringify(symbols);
    if (key === last) return;
    last = key;
    deps.onChange(symbols);
  };
  return {
    /** The ConfigMap as it is now, or undefined when there is none. */
    observe: (configMap: Pick<V1ConfigMap, 'data'> | undefined) => {
      if (configMap === undefined) {
        lastBad = undefined;
        if (!missing) deps.onMissing();
        missing = true;
        apply([]);
        return;
      }
      missing = false;
      let symbols: string[];
      try {
        symbols = decodeDesiredSymbols(configMap.data);
      } catch (err) {
        const text = JSON.stringify(configMap.data ?? {});
        if (text !== lastBad) deps.onError(err instanceof Error ? err : new Error(String(err)));
        lastBad = text;
        return;
      }
      lastBad = undefined;
      apply(symbols);
    },
  };
}

/**
 * The controller's symbols ConfigMap, watched through the API: an informer
 * (restarted with backoff on any error) on the namespace's ConfigMaps,
 * filtered to the one named. Each version is judged by symbolsTracker.
 * start() resolves once the first list succeeded (or the source was stopped),
 * having called onChange with the list as it is.
 */
export function configMapSymbols(
  kc: KubeConfig,
  where: { namespace: string; configMap: string },
  deps: { logger: Logger; onError: (err: Error) => void },
): SymbolSource {
  const { namespace, configMap } = where;
  const core = kc.makeApiClient(CoreV1Api);
  let tracker: ReturnType<typeof symbolsTracker> | undefined;
  const informer = createInformer<V1ConfigMap>({
    kc,
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`,
    list: () => core.listNamespacedConfigMap({ namespace }),
    logger: deps.logger,
    // Level-triggered: whatever happened, read the current one (undefined once deleted).
    onChange: (obj) => {
      if (obj.metadata?.name === configMap) tracker?.observe(informer.get(configMap, namespace));
    },
  });
  let stopped = false;
  return {
    async start(onChange) {
      tracker = symbolsTracker({
        onChange,
        onError: (err) => deps.onError(err),
        onMissing: () => deps.logger.warn({ namespace, configMap }, 'the symbols ConfigMap does not exist: no symbols wanted until it does'),
      });
      try {
        await informer.start();
      } catch (err) {
        if (stopped) return;
        throw err;
      }
      tracker.observe(informer.get(configMap, namespace));
    },
    stop() {
      stopped = true;
      void informer.stop();
    },
  };
}

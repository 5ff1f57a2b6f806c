import { PatchStrategy, setHeaderOptions, type CustomObjectsApi, type KubernetesObject, type KubernetesObjectApi } from '@kubernetes/client-node';

/**
 * Server-side apply: we send the fields we own, under our field manager, and
 * the API server merges them and tracks ownership. Re-applying the same
 * content is a no-op (resourceVersion unchanged), so a level-triggered
 * reconcile may apply every time. Forced, because a controller is the
 * authority for the fields it applies (the Kubernetes docs' advice).
 */
export function applyObject<T extends KubernetesObject>(client: KubernetesObjectApi, obj: T, fieldManager: string): Promise<T> {
  return client.patch(obj, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
}

export interface CustomObjectRef {
  group: string;
  version: string;
  plural: string;
  kind: string;
  /** Omitted for a cluster-scoped resource. */
  namespace?: string;
  name: string;
}

/**
 * Server-side applies `status` to a custom resource's /status subresource.
 * The generated CustomObjectsApi picks a json-patch Content-Type for the
 * status patch; the header is overridden to apply-patch (the JSON body is
 * valid YAML). An apply body must name the object: apiVersion, kind,
 * metadata.name (and namespace) go along with the status.
 */
export async function applyStatus<S>(
  client: CustomObjectsApi,
  ref: CustomObjectRef,
  status: S,
  fieldManager: string,
): Promise<KubernetesObject & { status?: S }> {
  const { group, version, plural, kind, namespace, name } = ref;
  const body = { apiVersion: `${group}/${version}`, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, status };
  const options = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  const request = { group, version, plural, name, body, fieldManager, force: true };
  return (await (namespace
    ? client.patchNamespacedCustomObjectStatus({ ...request, namespace }, options)
    : client.patchClusterCustomObjectStatus(request, options))) as KubernetesObject & { status?: S };
}

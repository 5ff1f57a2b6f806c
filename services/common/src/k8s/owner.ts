import { AppsV1Api, type KubeConfig, type V1OwnerReference } from '@kubernetes/client-node';

/** The owner references to put on what a service creates at run time, read once (a failed read is tried again next time). */
export type Owners = () => Promise<V1OwnerReference[]>;

/**
 * The objects a service creates at run time (its ConfigMaps, its Lease) are
 * owned by its Deployment: deleting the Deployment (`helm uninstall`) lets
 * Kubernetes' garbage collector delete them, also one re-created while the
 * Pods were shutting down (its owner is gone, so it is collected again).
 * Without a Deployment name (local runs) nothing is owned.
 */
export function deploymentOwners(kc: KubeConfig, namespace: string, deployment: string | undefined): Owners {
  if (!deployment) return () => Promise.resolve([]);
  let owners: Promise<V1OwnerReference[]> | undefined;
  return () =>
    (owners ??= kc
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: deployment, namespace })
      .then((d) => [{ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment, uid: d.metadata!.uid! }])
      .catch((err: unknown) => {
        owners = undefined;
        throw new Error(`reading the owner Deployment ${namespace}/${deployment}`, { cause: err });
      }));
}

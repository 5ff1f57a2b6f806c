import { kubectlOk } from './kubectl.js';

/** The restricted Pod Security Standard's container security context. */
export const restrictedSecurityContext = {
  runAsNonRoot: true,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

/**
 * A Pod that only waits, to make HTTP requests from with `httpGetFrom`. Its
 * labels are set from the start: a NetworkPolicy enforcer may take a while to
 * see a changed one.
 */
export function probePod(opts: { name: string; namespace: string; image: string; labels?: Record<string, string>; command?: string[] }): object {
  const { name, namespace, image } = opts;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: opts.labels ?? { app: name } },
    spec: {
      containers: [{ name, image, imagePullPolicy: 'Never', command: opts.command ?? ['sleep', 'infinity'], securityContext: restrictedSecurityContext }],
    },
  };
}

/** What an HTTP GET from inside a Pod (with Node.js in its image) gets: `<status> <body>`, or `blocked: <error>` when nothing answers within 3 s. */
export async function httpGetFrom(opts: { kubeconfig: string; namespace: string; pod: string; url: string }): Promise<string> {
  const script = `fetch(process.argv[1], { signal: AbortSignal.timeout(3000) })
    .then(async (r) => console.log(r.status, (await r.text()).slice(0, 200)), (e) => console.log('blocked:', e.name))`;
  return (await kubectlOk(['exec', '-n', opts.namespace, opts.pod, '--', 'node', '-e', script, opts.url], undefined, opts.kubeconfig)).trim();
}

/** The answer `httpGetFrom` gives when a NetworkPolicy drops the connection. */
export const blocked = 'blocked: TimeoutError';

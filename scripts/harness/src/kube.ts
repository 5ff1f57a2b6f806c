import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { binaries } from './paths.js';
import { eventually } from './eventually.js';
import { freePort, startProcess, type ManagedProcess } from './processes.js';

const execFileAsync = promisify(execFile);

export interface KubeControlPlane {
  /** Path of an admin kubeconfig (client certificate in group system:masters). */
  readonly kubeconfig: string;
  readonly server: string;
  readonly caFile: string;
  /** etcd and kube-apiserver as running now. */
  readonly processes: readonly ManagedProcess[];
  /** Stops kube-apiserver and starts it again on the same port and etcd, as in an upgrade or a crash; resolves once it is ready. */
  restartApiserver(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * etcd plus kube-apiserver, started the way controller-runtime's envtest
 * starts them: our own CA, a serving certificate for 127.0.0.1, an admin
 * client certificate, service-account signing keys (so TokenRequest works)
 * and RBAC authorization. No controller-manager or scheduler runs.
 */
export async function startKube(workDir: string): Promise<KubeControlPlane> {
  mkdirSync(workDir, { recursive: true });
  const dir = mkdtempSync(join(workDir, 'kube-'));
  const certs = join(dir, 'pki');
  mkdirSync(certs, { recursive: true });
  await makePki(certs);

  const [etcdPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcd = startProcess({
    name: 'etcd',
    command: binaries.etcd,
    args: [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    logFile: join(dir, 'etcd.log'),
  });
  try {
    await eventually(async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`)).ok, { timeoutMs: 60_000, what: 'etcd health', untilExit: etcd });
  } catch (err) {
    await etcd.stop();
    throw err;
  }

  const server = `https://127.0.0.1:${apiPort}`;
  const startApiserver = () =>
    startProcess({
      name: 'kube-apiserver',
      command: binaries.kubeApiserver,
      args: [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        `--cert-dir=${certs}`,
        `--tls-cert-file=${join(certs, 'apiserver.crt')}`,
        `--tls-private-key-file=${join(certs, 'apiserver.key')}`,
        `--client-ca-file=${join(certs, 'ca.crt')}`,
        `--secure-port=${apiPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--allow-privileged=true',
        '--authorization-mode=RBAC',
        `--service-account-issuer=${server}`,
        `--service-account-key-file=${join(certs, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(certs, 'sa.key')}`,
        '--disable-admission-plugins=ServiceAccount',
        '--v=0',
      ],
      logFile: join(dir, 'kube-apiserver.log'),
    });
  let apiserver = startApiserver();
  const stop = async () => {
    await apiserver.stop();
    await etcd.stop();
  };
  const tls = {
    ca: readFileSync(join(certs, 'ca.crt')),
    cert: readFileSync(join(certs, 'admin.crt')),
    key: readFileSync(join(certs, 'admin.key')),
  };
  const ready = () => eventually(() => httpsOk(`${server}/readyz`, tls), { timeoutMs: 180_000, what: 'kube-apiserver /readyz', untilExit: apiserver });
  try {
    await ready();
  } catch (err) {
    await stop();
    throw err;
  }

  const caFile = join(certs, 'ca.crt');
  const kubeconfig = join(dir, 'admin.kubeconfig');
  writeKubeconfig(kubeconfig, server, caFile, {
    'client-certificate': join(certs, 'admin.crt'),
    'client-key': join(certs, 'admin.key'),
  });
  return {
    kubeconfig,
    server,
    caFile,
    get processes() {
      return [etcd, apiserver];
    },
    async restartApiserver() {
      await apiserver.stop();
      apiserver = startApiserver();
      await ready();
    },
    stop,
  };
}

/**
 * Writes a kubeconfig for the same cluster as `adminKubeconfig` that
 * authenticates with a bearer token, e.g. a ServiceAccount's from TokenRequest.
 */
export function writeTokenKubeconfig(adminKubeconfig: string, file: string, token: string, namespace?: string): string {
  const admin = JSON.parse(readFileSync(adminKubeconfig, 'utf8')) as {
    clusters: [{ cluster: { server: string; 'certificate-authority': string } }];
  };
  const { server, 'certificate-authority': caFile } = admin.clusters[0].cluster;
  return writeKubeconfig(file, server, caFile, { token }, namespace);
}

function writeKubeconfig(file: string, server: string, caFile: string, user: Record<string, string>, namespace?: string): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'harness', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: 'user', user }],
    contexts: [{ name: 'harness', context: { cluster: 'harness', user: 'user', ...(namespace ? { namespace } : {}) } }],
    'current-context': 'harness',
  };
  writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
  return file;
}

async function makePki(dir: string): Promise<void> {
  const openssl = (...args: string[]) => execFileAsync('openssl', args, { cwd: dir });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '7', '-subj', '/CN=tickerflow-harness-ca');
  const leaf = async (name: string, subject: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    await openssl('req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    await openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '7',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
  };
  await leaf('apiserver', '/CN=kube-apiserver', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await leaf('admin', '/O=system:masters/CN=tickerflow-admin', 'extendedKeyUsage=clientAuth\n');
  await openssl('genrsa', '-out', 'sa.key', '2048');
  await openssl('rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');
}

function httpsOk(url: string, tls: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...tls, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('error', reject);
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

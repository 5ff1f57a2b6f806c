import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startKafka, type KafkaBroker } from './kafka.js';
import { startKindCluster, type KindCluster } from './kind.js';
import { startKube, type KubeControlPlane } from './kube.js';
import { repoRoot } from './paths.js';

/**
 * Starts the shared real components once (Kafka, etcd + kube-apiserver, and a
 * kind cluster when a `*.kind.test.js` file is among the tests), runs every
 * compiled test file with node:test against them, and stops everything by
 * process id afterwards, also on failure or interruption.
 */
async function main(): Promise<number> {
  // One folder per run, so two runs on one checkout (a developer's and an editor's) never share state; earlier runs' folders go.
  const root = join(repoRoot, '.harness');
  mkdirSync(root, { recursive: true });
  for (const old of readdirSync(root))
    if (old.startsWith('run-') && !processAlive(Number(old.slice(4)))) rmSync(join(root, old), { recursive: true, force: true });
  const workDir = join(root, `run-${process.pid}`);
  mkdirSync(workDir, { recursive: true });
  const files = process.argv.slice(2).length > 0 ? process.argv.slice(2) : findTestFiles();
  if (files.length === 0) throw new Error('no compiled test files found: run `tsc -b` first');

  let kafka: KafkaBroker | undefined;
  let kube: KubeControlPlane | undefined;
  let kind: KindCluster | undefined;
  const stopAll = async () => {
    await Promise.allSettled([kafka?.stop(), kube?.stop(), kind?.delete()]);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`[harness] ${signal}: stopping the harness\n`);
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const started = Date.now();
    const wantKind = files.some((f) => f.endsWith('.kind.test.js'));
    const [k, c, d] = await Promise.allSettled([startKafka(workDir), startKube(workDir), wantKind ? startKindCluster(workDir) : undefined]);
    if (k.status === 'fulfilled') kafka = k.value;
    if (c.status === 'fulfilled') kube = c.value;
    if (d.status === 'fulfilled') kind = d.value;
    for (const r of [k, c, d]) if (r.status === 'rejected') throw r.reason;
    process.stderr.write(`[harness] Kafka ${kafka!.bootstrap}, kube-apiserver ${kube!.server} up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    if (kind) process.stderr.write(`[harness] kind cluster ${kind.name} created in ${kind.createSeconds.toFixed(1)} s (Docker ${kind.dockerHost})\n`);
    return await runNodeTest(files, {
      ...process.env,
      KAFKA_BROKERS: kafka!.bootstrap,
      KUBECONFIG: kube!.kubeconfig,
      TICKERFLOW_HARNESS_DIR: workDir,
      ...(kind && {
        KIND_CLUSTER: kind.name,
        KIND_KUBECONFIG: kind.kubeconfig,
        DOCKER_HOST: kind.dockerHost,
        TICKERFLOW_IMAGE: kind.productImage,
        TICKERFLOW_KAFKA_IMAGE: kind.kafkaImage,
        TICKERFLOW_POSTGRES_IMAGE: kind.postgresImage,
        ...(kind.offlineNetwork && { KIND_OFFLINE_NETWORK: kind.offlineNetwork.name, KIND_OFFLINE_BRIDGE: kind.offlineNetwork.bridge }),
      }),
    });
  } finally {
    await stopAll();
  }
}

function runNodeTest(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  // kafkajs 2.2.4 arms a timer with a negative delay when its request queue empties (harmless: Node waits 1 ms); the services drop
  // this warning in logProcessWarnings, the tests' own Kafka clients here.
  const args = ['--enable-source-maps', '--disable-warning=TimeoutNegativeWarning', '--test', '--test-reporter=spec', '--test-timeout=600000', ...files];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: 'inherit', cwd: repoRoot });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** Every compiled `*.test.js` under a workspace's dist folder. */
function findTestFiles(): string[] {
  const roots = ['services', 'scripts', 'ops', 'test'].map((d) => join(repoRoot, d));
  const found: string[] = [];
  const walk = (dir: string, inDist: boolean) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path, inDist || name === 'dist');
      else if (inDist && name.endsWith('.test.js')) found.push(relative(repoRoot, path));
    }
  };
  for (const root of roots) {
    try {
      walk(root, false);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return found.sort();
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[harness] ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { binaries } from './paths.js';
import { eventually } from './eventually.js';
import { freePort, startProcess, type ManagedProcess } from './processes.js';

export interface SchemaRegistry {
  /** Base URL of the Confluent-compatible API (what SCHEMA_REGISTRY_URL takes). */
  readonly url: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts Apicurio Registry (in-memory storage) on free loopback ports. With
 * `user`, every API request needs HTTP basic auth with that name and password.
 */
export async function startSchemaRegistry(workDir: string, opts: { user?: { name: string; password: string } } = {}): Promise<SchemaRegistry> {
  mkdirSync(workDir, { recursive: true });
  const dir = mkdtempSync(join(workDir, 'registry-'));
  const [port, managementPort] = [await freePort(), await freePort()];
  const auth = opts.user
    ? [
        '-Dquarkus.http.auth.basic=true',
        '-Dquarkus.security.users.embedded.plain-text=true',
        `-Dquarkus.security.users.embedded.users.${opts.user.name}=${opts.user.password}`,
      ]
    : [];
  const proc = startProcess({
    name: 'schema-registry',
    command: join(binaries.apicurio, 'java'),
    args: [
      '-Xmx384m',
      '-Dquarkus.http.host=127.0.0.1',
      `-Dquarkus.http.port=${port}`,
      '-Dquarkus.management.host=127.0.0.1',
      `-Dquarkus.management.port=${managementPort}`,
      `-Dapicurio.storage.snapshot.location=${dir}`,
      ...auth,
      '-jar',
      join(binaries.apicurio, 'app', 'quarkus-run.jar'),
    ],
    cwd: dir,
    logFile: join(dir, 'registry.log'),
  });
  await eventually(async () => (await fetch(`http://127.0.0.1:${managementPort}/health/ready`).catch(() => undefined))?.ok === true, {
    timeoutMs: 120_000,
    what: 'the schema registry to answer',
    untilExit: proc,
  });
  return { url: `http://127.0.0.1:${port}/apis/ccompat/v7`, process: proc, stop: () => proc.stop(10_000) };
}

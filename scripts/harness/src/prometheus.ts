import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { binaries } from './paths.js';
import { eventually } from './eventually.js';
import { freePort, startProcess, type ManagedProcess } from './processes.js';
import { prometheusApi, type PromSample } from './prometheus-api.js';

const execFileAsync = promisify(execFile);

export interface PrometheusServer {
  readonly url: string;
  readonly process: ManagedProcess;
  /** Instant PromQL query over the HTTP API. */
  query(promql: string): Promise<PromSample[]>;
  stop(): Promise<void>;
}

export interface ScrapeTarget {
  job: string;
  targets: string[];
  metricsPath?: string;
}

/** Starts Prometheus on a free loopback port, scraping the given targets every second. */
export async function startPrometheus(workDir: string, scrape: ScrapeTarget[], ruleFiles: string[] = []): Promise<PrometheusServer> {
  const dir = join(workDir, `prometheus-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  // Prometheus reads YAML, and JSON is YAML.
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: ruleFiles,
    scrape_configs: scrape.map((s) => ({
      job_name: s.job,
      metrics_path: s.metricsPath ?? '/metrics',
      static_configs: [{ targets: s.targets }],
    })),
  };
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const proc = startProcess({
    name: 'prometheus',
    command: binaries.prometheus,
    args: [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    logFile: join(dir, 'prometheus.log'),
  });
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(`${url}/-/ready`)).ok, { timeoutMs: 60_000, what: 'Prometheus /-/ready', untilExit: proc });
  return {
    url,
    process: proc,
    query: (promql) => prometheusApi(url).query(promql),
    stop: () => proc.stop(),
  };
}

/** `promtool check metrics` on exposition text; resolves with promtool's findings (empty when clean). */
export async function promtoolCheckMetrics(exposition: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(binaries.promtool, ['check', 'metrics'], (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new Error(`promtool: ${err.message}`));
      resolve({ ok: !err, output: `${stdout}${stderr}`.trim() });
    });
    child.stdin?.end(exposition);
  });
}

/** `promtool check rules` on a rule file. */
export async function promtoolCheckRules(file: string): Promise<string> {
  const { stdout } = await execFileAsync(binaries.promtool, ['check', 'rules', file]);
  return stdout;
}

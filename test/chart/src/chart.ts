import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { binaries, repoRoot, runTool } from '@tickerflow/harness';

export const chartDir = join(repoRoot, 'charts', 'tickerflow');
/** The values files `helm lint` and the install tests go through: charts/tickerflow/ci/*-values.yaml. */
export const ciValuesFiles = readdirSync(join(chartDir, 'ci'))
  .filter((f) => f.endsWith('-values.yaml'))
  .sort()
  .map((f) => join(chartDir, 'ci', f));

/** Both Helm majors the chart supports. */
export const helms = { helm3: binaries.helm, helm4: binaries.helm4 } as const;
export type HelmName = keyof typeof helms;

/** Runs a Helm binary; resolves with its exit code and output, never rejects. */
export const helm = (which: HelmName, args: string[], env?: NodeJS.ProcessEnv) => runTool(helms[which], args, { env, cwd: repoRoot });

export async function helmOk(which: HelmName, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await helm(which, args, env);
  if (r.code !== 0) throw new Error(`${which} ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

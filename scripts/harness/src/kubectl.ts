import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { kubeconfigPath } from './env.js';
import { binaries } from './paths.js';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}
/** kubectl's result (the same shape as every command-line tool's here). */
export type KubectlResult = ToolResult;

/** Runs a command-line tool (kubectl, helm); resolves with its exit code and output, never rejects. */
export function runTool(command: string, args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { env: opts.env, cwd: opts.cwd, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(opts.stdin ?? '');
  });
}

/** Runs kubectl against a cluster (the harness's kube-apiserver by default); resolves with its exit code and output, never rejects. */
export function kubectl(args: string[], stdin?: string, kubeconfig = kubeconfigPath()): Promise<KubectlResult> {
  return runTool(binaries.kubectl, ['--kubeconfig', kubeconfig, ...args], { stdin });
}

/** kubectl that must succeed: its stdout, or an assertion failure with kubectl's error. */
export async function kubectlOk(args: string[], stdin?: string, kubeconfig?: string): Promise<string> {
  const r = await kubectl(args, stdin, kubeconfig);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

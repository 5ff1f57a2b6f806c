import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@tickerflow/harness';

/** Starts finnhub-sim from its bin and resolves with its WebSocket URL (its first stdout line). */
export async function spawnSim(args: string[]): Promise<{ url: string; httpUrl: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [join(repoRoot, 'node_modules', '.bin', 'finnhub-sim'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`finnhub-sim exited ${code}`)));
  });
  child.stdout.resume();
  return {
    url,
    httpUrl: url.replace(/^ws/, 'http'),
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

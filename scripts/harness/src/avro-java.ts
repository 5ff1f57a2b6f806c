import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { binaries, repoRoot } from './paths.js';

const execFileAsync = promisify(execFile);

/**
 * Decodes single-object encoded Avro values with Apache Avro for Java (not
 * avsc), from the .avsc file alone. Returns one JSON object per value.
 */
export async function decodeWithJavaAvro(schemaFile: string, values: readonly Buffer[]): Promise<Record<string, unknown>[]> {
  const dir = mkdtempSync(join(tmpdir(), 'avro-java-'));
  const input = join(dir, 'values.hex');
  writeFileSync(input, values.map((v) => v.toString('hex')).join('\n') + '\n');
  const { stdout } = await execFileAsync(
    binaries.java,
    ['-cp', `${binaries.avroLib}/*`, join(repoRoot, 'scripts', 'harness', 'java', 'AvroDecode.java'), schemaFile, input],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

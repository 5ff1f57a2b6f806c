import { readFile } from 'node:fs/promises';

/** Where the wanted symbols come from: an environment variable, a watched file, later a ConfigMap. */
export interface SymbolSource {
  /** Calls `onChange` with the current list now, and again whenever it changes. */
  start(onChange: (symbols: string[]) => void): Promise<void>;
  stop(): void;
}

/**
 * Parses a symbol list: a JSON array of strings, or one symbol per line, or
 * comma-separated on one line. Symbols are opaque (spaces, dots, colons kept);
 * blank entries are ignored and nothing is trimmed, uppercased or split further.
 */
export function parseSymbolList(text: string): string[] {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trimStart().startsWith('[')) {
    const parsed: unknown = JSON.parse(body);
    if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === 'string')) {
      throw new Error('symbol list must be a JSON array of strings');
    }
    return [...new Set(parsed.filter((s) => s.length > 0))];
  }
  const lines = body.split(/\r?\n/);
  const items = lines.length > 1 ? lines : body.split(',');
  return [...new Set(items.filter((s) => s.trim().length > 0))];
}

export function staticSymbols(symbols: readonly string[]): SymbolSource {
  return {
    start: (onChange) => Promise.resolve(onChange([...symbols])),
    stop: () => undefined,
  };
}

/**
 * A file of symbols, re-read every intervalMs and compared by content: that
 * sees editors' atomic renames and Kubernetes' ConfigMap symlink swaps alike,
 * without the races of stat-based watching. A file that fails to read or
 * parse keeps the last good list and is reported.
 */
export function fileSymbols(path: string, opts: { intervalMs: number; onError: (err: Error) => void }): SymbolSource {
  let last = '';
  let timer: NodeJS.Timeout | undefined;
  return {
    async start(onChange) {
      const load = async () => {
        try {
          const text = await readFile(path, 'utf8');
          const symbols = parseSymbolList(text);
          const key = JSON.stringify(symbols);
          if (key !== last) {
            last = key;
            onChange(symbols);
          }
        } catch (err) {
          opts.onError(err as Error);
        }
      };
      await load();
      timer = setInterval(() => void load(), opts.intervalMs);
    },
    stop: () => clearInterval(timer),
  };
}

import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileSymbols, parseSymbolList } from './source.js';

describe('symbol lists', () => {
  it('keeps symbols opaque in every accepted form', () => {
    assert.deepEqual(parseSymbolList('AAPL,BRK.B,BINANCE:BTCUSDT,IC MARKETS:1'), ['AAPL', 'BRK.B', 'BINANCE:BTCUSDT', 'IC MARKETS:1']);
    assert.deepEqual(parseSymbolList('AAPL\nIC MARKETS:1\n\nOANDA:EUR_USD\n'), ['AAPL', 'IC MARKETS:1', 'OANDA:EUR_USD']);
    assert.deepEqual(parseSymbolList('["aapl", "IC MARKETS:1", "aapl"]'), ['aapl', 'IC MARKETS:1']);
    assert.throws(() => parseSymbolList('[1, 2]'), /JSON array of strings/);
  });

  it('a watched file applies changes, including an atomic rename, and survives a broken edit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'symbols-'));
    const file = join(dir, 'symbols.txt');
    writeFileSync(file, 'AAPL\nMSFT\n');
    const seen: string[][] = [];
    const errors: Error[] = [];
    const source = fileSymbols(file, { intervalMs: 20, onError: (e) => errors.push(e) });
    await source.start((s) => seen.push(s));
    try {
      writeFileSync(join(dir, 'next'), '["AAPL","IC MARKETS:1"]');
      renameSync(join(dir, 'next'), file);
      for (let i = 0; i < 100 && seen.length < 2; i++) await sleep(20);
      writeFileSync(file, '["unterminated');
      for (let i = 0; i < 100 && errors.length === 0; i++) await sleep(20);
    } finally {
      source.stop();
    }
    assert.deepEqual(seen, [
      ['AAPL', 'MSFT'],
      ['AAPL', 'IC MARKETS:1'],
    ]);
    assert.ok(errors.length > 0);
  });
});

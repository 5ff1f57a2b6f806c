import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { eventually } from '@tickerflow/harness';
import { CRD_NAME, type TickerSubscription } from '../src/api/v1alpha1.js';
import { apply, installCrd, kubectlOk, subscription } from './kube.js';

const manySymbols = (n: number) => Array.from({ length: n }, (_, i) => `SYM${i}`);

/** Invalid subscriptions and a distinctive part of the apiserver's (or kubectl's) refusal of each. */
const invalid: { what: string; spec: unknown; error: RegExp }[] = [
  { what: 'an empty symbols list', spec: { symbols: [] }, error: /spec\.symbols: Invalid value: .*list at least one symbol/ },
  { what: 'missing symbols', spec: { suspend: false }, error: /spec\.symbols: Required value/ },
  { what: 'a missing spec', spec: undefined, error: /spec: Required value/ },
  { what: 'duplicate symbols', spec: { symbols: ['AAPL', 'MSFT', 'AAPL'] }, error: /spec\.symbols\[2\]: Duplicate value: "AAPL"/ },
  { what: 'symbols as a string', spec: { symbols: 'AAPL' }, error: /spec\.symbols: Invalid value: "string": spec\.symbols in body must be of type array/ },
  {
    what: 'a symbol that is a number',
    spec: { symbols: ['AAPL', 42] },
    error: /spec\.symbols\[1\]: Invalid value: "integer": spec\.symbols\[1\] in body must be of type string/,
  },
  { what: 'a symbol that is an object with fields', spec: { symbols: [{ name: 'AAPL' }] }, error: /unknown field "spec\.symbols\[0\]\.name"/ },
  {
    what: 'a symbol that is an (empty) object',
    spec: { symbols: [{}] },
    error: /spec\.symbols\[0\]: Invalid value: "object": spec\.symbols\[0\] in body must be of type string/,
  },
  { what: 'an unknown field in spec (symbol: typo)', spec: { symbol: ['AAPL'] }, error: /unknown field "spec\.symbol"/ },
  { what: 'an unknown field spec.limit', spec: { symbols: ['AAPL'], limit: 10 }, error: /unknown field "spec\.limit"/ },
  { what: '501 symbols', spec: { symbols: manySymbols(501) }, error: /spec\.symbols: Too many: 501: must have at most 500 items/ },
  { what: 'a 65-character symbol', spec: { symbols: ['X'.repeat(65)] }, error: /spec\.symbols\[0\]: Too long: .*64/ },
  { what: 'an empty symbol', spec: { symbols: ['AAPL', ''] }, error: /spec\.symbols\[1\]: Invalid value: .*a symbol must not be empty/ },
  {
    what: 'a symbol with leading whitespace',
    spec: { symbols: [' AAPL'] },
    error: /spec\.symbols\[0\]: Invalid value: .*a symbol must not start or end with whitespace/,
  },
  {
    what: 'a symbol with trailing whitespace',
    spec: { symbols: ['AAPL', 'MSFT '] },
    error: /spec\.symbols\[1\]: Invalid value: .*a symbol must not start or end with whitespace/,
  },
  {
    what: 'a symbol with a control character',
    spec: { symbols: ['AA\tPL'] },
    error: /spec\.symbols\[0\]: Invalid value: .*a symbol must not contain control characters/,
  },
  {
    what: 'suspend as the string "yes"',
    spec: { symbols: ['AAPL'], suspend: 'yes' },
    error: /spec\.suspend: Invalid value: "string": spec\.suspend in body must be of type boolean/,
  },
];

const oddSymbols = ['IC MARKETS:1', 'OANDA:EUR_USD', 'BRK.B', 'BINANCE:BTCUSDT', 'AAPL'];

/** The TickerSubscription CRD (k8s/crds) against the real kube-apiserver: what it refuses, and why. */
describe('TickerSubscription CRD on the harness kube-apiserver', () => {
  const ns = `crd-${randomUUID().slice(0, 8)}`;

  before(async () => {
    await installCrd();
    await kubectlOk(['create', 'namespace', ns]);
  });

  it('is structural, with no apiserver complaints about its schema', async () => {
    const crd = JSON.parse(await kubectlOk(['get', 'crd', CRD_NAME, '-o', 'json'])) as {
      status: { conditions: { type: string; status: string; message: string }[] };
    };
    const byType = Object.fromEntries(crd.status.conditions.map((c) => [c.type, c]));
    assert.equal(byType.Established?.status, 'True');
    assert.equal(byType.NamesAccepted?.status, 'True');
    assert.equal(byType.NonStructuralSchema, undefined, byType.NonStructuralSchema?.message);
  });

  it('accepts one subscription with the odd but valid symbols, defaulting suspend to false', async () => {
    // The first request after Established may still meet stale discovery.
    await eventually(async () => (await apply(ns, subscription('odd-symbols', { symbols: oddSymbols }))).code === 0, {
      timeoutMs: 30_000,
      what: 'kubectl apply of a valid TickerSubscription',
    });
    const stored = JSON.parse(await kubectlOk(['get', 'tickersubscription', 'odd-symbols', '-n', ns, '-o', 'json'])) as TickerSubscription;
    assert.deepEqual(stored.spec.symbols, oddSymbols);
    assert.equal(stored.spec.suspend, false);
  });

  it(`refuses ${invalid.length} invalid subscriptions, each with a message that says what is wrong`, async (t) => {
    assert.ok(invalid.length >= 12);
    const failures: string[] = [];
    for (const [i, c] of invalid.entries()) {
      const r = await apply(ns, subscription(`invalid-${i}`, c.spec));
      t.diagnostic(`${c.what}: ${r.stderr.trim()}`);
      if (r.code === 0) failures.push(`${c.what}: accepted (${r.stdout.trim()})`);
      else if (!c.error.test(r.stderr)) failures.push(`${c.what}: refused, but stderr does not match ${c.error}:\n${r.stderr}`);
    }
    assert.deepEqual(failures, []);
    const names = (await kubectlOk(['get', 'tsub', '-n', ns, '-o', 'name'])).trim().split('\n');
    assert.deepEqual(names, ['tickersubscription.tickerflow.io/odd-symbols']);
  });

  it('kubectl get tsub (short name) shows the printer columns, and -o wide the reason', async () => {
    const table = await kubectlOk(['get', 'tsub', '-n', ns]);
    assert.match(table.split('\n')[0]!, /^NAME\s+SYMBOLS\s+READY\s+ACTIVE\s+LAST TRADE\s+AGE$/);
    assert.match(table, /^odd-symbols\s/m);
    const wide = await kubectlOk(['get', 'tsub', '-n', ns, '-o', 'wide']);
    assert.match(wide.split('\n')[0]!, /^NAME\s+SYMBOLS\s+READY\s+ACTIVE\s+LAST TRADE\s+AGE\s+REASON$/);
    const byCategory = await kubectlOk(['get', 'tickerflow', '-n', ns, '-o', 'name']);
    assert.match(byCategory, /tickersubscription\.tickerflow\.io\/odd-symbols/);
  });

  it('kubectl explain shows the field descriptions', async () => {
    const explained = await kubectlOk(['explain', 'tsub.spec']);
    assert.match(explained, /symbols\s+<\[\]string> -required-/);
    assert.match(explained, /The Finnhub symbols whose trades to stream/);
    assert.match(explained, /Suspends the subscription/);
    const status = await kubectlOk(['explain', 'tsub.status.symbols.state']);
    assert.match(status, /overLimit/);
  });

  it('keeps status apart from spec: status is written through the status subresource only', async () => {
    const status = { symbolCount: 5, activeCount: 5, lastTradeTime: '2026-01-02T03:04:05Z' };
    await kubectlOk(['patch', 'tsub', 'odd-symbols', '-n', ns, '--type=merge', '-p', JSON.stringify({ status })]);
    const ignored = JSON.parse(await kubectlOk(['get', 'tsub', 'odd-symbols', '-n', ns, '-o', 'json'])) as TickerSubscription;
    assert.equal(ignored.status, undefined);
    await kubectlOk(['patch', 'tsub', 'odd-symbols', '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
    const table = await kubectlOk(['get', 'tsub', 'odd-symbols', '-n', ns, '--no-headers']);
    assert.match(table, /^odd-symbols\s+5\s+5\s+\S+\s+\S+$/m);
  });
});

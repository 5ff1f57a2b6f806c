import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { desiredSymbols, type SubscriptionView } from './desired.js';

const symbol: fc.Arbitrary<string> = fc.constantFrom(
  'AAPL',
  'MSFT',
  'BRK.B',
  'IC MARKETS:1',
  'OANDA:EUR_USD',
  'BINANCE:BTCUSDT',
  'NVDA',
  'TSLA',
  'AMZN',
  'META',
);
const subscription = (index: number) =>
  fc.record({
    key: fc.constant(`ns/sub-${index}`),
    createdAt: fc.integer({ min: 0, max: 5 }).map((m) => new Date(Date.UTC(2026, 10, 23, 12, m)).toISOString()),
    symbols: fc.uniqueArray(symbol, { minLength: 1, maxLength: 6 }),
    suspend: fc.boolean(),
  });
const subscriptions = fc.integer({ min: 0, max: 8 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => subscription(i))));
const limit = fc.integer({ min: 1, max: 12 });

const byAge = (subs: readonly SubscriptionView[]) => [...subs].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.key.localeCompare(b.key));

describe('desired symbols', () => {
  it('the union of the live subscriptions, de-duplicated, at most the limit, the rest reported over the limit', () => {
    fc.assert(
      fc.property(subscriptions, limit, (subs, max) => {
        const { symbols, overLimit } = desiredSymbols(subs, max);
        const live = subs.filter((s) => !s.suspend);
        const union = new Set(live.flatMap((s) => s.symbols));
        assert.equal(new Set(symbols).size, symbols.length, 'no duplicates');
        assert.ok(symbols.length <= max);
        assert.equal(symbols.length, Math.min(max, union.size));
        for (const s of symbols) assert.ok(union.has(s));
        for (const [key, over] of overLimit) {
          const sub = live.find((s) => s.key === key);
          assert.ok(sub, 'only live subscriptions are over the limit');
          for (const s of over) assert.ok(sub.symbols.includes(s) && !symbols.includes(s));
        }
        // Every wanted symbol is either streamed or reported over the limit on each subscription that wants it.
        for (const sub of live) for (const s of sub.symbols) assert.ok(symbols.includes(s) || overLimit.get(sub.key)?.includes(s));
      }),
    );
  });

  it('oldest subscription first, then spec order; the input order does not matter', () => {
    fc.assert(
      fc.property(subscriptions, limit, fc.integer(), (subs, max, seed) => {
        const expected = [...new Set(byAge(subs.filter((s) => !s.suspend)).flatMap((s) => s.symbols))].slice(0, max);
        const shuffled = [...subs].sort((a, b) => ((a.key.length * seed) % 7) - ((b.key.length * seed) % 7) || b.key.localeCompare(a.key));
        assert.deepEqual(desiredSymbols(shuffled, max).symbols, expected);
        assert.deepEqual(desiredSymbols(subs, max), desiredSymbols(shuffled, max));
      }),
    );
  });

  it('a newer subscription never pushes out a symbol already streaming', () => {
    fc.assert(
      fc.property(subscriptions, limit, fc.uniqueArray(symbol, { minLength: 1, maxLength: 6 }), (subs, max, extra) => {
        const before = desiredSymbols(subs, max).symbols;
        const newest: SubscriptionView = { key: 'zz/newest', createdAt: new Date(Date.UTC(2026, 10, 24)).toISOString(), symbols: extra, suspend: false };
        const after = desiredSymbols([...subs, newest], max).symbols;
        assert.deepEqual(after.slice(0, before.length), before);
      }),
    );
  });

  it('two subscriptions sharing a symbol subscribe it once; going over the limit names the same symbols every time', () => {
    const subs: SubscriptionView[] = [
      { key: 'a/first', createdAt: '2026-11-23T12:00:00Z', symbols: ['AAPL', 'MSFT'], suspend: false },
      { key: 'a/second', createdAt: '2026-11-23T12:01:00Z', symbols: ['MSFT', 'NVDA', 'TSLA'], suspend: false },
      { key: 'a/paused', createdAt: '2026-11-23T11:00:00Z', symbols: ['AMZN'], suspend: true },
    ];
    const result = desiredSymbols(subs, 3);
    assert.deepEqual(result.symbols, ['AAPL', 'MSFT', 'NVDA']);
    assert.deepEqual([...result.overLimit], [['a/second', ['TSLA']]]);
    assert.deepEqual(desiredSymbols([...subs].reverse(), 3), result);
  });
});

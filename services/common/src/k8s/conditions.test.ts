import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { findCondition, semanticallyEqual, setCondition, type Condition } from './conditions.js';

const t0 = new Date('2026-01-02T03:04:05.678Z');
const t1 = new Date('2026-01-02T04:00:00.000Z');

describe('conditions', () => {
  it('sets lastTransitionTime (RFC 3339, no milliseconds) when a condition appears', () => {
    const conditions = setCondition([], { type: 'Ready', status: 'False', reason: 'Pending', message: 'waiting', observedGeneration: 1 }, t0);
    assert.deepEqual(conditions, [
      { type: 'Ready', status: 'False', reason: 'Pending', message: 'waiting', observedGeneration: 1, lastTransitionTime: '2026-01-02T03:04:05Z' },
    ]);
  });

  it('keeps lastTransitionTime while the status stays, even when reason, message and generation change', () => {
    const before = setCondition([], { type: 'Ready', status: 'False', reason: 'Pending', message: 'waiting', observedGeneration: 1 }, t0);
    const after = setCondition(before, { type: 'Ready', status: 'False', reason: 'Disconnected', message: 'no socket', observedGeneration: 2 }, t1);
    assert.deepEqual(findCondition(after, 'Ready'), {
      type: 'Ready',
      status: 'False',
      reason: 'Disconnected',
      message: 'no socket',
      observedGeneration: 2,
      lastTransitionTime: '2026-01-02T03:04:05Z',
    });
  });

  it('moves lastTransitionTime when the status changes, and leaves the other conditions and their order alone', () => {
    const other: Condition = { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '', lastTransitionTime: '2025-12-31T00:00:00Z' };
    const before = setCondition([other], { type: 'Ready', status: 'False', reason: 'Pending', message: '', observedGeneration: 1 }, t0);
    const after = setCondition(before, { type: 'Ready', status: 'True', reason: 'Streaming', message: '', observedGeneration: 1 }, t1);
    assert.deepEqual(
      after.map((c) => [c.type, c.status, c.lastTransitionTime]),
      [
        ['Degraded', 'False', '2025-12-31T00:00:00Z'],
        ['Ready', 'True', '2026-01-02T04:00:00Z'],
      ],
    );
    assert.equal(before[1]!.status, 'False', 'the input is not modified');
    assert.equal(findCondition(after, 'Missing'), undefined);
  });

  it('an unchanged condition set again is semantically equal, so no status write is needed', () => {
    const update = { type: 'Ready', status: 'True', reason: 'Streaming', message: 'ok', observedGeneration: 3 } as const;
    const once = setCondition([], update, t0);
    assert.ok(semanticallyEqual({ conditions: once }, { conditions: setCondition(once, update, t1) }));
  });
});

describe('semanticallyEqual', () => {
  it('ignores key order and undefined properties, but not array order or types', () => {
    assert.ok(semanticallyEqual({ a: 1, b: { c: [1, 2], d: 'x' } }, { b: { d: 'x', c: [1, 2] }, a: 1 }));
    assert.ok(semanticallyEqual({ a: 1, gone: undefined }, { a: 1 }));
    assert.ok(semanticallyEqual(new Date(t0), t0.toISOString()));
    assert.ok(!semanticallyEqual({ a: [1, 2] }, { a: [2, 1] }));
    assert.ok(!semanticallyEqual({ a: 1 }, { a: '1' }));
    assert.ok(!semanticallyEqual({ a: null }, { a: {} }));
    assert.ok(!semanticallyEqual({ a: 1 }, { a: 1, b: 2 }));
    assert.ok(!semanticallyEqual([], {}));
    assert.ok(!semanticallyEqual(undefined, {}));
  });

  it('agrees with comparing JSON with sorted keys', () => {
    const sortedJson = (v: unknown): string =>
      JSON.stringify(v, (_k, x: unknown) =>
        x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
      );
    const shuffle = (v: unknown, seed: number): unknown => {
      if (Array.isArray(v)) return v.map((x, i) => shuffle(x, seed + i));
      if (v && typeof v === 'object') {
        const entries = Object.entries(v);
        if (seed % 2) entries.reverse();
        return Object.fromEntries(entries.map(([k, x], i) => [k, shuffle(x, seed + i)]));
      }
      return v;
    };
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.nat(), (a, b, seed) => {
        assert.ok(semanticallyEqual(a, shuffle(a, seed)));
        assert.equal(semanticallyEqual(a, b), sortedJson(a) === sortedJson(b));
      }),
    );
  });
});

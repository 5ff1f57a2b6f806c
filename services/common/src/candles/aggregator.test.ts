import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createCandleAggregator } from './aggregator.js';
import type { Candle } from './candle.js';
import { parseDuration, parseIntervals } from './interval.js';
import { referenceCandles, type ReferenceEvent } from '../testing/index.js';

const BASE = Date.UTC(2026, 10, 23, 14, 30);
const intervals = parseIntervals(['10s', '1m']);

const trade = fc.record({
  symbol: fc.constantFrom('AAPL', 'BINANCE:BTCUSDT', 'OANDA:EUR_USD'),
  price: fc.double({ min: 0.01, max: 1000, noNaN: true }),
  // Forex updates carry no volume.
  volume: fc.oneof(fc.constant(0), fc.double({ min: 0.001, max: 50, noNaN: true })),
  timestamp: fc.integer({ min: BASE, max: BASE + 180_000 }),
});
const event: fc.Arbitrary<ReferenceEvent> = fc.oneof(
  { weight: 9, arbitrary: trade.map((t) => ({ kind: 'trade' as const, trade: t })) },
  { weight: 1, arbitrary: fc.integer({ min: BASE, max: BASE + 240_000 }).map((time) => ({ kind: 'time' as const, time })) },
);
// Out of order by construction (random times); duplicates by repeating some events.
const events = fc
  .array(fc.tuple(event, fc.boolean()), { maxLength: 300, size: 'medium' })
  .map((pairs) => pairs.flatMap(([e, dup]) => (dup && e.kind === 'trade' ? [e, e] : [e])));
const lateness = fc.integer({ min: 0, max: 30_000 });

/** Feeds events as the consumer does; offsets are the event indexes. */
function run(
  evs: readonly ReferenceEvent[],
  allowedLatenessMs: number,
  from = 0,
  emitFrom = 0,
  agg = createCandleAggregator({ intervals, allowedLatenessMs }),
) {
  const emitted: Candle[] = [];
  const late = new Map<string, number>();
  for (let offset = from; offset < evs.length; offset++) {
    const e = evs[offset]!;
    let time: number;
    if (e.kind === 'trade') {
      for (const i of agg.add(e.trade, offset)) {
        const k = `${e.trade.symbol}\u0000${i.name}`;
        if (offset >= emitFrom) late.set(k, (late.get(k) ?? 0) + 1);
      }
      time = e.trade.timestamp;
    } else time = e.time;
    const closed = agg.advance(time);
    if (offset >= emitFrom) emitted.push(...closed);
  }
  return { emitted, late, agg };
}

describe('candle aggregator', () => {
  it('reports each window a trade went into: every interval it was not late for, with the window that now holds it', () => {
    fc.assert(
      fc.property(events, lateness, (evs, allowedLatenessMs) => {
        const agg = createCandleAggregator({ intervals, allowedLatenessMs });
        for (const [offset, e] of evs.entries()) {
          if (e.kind === 'time') {
            agg.advance(e.time);
            continue;
          }
          const touched: string[] = [];
          const late = agg.add(e.trade, offset, (interval, windowStart) => touched.push(`${interval.name}@${windowStart}`));
          const expected = intervals.filter((i) => !late.includes(i)).map((i) => `${i.name}@${e.trade.timestamp - (e.trade.timestamp % i.ms)}`);
          assert.deepEqual(touched, expected);
          const forming = agg.forming();
          for (const i of intervals.filter((x) => !late.includes(x))) {
            const start = e.trade.timestamp - (e.trade.timestamp % i.ms);
            assert.ok(forming.some((c) => c.symbol === e.trade.symbol && c.interval === i.name && c.windowStart === start));
          }
          agg.advance(e.trade.timestamp);
        }
      }),
    );
  });

  it('emits exactly the reference candles, counts the same late trades, and keeps the rest forming', () => {
    fc.assert(
      fc.property(events, lateness, (evs, allowedLatenessMs) => {
        const { emitted, late, agg } = run(evs, allowedLatenessMs);
        const reference = referenceCandles(evs, { intervals, allowedLatenessMs });
        assert.deepEqual(emitted, reference.final);
        assert.deepEqual(late, reference.late);
        assert.equal(agg.watermark(), reference.watermark);
        // Forming candles: what the reference would close with an infinite watermark, minus the final ones.
        const all = referenceCandles([...evs, { kind: 'time', time: Number.MAX_SAFE_INTEGER }], { intervals, allowedLatenessMs }).final;
        const finalKeys = new Set(reference.final.map((c) => `${c.symbol}/${c.interval}/${c.windowStart}`));
        assert.deepEqual(
          agg.forming(),
          all.filter((c) => !finalKeys.has(`${c.symbol}/${c.interval}/${c.windowStart}`)),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('rebuilt from replayFrom with the saved watermark, it emits exactly what the original would have', () => {
    fc.assert(
      fc.property(events, lateness, fc.nat(), (evs, allowedLatenessMs, cutSeed) => {
        const cut = evs.length === 0 ? 0 : cutSeed % (evs.length + 1);
        const original = run(evs, allowedLatenessMs);
        const before = run(evs.slice(0, cut), allowedLatenessMs);
        const savedWatermark = before.agg.watermark();
        const replayFrom = before.agg.replayFrom() ?? cut;
        // Crash at `cut`: a fresh aggregator replays [replayFrom, cut) silently, then resumes.
        const rebuilt = createCandleAggregator({ intervals, allowedLatenessMs });
        run(evs.slice(0, cut), allowedLatenessMs, replayFrom, Infinity, rebuilt);
        rebuilt.resume(savedWatermark);
        assert.deepEqual(rebuilt.forming(), before.agg.forming());
        const after = run(evs, allowedLatenessMs, cut, cut, rebuilt);
        const originalAfter = run(evs, allowedLatenessMs, 0, cut);
        assert.deepEqual([...before.emitted, ...after.emitted], original.emitted);
        assert.deepEqual(after.emitted, originalAfter.emitted);
        assert.deepEqual(after.late, originalAfter.late);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every candle consistent: low ≤ open, close ≤ high; zero-volume updates leave VWAP alone', () => {
    fc.assert(
      fc.property(events, (evs) => {
        // The same event times, without the zero-volume updates.
        const withoutZero = evs.map((e): ReferenceEvent => (e.kind === 'trade' && e.trade.volume === 0 ? { kind: 'time', time: e.trade.timestamp } : e));
        const all = run([...evs, { kind: 'time', time: Number.MAX_SAFE_INTEGER }], 0).emitted;
        const volumeOnly = new Map(
          run([...withoutZero, { kind: 'time', time: Number.MAX_SAFE_INTEGER }], 0).emitted.map((c) => [`${c.symbol}/${c.interval}/${c.windowStart}`, c]),
        );
        for (const c of all) {
          assert.ok(c.low <= Math.min(c.open, c.close) && Math.max(c.open, c.close) <= c.high);
          assert.ok(c.tradeCount >= 1 && c.windowEnd > c.windowStart);
          const v = volumeOnly.get(`${c.symbol}/${c.interval}/${c.windowStart}`);
          if (c.volume > 0 && v) assert.ok(Math.abs(c.vwap - v.vwap) <= 1e-9 * Math.max(1, v.vwap), `vwap ${c.vwap} vs ${v.vwap}`);
          if (c.volume === 0) assert.equal(c.vwap, c.close);
        }
      }),
    );
  });

  it('orders open and close by event time, not arrival', () => {
    const agg = createCandleAggregator({ intervals: parseIntervals(['1m']), allowedLatenessMs: 0 });
    agg.add({ symbol: 'X', price: 2, volume: 1, timestamp: BASE + 30_000 }, 0);
    agg.add({ symbol: 'X', price: 1, volume: 1, timestamp: BASE + 10_000 }, 1);
    agg.add({ symbol: 'X', price: 3, volume: 2, timestamp: BASE + 20_000 }, 2);
    const [c] = agg.advance(BASE + 60_000);
    assert.deepEqual(c, {
      symbol: 'X',
      interval: '1m',
      windowStart: BASE,
      windowEnd: BASE + 60_000,
      open: 1,
      high: 3,
      low: 1,
      close: 2,
      volume: 4,
      vwap: (2 + 1 + 6) / 4,
      tradeCount: 3,
    });
    assert.deepEqual(
      agg.add({ symbol: 'X', price: 9, volume: 1, timestamp: BASE + 59_999 }, 3).map((i) => i.name),
      ['1m'],
    );
  });
});

describe('intervals and durations', () => {
  it('parses the configured forms and refuses the rest', () => {
    assert.deepEqual(parseIntervals(['5m', '1m']), [
      { name: '1m', ms: 60_000 },
      { name: '5m', ms: 300_000 },
    ]);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('5s'), 5000);
    assert.equal(parseDuration('250'), 250);
    assert.throws(() => parseIntervals(['1m', '60s']), /listed twice/);
    assert.throws(() => parseIntervals(['0m']), /positive/);
    assert.throws(() => parseIntervals(['fast']), /not a duration/);
    assert.throws(() => parseIntervals([]), /at least one/);
  });
});

describe('candle aggregator state', () => {
  it('holds only symbols with an open window: a million distinct symbols leave nothing behind once their windows close', () => {
    const agg = createCandleAggregator({ intervals, allowedLatenessMs: 0 });
    for (let i = 0; i < 1_000_000; i++) {
      agg.add({ symbol: `S${i}`, price: 1, volume: 1, timestamp: BASE + (i % 1000) }, i);
      // Late trades of symbols never seen open no window and leave no state.
      if (i % 1000 === 999) {
        agg.advance(BASE + 600_000 + i);
        agg.add({ symbol: `late${i}`, price: 1, volume: 1, timestamp: BASE }, i);
      }
    }
    assert.ok(agg.openSymbols() <= 1000, `${agg.openSymbols()} symbols held`);
    agg.advance(BASE + 10_000_000_000);
    assert.equal(agg.openSymbols(), 0);
    assert.deepEqual(agg.forming(), []);
  });

  it('openSymbols() is the number of symbols with a forming candle, for any input', () => {
    fc.assert(
      fc.property(events, lateness, (evs, allowedLatenessMs) => {
        const agg = createCandleAggregator({ intervals, allowedLatenessMs });
        run(evs, allowedLatenessMs, 0, 0, agg);
        assert.equal(agg.openSymbols(), new Set(agg.forming().map((c) => c.symbol)).size);
      }),
    );
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sharedDir } from '../testing/index.js';
import { parseFrame, tradeFrame } from './protocol.js';

const fixtures = join(sharedDir, 'fixtures', 'finnhub', 'public-samples.jsonl');

describe('parseFrame', () => {
  it('classifies every real fixture frame as its recorded kind, with every trade valid', () => {
    const lines = readFileSync(fixtures, 'utf8')
      .split('\n')
      .filter((l) => l.trim().length > 0);
    assert.ok(lines.length > 20);
    for (const line of lines) {
      const { raw, kind } = JSON.parse(line) as { raw: string; kind: string };
      const frame = parseFrame(raw);
      if (kind === 'client_request') {
        assert.equal(frame.kind, 'unknown', raw);
        continue;
      }
      assert.equal(frame.kind, kind === 'pr' ? 'news' : kind, raw);
      if (frame.kind === 'trade') {
        assert.equal(frame.invalidTrades, 0, raw);
        assert.ok(frame.trades.length > 0);
        for (const t of frame.trades) assert.ok(Array.isArray(t.conditions));
      }
    }
  });

  it('accepts every shape of c, integer prices, spaces in symbols, pretty-printed JSON', () => {
    const frame = parseFrame(`{
      "data": [
        {"c":["1","12"],"p":164,"s":"AAPL","t":1680286538064,"v":142},
        {"c":[],"p":1.5,"s":"IC MARKETS:1","t":1,"v":0},
        {"c":null,"p":27000.01,"s":"BINANCE:BTCUSDT","t":2,"v":0.00042},
        {"p":1.0712,"s":"OANDA:EUR_USD","t":3,"v":0}
      ],
      "type": "trade"
    }`);
    assert.deepEqual(frame, {
      kind: 'trade',
      invalidTrades: 0,
      trades: [
        { symbol: 'AAPL', price: 164, volume: 142, timestamp: 1680286538064, conditions: ['1', '12'] },
        { symbol: 'IC MARKETS:1', price: 1.5, volume: 0, timestamp: 1, conditions: [] },
        { symbol: 'BINANCE:BTCUSDT', price: 27000.01, volume: 0.00042, timestamp: 2, conditions: [] },
        { symbol: 'OANDA:EUR_USD', price: 1.0712, volume: 0, timestamp: 3, conditions: [] },
      ],
    });
  });

  it('counts invalid trades inside a frame without losing the valid ones', () => {
    const frame = parseFrame('{"type":"trade","data":[{"s":"A","p":"1","t":1,"v":1},{"s":"B","p":1,"t":1,"v":1},null,{"s":"","p":1,"t":1,"v":1}]}');
    assert.equal(frame.kind, 'trade');
    assert.equal(frame.trades.length, 1);
    assert.equal(frame.invalidTrades, 3);
  });

  it('classifies pings, errors, news, unknown types and garbage', () => {
    assert.deepEqual(parseFrame('{"type":"ping"}'), { kind: 'ping' });
    assert.deepEqual(parseFrame('{"msg":"Invalid symbol FX:EURUSD","type":"error"}'), { kind: 'error', message: 'Invalid symbol FX:EURUSD' });
    assert.equal(parseFrame('{"type":"news","data":[]}').kind, 'news');
    assert.deepEqual(parseFrame('{"type":"heartbeat"}'), { kind: 'unknown', type: 'heartbeat' });
    for (const bad of ['', '{', 'null', '[]', '42', '"x"', '{"data":[]}', '{"type":"trade"}', '{"type":"trade","data":{}}']) {
      assert.equal(parseFrame(bad).kind, 'malformed', bad);
    }
  });

  const wireTrade = fc.record(
    {
      s: fc.string({ minLength: 1 }),
      p: fc.double({ noNaN: true, noDefaultInfinity: true }),
      t: fc.nat(),
      v: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
      c: fc.oneof(fc.constant(null), fc.array(fc.string())),
    },
    { requiredKeys: ['s', 'p', 't', 'v'] },
  );

  it('property: a serialized trade frame round-trips exactly, c null/absent as []', () => {
    fc.assert(
      fc.property(fc.array(wireTrade), (data) => {
        const frame = parseFrame(tradeFrame(data));
        assert.equal(frame.kind, 'trade');
        const { trades, invalidTrades } = frame;
        assert.equal(invalidTrades, 0);
        assert.deepEqual(
          trades,
          data.map((w) => ({ symbol: w.s, price: Object.is(w.p, -0) ? 0 : w.p, volume: Object.is(w.v, -0) ? 0 : w.v, timestamp: w.t, conditions: w.c ?? [] })),
        );
      }),
    );
  });

  it('property: any text, and any mutation of a real frame, is classified without throwing', () => {
    const real = '{"data":[{"c":["1","12"],"p":164.06,"s":"AAPL","t":1680286538064,"v":142}],"type":"trade"}';
    const mutated = fc
      .tuple(fc.nat({ max: real.length }), fc.nat({ max: 5 }), fc.string({ maxLength: 5 }))
      .map(([at, cut, insert]) => real.slice(0, at) + insert + real.slice(at + cut));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), mutated), (text) => {
        const frame = parseFrame(text);
        assert.ok(['trade', 'ping', 'error', 'news', 'unknown', 'malformed'].includes(frame.kind));
        if (frame.kind === 'trade') for (const t of frame.trades) assert.ok(Number.isFinite(t.price) && t.symbol.length > 0);
      }),
      { numRuns: 2000 },
    );
  });
});

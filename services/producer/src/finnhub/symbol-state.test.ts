import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSymbolStates } from './symbol-state.js';

describe('symbol states', () => {
  const setup = () => {
    let t = 1000;
    const clock = { now: () => t, advance: (ms: number) => (t += ms) };
    return { clock, states: createSymbolStates({ acceptAfterMs: 5000, now: clock.now }) };
  };

  it('a sent symbol is pending, subscribed on its first trade, and keeps the latest trade time', () => {
    const { states } = setup();
    states.want(['AAPL'], [], 50);
    states.subscribeSent('AAPL');
    assert.equal(states.get('AAPL')?.status, 'pending');
    states.trade('AAPL', 200);
    states.trade('AAPL', 100);
    assert.deepEqual(states.get('AAPL'), { symbol: 'AAPL', status: 'subscribed', lastTradeAt: 200, sentAt: 1000 });
  });

  it('a quiet symbol without an error is accepted after the grace period', () => {
    const { states, clock } = setup();
    states.want(['IC MARKETS:1'], [], 50);
    states.subscribeSent('IC MARKETS:1');
    clock.advance(4999);
    states.tick();
    assert.equal(states.get('IC MARKETS:1')?.status, 'pending');
    clock.advance(1);
    states.tick();
    assert.equal(states.get('IC MARKETS:1')?.status, 'subscribed');
  });

  it('Invalid symbol X rejects exactly X with Finnhub text', () => {
    const { states } = setup();
    states.want(['AAPL', 'FX:EURUSD'], [], 50);
    states.subscribeSent('AAPL');
    states.subscribeSent('FX:EURUSD');
    assert.equal(states.error('Invalid symbol FX:EURUSD'), 'FX:EURUSD');
    assert.deepEqual(states.get('FX:EURUSD')?.status, 'rejected');
    assert.equal(states.get('FX:EURUSD')?.message, 'Invalid symbol FX:EURUSD');
    assert.equal(states.get('AAPL')?.status, 'pending');
  });

  it('each too-many error is charged to the latest sent symbol not yet charged or trading', () => {
    const { states } = setup();
    states.want(['A', 'B', 'C', 'D'], ['E'], 4);
    // All in the same millisecond, as on a real reconnect.
    for (const s of ['A', 'B', 'C', 'D']) states.subscribeSent(s);
    states.trade('D', 1);
    assert.equal(states.error('Subscribing to too many symbols'), 'C');
    assert.equal(states.error('Subscribing to too many symbols'), 'B');
    assert.deepEqual(
      states.snapshot().map((s) => [s.symbol, s.status]),
      [
        ['A', 'pending'],
        ['B', 'over-limit'],
        ['C', 'over-limit'],
        ['D', 'subscribed'],
        ['E', 'over-limit'],
      ],
    );
  });

  it('an unrelated error changes nothing, and reset makes sent symbols pending again', () => {
    const { states } = setup();
    states.want(['A'], ['Z'], 1);
    states.subscribeSent('A');
    states.trade('A', 5);
    assert.equal(states.error('Something else'), undefined);
    states.reset();
    assert.equal(states.get('A')?.status, 'pending');
    assert.equal(states.get('A')?.lastTradeAt, 5);
    assert.equal(states.get('Z')?.status, 'over-limit');
  });
});

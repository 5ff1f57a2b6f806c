import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeDesiredSymbols, SYMBOLS_KEY } from '@tickerflow/common';
import { symbolsTracker } from './configmap-source.js';

function tracked() {
  const events: (string[] | string)[] = [];
  const tracker = symbolsTracker({
    onChange: (symbols) => events.push(symbols),
    onError: (err) => events.push(`error: ${err.message}`),
    onMissing: () => events.push('missing'),
  });
  return { events, observe: tracker.observe };
}

describe('symbols ConfigMap versions', () => {
  it('applies a list when its content changes, not for every version', () => {
    const { events, observe } = tracked();
    observe({ data: encodeDesiredSymbols(['AAPL', 'IC MARKETS:1']) });
    observe({ data: encodeDesiredSymbols(['AAPL', 'IC MARKETS:1']) });
    observe({ data: { ...encodeDesiredSymbols(['AAPL', 'IC MARKETS:1']), unrelated: 'x' } });
    observe({ data: encodeDesiredSymbols(['IC MARKETS:1', 'AAPL']) });
    assert.deepEqual(events, [
      ['AAPL', 'IC MARKETS:1'],
      ['IC MARKETS:1', 'AAPL'],
    ]);
  });

  it('a malformed document keeps the last good list and is reported once', () => {
    const { events, observe } = tracked();
    observe({ data: encodeDesiredSymbols(['AAPL']) });
    observe({ data: { [SYMBOLS_KEY]: '{"symbols": ["AAPL"]}' } });
    observe({ data: { [SYMBOLS_KEY]: '{"symbols": ["AAPL"]}' } });
    observe({ data: { [SYMBOLS_KEY]: '["unterminated' } });
    observe({ data: encodeDesiredSymbols(['AAPL']) });
    observe({ data: encodeDesiredSymbols(['MSFT']) });
    assert.equal(events.length, 4);
    assert.deepEqual(events[0], ['AAPL']);
    assert.match(events[1] as string, /^error: symbols\.json is not a JSON array of strings/);
    assert.match(events[2] as string, /^error: .*JSON/);
    assert.deepEqual(events[3], ['MSFT']);
  });

  it('a missing ConfigMap (or key) means no symbols; the absence is reported once per disappearance', () => {
    const { events, observe } = tracked();
    observe(undefined);
    observe(undefined);
    observe({ data: encodeDesiredSymbols(['AAPL']) });
    observe(undefined);
    observe({ data: {} });
    assert.deepEqual(events, ['missing', [], ['AAPL'], 'missing', []]);
  });
});

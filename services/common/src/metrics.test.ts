import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundedLabel, OTHER_LABEL } from './metrics.js';

describe('boundedLabel', () => {
  it('keeps the first max distinct values and maps the rest to _other, values already seen staying themselves', () => {
    const label = boundedLabel(2);
    assert.deepEqual(['a', 'b', 'c', 'a', 'd', 'b'].map(label), ['a', 'b', OTHER_LABEL, 'a', OTHER_LABEL, 'b']);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@tickerflow/common';
import { readProducerConfig } from './config.js';

describe('producer configuration', () => {
  it('reports field errors and cross-field rules together, in one start-up', () => {
    assert.throws(
      () => readProducerConfig({ FINNHUB_TOKEN: 'secret-token', KAFKA_BROKERS: 'b:9092', HTTP_PORT: 'eighty', KAFKA_SASL_MECHANISM: 'plain' }),
      (err: Error) => {
        assert.ok(err instanceof ConfigError);
        for (const name of ['HTTP_PORT', 'SYMBOLS', 'KAFKA_SASL_USERNAME']) assert.match(err.message, new RegExp(`${name}: `), name);
        assert.doesNotMatch(err.message, /secret-token/);
        return true;
      },
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ConfigError, env, parseConfig } from './config.js';

const schema = z.object({
  KAFKA_BROKERS: env.list(),
  HTTP_PORT: env.int(8080, 0),
  SECRET_TOKEN: env.string(),
  KAFKA_TLS: env.bool(false),
});

describe('parseConfig', () => {
  it('applies defaults, coerces types, trims host lists and freezes the result', () => {
    const cfg = parseConfig(schema, { KAFKA_BROKERS: 'a:9092, b:9092,', SECRET_TOKEN: 't0ken', KAFKA_TLS: 'yes' });
    assert.deepEqual(cfg, { KAFKA_BROKERS: ['a:9092', 'b:9092'], HTTP_PORT: 8080, SECRET_TOKEN: 't0ken', KAFKA_TLS: true });
    assert.ok(Object.isFrozen(cfg));
  });

  it('reports every problem by variable name in one error, never echoing a value', () => {
    const secret = 'super-secret-value';
    assert.throws(
      () => parseConfig(schema, { HTTP_PORT: secret, KAFKA_TLS: secret }),
      (err: Error) =>
        err instanceof ConfigError &&
        /KAFKA_BROKERS/.test(err.message) &&
        /HTTP_PORT: must be a number/.test(err.message) &&
        /SECRET_TOKEN/.test(err.message) &&
        /KAFKA_TLS: must be true or false/.test(err.message) &&
        !err.message.includes(secret),
    );
  });
});

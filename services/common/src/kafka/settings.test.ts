import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { parseConfig } from '../config.js';
import { kafkaConnection, kafkaEnvRefinement, kafkaEnvSchema } from './settings.js';
import { platformaticConnection } from './platformatic.js';

const schema = z.object(kafkaEnvSchema).superRefine(kafkaEnvRefinement);

describe('Kafka connection settings', () => {
  it('maps TLS and SASL once, for both clients', () => {
    const ca = join(mkdtempSync(join(tmpdir(), 'kafka-ca-')), 'ca.crt');
    writeFileSync(ca, 'PEM');
    const env = parseConfig(schema, {
      KAFKA_BROKERS: 'a:9093, b:9093',
      KAFKA_TLS: 'true',
      KAFKA_TLS_CA_FILE: ca,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'consumer',
      KAFKA_SASL_PASSWORD: 'p4ss',
    });
    const connection = kafkaConnection(env);
    assert.deepEqual(connection, {
      brokers: ['a:9093', 'b:9093'],
      tls: { rejectUnauthorized: true, ca: 'PEM' },
      sasl: { mechanism: 'scram-sha-512', username: 'consumer', password: 'p4ss' },
    });
    assert.deepEqual(platformaticConnection(connection, 'tickerflow-producer'), {
      clientId: 'tickerflow-producer',
      bootstrapBrokers: ['a:9093', 'b:9093'],
      tls: { rejectUnauthorized: true, ca: 'PEM' },
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'consumer', password: 'p4ss' },
    });
  });

  it('plaintext by default; KAFKA_CLIENT_ID overrides the service name', () => {
    const connection = kafkaConnection(parseConfig(schema, { KAFKA_BROKERS: 'k:9092', KAFKA_CLIENT_ID: 'mine' }));
    assert.deepEqual(connection, { brokers: ['k:9092'], clientId: 'mine' });
    assert.equal(platformaticConnection(connection, 'tickerflow-producer').clientId, 'mine');
  });

  it('a SASL mechanism without credentials is a configuration error', () => {
    assert.throws(() => parseConfig(schema, { KAFKA_BROKERS: 'k:9092', KAFKA_SASL_MECHANISM: 'plain' }), /KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME/);
  });
});

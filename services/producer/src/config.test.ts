import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '@tickerflow/common';
import { readProducerConfig, runtimeDefaults } from './config.js';

const base = { FINNHUB_TOKEN: 'secret-token', KAFKA_BROKERS: 'b:9092' };
const outsideAPod = { identity: 'laptop-42' };

/** The configuration problems, one `NAME: message` per line. */
function problems(environment: NodeJS.ProcessEnv, defaults = outsideAPod): string {
  try {
    readProducerConfig(environment, defaults);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.doesNotMatch(err.message, /secret-token/);
    return err.message;
  }
  assert.fail('the configuration was accepted');
}

describe('producer configuration', () => {
  it('reports field errors and cross-field rules together, in one start-up', () => {
    const message = problems({ ...base, HTTP_PORT: 'eighty', KAFKA_SASL_MECHANISM: 'plain' });
    for (const name of ['HTTP_PORT', 'SYMBOLS', 'KAFKA_SASL_USERNAME']) assert.match(message, new RegExp(`${name}: `), name);
  });

  it('takes exactly one symbol source', () => {
    assert.match(problems(base), /SYMBOLS: set SYMBOLS .*, SYMBOLS_FILE or SYMBOLS_CONFIGMAP/);
    assert.match(
      problems({ ...base, SYMBOLS: 'AAPL', SYMBOLS_CONFIGMAP: 'symbols', KUBE_NAMESPACE: 'ns' }),
      /SYMBOLS_CONFIGMAP: set only one symbol source: SYMBOLS and SYMBOLS_CONFIGMAP/,
    );
    assert.match(problems({ ...base, SYMBOLS: 'AAPL', SYMBOLS_FILE: '/etc/symbols' }), /SYMBOLS_FILE: set only one symbol source/);
    assert.deepEqual(readProducerConfig({ ...base, SYMBOLS: 'AAPL' }, outsideAPod).SYMBOLS, ['AAPL']);
  });

  it('the ConfigMap source: defaults, and a namespace from the pod or from KUBE_NAMESPACE', () => {
    assert.match(problems({ ...base, SYMBOLS_CONFIGMAP: 'tickerflow-symbols' }), /KUBE_NAMESPACE: is required with SYMBOLS_CONFIGMAP outside a pod/);
    assert.match(problems({ ...base, SYMBOLS: 'AAPL', LEADER_ELECTION: 'true' }), /KUBE_NAMESPACE: is required with LEADER_ELECTION=true/);

    const inPod = readProducerConfig({ ...base, SYMBOLS_CONFIGMAP: 'tickerflow-symbols' }, { namespace: 'markets', identity: 'ignored' });
    assert.equal(inPod.KUBE_NAMESPACE, 'markets');
    assert.equal(inPod.PRODUCER_STATE_CONFIGMAP, 'tickerflow-producer-state');
    assert.equal(inPod.PRODUCER_STATE_INTERVAL, 5000);
    assert.equal(inPod.PRODUCER_STATE_HEARTBEAT, 30_000);
    assert.equal(inPod.LEADER_ELECTION, false);

    const explicit = readProducerConfig(
      { ...base, SYMBOLS_CONFIGMAP: 's', KUBE_NAMESPACE: 'other', PRODUCER_STATE_INTERVAL: '500ms', PRODUCER_STATE_HEARTBEAT: '2s', POD_NAME: 'producer-0' },
      { namespace: 'markets', identity: 'host-1' },
    );
    assert.deepEqual(
      [explicit.KUBE_NAMESPACE, explicit.PRODUCER_STATE_INTERVAL, explicit.PRODUCER_STATE_HEARTBEAT, explicit.POD_NAME],
      ['other', 500, 2000, 'producer-0'],
    );
    assert.match(
      problems({ ...base, SYMBOLS: 'A', PRODUCER_STATE_INTERVAL: '10s', PRODUCER_STATE_HEARTBEAT: '5s' }),
      /PRODUCER_STATE_HEARTBEAT: must be at least/,
    );
    assert.match(problems({ ...base, SYMBOLS: 'A', PRODUCER_STATE_INTERVAL: '0' }), /PRODUCER_STATE_INTERVAL: must be at least 100ms/);
  });

  it('leader election: client-go defaults, identity from POD_NAME or host and pid, timings that cannot overlap two leaders', () => {
    const cfg = readProducerConfig({ ...base, SYMBOLS: 'AAPL', LEADER_ELECTION: 'true', KUBE_NAMESPACE: 'ns' }, outsideAPod);
    assert.deepEqual(
      [
        cfg.LEADER_ELECTION,
        cfg.LEADER_ELECTION_LEASE,
        cfg.LEADER_ELECTION_LEASE_DURATION_SECONDS,
        cfg.LEADER_ELECTION_RENEW_DEADLINE_SECONDS,
        cfg.LEADER_ELECTION_RETRY_PERIOD_SECONDS,
        cfg.POD_NAME,
      ],
      [true, 'tickerflow-producer', 15, 10, 2, 'laptop-42'],
    );
    const message = problems({
      ...base,
      SYMBOLS: 'AAPL',
      LEADER_ELECTION: 'maybe',
      LEADER_ELECTION_LEASE_DURATION_SECONDS: '10',
      LEADER_ELECTION_RENEW_DEADLINE_SECONDS: '10',
      LEADER_ELECTION_RETRY_PERIOD_SECONDS: '9',
      POD_NAME: '',
    });
    assert.match(message, /LEADER_ELECTION: must be true or false/);
    assert.match(message, /LEADER_ELECTION_RENEW_DEADLINE_SECONDS: must be less than LEADER_ELECTION_LEASE_DURATION_SECONDS/);
    assert.match(message, /LEADER_ELECTION_RETRY_PERIOD_SECONDS: must be less than/);
    assert.match(message, /POD_NAME: must not be empty|POD_NAME: is required/);
  });

  it('reads the in-cluster namespace file when there is one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sa-'));
    writeFileSync(join(dir, 'namespace'), 'markets\n');
    assert.equal(runtimeDefaults(join(dir, 'namespace')).namespace, 'markets');
    assert.equal(runtimeDefaults(join(dir, 'missing')).namespace, undefined);
    assert.match(runtimeDefaults(join(dir, 'missing')).identity, /-\d+$/);
  });
});

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { eventually, freePort, promtoolCheckMetrics, sample, startService, type ServiceProcess } from '@tickerflow/harness';

/** The dashboard without a reachable Kafka: it refuses bad config, and otherwise serves the page but is not ready. */
describe('dashboard without Kafka', () => {
  const started: ServiceProcess[] = [];
  after(async () => {
    await Promise.all(started.map((p) => p.stop('SIGKILL')));
  });

  it('refuses a broken configuration with exit code 2, naming each bad variable', async () => {
    const p = startService('tickerflow-dashboard', { CANDLE_INTERVALS: 'fast', DASHBOARD_LOOKBACK: 'ages', HTTP_PORT: 'eighty' }, { inheritEnv: false });
    started.push(p);
    assert.equal(await p.exited, 2);
    for (const name of ['KAFKA_BROKERS', 'CANDLE_INTERVALS', 'DASHBOARD_LOOKBACK', 'HTTP_PORT']) assert.match(p.output(), new RegExp(`${name}: `), name);
  });

  it('serves the page and health while Kafka is away, reports not ready and the Kafka state, clean metrics', async () => {
    // A port nothing listens on.
    const p = startService('tickerflow-dashboard', { KAFKA_BROKERS: `127.0.0.1:${await freePort()}` });
    started.push(p);
    await p.port();
    assert.equal((await p.get('/healthz')).status, 200);
    const ready = await p.get('/readyz');
    assert.equal(ready.status, 503);
    assert.deepEqual(JSON.parse(ready.body), { ready: false, failing: ['kafka'] });
    const page = await p.get('/');
    assert.equal(page.status, 200);
    assert.match(page.body, /<select id="symbol"/);
    await eventually(async () => sample((await p.get('/metrics')).body, 'tickerflow_dashboard_kafka_state{state="error"}') === 1, {
      timeoutMs: 60_000,
      what: 'Kafka state error',
    });
    assert.deepEqual(await promtoolCheckMetrics((await p.get('/metrics')).body), { ok: true, output: '' });
    assert.deepEqual(JSON.parse((await p.get('/api/symbols')).body), { intervals: ['1m', '5m'], symbols: [] });
    assert.equal(await p.stop('SIGTERM'), 0);
  });
});

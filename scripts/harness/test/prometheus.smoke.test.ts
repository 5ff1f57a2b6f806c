import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { harnessDir } from '../src/env.js';
import { eventually } from '../src/eventually.js';
import { promtoolCheckMetrics, startPrometheus, type PrometheusServer } from '../src/prometheus.js';

describe('Prometheus and promtool from Debian', () => {
  const registry = new Registry();
  new Counter({ name: 'tickerflow_smoke_events_total', help: 'Events seen by the smoke test.', registers: [registry] }).inc(7);
  let server: Server;
  let prometheus: PrometheusServer | undefined;

  before(async () => {
    server = createServer((_req, res) => {
      void registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': registry.contentType }).end(text);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await prometheus?.stop();
    server.close();
  });

  it('promtool check metrics passes on prom-client output and flags a bad name', async () => {
    assert.deepEqual(await promtoolCheckMetrics(await registry.metrics()), { ok: true, output: '' });
    const bad = await promtoolCheckMetrics('# HELP smoke_events Events.\n# TYPE smoke_events counter\nsmoke_events 1\n');
    assert.equal(bad.ok, false);
    assert.match(bad.output, /counter metrics should have "_total" suffix/);
  });

  it('scrapes a /metrics endpoint and answers a PromQL query over the HTTP API', async () => {
    const { port } = server.address() as AddressInfo;
    prometheus = await startPrometheus(join(harnessDir(), 'smoke'), [{ job: 'smoke', targets: [`127.0.0.1:${port}`] }]);
    await eventually(async () => (await prometheus!.query('tickerflow_smoke_events_total')).length === 1, { timeoutMs: 60_000, what: 'first scrape' });
    const [sample] = await prometheus.query('tickerflow_smoke_events_total');
    assert.equal(sample!.value[1], '7');
    assert.equal(sample!.metric.job, 'smoke');
  });
});

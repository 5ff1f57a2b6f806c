import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTopic, eventually, kafkaBrokers, metric, startService, startSimProcess, type ServiceProcess } from '@tickerflow/harness';

const TOKEN = `sse-flood-${randomUUID()}`;
const MiB = 1024 * 1024;

/** An event-stream client that sends its request and then never reads: its unsent output piles up at the server. */
function slowClient(port: number, localAddress: string): Promise<{ socket: Socket; status: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress }, () => {
      socket.write(`GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
    });
    socket.once('data', (d: Buffer) => {
      socket.pause(); // from here on nothing is read
      resolve({ socket, status: Number(/^HTTP\/1\.1 (\d+)/.exec(d.toString())?.[1]) });
    });
    socket.once('error', reject);
  });
}

describe('dashboard under a flood of slow event-stream clients', () => {
  const stops: (() => Promise<unknown>)[] = [];
  const sockets: Socket[] = [];
  after(async () => {
    for (const s of sockets) s.destroy();
    for (const stop of stops.reverse()) await stop();
  });

  it('memory for unsent output stays within SSE_BUFFER_BYTES, one address cannot take every slot, and a client that reads keeps receiving', async () => {
    const brokers = kafkaBrokers();
    const topic = `trades.${randomUUID().slice(0, 8)}`;
    const candles = `candles.${randomUUID().slice(0, 8)}`;
    await createTopic(brokers, topic, 3);
    await createTopic(brokers, candles, 3);
    const sim = await startSimProcess(['--token', TOKEN, '--rate', '1500', '--seed', '3']);
    stops.push(() => sim.stop());
    const producer: ServiceProcess = startService('tickerflow-producer', {
      FINNHUB_TOKEN: TOKEN,
      FINNHUB_WS_URL: sim.url,
      KAFKA_BROKERS: brokers.join(','),
      TRADES_TOPIC: topic,
      SYMBOLS: 'AAPL,MSFT,GOOG,AMZN,BINANCE:BTCUSDT',
      LOG_LEVEL: 'warn',
    });
    stops.push(() => producer.stop('SIGKILL'));
    const budget = 8 * MiB;
    const dashboard = startService('tickerflow-dashboard', {
      KAFKA_BROKERS: brokers.join(','),
      TRADES_TOPIC: topic,
      CANDLES_TOPIC: candles,
      CANDLE_INTERVALS: '1s,1m',
      // info: the start-up line carries the port.
      LOG_LEVEL: 'info',
      SSE_BUFFER_BYTES: String(budget),
      // The old per-client allowance: alone it would let 200 slow clients hold 800 MiB.
      SSE_CLIENT_BUFFER_BYTES: String(4 * MiB),
      SSE_MAX_CLIENTS_PER_ADDRESS: '10',
    });
    stops.push(() => dashboard.stop('SIGKILL'));
    const port = await dashboard.port();
    await eventually(
      async () =>
        (await metric(dashboard, 'tickerflow_dashboard_sse_events_sent_total{event="candle"}')) >= 0 &&
        (await metric(dashboard, `tickerflow_dashboard_records_read_total{topic="${topic}"}`)) > 1000,
      { timeoutMs: 60_000, what: 'trades flowing to the dashboard' },
    );

    // A well-behaved client, reading all along.
    const reader = new AbortController();
    stops.push(async () => reader.abort());
    let received = 0;
    const res = await fetch(`http://127.0.0.1:${port}/api/stream`, { signal: reader.signal });
    void (async () => {
      for await (const chunk of res.body!) received += (chunk as Uint8Array).length;
    })().catch(() => undefined);

    const step = (what: string) => process.stdout.write(`# sse flood: ${what}\n`);
    step('reader connected');
    const rssBefore = await metric(dashboard, 'process_resident_memory_bytes');
    // 200 clients that never read, ten from each of twenty loopback addresses.
    for (let a = 2; a < 22; a++) {
      for (let i = 0; i < 10; i++) {
        const { socket, status } = await slowClient(port, `127.0.0.${a}`);
        sockets.push(socket);
        assert.equal(status, 200);
      }
    }
    step('200 slow clients connected');
    // The eleventh from one address is refused.
    const extra = await slowClient(port, '127.0.0.2');
    sockets.push(extra.socket);
    assert.equal(extra.status, 429);

    let peakBuffered = 0;
    let peakRss = 0;
    const receivedAtStart = received;
    for (let s = 0; s < 30; s++) {
      await sleep(1000);
      peakBuffered = Math.max(peakBuffered, await metric(dashboard, 'tickerflow_dashboard_sse_buffered_bytes'));
      peakRss = Math.max(peakRss, await metric(dashboard, 'process_resident_memory_bytes'));
    }
    const receivedDuringFlood = received - receivedAtStart;
    const droppedForBudget = await metric(dashboard, 'tickerflow_dashboard_sse_clients_dropped_total{reason="budget"}');
    process.stdout.write(
      `# sse flood: peak unsent ${(peakBuffered / MiB).toFixed(1)} MiB, RSS ${(rssBefore / MiB).toFixed(0)} → peak ${(peakRss / MiB).toFixed(0)} MiB, ${droppedForBudget} slow clients dropped, reader got ${(receivedDuringFlood / 1024).toFixed(0)} KiB\n`,
    );
    assert.ok(droppedForBudget > 0, 'the flood reached the budget');
    // The budget, plus at most one event for each client that was keeping up.
    assert.ok(peakBuffered <= budget + MiB, `unsent output peaked at ${peakBuffered} bytes`);
    // RSS also holds garbage V8 has not collected yet (121 to 180 MiB growth seen), so the bound is
    // against what the per-client allowance alone would let these clients hold, not the budget.
    const unbounded = 200 * 4 * MiB;
    assert.ok(peakRss - rssBefore < unbounded / 2, `RSS grew ${((peakRss - rssBefore) / MiB).toFixed(0)} MiB`);
    assert.ok(receivedDuringFlood > 100 * 1024, 'the reading client kept receiving');
    assert.equal((await dashboard.get('/healthz')).status, 200);
  });
});

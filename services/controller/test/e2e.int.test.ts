import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTopic, eventually, kafkaBrokers, kubeconfigPath, metric, startService, startSimProcess, type ServiceProcess } from '@tickerflow/harness';
import type { TickerSubscription } from '../src/api/v1alpha1.js';
import { apply, installCrd, kubectlOk, subscription } from './kube.js';

interface SimConnection {
  id: number;
  open: boolean;
  subscriptions: string[];
  tradesSent: number;
  received: { type: 'subscribe' | 'unsubscribe'; symbol: string; at: number }[];
}

const TOKEN = `e2e-${randomUUID()}`;

/**
 * The whole Kubernetes loop on real components: kubectl → TickerSubscription →
 * controller → symbols ConfigMap → producer leader → finnhub-sim, and back:
 * producer state ConfigMap → controller → status. Two controllers and two
 * producers run throughout; the simulator must never see two connections.
 */
describe('kubectl apply a TickerSubscription, see it streaming (controller + producers + simulator + Kafka)', () => {
  const ns = `e2e-${randomUUID().slice(0, 8)}`;
  const lease = {
    LEADER_ELECTION: 'true',
    LEADER_ELECTION_LEASE_DURATION_SECONDS: '6',
    LEADER_ELECTION_RENEW_DEADLINE_SECONDS: '4',
    LEADER_ELECTION_RETRY_PERIOD_SECONDS: '1',
  };
  let sim: Awaited<ReturnType<typeof startSimProcess>>;
  const services: ServiceProcess[] = [];
  let maxOpen = 0;
  let watching = true;
  let watcher: Promise<void> | undefined;
  const connections = async (): Promise<SimConnection[]> =>
    ((await (await fetch(`${sim.httpUrl}/control/stats`)).json()) as { connections: SimConnection[] }).connections;
  const open = async () => (await connections()).filter((c) => c.open);
  const get = async (name: string) => JSON.parse(await kubectlOk(['get', 'tsub', name, '-n', ns, '-o', 'json'])) as TickerSubscription;
  const ready = (s: TickerSubscription) => s.status?.conditions?.find((c) => c.type === 'Ready');
  const producers: ServiceProcess[] = [];
  const controllers: ServiceProcess[] = [];
  const leaderOf = async (cs: ServiceProcess[], gauge: string) => {
    for (const c of cs) if ((await metric(c, gauge).catch(() => 0)) === 1) return c;
    return undefined;
  };

  before(async () => {
    await installCrd();
    await kubectlOk(['create', 'namespace', ns]);
    const topic = `trades.${randomUUID().slice(0, 8)}`;
    await createTopic(kafkaBrokers(), topic, 3);
    sim = await startSimProcess(['--port', '0', '--token', TOKEN, '--rate', '200', '--invalid-symbols', 'BAD:SYMBOL']);
    // Throughout the test: never two connections for the token.
    watcher = (async () => {
      while (watching) {
        maxOpen = Math.max(maxOpen, (await open().catch(() => [])).length);
        await sleep(20);
      }
    })();
    const kube = { KUBECONFIG: kubeconfigPath(), KUBE_NAMESPACE: ns, LOG_LEVEL: 'info', ...lease };
    for (const name of ['controller-0', 'controller-1']) controllers.push(startService('tickerflow-controller', { ...kube, POD_NAME: name }));
    for (const name of ['producer-0', 'producer-1']) {
      producers.push(
        startService('tickerflow-producer', {
          ...kube,
          POD_NAME: name,
          KAFKA_BROKERS: kafkaBrokers().join(','),
          TRADES_TOPIC: topic,
          FINNHUB_TOKEN: TOKEN,
          FINNHUB_WS_URL: sim.url,
          SYMBOLS_CONFIGMAP: 'tickerflow-symbols',
          PRODUCER_STATE_INTERVAL: '500ms',
          PRODUCER_STATE_HEARTBEAT: '5s',
        }),
      );
    }
    services.push(...controllers, ...producers);
  });
  after(async () => {
    watching = false;
    await watcher;
    await Promise.all(services.map((s) => s.stop('SIGKILL')));
    await sim?.stop();
  });

  it('apply: the leader subscribes on its one connection, the status says streaming with a last trade', async () => {
    await apply(ns, subscription('stocks', { symbols: ['AAPL', 'MSFT'] }));
    await eventually(async () => (await open()).some((c) => ['AAPL', 'MSFT'].every((s) => c.subscriptions.includes(s))), {
      what: 'the simulator sees the subscriptions',
    });
    await eventually(async () => ready(await get('stocks'))?.reason === 'Streaming', { what: 'stocks Ready (Streaming)' });
    const stocks = await get('stocks');
    assert.equal(ready(stocks)?.status, 'True');
    assert.equal(stocks.status?.activeCount, 2);
    assert.ok(stocks.status?.lastTradeTime, 'a last trade time');
    const table = await kubectlOk(['get', 'tsub', '-n', ns]);
    assert.match(table, /stocks\s+2\s+True\s+2\s+\d+s\s+/);
  });

  it("edit and delete on the same connection; a symbol the simulator rejects shows Finnhub's words", async () => {
    const [before] = await open();
    assert.ok(before);
    await apply(ns, subscription('stocks', { symbols: ['AAPL', 'MSFT', 'NVDA'] }));
    await apply(ns, subscription('bad', { symbols: ['BAD:SYMBOL'] }));
    await eventually(async () => ready(await get('bad'))?.reason === 'SymbolsRejected', { what: 'bad is rejected' });
    assert.match(await kubectlOk(['get', 'tsub', 'bad', '-n', ns, '-o', 'yaml']), /message: Invalid symbol BAD:SYMBOL/);
    await kubectlOk(['delete', 'tsub', 'bad', '-n', ns]);
    await eventually(
      async () => (await connections()).find((c) => c.id === before.id)?.received.some((r) => r.type === 'unsubscribe' && r.symbol === 'BAD:SYMBOL') === true,
      {
        what: 'the unsubscribe frame for BAD:SYMBOL',
      },
    );
    const after = (await connections()).find((c) => c.id === before.id)!;
    assert.ok(after.open, 'the same connection, never reconnected');
    assert.deepEqual(
      after.received.filter((r) => r.symbol === 'NVDA').map((r) => r.type),
      ['subscribe'],
    );
    assert.deepEqual([...after.subscriptions].sort(), ['AAPL', 'MSFT', 'NVDA']);
    await eventually(async () => ready(await get('stocks'))?.reason === 'Streaming', { what: 'stocks streams its three symbols' });
  });

  it('SIGKILL of the leading producer: the standby streams again; SIGKILL of the leading controller: the other reconciles', async (t) => {
    const leader = await leaderOf(producers, 'tickerflow_producer_leader');
    assert.ok(leader, 'one producer leads');
    const [old] = await open();
    const killedAt = Date.now();
    await leader.stop('SIGKILL');
    await eventually(async () => (await open()).some((c) => c.id !== old!.id && c.tradesSent > 0), { what: 'the standby streaming on a new connection' });
    t.diagnostic(`producer failover (Lease 6 s): trades again ${Date.now() - killedAt} ms after SIGKILL of the leader`);

    const leadingController = await leaderOf(controllers, 'tickerflow_controller_leader');
    assert.ok(leadingController, 'one controller leads');
    await leadingController.stop('SIGKILL');
    await apply(ns, subscription('after-failover', { symbols: ['TSLA'] }));
    await eventually(async () => (await open()).some((c) => c.subscriptions.includes('TSLA')), { what: 'TSLA subscribed after the controller failover' });
    assert.ok(maxOpen <= 1, `the simulator saw ${maxOpen} connections at once`);
    t.diagnostic(`most connections open at once during the test: ${maxOpen}`);
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PRODUCER_STATE_KEY, SYMBOLS_KEY, type ProducerStateReport } from '@tickerflow/common';
import { eventually, kubeconfigPath, metric, startService, type ServiceProcess } from '@tickerflow/harness';
import type { TickerSubscription } from '../src/api/v1alpha1.js';
import { apply, installCrd, kubectl, kubectlOk, subscription } from './kube.js';

const LIMIT = 4;

/** The controller against the real kube-apiserver: desired symbols, status, restarts, leader election. */
describe('tickerflow-controller on the harness kube-apiserver', () => {
  const ns = `ctl-${randomUUID().slice(0, 8)}`;
  const controllers: ServiceProcess[] = [];
  const startController = (name: string, env: Record<string, string> = {}) => {
    const c = startService('tickerflow-controller', {
      KUBECONFIG: kubeconfigPath(),
      KUBE_NAMESPACE: ns,
      FINNHUB_SYMBOL_LIMIT: String(LIMIT),
      POD_NAME: name,
      LOG_LEVEL: 'info',
      // Short, so a killed leader's Lease expires within the test.
      LEADER_ELECTION_LEASE_DURATION_SECONDS: '6',
      LEADER_ELECTION_RENEW_DEADLINE_SECONDS: '4',
      LEADER_ELECTION_RETRY_PERIOD_SECONDS: '1',
      ...env,
    });
    controllers.push(c);
    return c;
  };
  const desired = async (): Promise<string[] | undefined> => {
    const r = await kubectl(['get', 'configmap', 'tickerflow-symbols', '-n', ns, '-o', 'json']);
    if (r.code !== 0) return undefined;
    return JSON.parse((JSON.parse(r.stdout) as { data: Record<string, string> }).data[SYMBOLS_KEY]!) as string[];
  };
  const get = async (name: string) => JSON.parse(await kubectlOk(['get', 'tsub', name, '-n', ns, '-o', 'json'])) as TickerSubscription;
  const ready = (s: TickerSubscription) => s.status?.conditions?.find((c) => c.type === 'Ready');
  const leaderOf = async (cs: ServiceProcess[]) => {
    for (const c of cs) if ((await metric(c, 'tickerflow_controller_leader').catch(() => 0)) === 1) return c;
    return undefined;
  };
  const writeReport = (report: ProducerStateReport) =>
    kubectlOk(
      ['apply', '--server-side', '--field-manager=tickerflow-producer', '-n', ns, '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'tickerflow-producer-state' },
        data: { [PRODUCER_STATE_KEY]: JSON.stringify(report) },
      }),
    );

  before(async () => {
    await installCrd();
    await kubectlOk(['create', 'namespace', ns]);
  });
  after(async () => {
    await Promise.all(controllers.map((c) => c.stop('SIGKILL')));
  });

  it('apply, edit, suspend, resume and delete: the symbols ConfigMap follows; a shared symbol once; over the limit named on the same subscription every time', async () => {
    const first = startController('controller-a');
    await eventually(async () => (await first.get('/readyz')).status === 200, { what: 'controller ready' });
    await apply(ns, subscription('tech', { symbols: ['AAPL', 'MSFT'] }));
    await eventually(async () => JSON.stringify(await desired()) === JSON.stringify(['AAPL', 'MSFT']), { what: 'ConfigMap = tech' });
    // A second subscription sharing MSFT: the symbol once, oldest first (creation times have whole seconds).
    await sleep(1100);
    await apply(ns, subscription('chips', { symbols: ['MSFT', 'NVDA'] }));
    await eventually(async () => JSON.stringify(await desired()) === JSON.stringify(['AAPL', 'MSFT', 'NVDA']), { what: 'ConfigMap = tech ∪ chips' });
    // Edit.
    await apply(ns, subscription('tech', { symbols: ['AAPL', 'MSFT', 'BRK.B'] }));
    await eventually(async () => JSON.stringify(await desired()) === JSON.stringify(['AAPL', 'MSFT', 'BRK.B', 'NVDA']), { what: 'ConfigMap after the edit' });
    // Over the limit of 4: the newest subscription's extra symbols, named in its status.
    await sleep(1100);
    await apply(ns, subscription('crypto', { symbols: ['BINANCE:BTCUSDT', 'IC MARKETS:1'] }));
    await eventually(async () => ready(await get('crypto'))?.reason === 'SymbolLimitExceeded', { what: 'crypto over the limit' });
    const over = ready(await get('crypto'))!;
    assert.equal(over.status, 'False');
    assert.match(over.message, /over the limit of 4 symbols: BINANCE:BTCUSDT, IC MARKETS:1/);
    assert.deepEqual(await desired(), ['AAPL', 'MSFT', 'BRK.B', 'NVDA']);
    assert.deepEqual(
      (await get('crypto')).status?.symbols?.map((s) => s.state),
      ['overLimit', 'overLimit'],
    );
    // Suspend chips: NVDA goes, and crypto's first symbol fits.
    await apply(ns, subscription('chips', { symbols: ['MSFT', 'NVDA'], suspend: true }));
    await eventually(async () => JSON.stringify(await desired()) === JSON.stringify(['AAPL', 'MSFT', 'BRK.B', 'BINANCE:BTCUSDT']), {
      what: 'ConfigMap after suspend',
    });
    await eventually(async () => ready(await get('chips'))?.reason === 'Suspended', { what: 'chips says it is suspended' });
    await eventually(async () => /over the limit of 4 symbols: IC MARKETS:1$/.test(ready(await get('crypto'))?.message ?? ''), {
      what: 'crypto: only IC MARKETS:1 over',
    });
    // Resume: chips is older than crypto, so NVDA comes back and crypto is over again, the same way.
    await apply(ns, subscription('chips', { symbols: ['MSFT', 'NVDA'], suspend: false }));
    await eventually(async () => JSON.stringify(await desired()) === JSON.stringify(['AAPL', 'MSFT', 'BRK.B', 'NVDA']), { what: 'ConfigMap after resume' });
    await eventually(async () => /over the limit of 4 symbols: BINANCE:BTCUSDT, IC MARKETS:1/.test(ready(await get('crypto'))?.message ?? ''), {
      what: 'crypto over again',
    });
    // Delete: its symbols leave (no finalizer needed).
    await kubectlOk(['delete', 'tsub', 'tech', '-n', ns]);
    await eventually(async () => JSON.stringify(await desired()) === JSON.stringify(['MSFT', 'NVDA', 'BINANCE:BTCUSDT', 'IC MARKETS:1']), {
      what: 'ConfigMap after delete',
    });
    await eventually(async () => ready(await get('crypto'))?.reason !== 'SymbolLimitExceeded', { what: 'crypto fits after the delete' });
    // Events with constant reasons.
    const events = await kubectlOk(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=crypto,reason=SymbolLimitExceeded', '-o', 'name']);
    assert.ok(events.trim().length > 0, 'a SymbolLimitExceeded event on crypto');
    await kubectlOk(['delete', 'tsub', '--all', '-n', ns]);
    await eventually(async () => JSON.stringify(await desired()) === '[]', { what: 'an empty ConfigMap once every subscription is gone' });
  });

  it("folds the producer's report into status: rejected with Finnhub's words, last trade in the printer columns, stale as unknown", async () => {
    await apply(ns, subscription('fx', { symbols: ['OANDA:EUR_USD', 'BAD:SYMBOL'] }));
    const lastTrade = new Date(Date.now() - 3000).toISOString();
    await writeReport({
      reportedAt: new Date().toISOString(),
      identity: 'producer-0',
      connected: true,
      symbols: [
        { symbol: 'OANDA:EUR_USD', state: 'subscribed', lastTradeTime: lastTrade },
        { symbol: 'BAD:SYMBOL', state: 'rejected', message: 'Invalid symbol BAD:SYMBOL' },
      ],
    });
    await eventually(async () => ready(await get('fx'))?.reason === 'SymbolsRejected', { what: 'fx reports the rejected symbol' });
    const yaml = await kubectlOk(['get', 'tsub', 'fx', '-n', ns, '-o', 'yaml']);
    assert.match(yaml, /message: Invalid symbol BAD:SYMBOL/);
    assert.match(yaml, /state: rejected/);
    const fx = await get('fx');
    assert.equal(fx.status?.activeCount, 1);
    assert.equal(fx.status?.symbolCount, 2);
    assert.equal(fx.status?.observedGeneration, fx.metadata?.generation);
    const table = await kubectlOk(['get', 'tsub', 'fx', '-n', ns]);
    assert.match(table, /NAME\s+SYMBOLS\s+READY\s+ACTIVE\s+LAST TRADE\s+AGE/);
    assert.match(table, /fx\s+2\s+False\s+1\s+\d+s\s+/);
    // A report older than the stale limit: unknown, never the old "subscribed".
    await writeReport({
      reportedAt: new Date(Date.now() - 10 * 60_000).toISOString(),
      identity: 'producer-0',
      connected: true,
      symbols: [{ symbol: 'OANDA:EUR_USD', state: 'subscribed' }],
    });
    await eventually(async () => ready(await get('fx'))?.reason === 'ProducerStateStale', { what: 'fx shows the stale report' });
    assert.deepEqual(
      (await get('fx')).status?.symbols?.map((s) => s.state),
      ['unknown', 'unknown'],
    );
    assert.equal(ready(await get('fx'))?.status, 'Unknown');
  });

  it('a restart with nothing changed writes nothing (resourceVersions unchanged)', async () => {
    const versions = async () => {
      const subs = JSON.parse(await kubectlOk(['get', 'tsub', '-n', ns, '-o', 'json'])) as { items: TickerSubscription[] };
      const cm = JSON.parse(await kubectlOk(['get', 'configmap', 'tickerflow-symbols', '-n', ns, '-o', 'json'])) as { metadata: { resourceVersion: string } };
      return { subs: Object.fromEntries(subs.items.map((s) => [s.metadata!.name!, s.metadata!.resourceVersion])), symbols: cm.metadata.resourceVersion };
    };
    for (const c of controllers.splice(0)) await c.stop();
    const before = await versions();
    const next = startController('controller-b', { LOG_LEVEL: 'debug' });
    await eventually(async () => (await metric(next, 'tickerflow_controller_leader')) === 1, { what: 'the restarted controller leads' });
    // Every key reconciled once after it started leading.
    await eventually(
      async () => (await metric(next, 'tickerflow_controller_reconciles_total{kind="subscription",result="success"}')) >= Object.keys(before.subs).length,
      {
        what: 'every subscription reconciled',
      },
    );
    await eventually(async () => (await metric(next, 'tickerflow_controller_reconciles_total{kind="symbols",result="success"}')) >= 1, {
      what: 'the symbols reconciled',
    });
    const afterRestart = await versions();
    if (JSON.stringify(afterRestart) !== JSON.stringify(before))
      process.stderr.write(
        next
          .output()
          .split('\n')
          .filter((l) => l.includes('status changed'))
          .join('\n'),
      );
    assert.deepEqual(afterRestart, before);
    assert.equal(await metric(next, 'tickerflow_controller_status_writes_total'), 0);
    assert.equal(await metric(next, 'tickerflow_controller_symbols_writes_total'), 0);
  });

  it('two controllers: one leads; SIGKILL of the leader and the other takes over', async () => {
    const pair = [...controllers, startController('controller-c')];
    await eventually(async () => (await leaderOf(pair)) !== undefined, { what: 'a leader' });
    let leaders = 0;
    for (const c of pair) leaders += await metric(c, 'tickerflow_controller_leader');
    assert.equal(leaders, 1);
    const leader = (await leaderOf(pair))!;
    const standby = pair.find((c) => c !== leader)!;
    const killedAt = Date.now();
    await leader.stop('SIGKILL');
    await eventually(async () => (await metric(standby, 'tickerflow_controller_leader')) === 1, { what: 'the standby leads' });
    await apply(ns, subscription('after-failover', { symbols: ['TSLA'] }));
    await eventually(async () => (await desired())?.includes('TSLA') === true || ready(await get('after-failover'))?.reason === 'SymbolLimitExceeded', {
      what: 'the new leader reconciles',
    });
    process.stderr.write(`# controller takeover after SIGKILL of the leader: ${Date.now() - killedAt} ms (Lease 6 s)\n`);
  });
});

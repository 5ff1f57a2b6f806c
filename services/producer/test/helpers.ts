import { randomUUID } from 'node:crypto';
import { createTopic, eventually, metric, readTopic, startService, type ServiceProcess } from '@tickerflow/harness';
import { fromWire, loadSchema, singleObjectCodec, WATERMARK_HEADER, type Trade, type TradeValue, type WireTrade } from '@tickerflow/common';
import { startSim, type RunningSim } from '@tickerflow/finnhub-sim';

/** Tests read metrics through the harness's helper. */
export { metric };

export const TOKEN = `tf-test-token-${randomUUID()}`;
export const codec = singleObjectCodec<TradeValue>(loadSchema('trade'));

/** A trade as a comparable string: symbol, price, volume, timestamp, conditions. */
export const tradeKey = (t: Trade): string => JSON.stringify([t.symbol, t.price, t.volume, t.timestamp, t.conditions]);

export function sortedKeys(trades: readonly Trade[]): string[] {
  return trades.map(tradeKey).sort();
}

/** Every trade the simulator sent, over all connections (reconnects included). */
export async function simSent(sim: RunningSim): Promise<Trade[]> {
  return sim.sim.stats().flatMap((c) => sim.sim.sentTrades(c.id).map((w: WireTrade) => fromWire(w)));
}

/** The trades topic's trade records, without the watermark records. */
export async function tradeRecords(brokers: string[], topic: string) {
  return (await readTopic(brokers, topic)).filter((r) => r.headers[WATERMARK_HEADER] === undefined);
}

export async function kafkaTrades(brokers: string[], topic: string): Promise<{ trades: Trade[]; keys: string[] }> {
  const records = await tradeRecords(brokers, topic);
  const trades = records.map((r) => {
    const { symbol, price, volume, timestamp, conditions } = codec.decode(r.value!);
    return { symbol, price, volume, timestamp, conditions };
  });
  return { trades, keys: records.map((r) => r.key!.toString('utf8')) };
}

export async function newTopic(brokers: string[], partitions = 3, configs: Record<string, string> = {}): Promise<string> {
  const topic = `trades.${randomUUID().slice(0, 8)}`;
  await createTopic(brokers, topic, partitions, configs);
  return topic;
}

export function startProducer(env: Record<string, string>): ServiceProcess {
  return startService('tickerflow-producer', {
    FINNHUB_TOKEN: TOKEN,
    LOG_LEVEL: 'debug',
    RECONNECT_INITIAL_MS: '100',
    RECONNECT_MAX_MS: '1000',
    FINNHUB_SYMBOL_ACCEPT_SECONDS: '1',
    SYMBOLS_FILE_POLL_MS: '100',
    ...env,
  });
}

/** Waits until the producer has had every trade it received acknowledged by Kafka. */
export async function settled(producer: ServiceProcess): Promise<void> {
  await eventually(
    async () => {
      const received = await metric(producer, 'tickerflow_producer_trades_received_total');
      const produced = await metric(producer, 'tickerflow_producer_trades_produced_total');
      const dropped = (
        await Promise.all(['buffer_full', 'oversized', 'rejected'].map((r) => metric(producer, `tickerflow_producer_trades_dropped_total{reason="${r}"}`)))
      ).reduce((a, b) => a + b);
      return received > 0 && received === produced + dropped;
    },
    { timeoutMs: 60_000, what: 'every received trade produced or dropped' },
  );
}

/** Producers and simulators a test file starts, kept to be checked and stopped at the end. */
export function tracked() {
  const started: ServiceProcess[] = [];
  const sims: RunningSim[] = [];
  return {
    started,
    producer: (env: Record<string, string>) => {
      const p = startProducer(env);
      started.push(p);
      return p;
    },
    sim: async (opts: Parameters<typeof startSim>[0]) => {
      const s = await startSim({ record: true, ...opts });
      sims.push(s);
      return s;
    },
    stopAll: async () => {
      await Promise.all(started.map((p) => p.stop('SIGKILL')));
      await Promise.all(sims.map((s) => s.stop()));
    },
  };
}

import {
  candleKey,
  createCandleAggregator,
  InvalidRecordError,
  readCandlesTopicRecord,
  readTradesTopicRecord,
  type Candle,
  type CandleAggregator,
  type ReaderCodec,
  type Interval,
  type Logger,
  type TradeValue,
} from '@tickerflow/common';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { DashboardMetrics, KafkaState } from './metrics.js';
import { createTopicReader } from './reader.js';
import type { CandleStore, SymbolStats } from './store.js';

/** The `candle` event: one candle changed (final from the candles topic, or forming from our own aggregation). */
export interface CandleEvent {
  symbol: string;
  interval: string;
  candle: Candle;
  final: boolean;
  /** Event time of the newest trade this update reflects (the symbol's last trade for final candles); null if none seen. */
  lastTradeTs: number | null;
}

export interface FeedEvents {
  candle(e: CandleEvent): void;
  stats(s: SymbolStats): void;
  status(state: KafkaState): void;
}

export interface FeedOptions {
  tradesTopic: string;
  candlesTopic: string;
  intervals: readonly Interval[];
  allowedLatenessMs: number;
  lookbackMs: number;
}

export interface FeedDeps {
  kafka: Kafka;
  store: CandleStore;
  metrics: DashboardMetrics;
  logger: Logger;
  tradeCodec: ReaderCodec<TradeValue>;
  candleCodec: ReaderCodec<Candle>;
  events: FeedEvents;
  now?: () => number;
}

const key = (symbol: string, interval: string) => `${symbol}\u0000${interval}`;

/**
 * Kafka → store → events. Final candles come from the candles topic (from
 * DASHBOARD_LOOKBACK ago); the forming candle and the last price come from the
 * trades topic through the same aggregation core the consumer uses, one
 * aggregator per trades partition, read from (longest interval + allowed
 * lateness) ago so the current windows are complete. Each Kafka batch gives
 * at most one forming-candle event per symbol and interval.
 */
export function createFeed(opts: FeedOptions, deps: FeedDeps) {
  const { store, metrics, logger, events } = deps;
  const now = deps.now ?? Date.now;
  const longest = Math.max(...opts.intervals.map((i) => i.ms));
  const aggregators = new Map<number, CandleAggregator>();
  /** Windows starting before this are partial here (their early trades were not read): not drawn from trades. */
  let tradesFrom = 0;
  const states = { trades: 'connecting' as KafkaState, candles: 'connecting' as KafkaState };
  let status: KafkaState = 'connecting';
  const lastRates = new Map<string, number>();

  function setState(which: keyof typeof states, state: KafkaState) {
    states[which] = state;
    const next: KafkaState = Object.values(states).includes('error') ? 'error' : Object.values(states).includes('connecting') ? 'connecting' : 'connected';
    if (next !== status) {
      status = next;
      logger.info({ kafka: status }, 'Kafka state changed');
      events.status(status);
    }
  }

  function emitStats(symbol: string) {
    const s = store.stats(symbol, now());
    if (!s) return;
    lastRates.set(symbol, s.tradesPerSecond);
    events.stats(s);
  }

  function onTrades(partition: number, messages: readonly KafkaMessage[]) {
    metrics.recordsRead.inc({ topic: opts.tradesTopic }, messages.length);
    let agg = aggregators.get(partition);
    if (!agg) {
      agg = createCandleAggregator({ intervals: opts.intervals, allowedLatenessMs: opts.allowedLatenessMs });
      aggregators.set(partition, agg);
    }
    const closed: Candle[] = [];
    /** Windows that got trades in this batch. */
    const touchedWindows = new Set<string>();
    /** Per symbol and interval: the newest window touched and the newest trade time. */
    const latest = new Map<string, { windowStart: number; lastTradeTs: number }>();
    const symbols = new Set<string>();
    for (const m of messages) {
      let record;
      try {
        record = readTradesTopicRecord(deps.tradeCodec, { key: m.key ?? null, value: m.value ?? null, headers: m.headers, timestamp: Number(m.timestamp) });
      } catch (err) {
        if (!(err instanceof InvalidRecordError)) throw err;
        metrics.invalidRecords.inc({ topic: opts.tradesTopic, reason: err.reason });
        continue;
      }
      if (record.kind === 'watermark') {
        closed.push(...agg.advance(record.time));
        continue;
      }
      const t = record.trade;
      const late = agg.add(t, Number(m.offset), (interval, windowStart) => {
        touchedWindows.add(candleKey({ symbol: t.symbol, interval: interval.name, windowStart }));
        const k = key(t.symbol, interval.name);
        const l = latest.get(k);
        if (!l) latest.set(k, { windowStart, lastTradeTs: t.timestamp });
        else {
          if (windowStart > l.windowStart) l.windowStart = windowStart;
          if (t.timestamp > l.lastTradeTs) l.lastTradeTs = t.timestamp;
        }
      });
      if (late.length > 0) metrics.lateTrades.inc();
      store.trade(t.symbol, t.price, t.timestamp);
      symbols.add(t.symbol);
      closed.push(...agg.advance(t.timestamp));
    }
    // Closed here first (they are older), as forming: the final candle from the candles topic replaces them.
    for (const c of closed) {
      if (c.windowStart < tradesFrom) continue;
      if (store.put(c, false)) {
        events.candle({ symbol: c.symbol, interval: c.interval, candle: c, final: false, lastTradeTs: store.stats(c.symbol, now())?.lastTradeTs ?? null });
      }
    }
    if (touchedWindows.size > 0) {
      for (const c of agg.forming()) {
        const ck = candleKey(c);
        if (!touchedWindows.has(ck) || c.windowStart < tradesFrom) continue;
        const changed = store.put(c, false);
        const l = latest.get(key(c.symbol, c.interval));
        if (changed && l && l.windowStart === c.windowStart) {
          events.candle({ symbol: c.symbol, interval: c.interval, candle: c, final: false, lastTradeTs: l.lastTradeTs });
        }
      }
    }
    for (const symbol of symbols) emitStats(symbol);
  }

  function onCandles(_partition: number, messages: readonly KafkaMessage[]) {
    metrics.recordsRead.inc({ topic: opts.candlesTopic }, messages.length);
    for (const m of messages) {
      let candle: Candle;
      try {
        candle = readCandlesTopicRecord(deps.candleCodec, { key: m.key ?? null, value: m.value ?? null });
      } catch (err) {
        if (!(err instanceof InvalidRecordError)) throw err;
        metrics.invalidRecords.inc({ topic: opts.candlesTopic, reason: err.reason });
        continue;
      }
      if (!store.knowsInterval(candle.interval)) {
        metrics.invalidRecords.inc({ topic: opts.candlesTopic, reason: 'unknown-interval' });
        continue;
      }
      if (store.put(candle, true)) {
        events.candle({
          symbol: candle.symbol,
          interval: candle.interval,
          candle,
          final: true,
          lastTradeTs: store.stats(candle.symbol, now())?.lastTradeTs ?? null,
        });
      }
    }
  }

  const trades = createTopicReader(deps.kafka, {
    topic: opts.tradesTopic,
    fromTime: () => {
      // Only the first start sets it: after a restart the reader goes on where it stopped.
      if (tradesFrom === 0) tradesFrom = now() - longest - opts.allowedLatenessMs;
      return tradesFrom;
    },
    onBatch: onTrades,
    prepare: (messages) => deps.tradeCodec.prepare(messages.map((m) => m.value)),
    onState: (s) => setState('trades', s),
    logger,
  });
  const candles = createTopicReader(deps.kafka, {
    topic: opts.candlesTopic,
    fromTime: () => now() - opts.lookbackMs,
    onBatch: onCandles,
    prepare: (messages) => deps.candleCodec.prepare(messages.map((m) => m.value)),
    onState: (s) => setState('candles', s),
    logger,
  });

  // Trade rates fall when a symbol goes quiet: send the new rate once a second when it changed.
  const rateTicker = setInterval(() => {
    for (const [symbol, rate] of lastRates) {
      if (!store.has(symbol)) {
        lastRates.delete(symbol);
        continue;
      }
      const s = store.stats(symbol, now());
      if (s && s.tradesPerSecond !== rate) emitStats(symbol);
    }
  }, 1000);
  rateTicker.unref();

  return {
    start() {
      trades.start();
      candles.start();
    },
    async stop() {
      clearInterval(rateTicker);
      await Promise.all([trades.stop(), candles.stop()]);
    },
    status: () => status,
    /** Both readers have joined their groups and are reading. */
    ready: () => states.trades === 'connected' && states.candles === 'connected',
  };
}

export type Feed = ReturnType<typeof createFeed>;

import { OTHER_LABEL, retry, worthLogging, loadSchema, schemaRegistryFrom, topicCodec, type Codec, type Logger, type TradeValue } from '@tickerflow/common';
import type { Express } from 'express';
import type { Registry } from 'prom-client';
import type { ProducerConfig } from './config.js';
import { createFinnhubConnection } from './finnhub/connection.js';
import { createSymbolStates } from './finnhub/symbol-state.js';
import { MissingTopicError, type TradeSender } from './kafka/trade-sender.js';
import { createTradeWriter } from './kafka/trade-writer.js';
import { createWatermarkTicker } from './kafka/watermarks.js';
import { createProducerMetrics } from './metrics.js';
import { fileSymbols, staticSymbols, type SymbolSource } from './symbols/source.js';

/** The Avro codec for trades: single-object encoding, or Confluent wire format with a registry. */
export async function tradeCodec(config: ProducerConfig): Promise<Codec<TradeValue>> {
  return topicCodec<TradeValue>(loadSchema('trade'), config.TRADES_TOPIC, schemaRegistryFrom(config));
}

export function symbolSource(config: ProducerConfig, logger: Logger): SymbolSource {
  if (config.SYMBOLS_FILE) {
    return fileSymbols(config.SYMBOLS_FILE, {
      intervalMs: config.SYMBOLS_FILE_POLL_MS,
      onError: (err) => logger.error({ err, file: config.SYMBOLS_FILE }, 'cannot read the symbols file; keeping the last good list'),
    });
  }
  return staticSymbols(config.SYMBOLS ?? []);
}

/**
 * Finnhub socket → per-trade Avro records in Kafka, keyed by symbol. Wires
 * the connection, the symbol states, the bounded writer and the metrics.
 */
export function createProducerApp(
  config: ProducerConfig,
  deps: { sender: TradeSender; registry: Registry; logger: Logger; codec: Codec<TradeValue>; symbols: SymbolSource },
) {
  const { logger } = deps;
  const sender = deps.sender;
  const states = createSymbolStates({ acceptAfterMs: config.FINNHUB_SYMBOL_ACCEPT_SECONDS * 1000, now: Date.now });
  // Read at scrape time, after `writer` exists.
  const metrics = createProducerMetrics(deps.registry, {
    bufferBytes: () => writer.bufferedBytes(),
    bufferRecords: () => writer.bufferedRecords(),
    symbols: () => states.snapshot(),
  });

  const writer = createTradeWriter(
    {
      topic: config.TRADES_TOPIC,
      maxBufferBytes: config.PRODUCER_BUFFER_MAX_BYTES,
      maxBatchRecords: config.PRODUCER_BATCH_MAX_RECORDS,
      stuckAfterMs: 5_000,
    },
    {
      sender,
      encode: (trade, receivedAt) => deps.codec.encode({ ...trade, receivedAt }),
      logger,
      events: {
        produced(batch, ackedAt) {
          if (batch.length === 0) return;
          metrics.tradesProduced.inc(batch.length);
          // Trades of one frame share receivedAt: one observation per frame.
          let last = Number.NaN;
          for (const { receivedAt, timestamp } of batch) {
            if (receivedAt !== last) metrics.ackLatency.observe((ackedAt - receivedAt) / 1000);
            last = receivedAt;
            metrics.exchangeLatency.observe(Math.max(0, ackedAt - timestamp) / 1000);
          }
        },
        dropped: (count, reason) => metrics.tradesDropped.inc({ reason }, count),
        produceError: () => metrics.produceErrors.inc(),
      },
    },
  );

  const connection = createFinnhubConnection(
    {
      url: config.FINNHUB_WS_URL,
      token: config.FINNHUB_TOKEN,
      staleMs: config.FINNHUB_STALE_SECONDS * 1000,
      symbolLimit: config.FINNHUB_SYMBOL_LIMIT,
      backoff: { initialMs: config.RECONNECT_INITIAL_MS, maxMs: config.RECONNECT_MAX_MS },
      unauthorizedRetryMs: config.FINNHUB_UNAUTHORIZED_RETRY_SECONDS * 1000,
      drainQuietMs: config.SHUTDOWN_DRAIN_QUIET_MS,
      drainMaxMs: Math.min(5000, config.SHUTDOWN_TIMEOUT_MS / 4),
    },
    {
      states,
      logger,
      events: {
        trades(trades, receivedAt) {
          metrics.tradesReceived.inc(trades.length);
          const perSymbol = new Map<string, number>();
          for (const t of trades) perSymbol.set(t.symbol, (perSymbol.get(t.symbol) ?? 0) + 1);
          // Labelled by symbol only while wanted: a stray symbol must not grow the label set.
          for (const [symbol, n] of perSymbol) metrics.symbolTraded(states.get(symbol) ? symbol : OTHER_LABEL, n);
          writer.write(trades, receivedAt);
        },
        frame(frame, receivedAt) {
          metrics.framesReceived.inc({ type: frame.kind });
          metrics.lastFrame.set(receivedAt / 1000);
          if (frame.kind === 'trade' && frame.invalidTrades > 0) metrics.tradesInvalid.inc(frame.invalidTrades);
        },
        state: (state) => metrics.setConnectionState(state),
        reconnect: (reason) => metrics.reconnects.inc({ reason }),
        finnhubError: () => metrics.finnhubErrors.inc(),
      },
    },
  );
  const stateTicker = setInterval(() => states.tick(), 1000);
  let kafkaConnected = false;
  let kafkaProblem: string | undefined = 'connecting';
  const stopping = new AbortController();

  /** One attempt: the brokers answer and know the topic (created first when KAFKA_CREATE_TOPICS asks for it). */
  async function connectOnce() {
    try {
      await sender.connect(config.TRADES_TOPIC);
    } catch (err) {
      if (!(err instanceof MissingTopicError) || !config.KAFKA_CREATE_TOPICS) throw err;
      await sender.createTopic(config.TRADES_TOPIC);
      logger.info({ topic: config.TRADES_TOPIC }, 'created the trades topic (KAFKA_CREATE_TOPICS)');
      await sender.connect(config.TRADES_TOPIC);
    }
  }

  /** Until connectOnce succeeds: backoff, a log line that says what to do, readiness naming it. */
  async function connectKafka() {
    const onRetry = (err: unknown, attempt: number, delayMs: number) => {
      kafkaProblem = err instanceof MissingTopicError ? err.message : `cannot reach Kafka: ${(err as Error).message}`;
      // The reason is in /readyz meanwhile.
      if (worthLogging(attempt)) logger.error({ topic: config.TRADES_TOPIC, attempt, retryInMs: delayMs, err }, kafkaProblem);
    };
    try {
      await retry(connectOnce, { initialMs: 500, maxMs: 30_000, signal: stopping.signal, onRetry });
    } catch (err) {
      if (stopping.signal.aborted) return; // stopped before Kafka answered
      throw err;
    }
    kafkaProblem = undefined;
    kafkaConnected = true;
  }
  const watermarks = createWatermarkTicker({ topic: config.TRADES_TOPIC, intervalMs: config.PRODUCER_WATERMARK_INTERVAL_MS }, { sender, writer, logger });

  return {
    readiness: [
      { name: 'finnhub', ready: () => connection.ready() },
      {
        name: 'kafka',
        ready: () => kafkaConnected && writer.ready(),
        reason: () => kafkaProblem ?? (writer.ready() ? undefined : 'produce requests failing or stuck'),
      },
    ],
    states,
    /** GET /symbols: what Finnhub did with each wanted symbol. */
    routes: (http: Express) => {
      http.get('/symbols', (_req, res) => {
        res.json(states.snapshot());
      });
    },
    async start() {
      await connectKafka();
      if (stopping.signal.aborted) return;
      await watermarks.start();
      await deps.symbols.start((symbols) => {
        logger.info({ count: symbols.length }, 'symbols changed');
        connection.setSymbols(symbols);
        metrics.keepSymbols(new Set(states.snapshot().map((s) => s.symbol)));
      });
      connection.start();
    },
    /** Stop reading (unsubscribe, drain the socket), flush to Kafka, disconnect. */
    async stop() {
      stopping.abort();
      clearInterval(stateTicker);
      deps.symbols.stop();
      await connection.stop();
      watermarks.stop();
      if ((await writer.flush(config.SHUTDOWN_TIMEOUT_MS / 2)) > 0) {
        logger.error(
          writer.abandon(),
          'shutdown: trades not acknowledged by Kafka before the deadline (counted as dropped; those in flight may have been written)',
        );
      }
      await sender.close();
    },
  };
}

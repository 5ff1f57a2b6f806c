import type { KubeConfig } from '@kubernetes/client-node';
import {
  createLeaderElector,
  deploymentOwners,
  leaseOptions,
  OTHER_LABEL,
  retry,
  worthLogging,
  loadSchema,
  schemaRegistryFrom,
  topicCodec,
  type Codec,
  type Logger,
  type TradeValue,
} from '@tickerflow/common';
import type { Express } from 'express';
import type { Registry } from 'prom-client';
import type { ProducerConfig } from './config.js';
import { createFinnhubConnection } from './finnhub/connection.js';
import { createSymbolStates } from './finnhub/symbol-state.js';
import { MissingTopicError, type TradeSender } from './kafka/trade-sender.js';
import { createTradeWriter } from './kafka/trade-writer.js';
import { createWatermarkTicker } from './kafka/watermarks.js';
import { createProducerMetrics } from './metrics.js';
import { createStateReporter, producerStateWriter } from './k8s/state-reporter.js';
import { configMapSymbols } from './symbols/configmap-source.js';
import { fileSymbols, staticSymbols, type SymbolSource } from './symbols/source.js';

/** The Avro codec for trades: single-object encoding, or Confluent wire format with a registry. */
export async function tradeCodec(config: ProducerConfig): Promise<Codec<TradeValue>> {
  return topicCodec<TradeValue>(loadSchema('trade'), config.TRADES_TOPIC, schemaRegistryFrom(config));
}

/** Where the wanted symbols come from: exactly one of SYMBOLS, SYMBOLS_FILE, SYMBOLS_CONFIGMAP (the config checked that). */
export function symbolSource(config: ProducerConfig, deps: { logger: Logger; kube?: KubeConfig; onError: () => void }): SymbolSource {
  const { logger } = deps;
  if (config.SYMBOLS_CONFIGMAP) {
    if (!deps.kube || !config.KUBE_NAMESPACE) throw new Error('SYMBOLS_CONFIGMAP needs a Kubernetes client and KUBE_NAMESPACE');
    const where = { namespace: config.KUBE_NAMESPACE, configMap: config.SYMBOLS_CONFIGMAP };
    return configMapSymbols(deps.kube, where, {
      logger: logger.child({ component: 'symbols-configmap' }),
      onError: (err) => {
        deps.onError();
        logger.error({ err, ...where }, 'the symbols ConfigMap is not a valid symbol list; keeping the last good list');
      },
    });
  }
  if (config.SYMBOLS_FILE) {
    return fileSymbols(config.SYMBOLS_FILE, {
      intervalMs: config.SYMBOLS_FILE_POLL_MS,
      onError: (err) => {
        deps.onError();
        logger.error({ err, file: config.SYMBOLS_FILE }, 'cannot read the symbols file; keeping the last good list');
      },
    });
  }
  return staticSymbols(config.SYMBOLS ?? []);
}

/** This replica's part: the one streaming (leader, or standalone without LEADER_ELECTION) or waiting (standby). */
export type ProducerRole = 'standalone' | 'leader' | 'standby';

/**
 * Finnhub socket → per-trade Avro records in Kafka, keyed by symbol. Wires
 * the connection, the symbol states, the bounded writer and the metrics; in
 * Kubernetes also the symbols ConfigMap, the state ConfigMap and the Lease.
 *
 * Streaming (the Finnhub socket, the watermark records, the state reports)
 * is the leader's alone: Finnhub allows one connection per key. The Kafka
 * writer and the symbol source run in every replica, so a standby that wins
 * the Lease subscribes at once.
 */
export function createProducerApp(
  config: ProducerConfig,
  deps: { sender: TradeSender; registry: Registry; logger: Logger; codec: Codec<TradeValue>; kube?: KubeConfig },
) {
  const { logger } = deps;
  if ((config.LEADER_ELECTION || config.SYMBOLS_CONFIGMAP) && (!deps.kube || !config.KUBE_NAMESPACE)) {
    throw new Error('LEADER_ELECTION and SYMBOLS_CONFIGMAP need a Kubernetes client and KUBE_NAMESPACE');
  }
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
  const symbols = symbolSource(config, { logger, kube: deps.kube, onError: () => metrics.symbolSourceErrors.inc() });
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

  // What this producer creates in the cluster belongs to its Deployment (gone with it).
  const owners = deps.kube && config.KUBE_NAMESPACE ? deploymentOwners(deps.kube, config.KUBE_NAMESPACE, config.OWNER_DEPLOYMENT) : undefined;
  // The state ConfigMap goes with the symbols ConfigMap: it answers the controller that wrote those.
  const reporter =
    config.SYMBOLS_CONFIGMAP && deps.kube && config.KUBE_NAMESPACE
      ? createStateReporter(
          { identity: config.POD_NAME, intervalMs: config.PRODUCER_STATE_INTERVAL, heartbeatMs: config.PRODUCER_STATE_HEARTBEAT },
          {
            observe: () => ({ connected: connection.state() === 'open', symbols: states.snapshot() }),
            write: producerStateWriter(deps.kube, { namespace: config.KUBE_NAMESPACE, name: config.PRODUCER_STATE_CONFIGMAP, owners }),
            logger: logger.child({ component: 'state-reporter', configMap: config.PRODUCER_STATE_CONFIGMAP }),
            events: {
              written: (at) => {
                metrics.stateWrites.inc({ result: 'written' });
                metrics.lastStateWrite.set(at / 1000);
              },
              failed: () => metrics.stateWrites.inc({ result: 'failed' }),
            },
          },
        )
      : undefined;

  // Start and stop run one after the other: a stop waits for the start before it (which does not wait on
  // the network), a start for the stop before it (the drain).
  let streaming = false;
  let draining = false;
  let started: Promise<void> = Promise.resolve();
  let stopped: Promise<void> = Promise.resolve();

  function startStreaming() {
    if (streaming || stopping.signal.aborted) return;
    streaming = true;
    metrics.leader.set(1);
    started = stopped.then(() => {
      if (!streaming) return;
      connection.start();
      void watermarks.start();
      reporter?.start();
    });
  }

  /**
   * `drain`: unsubscribe and read until quiet (shutdown, the Lease still held).
   * Without it the socket is dropped at once: the Lease is lost or about to be
   * taken, and Finnhub must never see two connections for the key.
   */
  function stopStreaming(drain: boolean): Promise<void> {
    if (!streaming) {
      // The Lease lost while draining for shutdown: the socket goes now, not once quiet.
      if (!drain && draining) return connection.stop({ drain: false });
      return stopped;
    }
    streaming = false;
    draining = drain;
    metrics.leader.set(0);
    stopped = started
      .then(async () => {
        watermarks.stop();
        await connection.stop({ drain });
        draining = false;
        await reporter?.stop(drain ? { timeoutMs: 2000 } : undefined);
      })
      .catch((err: unknown) => logger.error({ err }, 'stopping the stream failed'));
    return stopped;
  }

  const elector =
    config.LEADER_ELECTION && deps.kube && config.KUBE_NAMESPACE
      ? createLeaderElector({
          kc: deps.kube,
          namespace: config.KUBE_NAMESPACE,
          ...leaseOptions(config),
          owners,
          logger: logger.child({ component: 'leader-election' }),
          onStartedLeading: () => {
            logger.info({ identity: config.POD_NAME }, 'leading: opening the Finnhub connection');
            startStreaming();
          },
          onStoppedLeading: async () => {
            if (streaming) logger.warn({ identity: config.POD_NAME }, 'no longer leading: dropping the Finnhub connection');
            await stopStreaming(false);
          },
        })
      : undefined;
  metrics.leader.set(0);

  const role = (): ProducerRole => (!elector ? 'standalone' : streaming ? 'leader' : 'standby');

  return {
    readiness: [
      // A standby is healthy and waiting: ready, and /symbols says it is the standby.
      { name: 'finnhub', ready: () => role() === 'standby' || connection.ready() },
      {
        name: 'kafka',
        ready: () => kafkaConnected && writer.ready(),
        reason: () => kafkaProblem ?? (writer.ready() ? undefined : 'produce requests failing or stuck'),
      },
    ],
    states,
    role,
    /** GET /symbols: this replica's role and what Finnhub did with each wanted symbol. */
    routes: (http: Express) => {
      http.get('/symbols', (_req, res) => {
        res.json({ role: role(), identity: config.POD_NAME, connection: connection.state(), symbols: states.snapshot() });
      });
    },
    async start() {
      await connectKafka();
      if (stopping.signal.aborted) return;
      await symbols.start((list) => {
        logger.info({ count: list.length }, 'symbols changed');
        connection.setSymbols(list);
        metrics.keepSymbols(new Set(states.snapshot().map((s) => s.symbol)));
      });
      if (stopping.signal.aborted) return;
      if (elector) elector.start();
      else startStreaming();
    },
    /** Stop reading (unsubscribe, drain the socket), release the Lease, flush to Kafka, disconnect. */
    async stop() {
      stopping.abort();
      clearInterval(stateTicker);
      symbols.stop();
      await stopStreaming(true);
      // After the drain: the Lease is released only once this replica has let go of the socket.
      await elector?.stop();
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

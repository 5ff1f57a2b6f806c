/** For kafkajs: the consumer, the dashboard reader and admin requests. */
import { Kafka, logLevel, type Consumer, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConnection } from './settings.js';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * kafkajs logs every error response of the broker at error level, also the
 * ones it retries itself (`CONCURRENT_TRANSACTIONS`, a coordinator still
 * loading); the error also reaches the caller, which retries or logs it: so
 * these are debug. What is left is said once per 30 s per message, with how
 * often it happened meanwhile, so a retry storm cannot flood the log.
 */
export function kafkajsLogLevel(level: number, message: string): 'error' | 'warn' | 'info' | 'debug' {
  if (message.startsWith('Response ')) return 'debug';
  if (message.startsWith('Restarting the consumer')) return 'warn';
  return levels[level] ?? 'info';
}

const REPEAT_WINDOW_MS = 30_000;

/** A kafkajs client whose own logs go through our logger (warnings and errors only). */
export function createKafkajsClient(connection: KafkaConnection, clientId: string, logger: Logger, now: () => number = Date.now): Kafka {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  const repeats = new Map<string, { at: number; count: number }>();
  const config: KafkaConfig = {
    clientId: connection.clientId ?? clientId,
    brokers: connection.brokers,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...extra } = log;
        const error = extra.error as unknown;
        const target = kafkajsLogLevel(level, message);
        if (target === 'debug') return kafkaLogger.debug({ namespace: log.namespace, error }, message);
        const key = `${message}\u0000${String(error)}`;
        const seen = repeats.get(key);
        if (seen && now() - seen.at < REPEAT_WINDOW_MS) {
          seen.count++;
          return;
        }
        repeats.set(key, { at: now(), count: 0 });
        if (repeats.size > 1000) repeats.clear();
        kafkaLogger[target]({ namespace: log.namespace, error, ...(seen && seen.count > 0 && { repeatedMeanwhile: seen.count }) }, message);
      },
  };
  if (connection.tls) config.ssl = { rejectUnauthorized: connection.tls.rejectUnauthorized, ...(connection.tls.ca && { ca: [connection.tls.ca] }) };
  if (connection.sasl) config.sasl = { ...connection.sasl } as SASLOptions;
  return new Kafka(config);
}

/**
 * A kafkajs consumer's CRASH events: logged while kafkajs restarts the
 * consumer; `gaveUp` when it does not (a live-looking process that consumes
 * nothing must not stay: callers fail the process).
 */
function onConsumerGaveUp(consumer: Consumer, logger: Logger, gaveUp: (err: Error) => void): void {
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) logger.warn({ err: payload.error }, 'consumer crashed; kafkajs restarts it');
    else gaveUp(new Error(`the Kafka consumer stopped for good: ${payload.error.message}`, { cause: payload.error }));
  });
}

export interface GroupConsumerOptions {
  group: string;
  /** The one topic it reads: `joined` gets this instance's partitions of it. */
  topic: string;
  maxBytesPerPartition: number;
  /** Per fetch, over all partitions (kafkajs' default otherwise). */
  maxBytes?: number;
  sessionTimeoutMs: number;
}

/**
 * A kafkajs group consumer of one topic, read_committed, heartbeating at a
 * tenth of the session timeout. After every rebalance `joined` gets this
 * instance's partitions (logged); `gaveUp` when kafkajs stops restarting it.
 * The caller connects, subscribes and runs it.
 */
export function groupConsumer(
  kafka: Kafka,
  options: GroupConsumerOptions,
  logger: Logger,
  on: { joined: (partitions: ReadonlySet<number>) => void; gaveUp: (err: Error) => void },
): Consumer {
  const consumer = kafka.consumer({
    groupId: options.group,
    readUncommitted: false,
    maxBytesPerPartition: options.maxBytesPerPartition,
    ...(options.maxBytes !== undefined && { maxBytes: options.maxBytes }),
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.max(500, Math.floor(options.sessionTimeoutMs / 10)),
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const mine = new Set(payload.memberAssignment[options.topic] ?? []);
    logger.info({ partitions: [...mine].sort((x, y) => x - y) }, 'joined the consumer group');
    on.joined(mine);
  });
  onConsumerGaveUp(consumer, logger, on.gaveUp);
  return consumer;
}

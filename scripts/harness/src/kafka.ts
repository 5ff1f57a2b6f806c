import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { binaries } from './paths.js';
import { eventually } from './eventually.js';
import { freePort, startProcess, type ManagedProcess } from './processes.js';

const execFileAsync = promisify(execFile);

export interface KafkaBroker {
  /** host:port of the PLAINTEXT listener. */
  readonly bootstrap: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
  /** Starts the stopped broker again on the same ports and data (an outage, for fault tests). */
  restart(): Promise<void>;
}

const LOG4J = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = STDOUT
logger.started.name = kafka.server.KafkaRaftServer
logger.started.level = info
`;

function javaArgs(dir: string, heap: string): string[] {
  return [
    `-Xms256m`,
    `-Xmx${heap}`,
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
    '-cp',
    `${binaries.kafkaLib}/*`,
  ];
}

/**
 * Starts a single-node KRaft Kafka broker (broker and controller in one JVM)
 * on free loopback ports, with replication settings that let transactions
 * and consumer groups work on one node.
 */
export async function startKafka(workDir: string, opts: { heap?: string; properties?: Record<string, string> } = {}): Promise<KafkaBroker> {
  mkdirSync(workDir, { recursive: true });
  const dir = mkdtempSync(join(workDir, 'kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': join(dir, 'data'),
    'num.partitions': '1',
    'auto.create.topics.enable': 'false',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '4',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '4',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    ...opts.properties,
  };
  const propsFile = join(dir, 'server.properties');
  writeFileSync(
    propsFile,
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
  writeFileSync(join(dir, 'log4j2.properties'), LOG4J);

  // KRaft needs a formatted log dir; a Kafka cluster id is 16 random bytes, base64url.
  const clusterId = randomBytes(16).toString('base64url');
  // `--cluster-id=…` in one argument: an id may start with '-', which the tool's parser would take for an option.
  await execFileAsync(binaries.java, [...javaArgs(dir, '256m'), 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '--config', propsFile]);

  const launch = async () => {
    const proc = startProcess({
      name: 'kafka',
      command: binaries.java,
      args: [...javaArgs(dir, opts.heap ?? '1g'), 'kafka.Kafka', propsFile],
      logFile: join(dir, 'kafka.log'),
    });
    const logged = () => (existsSync(proc.logFile) ? readFileSync(proc.logFile, 'utf8').split('Kafka Server started').length - 1 : 0);
    const before = logged();
    await eventually(async () => logged() > before && (await tcpOpen(port)), { timeoutMs: 120_000, what: 'the broker to start', untilExit: proc });
    return proc;
  };
  let proc = await launch();
  return {
    bootstrap: `127.0.0.1:${port}`,
    get process() {
      return proc;
    },
    stop: () => proc.stop(20_000),
    async restart() {
      proc = await launch();
    },
  };
}

/** Runs a Kafka tool class (ProducerPerformance, TopicCommand, ...) on the cached classpath. */
export async function runKafkaTool(workDir: string, mainClass: string, args: readonly string[]): Promise<string> {
  const dir = join(workDir, 'kafka');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'log4j2.properties'), LOG4J);
  const { stdout } = await execFileAsync(binaries.java, [...javaArgs(dir, '512m'), mainClass, ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

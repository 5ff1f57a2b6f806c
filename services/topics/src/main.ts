import { createKafkajsClient, createLogger, kafkaConnection, logProcessWarnings, runService } from '@tickerflow/common';
import { readTopicsConfig } from './config.js';
import { ensureTopics } from './topics.js';

/** Composition root: one pass, then exit (0: every topic there; 1: one could not be made; 2: bad configuration). */
async function main() {
  const config = readTopicsConfig(process.env);
  const logger = createLogger({ service: 'tickerflow-topics', level: config.LOG_LEVEL, secrets: [config.KAFKA_SASL_PASSWORD] });
  logProcessWarnings(logger);
  const admin = createKafkajsClient(kafkaConnection(config), 'tickerflow-topics', logger).admin();
  await admin.connect();
  try {
    const result = await ensureTopics(admin, config.TOPICS, config.TOPICS_TIMEOUT_MS);
    for (const name of result.created) logger.info({ topic: name }, 'topic created');
    for (const name of result.present) logger.info({ topic: name }, 'topic already there');
    // Not an error: the services work with any partition count; the operator decides whether to change it.
    for (const d of result.differ) logger.warn({ topic: d.name, problem: d.problem }, 'topic already there, not as configured: left as it is');
  } finally {
    await admin.disconnect();
  }
}

runService('tickerflow-topics', main);

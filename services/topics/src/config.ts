import { crossFieldChecks, env, kafkaEnvRefinement, kafkaEnvSchema, parseConfig } from '@tickerflow/common';
import { z } from 'zod';

/** One topic as the chart's values describe it (`kafka.topics.*`). */
export const wantedTopicSchema = z.object({
  name: z.string().min(1).max(249),
  partitions: z.number().int().min(1),
  replicas: z.number().int().min(1),
  config: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

export type WantedTopic = z.infer<typeof wantedTopicSchema>;

const topicList = z.string({ error: 'is required' }).transform((text, ctx) => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON array of topics' });
    return z.NEVER;
  }
  const parsed = z.array(wantedTopicSchema).min(1).safeParse(json);
  if (!parsed.success) {
    for (const i of parsed.error.issues) ctx.addIssue({ code: 'custom', message: `${i.path.join('.') || '(list)'}: ${i.message}` });
    return z.NEVER;
  }
  return parsed.data;
});

export const topicsConfigSchema = z
  .object({
    ...kafkaEnvSchema,
    LOG_LEVEL: env.logLevel(),
    // [{"name":"finnhub.trades","partitions":6,"replicas":3,"config":{"retention.ms":604800000}}, ...]
    TOPICS: topicList,
    // How long the brokers may take to create a topic and elect its leaders.
    TOPICS_TIMEOUT_MS: env.int(30_000, 1000),
  })
  .superRefine(kafkaEnvRefinement, crossFieldChecks);

export type TopicsConfig = z.infer<typeof topicsConfigSchema>;

export const readTopicsConfig = (environment: NodeJS.ProcessEnv): Readonly<TopicsConfig> => parseConfig(topicsConfigSchema, environment);

import type { Admin } from 'kafkajs';
import type { WantedTopic } from './config.js';

/** A topic as the brokers have it. */
export interface ExistingTopic {
  partitions: number;
  replicas: number;
}

export interface TopicPlan {
  create: WantedTopic[];
  /** There as wanted. */
  present: string[];
  /** There, but not as wanted: left as they are (more partitions would move keys to other partitions, fewer is impossible). */
  differ: { name: string; problem: string }[];
}

/** What to do, from what is wanted and what exists. */
export function planTopics(wanted: readonly WantedTopic[], existing: ReadonlyMap<string, ExistingTopic>): TopicPlan {
  const plan: TopicPlan = { create: [], present: [], differ: [] };
  for (const t of wanted) {
    const found = existing.get(t.name);
    if (!found) {
      plan.create.push(t);
      continue;
    }
    const problems = [
      found.partitions !== t.partitions && `${found.partitions} partitions, not ${t.partitions}`,
      found.replicas !== t.replicas && `replication factor ${found.replicas}, not ${t.replicas}`,
    ].filter((p): p is string => typeof p === 'string');
    if (problems.length > 0) plan.differ.push({ name: t.name, problem: problems.join('; ') });
    else plan.present.push(t.name);
  }
  return plan;
}

/** What the brokers have of these topics. */
async function describe(admin: Admin, names: readonly string[]): Promise<Map<string, ExistingTopic>> {
  const listed = new Set(await admin.listTopics());
  const there = names.filter((n) => listed.has(n));
  if (there.length === 0) return new Map();
  const { topics } = await admin.fetchTopicMetadata({ topics: there });
  return new Map(topics.map((t) => [t.name, { partitions: t.partitions.length, replicas: t.partitions[0]?.replicas.length ?? 0 }]));
}

/**
 * Creates the wanted topics that are missing, each with its partitions,
 * replication factor and config, and waits for their leaders. Topics that
 * exist are never changed; how they differ is returned. A topic another
 * client creates meanwhile counts as present.
 */
export async function ensureTopics(admin: Admin, wanted: readonly WantedTopic[], timeoutMs: number): Promise<TopicPlan & { created: string[] }> {
  const plan = planTopics(
    wanted,
    await describe(
      admin,
      wanted.map((t) => t.name),
    ),
  );
  const created: string[] = [];
  for (const t of plan.create) {
    let made: boolean;
    try {
      made = await admin.createTopics({
        topics: [
          {
            topic: t.name,
            numPartitions: t.partitions,
            replicationFactor: t.replicas,
            configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value: String(value) })),
          },
        ],
        waitForLeaders: true,
        timeout: timeoutMs,
      });
    } catch (err) {
      throw new Error(`cannot create topic ${t.name}: ${reasons(err)}`, { cause: err });
    }
    if (made) created.push(t.name);
    else plan.present.push(t.name);
  }
  return { ...plan, created };
}

/** The brokers' reasons: kafkajs wraps them in one aggregate error ("Topic creation errors"). */
function reasons(err: unknown): string {
  const inner = (err as { errors?: unknown }).errors;
  const messages = Array.isArray(inner) ? inner.map((e) => (e as Error).message).filter(Boolean) : [];
  return messages.length > 0 ? messages.join('; ') : (err as Error).message;
}

/**
 * The consumer group leader's partition assignment: given what each member subscribes to (and,
 * for the sticky assignors, what it owned before), decide which member consumes which partition,
 * exactly as the Java client's built-in assignors decide. The four strategies are the values of
 * `partition.assignment.strategy`'s assignor names.
 */

import { assignCooperativeSticky } from './cooperative-sticky.js';
import { assignRange } from './range.js';
import { assignRoundRobin } from './roundrobin.js';
import { assignSticky } from './sticky.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** The assignor names Kafka's consumers announce in JoinGroup. */
export type AssignmentStrategy = 'range' | 'roundrobin' | 'sticky' | 'cooperative-sticky';

/** One member's JoinGroup subscription, as the group leader sees it. */
export interface MemberSubscription {
  topics: string[];
  /** `group.instance.id` (static membership); range and round robin order members by it. */
  groupInstanceId?: string;
  /** Partitions the member owned before this rebalance (sticky assignors only). */
  ownedPartitions?: TopicPartition[];
  /** The generation in which it owned them; absent for a member that never completed a rebalance. */
  generation?: number;
}

export interface AssignorInput {
  /** Partition count per topic, as the leader's metadata reports it. */
  partitionsPerTopic: Record<string, number>;
  /**
   * Keyed by member id. Key order stands for the JoinGroup response order, which the sticky
   * assignors consult only to break Java HashMap bucket ties (JS lists integer-like keys first).
   */
  subscriptions: Record<string, MemberSubscription>;
}

/** Member id -> its partitions, sorted by topic then partition; every member present. */
export type Assignment = Record<string, TopicPartition[]>;

/** A member's subscription after the checks and filtering Kafka's client applies. */
export interface GroupMember {
  readonly topics: ReadonlySet<string>;
  readonly groupInstanceId: string | undefined;
  readonly ownedPartitions: readonly TopicPartition[];
  readonly generation: number | undefined;
}

/** What every assignor works from, validated once here. */
export interface GroupSubscription {
  /** Member ids in JoinGroup response order. */
  readonly memberIds: readonly string[];
  readonly members: ReadonlyMap<string, GroupMember>;
  /**
   * Only topics some member subscribes to and that have partitions, as
   * AbstractPartitionAssignor builds it from metadata before calling an assignor.
   */
  readonly partitionsPerTopic: ReadonlyMap<string, number>;
}

/** Member id -> partitions, in whatever order an assignor produced them. */
export type MemberPartitions = Map<string, TopicPartition[]>;

const assignors: Record<AssignmentStrategy, (group: GroupSubscription) => MemberPartitions> = {
  range: assignRange,
  roundrobin: assignRoundRobin,
  sticky: assignSticky,
  'cooperative-sticky': assignCooperativeSticky,
};

/** Run one assignor once, as the group leader does after JoinGroup. */
export function assignPartitions(strategy: AssignmentStrategy, input: AssignorInput): Assignment {
  const assign = assignors[strategy];
  if (assign === undefined) throw new RangeError(`unknown assignment strategy ${JSON.stringify(strategy)}`);
  const group = groupSubscription(input);
  // Kafka never runs an assignor for an empty group; quotas would divide by zero.
  const byMember = group.memberIds.length === 0 ? new Map<string, TopicPartition[]>() : assign(group);
  const result: Assignment = {};
  for (const memberId of group.memberIds) {
    result[memberId] = [...(byMember.get(memberId) ?? [])].sort(compareTopicThenPartition);
  }
  return result;
}

function groupSubscription(input: AssignorInput): GroupSubscription {
  for (const [topic, count] of Object.entries(input.partitionsPerTopic)) {
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`partition count of topic ${JSON.stringify(topic)} must be a non-negative integer, got ${count}`);
    }
  }
  const memberIds = Object.keys(input.subscriptions);

  const partitionsPerTopic = new Map<string, number>();
  for (const memberId of memberIds) {
    for (const topic of input.subscriptions[memberId]!.topics) {
      const count = Object.hasOwn(input.partitionsPerTopic, topic) ? input.partitionsPerTopic[topic]! : 0;
      if (count > 0) partitionsPerTopic.set(topic, count);
    }
  }

  const members = new Map<string, GroupMember>();
  for (const memberId of memberIds) {
    const subscription = input.subscriptions[memberId]!;
    if (subscription.generation !== undefined && !Number.isInteger(subscription.generation)) {
      throw new RangeError(`generation of member ${JSON.stringify(memberId)} must be an integer, got ${subscription.generation}`);
    }
    members.set(memberId, {
      // A Kafka subscription is a set of topic names.
      topics: new Set(subscription.topics),
      groupInstanceId: subscription.groupInstanceId,
      ownedPartitions: validOwnedPartitions(memberId, subscription.ownedPartitions ?? [], input.partitionsPerTopic),
      generation: subscription.generation,
    });
  }
  return { memberIds, members, partitionsPerTopic };
}

/**
 * Drops claimed partitions beyond a topic's current partition count. Kafka never shrinks a
 * topic, so its assignors assume this cannot happen (and would double-assign if it did).
 */
function validOwnedPartitions(
  memberId: string,
  owned: readonly TopicPartition[],
  partitionsPerTopic: Record<string, number>,
): TopicPartition[] {
  const valid: TopicPartition[] = [];
  for (const tp of owned) {
    if (!Number.isInteger(tp.partition) || tp.partition < 0) {
      throw new RangeError(`member ${JSON.stringify(memberId)} owns an invalid partition ${JSON.stringify(tp)}`);
    }
    const count = Object.hasOwn(partitionsPerTopic, tp.topic) ? partitionsPerTopic[tp.topic]! : undefined;
    if (count !== undefined && tp.partition >= count) continue;
    valid.push({ topic: tp.topic, partition: tp.partition });
  }
  return valid;
}

function compareTopicThenPartition(a: TopicPartition, b: TopicPartition): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  return a.partition - b.partition;
}

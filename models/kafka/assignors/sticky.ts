/**
 * Kafka's StickyAssignor (`sticky`), following AbstractStickyAssignor: a balanced assignment
 * (partition counts differ by at most one where subscriptions allow) that keeps as many
 * previously owned partitions where they are as balance permits. Members report what they owned
 * and in which generation; a partition claimed by members of different generations belongs to
 * the newest claim, and one claimed twice within a generation is treated as owned by nobody.
 *
 * Kafka runs one of two algorithms: a quota-based one when every member subscribes to the same
 * topics ("constrained"), and an iterative balancing one otherwise ("general"). Both are
 * reproduced step by step, including where they walk a java.util.HashMap or HashSet, because
 * that walk decides, for example, which of several over-full members keeps its extra partition.
 * Those walks are reproduced by JavaHashOrder (java-hash-order.ts); the general algorithm is
 * sticky-general.ts. Rack-aware placement is not modelled.
 *
 * The assignor here is stateless: Kafka's instance remembers the highest generation it has seen
 * across rebalances, a fresh one (as here) knows only this call's members.
 */

import type { GroupSubscription, MemberPartitions, TopicPartition } from './index.js';
import { javaStringCompare } from './range.js';
import { javaHashMapOrder, topicPartitionKey, byPartitionThenTopic, removeFirst, partitionsOf } from './java-hash-order.js';
import { DEFAULT_GENERATION, GeneralAssignment } from './sticky-general.js';

export { JavaHashOrder, javaHashMapOrder, topicPartitionKey } from './java-hash-order.js';

export { DEFAULT_GENERATION } from './sticky-general.js';

// ---------------------------------------------------------------------------------------------
// Entry points

/** Partition -> the member it is moving to from another member (cooperative assignors withhold these). */
export type PartitionsTransferringOwnership = Map<string, { partition: TopicPartition; consumer: string }>;

export interface StickyOutcome {
  assignment: MemberPartitions;
  /** Known only on the constrained path; null means "work it out from owned vs assigned", as in Kafka. */
  partitionsTransferringOwnership: PartitionsTransferringOwnership | null;
}

export function assignSticky(group: GroupSubscription): MemberPartitions {
  return stickyAssign(group).assignment;
}

/** AbstractStickyAssignor.assignPartitions. */
export function stickyAssign(group: GroupSubscription): StickyOutcome {
  const memberOrder = javaHashMapOrder(group.memberIds);
  const claims = ownershipClaims(group, memberOrder);
  if (claims.allSubscriptionsEqual) {
    return constrainedAssign(group.partitionsPerTopic, claims.consumerToOwnedPartitions, claims.partitionsWithMultiplePreviousOwners);
  }
  const assignment = new GeneralAssignment(group, memberOrder, claims.consumerToOwnedPartitions, claims.maxGeneration).build();
  return { assignment, partitionsTransferringOwnership: null };
}

// ---------------------------------------------------------------------------------------------
// Previously owned partitions (AbstractStickyAssignor.allSubscriptionsEqual)

interface OwnershipClaims {
  allSubscriptionsEqual: boolean;
  /** Each member's still-valid owned partitions; Map order is Kafka's HashMap walk order. */
  consumerToOwnedPartitions: Map<string, TopicPartition[]>;
  /** Keys of partitions two members claimed in the same generation: owned by neither. */
  partitionsWithMultiplePreviousOwners: Set<string>;
  maxGeneration: number;
}

function ownershipClaims(group: GroupSubscription, memberOrder: readonly string[]): OwnershipClaims {
  let allSubscriptionsEqual = true;
  // Kafka seeds this from the first member that subscribes to anything.
  const firstTopics = new Set<string>();
  const previousOwner = new Map<string, string>();
  const consumerToOwnedPartitions = new Map<string, TopicPartition[]>();
  const partitionsWithMultiplePreviousOwners = new Set<string>();
  let maxGeneration = DEFAULT_GENERATION;

  for (const consumer of memberOrder) {
    const member = group.members.get(consumer)!;
    if (firstTopics.size === 0) {
      for (const topic of member.topics) firstTopics.add(topic);
    } else if (allSubscriptionsEqual && !(member.topics.size === firstTopics.size && [...member.topics].every((t) => firstTopics.has(t)))) {
      allSubscriptionsEqual = false;
    }

    const generation = member.generation ?? DEFAULT_GENERATION;
    maxGeneration = Math.max(maxGeneration, generation);
    const owned: TopicPartition[] = [];
    consumerToOwnedPartitions.set(consumer, owned);

    for (const tp of member.ownedPartitions) {
      if (!group.partitionsPerTopic.has(tp.topic)) continue;
      const key = topicPartitionKey(tp);
      const otherConsumer = previousOwner.get(key);
      if (otherConsumer === undefined) {
        owned.push(tp);
        previousOwner.set(key, consumer);
        continue;
      }
      const otherGeneration = group.members.get(otherConsumer)!.generation ?? DEFAULT_GENERATION;
      if (generation === otherGeneration) {
        // Two owners in one generation is impossible in a healthy group: trust neither.
        partitionsWithMultiplePreviousOwners.add(key);
        removeFirst(consumerToOwnedPartitions.get(otherConsumer)!, tp);
        previousOwner.set(key, consumer);
      } else if (generation > otherGeneration) {
        owned.push(tp);
        removeFirst(consumerToOwnedPartitions.get(otherConsumer)!, tp);
        previousOwner.set(key, consumer);
      }
      // Otherwise the other, newer claim stands.
    }
  }
  return { allSubscriptionsEqual, consumerToOwnedPartitions, partitionsWithMultiplePreviousOwners, maxGeneration };
}

// ---------------------------------------------------------------------------------------------
// Every member subscribes to the same topics (ConstrainedAssignmentBuilder)

function constrainedAssign(
  partitionsPerTopic: ReadonlyMap<string, number>,
  consumerToOwnedPartitions: Map<string, TopicPartition[]>,
  partitionsWithMultiplePreviousOwners: Set<string>,
): StickyOutcome {
  const totalPartitions = [...partitionsPerTopic.values()].reduce((sum, count) => sum + count, 0);
  const memberCount = consumerToOwnedPartitions.size;
  const minQuota = Math.floor(totalPartitions / memberCount);
  const maxQuota = Math.ceil(totalPartitions / memberCount);
  // How many members end with maxQuota (0 when the partitions divide evenly).
  const expectedMembersOverMinQuota = totalPartitions % memberCount;
  let membersOverMinQuota = 0;

  const assignment: MemberPartitions = new Map([...consumerToOwnedPartitions.keys()].map((id) => [id, []]));
  const assignedKeys = new Set<string>();
  const revokedKeys = new Set<string>();
  const transferring: PartitionsTransferringOwnership = new Map();
  const underMinQuota: string[] = [];
  const exactlyMinQuota: string[] = [];

  // 1. Keep owned partitions up to the quota, in the HashMap's member order: the first members
  //    that already hold maxQuota keep it, later ones are cut to minQuota.
  for (const [consumer, claimed] of consumerToOwnedPartitions) {
    const owned = [...claimed]
      .sort(byPartitionThenTopic)
      .filter((tp) => !partitionsWithMultiplePreviousOwners.has(topicPartitionKey(tp)));
    const kept = assignment.get(consumer)!;
    let keepCount: number;
    if (owned.length < minQuota) {
      keepCount = owned.length;
      underMinQuota.push(consumer);
    } else if (owned.length >= maxQuota && membersOverMinQuota < expectedMembersOverMinQuota) {
      keepCount = maxQuota;
      membersOverMinQuota++;
      if (membersOverMinQuota === expectedMembersOverMinQuota) exactlyMinQuota.length = 0;
    } else {
      keepCount = minQuota;
      if (membersOverMinQuota < expectedMembersOverMinQuota) exactlyMinQuota.push(consumer);
    }
    for (const tp of owned.slice(0, keepCount)) {
      kept.push(tp);
      assignedKeys.add(topicPartitionKey(tp));
    }
    for (const tp of owned.slice(keepCount)) revokedKeys.add(topicPartitionKey(tp));
  }

  const unassigned: TopicPartition[] = [];
  for (const topic of [...partitionsPerTopic.keys()].sort(javaStringCompare)) {
    for (const tp of partitionsOf(topic, partitionsPerTopic.get(topic)!)) {
      if (!assignedKeys.has(topicPartitionKey(tp))) unassigned.push(tp);
    }
  }
  underMinQuota.sort(javaStringCompare);
  exactlyMinQuota.sort(javaStringCompare);

  const assignNew = (tp: TopicPartition, consumer: string): number => {
    const partitions = assignment.get(consumer)!;
    partitions.push(tp);
    const key = topicPartitionKey(tp);
    // It was owned by someone else, who must give it up first.
    if (revokedKeys.has(key) || partitionsWithMultiplePreviousOwners.has(key)) transferring.set(key, { partition: tp, consumer });
    return partitions.length;
  };

  // 2. Deal the rest round robin: members under minQuota first (cycling), then members at
  //    minQuota, one each, until enough members reach maxQuota. `cursor` plays Java's
  //    LinkedList iterator over underMinQuota.
  let cursor = 0;
  for (const tp of unassigned) {
    let consumer: string;
    if (cursor < underMinQuota.length) {
      consumer = underMinQuota[cursor++]!;
    } else if (underMinQuota.length === 0 && exactlyMinQuota.length === 0) {
      throw new Error('sticky assignor: no more unfilled consumers to be assigned (Kafka IllegalStateException)');
    } else if (underMinQuota.length === 0) {
      consumer = exactlyMinQuota.shift()!;
    } else {
      cursor = 0;
      consumer = underMinQuota[cursor++]!;
    }

    const count = assignNew(tp, consumer);
    if (count === minQuota) {
      underMinQuota.splice(--cursor, 1);
      exactlyMinQuota.push(consumer);
    } else if (count === maxQuota) {
      membersOverMinQuota++;
    }
  }

  // 3. Kafka's consistency check (verifyUnfilledMembers).
  if (underMinQuota.length > 0) {
    if (membersOverMinQuota !== expectedMembersOverMinQuota) {
      throw new Error('sticky assignor: expected members over minQuota not reached but no partitions left (Kafka IllegalStateException)');
    }
    for (const consumer of underMinQuota) {
      if (assignment.get(consumer)!.length !== minQuota) {
        throw new Error(`sticky assignor: consumer ${consumer} does not reach minQuota (Kafka IllegalStateException)`);
      }
    }
  }
  return { assignment, partitionsTransferringOwnership: transferring };
}


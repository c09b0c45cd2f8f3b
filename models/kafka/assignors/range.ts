/**
 * Kafka's RangeAssignor (`range`): topic by topic, the members subscribed to the topic, in member
 * order, each take a consecutive range of its partitions; the first `partitions % members` take
 * one extra. Rack-aware placement is not modelled (members carry no rack), which leaves Kafka's
 * plain per-topic ranges.
 */

import type { GroupMember, GroupSubscription, MemberPartitions, TopicPartition } from './index.js';

/** Java's String.compareTo: UTF-16 code unit order, which is also what JS `<` compares. */
export function javaStringCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The order of AbstractPartitionAssignor.MemberInfo: static members (with group.instance.id)
 * first, ordered by instance id, then dynamic members ordered by member id. Ordering static
 * members by instance id keeps their ranges across restarts, which hand out new member ids.
 * Kafka breaks ties (two members with one instance id, which the coordinator never lets
 * happen) by JoinGroup order; here member id decides so the result never depends on input order.
 */
export function compareMemberInfo(aId: string, a: GroupMember, bId: string, b: GroupMember): number {
  if (a.groupInstanceId !== undefined && b.groupInstanceId !== undefined) {
    return javaStringCompare(a.groupInstanceId, b.groupInstanceId) || javaStringCompare(aId, bId);
  }
  if (a.groupInstanceId !== undefined) return -1;
  if (b.groupInstanceId !== undefined) return 1;
  return javaStringCompare(aId, bId);
}

/** Member ids in MemberInfo order. */
export function sortedMemberIds(group: GroupSubscription, memberIds: readonly string[]): string[] {
  return [...memberIds].sort((a, b) => compareMemberInfo(a, group.members.get(a)!, b, group.members.get(b)!));
}

export function assignRange(group: GroupSubscription): MemberPartitions {
  const assignment: MemberPartitions = new Map(group.memberIds.map((id) => [id, []]));

  for (const [topic, partitionCount] of group.partitionsPerTopic) {
    const subscribers = sortedMemberIds(
      group,
      group.memberIds.filter((id) => group.members.get(id)!.topics.has(topic)),
    );
    const basePerMember = Math.floor(partitionCount / subscribers.length);
    const membersWithExtra = partitionCount % subscribers.length;

    subscribers.forEach((memberId, index) => {
      const start = basePerMember * index + Math.min(index, membersWithExtra);
      const length = basePerMember + (index < membersWithExtra ? 1 : 0);
      const partitions: TopicPartition[] = [];
      for (let partition = start; partition < start + length; partition++) partitions.push({ topic, partition });
      assignment.get(memberId)!.push(...partitions);
    });
  }
  return assignment;
}

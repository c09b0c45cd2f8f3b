/**
 * Kafka's RoundRobinAssignor (`roundrobin`): all subscribed partitions, topics in name order and
 * partitions in number order, are dealt one at a time around the members (in MemberInfo order),
 * skipping a member that does not subscribe to the partition's topic.
 */

import type { GroupSubscription, MemberPartitions } from './index.js';
import { javaStringCompare, sortedMemberIds } from './range.js';

export function assignRoundRobin(group: GroupSubscription): MemberPartitions {
  const assignment: MemberPartitions = new Map(group.memberIds.map((id) => [id, []]));
  const dealingOrder = sortedMemberIds(group, group.memberIds);

  const subscribedTopics = new Set<string>();
  for (const member of group.members.values()) for (const topic of member.topics) subscribedTopics.add(topic);
  const topicsInNameOrder = [...subscribedTopics].sort(javaStringCompare);

  // Kafka's CircularIterator: the dealer position carries over from one partition to the next.
  let dealer = 0;
  for (const topic of topicsInNameOrder) {
    const partitionCount = group.partitionsPerTopic.get(topic);
    if (partitionCount === undefined) continue;
    for (let partition = 0; partition < partitionCount; partition++) {
      // Terminates: the topic is in the set only because some member subscribes to it.
      while (!group.members.get(dealingOrder[dealer]!)!.topics.has(topic)) dealer = (dealer + 1) % dealingOrder.length;
      assignment.get(dealingOrder[dealer]!)!.push({ topic, partition });
      dealer = (dealer + 1) % dealingOrder.length;
    }
  }
  return assignment;
}

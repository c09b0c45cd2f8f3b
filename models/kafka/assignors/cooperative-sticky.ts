/**
 * Kafka's CooperativeStickyAssignor (`cooperative-sticky`, KIP-429): the sticky assignment, minus
 * every partition that is moving from one member to another. Under the cooperative protocol the
 * current owner must first revoke such a partition; the revocation triggers a follow-up
 * rebalance, in which the partition (now owned by nobody) is handed to its new member. So one
 * call returns what one rebalance hands out, and a second call with the updated ownedPartitions
 * completes the move.
 */

import type { GroupSubscription, MemberPartitions } from './index.js';
import { stickyAssign, topicPartitionKey, type PartitionsTransferringOwnership } from './sticky.js';

export function assignCooperativeSticky(group: GroupSubscription): MemberPartitions {
  const { assignment, partitionsTransferringOwnership } = stickyAssign(group);
  const moving = partitionsTransferringOwnership ?? partitionsChangingOwner(group, assignment);
  for (const { partition, consumer } of moving.values()) {
    const partitions = assignment.get(consumer)!;
    const at = partitions.findIndex((tp) => tp.topic === partition.topic && tp.partition === partition.partition);
    if (at >= 0) partitions.splice(at, 1);
  }
  return assignment;
}

/**
 * For the general algorithm, which does not track moves, Kafka compares ownedPartitions with the
 * result: a partition newly assigned to one member and no longer assigned to a member that owned
 * it is changing owner. A partition whose owner left the group is free at once.
 */
function partitionsChangingOwner(group: GroupSubscription, assignment: MemberPartitions): PartitionsTransferringOwnership {
  const added: PartitionsTransferringOwnership = new Map();
  const revoked = new Set<string>();
  for (const [consumer, assigned] of assignment) {
    const owned = group.members.get(consumer)!.ownedPartitions;
    const ownedKeys = new Set(owned.map(topicPartitionKey));
    const assignedKeys = new Set(assigned.map(topicPartitionKey));
    for (const tp of assigned) if (!ownedKeys.has(topicPartitionKey(tp))) added.set(topicPartitionKey(tp), { partition: tp, consumer });
    for (const tp of owned) if (!assignedKeys.has(topicPartitionKey(tp))) revoked.add(topicPartitionKey(tp));
  }
  for (const key of [...added.keys()]) if (!revoked.has(key)) added.delete(key);
  return added;
}

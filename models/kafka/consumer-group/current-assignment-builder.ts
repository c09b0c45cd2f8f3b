import { setCurrentAssignment, type ConsumerGroup, type ConsumerGroupMember } from './consumer-group.js';

/**
 * Kafka's CurrentAssignmentBuilder: moves one member's current assignment towards its target, one
 * safe step at a time, so that no partition is ever assigned to two members:
 *
 * - partitions the member holds and the target no longer gives it are revoked first: the member
 *   keeps its epoch, is told its assignment without them (UNREVOKED_PARTITIONS) and must say, by a
 *   heartbeat listing the partitions it owns, that it let them go;
 * - only then does it move to the target epoch and get the target's new partitions, those that no
 *   other member still holds; partitions another member has not yet released wait
 *   (UNRELEASED_PARTITIONS) and are handed over on a later heartbeat once free;
 * - a member whose epoch is the target's and holds all of it is STABLE.
 *
 * `owned` is what the member's heartbeat says it owns (null: not sent, i.e. unchanged).
 */
export function reconcile(group: ConsumerGroup, member: ConsumerGroupMember, owned: readonly string[] | null): boolean {
  const targetEpoch = group.assignmentEpoch;
  const target = group.target.get(member.memberId) ?? [];
  switch (member.state) {
    case 'STABLE':
      if (member.memberEpoch === targetEpoch) return false;
      return next(group, member, targetEpoch, target);
    case 'UNREVOKED_PARTITIONS': {
      // Still holding a revoked partition: wait for the member to report it gone.
      if (owned === null || member.pendingRevocation.some((q) => owned.includes(q))) return false;
      return next(group, member, targetEpoch, target);
    }
    case 'UNRELEASED_PARTITIONS':
      return next(group, member, targetEpoch, target);
  }
}

function next(group: ConsumerGroup, member: ConsumerGroupMember, targetEpoch: number, target: readonly string[]): boolean {
  const held = new Set(member.assigned);
  const inTarget = new Set(target);
  const retained: string[] = [];
  const withNew: string[] = [];
  let unreleased = false;
  for (const q of target) {
    if (held.has(q)) {
      retained.push(q);
      withNew.push(q);
      continue;
    }
    const owner = group.owners.get(q);
    if (owner === undefined || owner === member.memberId) withNew.push(q);
    else unreleased = true;
  }
  const revoke = member.assigned.filter((q) => !inTarget.has(q));
  const before = { epoch: member.memberEpoch, state: member.state, assigned: member.assigned.join(','), pending: member.pendingRevocation.join(',') };
  if (revoke.length > 0) {
    member.state = 'UNREVOKED_PARTITIONS';
    setCurrentAssignment(group, member, retained, revoke);
  } else {
    if (member.memberEpoch !== targetEpoch) member.previousMemberEpoch = member.memberEpoch;
    member.memberEpoch = targetEpoch;
    member.state = unreleased ? 'UNRELEASED_PARTITIONS' : 'STABLE';
    setCurrentAssignment(group, member, withNew, []);
  }
  return before.epoch !== member.memberEpoch || before.state !== member.state || before.assigned !== member.assigned.join(',') || before.pending !== member.pendingRevocation.join(',');
}

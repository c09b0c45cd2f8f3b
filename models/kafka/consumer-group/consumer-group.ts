import type { Timer } from '../../../sim/kernel.js';
import type { LogRecord } from '../protocol.js';
import type { ServerAssignorName } from './assignors.js';

/**
 * A consumer group of the consumer group protocol (KIP-848) as its coordinator keeps it (Kafka's
 * ConsumerGroup and ConsumerGroupMember), and how it is written to its `__consumer_offsets`
 * partition and read back on coordinator failover.
 *
 * - The group epoch goes up whenever the group changes in a way that needs a new assignment (a
 *   member joins or goes, a subscription changes, a subscribed topic gains partitions); the target
 *   assignment is recomputed for it (its assignment epoch) by the server-side assignor.
 * - Each member has its member epoch (the target epoch it has reconciled to) and its current
 *   assignment: the partitions it may consume, plus those it must revoke before anyone else gets
 *   them (current-assignment-builder.ts).
 * - Every change is written as one `C|group|{json}` record of the whole group (Kafka writes one
 *   record per member, target and epoch; the model writes the group, last one wins on reload).
 */

/** Kafka's MemberState of a member's reconciliation (CurrentAssignmentBuilder). */
export type MemberState = 'STABLE' | 'UNREVOKED_PARTITIONS' | 'UNRELEASED_PARTITIONS';

/** Kafka's ConsumerGroupState as `kafka-consumer-groups --describe` shows it. */
export type ConsumerGroupStateName = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable';

/** LEAVE_GROUP_STATIC_MEMBER_EPOCH: a static member that left and will come back. */
export const STATIC_LEFT_EPOCH = -2;
/** LEAVE_GROUP_MEMBER_EPOCH. */
export const LEAVE_EPOCH = -1;

export interface ConsumerGroupMember {
  memberId: string;
  instanceId: string | null;
  /** The consumer node, where responses go. */
  client: string;
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberState;
  subscribedTopics: string[];
  serverAssignor: ServerAssignorName | null;
  rebalanceTimeout: number;
  /** Partitions the member may consume ("topic-partition", sorted). */
  assigned: string[];
  /** Partitions it must give up before they go to their new owner. */
  pendingRevocation: string[];
  /** The assignment last sent to the member (null: none yet), to send only changes. */
  sent: string[] | null;
  session: Timer | null;
  rebalanceTimer: Timer | null;
}

export interface ConsumerGroup {
  id: string;
  partition: number;
  groupEpoch: number;
  assignmentEpoch: number;
  members: Map<string, ConsumerGroupMember>;
  /** group.instance.id -> member id. */
  staticMembers: Map<string, string>;
  /** Target assignment per member id, for `assignmentEpoch`. */
  target: Map<string, string[]>;
  /** Who holds each partition now (assigned or pending revocation): the member id. */
  owners: Map<string, string>;
  /** Partition count of each subscribed topic when the group epoch was last bumped. */
  subscriptionMetadata: Map<string, number>;
  offsets: Map<string, number>;
}

export function newConsumerGroup(id: string, partition: number): ConsumerGroup {
  return {
    id, partition, groupEpoch: 0, assignmentEpoch: 0, members: new Map(), staticMembers: new Map(), target: new Map(), owners: new Map(),
    subscriptionMetadata: new Map(), offsets: new Map(),
  };
}

export function groupState(group: ConsumerGroup): ConsumerGroupStateName {
  if (group.members.size === 0) return 'Empty';
  if (group.groupEpoch > group.assignmentEpoch) return 'Assigning';
  for (const m of group.members.values()) if (m.memberEpoch !== group.assignmentEpoch && m.memberEpoch !== STATIC_LEFT_EPOCH) return 'Reconciling';
  return 'Stable';
}

/** Sets a member's current assignment and keeps the partition owners in step. */
export function setCurrentAssignment(group: ConsumerGroup, member: ConsumerGroupMember, assigned: string[], pendingRevocation: string[]): void {
  for (const q of member.assigned) if (group.owners.get(q) === member.memberId) group.owners.delete(q);
  for (const q of member.pendingRevocation) if (group.owners.get(q) === member.memberId) group.owners.delete(q);
  member.assigned = assigned;
  member.pendingRevocation = pendingRevocation;
  for (const q of assigned) group.owners.set(q, member.memberId);
  for (const q of pendingRevocation) group.owners.set(q, member.memberId);
}

interface StoredMember {
  memberId: string; instanceId: string | null; client: string; memberEpoch: number; previousMemberEpoch: number; state: MemberState;
  subscribedTopics: string[]; serverAssignor: ServerAssignorName | null; rebalanceTimeout: number; assigned: string[]; pendingRevocation: string[];
}
interface StoredGroup { groupEpoch: number; assignmentEpoch: number; members: StoredMember[]; target: [string, string[]][]; subscriptionMetadata: [string, number][] }

export const CONSUMER_GROUP_RECORD = 'C|';

export function consumerGroupRecord(group: ConsumerGroup): { msg: string; key: string } {
  const stored: StoredGroup = {
    groupEpoch: group.groupEpoch, assignmentEpoch: group.assignmentEpoch,
    members: [...group.members.values()].map((m) => ({
      memberId: m.memberId, instanceId: m.instanceId, client: m.client, memberEpoch: m.memberEpoch, previousMemberEpoch: m.previousMemberEpoch, state: m.state,
      subscribedTopics: m.subscribedTopics, serverAssignor: m.serverAssignor, rebalanceTimeout: m.rebalanceTimeout, assigned: m.assigned, pendingRevocation: m.pendingRevocation,
    })),
    target: [...group.target.entries()],
    subscriptionMetadata: [...group.subscriptionMetadata.entries()],
  };
  return { msg: `${CONSUMER_GROUP_RECORD}${group.id}|${JSON.stringify(stored)}`, key: `consumer-group:${group.id}` };
}

/** The consumer groups of an offsets partition, each as last written (members' timers not started). */
export function readConsumerGroups(records: readonly LogRecord[], partition: number): Map<string, ConsumerGroup> {
  const out = new Map<string, ConsumerGroup>();
  for (const record of records) {
    if (!record.msg.startsWith(CONSUMER_GROUP_RECORD)) continue;
    const bar = record.msg.indexOf('|', 2);
    const id = record.msg.slice(2, bar);
    const stored = JSON.parse(record.msg.slice(bar + 1)) as StoredGroup;
    const group = newConsumerGroup(id, partition);
    group.groupEpoch = stored.groupEpoch;
    group.assignmentEpoch = stored.assignmentEpoch;
    group.target = new Map(stored.target);
    group.subscriptionMetadata = new Map(stored.subscriptionMetadata);
    for (const m of stored.members) {
      const member: ConsumerGroupMember = { ...m, sent: null, session: null, rebalanceTimer: null };
      group.members.set(m.memberId, member);
      if (m.instanceId !== null) group.staticMembers.set(m.instanceId, m.memberId);
      setCurrentAssignment(group, member, m.assigned, m.pendingRevocation);
    }
    out.set(id, group);
  }
  return out;
}

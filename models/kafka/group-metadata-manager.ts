import type { Timer } from '../../sim/kernel.js';
import type { PendingTxnOffsets } from './group-txn-offsets.js';
import type { JoinGroup, LogRecord, SyncGroup } from './protocol.js';

/**
 * The group coordinator's storage (Kafka's GroupMetadataManager): a group's state as the
 * coordinator keeps it, and how it is written to and read back from its `__consumer_offsets`
 * partition: offset commits as `O|group|topic-partition|offset` records, the group metadata
 * written at each SyncGroup as `G|group|{json}`, replayed last-one-wins when a broker becomes
 * the partition's leader: each group is restored as written at its last SyncGroup
 * (group-coordinator.ts loads them).
 */

export const OFFSETS_TOPIC = '__consumer_offsets';

export type GroupStateName = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';
/** A consumer-protocol group's state (KIP-848): Empty, Assigning, Reconciling, Stable. */
export type GroupViewState = GroupStateName | 'Assigning' | 'Reconciling';

/** The group as shown in world.store('kafka-groups'): what a drill or report can show. */
export interface GroupView {
  coordinator: string;
  partition: number;
  /** Classic: the group state; consumer protocol (protocol "consumer"): Empty, Assigning, Reconciling, Stable. */
  state: GroupViewState;
  /** Classic: the generation; consumer protocol: the group epoch. */
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** Member id -> the consumer node, its group.instance.id (static members) and the partitions it was assigned ("topic-partition"). */
  members: Record<string, { client: string; instanceId?: string; assignment: string[] }>;
}

export type GroupsState = Record<string, GroupView>;

export interface Member {
  id: string;
  /** group.instance.id: a static member (KIP-345). */
  instanceId: string | null;
  client: string;
  clientId: string;
  sessionTimeout: number;
  rebalanceTimeout: number;
  protocols: JoinGroup['protocols'];
  join: { from: string; request: JoinGroup } | null;
  sync: { from: string; request: SyncGroup } | null;
  session: Timer | null;
  assignment: string[];
}

export interface Group {
  id: string;
  partition: number;
  state: GroupStateName;
  generation: number;
  protocol: string | null;
  leader: string | null;
  members: Map<string, Member>;
  /** group.instance.id -> the member id it currently maps to. */
  staticMembers: Map<string, string>;
  joinTimer: Timer | null;
  delaying: boolean;
  offsets: Map<string, number>;
  /** TxnOffsetCommit offsets waiting for their producer's transaction marker (group-txn-offsets.ts). */
  pendingTxnOffsets: PendingTxnOffsets;
  /** Append order of the record behind each committed offset (a transaction's COMMIT does not undo a newer commit). */
  offsetOrder: Map<string, number>;
  nextMember: number;
}

export interface StoredGroup {
  generation: number;
  protocol: string | null;
  leader: string | null;
  members: { id: string; instanceId?: string; client: string; clientId: string; sessionTimeout: number; rebalanceTimeout: number; assignment: string[]; protocols?: JoinGroup['protocols'] }[];
}

export function newGroup(id: string, partition: number): Group {
  return {
    id, partition, state: 'Empty', generation: 0, protocol: null, leader: null, members: new Map(), staticMembers: new Map(), joinTimer: null, delaying: false,
    offsets: new Map(), pendingTxnOffsets: new Map(), offsetOrder: new Map(), nextMember: 1,
  };
}

/** Replays an offsets partition: each group's committed offsets and its last written metadata. */
export function readOffsetsPartition(records: readonly LogRecord[]): { offsets: Map<string, Map<string, number>>; metadata: Map<string, StoredGroup> } {
  const offsets = new Map<string, Map<string, number>>();
  const metadata = new Map<string, StoredGroup>();
  for (const record of records) {
    const msg = record.msg;
    if (msg.startsWith('O|')) {
      const [, group, tp, offset] = msg.split('|');
      let byGroup = offsets.get(group!);
      if (!byGroup) offsets.set(group!, (byGroup = new Map()));
      byGroup.set(tp!, Number(offset));
    } else if (msg.startsWith('G|')) {
      const bar = msg.indexOf('|', 2);
      metadata.set(msg.slice(2, bar), JSON.parse(msg.slice(bar + 1)) as StoredGroup);
    }
  }
  return { offsets, metadata };
}

/** The group metadata record written at SyncGroup (and for a replaced static member). */
export function groupMetadataRecord(group: Group): { msg: string; key: string } {
  const stored: StoredGroup = {
    generation: group.generation, protocol: group.protocol, leader: group.leader,
    members: [...group.members.values()].map((m) => ({
      id: m.id, client: m.client, clientId: m.clientId, sessionTimeout: m.sessionTimeout, rebalanceTimeout: m.rebalanceTimeout, assignment: m.assignment,
      protocols: m.protocols, ...(m.instanceId !== null ? { instanceId: m.instanceId } : {}),
    })),
  };
  return { msg: `G|${group.id}|${JSON.stringify(stored)}`, key: `group:${group.id}` };
}

/** The group as published to world.store('kafka-groups'). */
export function groupView(group: Group, coordinator: string): GroupView {
  const members: GroupView['members'] = {};
  for (const m of group.members.values()) members[m.id] = { client: m.client, ...(m.instanceId !== null ? { instanceId: m.instanceId } : {}), assignment: [...m.assignment] };
  return {
    coordinator, partition: group.partition, state: group.state, generation: group.generation,
    protocol: group.protocol, leader: group.leader, members,
  };
}

/** Whether two JoinGroup protocol lists carry the same assignors and subscription metadata (MemberMetadata.matches). */
export function sameProtocols(a: JoinGroup['protocols'], b: JoinGroup['protocols']): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.name !== y.name || x.metadata.generation !== y.metadata.generation) return false;
    if (!sameList(x.metadata.topics, y.metadata.topics) || !sameList(x.metadata.ownedPartitions, y.metadata.ownedPartitions)) return false;
  }
  return true;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

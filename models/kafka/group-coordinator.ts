import type { NodeContext } from '../../sim/node.js';
import { timersOf, unreachable, type TimerArgs } from '../../sim/timers.js';
import type { StateStore } from '../../sim/state.js';
import { coordinatorPartition } from './coordinator.js';
import { addPending, applyCommit, completeTxn, hasPending, replayTxnOffsets, txnOffsetRecords } from './group-txn-offsets.js';
import { sendTo, HEADER_BYTES, type ConsumerGroupHeartbeat, type GroupSubscriptionMetadata, type Heartbeat, type JoinGroup, type JoinGroupResponse, type KafkaError, type LeaveGroup,
  type LogRecord, type OffsetCommit, type OffsetFetch, type SyncGroup, type TxnOffsetCommit,
} from './protocol.js';
import type { BrokerConfig } from './schema.js';
import type { KafkaStats } from './stats.js';
import { note } from './notes.js';
import { ConsumerGroupCoordinator } from './consumer-group/consumer-group-coordinator.js';
import { groupMetadataRecord, groupView, newGroup, readOffsetsPartition, sameProtocols, type Group, type GroupsState, type Member } from './group-metadata-manager.js';

export { OFFSETS_TOPIC, type GroupStateName, type GroupView, type GroupsState } from './group-metadata-manager.js';

/**
 * The group coordinator a broker runs for the groups whose `__consumer_offsets` partition it
 * leads (GroupCoordinator / GroupMetadataManager, the classic protocol). Group states are
 * Kafka's: Empty, PreparingRebalance, CompletingRebalance, Stable.
 *
 * - JoinGroup: a new member gets an id (`${clientId}-${n}`, or `${group.instance.id}-${n}` for a
 *   static member; the KIP-394 MEMBER_ID_REQUIRED round trip is not modelled) and the group
 *   prepares a rebalance. A known member rejoining a Stable group triggers a rebalance only when it
 *   is the leader (the leader rejoins to make the group reassign, e.g. after a metadata change) or
 *   its subscription metadata changed; otherwise it gets the current generation back. The join phase ends when every
 *   known member has sent JoinGroup, or when the rebalance timeout (the largest member
 *   max.poll.interval.ms) expires, removing the members that did not rejoin. An empty group
 *   first waits group.initial.rebalance.delay.ms. Then the generation goes up; the first member
 *   to have joined leads (the leader stays while it is a member); the protocol is the first
 *   of the first member's assignors every member supports; the leader gets every
 *   member's subscription.
 * - Static membership (KIP-345): a JoinGroup with an empty member id and a group.instance.id the
 *   group already maps replaces the old member id with a new one (the old id is fenced:
 *   FENCED_INSTANCE_ID for its Heartbeat, SyncGroup, OffsetCommit, JoinGroup). In a Stable group
 *   whose selected protocol does not change this is no rebalance: the group metadata is written
 *   with the new id, the member gets the current generation and, at SyncGroup, its old assignment;
 *   a static leader is told it leads with skipAssignment (JoinGroup v9, KIP-814). During
 *   CompletingRebalance it starts a new rebalance; during PreparingRebalance it just joins it.
 *   A static member leaves only by session timeout (its client sends no LeaveGroup).
 * - SyncGroup: the leader sends the assignment; the coordinator writes the group metadata to the
 *   offsets partition and answers every member with its partitions (Stable).
 * - Heartbeat: resets the member's session timer (session.timeout.ms); REBALANCE_IN_PROGRESS
 *   while preparing a rebalance, UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION for stale members. A
 *   member whose session expires is removed and the group rebalances.
 * - LeaveGroup: the member is removed at once and the group rebalances.
 * - OffsetCommit: written to the offsets partition as records, answered once the partition's
 *   high watermark passes them (every ISR member has them, like acks=all; NOT_ENOUGH_REPLICAS
 *   below min.insync.replicas), within offsets.commit.timeout.ms.
 * - OffsetFetch: the committed offsets (-1: none); with require_stable, UNSTABLE_OFFSET_COMMIT for
 *   a partition whose offset a transaction has pending.
 * - TxnOffsetCommit: offsets written in a producer's transaction, visible at its COMMIT marker
 *   (group-txn-offsets.ts).
 *
 * Failover: a broker that becomes leader of an offsets partition loads its groups from the log
 * (group-metadata-manager.ts), session timers started afresh; when it stops leading it unloads
 * them (requests then get NOT_COORDINATOR).
 */

/** The coordinator's timers (fired on its broker, which routes them here). */
export type GroupCoordinatorTimer =
  | { tag: 'group-initial-delay'; data: Group }
  | { tag: 'group-join-timeout'; data: Group }
  | { tag: 'group-session'; data: { group: Group; member: Member } };
const timers = timersOf<GroupCoordinatorTimer>();

export interface CoordinatorHost {
  isLeaderOf(partition: number): boolean;
  /** Appends to the leader's offsets partition; `done` once committed to its ISR (or failed). */
  append(partition: number, records: { msg: string; key: string }[], done: (error: KafkaError) => void): void;
  readAll(partition: number): LogRecord[];
  /** A topic's partition count in this broker's metadata (the consumer group protocol's assignors). */
  partitionCount(topic: string): number;
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  /**
   * Order of this coordinator's appends to its offsets partitions (above every loaded record's
   * offset): which of a plain commit and a transaction's offsets was written last.
   */
  private appendOrder = 0;
  /** The groups of the consumer group protocol (KIP-848): ConsumerGroupHeartbeat and their offsets. */
  readonly consumerGroups: ConsumerGroupCoordinator;

  constructor(
    private readonly ctx: NodeContext,
    private readonly host: CoordinatorHost,
    private readonly config: BrokerConfig,
    private readonly stats: KafkaStats,
    private readonly store: StateStore<GroupsState>,
  ) {
    this.consumerGroups = new ConsumerGroupCoordinator(ctx, host, config, stats, store);
  }

  partitionFor(groupId: string): number {
    return coordinatorPartition(groupId, this.config.offsetsTopicPartitions);
  }

  // ------------------------------------------------------------------ load / unload

  /** This broker became leader of offsets partition `partition`: load its groups from the log. */
  load(partition: number): void {
    const records = this.host.readAll(partition);
    const { offsets, metadata } = readOffsetsPartition(records);
    const { pending, order } = replayTxnOffsets(records, offsets);
    const last = records[records.length - 1];
    if (last !== undefined && last.offset >= this.appendOrder) this.appendOrder = last.offset + 1;
    const modern = this.consumerGroups.load(partition, records, offsets);
    const names = new Set<string>([...metadata.keys(), ...offsets.keys(), ...pending.keys()]);
    for (const name of names) {
      if (modern.has(name)) continue;
      this.unloadGroup(name);
      const stored = metadata.get(name);
      const group = newGroup(name, partition);
      group.offsets = offsets.get(name) ?? new Map();
      group.pendingTxnOffsets = pending.get(name) ?? new Map();
      group.offsetOrder = order.get(name) ?? new Map();
      if (stored) {
        group.generation = stored.generation;
        group.protocol = stored.protocol;
        group.leader = stored.leader;
        for (const m of stored.members) {
          const member: Member = {
            id: m.id, instanceId: m.instanceId ?? null, client: m.client, clientId: m.clientId, sessionTimeout: m.sessionTimeout, rebalanceTimeout: m.rebalanceTimeout,
            protocols: m.protocols ?? [], join: null, sync: null, session: null, assignment: m.assignment,
          };
          group.members.set(m.id, member);
          if (member.instanceId !== null) group.staticMembers.set(member.instanceId, m.id);
          this.touch(group, member);
        }
        group.state = group.members.size > 0 ? 'Stable' : 'Empty';
        group.nextMember = stored.members.length + 1;
      }
      this.groups.set(name, group);
      this.stats.coordinatorLoads++;
      note(this.ctx, 'coordinator-loaded', { group: name, partition, generation: group.generation, members: group.members.size, offsets: group.offsets.size });
      this.publish(group);
    }
  }

  /** No longer the leader of `partition`: drop its groups. */
  unload(partition: number): void {
    for (const group of [...this.groups.values()]) if (group.partition === partition) this.unloadGroup(group.id);
    this.consumerGroups.unload(partition);
  }

  private unloadGroup(name: string): void {
    const group = this.groups.get(name);
    if (!group) return;
    this.ctx.cancelTimer(group.joinTimer);
    for (const m of group.members.values()) {
      this.ctx.cancelTimer(m.session);
      if (m.join) this.joinError(m.join.from, m.join.request, 'NOT_COORDINATOR');
      if (m.sync) this.reply(m.sync.from, { type: 'SyncGroupResponse', id: m.sync.request.id, error: 'NOT_COORDINATOR', partitions: [] });
    }
    this.groups.delete(name);
  }

  /** The group, created when this broker coordinates it; undefined when it does not. */
  private groupFor(groupId: string, create: boolean): Group | undefined | 'not-coordinator' {
    const partition = this.partitionFor(groupId);
    if (!this.host.isLeaderOf(partition)) return 'not-coordinator';
    let group = this.groups.get(groupId);
    if (!group && create) {
      group = newGroup(groupId, partition);
      this.groups.set(groupId, group);
    }
    return group;
  }

  // ------------------------------------------------------------------ JoinGroup

  onJoinGroup(from: string, request: JoinGroup): void {
    // A classic member joining a consumer-protocol group (Kafka 4's online migration is not modelled).
    if (this.consumerGroups.has(request.groupId)) return this.joinError(from, request, 'INCONSISTENT_GROUP_PROTOCOL');
    const group = this.groupFor(request.groupId, true);
    if (group === 'not-coordinator' || group === undefined) return this.joinError(from, request, 'NOT_COORDINATOR');
    const instanceId = request.groupInstanceId;
    let member: Member | undefined;
    if (request.memberId !== '') {
      const error = this.validateMember(group, request.memberId, instanceId);
      if (error !== 'NONE') return this.joinError(from, request, error);
      member = group.members.get(request.memberId)!;
      if (group.state === 'Empty') return this.joinError(from, request, 'UNKNOWN_MEMBER_ID');
      if (!this.commonProtocol(group, member, request.protocols)) return this.joinError(from, request, 'INCONSISTENT_GROUP_PROTOCOL');
      if (group.state === 'Stable' || group.state === 'CompletingRebalance') {
        const same = sameProtocols(member.protocols, request.protocols);
        // A follower rejoining with unchanged metadata gets the current generation back (it missed
        // the response); the leader rejoining, or changed metadata, starts a rebalance.
        if (same && (group.state === 'CompletingRebalance' || member.id !== group.leader)) {
          this.touch(group, member);
          member.client = from;
          return this.joinResponse(group, member, { from, request }, group.state === 'CompletingRebalance' && member.id === group.leader, false);
        }
        const why = member.id === group.leader && same ? `leader ${member.id} rejoined` : `${member.id} changed its subscription`;
        this.updateMember(group, member, from, request);
        this.prepareRebalance(group, why);
        return this.tryCompleteJoin(group);
      }
      this.updateMember(group, member, from, request);
      return this.tryCompleteJoin(group);
    }
    if (group.members.size > 0 && !this.commonProtocol(group, undefined, request.protocols)) return this.joinError(from, request, 'INCONSISTENT_GROUP_PROTOCOL');
    const known = instanceId !== null ? group.staticMembers.get(instanceId) : undefined;
    if (instanceId !== null && known !== undefined) return this.replaceStaticMember(group, group.members.get(known)!, from, request);
    const id = `${instanceId ?? request.clientId}-${group.nextMember++}`;
    member = {
      id, instanceId, client: from, clientId: request.clientId, sessionTimeout: request.sessionTimeout, rebalanceTimeout: request.rebalanceTimeout,
      protocols: request.protocols, join: null, sync: null, session: null, assignment: [],
    };
    group.members.set(id, member);
    if (instanceId !== null) group.staticMembers.set(instanceId, id);
    note(this.ctx, 'group-member-added', { group: group.id, member: id, ...(instanceId !== null ? { instance: instanceId } : {}) });
    this.updateMember(group, member, from, request);
    if (group.state !== 'PreparingRebalance') this.prepareRebalance(group, `${member.id} joined`);
    this.tryCompleteJoin(group);
  }

  /** The member's new JoinGroup: it waits in the join phase. */
  private updateMember(group: Group, member: Member, from: string, request: JoinGroup): void {
    if (member.join) this.joinError(member.join.from, member.join.request, 'UNKNOWN_MEMBER_ID');
    member.client = from;
    member.protocols = request.protocols;
    member.rebalanceTimeout = request.rebalanceTimeout;
    member.sessionTimeout = request.sessionTimeout;
    member.join = { from, request };
    this.touch(group, member);
  }

  /**
   * KIP-345: a static member with an unknown member id and a group.instance.id the group knows
   * (the same consumer, restarted): the old member id is replaced and fenced.
   */
  private replaceStaticMember(group: Group, old: Member, from: string, request: JoinGroup): void {
    const oldId = old.id;
    const newId = `${request.groupInstanceId}-${group.nextMember++}`;
    // The old incarnation's pending requests are fenced.
    if (old.join) this.joinError(old.join.from, old.join.request, 'FENCED_INSTANCE_ID');
    if (old.sync) this.reply(old.sync.from, { type: 'SyncGroupResponse', id: old.sync.request.id, error: 'FENCED_INSTANCE_ID', partitions: [] });
    old.join = null;
    old.sync = null;
    const wasLeader = group.leader === oldId;
    const previous = { protocols: old.protocols, rebalanceTimeout: old.rebalanceTimeout, sessionTimeout: old.sessionTimeout, client: old.client };
    group.members.delete(oldId);
    old.id = newId;
    group.members.set(newId, old);
    group.staticMembers.set(request.groupInstanceId!, newId);
    if (wasLeader) group.leader = newId;
    this.stats.staticMemberReplacements++;
    note(this.ctx, 'group-static-member-replaced', { group: group.id, instance: request.groupInstanceId, oldMember: oldId, member: newId, state: group.state });
    old.client = from;
    old.protocols = request.protocols;
    old.rebalanceTimeout = request.rebalanceTimeout;
    old.sessionTimeout = request.sessionTimeout;
    this.touch(group, old);
    switch (group.state) {
      case 'Stable': {
        const members = [...group.members.values()];
        const first = members[0]!;
        const choice = first.protocols.find((p) => members.every((m) => m.protocols.some((q) => q.name === p.name)))?.name ?? null;
        if (choice !== group.protocol) {
          old.join = { from, request };
          this.prepareRebalance(group, `static member ${newId} (${request.groupInstanceId}) joined with a change of protocol`);
          return this.tryCompleteJoin(group);
        }
        const generation = group.generation;
        this.persist(group, (error) => {
          if (this.groups.get(group.id) !== group || group.members.get(newId) !== old) return;
          if (error !== 'NONE') {
            // Could not write the new member id: revert to the old one.
            group.members.delete(newId);
            old.id = oldId;
            Object.assign(old, previous);
            group.members.set(oldId, old);
            group.staticMembers.set(request.groupInstanceId!, oldId);
            if (wasLeader) group.leader = oldId;
            this.touch(group, old);
            this.joinError(from, { ...request, memberId: '' }, error === 'NOT_LEADER_OR_FOLLOWER' ? 'NOT_COORDINATOR' : 'COORDINATOR_NOT_AVAILABLE');
            this.publish(group);
            return;
          }
          if (group.generation !== generation || group.state !== 'Stable') {
            // A rebalance started meanwhile: the member takes part in it.
            old.join = { from, request };
            return this.tryCompleteJoin(group);
          }
          this.joinResponse(group, old, { from, request }, group.leader === newId, group.leader === newId);
        });
        this.publish(group);
        return;
      }
      case 'CompletingRebalance':
        old.join = { from, request };
        this.prepareRebalance(group, `static member ${newId} (${request.groupInstanceId}) rejoined during CompletingRebalance`);
        return this.tryCompleteJoin(group);
      default:
        old.join = { from, request };
        this.publish(group);
        return this.tryCompleteJoin(group);
    }
  }

  /** Answers a JoinGroup with the group's current generation (no rebalance). */
  private joinResponse(group: Group, member: Member, join: { from: string; request: JoinGroup }, withMembers: boolean, skipAssignment: boolean): void {
    const members = withMembers ? [...group.members.values()].map((m) => ({ memberId: m.id, groupInstanceId: m.instanceId, metadata: this.metadataOf(m, group.protocol) })) : [];
    const response: JoinGroupResponse = {
      type: 'JoinGroupResponse', id: join.request.id, error: 'NONE', generationId: group.generation, protocolName: group.protocol ?? '',
      leader: group.leader ?? '', memberId: member.id, members, skipAssignment,
    };
    this.reply(join.from, response, HEADER_BYTES + 64 * members.length);
  }

  /** KIP-345 validateCurrentMember: a static member's instance id must map to this member id. */
  private validateMember(group: Group, memberId: string, instanceId: string | null | undefined): KafkaError {
    if (instanceId) {
      const current = group.staticMembers.get(instanceId);
      if (current === undefined) return 'UNKNOWN_MEMBER_ID';
      if (current !== memberId) {
        this.stats.fencedInstanceRequests++;
        note(this.ctx, 'group-instance-fenced', { group: group.id, instance: instanceId, member: memberId, current });
        return 'FENCED_INSTANCE_ID';
      }
      return 'NONE';
    }
    return group.members.has(memberId) ? 'NONE' : 'UNKNOWN_MEMBER_ID';
  }

  private commonProtocol(group: Group, member: Member | undefined, protocols: JoinGroup['protocols']): boolean {
    for (const p of protocols) {
      let all = true;
      for (const m of group.members.values()) if (m !== member && m.protocols.length > 0 && !m.protocols.some((q) => q.name === p.name)) all = false;
      if (all) return true;
    }
    return false;
  }

  private prepareRebalance(group: Group, reason: string): void {
    if (group.state === 'CompletingRebalance') {
      for (const m of group.members.values()) {
        if (m.sync) this.reply(m.sync.from, { type: 'SyncGroupResponse', id: m.sync.request.id, error: 'REBALANCE_IN_PROGRESS', partitions: [] });
        m.sync = null;
      }
    }
    const wasEmpty = group.state === 'Empty';
    group.state = 'PreparingRebalance';
    this.stats.rebalances++;
    note(this.ctx, 'group-rebalance', { group: group.id, generation: group.generation, reason });
    this.ctx.cancelTimer(group.joinTimer);
    let timeout = 0;
    for (const m of group.members.values()) timeout = Math.max(timeout, m.rebalanceTimeout);
    if (wasEmpty) {
      group.delaying = this.config.groupInitialRebalanceDelay > 0;
      group.joinTimer = timers.set(this.ctx, Math.min(this.config.groupInitialRebalanceDelay, timeout), 'group-initial-delay', group);
    } else {
      group.delaying = false;
      group.joinTimer = timers.set(this.ctx, timeout, 'group-join-timeout', group);
    }
    this.publish(group);
  }

  private tryCompleteJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance' || group.delaying) return;
    for (const m of group.members.values()) if (!m.join) return;
    this.completeJoin(group);
  }

  /** Timers of the coordinator (the broker forwards its own). */
  onTimer(...[tag, data]: TimerArgs<GroupCoordinatorTimer>): void {
    switch (tag) {
      case 'group-initial-delay': {
        const group = data;
        if (this.groups.get(group.id) !== group || group.state !== 'PreparingRebalance') return;
        group.delaying = false;
        group.joinTimer = null;
        let timeout = 0;
        for (const m of group.members.values()) timeout = Math.max(timeout, m.rebalanceTimeout);
        group.joinTimer = timers.set(this.ctx, Math.max(0, timeout - this.config.groupInitialRebalanceDelay), 'group-join-timeout', group);
        this.tryCompleteJoin(group);
        return;
      }
      case 'group-join-timeout': {
        const group = data;
        if (this.groups.get(group.id) !== group || group.state !== 'PreparingRebalance') return;
        group.joinTimer = null;
        group.delaying = false;
        for (const m of [...group.members.values()]) {
          if (!m.join) this.removeMember(group, m, 'rebalance-timeout');
        }
        this.completeJoin(group);
        return;
      }
      case 'group-session': {
        const { group, member } = data;
        if (this.groups.get(group.id) !== group || group.members.get(member.id) !== member) return;
        member.session = null;
        this.stats.sessionTimeouts++;
        note(this.ctx, 'group-session-timeout', { group: group.id, member: member.id });
        this.removeMember(group, member, 'session-timeout');
        this.afterRemoval(group, `${member.id} session timed out`);
        return;
      }
      default:
        unreachable(tag, 'coordinator timer');
    }
  }

  private removeMember(group: Group, member: Member, why: string): void {
    this.ctx.cancelTimer(member.session);
    group.members.delete(member.id);
    if (member.instanceId !== null && group.staticMembers.get(member.instanceId) === member.id) group.staticMembers.delete(member.instanceId);
    this.stats.membersRemoved++;
    if (member.join) this.joinError(member.join.from, member.join.request, 'UNKNOWN_MEMBER_ID');
    if (group.leader === member.id) group.leader = null;
    note(this.ctx, 'group-member-removed', { group: group.id, member: member.id, why });
  }

  private afterRemoval(group: Group, reason: string): void {
    if (group.state === 'PreparingRebalance') {
      if (group.members.size === 0) this.toEmpty(group);
      else this.tryCompleteJoin(group);
      return;
    }
    if (group.members.size === 0) {
      this.toEmpty(group);
      return;
    }
    this.prepareRebalance(group, reason);
  }

  private toEmpty(group: Group): void {
    this.ctx.cancelTimer(group.joinTimer);
    group.joinTimer = null;
    group.delaying = false;
    group.generation++;
    group.state = 'Empty';
    group.protocol = null;
    group.leader = null;
    this.persist(group, () => {});
    this.publish(group);
  }

  private completeJoin(group: Group): void {
    this.ctx.cancelTimer(group.joinTimer);
    group.joinTimer = null;
    if (group.members.size === 0) return this.toEmpty(group);
    group.generation++;
    const members = [...group.members.values()];
    if (group.leader === null || !group.members.has(group.leader)) group.leader = members[0]!.id;
    const first = members[0]!;
    const choice = first.protocols.find((p) => members.every((m) => m.protocols.some((q) => q.name === p.name)));
    group.protocol = choice?.name ?? first.protocols[0]?.name ?? null;
    group.state = 'CompletingRebalance';
    note(this.ctx, 'group-join-complete', { group: group.id, generation: group.generation, leader: group.leader, protocol: group.protocol, members: members.map((m) => m.id) });
    const all = members.map((m) => ({ memberId: m.id, groupInstanceId: m.instanceId, metadata: this.metadataOf(m, group.protocol) }));
    if (group.generation > this.stats.generationMax) this.stats.generationMax = group.generation;
    for (const m of members) {
      const join = m.join!;
      m.join = null;
      const isLeader = m.id === group.leader;
      const response: JoinGroupResponse = {
        type: 'JoinGroupResponse', id: join.request.id, error: 'NONE', generationId: group.generation, protocolName: group.protocol ?? '',
        leader: group.leader, memberId: m.id, members: isLeader ? all : [], skipAssignment: false,
      };
      this.reply(join.from, response, HEADER_BYTES + (isLeader ? 64 * all.length : 0));
      this.touch(group, m);
    }
    this.publish(group);
  }

  private metadataOf(member: Member, protocol: string | null): GroupSubscriptionMetadata {
    return (member.protocols.find((p) => p.name === protocol) ?? member.protocols[0])?.metadata ?? { topics: [], ownedPartitions: [], generation: -1 };
  }

  private joinError(to: string, request: JoinGroup, error: KafkaError): void {
    this.reply(to, {
      type: 'JoinGroupResponse', id: request.id, error, generationId: -1, protocolName: '', leader: '', memberId: request.memberId, members: [], skipAssignment: false,
    } satisfies JoinGroupResponse);
  }

  // ------------------------------------------------------------------ SyncGroup

  onSyncGroup(from: string, request: SyncGroup): void {
    const error = (e: KafkaError) => this.reply(from, { type: 'SyncGroupResponse', id: request.id, error: e, partitions: [] });
    const group = this.groupFor(request.groupId, false);
    if (group === 'not-coordinator' || group === undefined) return error(group === undefined ? 'UNKNOWN_MEMBER_ID' : 'NOT_COORDINATOR');
    const invalid = this.validateMember(group, request.memberId, request.groupInstanceId);
    if (invalid !== 'NONE') return error(invalid);
    const member = group.members.get(request.memberId)!;
    if (request.generationId !== group.generation) return error('ILLEGAL_GENERATION');
    if (group.state === 'PreparingRebalance') return error('REBALANCE_IN_PROGRESS');
    this.touch(group, member);
    if (group.state === 'Stable') {
      this.reply(from, { type: 'SyncGroupResponse', id: request.id, error: 'NONE', partitions: member.assignment });
      return;
    }
    member.sync = { from, request };
    if (member.id !== group.leader) return;
    for (const m of group.members.values()) m.assignment = [];
    for (const a of request.assignments) {
      const target = group.members.get(a.memberId);
      if (target) target.assignment = [...a.partitions];
    }
    const generation = group.generation;
    this.persist(group, (e) => {
      if (this.groups.get(group.id) !== group || group.generation !== generation || group.state !== 'CompletingRebalance') return;
      if (e !== 'NONE') {
        // The group metadata could not be written: members rejoin (Kafka answers with the error and rebalances).
        for (const m of group.members.values()) {
          if (m.sync) this.reply(m.sync.from, { type: 'SyncGroupResponse', id: m.sync.request.id, error: 'NOT_COORDINATOR', partitions: [] });
          m.sync = null;
        }
        this.prepareRebalance(group, 'group metadata write failed');
        return;
      }
      group.state = 'Stable';
      for (const m of group.members.values()) {
        if (!m.sync) continue;
        this.reply(m.sync.from, { type: 'SyncGroupResponse', id: m.sync.request.id, error: 'NONE', partitions: m.assignment }, HEADER_BYTES + 16 * m.assignment.length);
        m.sync = null;
      }
      note(this.ctx, 'group-stable', { group: group.id, generation: group.generation });
      this.publish(group);
    });
  }

  // ------------------------------------------------------------------ Heartbeat, LeaveGroup

  onHeartbeat(from: string, request: Heartbeat): void {
    const reply = (error: KafkaError) => this.reply(from, { type: 'HeartbeatResponse', id: request.id, error });
    const group = this.groupFor(request.groupId, false);
    if (group === 'not-coordinator') return reply('NOT_COORDINATOR');
    if (group === undefined) return reply('UNKNOWN_MEMBER_ID');
    const invalid = this.validateMember(group, request.memberId, request.groupInstanceId);
    if (invalid !== 'NONE') return reply(invalid);
    const member = group.members.get(request.memberId)!;
    if (request.generationId !== group.generation) {
      // A member of an older generation during a rebalance is told to rejoin, not fenced.
      if (group.state === 'PreparingRebalance') {
        this.touch(group, member);
        return reply('REBALANCE_IN_PROGRESS');
      }
      return reply('ILLEGAL_GENERATION');
    }
    this.touch(group, member);
    reply(group.state === 'PreparingRebalance' ? 'REBALANCE_IN_PROGRESS' : 'NONE');
  }

  onLeaveGroup(from: string, request: LeaveGroup): void {
    const reply = (error: KafkaError) => this.reply(from, { type: 'LeaveGroupResponse', id: request.id, error });
    const group = this.groupFor(request.groupId, false);
    if (group === 'not-coordinator') return reply('NOT_COORDINATOR');
    const member = group?.members.get(request.memberId);
    if (!group || !member) return reply('UNKNOWN_MEMBER_ID');
    this.removeMember(group, member, 'leave-group');
    this.afterRemoval(group, `${member.id} left`);
    reply('NONE');
  }

  private touch(group: Group, member: Member): void {
    this.ctx.cancelTimer(member.session);
    member.session = timers.set(this.ctx, member.sessionTimeout, 'group-session', { group, member });
  }

  // ------------------------------------------------------------------ offsets

  /** KIP-848's ConsumerGroupHeartbeat (a non-empty classic group of the same id refuses it). */
  onConsumerGroupHeartbeat(from: string, request: ConsumerGroupHeartbeat): void {
    const classic = this.groups.get(request.groupId);
    this.consumerGroups.onHeartbeat(from, request, this.partitionFor(request.groupId), classic !== undefined && classic.members.size > 0);
    if (classic !== undefined && classic.members.size === 0 && this.consumerGroups.has(request.groupId)) this.groups.delete(request.groupId);
  }

  onOffsetCommit(from: string, request: OffsetCommit): void {
    if (this.consumerGroups.has(request.groupId) && this.host.isLeaderOf(this.partitionFor(request.groupId))) return this.consumerGroups.onOffsetCommit(from, request);
    const reply = (error: KafkaError) => this.reply(from, { type: 'OffsetCommitResponse', id: request.id, error });
    const group = this.groupFor(request.groupId, true);
    if (group === 'not-coordinator' || group === undefined) return reply('NOT_COORDINATOR');
    if (request.generationId >= 0 || group.state !== 'Empty') {
      if (group.state === 'CompletingRebalance') return reply('REBALANCE_IN_PROGRESS');
      const invalid = this.validateMember(group, request.memberId, request.groupInstanceId);
      if (invalid !== 'NONE') return reply(invalid);
      if (request.generationId !== group.generation) return reply('ILLEGAL_GENERATION');
      this.touch(group, group.members.get(request.memberId)!);
    }
    const records = request.offsets.map((o) => ({ msg: `O|${group.id}|${o.partition}|${o.offset}`, key: `offset:${group.id}:${o.partition}` }));
    const order = this.appendOrder++;
    this.host.append(group.partition, records, (error) => {
      if (error !== 'NONE') {
        reply(error === 'NOT_LEADER_OR_FOLLOWER' ? 'NOT_COORDINATOR' : error === 'REQUEST_TIMED_OUT' ? 'REQUEST_TIMED_OUT' : 'COORDINATOR_NOT_AVAILABLE');
        return;
      }
      if (this.groups.get(group.id) === group) applyCommit({ offsets: group.offsets, order: group.offsetOrder }, request.offsets, order);
      this.stats.offsetCommits++;
      reply('NONE');
    });
  }

  /**
   * TxnOffsetCommit (GroupCoordinator.handleTxnCommitOffsets): KIP-447 fences a zombie by the
   * consumer group metadata the producer sends: a static member replaced by another
   * (FENCED_INSTANCE_ID), a member id the group no longer has (UNKNOWN_MEMBER_ID), an older
   * generation (ILLEGAL_GENERATION). The offsets are written and wait for the transaction's marker.
   */
  onTxnOffsetCommit(from: string, request: TxnOffsetCommit): void {
    const reply = (error: KafkaError) => this.reply(from, { type: 'TxnOffsetCommitResponse', id: request.id, error });
    const group = this.groupFor(request.groupId, true);
    if (group === 'not-coordinator' || group === undefined) return reply('NOT_COORDINATOR');
    let error: KafkaError = 'NONE';
    const current = request.groupInstanceId ? group.staticMembers.get(request.groupInstanceId) : undefined;
    if (current !== undefined && current !== request.memberId) error = 'FENCED_INSTANCE_ID';
    else if (request.memberId !== '' && !group.members.has(request.memberId)) error = 'UNKNOWN_MEMBER_ID';
    else if (request.generationId >= 0 && request.generationId !== group.generation) error = 'ILLEGAL_GENERATION';
    if (error !== 'NONE') {
      this.stats.txnOffsetCommitsFenced++;
      note(this.ctx, 'txn-offset-commit-fenced', { group: group.id, member: request.memberId, generation: request.generationId, current: group.generation, error });
      return reply(error);
    }
    const order = this.appendOrder++;
    this.host.append(group.partition, txnOffsetRecords(request), (e) => {
      if (e !== 'NONE') return reply(e === 'NOT_LEADER_OR_FOLLOWER' ? 'NOT_COORDINATOR' : e === 'REQUEST_TIMED_OUT' ? 'REQUEST_TIMED_OUT' : 'COORDINATOR_NOT_AVAILABLE');
      if (this.groups.get(group.id) === group) addPending(group.pendingTxnOffsets, request.producerId, request.offsets, order);
      reply('NONE');
    });
  }

  /** A transaction marker was written on offsets partition `partition` (GroupCoordinator.scheduleHandleTxnCompletion). */
  onTxnCompletion(partition: number, producerId: number, committed: boolean): void {
    for (const group of this.groups.values()) {
      if (group.partition !== partition || !group.pendingTxnOffsets.has(producerId)) continue;
      const applied = completeTxn(group.pendingTxnOffsets, { offsets: group.offsets, order: group.offsetOrder }, producerId, committed);
      if (applied > 0) this.stats.offsetCommits++;
      note(this.ctx, 'txn-offsets-completed', { group: group.id, producerId, outcome: committed ? 'committed' : 'aborted', partitions: applied });
    }
  }

  onOffsetFetch(from: string, request: OffsetFetch): void {
    if (this.consumerGroups.has(request.groupId) && this.host.isLeaderOf(this.partitionFor(request.groupId))) return this.consumerGroups.onOffsetFetch(from, request);
    const group = this.groupFor(request.groupId, false);
    if (group === 'not-coordinator') {
      this.reply(from, { type: 'OffsetFetchResponse', id: request.id, error: 'NOT_COORDINATOR', offsets: [] });
      return;
    }
    const offsets = request.partitions.map((partition) => (request.requireStable === true && group !== undefined && hasPending(group.pendingTxnOffsets, partition)
      ? { partition, offset: -1, error: 'UNSTABLE_OFFSET_COMMIT' as const }
      : { partition, offset: group?.offsets.get(partition) ?? -1 }));
    this.reply(from, { type: 'OffsetFetchResponse', id: request.id, error: 'NONE', offsets }, HEADER_BYTES + 16 * offsets.length);
  }

  /** Committed offsets of every group this broker coordinates (for the final read and tests). */
  committed(): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    for (const g of this.groups.values()) out.set(g.id, g.offsets);
    this.consumerGroups.committed(out);
    return out;
  }

  // ------------------------------------------------------------------ helpers

  private persist(group: Group, done: (error: KafkaError) => void): void {
    this.host.append(group.partition, [groupMetadataRecord(group)], done);
  }

  private publish(group: Group): void {
    const view = groupView(group, this.ctx.name);
    this.store.update((draft) => {
      draft[group.id] = view;
    }, `${group.id} ${group.state}`);
  }

  private reply(to: string, message: Parameters<typeof sendTo>[2], bytes = HEADER_BYTES): void {
    sendTo(this.ctx, to, message, bytes);
  }
}

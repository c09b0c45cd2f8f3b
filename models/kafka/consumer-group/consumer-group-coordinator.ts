import type { NodeContext } from '../../../sim/node.js';
import { timersOf, unreachable, type TimerArgs } from '../../../sim/timers.js';
import type { StateStore } from '../../../sim/state.js';
import { note } from '../notes.js';
import { sendTo, HEADER_BYTES, type ConsumerGroupHeartbeat, type ConsumerGroupHeartbeatResponse, type KafkaError, type LogRecord, type OffsetCommit, type OffsetFetch } from '../protocol.js';
import type { BrokerConfig } from '../schema.js';
import type { KafkaStats } from '../stats.js';
import type { GroupsState, GroupView } from '../group-metadata-manager.js';
import { computeTarget, type ServerAssignorName } from './assignors.js';
import {
  consumerGroupRecord, groupState, newConsumerGroup, readConsumerGroups, setCurrentAssignment, LEAVE_EPOCH, STATIC_LEFT_EPOCH,
  type ConsumerGroup, type ConsumerGroupMember,
} from './consumer-group.js';
import { reconcile } from './current-assignment-builder.js';

/**
 * The coordinator side of the consumer group protocol (KIP-848; Kafka 4.x's GroupMetadataManager
 * consumerGroupHeartbeat and the offset requests of such groups). No JoinGroup, no SyncGroup, no
 * group-wide barrier: each member heartbeats on its own every `group.consumer.heartbeat.interval.ms`
 * (5000, sent back in every response) and the coordinator moves it towards the group's target
 * assignment (current-assignment-builder.ts).
 *
 * - MemberEpoch 0 joins (a new member id from the client; a static member whose instance id left
 *   with epoch -2 is replaced by the new member id and takes its assignment back: no new group
 *   epoch; one still active: UNRELEASED_INSTANCE_ID). -1 leaves: the member is removed, its
 *   partitions are free at once and the group epoch goes up. -2 (a static member's close): the
 *   member stays with its partitions for group.consumer.session.timeout.ms.
 * - Any other epoch must be the member's (or its previous one with nothing it no longer owns: a lost
 *   response), else FENCED_MEMBER_EPOCH; an unknown member id gets UNKNOWN_MEMBER_ID. Either way the
 *   client drops its partitions and joins again.
 * - A joining member, a subscription change, a subscribed topic with more partitions: the group
 *   epoch goes up and the target assignment is computed again by the group's assignor
 *   (`group.consumer.assignors`, first one by default, or the one the members ask for).
 * - No heartbeat for group.consumer.session.timeout.ms (45000): the member is fenced (removed). A
 *   member that does not revoke within its rebalance timeout (the client's max.poll.interval.ms) is
 *   fenced too.
 * - Every change is written to the group's __consumer_offsets partition and answered once
 *   committed; OffsetCommit is checked against the member epoch (STALE_MEMBER_EPOCH).
 */

export type ConsumerGroupTimer =
  | { tag: 'cg-session'; data: { group: ConsumerGroup; member: ConsumerGroupMember } }
  | { tag: 'cg-rebalance-timeout'; data: { group: ConsumerGroup; member: ConsumerGroupMember; epoch: number } };
const timers = timersOf<ConsumerGroupTimer>();

export interface ConsumerGroupHost {
  /** Appends to the leader's offsets partition; `done` once committed to its ISR (or failed). */
  append(partition: number, records: { msg: string; key: string }[], done: (error: KafkaError) => void): void;
  /** The partition count of a topic as this broker's metadata has it (0: unknown topic). */
  partitionCount(topic: string): number;
  isLeaderOf(partition: number): boolean;
}

export class ConsumerGroupCoordinator {
  private readonly groups = new Map<string, ConsumerGroup>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly host: ConsumerGroupHost,
    private readonly config: BrokerConfig,
    private readonly stats: KafkaStats,
    private readonly store: StateStore<GroupsState>,
  ) {}

  has(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  // ------------------------------------------------------------------ load / unload

  /** Became the offsets partition's leader: the consumer groups written there, with their offsets. Returns their names. */
  load(partition: number, records: readonly LogRecord[], offsets: Map<string, Map<string, number>>): Set<string> {
    const loaded = readConsumerGroups(records, partition);
    for (const [id, group] of loaded) {
      this.unloadGroup(id);
      group.offsets = offsets.get(id) ?? new Map();
      this.groups.set(id, group);
      for (const m of group.members.values()) {
        this.touch(group, m);
        if (m.state === 'UNREVOKED_PARTITIONS') this.startRebalanceTimer(group, m);
      }
      note(this.ctx, 'consumer-group-loaded', { group: id, partition, groupEpoch: group.groupEpoch, members: group.members.size });
      this.publish(group);
    }
    return new Set(loaded.keys());
  }

  unload(partition: number): void {
    for (const g of [...this.groups.values()]) if (g.partition === partition) this.unloadGroup(g.id);
  }

  private unloadGroup(id: string): void {
    const group = this.groups.get(id);
    if (!group) return;
    for (const m of group.members.values()) {
      this.ctx.cancelTimer(m.session);
      this.ctx.cancelTimer(m.rebalanceTimer);
    }
    this.groups.delete(id);
  }

  // ------------------------------------------------------------------ ConsumerGroupHeartbeat

  /** `classic`: the group id belongs to a classic group of this coordinator (the heartbeat is refused). */
  onHeartbeat(from: string, request: ConsumerGroupHeartbeat, partition: number, classic: boolean): void {
    const reply = (r: Omit<ConsumerGroupHeartbeatResponse, 'type' | 'id' | 'heartbeatIntervalMs'>, bytes = HEADER_BYTES) => sendTo(this.ctx, from, {
      type: 'ConsumerGroupHeartbeatResponse', id: request.id, heartbeatIntervalMs: this.config.consumerHeartbeatInterval / 1000, ...r,
    }, bytes);
    const error = (e: KafkaError) => reply({ error: e, memberId: request.memberId, memberEpoch: -1, assignment: null });
    if (!this.host.isLeaderOf(partition)) return error('NOT_COORDINATOR');
    // Online migration between the protocols (KIP-848's upgrade path) is not modelled.
    if (classic) return error('GROUP_ID_NOT_FOUND');
    let group = this.groups.get(request.groupId);
    if (request.memberEpoch === LEAVE_EPOCH || request.memberEpoch === STATIC_LEFT_EPOCH) {
      const member = group?.members.get(request.memberId);
      if (!group || !member) return error('UNKNOWN_MEMBER_ID');
      if (request.memberEpoch === STATIC_LEFT_EPOCH && member.instanceId !== null) {
        member.previousMemberEpoch = member.memberEpoch;
        member.memberEpoch = STATIC_LEFT_EPOCH;
        note(this.ctx, 'consumer-group-static-member-left', { group: group.id, member: member.memberId, instance: member.instanceId, keeps: member.assigned.length });
      } else this.removeMember(group, member, 'left');
      return this.persist(group, () => reply({ error: 'NONE', memberId: request.memberId, memberEpoch: request.memberEpoch, assignment: null }), error);
    }
    if (!group) {
      if (request.memberEpoch !== 0) return error('UNKNOWN_MEMBER_ID');
      group = newConsumerGroup(request.groupId, partition);
      this.groups.set(group.id, group);
    }
    let member = group.members.get(request.memberId);
    let changed = false;
    if (request.memberEpoch === 0) {
      const instance = request.instanceId;
      const known = instance !== null ? group.staticMembers.get(instance) : undefined;
      if (known !== undefined && known !== request.memberId) {
        const old = group.members.get(known)!;
        if (old.memberEpoch !== STATIC_LEFT_EPOCH) return error('UNRELEASED_INSTANCE_ID');
        member = this.replaceStatic(group, old, request.memberId, from);
        changed = true;
      } else if (!member) {
        member = {
          memberId: request.memberId, instanceId: instance, client: from, memberEpoch: 0, previousMemberEpoch: 0, state: 'STABLE',
          subscribedTopics: [], serverAssignor: null, rebalanceTimeout: request.rebalanceTimeoutMs * 1000, assigned: [], pendingRevocation: [], sent: null,
          session: null, rebalanceTimer: null,
        };
        group.members.set(member.memberId, member);
        if (instance !== null) group.staticMembers.set(instance, member.memberId);
        note(this.ctx, 'consumer-group-member-joined', { group: group.id, member: member.memberId, ...(instance !== null ? { instance } : {}) });
        this.bumpGroupEpoch(group, `${member.memberId} joined`);
        changed = true;
      }
      member.sent = null; // a joining member gets its full assignment
    } else {
      if (!member) return error('UNKNOWN_MEMBER_ID');
      if (request.memberEpoch !== member.memberEpoch) {
        const owned = request.topicPartitions;
        const lostResponse = request.memberEpoch === member.previousMemberEpoch && owned !== null && owned.every((q) => member!.assigned.includes(q));
        if (!lostResponse) {
          this.stats.fencedMemberEpochs++;
          note(this.ctx, 'consumer-group-member-fenced', { group: group.id, member: member.memberId, epoch: request.memberEpoch, current: member.memberEpoch });
          return error('FENCED_MEMBER_EPOCH');
        }
      }
    }
    member.client = from;
    this.touch(group, member);
    if (request.rebalanceTimeoutMs >= 0) member.rebalanceTimeout = request.rebalanceTimeoutMs * 1000;
    if (request.subscribedTopicNames !== null) {
      const topics = [...new Set(request.subscribedTopicNames)].sort();
      if (topics.join(',') !== member.subscribedTopics.join(',')) {
        member.subscribedTopics = topics;
        if (request.memberEpoch !== 0) this.bumpGroupEpoch(group, `${member.memberId} changed its subscription`);
        else this.refreshSubscriptionMetadata(group);
        changed = true;
      }
    }
    if (request.serverAssignor !== null && request.serverAssignor !== member.serverAssignor) {
      member.serverAssignor = request.serverAssignor as ServerAssignorName;
      this.bumpGroupEpoch(group, `${member.memberId} asked for assignor ${request.serverAssignor}`);
      changed = true;
    }
    if (this.metadataChanged(group)) {
      this.bumpGroupEpoch(group, 'subscribed topic metadata changed');
      changed = true;
    }
    if (group.groupEpoch > group.assignmentEpoch) {
      this.updateTarget(group);
      changed = true;
    }
    if (reconcile(group, member, request.memberEpoch === 0 ? (request.topicPartitions ?? []) : request.topicPartitions)) {
      changed = true;
      if (member.state === 'UNREVOKED_PARTITIONS') this.startRebalanceTimer(group, member);
      else {
        this.ctx.cancelTimer(member.rebalanceTimer);
        member.rebalanceTimer = null;
      }
    }
    const assignment = member.sent === null || member.sent.join(',') !== member.assigned.join(',') ? [...member.assigned] : null;
    if (assignment !== null) member.sent = assignment;
    const answer = () => reply({ error: 'NONE', memberId: member!.memberId, memberEpoch: member!.memberEpoch, assignment }, HEADER_BYTES + 16 * (assignment?.length ?? 0));
    if (!changed) return answer();
    this.persist(group, answer, error);
  }

  private replaceStatic(group: ConsumerGroup, old: ConsumerGroupMember, memberId: string, from: string): ConsumerGroupMember {
    this.ctx.cancelTimer(old.session);
    this.ctx.cancelTimer(old.rebalanceTimer);
    const member: ConsumerGroupMember = { ...old, memberId, client: from, sent: null, session: null, rebalanceTimer: null, assigned: [], pendingRevocation: [] };
    // The new member id takes the old one's place, its assignment and its target: no new group epoch.
    group.members.delete(old.memberId);
    setCurrentAssignment(group, old, [], []);
    group.members.set(memberId, member);
    setCurrentAssignment(group, member, old.assigned, old.pendingRevocation);
    group.staticMembers.set(old.instanceId!, memberId);
    const target = group.target.get(old.memberId);
    group.target.delete(old.memberId);
    if (target) group.target.set(memberId, target);
    // It goes on from the epoch it had when it left (reconciled on towards the target if that moved since).
    member.memberEpoch = old.previousMemberEpoch;
    this.stats.staticMemberReplacements++;
    note(this.ctx, 'consumer-group-static-member-replaced', { group: group.id, instance: old.instanceId, oldMember: old.memberId, member: memberId });
    return member;
  }

  private bumpGroupEpoch(group: ConsumerGroup, reason: string): void {
    group.groupEpoch++;
    this.refreshSubscriptionMetadata(group);
    note(this.ctx, 'consumer-group-epoch-bumped', { group: group.id, groupEpoch: group.groupEpoch, reason });
    if (group.groupEpoch > this.stats.generationMax) this.stats.generationMax = group.groupEpoch;
  }

  private refreshSubscriptionMetadata(group: ConsumerGroup): void {
    group.subscriptionMetadata = new Map();
    for (const m of group.members.values()) for (const t of m.subscribedTopics) group.subscriptionMetadata.set(t, this.host.partitionCount(t));
  }

  private metadataChanged(group: ConsumerGroup): boolean {
    for (const [t, count] of group.subscriptionMetadata) if (this.host.partitionCount(t) !== count) return true;
    return false;
  }

  /** Kafka's TargetAssignmentBuilder: the assignor's answer becomes the target for the group epoch. */
  private updateTarget(group: ConsumerGroup): void {
    const assignor = this.assignorOf(group);
    const members = new Map<string, { topics: readonly string[]; current: readonly string[] }>();
    for (const m of group.members.values()) members.set(m.memberId, { topics: m.subscribedTopics, current: group.target.get(m.memberId) ?? [] });
    group.target = computeTarget(assignor, { members, partitions: group.subscriptionMetadata });
    group.assignmentEpoch = group.groupEpoch;
    this.stats.rebalances++;
    note(this.ctx, 'consumer-group-target-assignment', { group: group.id, assignmentEpoch: group.assignmentEpoch, assignor, members: members.size });
  }

  /** The assignor most members ask for (ties: the configured order), else the first of group.consumer.assignors. */
  private assignorOf(group: ConsumerGroup): ServerAssignorName {
    const votes = new Map<string, number>();
    for (const m of group.members.values()) if (m.serverAssignor !== null) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    let best: ServerAssignorName = this.config.consumerAssignors[0]!;
    let most = 0;
    for (const a of this.config.consumerAssignors) if ((votes.get(a) ?? 0) > most) {
      best = a;
      most = votes.get(a)!;
    }
    return best;
  }

  private removeMember(group: ConsumerGroup, member: ConsumerGroupMember, why: 'left' | 'session-timeout' | 'rebalance-timeout'): void {
    this.ctx.cancelTimer(member.session);
    this.ctx.cancelTimer(member.rebalanceTimer);
    setCurrentAssignment(group, member, [], []);
    group.members.delete(member.memberId);
    group.target.delete(member.memberId);
    if (member.instanceId !== null && group.staticMembers.get(member.instanceId) === member.memberId) group.staticMembers.delete(member.instanceId);
    this.stats.membersRemoved++;
    note(this.ctx, 'consumer-group-member-removed', { group: group.id, member: member.memberId, why });
    this.bumpGroupEpoch(group, `${member.memberId} ${why}`);
  }

  onTimer(...[tag, data]: TimerArgs<ConsumerGroupTimer>): void {
    const { group, member } = data;
    if (this.groups.get(group.id) !== group || group.members.get(member.memberId) !== member) return;
    switch (tag) {
      case 'cg-session':
        member.session = null;
        this.stats.sessionTimeouts++;
        this.removeMember(group, member, 'session-timeout');
        break;
      case 'cg-rebalance-timeout':
        member.rebalanceTimer = null;
        if (member.state !== 'UNREVOKED_PARTITIONS' || member.memberEpoch !== data.epoch) return;
        this.removeMember(group, member, 'rebalance-timeout');
        break;
      default: return unreachable(tag, 'consumer group timer');
    }
    this.persist(group, () => {}, () => {});
  }

  private touch(group: ConsumerGroup, member: ConsumerGroupMember): void {
    this.ctx.cancelTimer(member.session);
    member.session = timers.set(this.ctx, this.config.consumerSessionTimeout, 'cg-session', { group, member });
  }

  private startRebalanceTimer(group: ConsumerGroup, member: ConsumerGroupMember): void {
    if (member.rebalanceTimer !== null) return;
    member.rebalanceTimer = timers.set(this.ctx, member.rebalanceTimeout, 'cg-rebalance-timeout', { group, member, epoch: member.memberEpoch });
  }

  // ------------------------------------------------------------------ offsets

  /** OffsetCommit of a consumer group: the generation field carries the member epoch. */
  onOffsetCommit(from: string, request: OffsetCommit): void {
    const reply = (error: KafkaError) => sendTo(this.ctx, from, { type: 'OffsetCommitResponse', id: request.id, error });
    const group = this.groups.get(request.groupId)!;
    if (request.generationId >= 0) {
      const member = group.members.get(request.memberId);
      if (!member) return reply('UNKNOWN_MEMBER_ID');
      if (request.generationId !== member.memberEpoch) return reply('STALE_MEMBER_EPOCH');
    }
    const records = request.offsets.map((o) => ({ msg: `O|${group.id}|${o.partition}|${o.offset}`, key: `offset:${group.id}:${o.partition}` }));
    this.host.append(group.partition, records, (error) => {
      if (error !== 'NONE') return reply(error === 'NOT_LEADER_OR_FOLLOWER' ? 'NOT_COORDINATOR' : error === 'REQUEST_TIMED_OUT' ? 'REQUEST_TIMED_OUT' : 'COORDINATOR_NOT_AVAILABLE');
      if (this.groups.get(group.id) === group) for (const o of request.offsets) group.offsets.set(o.partition, o.offset);
      this.stats.offsetCommits++;
      reply('NONE');
    });
  }

  onOffsetFetch(from: string, request: OffsetFetch): void {
    const group = this.groups.get(request.groupId)!;
    const offsets = request.partitions.map((partition) => ({ partition, offset: group.offsets.get(partition) ?? -1 }));
    sendTo(this.ctx, from, { type: 'OffsetFetchResponse', id: request.id, error: 'NONE', offsets }, HEADER_BYTES + 16 * offsets.length);
  }

  committed(into: Map<string, Map<string, number>>): void {
    for (const g of this.groups.values()) into.set(g.id, g.offsets);
  }

  // ------------------------------------------------------------------ helpers

  private persist(group: ConsumerGroup, ok: () => void, failed: (e: KafkaError) => void): void {
    this.publish(group);
    this.host.append(group.partition, [consumerGroupRecord(group)], (e) => {
      if (e === 'NONE') return ok();
      failed(e === 'NOT_LEADER_OR_FOLLOWER' ? 'NOT_COORDINATOR' : 'COORDINATOR_NOT_AVAILABLE');
    });
  }

  private publish(group: ConsumerGroup): void {
    const members: GroupView['members'] = {};
    for (const m of group.members.values()) members[m.memberId] = { client: m.client, ...(m.instanceId !== null ? { instanceId: m.instanceId } : {}), assignment: [...m.assigned] };
    const view: GroupView = {
      coordinator: this.ctx.name, partition: group.partition, state: groupState(group), generation: group.groupEpoch, protocol: 'consumer', leader: null, members,
    };
    this.store.update((draft) => {
      draft[group.id] = view;
    }, `${group.id} ${view.state}`);
  }
}

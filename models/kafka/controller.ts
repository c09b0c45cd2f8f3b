import type { CloseReason } from '../../sim/connection.js';
import type { NodeContext } from '../../sim/node.js';
import { brokerTimers } from './broker/timers.js';
import type { Micros } from '../../sim/time.js';
import { sendTo, type AlterPartition, type AlterPartitionResponse, type ControlResponse, type LeaderAndIsr, type PartitionState, type UpdateMetadata, type ZkCreateControllerResponse, type ZkSetPartitionsResponse } from './protocol.js';
import type { KafkaStats } from './stats.js';
import { note } from './notes.js';

/**
 * The ZooKeeper-mode controller, run by the broker that won /controller. On election it reads
 * the partition states and live brokers from ZooKeeper, initialises new partitions (leader: the
 * first live replica, ISR: the live replicas), elects leaders for partitions whose leader is
 * dead, writes the changes back and sends LeaderAndIsr and UpdateMetadata to the brokers. Then:
 *
 * - broker failure (its session expired): partitions it led get a new leader, the first
 *   replica in assignment order that is alive and in the ISR (OfflinePartitionLeaderElection);
 *   with none, the partition goes offline (leader none, ISR kept) unless
 *   unclean.leader.election.enable, which elects the first live replica, ISR = [it]. Partitions
 *   where it was a follower lose it from the ISR (ZooKeeper mode bumps the leader epoch for that).
 * - broker startup: it is sent LeaderAndIsr for its replicas; offline partitions it can lead are
 *   elected.
 * - AlterPartition from a leader (ISR shrink/expand): checked against the leader epoch and the
 *   partition epoch (zkVersion), written to ZooKeeper, answered, broadcast in UpdateMetadata.
 *
 * Requests to brokers are kept until answered and sent again after controller.socket.timeout.ms,
 * as the controller's per-broker request threads do (ControllerChannelManager's RequestSendThread).
 * They go on the controller's connection to each broker: when it closes (the broker's process was
 * killed: RST; refused; stopped: FIN) the thread backs off 100 ms and sends what is unanswered
 * again on a new connection, for as long as the broker counts as live; a crashed or cut-off broker
 * is silence, and what is on the wire is retransmitted by TCP or resent after the timeout.
 */

/** RequestSendThread's pause before it tries a broker again after a failed send. */
export const CONTROLLER_CHANNEL_BACKOFF: Micros = 100_000;

export interface TopicAssignment {
  topic: string;
  partitions: string[][];
  minInsyncReplicas: number;
  uncleanLeaderElection: boolean;
}

interface PendingRequest {
  to: string;
  message: LeaderAndIsr | UpdateMetadata;
  sentAt: Micros;
}

export class Controller {
  readonly live = new Set<string>();
  /** Brokers in a controlled shutdown: never elected again until their session goes. */
  private readonly shuttingDown = new Set<string>();
  readonly states = new Map<string, PartitionState>();
  private correlation = 0;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly zkWrites = new Map<number, () => void>();
  private zkWriteId = 0;
  /** Set when ZooKeeper refused a write: another controller took over. */
  fenced = false;

  constructor(
    private readonly ctx: NodeContext,
    readonly epoch: number,
    private readonly topics: readonly TopicAssignment[],
    private readonly zk: string,
    private readonly socketTimeout: Micros,
    private readonly stats: KafkaStats,
  ) {}

  /** Becoming controller: load ZooKeeper's view, elect what needs electing, tell everyone. */
  activate(snapshot: ZkCreateControllerResponse): void {
    for (const b of snapshot.liveBrokers) this.live.add(b);
    for (const s of snapshot.partitions) this.states.set(`${s.topic}-${s.partition}`, s);
    const changed: PartitionState[] = [];
    for (const topic of this.topics) {
      topic.partitions.forEach((replicas, partition) => {
        const key = `${topic.topic}-${partition}`;
        const existing = this.states.get(key);
        if (!existing) {
          const liveReplicas = replicas.filter((r) => this.live.has(r));
          const state: PartitionState = {
            topic: topic.topic, partition, replicas,
            leader: liveReplicas[0] ?? null,
            leaderEpoch: 0,
            isr: liveReplicas,
            partitionEpoch: 0,
          };
          this.states.set(key, state);
          changed.push(state);
          return;
        }
        if (existing.leader === null || !this.live.has(existing.leader)) {
          const elected = this.elect(existing, topic);
          if (elected) changed.push(elected);
        } else if (existing.isr.some((r) => !this.live.has(r))) {
          // Replicas on brokers that died meanwhile go offline: out of the ISR.
          const next = { ...existing, isr: existing.isr.filter((r) => this.live.has(r)), leaderEpoch: existing.leaderEpoch + 1, partitionEpoch: existing.partitionEpoch + 1 };
          this.states.set(key, next);
          changed.push(next);
        }
      });
    }
    this.writeZk(changed, () => {
      for (const broker of this.live) this.sendLeaderAndIsr(broker, this.replicasOf(broker));
      this.broadcastMetadata();
    });
  }

  private topicOf(name: string): TopicAssignment {
    return this.topics.find((t) => t.topic === name)!;
  }

  /** Partition states in which `broker` is a replica. */
  private replicasOf(broker: string): PartitionState[] {
    const out: PartitionState[] = [];
    for (const s of this.states.values()) if (s.replicas.includes(broker)) out.push(s);
    return out;
  }

  /** Leader election shared with the KRaft controller (electPartitionLeader), with this controller's notes and counts. */
  private elect(state: PartitionState, topic: TopicAssignment): PartitionState | null {
    const result = electPartitionLeader(state, (r) => this.live.has(r) && !this.shuttingDown.has(r), topic.uncleanLeaderElection);
    if (result === null) return null;
    this.states.set(`${state.topic}-${state.partition}`, result.state);
    reportElection(this.ctx, this.stats, state, result);
    return result.state;
  }

  /** The /brokers/ids watch fired: handle failures, then startups. */
  brokersChanged(liveBrokers: readonly string[]): void {
    const now = new Set(liveBrokers);
    const dead = [...this.live].filter((b) => !now.has(b));
    const started = liveBrokers.filter((b) => !this.live.has(b));
    const changed = new Map<string, PartitionState>();
    for (const b of dead) {
      this.live.delete(b);
      this.shuttingDown.delete(b);
      for (const [id, request] of [...this.pending]) if (request.to === b) this.pending.delete(id);
    }
    if (dead.length > 0) {
      note(this.ctx, 'brokers-failed', { brokers: dead });
      const gone = (b: string) => dead.includes(b);
      for (const { before, result } of partitionChangesOnFailure([...this.states.values()], gone, (r) => this.live.has(r) && !this.shuttingDown.has(r), (t) => this.topicOf(t).uncleanLeaderElection, true)) {
        const key = `${before.topic}-${before.partition}`;
        this.states.set(key, result.state);
        if (before.leader !== null && gone(before.leader)) reportElection(this.ctx, this.stats, before, result);
        changed.set(key, result.state);
      }
    }
    for (const b of started) this.live.add(b);
    if (started.length > 0) {
      note(this.ctx, 'brokers-started', { brokers: started });
      for (const [key, state] of this.states) {
        if (state.leader === null && state.replicas.some((r) => started.includes(r))) {
          const next = this.elect(state, this.topicOf(state.topic));
          if (next) changed.set(key, next);
        }
      }
    }
    const list = [...changed.values()];
    this.writeZk(list, () => this.announce(list, started));
  }

  /**
   * ControlledShutdown (KafkaController.doControlledShutdown): every partition `broker` leads gets
   * the first other live, in-sync replica as leader (ControlledShutdownPartitionLeaderElection),
   * every ISR it is a follower in drops it, the new states go to ZooKeeper and to the replicas;
   * the answer names the partitions it still leads (no other in-sync replica). Until its session
   * goes, the broker is not elected anywhere.
   */
  controlledShutdown(broker: string, reply: (error: 'NONE' | 'BROKER_NOT_AVAILABLE', remaining: string[]) => void): void {
    if (!this.live.has(broker)) return reply('BROKER_NOT_AVAILABLE', []);
    this.shuttingDown.add(broker);
    const eligible = (r: string) => this.live.has(r) && !this.shuttingDown.has(r);
    const changed: PartitionState[] = [];
    for (const [key, state] of this.states) {
      if (state.leader === broker) {
        const leader = state.replicas.find((r) => eligible(r) && state.isr.includes(r));
        if (leader === undefined) continue;
        const next = { ...state, leader, isr: state.isr.filter((r) => r !== broker), leaderEpoch: state.leaderEpoch + 1, partitionEpoch: state.partitionEpoch + 1 };
        this.states.set(key, next);
        reportElection(this.ctx, this.stats, state, { state: next, kind: 'clean' });
        changed.push(next);
      } else if (state.leader !== null && state.isr.includes(broker)) {
        const next = { ...state, isr: state.isr.filter((r) => r !== broker), leaderEpoch: state.leaderEpoch + 1, partitionEpoch: state.partitionEpoch + 1 };
        this.states.set(key, next);
        changed.push(next);
      }
    }
    note(this.ctx, 'controlled-shutdown-requested', { broker, moved: changed.filter((s) => s.leader !== broker).length });
    const remaining = () => [...this.states.values()].filter((s) => s.leader === broker).map((s) => `${s.topic}-${s.partition}`);
    if (changed.length === 0) return reply('NONE', remaining());
    this.writeZk(changed, () => {
      this.announce(changed, []);
      reply('NONE', remaining());
    });
  }

  /** After ZooKeeper took the new states: LeaderAndIsr to their replicas, metadata to everyone. */
  private announce(list: PartitionState[], started: readonly string[]): void {
    const targets = new Map<string, PartitionState[]>();
    for (const s of list) {
      for (const r of s.replicas) {
        if (!this.live.has(r) || started.includes(r)) continue;
        let l = targets.get(r);
        if (!l) targets.set(r, (l = []));
        l.push(s);
      }
    }
    for (const [broker, states] of targets) this.sendLeaderAndIsr(broker, states);
    // A started broker gets the full state of its replicas (it may have missed anything).
    this.broadcastMetadata();
    for (const b of started) this.sendLeaderAndIsr(b, this.replicasOf(b));
  }

  /**
   * auto.leader.rebalance.enable: for each broker whose preferred partitions (it is their first
   * replica) are led elsewhere more than `percentage` % of the time, elect it back where it is
   * alive and in the ISR (PreferredReplicaPartitionLeaderElection).
   */
  rebalanceLeaders(percentage: number): void {
    const changed = preferredLeaderElections(this.states.values(), (b) => this.live.has(b), percentage);
    for (const next of changed) {
      this.states.set(`${next.topic}-${next.partition}`, next);
      this.stats.leaderElections++;
      note(this.ctx, 'preferred-leader-elected', { partition: `${next.topic}-${next.partition}`, leader: next.leader, leaderEpoch: next.leaderEpoch });
    }
    if (changed.length > 0) this.writeZk(changed, () => this.announce(changed, []));
  }

  onAlterPartition(from: string, request: AlterPartition): void {
    const key = `${request.topic}-${request.partition}`;
    const state = this.states.get(key);
    const reply = (response: AlterPartitionResponse) => sendTo(this.ctx, from, response);
    const checked = validateAlterPartition(state, request, (r) => this.live.has(r) && !this.shuttingDown.has(r));
    if (checked.error !== 'NONE' || !state) {
      reply({ type: 'AlterPartitionResponse', topic: request.topic, partition: request.partition, error: checked.error, ...(checked.state ? { state: checked.state } : {}) });
      return;
    }
    const next = checked.state;
    const isr = next.isr;
    this.states.set(key, next);
    if (isr.length < state.isr.length) this.stats.isrShrinks++;
    else if (isr.length > state.isr.length) this.stats.isrExpands++;
    // Answered only once ZooKeeper took it: a deposed controller's write is refused there.
    this.writeZk([next], () => {
      reply({ type: 'AlterPartitionResponse', topic: request.topic, partition: request.partition, error: 'NONE', state: next });
      this.broadcastMetadata();
    });
  }

  onResponse(response: ControlResponse): void {
    this.pending.delete(response.correlationId);
  }

  /** The channel's connection to `broker` closed: what it has not answered goes again after the back-off. */
  brokerDisconnected(broker: string, reason: CloseReason): void {
    if (this.fenced || !this.live.has(broker)) return;
    let unanswered = 0;
    for (const request of this.pending.values()) if (request.to === broker) unanswered++;
    if (unanswered === 0) return;
    note(this.ctx, 'controller-channel-failed', { broker, reason, unanswered, backoffMs: CONTROLLER_CHANNEL_BACKOFF / 1000 });
    brokerTimers.set(this.ctx, CONTROLLER_CHANNEL_BACKOFF, 'controller-channel-retry', { broker, epoch: this.epoch });
  }

  /** 'controller-channel-retry': send the broker's unanswered requests again on a new connection. */
  retryBroker(broker: string, epoch: number): void {
    if (epoch !== this.epoch || this.fenced || !this.live.has(broker)) return;
    const now = this.ctx.trueNow();
    for (const request of this.pending.values()) {
      if (request.to !== broker) continue;
      request.sentAt = now;
      this.send(broker, request.message, 256);
    }
  }

  /** On the controller's connection to the broker (to itself: local delivery). */
  private send(broker: string, message: LeaderAndIsr | UpdateMetadata, bytes: number): void {
    if (broker !== this.ctx.name) this.ctx.connect(broker);
    sendTo(this.ctx, broker, message, bytes);
  }

  /** Called periodically: resend what brokers have not answered within controller.socket.timeout.ms. */
  resendUnanswered(now: Micros): void {
    for (const request of this.pending.values()) {
      if (now - request.sentAt < this.socketTimeout || !this.live.has(request.to)) continue;
      request.sentAt = now;
      this.send(request.to, request.message, 256);
    }
  }

  private writeZk(states: PartitionState[], then: () => void): void {
    if (states.length === 0) {
      then();
      return;
    }
    const id = ++this.zkWriteId;
    this.zkWrites.set(id, then);
    sendTo(this.ctx, this.zk, { type: 'ZkSetPartitions', id, controllerEpoch: this.epoch, partitions: states });
  }

  /** ZooKeeper's answer to a write: go on, or (refused) stop acting as controller. */
  onZkWrite(response: ZkSetPartitionsResponse): void {
    const then = this.zkWrites.get(response.id);
    if (!then) return;
    this.zkWrites.delete(response.id);
    if (response.ok) then();
    else {
      this.fenced = true;
      this.zkWrites.clear();
    }
  }

  private sendLeaderAndIsr(broker: string, partitions: PartitionState[]): void {
    if (partitions.length === 0) return;
    const correlationId = ++this.correlation;
    const message: LeaderAndIsr = { type: 'LeaderAndIsr', controller: this.ctx.name, controllerEpoch: this.epoch, correlationId, partitions };
    this.pending.set(correlationId, { to: broker, message, sentAt: this.ctx.trueNow() });
    this.send(broker, message, 128 + 64 * partitions.length);
  }

  /**
   * CreatePartitions (added by the consumer-groups work, issue #4): AdminZkClient.addPartitions
   * writes the topic's new replica assignment, then onNewPartitionCreation brings each new
   * partition online with the first live replica as leader and the live replicas as ISR, writes
   * the partition states to ZooKeeper, sends LeaderAndIsr to the replicas and metadata to every
   * broker. `done` gets the error (INVALID_PARTITIONS when the count does not grow).
   */
  createPartitions(topicName: string, count: number, assignments: readonly string[][], done: (error: 'NONE' | 'UNKNOWN_TOPIC_OR_PARTITION' | 'INVALID_PARTITIONS', message?: string) => void): void {
    const topic = this.topics.find((t) => t.topic === topicName);
    if (!topic) return done('UNKNOWN_TOPIC_OR_PARTITION');
    const current = topic.partitions.length;
    if (count <= current) return done('INVALID_PARTITIONS', `Topic currently has ${current} partitions, ${count} would not increase the count.`);
    if (assignments.length !== count - current) return done('INVALID_PARTITIONS', `${count - current} new partitions need ${count - current} replica assignments.`);
    const created: PartitionState[] = [];
    for (let i = 0; i < assignments.length; i++) {
      const replicas = [...assignments[i]!];
      const partition = current + i;
      topic.partitions.push(replicas);
      const liveReplicas = replicas.filter((r) => this.live.has(r));
      const state: PartitionState = { topic: topic.topic, partition, replicas, leader: liveReplicas[0] ?? null, leaderEpoch: 0, isr: liveReplicas, partitionEpoch: 0 };
      this.states.set(`${topic.topic}-${partition}`, state);
      created.push(state);
    }
    note(this.ctx, 'partitions-created', { topic: topicName, from: current, to: count });
    this.writeZk(created, () => {
      const targets = new Map<string, PartitionState[]>();
      for (const s of created) {
        for (const r of s.replicas) {
          if (!this.live.has(r)) continue;
          let list = targets.get(r);
          if (!list) targets.set(r, (list = []));
          list.push(s);
        }
      }
      for (const [broker, states] of targets) this.sendLeaderAndIsr(broker, states);
      this.broadcastMetadata();
      done('NONE');
    });
  }

  broadcastMetadata(): void {
    const partitions = [...this.states.values()];
    const liveBrokers = [...this.live];
    for (const broker of this.live) {
      const correlationId = ++this.correlation;
      const message: UpdateMetadata = { type: 'UpdateMetadata', controller: this.ctx.name, controllerEpoch: this.epoch, correlationId, liveBrokers, partitions };
      this.pending.set(correlationId, { to: broker, message, sentAt: this.ctx.trueNow() });
      this.send(broker, message, 128 + 64 * partitions.length);
    }
  }
}

// ------------------------------------------------------------------ partition leader election, shared by both metadata modes

/** What an election decided: a new leader (clean from the ISR, or unclean), or the partition goes offline. */
export interface ElectionResult {
  state: PartitionState;
  kind: 'clean' | 'unclean' | 'offline';
}

/**
 * OfflinePartitionLeaderElection, as both controllers (ZooKeeper mode and KRaft) run it: the
 * first replica in assignment order that is alive and in the ISR; else, with unclean election
 * enabled, the first live replica (ISR = [it]). Without either the partition goes offline: no
 * leader, the ISR keeps its last members so one of them can come back (and the partition epoch
 * is bumped). Returns null when nothing changes (already offline). `live` is the controller's
 * liveness: a registered ZooKeeper session, or an unfenced KRaft registration.
 */
export function electPartitionLeader(state: PartitionState, live: (broker: string) => boolean, uncleanLeaderElection: boolean): ElectionResult | null {
  const isrLive = state.replicas.filter((r) => live(r) && state.isr.includes(r));
  let leader: string | null = isrLive[0] ?? null;
  let isr = isrLive;
  let unclean = false;
  if (leader === null && uncleanLeaderElection) {
    leader = state.replicas.find((r) => live(r)) ?? null;
    isr = leader === null ? [] : [leader];
    unclean = leader !== null;
  }
  if (leader === null) {
    if (state.leader === null) return null;
    return { state: { ...state, leader: null, partitionEpoch: state.partitionEpoch + 1 }, kind: 'offline' };
  }
  return {
    state: { ...state, leader, isr, leaderEpoch: state.leaderEpoch + 1, partitionEpoch: state.partitionEpoch + 1 },
    kind: unclean ? 'unclean' : 'clean',
  };
}

/**
 * The note and counters of an election (leader-elected, unclean-leader-elected, partition-offline).
 * KRaft counts at commit instead (`count` false): a deposed leader's elections never take effect.
 */
export function reportElection(ctx: NodeContext, stats: KafkaStats, before: PartitionState, result: ElectionResult, count = true): void {
  const partition = `${before.topic}-${before.partition}`;
  if (result.kind === 'offline') {
    note(ctx, 'partition-offline', { partition, isr: before.isr });
    return;
  }
  if (count) {
    stats.leaderElections++;
    if (result.kind === 'unclean') stats.uncleanElections++;
  }
  note(ctx, result.kind === 'unclean' ? 'unclean-leader-elected' : 'leader-elected', {
    partition, leader: result.state.leader, leaderEpoch: result.state.leaderEpoch, isr: result.state.isr,
  });
}

/**
 * A broker went away (session expired, or fenced): partitions it led get a new leader
 * (electPartitionLeader); partitions where it was only an ISR member lose it from the ISR. The
 * ZooKeeper-mode controller bumps the leader epoch for that ISR shrink too; KRaft (metadata
 * version 3.6 and later, KAFKA-15021) bumps only the partition epoch.
 */
export function partitionChangesOnFailure(
  states: Iterable<PartitionState>, dead: (broker: string) => boolean, live: (broker: string) => boolean,
  unclean: (topic: string) => boolean, bumpLeaderEpochOnShrink: boolean,
): { before: PartitionState; result: ElectionResult }[] {
  const out: { before: PartitionState; result: ElectionResult }[] = [];
  for (const state of states) {
    if (state.leader !== null && dead(state.leader)) {
      const result = electPartitionLeader(state, live, unclean(state.topic));
      if (result) out.push({ before: state, result });
    } else if (state.leader !== null && state.isr.some(dead)) {
      const isr = state.isr.filter((r) => !dead(r));
      const next = { ...state, isr, leaderEpoch: state.leaderEpoch + (bumpLeaderEpochOnShrink ? 1 : 0), partitionEpoch: state.partitionEpoch + 1 };
      out.push({ before: state, result: { state: next, kind: 'clean' } });
    }
  }
  return out;
}

/**
 * auto.leader.rebalance.enable (PreferredReplicaPartitionLeaderElection): for each broker whose
 * preferred partitions (it is their first replica) are led elsewhere more than `percentage` %
 * of the time, the partitions where it is alive and in the ISR get it back as leader.
 */
export function preferredLeaderElections(states: Iterable<PartitionState>, live: (broker: string) => boolean, percentage: number): PartitionState[] {
  const changed: PartitionState[] = [];
  const byPreferred = new Map<string, PartitionState[]>();
  for (const s of states) {
    const preferred = s.replicas[0]!;
    let list = byPreferred.get(preferred);
    if (!list) byPreferred.set(preferred, (list = []));
    list.push(s);
  }
  for (const [preferred, list] of byPreferred) {
    const elsewhere = list.filter((s) => s.leader !== preferred);
    if (elsewhere.length === 0 || (elsewhere.length * 100) / list.length <= percentage) continue;
    if (!live(preferred)) continue;
    for (const s of elsewhere) {
      if (!s.isr.includes(preferred)) continue;
      changed.push({ ...s, leader: preferred, leaderEpoch: s.leaderEpoch + 1, partitionEpoch: s.partitionEpoch + 1 });
    }
  }
  return changed;
}

/** AlterPartition as both controllers validate it; null when accepted (with the new state). */
export function validateAlterPartition(
  state: PartitionState | undefined, request: AlterPartition, live: (broker: string) => boolean,
): { error: 'FENCED_LEADER_EPOCH' | 'INVALID_UPDATE_VERSION'; state?: PartitionState } | { error: 'NONE'; state: PartitionState } {
  if (!state || state.leader !== request.broker || state.leaderEpoch !== request.leaderEpoch) return { error: 'FENCED_LEADER_EPOCH' };
  if (state.partitionEpoch !== request.partitionEpoch) return { error: 'INVALID_UPDATE_VERSION', state };
  // KIP-841: only live (registered, unfenced) brokers may join the ISR.
  const isr = request.newIsr.filter((r) => r === state.leader || live(r) || state.isr.includes(r));
  return { error: 'NONE', state: { ...state, isr, partitionEpoch: state.partitionEpoch + 1 } };
}

import type { Timer } from '../../../sim/kernel.js';
import type { NodeContext } from '../../../sim/node.js';
import type { Micros } from '../../../sim/time.js';
import { timersOf } from '../../../sim/timers.js';
import {
  partitionChangesOnFailure, electPartitionLeader, preferredLeaderElections, reportElection, validateAlterPartition, type TopicAssignment,
} from '../controller.js';
import { note } from '../notes.js';
import type { AlterPartition, AlterPartitionResponse, CreatePartitions, CreatePartitionsResponse, KafkaError, PartitionState } from '../protocol.js';
import type { BrokerConfig } from '../schema.js';
import type { KafkaStats } from '../stats.js';
import { MetadataImage } from './image.js';
import {
  KRAFT_HEADER_BYTES, sendKraft,
  type AllocateProducerIds, type BrokerHeartbeat, type BrokerRegistration, type MetadataEntry, type MetadataRecord,
} from './protocol.js';

/**
 * The active controller's duties (KIP-631's QuorumController), run by the Raft leader of
 * `__cluster_metadata` once its epoch start has committed (controller.ts is the Raft side).
 * It replays the log into its image and serves:
 *
 * - BrokerRegistration: a RegisterBrokerRecord, the broker epoch being the record's offset;
 *   refused with DUPLICATE_BROKER_REGISTRATION while an older incarnation's session is live;
 * - BrokerHeartbeat: unfences a broker caught up to its registration (electing leaders for the
 *   offline partitions it can lead); a broker without a heartbeat for broker.session.timeout.ms
 *   is fenced: its leaderships move (the leader election shared with ZooKeeper mode) and it
 *   leaves every ISR;
 * - AlterPartition, AllocateProducerIds, CreatePartitions, the scenario's topics at start-up and
 *   auto.leader.rebalance.
 *
 * Every change is a record appended through the Raft leader and answered once a majority has
 * committed it; brokers learn it by fetching the log. Counts (elections, ISR changes, fencings)
 * are taken when records commit (publisher.ts), not here.
 */

/** What the active controller needs from its Raft side. */
export interface RaftLeader {
  readonly ctx: NodeContext;
  readonly epoch: number;
  readonly leader: string | null;
  readonly logEnd: number;
  readonly log: readonly MetadataEntry[];
  isLeader(): boolean;
  /** Appends records in this leader's epoch; `then` runs once they commit. Returns the last offset. */
  append(records: MetadataRecord[], then?: () => void): number;
}

export interface QuorumControllerOptions {
  brokers: readonly string[];
  topics: readonly TopicAssignment[];
  config: BrokerConfig;
  stats: KafkaStats;
}

/** The active controller's timers (fired on the controller node, which routes them here). */
export type QuorumControllerTimer =
  | { tag: 'qc-fence-stale-brokers'; data: undefined }
  | { tag: 'qc-leader-rebalance'; data: number }
  | { tag: 'qc-create-topics'; data: undefined };
const timers = timersOf<QuorumControllerTimer>();

export class QuorumController {
  active = false;
  private image: MetadataImage | null = null;
  private readonly sessions = new Map<string, Micros>();
  private fenceTimer: Timer | null = null;
  private topicsCreated = false;
  private activatedAt: Micros = 0;

  constructor(private readonly raft: RaftLeader, private readonly options: QuorumControllerOptions) {}

  private get ctx(): NodeContext {
    return this.raft.ctx;
  }

  private get config(): BrokerConfig {
    return this.options.config;
  }

  /** A record appended to the log: the active controller's image follows it. */
  apply(entry: MetadataEntry): void {
    this.image?.apply(entry);
  }

  /** Leadership lost: no longer the active controller. */
  deactivate(): void {
    if (this.active) note(this.ctx, 'controller-resigned', { epoch: this.raft.epoch });
    this.active = false;
    this.image = null;
    this.sessions.clear();
    this.ctx.cancelTimer(this.fenceTimer);
    this.fenceTimer = null;
  }

  /** 'qc-fence-stale-brokers' */
  onFenceTimer(): void {
    this.fenceTimer = null;
    this.fenceStaleBrokers();
  }

  /** 'qc-create-topics': broker.session.timeout.ms after activation, create the topics with the brokers there are. */
  onCreateTopicsTimer(): void {
    if (this.active && !this.topicsCreated) this.createTopics();
  }

  /** The epoch start committed: this leader is now the active controller. */
  activate(): void {
    this.active = true;
    this.activatedAt = this.ctx.trueNow();
    this.image = MetadataImage.replay(this.raft.log);
    this.options.stats.controllerElections++;
    note(this.ctx, 'became-controller', { epoch: this.raft.epoch, metadataOffset: this.raft.logEnd });
    // A new active controller gives every registered broker a fresh session.
    const now = this.ctx.trueNow();
    for (const [broker, b] of this.image.brokers) if (!b.fenced) this.sessions.set(broker, now);
    this.scheduleFenceCheck();
    this.topicsCreated = this.options.topics.every((t) => this.image!.partitions.has(`${t.topic}-0`));
    if (!this.topicsCreated) timers.set(this.ctx, this.config.brokerSessionTimeout, 'qc-create-topics', undefined);
    if (this.config.autoLeaderRebalance) timers.set(this.ctx, this.config.leaderImbalanceCheckInterval, 'qc-leader-rebalance', this.raft.epoch);
  }

  private notController(): boolean {
    return !this.active || !this.raft.isLeader();
  }

  private topicOf(name: string): TopicAssignment | undefined {
    return this.options.topics.find((t) => t.topic === name);
  }

  /**
   * The scenario's topics (CreateTopics at start-up): once every broker is registered and
   * unfenced (or broker.session.timeout.ms after activation, with those that are), one
   * PartitionRecord per partition: leader the first unfenced replica, ISR the unfenced replicas.
   */
  createTopics(): void {
    const image = this.image!;
    this.topicsCreated = true;
    const records: MetadataRecord[] = [];
    for (const topic of this.options.topics) {
      topic.partitions.forEach((replicas, partition) => {
        if (image.partitions.has(`${topic.topic}-${partition}`)) return;
        const isr = replicas.filter((r) => image.isUnfenced(r));
        const state: PartitionState = { topic: topic.topic, partition, replicas, leader: isr[0] ?? null, leaderEpoch: 0, isr, partitionEpoch: 0 };
        records.push({ type: 'PartitionRecord', state });
      });
    }
    if (records.length > 0) {
      note(this.ctx, 'topics-created', { partitions: records.length });
      this.raft.append(records);
    }
  }

  onBrokerRegistration(from: string, request: BrokerRegistration): void {
    const reply = (error: 'NONE' | 'NOT_CONTROLLER' | 'DUPLICATE_BROKER_REGISTRATION', brokerEpoch: number) => sendKraft(this.ctx, from, {
      type: 'BrokerRegistrationResponse', id: request.id, error, brokerEpoch, leader: this.raft.leader,
    });
    if (this.notController()) return reply('NOT_CONTROLLER', -1);
    const image = this.image!;
    const existing = image.brokers.get(request.broker);
    const now = this.ctx.trueNow();
    if (existing && existing.incarnation !== request.incarnation && this.hasSession(request.broker, now)) {
      note(this.ctx, 'duplicate-broker-registration', { broker: request.broker });
      return reply('DUPLICATE_BROKER_REGISTRATION', -1);
    }
    const records: MetadataRecord[] = [];
    if (existing && !existing.fenced) records.push(...this.fencingRecords(request.broker, existing.brokerEpoch));
    records.push({ type: 'RegisterBrokerRecord', broker: request.broker, incarnation: request.incarnation, brokerEpoch: -1 });
    this.sessions.set(request.broker, now);
    const brokerEpoch = this.raft.logEnd + records.length - 1;
    this.raft.append(records, () => reply('NONE', brokerEpoch));
  }

  private hasSession(broker: string, now: Micros): boolean {
    const last = this.sessions.get(broker);
    return last !== undefined && now - last < this.config.brokerSessionTimeout;
  }

  onBrokerHeartbeat(from: string, request: BrokerHeartbeat): void {
    const reply = (error: 'NONE' | 'NOT_CONTROLLER' | 'STALE_BROKER_EPOCH', fenced: boolean) => sendKraft(this.ctx, from, {
      type: 'BrokerHeartbeatResponse', id: request.id, error, isCaughtUp: !fenced, isFenced: fenced, leader: this.raft.leader,
    });
    if (this.notController()) return reply('NOT_CONTROLLER', true);
    const image = this.image!;
    const registration = image.brokers.get(request.broker);
    if (!registration || registration.brokerEpoch !== request.brokerEpoch) return reply('STALE_BROKER_EPOCH', true);
    const now = this.ctx.trueNow();
    if (registration.fenced) {
      // Unfenced once it has caught up with the metadata log to its own registration (KIP-631).
      if (request.currentMetadataOffset <= registration.brokerEpoch) return reply('NONE', true);
      this.sessions.set(request.broker, now);
      const records: MetadataRecord[] = [{ type: 'BrokerRegistrationChangeRecord', broker: request.broker, brokerEpoch: registration.brokerEpoch, fenced: false }];
      const live = (b: string) => b === request.broker || image.isUnfenced(b);
      for (const state of image.partitions.values()) {
        if (state.leader !== null || !state.replicas.includes(request.broker)) continue;
        const result = electPartitionLeader(state, live, this.topicOf(state.topic)?.uncleanLeaderElection ?? this.config.uncleanLeaderElection);
        if (result) {
          reportElection(this.ctx, this.options.stats, state, result, false);
          records.push({ type: 'PartitionChangeRecord', state: result.state });
        }
      }
      note(this.ctx, 'broker-unfenced', { broker: request.broker, brokerEpoch: registration.brokerEpoch });
      this.raft.append(records, () => reply('NONE', false));
      this.scheduleFenceCheck();
      if (!this.topicsCreated && this.options.brokers.every((b) => image.isUnfenced(b))) this.createTopics();
      return;
    }
    this.sessions.set(request.broker, now);
    reply('NONE', false);
  }

  /** Records that fence a broker: its registration fenced, its leaderships moved, it leaves every ISR. */
  private fencingRecords(broker: string, brokerEpoch: number): MetadataRecord[] {
    const image = this.image!;
    const records: MetadataRecord[] = [{ type: 'BrokerRegistrationChangeRecord', broker, brokerEpoch, fenced: true }];
    const dead = (b: string) => b === broker;
    const live = (b: string) => b !== broker && image.isUnfenced(b);
    const unclean = (t: string) => this.topicOf(t)?.uncleanLeaderElection ?? this.config.uncleanLeaderElection;
    for (const { before, result } of partitionChangesOnFailure([...image.partitions.values()], dead, live, unclean, false)) {
      if (before.leader === broker) reportElection(this.ctx, this.options.stats, before, result, false);
      records.push({ type: 'PartitionChangeRecord', state: result.state });
    }
    return records;
  }

  private scheduleFenceCheck(): void {
    if (this.fenceTimer !== null || !this.active) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const [broker, last] of this.sessions) if (this.image!.isUnfenced(broker)) earliest = Math.min(earliest, last + this.config.brokerSessionTimeout);
    if (earliest === Number.POSITIVE_INFINITY) return;
    this.fenceTimer = timers.set(this.ctx, Math.max(0, earliest - this.ctx.trueNow()), 'qc-fence-stale-brokers', undefined);
  }

  fenceStaleBrokers(): void {
    if (this.notController()) return;
    const image = this.image!;
    const now = this.ctx.trueNow();
    for (const broker of image.unfencedBrokers()) {
      const last = this.sessions.get(broker) ?? this.activatedAt;
      if (now - last < this.config.brokerSessionTimeout) continue;
      const registration = image.brokers.get(broker)!;
      note(this.ctx, 'broker-fenced', { broker, brokerEpoch: registration.brokerEpoch, sinceHeartbeatMs: (now - last) / 1000 });
      this.sessions.delete(broker);
      this.raft.append(this.fencingRecords(broker, registration.brokerEpoch));
    }
    this.scheduleFenceCheck();
  }

  onAlterPartition(from: string, request: AlterPartition): void {
    const reply = (response: Omit<AlterPartitionResponse, 'type' | 'topic' | 'partition'>) => {
      const message: AlterPartitionResponse = { type: 'AlterPartitionResponse', topic: request.topic, partition: request.partition, ...response };
      this.ctx.send(from, message, KRAFT_HEADER_BYTES);
    };
    if (this.notController()) return reply({ error: 'NOT_LEADER_OR_FOLLOWER' });
    const image = this.image!;
    const state = image.partitions.get(`${request.topic}-${request.partition}`);
    const checked = validateAlterPartition(state, request, (b) => image.isUnfenced(b));
    if (checked.error !== 'NONE' || !state) return reply({ error: checked.error, ...(checked.state ? { state: checked.state } : {}) });
    const next = checked.state;
    this.raft.append([{ type: 'PartitionChangeRecord', state: next }], () => reply({ error: 'NONE', state: next }));
  }

  onAllocateProducerIds(from: string, request: AllocateProducerIds): void {
    if (this.notController()) {
      sendKraft(this.ctx, from, { type: 'AllocateProducerIdsResponse', error: 'NOT_CONTROLLER', first: -1, count: 0 });
      return;
    }
    const first = this.image!.nextProducerId;
    const count = 1000;
    this.raft.append([{ type: 'ProducerIdsRecord', broker: request.broker, nextProducerId: first + count }], () => {
      sendKraft(this.ctx, from, { type: 'AllocateProducerIdsResponse', error: 'NONE', first, count });
    });
  }

  /**
   * CreatePartitions (forwarded by a broker, KIP-590): one PartitionRecord per new partition,
   * leader the first unfenced replica, ISR the unfenced replicas; answered once committed.
   */
  onCreatePartitions(from: string, request: CreatePartitions): void {
    const reply = (error: KafkaError, message?: string) => {
      const response: CreatePartitionsResponse = { type: 'CreatePartitionsResponse', id: request.id, error, ...(message !== undefined ? { message } : {}) };
      this.ctx.send(from, response, KRAFT_HEADER_BYTES);
    };
    if (this.notController()) return reply('NOT_CONTROLLER');
    const image = this.image!;
    if (!this.topicOf(request.topic)) return reply('UNKNOWN_TOPIC_OR_PARTITION');
    let current = 0;
    while (image.partitions.has(`${request.topic}-${current}`)) current++;
    if (request.count <= current) return reply('INVALID_PARTITIONS', `Topic currently has ${current} partitions, ${request.count} would not increase the count.`);
    if (request.assignments.length !== request.count - current) return reply('INVALID_PARTITIONS', `${request.count - current} new partitions need ${request.count - current} replica assignments.`);
    const records: MetadataRecord[] = request.assignments.map((assigned, i) => {
      const replicas = [...assigned];
      const isr = replicas.filter((r) => image.isUnfenced(r));
      return { type: 'PartitionRecord', state: { topic: request.topic, partition: current + i, replicas, leader: isr[0] ?? null, leaderEpoch: 0, isr, partitionEpoch: 0 } };
    });
    note(this.ctx, 'partitions-created', { topic: request.topic, from: current, to: request.count });
    this.raft.append(records, () => reply('NONE'));
  }

  rebalanceLeaders(): void {
    if (this.notController()) return;
    const image = this.image!;
    const changed = preferredLeaderElections(image.partitions.values(), (b) => image.isUnfenced(b), this.config.leaderImbalancePercentage);
    for (const next of changed) {
      note(this.ctx, 'preferred-leader-elected', { partition: `${next.topic}-${next.partition}`, leader: next.leader, leaderEpoch: next.leaderEpoch });
    }
    if (changed.length > 0) this.raft.append(changed.map((state) => ({ type: 'PartitionChangeRecord', state })));
    timers.set(this.ctx, this.config.leaderImbalanceCheckInterval, 'qc-leader-rebalance', this.raft.epoch);
  }
}

import { DiskFullError, type DiskFile } from '../../sim/disk.js';
import type { Timer } from '../../sim/kernel.js';
import type { Actor, Message, NodeContext } from '../../sim/node.js';
import type { Micros } from '../../sim/time.js';
import type { StateStore } from '../../sim/state.js';
import { Controller, type TopicAssignment } from './controller.js';
import { GroupCoordinator, OFFSETS_TOPIC, type GroupsState } from './group-coordinator.js';
import { epochTruncationOffset, PartitionLog } from './log.js';
import { sendTo,
  HEADER_BYTES, RECORD_OVERHEAD,
  type AlterPartition, type AlterPartitionResponse, type ControlResponse, type Fetch, type FetchResponse, type InitProducerId,
  type KafkaError, type LeaderAndIsr, type ListOffsets, type LogRecord, type MetadataRequest, type OffsetsForLeaderEpoch,
  type OffsetsForLeaderEpochResponse, type PartitionState, type Produce, type ProduceResponse, type UpdateMetadata,
  type ZkAllocateProducerIdsResponse, type ZkBrokersChanged, type ZkConnectResponse, type ZkControllerChanged,
  type ZkCreateControllerResponse, type ZkPingResponse, type ZkSetPartitionsResponse,
  type CreatePartitions, type CreatePartitionsResponse,
  type FindCoordinator, type Heartbeat, type JoinGroup, type LeaveGroup, type OffsetCommit, type OffsetFetch, type SyncGroup,
} from './protocol.js';
import type { BrokerConfig } from './schema.js';
import type { KafkaStats } from './stats.js';
import { BrokerKraftClient } from './kraft/broker-client.js';
import { CONTROLLER_MESSAGES, isControllerTimer, type KraftController } from './kraft/controller.js';
import { METADATA_TOPIC, type AllocateProducerIdsResponse, type BrokerHeartbeatResponse, type BrokerRegistrationResponse, type MetadataFetchResponse } from './kraft/protocol.js';
import type { InvariantProbe } from './invariants.js';

/**
 * A Kafka broker (ZooKeeper mode). It registers with ZooKeeper (ephemeral /brokers/ids/N; a
 * restarted broker retries while its previous session's node is still there, and takes no
 * LeaderAndIsr until it is registered) and heartbeats,
 * tries to become controller when /controller is free, and runs the Controller if it wins.
 *
 * Replica manager, per partition it hosts:
 * - leader: appends Produce batches (idempotent producers' sequences checked against the last 5
 *   batches per producer id), answers acks=1 at once and acks=all when the high watermark
 *   passes the batch (HW = min LEO over the ISR), refuses acks=all with fewer than
 *   min.insync.replicas in the ISR (NOT_ENOUGH_REPLICAS). It serves follower Fetches (their
 *   fetch offset is their LEO; long poll up to replica.fetch.wait.max.ms), tracks each
 *   follower's LEO and last caught-up time, shrinks the ISR after replica.lag.time.max.ms and
 *   expands it when a follower catches up, through AlterPartition to the controller. Consumers
 *   read only below the HW.
 * - follower: on LeaderAndIsr truncates (leader epochs: OffsetsForLeaderEpoch to the leader,
 *   KIP-101/KIP-279; inter.broker.protocol.version < 0.11.0: to its own HW, the old way), then
 *   fetches from the leader, appending what it gets and taking the HW from the response.
 *
 * Storage: partition logs (log.ts) on the node's disk, the HW checkpoint file written every
 * replica.high.watermark.checkpoint.interval.ms; after a crash the broker rebuilds everything
 * from its disk.
 */

interface FollowerState {
  leo: number;
  lastCaughtUp: Micros;
  lastFetchLeaderLeo: number;
  lastFetchTime: Micros;
}

interface DelayedProduce {
  from: string;
  request: Produce;
  baseOffset: number;
  requiredOffset: number;
  timer: Timer;
}

/** An internal append (offset commit, group metadata) waiting for the high watermark. */
interface InternalWaiter {
  requiredOffset: number;
  done: (error: KafkaError) => void;
  timer: Timer;
}

interface ParkedFetch {
  from: string;
  request: Fetch;
  timer: Timer;
}

class Replica {
  leader: string | null = null;
  leaderEpoch = -1;
  partitionEpoch = -1;
  isr: string[] = [];
  pendingIsr: string[] | null = null;
  pendingIsrTimer: Timer | null = null;
  replicas: string[] = [];
  hw = 0;
  /** Log end offset when this broker became leader (the start of its epoch). */
  epochStartOffset = 0;
  readonly followers = new Map<string, FollowerState>();
  delayed: DelayedProduce[] = [];
  internal: InternalWaiter[] = [];
  parked: ParkedFetch[] = [];
  /** Follower side: the Fetch (or OffsetsForLeaderEpoch) in flight, by id; 0 none. */
  fetchId = 0;
  fetchTimer: Timer | null = null;
  truncating = false;

  constructor(readonly topic: string, readonly partition: number, readonly key: string, readonly log: PartitionLog) {}

  isLeaderOn(me: string): boolean {
    return this.leader === me;
  }
}

interface HwCheckpoint {
  hws: [string, number][];
}

export interface BrokerOptions {
  config: BrokerConfig;
  topics: readonly TopicAssignment[];
  stats: KafkaStats;
  zk: string;
  /** The consumer groups' state store, when the scenario uses groups (the broker then coordinates). */
  groups?: StateStore<GroupsState>;
  /** KRaft mode: the controller quorum voters (the broker registers with, heartbeats to and fetches metadata from them; no ZooKeeper). */
  kraft?: {
    voters: readonly string[];
    /**
     * Combined mode (process.roles=broker,controller): this broker also runs a quorum voter, made by
     * this factory; the two share the node's Raft client (`leaderChanged`).
     */
    controller?: (shared: { leaderChanged(leader: string | null, epoch: number): void }) => KraftController;
  };
  /** The invariant checker, when the scenario turns it on (cluster.invariants); absent, nothing is checked. */
  invariants?: InvariantProbe;
}

export class KafkaBroker implements Actor {
  private ctx!: NodeContext;
  private readonly replicas = new Map<string, Replica>();
  private session = -1;
  private registered = false;
  private early: { from: string; message: Message }[] = [];
  private controllerName: string | null = null;
  private controllerEpochSeen = 0;
  private controller: Controller | null = null;
  private metadata = new Map<string, PartitionState>();
  private hwFile!: DiskFile<HwCheckpoint>;
  private nextId = 1;
  private pidBlock: { next: number; end: number } | null = null;
  private pidWaiters: { from: string; request: InitProducerId }[] = [];
  private pidRequested = false;
  private readonly minIsr = new Map<string, number>();
  private coordinator: GroupCoordinator | null = null;
  private kraft: BrokerKraftClient | null = null;
  /** Combined mode: the KRaft controller this broker process also runs. */
  private kraftController: KraftController | null = null;
  /** KRaft: admin requests forwarded to the active controller, by forwarded id. */
  private readonly forwarded = new Map<number, { from: string; id: number }>();

  constructor(private readonly options: BrokerOptions) {
    for (const t of options.topics) this.minIsr.set(t.topic, t.minInsyncReplicas);
  }

  private get config(): BrokerConfig {
    return this.options.config;
  }

  start(ctx: NodeContext, restarted: boolean): void {
    this.ctx = ctx;
    this.hwFile = ctx.disk.file<HwCheckpoint>('replication-offset-checkpoint');
    if (restarted) this.recover();
    if (this.options.groups) {
      this.coordinator = new GroupCoordinator(ctx, {
        isLeaderOf: (p) => this.replicas.get(`${OFFSETS_TOPIC}-${p}`)?.isLeaderOn(ctx.name) === true,
        append: (p, records, done) => this.appendInternal(p, records, done),
        readAll: (p) => {
          const r = this.replicas.get(`${OFFSETS_TOPIC}-${p}`);
          return r ? r.log.read(r.log.logStartOffset, r.log.logEndOffset, Number.POSITIVE_INFINITY) : [];
        },
      }, this.config, this.options.stats, this.options.groups);
    }
    if (this.options.kraft?.controller) {
      this.kraftController = this.options.kraft.controller({ leaderChanged: (leader, epoch) => this.kraft?.leaderHint(leader, epoch) });
      this.kraftController.start(ctx, restarted);
    }
    if (this.options.kraft) this.startKraft(this.options.kraft.voters);
    else this.zkConnect();
    ctx.setTimer(this.config.hwCheckpointInterval, 'hw-checkpoint');
    ctx.setTimer(Math.max(1_000, Math.floor(this.config.replicaLagTimeMax / 2)), 'isr-expiration');
    ctx.setTimer(this.config.retentionCheckInterval, 'retention');
    if (this.config.autoLeaderRebalance) ctx.setTimer(this.config.leaderImbalanceCheckInterval, 'leader-rebalance');
  }

  // ------------------------------------------------------------------ dispatch

  receive(from: string, message: Message): void {
    if (this.kraftController !== null && this.forController(message)) {
      this.kraftController.receive(from, message);
      return;
    }
    // Until it is registered in ZooKeeper (startup fails while the previous incarnation's
    // /brokers/ids node is still there) the broker takes no orders from a controller.
    if (!this.registered && (message.type === 'LeaderAndIsr' || message.type === 'UpdateMetadata')) {
      // Controller requests wait for the registration (the controller's channel keeps retrying);
      // those that came while an older registration blocked ours were meant for that one.
      this.early.push({ from, message });
      return;
    }
    switch (message.type) {
      case 'Produce': return this.onProduce(from, message as Produce);
      case 'Fetch': return this.onFetch(from, message as Fetch);
      case 'FetchResponse':
        if (this.kraft !== null && (message as FetchResponse).topic === METADATA_TOPIC) return this.kraft.onFetchResponse(message as unknown as MetadataFetchResponse);
        return this.onFetchResponse(message as FetchResponse);
      case 'BrokerRegistrationResponse':
        this.kraft?.onRegistrationResponse(message as BrokerRegistrationResponse);
        return;
      case 'BrokerHeartbeatResponse':
        this.kraft?.onHeartbeatResponse(message as BrokerHeartbeatResponse);
        return;
      case 'AllocateProducerIdsResponse':
        this.kraft?.onAllocateResponse(message as AllocateProducerIdsResponse);
        return;
      case 'OffsetsForLeaderEpoch': return this.onOffsetsForLeaderEpoch(from, message as OffsetsForLeaderEpoch);
      case 'OffsetsForLeaderEpochResponse': return this.onOffsetsForLeaderEpochResponse(message as OffsetsForLeaderEpochResponse);
      case 'ListOffsets': return this.onListOffsets(from, message as ListOffsets);
      case 'Metadata': return this.onMetadata(from, message as MetadataRequest);
      case 'InitProducerId': return this.onInitProducerId(from, message as InitProducerId);
      case 'LeaderAndIsr': return this.onLeaderAndIsr(from, message as LeaderAndIsr);
      case 'UpdateMetadata': return this.onUpdateMetadata(from, message as UpdateMetadata);
      case 'LeaderAndIsrResponse':
      case 'UpdateMetadataResponse':
        this.controller?.onResponse(message as ControlResponse);
        return;
      case 'AlterPartition':
        if (this.controller) this.controller.onAlterPartition(from, message as AlterPartition);
        else sendTo(this.ctx, from, { type: 'AlterPartitionResponse', topic: (message as AlterPartition).topic, partition: (message as AlterPartition).partition, error: 'NOT_LEADER_OR_FOLLOWER' } satisfies AlterPartitionResponse);
        return;
      case 'AlterPartitionResponse': return this.onAlterPartitionResponse(message as AlterPartitionResponse);
      case 'ZkConnectResponse': return this.onZkConnect(message as ZkConnectResponse);
      case 'ZkPingResponse': return this.onZkPing(message as ZkPingResponse);
      case 'ZkCreateControllerResponse': return this.onCreateController(message as ZkCreateControllerResponse);
      case 'ZkControllerChanged': return this.onControllerChanged(message as ZkControllerChanged);
      case 'ZkBrokersChanged':
        if (this.controller) this.controller.brokersChanged((message as ZkBrokersChanged).liveBrokers);
        return;
      case 'ZkSetPartitionsResponse':
        if (this.controller) {
          this.controller.onZkWrite(message as ZkSetPartitionsResponse);
          if (this.controller.fenced) this.resign();
        }
        return;
      case 'ZkAllocateProducerIdsResponse': return this.onPidBlock(message as ZkAllocateProducerIdsResponse);
      case 'CreatePartitions': return this.onCreatePartitions(from, message as CreatePartitions);
      case 'CreatePartitionsResponse': return this.onForwardedResponse(message as CreatePartitionsResponse);
      case 'FindCoordinator': return this.onFindCoordinator(from, message as FindCoordinator);
      case 'JoinGroup':
        if (this.coordinator) this.coordinator.onJoinGroup(from, message as JoinGroup);
        return;
      case 'SyncGroup':
        if (this.coordinator) this.coordinator.onSyncGroup(from, message as SyncGroup);
        return;
      case 'Heartbeat':
        if (this.coordinator) this.coordinator.onHeartbeat(from, message as Heartbeat);
        return;
      case 'LeaveGroup':
        if (this.coordinator) this.coordinator.onLeaveGroup(from, message as LeaveGroup);
        return;
      case 'OffsetCommit':
        if (this.coordinator) this.coordinator.onOffsetCommit(from, message as OffsetCommit);
        return;
      case 'OffsetFetch':
        if (this.coordinator) this.coordinator.onOffsetFetch(from, message as OffsetFetch);
        return;
      default:
    }
  }

  /** Combined mode: what the hosted controller takes (quorum RPCs, broker lifecycle, voters' metadata fetches, AlterPartition). */
  private forController(message: Message): boolean {
    if (CONTROLLER_MESSAGES.has(message.type) || message.type === 'AlterPartition') return true;
    if (message.type === 'Fetch') return (message as Fetch).topic === METADATA_TOPIC;
    if (message.type === 'FetchResponse') return (message as FetchResponse).topic === METADATA_TOPIC && (message as unknown as MetadataFetchResponse).voter;
    return false;
  }

  onTimer(tag: string, data: unknown): void {
    switch (tag) {
      case 'zk-connect':
        if (this.session < 0) this.zkConnect();
        return;
      case 'replica-follow': {
        const replica = data as Replica;
        replica.fetchTimer = null;
        this.startFollowing(replica);
        return;
      }
      case 'zk-ping': return this.zkPing();
      case 'hw-checkpoint':
        this.checkpointHighWatermarks();
        this.ctx.setTimer(this.config.hwCheckpointInterval, 'hw-checkpoint');
        return;
      case 'isr-expiration':
        this.maybeShrinkIsr();
        this.controller?.resendUnanswered(this.ctx.trueNow());
        this.ctx.setTimer(Math.max(1_000, Math.floor(this.config.replicaLagTimeMax / 2)), 'isr-expiration');
        return;
      case 'retention':
        this.applyRetention();
        this.ctx.setTimer(this.config.retentionCheckInterval, 'retention');
        return;
      case 'leader-rebalance':
        this.controller?.rebalanceLeaders(this.config.leaderImbalancePercentage);
        this.ctx.setTimer(this.config.leaderImbalanceCheckInterval, 'leader-rebalance');
        return;
      case 'produce-timeout': return this.onProduceTimeout(data as DelayedProduce);
      case 'internal-timeout': {
        const { replica, waiter } = data as { replica: Replica; waiter: InternalWaiter };
        const index = replica.internal.indexOf(waiter);
        if (index < 0) return;
        replica.internal.splice(index, 1);
        waiter.done('REQUEST_TIMED_OUT');
        return;
      }
      case 'fetch-wait': return this.onFetchWait(data as ParkedFetch);
      case 'replica-fetch': return this.sendReplicaFetch(data as Replica);
      case 'replica-fetch-timeout': {
        const { replica, id } = data as { replica: Replica; id: number };
        if (replica.fetchId === id) {
          replica.fetchId = 0;
          this.startFollowing(replica);
        }
        return;
      }
      case 'alter-partition-retry': {
        const replica = data as Replica;
        replica.pendingIsrTimer = null;
        if (replica.pendingIsr && replica.isLeaderOn(this.ctx.name)) this.sendAlterPartition(replica, replica.pendingIsr);
        return;
      }
      default:
        if (this.kraftController !== null && isControllerTimer(tag)) this.kraftController.onTimer(tag, data);
        else if (this.kraft !== null && tag.startsWith('kraft-')) this.kraft.onTimer(tag, data);
        else this.coordinator?.onTimer(tag, data);
    }
  }

  // ------------------------------------------------------------------ ZooKeeper session and controller election

  private zkConnect(): void {
    sendTo(this.ctx, this.options.zk, { type: 'ZkConnect', broker: this.ctx.name });
    // Until the session is up, try again every second (the ZooKeeper client reconnects).
    this.ctx.setTimer(1_000_000, 'zk-connect');
  }

  private onZkConnect(response: ZkConnectResponse): void {
    if (this.session >= 0) return;
    if (!response.ok) {
      this.ctx.note('zk-register-failed', { error: response.error ?? 'unknown' });
      this.early = [];
      return;
    }
    this.session = response.session;
    this.registered = true;
    const early = this.early;
    this.early = [];
    for (const { from, message } of early) this.receive(from, message);
    this.ctx.note('zk-registered', { session: response.session });
    this.zkPing();
    this.tryClaimController();
  }

  private zkPing(): void {
    if (this.session < 0) return;
    sendTo(this.ctx, this.options.zk, { type: 'ZkPing', session: this.session });
    this.ctx.setTimer(Math.floor(this.config.zkSessionTimeout / 3), 'zk-ping');
  }

  private onZkPing(response: ZkPingResponse): void {
    if (!response.expired || response.session !== this.session) return;
    // Session expired (e.g. after a partition): register again; a controller resigns.
    this.ctx.note('zk-session-expired', { session: this.session });
    this.session = -1;
    this.resign();
    this.zkConnect();
  }

  private tryClaimController(): void {
    if (this.session < 0) return;
    sendTo(this.ctx, this.options.zk, { type: 'ZkCreateController', session: this.session, broker: this.ctx.name });
  }

  private onCreateController(response: ZkCreateControllerResponse): void {
    this.controllerName = response.controller;
    if (!response.ok || this.controller) return;
    this.options.stats.controllerElections++;
    this.controllerEpochSeen = Math.max(this.controllerEpochSeen, response.controllerEpoch);
    this.ctx.note('became-controller', { epoch: response.controllerEpoch });
    this.controller = new Controller(this.ctx, response.controllerEpoch, this.options.topics, this.options.zk, this.config.controllerSocketTimeout, this.options.stats);
    this.controller.activate(response);
  }

  private onControllerChanged(changed: ZkControllerChanged): void {
    this.controllerName = changed.controller;
    if (changed.controller === null) {
      this.resign();
      this.tryClaimController();
    }
  }

  private resign(): void {
    if (!this.controller) return;
    this.ctx.note('controller-resigned', { epoch: this.controller.epoch });
    this.controller = null;
  }

  // ------------------------------------------------------------------ control requests

  private onLeaderAndIsr(from: string, request: LeaderAndIsr): void {
    if (request.controllerEpoch < this.controllerEpochSeen) {
      sendTo(this.ctx, from, { type: 'LeaderAndIsrResponse', correlationId: request.correlationId, error: 'STALE_CONTROLLER_EPOCH' } satisfies ControlResponse);
      return;
    }
    this.controllerEpochSeen = request.controllerEpoch;
    this.controllerName = request.controller;
    for (const state of request.partitions) this.applyPartitionState(state);
    sendTo(this.ctx, from, { type: 'LeaderAndIsrResponse', correlationId: request.correlationId, error: 'NONE' } satisfies ControlResponse);
    this.options.invariants?.changed(this.ctx.name, 'LeaderAndIsr');
  }

  /**
   * One partition's new state from the controller (a LeaderAndIsr entry in ZooKeeper mode, a
   * committed PartitionRecord / PartitionChangeRecord in KRaft mode): become leader or follower
   * when the leader epoch moved on, else take a newer ISR.
   */
  private applyPartitionState(state: PartitionState): void {
    const me = this.ctx.name;
    if (!state.replicas.includes(me)) return;
    const replica = this.replica(state.topic, state.partition);
    replica.replicas = state.replicas;
    if (state.leaderEpoch < replica.leaderEpoch) return;
    if (state.leaderEpoch === replica.leaderEpoch && state.leader === replica.leader) {
      if (state.partitionEpoch > replica.partitionEpoch && replica.isLeaderOn(me) && replica.pendingIsr === null) {
        replica.isr = [...state.isr];
        replica.partitionEpoch = state.partitionEpoch;
      }
      return;
    }
    if (state.leader === me) this.makeLeader(replica, state);
    else this.makeFollower(replica, state);
  }

  // ------------------------------------------------------------------ KRaft mode: metadata from the quorum

  private startKraft(voters: readonly string[]): void {
    // The incarnation id: unique per start of this broker (KIP-631 uses a random UUID).
    const incarnation = this.ctx.trueNow() * 1000 + Math.floor(this.ctx.random('incarnation').next() * 1000);
    this.registered = true;
    this.kraft = new BrokerKraftClient(this.ctx, voters, this.config, incarnation, {
      applyPartitions: (states) => {
        for (const state of states) this.applyPartitionState(state);
        this.options.invariants?.changed(this.ctx.name, 'metadata records applied');
      },
      metadataChanged: (states) => {
        for (const s of states) this.metadata.set(`${s.topic}-${s.partition}`, s);
      },
      controllerChanged: (controller) => {
        this.controllerName = controller;
      },
      producerIds: (first, count) => this.onPidBlock({ type: 'ZkAllocateProducerIdsResponse', first, count }),
    });
    this.kraft.start();
  }

  private onUpdateMetadata(from: string, request: UpdateMetadata): void {
    if (request.controllerEpoch >= this.controllerEpochSeen) {
      this.controllerEpochSeen = request.controllerEpoch;
      this.controllerName = request.controller;
      for (const s of request.partitions) {
        const key = `${s.topic}-${s.partition}`;
        const known = this.metadata.get(key);
        if (!known || s.leaderEpoch > known.leaderEpoch || (s.leaderEpoch === known.leaderEpoch && s.partitionEpoch >= known.partitionEpoch)) this.metadata.set(key, s);
      }
    }
    sendTo(this.ctx, from, { type: 'UpdateMetadataResponse', correlationId: request.correlationId, error: 'NONE' } satisfies ControlResponse);
  }

  private makeLeader(replica: Replica, state: PartitionState): void {
    const me = this.ctx.name;
    this.stopFetching(replica);
    replica.leader = me;
    replica.leaderEpoch = state.leaderEpoch;
    replica.partitionEpoch = state.partitionEpoch;
    replica.isr = [...state.isr];
    replica.pendingIsr = null;
    replica.epochStartOffset = replica.log.logEndOffset;
    if (this.config.leaderEpochs) replica.log.assignEpoch(state.leaderEpoch, replica.log.logEndOffset);
    replica.followers.clear();
    const now = this.ctx.trueNow();
    for (const r of state.replicas) {
      if (r === me) continue;
      replica.followers.set(r, { leo: -1, lastCaughtUp: state.isr.includes(r) ? now : 0, lastFetchLeaderLeo: -1, lastFetchTime: 0 });
    }
    if (replica.hw > replica.log.logEndOffset) replica.hw = replica.log.logEndOffset;
    this.ctx.note('became-leader', { partition: replica.key, leaderEpoch: state.leaderEpoch, leo: replica.log.logEndOffset, hw: replica.hw, isr: state.isr });
    this.maybeAdvanceHw(replica);
    if (replica.topic === OFFSETS_TOPIC) this.coordinator?.load(replica.partition);
  }

  private makeFollower(replica: Replica, state: PartitionState): void {
    const wasLeader = replica.isLeaderOn(this.ctx.name);
    replica.leader = state.leader;
    replica.leaderEpoch = state.leaderEpoch;
    replica.partitionEpoch = state.partitionEpoch;
    replica.isr = [...state.isr];
    replica.pendingIsr = null;
    replica.followers.clear();
    if (wasLeader) {
      for (const d of replica.delayed) {
        this.ctx.cancelTimer(d.timer);
        this.produceResponse(d.from, d.request, 'NOT_LEADER_OR_FOLLOWER', -1);
      }
      replica.delayed = [];
      this.failInternal(replica);
      if (replica.topic === OFFSETS_TOPIC) this.coordinator?.unload(replica.partition);
    }
    this.flushParked(replica, 'NOT_LEADER_OR_FOLLOWER');
    this.stopFetching(replica);
    if (state.leader === null) return;
    if (!this.config.leaderEpochs) {
      // Pre-KIP-101: truncate to the local high watermark, then fetch.
      this.truncate(replica, replica.hw, 'hw');
      this.startFollowing(replica);
      return;
    }
    this.startFollowing(replica);
  }

  private truncate(replica: Replica, offset: number, reason: string): void {
    const removed = replica.log.truncateTo(offset);
    if (replica.hw > replica.log.logEndOffset) replica.hw = replica.log.logEndOffset;
    if (removed > 0) {
      this.options.stats.truncatedRecords += removed;
      this.ctx.note('log-truncated', { partition: replica.key, to: offset, removed, reason });
      this.options.invariants?.changed(this.ctx.name, `truncation of ${replica.key} (${reason})`);
    }
  }

  // ------------------------------------------------------------------ follower side

  private stopFetching(replica: Replica): void {
    replica.fetchId = 0;
    this.ctx.cancelTimer(replica.fetchTimer);
    replica.fetchTimer = null;
    replica.truncating = false;
  }

  /** Starts (or restarts) the follower loop: with leader epochs, OffsetsForLeaderEpoch first. */
  private startFollowing(replica: Replica): void {
    if (replica.leader === null || replica.isLeaderOn(this.ctx.name)) return;
    if (this.config.leaderEpochs && replica.log.latestEpoch >= 0) {
      const id = this.nextId++;
      replica.fetchId = id;
      replica.truncating = true;
      sendTo(this.ctx, replica.leader, {
        type: 'OffsetsForLeaderEpoch', topic: replica.topic, partition: replica.partition,
        leaderEpoch: replica.log.latestEpoch, currentLeaderEpoch: replica.leaderEpoch, id,
      } satisfies OffsetsForLeaderEpoch, HEADER_BYTES);
      replica.fetchTimer = this.ctx.setTimer(this.config.replicaSocketTimeout, 'replica-fetch-timeout', { replica, id });
      return;
    }
    this.sendReplicaFetch(replica);
  }

  private sendReplicaFetch(replica: Replica): void {
    replica.fetchTimer = null;
    if (replica.leader === null || replica.isLeaderOn(this.ctx.name)) return;
    const id = this.nextId++;
    replica.fetchId = id;
    const fetch: Fetch = {
      type: 'Fetch', replica: this.ctx.name, topic: replica.topic, partition: replica.partition,
      fetchOffset: replica.log.logEndOffset, currentLeaderEpoch: replica.leaderEpoch,
      maxWait: this.config.replicaFetchWaitMax, maxBytes: this.config.replicaFetchMaxBytes, id,
    };
    sendTo(this.ctx, replica.leader, fetch, HEADER_BYTES);
    replica.fetchTimer = this.ctx.setTimer(this.config.replicaSocketTimeout, 'replica-fetch-timeout', { replica, id });
  }

  private backoffFetch(replica: Replica): void {
    replica.fetchId = 0;
    this.ctx.cancelTimer(replica.fetchTimer);
    replica.fetchTimer = this.ctx.setTimer(this.config.replicaFetchBackoff, 'replica-fetch', replica);
  }

  private onOffsetsForLeaderEpochResponse(response: OffsetsForLeaderEpochResponse): void {
    const replica = this.replicas.get(`${response.topic}-${response.partition}`);
    if (!replica || replica.fetchId !== response.id || !replica.truncating) return;
    this.ctx.cancelTimer(replica.fetchTimer);
    replica.truncating = false;
    if (response.error !== 'NONE') {
      replica.fetchId = 0;
      replica.fetchTimer = this.ctx.setTimer(this.config.replicaFetchBackoff, 'replica-follow', replica);
      return;
    }
    const target = epochTruncationOffset(replica.log, response.leaderEpoch, response.endOffset);
    if (target < 0) this.truncate(replica, replica.hw, 'no-epoch');
    else this.truncate(replica, target, 'leader-epoch');
    this.sendReplicaFetch(replica);
  }

  private onFetchResponse(response: FetchResponse): void {
    const replica = this.replicas.get(`${response.topic}-${response.partition}`);
    if (!replica || replica.fetchId !== response.id || replica.truncating) return;
    this.ctx.cancelTimer(replica.fetchTimer);
    replica.fetchTimer = null;
    replica.fetchId = 0;
    if (response.error === 'OFFSET_OUT_OF_RANGE') {
      // Our log end is past the leader's (it was elected uncleanly, or we kept more than its HW).
      if (replica.log.logEndOffset > response.logEndOffset) this.truncate(replica, response.logEndOffset, 'out-of-range');
      else {
        // Behind the leader's log start (retention deleted what we lack): start over there.
        const removed = replica.log.truncateFullyAndStartAt(response.logStartOffset);
        this.options.stats.truncatedRecords += removed;
        replica.hw = response.logStartOffset;
        this.ctx.note('log-reset', { partition: replica.key, to: response.logStartOffset, removed });
        this.options.invariants?.changed(this.ctx.name, `truncation of ${replica.key} (log reset)`);
      }
      this.sendReplicaFetch(replica);
      return;
    }
    if (response.error !== 'NONE') {
      this.backoffFetch(replica);
      return;
    }
    if (response.records.length > 0) {
      if (response.records[0]!.offset !== replica.log.logEndOffset) {
        this.sendReplicaFetch(replica);
        return;
      }
      try {
        replica.log.append(response.records);
      } catch (error) {
        if (!(error instanceof DiskFullError)) throw error;
        this.ctx.note('disk-full', { partition: replica.key });
        this.backoffFetch(replica);
        return;
      }
      this.maybeFlush(replica);
    }
    replica.hw = Math.min(response.highWatermark, replica.log.logEndOffset);
    this.sendReplicaFetch(replica);
  }

  // ------------------------------------------------------------------ leader side: fetch

  private onFetch(from: string, request: Fetch): void {
    const replica = this.replicas.get(`${request.topic}-${request.partition}`);
    const me = this.ctx.name;
    if (!replica || !replica.isLeaderOn(me)) return this.fetchError(from, request, 'NOT_LEADER_OR_FOLLOWER', replica);
    if (request.currentLeaderEpoch >= 0 && request.currentLeaderEpoch < replica.leaderEpoch) return this.fetchError(from, request, 'FENCED_LEADER_EPOCH', replica);
    if (request.currentLeaderEpoch > replica.leaderEpoch) return this.fetchError(from, request, 'UNKNOWN_LEADER_EPOCH', replica);
    const log = replica.log;
    if (request.fetchOffset > log.logEndOffset || request.fetchOffset < log.logStartOffset) {
      return this.fetchError(from, request, 'OFFSET_OUT_OF_RANGE', replica);
    }
    if (request.replica !== null) this.updateFollower(replica, request.replica, request.fetchOffset);
    const upTo = request.replica !== null ? log.logEndOffset : replica.hw;
    if (request.fetchOffset < upTo || request.maxWait <= 0) {
      this.respondFetch(from, request, replica);
      return;
    }
    const parked: ParkedFetch = { from, request, timer: null as unknown as Timer };
    parked.timer = this.ctx.setTimer(request.maxWait, 'fetch-wait', parked);
    replica.parked.push(parked);
  }

  private fetchError(from: string, request: Fetch, error: KafkaError, replica: Replica | undefined): void {
    const response: FetchResponse = {
      type: 'FetchResponse', topic: request.topic, partition: request.partition, id: request.id, error,
      highWatermark: replica?.hw ?? -1, logEndOffset: replica?.log.logEndOffset ?? -1, logStartOffset: replica?.log.logStartOffset ?? -1, records: [],
    };
    sendTo(this.ctx, from, response, HEADER_BYTES);
  }

  private respondFetch(from: string, request: Fetch, replica: Replica): void {
    const log = replica.log;
    const upTo = request.replica !== null ? log.logEndOffset : replica.hw;
    const records = log.read(request.fetchOffset, upTo, request.maxBytes);
    if (request.replica === null && this.options.invariants !== undefined && records.length > 0) this.options.invariants.consumerRead(this.ctx.name, replica.key, records, replica.hw);
    let bytes = HEADER_BYTES;
    for (let i = 0; i < records.length; i++) bytes += records[i]!.bytes + RECORD_OVERHEAD;
    const response: FetchResponse = {
      type: 'FetchResponse', topic: request.topic, partition: request.partition, id: request.id, error: 'NONE',
      highWatermark: replica.hw, logEndOffset: log.logEndOffset, logStartOffset: log.logStartOffset, records,
    };
    sendTo(this.ctx, from, response, bytes);
  }

  private onFetchWait(parked: ParkedFetch): void {
    const replica = this.replicas.get(`${parked.request.topic}-${parked.request.partition}`);
    if (!replica) return;
    const index = replica.parked.indexOf(parked);
    if (index < 0) return;
    replica.parked.splice(index, 1);
    if (replica.isLeaderOn(this.ctx.name)) this.respondFetch(parked.from, parked.request, replica);
    else this.fetchError(parked.from, parked.request, 'NOT_LEADER_OR_FOLLOWER', replica);
  }

  /** New data (or a new HW): answer the parked fetches that can now get something. */
  private wakeParked(replica: Replica): void {
    if (replica.parked.length === 0) return;
    const keep: ParkedFetch[] = [];
    for (const p of replica.parked) {
      const upTo = p.request.replica !== null ? replica.log.logEndOffset : replica.hw;
      if (p.request.fetchOffset < upTo) {
        this.ctx.cancelTimer(p.timer);
        this.respondFetch(p.from, p.request, replica);
      } else keep.push(p);
    }
    replica.parked = keep;
  }

  private flushParked(replica: Replica, error: KafkaError): void {
    for (const p of replica.parked) {
      this.ctx.cancelTimer(p.timer);
      this.fetchError(p.from, p.request, error, replica);
    }
    replica.parked = [];
  }

  private updateFollower(replica: Replica, follower: string, fetchOffset: number): void {
    const state = replica.followers.get(follower);
    if (!state) return;
    const now = this.ctx.trueNow();
    const leo = replica.log.logEndOffset;
    state.leo = fetchOffset;
    if (fetchOffset >= leo) state.lastCaughtUp = now;
    else if (fetchOffset >= state.lastFetchLeaderLeo && state.lastFetchLeaderLeo >= 0) state.lastCaughtUp = Math.max(state.lastCaughtUp, state.lastFetchTime);
    state.lastFetchLeaderLeo = leo;
    state.lastFetchTime = now;
    // ISR expansion: caught up to the HW and into this leader's epoch.
    if (!replica.isr.includes(follower) && replica.pendingIsr === null && fetchOffset >= replica.hw && fetchOffset >= replica.epochStartOffset) {
      this.sendAlterPartition(replica, [...replica.isr, follower]);
    }
    this.maybeAdvanceHw(replica);
  }

  /** The ISR used for the HW: committed ISR plus a pending expansion (KIP-497's maximal ISR). */
  private maximalIsr(replica: Replica): string[] {
    if (replica.pendingIsr === null) return replica.isr;
    const out = [...replica.isr];
    for (const r of replica.pendingIsr) if (!out.includes(r)) out.push(r);
    return out;
  }

  private maybeAdvanceHw(replica: Replica): void {
    const me = this.ctx.name;
    let hw = replica.log.logEndOffset;
    for (const r of this.maximalIsr(replica)) {
      if (r === me) continue;
      const f = replica.followers.get(r);
      const leo = f ? f.leo : -1;
      if (leo < hw) hw = leo;
    }
    if (hw > replica.hw) {
      replica.hw = hw;
      if (this.options.invariants !== undefined) this.options.invariants.hwAdvanced(me, replica.key);
      this.completeDelayed(replica);
      this.wakeParked(replica);
    }
  }

  // ------------------------------------------------------------------ ISR changes

  private maybeShrinkIsr(): void {
    const me = this.ctx.name;
    const now = this.ctx.trueNow();
    for (const replica of this.replicas.values()) {
      if (!replica.isLeaderOn(me) || replica.pendingIsr !== null) continue;
      const out = replica.isr.filter((r) => {
        if (r === me) return false;
        const f = replica.followers.get(r);
        return !f || now - f.lastCaughtUp > this.config.replicaLagTimeMax;
      });
      if (out.length === 0) continue;
      this.ctx.note('isr-shrink-proposed', { partition: replica.key, out });
      this.sendAlterPartition(replica, replica.isr.filter((r) => !out.includes(r)));
    }
  }

  private sendAlterPartition(replica: Replica, newIsr: string[]): void {
    replica.pendingIsr = newIsr;
    if (this.controllerName !== null) {
      const request: AlterPartition = {
        type: 'AlterPartition', broker: this.ctx.name, topic: replica.topic, partition: replica.partition,
        leaderEpoch: replica.leaderEpoch, partitionEpoch: replica.partitionEpoch, newIsr,
      };
      if (this.controllerName === this.ctx.name && this.controller) this.controller.onAlterPartition(this.ctx.name, request);
      else sendTo(this.ctx, this.controllerName, request, HEADER_BYTES);
    }
    this.ctx.cancelTimer(replica.pendingIsrTimer);
    replica.pendingIsrTimer = this.ctx.setTimer(5_000_000, 'alter-partition-retry', replica);
  }

  private onAlterPartitionResponse(response: AlterPartitionResponse): void {
    const replica = this.replicas.get(`${response.topic}-${response.partition}`);
    if (!replica || replica.pendingIsr === null) return;
    this.ctx.cancelTimer(replica.pendingIsrTimer);
    replica.pendingIsrTimer = null;
    const proposed = replica.pendingIsr;
    replica.pendingIsr = null;
    if (response.error !== 'NONE' || !response.state) {
      if (response.error === 'INVALID_UPDATE_VERSION' && response.state && response.state.leaderEpoch === replica.leaderEpoch) {
        replica.isr = [...response.state.isr];
        replica.partitionEpoch = response.state.partitionEpoch;
      }
      return;
    }
    const before = replica.isr;
    replica.isr = [...response.state.isr];
    replica.partitionEpoch = response.state.partitionEpoch;
    this.ctx.note(replica.isr.length < before.length ? 'isr-shrink' : 'isr-expand', { partition: replica.key, isr: replica.isr, proposed });
    this.maybeAdvanceHw(replica);
    this.completeDelayed(replica);
    this.options.invariants?.changed(this.ctx.name, `ISR change of ${replica.key}`);
  }

  // ------------------------------------------------------------------ produce

  private onProduce(from: string, request: Produce): void {
    const replica = this.replicas.get(`${request.topic}-${request.partition}`);
    const me = this.ctx.name;
    if (!replica || !replica.isLeaderOn(me)) return this.produceResponse(from, request, 'NOT_LEADER_OR_FOLLOWER', -1);
    const minIsr = this.minIsr.get(request.topic) ?? this.config.minInsyncReplicas;
    if (request.acks === -1 && replica.isr.length < minIsr) {
      this.options.stats.notEnoughReplicas++;
      this.ctx.note('not-enough-replicas', { partition: replica.key, isr: replica.isr.length, minIsr });
      return this.produceResponse(from, request, 'NOT_ENOUGH_REPLICAS', -1);
    }
    const log = replica.log;
    const count = request.records.length;
    const baseOffset = log.logEndOffset;
    if (request.producerId >= 0) {
      const entry = log.producers.get(request.producerId);
      const first = request.baseSequence;
      const last = first + count - 1;
      if (entry) {
        const dup = entry.batches.find((b) => b.first === first && b.last === last);
        if (dup) {
          // DUPLICATE_SEQUENCE_NUMBER: already written; answer with where it is.
          this.options.stats.duplicateBatches++;
          this.ctx.note('duplicate-batch', { partition: replica.key, producerId: request.producerId, sequence: first });
          return this.answerAfterAppend(from, request, replica, dup.lastOffset - count + 1, dup.lastOffset + 1);
        }
        if (first !== entry.lastSeq + 1) {
          this.ctx.note('out-of-order-sequence', { partition: replica.key, producerId: request.producerId, sequence: first, lastSequence: entry.lastSeq });
          return this.produceResponse(from, request, 'OUT_OF_ORDER_SEQUENCE_NUMBER', -1);
        }
      }
    }
    const records: LogRecord[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const r = request.records[i]!;
      records[i] = {
        offset: baseOffset + i, epoch: replica.leaderEpoch, msg: r.msg, key: r.key, bytes: r.bytes,
        pid: request.producerId, seq: request.producerId >= 0 ? request.baseSequence + i : -1,
        batchFirst: request.baseSequence, last: i === count - 1, time: r.timestamp,
      };
    }
    try {
      log.append(records);
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      this.ctx.note('disk-full', { partition: replica.key });
      return this.produceResponse(from, request, 'KAFKA_STORAGE_ERROR', -1);
    }
    this.maybeFlush(replica);
    this.wakeParked(replica);
    this.maybeAdvanceHw(replica);
    this.answerAfterAppend(from, request, replica, baseOffset, baseOffset + count);
  }

  private answerAfterAppend(from: string, request: Produce, replica: Replica, baseOffset: number, requiredOffset: number): void {
    if (request.acks === 0) return;
    if (request.acks === 1) {
      this.produceResponse(from, request, 'NONE', baseOffset);
      return;
    }
    if (replica.hw >= requiredOffset) {
      const minIsr = this.minIsr.get(replica.topic) ?? this.config.minInsyncReplicas;
      if (replica.isr.length < minIsr) {
        this.options.stats.notEnoughReplicas++;
        this.produceResponse(from, request, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', -1);
      } else this.produceResponse(from, request, 'NONE', baseOffset);
      return;
    }
    const delayed: DelayedProduce = { from, request, baseOffset, requiredOffset, timer: null as unknown as Timer };
    delayed.timer = this.ctx.setTimer(request.timeout, 'produce-timeout', delayed);
    replica.delayed.push(delayed);
  }

  private completeDelayed(replica: Replica): void {
    if (replica.internal.length > 0) this.completeInternal(replica);
    if (replica.delayed.length === 0) return;
    const minIsr = this.minIsr.get(replica.topic) ?? this.config.minInsyncReplicas;
    const keep: DelayedProduce[] = [];
    for (const d of replica.delayed) {
      if (replica.hw >= d.requiredOffset) {
        this.ctx.cancelTimer(d.timer);
        if (replica.isr.length < minIsr) {
          this.options.stats.notEnoughReplicas++;
          this.produceResponse(d.from, d.request, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', -1);
        } else this.produceResponse(d.from, d.request, 'NONE', d.baseOffset);
      } else keep.push(d);
    }
    replica.delayed = keep;
  }

  /**
   * The group coordinator's writes to its __consumer_offsets partition: appended as the leader,
   * `done` once the high watermark passes them (acks=all), NOT_ENOUGH_REPLICAS below
   * min.insync.replicas, REQUEST_TIMED_OUT after offsets.commit.timeout.ms.
   */
  private appendInternal(partition: number, items: { msg: string; key: string }[], done: (error: KafkaError) => void): void {
    const replica = this.replicas.get(`${OFFSETS_TOPIC}-${partition}`);
    if (!replica || !replica.isLeaderOn(this.ctx.name)) return done('NOT_LEADER_OR_FOLLOWER');
    const minIsr = this.minIsr.get(OFFSETS_TOPIC) ?? this.config.minInsyncReplicas;
    if (replica.isr.length < minIsr) return done('NOT_ENOUGH_REPLICAS');
    const log = replica.log;
    const base = log.logEndOffset;
    const now = this.ctx.now();
    const records: LogRecord[] = items.map((item, i) => ({
      offset: base + i, epoch: replica.leaderEpoch, msg: item.msg, key: item.key, bytes: item.msg.length + item.key.length,
      pid: -1, seq: -1, batchFirst: -1, last: i === items.length - 1, time: now,
    }));
    try {
      log.append(records);
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      return done('KAFKA_STORAGE_ERROR');
    }
    this.maybeFlush(replica);
    const waiter: InternalWaiter = { requiredOffset: base + items.length, done, timer: null as unknown as Timer };
    waiter.timer = this.ctx.setTimer(this.config.offsetsCommitTimeout, 'internal-timeout', { replica, waiter });
    replica.internal.push(waiter);
    this.wakeParked(replica);
    this.maybeAdvanceHw(replica);
    this.completeInternal(replica);
  }

  private completeInternal(replica: Replica): void {
    const ready = replica.internal.filter((w) => replica.hw >= w.requiredOffset);
    if (ready.length === 0) return;
    replica.internal = replica.internal.filter((w) => replica.hw < w.requiredOffset);
    for (const w of ready) {
      this.ctx.cancelTimer(w.timer);
      w.done('NONE');
    }
  }

  private failInternal(replica: Replica): void {
    const waiting = replica.internal;
    replica.internal = [];
    for (const w of waiting) {
      this.ctx.cancelTimer(w.timer);
      w.done('NOT_LEADER_OR_FOLLOWER');
    }
  }

  private onFindCoordinator(from: string, request: FindCoordinator): void {
    const partition = this.coordinator?.partitionFor(request.key) ?? -1;
    const state = this.metadata.get(`${OFFSETS_TOPIC}-${partition}`);
    const coordinator = state?.leader ?? null;
    sendTo(this.ctx, from, {
      type: 'FindCoordinatorResponse', id: request.id, error: coordinator === null ? 'COORDINATOR_NOT_AVAILABLE' : 'NONE', coordinator,
    }, HEADER_BYTES);
  }

  /** For tests: the committed offsets of the groups this broker coordinates. */
  committedOffsets(): Map<string, Map<string, number>> {
    return this.coordinator?.committed() ?? new Map();
  }

  private onProduceTimeout(delayed: DelayedProduce): void {
    const replica = this.replicas.get(`${delayed.request.topic}-${delayed.request.partition}`);
    if (!replica) return;
    const index = replica.delayed.indexOf(delayed);
    if (index < 0) return;
    replica.delayed.splice(index, 1);
    this.produceResponse(delayed.from, delayed.request, 'REQUEST_TIMED_OUT', -1);
  }

  private produceResponse(to: string, request: Produce, error: KafkaError, baseOffset: number): void {
    if (request.acks === 0) return;
    const response: ProduceResponse = { type: 'ProduceResponse', topic: request.topic, partition: request.partition, id: request.id, error, baseOffset };
    sendTo(this.ctx, to, response, HEADER_BYTES);
  }

  private maybeFlush(replica: Replica): void {
    if (replica.log.unflushedRecords >= this.config.flushMessages) replica.log.flush();
  }

  // ------------------------------------------------------------------ other requests

  private onOffsetsForLeaderEpoch(from: string, request: OffsetsForLeaderEpoch): void {
    const replica = this.replicas.get(`${request.topic}-${request.partition}`);
    const reply = (error: KafkaError, leaderEpoch: number, endOffset: number) => sendTo(this.ctx, from, {
      type: 'OffsetsForLeaderEpochResponse', topic: request.topic, partition: request.partition, id: request.id, error, leaderEpoch, endOffset,
    } satisfies OffsetsForLeaderEpochResponse, HEADER_BYTES);
    if (!replica || !replica.isLeaderOn(this.ctx.name)) return reply('NOT_LEADER_OR_FOLLOWER', -1, -1);
    if (request.currentLeaderEpoch >= 0 && request.currentLeaderEpoch < replica.leaderEpoch) return reply('FENCED_LEADER_EPOCH', -1, -1);
    if (request.currentLeaderEpoch > replica.leaderEpoch) return reply('UNKNOWN_LEADER_EPOCH', -1, -1);
    const found = replica.log.endOffsetFor(request.leaderEpoch);
    reply('NONE', found.epoch, found.endOffset);
  }

  private onListOffsets(from: string, request: ListOffsets): void {
    const replica = this.replicas.get(`${request.topic}-${request.partition}`);
    const ok = replica !== undefined && replica.isLeaderOn(this.ctx.name);
    sendTo(this.ctx, from, {
      type: 'ListOffsetsResponse', topic: request.topic, partition: request.partition, id: request.id,
      error: ok ? 'NONE' : 'NOT_LEADER_OR_FOLLOWER',
      offset: !ok ? -1
        : request.timestamp === -2 ? replica.log.logStartOffset
        : request.timestamp === -1 ? replica.hw
        : replica.log.offsetForTimestamp(request.timestamp, replica.hw),
    }, HEADER_BYTES);
  }

  private onMetadata(from: string, request: MetadataRequest): void {
    const partitions = [];
    for (const s of this.metadata.values()) {
      if (s.topic === request.topic) partitions.push({ partition: s.partition, leader: s.leader, leaderEpoch: s.leaderEpoch });
    }
    sendTo(this.ctx, from, {
      type: 'MetadataResponse', topic: request.topic, id: request.id,
      error: partitions.length === 0 ? 'UNKNOWN_TOPIC_OR_PARTITION' : 'NONE', partitions,
    }, HEADER_BYTES + 16 * partitions.length);
  }

  /** CreatePartitions: only the controller takes it (added by the consumer-groups work, issue #4). */
  private onCreatePartitions(from: string, request: CreatePartitions): void {
    const reply = (error: KafkaError, message?: string) => sendTo(this.ctx, from, {
      type: 'CreatePartitionsResponse', id: request.id, error, ...(message !== undefined ? { message } : {}),
    } satisfies CreatePartitionsResponse);
    if (!this.controller && this.kraft !== null) return this.forwardCreatePartitions(from, request);
    if (!this.controller) return reply('NOT_CONTROLLER');
    this.controller.createPartitions(request.topic, request.count, request.assignments, reply);
  }

  /**
   * KRaft: brokers forward admin requests to the active controller (KIP-590) and relay its answer;
   * a combined-mode broker hosting the active controller hands it over directly. A request
   * another voter forwarded is not forwarded again (NOT_CONTROLLER: the sender retries).
   */
  private forwardCreatePartitions(from: string, request: CreatePartitions): void {
    if (this.kraftController?.inspect().active) return this.kraftController.receive(from, request);
    const to = this.controllerName;
    if (to === null || to === this.ctx.name || this.options.kraft!.voters.includes(from)) {
      sendTo(this.ctx, from, { type: 'CreatePartitionsResponse', id: request.id, error: 'NOT_CONTROLLER' } satisfies CreatePartitionsResponse);
      return;
    }
    const id = this.nextId++;
    this.forwarded.set(id, { from, id: request.id });
    sendTo(this.ctx, to, { ...request, id }, HEADER_BYTES + 32 * request.assignments.length);
  }

  private onForwardedResponse(response: CreatePartitionsResponse): void {
    const origin = this.forwarded.get(response.id);
    if (!origin) return;
    this.forwarded.delete(response.id);
    sendTo(this.ctx, origin.from, { ...response, id: origin.id } satisfies CreatePartitionsResponse);
  }

  private onInitProducerId(from: string, request: InitProducerId): void {
    if (this.pidBlock && this.pidBlock.next < this.pidBlock.end) {
      const producerId = this.pidBlock.next++;
      sendTo(this.ctx, from, { type: 'InitProducerIdResponse', id: request.id, error: 'NONE', producerId, producerEpoch: 0 }, HEADER_BYTES);
      return;
    }
    this.pidWaiters.push({ from, request });
    if (!this.pidRequested) {
      this.pidRequested = true;
      if (this.kraft !== null) this.kraft.allocateProducerIds();
      else sendTo(this.ctx, this.options.zk, { type: 'ZkAllocateProducerIds', broker: this.ctx.name });
    }
  }

  private onPidBlock(response: ZkAllocateProducerIdsResponse): void {
    this.pidRequested = false;
    this.pidBlock = { next: response.first, end: response.first + response.count };
    const waiters = this.pidWaiters;
    this.pidWaiters = [];
    for (const w of waiters) this.onInitProducerId(w.from, w.request);
  }

  // ------------------------------------------------------------------ storage

  private replica(topic: string, partition: number): Replica {
    const key = `${topic}-${partition}`;
    let replica = this.replicas.get(key);
    if (!replica) {
      const log = new PartitionLog(this.ctx.disk, key, { segmentBytes: this.config.segmentBytes, indexIntervalBytes: this.config.indexIntervalBytes }, this.options.stats);
      replica = new Replica(topic, partition, key, log);
      this.replicas.set(key, replica);
    }
    return replica;
  }

  private checkpointHighWatermarks(): void {
    if (this.replicas.size === 0) return;
    const hws: [string, number][] = [];
    for (const r of this.replicas.values()) hws.push([r.key, r.hw]);
    try {
      this.hwFile.append({ hws }, 16 * hws.length);
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      return;
    }
    this.ctx.disk.fsync(undefined, [this.hwFile]);
  }

  /** After a restart: every partition directory's log, and the HWs from the last durable checkpoint. */
  private recover(): void {
    const disk = this.ctx.disk;
    const seen = new Set<string>();
    for (const name of disk.fileNames()) {
      const slash = name.indexOf('/');
      if (slash < 0) continue;
      const dir = name.slice(0, slash);
      if (seen.has(dir)) continue;
      seen.add(dir);
      const dash = dir.lastIndexOf('-');
      const topic = dir.slice(0, dash);
      const partition = Number.parseInt(dir.slice(dash + 1), 10);
      const log = PartitionLog.recover(disk, dir, { segmentBytes: this.config.segmentBytes, indexIntervalBytes: this.config.indexIntervalBytes }, this.options.stats);
      this.replicas.set(dir, new Replica(topic, partition, dir, log));
    }
    const checkpoint = this.hwFile.records[this.hwFile.length - 1];
    if (checkpoint) {
      for (const [key, hw] of checkpoint.hws) {
        const r = this.replicas.get(key);
        if (r) r.hw = Math.min(hw, r.log.logEndOffset);
      }
    }
    for (const r of this.replicas.values()) {
      this.ctx.note('log-recovered', { partition: r.key, leo: r.log.logEndOffset, hw: r.hw, segments: r.log.segments.length });
    }
  }

  private applyRetention(): void {
    const now = this.ctx.trueNow();
    for (const r of this.replicas.values()) {
      // __consumer_offsets is compacted in Kafka (cleanup.policy=compact), never deleted by time or size.
      if (r.topic === OFFSETS_TOPIC) continue;
      const deleted = r.log.applyRetention(now, this.config.retentionMs, this.config.retentionBytes, r.hw);
      if (deleted > 0) this.ctx.note('segments-deleted', { partition: r.key, deleted, logStartOffset: r.log.logStartOffset });
    }
  }

  /** For tests: the replica state of a partition on this broker. */
  inspect(key: string): { leo: number; hw: number; leader: string | null; leaderEpoch: number; isr: string[]; log: PartitionLog } | undefined {
    const r = this.replicas.get(key);
    return r ? { leo: r.log.logEndOffset, hw: r.hw, leader: r.leader, leaderEpoch: r.leaderEpoch, isr: r.isr, log: r.log } : undefined;
  }

  get isController(): boolean {
    return this.controller !== null;
  }

  /** Combined mode: the KRaft controller this broker hosts (for tests). */
  get hostedController(): KraftController | null {
    return this.kraftController;
  }
}

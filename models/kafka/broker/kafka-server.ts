import type { CloseReason } from '../../../sim/connection.js';
import type { Actor, NodeContext } from '../../../sim/node.js';
import type { StateStore } from '../../../sim/state.js';
import { unreachable, type TimerArgs } from '../../../sim/timers.js';
import type { TopicAssignment } from '../controller.js';
import { GroupCoordinator, type GroupCoordinatorTimer, type GroupsState } from '../group-coordinator.js';
import type { ConsumerGroupTimer } from '../consumer-group/consumer-group-coordinator.js';
import type { InvariantProbe } from '../invariants.js';
import { sendTo, HEADER_BYTES, type BrokerInbound, type CreatePartitions, type CreatePartitionsResponse, type KafkaError, type LeaderAndIsr } from '../protocol.js';
import type { BrokerConfig } from '../schema.js';
import type { KafkaStats } from '../stats.js';
import { BrokerKraftClient, type KraftBrokerTimer } from '../kraft/broker-client.js';
import type { KraftController, KraftControllerTimer } from '../kraft/controller.js';
import { isMetadataFetch, isMetadataFetchResponse } from '../kraft/protocol.js';
import type { PartitionLog } from './log.js';
import { note } from '../notes.js';
import { MetadataCache } from './metadata-cache.js';
import { ProducerIdManager } from './producer-id-manager.js';
import { ReplicaManager } from './replica-manager.js';
import { brokerTimers, type BrokerTimer } from './timers.js';
import { BrokerZkClient } from './zk-client.js';
import { AddPartitionsToTxnManager, type VerifyTimer } from './add-partitions-to-txn-manager.js';
import { TRANSACTION_STATE_TOPIC, TransactionCoordinator, type TransactionCoordinatorTimer } from '../coordinator/transaction/transaction-coordinator.js';
import { ControlledShutdownManager } from './controlled-shutdown.js';

/**
 * A Kafka broker node (Kafka's KafkaServer / BrokerServer, with KafkaApis' request dispatch):
 * it starts its components and routes each request to the one that handles it.
 *
 * - replica-manager.ts: the partitions it hosts, Produce / Fetch / ListOffsets /
 *   OffsetsForLeaderEpoch, the produce and fetch purgatories, HW checkpoints, recovery, retention;
 *   partition.ts: one partition's leader state (ISR shrink / expand, HW advance);
 *   replica-fetcher.ts: the follower side (fetching, truncation by leader epoch); log.ts the log.
 * - zk-client.ts (ZooKeeper mode): session, registration, /controller election; the controller
 *   it then runs is ../controller.ts. KRaft mode: ../kraft/broker-client.ts (registration,
 *   heartbeats, metadata fetched from the quorum), and in combined mode a hosted
 *   ../kraft/controller.ts voter that gets the quorum's messages and timers.
 * - metadata-cache.ts (Metadata, FindCoordinator, UpdateMetadata), producer-id-manager.ts
 *   (InitProducerId), ../group-coordinator.ts (JoinGroup ... OffsetFetch) when groups are used.
 *
 * After a crash the broker rebuilds everything from its disk.
 */

/** Written by a clean shutdown (Kafka's .kafka_cleanshutdown in each log dir); a restart removes it. */
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';

/** Every timer a broker node fires: its own, and those of the components it hosts. */
export type KafkaBrokerTimer = BrokerTimer | KraftBrokerTimer | KraftControllerTimer | GroupCoordinatorTimer | ConsumerGroupTimer | TransactionCoordinatorTimer | VerifyTimer;

export interface BrokerOptions {
  config: BrokerConfig;
  topics: readonly TopicAssignment[];
  stats: KafkaStats;
  zk: string;
  /** The consumer groups' state store, when the scenario uses groups (the broker then coordinates). */
  groups?: StateStore<GroupsState>;
  /** Whether some producer is transactional (the broker then runs a transaction coordinator). */
  transactions?: boolean;
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
  private replicaManager!: ReplicaManager;
  private readonly metadata = new MetadataCache(() => this.ctx);
  private readonly producerIds = new ProducerIdManager(() => this.ctx, () => this.requestProducerIdBlock());
  private zk: BrokerZkClient | null = null;
  private nextId = 1;
  private coordinator: GroupCoordinator | null = null;
  private txnCoordinator: TransactionCoordinator | null = null;
  private verifier: AddPartitionsToTxnManager | null = null;
  private kraft: BrokerKraftClient | null = null;
  /** Combined mode: the KRaft controller this broker process also runs. */
  private kraftController: KraftController | null = null;
  /** KRaft: admin requests forwarded to the active controller, by forwarded id (Kafka's ForwardingManager). */
  private readonly forwarded = new Map<number, { from: string; id: number }>();
  /** An operator's stop: controlled shutdown, then a clean exit (controlled-shutdown.ts). */
  private shutdown!: ControlledShutdownManager;

  constructor(private readonly options: BrokerOptions) {}

  private get config(): BrokerConfig {
    return this.options.config;
  }

  start(ctx: NodeContext, restarted: boolean): void {
    this.ctx = ctx;
    const options = this.options;
    if (options.transactions && this.config.transactionPartitionVerification) {
      this.verifier = new AddPartitionsToTxnManager(ctx, this.config.transactionStatePartitions, (p) => this.metadata.leaderOf(`${TRANSACTION_STATE_TOPIC}-${p}`));
    }
    this.replicaManager = new ReplicaManager({
      verifier: this.verifier,
      ctx, config: options.config, stats: options.stats, invariants: options.invariants, topics: options.topics,
      nextId: () => this.nextId++,
      coordinator: () => this.coordinator,
      txnCoordinator: () => this.txnCoordinator,
      alterPartition: (request) => {
        const controller = this.metadata.controller;
        if (controller === null) return;
        const local = this.zk?.controller;
        if (controller === ctx.name && local) local.onAlterPartition(ctx.name, request);
        else sendTo(ctx, controller, request, HEADER_BYTES);
      },
    });
    if (restarted) {
      // Kafka reads and deletes the marker at startup (a clean shutdown needs no log recovery).
      if (ctx.disk.fileNames().includes(CLEAN_SHUTDOWN_FILE)) ctx.disk.deleteFile(CLEAN_SHUTDOWN_FILE);
      this.replicaManager.recover();
    }
    this.shutdown = new ControlledShutdownManager({
      ctx, config: options.config,
      controller: () => (this.zk === null || !this.zk.registered ? undefined : this.metadata.controller),
      localController: () => this.zk?.controller ?? null,
      nextId: () => this.nextId++,
      finish: (exited) => this.cleanExit(exited),
    });
    if (options.groups) {
      const rm = this.replicaManager;
      this.coordinator = new GroupCoordinator(ctx, {
        isLeaderOf: (p) => rm.isLeaderOf(`__consumer_offsets-${p}`),
        append: (p, records, done) => rm.appendInternal(p, records, done),
        readAll: (p) => rm.readAll(p),
        partitionCount: (topic) => this.metadata.partitionCount(topic),
      }, this.config, options.stats, options.groups);
    }
    if (options.transactions) {
      const rm = this.replicaManager;
      this.txnCoordinator = new TransactionCoordinator(ctx, {
        isLeaderOf: (p) => rm.isLeaderOf(`${TRANSACTION_STATE_TOPIC}-${p}`),
        append: (p, records, done) => rm.appendInternal(p, records, done, TRANSACTION_STATE_TOPIC),
        readAll: (p) => rm.readAll(p, TRANSACTION_STATE_TOPIC),
        allocateProducerId: (done) => this.producerIds.allocate(done),
        leaderOf: (p) => this.metadata.leaderOf(p),
      }, this.config, options.stats);
      // Partitions this broker already leads (a restart rebuilt them) load when it becomes their leader again.
    }
    if (options.kraft?.controller) {
      this.kraftController = options.kraft.controller({ leaderChanged: (leader, epoch) => this.kraft?.leaderHint(leader, epoch) });
      this.kraftController.start(ctx, restarted);
    }
    if (options.kraft) this.startKraft(options.kraft.voters);
    else this.startZk();
    brokerTimers.set(ctx, this.config.hwCheckpointInterval, 'hw-checkpoint', undefined);
    brokerTimers.set(ctx, Math.max(1_000, Math.floor(this.config.replicaLagTimeMax / 2)), 'isr-expiration', undefined);
    brokerTimers.set(ctx, this.config.retentionCheckInterval, 'retention', undefined);
    if (this.config.autoLeaderRebalance) brokerTimers.set(ctx, this.config.leaderImbalanceCheckInterval, 'leader-rebalance', undefined);
  }

  private startZk(): void {
    this.zk = new BrokerZkClient({
      ctx: this.ctx, config: this.config, stats: this.options.stats, topics: this.options.topics, zk: this.options.zk,
      controllerChanged: (controller) => {
        this.metadata.controller = controller;
      },
      controllerEpochSeen: (epoch) => {
        this.metadata.controllerEpoch = Math.max(this.metadata.controllerEpoch, epoch);
      },
      redeliver: (from, message) => this.receive(from, message),
    });
    this.zk.connect();
  }

  /** KRaft: metadata from the quorum instead of LeaderAndIsr / UpdateMetadata. */
  private startKraft(voters: readonly string[]): void {
    // The incarnation id: unique per start of this broker (KIP-631 uses a random UUID).
    const incarnation = this.ctx.trueNow() * 1000 + Math.floor(this.ctx.random('incarnation').next() * 1000);
    this.kraft = new BrokerKraftClient(this.ctx, voters, this.config, incarnation, {
      applyPartitions: (states) => {
        for (const state of states) this.replicaManager.applyPartitionState(state);
        this.options.invariants?.changed(this.ctx.name, 'metadata records applied');
      },
      metadataChanged: (states) => this.metadata.update(states),
      controllerChanged: (controller) => {
        this.metadata.controller = controller;
      },
      producerIds: (first, count) => this.producerIds.onBlock(first, count),
    });
    this.kraft.start();
  }

  /**
   * An operator's stop (SIGTERM): controlled shutdown first (ZooKeeper mode, controlled.shutdown.enable),
   * then the clean exit. KRaft brokers exit cleanly without it here (their heartbeat's wantShutDown
   * is not modelled): the controller fences them after broker.session.timeout.ms.
   */
  stop(done: () => void): void {
    this.shutdown.start(done);
  }

  /** LogManager.shutdown and the rest: stop fetching, flush every log, write the clean-shutdown marker, close the ZooKeeper session. */
  private cleanExit(exited: () => void): void {
    const rm = this.replicaManager;
    for (const replica of rm.all) rm.fetcher.stopFetching(replica);
    rm.checkpointHighWatermarks();
    this.ctx.disk.fsync(() => {
      const marker = this.ctx.disk.file<{ at: number }>(CLEAN_SHUTDOWN_FILE);
      marker.append({ at: this.ctx.now() }, 1);
      this.ctx.disk.fsync(() => {
        this.zk?.close();
        note(this.ctx, 'clean-shutdown', {});
        exited();
      }, [marker]);
    });
  }

  /** Until it is registered in ZooKeeper the broker takes no orders from a controller (KRaft: always registered). */
  private get registered(): boolean {
    return this.zk === null || this.zk.registered;
  }

  // ------------------------------------------------------------------ dispatch (KafkaApis)

  /**
   * A connection of this broker closed. The replica fetcher's requests to that broker fail, and
   * so do the controller's (ZooKeeper mode, when this broker is it); a client's closing needs
   * nothing here (the client asks again on a new one).
   */
  onConnectionClosed(peer: string, reason: CloseReason): void {
    this.replicaManager.fetcher.leaderDisconnected(peer, reason);
    this.zk?.controller?.brokerDisconnected(peer, reason);
  }

  receive(from: string, message: BrokerInbound): void {
    const rm = this.replicaManager;
    switch (message.type) {
      // ---- data plane
      case 'Produce': return rm.onProduce(from, message);
      case 'Fetch':
        if (isMetadataFetch(message)) return this.kraftController?.receive(from, message);
        return rm.onFetch(from, message);
      case 'FetchResponse':
        if (isMetadataFetchResponse(message)) {
          // Combined mode: a voter's answer is for the hosted controller, an observer's for the broker.
          if (this.kraftController !== null && message.voter) return this.kraftController.receive(from, message);
          return this.kraft?.onFetchResponse(message);
        }
        return rm.fetcher.onFetchResponse(message);
      case 'OffsetsForLeaderEpoch': return rm.onOffsetsForLeaderEpoch(from, message);
      case 'OffsetsForLeaderEpochResponse': return rm.fetcher.onOffsetsForLeaderEpochResponse(message);
      case 'ListOffsets': return rm.onListOffsets(from, message);
      case 'Metadata': return this.metadata.onMetadata(from, message);
      case 'InitProducerId':
        if (message.transactionalId !== undefined) {
          if (this.txnCoordinator) return this.txnCoordinator.onInitProducerId(from, message);
          return sendTo(this.ctx, from, { type: 'InitProducerIdResponse', id: message.id, error: 'NOT_COORDINATOR', producerId: -1, producerEpoch: -1 });
        }
        return this.producerIds.onInitProducerId(from, message);
      // ---- from the ZooKeeper-mode controller (held until registered)
      case 'LeaderAndIsr':
        if (!this.registered) return this.zk!.holdUntilRegistered(from, message);
        return this.onLeaderAndIsr(from, message);
      case 'UpdateMetadata':
        if (!this.registered) return this.zk!.holdUntilRegistered(from, message);
        return this.metadata.onUpdateMetadata(from, message);
      case 'LeaderAndIsrResponse':
      case 'UpdateMetadataResponse':
        this.zk?.controller?.onResponse(message);
        return;
      case 'AlterPartition': {
        if (this.kraftController !== null) return this.kraftController.receive(from, message);
        const controller = this.zk?.controller;
        if (controller) controller.onAlterPartition(from, message);
        else sendTo(this.ctx, from, { type: 'AlterPartitionResponse', topic: message.topic, partition: message.partition, error: 'NOT_LEADER_OR_FOLLOWER' });
        return;
      }
      case 'AlterPartitionResponse': return rm.onAlterPartitionResponse(message);
      // ---- ZooKeeper
      case 'ZkConnectResponse': return this.zk?.onConnectResponse(message);
      case 'ZkPingResponse': return this.zk?.onPingResponse(message);
      case 'ZkCreateControllerResponse': return this.zk?.onCreateControllerResponse(message);
      case 'ZkControllerChanged': return this.zk?.onControllerChanged(message);
      case 'ZkBrokersChanged':
        this.zk?.controller?.brokersChanged(message.liveBrokers);
        return;
      case 'ZkSetPartitionsResponse': {
        const controller = this.zk?.controller;
        if (controller) {
          controller.onZkWrite(message);
          if (controller.fenced) this.zk!.resign();
        }
        return;
      }
      case 'ZkAllocateProducerIdsResponse': return this.producerIds.onBlock(message.first, message.count);
      case 'ControlledShutdown': {
        const controller = this.zk?.controller;
        const reply = (error: KafkaError, remainingPartitions: string[]) => sendTo(this.ctx, from, { type: 'ControlledShutdownResponse', id: message.id, error, remainingPartitions });
        if (!controller) return reply('NOT_CONTROLLER', []);
        return controller.controlledShutdown(message.brokerId, reply);
      }
      case 'ControlledShutdownResponse': return this.shutdown.onResponse(message);
      // ---- KRaft: this broker's lifecycle, and (combined mode) the hosted voter's quorum traffic
      case 'BrokerRegistrationResponse': return this.kraft?.onRegistrationResponse(message);
      case 'BrokerHeartbeatResponse': return this.kraft?.onHeartbeatResponse(message);
      case 'AllocateProducerIdsResponse': return this.kraft?.onAllocateResponse(message);
      case 'Vote': case 'VoteResponse': case 'BeginQuorumEpoch': case 'BeginQuorumEpochResponse':
      case 'EndQuorumEpoch': case 'EndQuorumEpochResponse': case 'BrokerRegistration': case 'BrokerHeartbeat':
      case 'AllocateProducerIds':
        return this.kraftController?.receive(from, message);
      // ---- admin
      case 'CreatePartitions': return this.onCreatePartitions(from, message);
      case 'CreatePartitionsResponse': return this.onForwardedResponse(message);
      case 'DescribeProducers': return rm.onDescribeProducers(from, message);
      // ---- consumer groups
      case 'FindCoordinator':
        if (message.keyType === 1) return this.metadata.onFindCoordinator(from, message, this.txnCoordinator?.partitionFor(message.key) ?? -1, TRANSACTION_STATE_TOPIC);
        return this.metadata.onFindCoordinator(from, message, this.coordinator?.partitionFor(message.key) ?? -1);
      case 'JoinGroup': return this.coordinator?.onJoinGroup(from, message);
      case 'SyncGroup': return this.coordinator?.onSyncGroup(from, message);
      case 'Heartbeat': return this.coordinator?.onHeartbeat(from, message);
      case 'LeaveGroup': return this.coordinator?.onLeaveGroup(from, message);
      case 'ConsumerGroupHeartbeat': return this.coordinator?.onConsumerGroupHeartbeat(from, message);
      case 'OffsetCommit': return this.coordinator?.onOffsetCommit(from, message);
      case 'OffsetFetch': return this.coordinator?.onOffsetFetch(from, message);
      // ---- transactions
      case 'AddPartitionsToTxn':
        if (this.txnCoordinator) return this.txnCoordinator.onAddPartitionsToTxn(from, message);
        return sendTo(this.ctx, from, { type: 'AddPartitionsToTxnResponse', id: message.id, error: 'NOT_COORDINATOR' });
      case 'AddOffsetsToTxn':
        if (this.txnCoordinator) return this.txnCoordinator.onAddOffsetsToTxn(from, message);
        return sendTo(this.ctx, from, { type: 'AddOffsetsToTxnResponse', id: message.id, error: 'NOT_COORDINATOR' });
      case 'TxnOffsetCommit':
        if (this.coordinator) return this.coordinator.onTxnOffsetCommit(from, message);
        return sendTo(this.ctx, from, { type: 'TxnOffsetCommitResponse', id: message.id, error: 'NOT_COORDINATOR' });
      case 'EndTxn':
        if (this.txnCoordinator) return this.txnCoordinator.onEndTxn(from, message);
        return sendTo(this.ctx, from, { type: 'EndTxnResponse', id: message.id, error: 'NOT_COORDINATOR' });
      case 'WriteTxnMarkers': return rm.onWriteTxnMarkers(from, message);
      case 'WriteTxnMarkersResponse': return this.txnCoordinator?.onWriteTxnMarkersResponse(message);
      case 'AddPartitionsToTxnResponse': return this.verifier?.onResponse(message);
      default: return unreachable(message, 'broker message');
    }
  }

  onTimer(...args: TimerArgs<KafkaBrokerTimer>): void {
    const rm = this.replicaManager;
    switch (args[0]) {
      case 'zk-connect': return this.zk?.onConnectTimer();
      case 'zk-ping': return this.zk?.ping();
      case 'hw-checkpoint':
        rm.checkpointHighWatermarks();
        brokerTimers.set(this.ctx, this.config.hwCheckpointInterval, 'hw-checkpoint', undefined);
        return;
      case 'isr-expiration':
        rm.maybeShrinkIsr();
        this.zk?.controller?.resendUnanswered(this.ctx.trueNow());
        brokerTimers.set(this.ctx, Math.max(1_000, Math.floor(this.config.replicaLagTimeMax / 2)), 'isr-expiration', undefined);
        return;
      case 'retention':
        rm.applyRetention();
        brokerTimers.set(this.ctx, this.config.retentionCheckInterval, 'retention', undefined);
        return;
      case 'leader-rebalance':
        this.zk?.controller?.rebalanceLeaders(this.config.leaderImbalancePercentage);
        brokerTimers.set(this.ctx, this.config.leaderImbalanceCheckInterval, 'leader-rebalance', undefined);
        return;
      case 'produce-timeout': return rm.onProduceTimeout(args[1]);
      case 'internal-timeout': return rm.onInternalTimeout(args[1].replica, args[1].waiter);
      case 'fetch-wait': return rm.onFetchWait(args[1]);
      case 'replica-follow': return rm.fetcher.onFollowTimer(args[1]);
      case 'replica-fetch': return rm.fetcher.sendReplicaFetch(args[1]);
      case 'replica-fetch-timeout': return rm.fetcher.onFetchTimeout(args[1].replica, args[1].id);
      case 'alter-partition-retry': return args[1].retryAlterPartition();
      case 'controlled-shutdown-retry': return this.shutdown.onTimer(args[1]);
      case 'controller-channel-retry': return this.zk?.controller?.retryBroker(args[1].broker, args[1].epoch);
      case 'kraft-fetch': case 'kraft-fetch-timeout': case 'kraft-heartbeat': case 'kraft-register-timeout':
      case 'kraft-register-retry': case 'kraft-pid-retry':
        return this.kraft?.onTimer(...args);
      case 'raft-election': case 'raft-backoff': case 'raft-fetch-timeout': case 'raft-fetch-retry':
      case 'raft-fetch-request-timeout': case 'raft-check-quorum': case 'raft-begin-epoch': case 'raft-fetch-wait':
      case 'qc-fence-stale-brokers': case 'qc-leader-rebalance': case 'qc-create-topics':
        return this.kraftController?.onTimer(...args);
      case 'group-initial-delay': case 'group-join-timeout': case 'group-session':
        this.coordinator?.onTimer(...args);
        return;
      case 'cg-session': case 'cg-rebalance-timeout':
        this.coordinator?.consumerGroups.onTimer(...args);
        return;
      case 'txn-abort-timed-out': case 'txn-remove-expired': case 'txn-marker-retry': case 'txn-marker-timeout':
        this.txnCoordinator?.onTimer(...args);
        return;
      case 'txn-verify-timeout': return this.verifier?.onTimeout(args[1]);
      default: return unreachable(args[0], 'broker timer');
    }
  }

  // ------------------------------------------------------------------ control requests

  /** LeaderAndIsr (ZooKeeper mode): refused from an older controller, else every partition's new state. */
  private onLeaderAndIsr(from: string, request: LeaderAndIsr): void {
    if (request.controllerEpoch < this.metadata.controllerEpoch) {
      sendTo(this.ctx, from, { type: 'LeaderAndIsrResponse', correlationId: request.correlationId, error: 'STALE_CONTROLLER_EPOCH' });
      return;
    }
    this.metadata.controllerEpoch = request.controllerEpoch;
    this.metadata.controller = request.controller;
    for (const state of request.partitions) this.replicaManager.applyPartitionState(state);
    sendTo(this.ctx, from, { type: 'LeaderAndIsrResponse', correlationId: request.correlationId, error: 'NONE' });
    this.options.invariants?.changed(this.ctx.name, 'LeaderAndIsr');
  }

  private requestProducerIdBlock(): void {
    if (this.kraft !== null) this.kraft.allocateProducerIds();
    else sendTo(this.ctx, this.options.zk, { type: 'ZkAllocateProducerIds', broker: this.ctx.name });
  }

  /** CreatePartitions: only the controller takes it (added by the consumer-groups work, issue #4). */
  private onCreatePartitions(from: string, request: CreatePartitions): void {
    const reply = (error: KafkaError, message?: string) => sendTo(this.ctx, from, {
      type: 'CreatePartitionsResponse', id: request.id, error, ...(message !== undefined ? { message } : {}),
    } satisfies CreatePartitionsResponse);
    const controller = this.zk?.controller;
    if (!controller && this.kraft !== null) return this.forwardCreatePartitions(from, request);
    if (!controller) return reply('NOT_CONTROLLER');
    controller.createPartitions(request.topic, request.count, request.assignments, reply);
  }

  /**
   * KRaft: brokers forward admin requests to the active controller (KIP-590) and relay its answer;
   * a combined-mode broker hosting the active controller hands it over directly. A request
   * another voter forwarded is not forwarded again (NOT_CONTROLLER: the sender retries).
   */
  private forwardCreatePartitions(from: string, request: CreatePartitions): void {
    if (this.kraftController?.inspect().active) return this.kraftController.receive(from, request);
    const to = this.metadata.controller;
    if (to === null || to === this.ctx.name || this.options.kraft!.voters.includes(from)) {
      sendTo(this.ctx, from, { type: 'CreatePartitionsResponse', id: request.id, error: 'NOT_CONTROLLER' });
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
    sendTo(this.ctx, origin.from, { ...response, id: origin.id });
  }

  // ------------------------------------------------------------------ for tests and the model's results

  /** The committed offsets of the groups this broker coordinates. */
  committedOffsets(): Map<string, Map<string, number>> {
    return this.coordinator?.committed() ?? new Map();
  }

  /** The transaction coordinator this broker runs (when some producer is transactional). */
  get transactionCoordinator(): TransactionCoordinator | null {
    return this.txnCoordinator;
  }

  /** The replica state of a partition on this broker. */
  inspect(key: string): { leo: number; hw: number; lso: number; leader: string | null; leaderEpoch: number; isr: string[]; log: PartitionLog } | undefined {
    const r = this.replicaManager.partition(key);
    return r ? { leo: r.log.logEndOffset, hw: r.hw, lso: r.lastStableOffset, leader: r.leader, leaderEpoch: r.leaderEpoch, isr: r.isr, log: r.log } : undefined;
  }

  get isController(): boolean {
    return (this.zk?.controller ?? null) !== null;
  }

  /** Combined mode: the KRaft controller this broker hosts (for tests). */
  get hostedController(): KraftController | null {
    return this.kraftController;
  }
}

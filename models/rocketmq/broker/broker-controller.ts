import type { CloseReason } from '../../../sim/connection.js';
import { DiskFullError, type DiskFile } from '../../../sim/disk.js';
import type { Actor, NodeContext } from '../../../sim/node.js';
import type { StateStore } from '../../../sim/state.js';
import type { Micros } from '../../../sim/time.js';
import { timersOf, unreachable, type TimerArgs } from '../../../sim/timers.js';
import type { RocketInvariantProbe } from '../invariants.js';
import { notes } from '../notes.js';
import { HEADER_BYTES, RETRY_PREFIX, SCHEDULE_TOPIC, type BrokerInbound, type RegisterBrokerRequest, type UnregisterBrokerRequest } from '../protocol.js';
import { respond } from '../remoting.js';
import type { BrokerSettings } from '../schema.js';
import { CommitLog } from './commit-log.js';
import type { ConsumeQueue } from './consume-queue.js';
import { ConsumerManager, HOUSEKEEPING_INTERVAL } from './consumer-manager.js';
import { ConsumerOffsetManager, offsetKey } from './consumer-offset-manager.js';
import { DLEDGER_TICK, DLedger, type RaftRole } from './dledger.js';
import { FlushService, type Waiter } from './flush-service.js';
import { HAService } from './ha-service.js';
import { MessageStore } from './message-store.js';
import { PullMessageProcessor } from './pull-message-processor.js';
import { PullRequestHoldService, type HeldPull } from './pull-request-hold-service.js';
import { RebalanceLockManager } from './rebalance-lock-manager.js';
import { ScheduleMessageService } from './schedule-message-service.js';
import { SendMessageBack } from './send-message-back.js';
import { SendMessageProcessor } from './send-message-processor.js';
import { TopicConfigManager, type TopicConfig } from './topic-config-manager.js';
import { TransactionalMessageCheckService } from './transactional-message-check-service.js';

/**
 * A broker (BrokerController): master (brokerId 0, ASYNC_MASTER or SYNC_MASTER) or slave
 * (brokerId > 0, SLAVE) of one broker group, or a member of a DLedger group. This file is the
 * actor: it starts the broker's services, hands each request and timer to the service that owns
 * it, and registers with the NameServers (REGISTER_BROKER at start, every
 * registerNameServerPeriod, and at once when a topic is created). Where each mechanism lives:
 *
 * - message-store.ts / consume-queue.ts: the commit log's records and files, the consume queues,
 *   the dispatcher, recovery after a crash.
 * - commit-log.ts: a put (append, then the flush and replication wait; SEND_OK or why not).
 * - flush-service.ts: SYNC_FLUSH (GroupCommitService), ASYNC_FLUSH (FlushRealTimeService), the
 *   consume queue flush.
 * - ha-service.ts: master-slave replication (HAService, HAConnection, HAClient, SYNC_MASTER's wait).
 * - dledger.ts: DLedger's Raft election and replication (enableDLegerCommitLog).
 * - send-message-processor.ts: SEND_MESSAGE. pull-message-processor.ts: PULL_MESSAGE.
 * - pull-request-hold-service.ts: long polling.
 * - schedule-message-service.ts: delay levels, SCHEDULE_TOPIC_XXXX.
 * - consumer-offset-manager.ts: consumer offsets, consumerOffset.json, SlaveSynchronize.
 * - consumer-manager.ts: HEART_BEAT, client expiry, NOTIFY_CONSUMER_IDS_CHANGED.
 * - send-message-back.ts: CONSUMER_SEND_MSG_BACK, %RETRY% and %DLQ%.
 * - transactional-message-check-service.ts: END_TRANSACTION, half and op messages, check-back.
 * - rebalance-lock-manager.ts: LOCK_BATCH_MQ / UNLOCK_BATCH_MQ for orderly consumers.
 * - topic-config-manager.ts: topics, topics.json.
 */

export interface BrokerStats {
  flushDiskTimeouts: number;
  flushSlaveTimeouts: number;
  slaveNotAvailable: number;
  retried: number;
  deadLettered: number;
  /**
   * The longest time from a message's birth (bornTime) to its move to %DLQ%, in ms: with the
   * default levels, 16 retries at delay level 3 + reconsumeTimes take hours, not seconds.
   */
  deadLetterAfterMsMax: number;
  delayedDelivered: number;
  commitLogFiles: number;
  slavePulls: number;
  /** Pulls a 5.x slave refused (slaveReadEnable false). */
  slavePullsRejected: number;
  /** Consume queue entries a pull skipped because their tag hash code was not subscribed. */
  tagFiltered: number;
  transactionChecks: number;
  transactionCommitted: number;
  transactionRolledBack: number;
  transactionDiscarded: number;
  dledgerElections: number;
}

export interface BrokerOptions {
  settings: BrokerSettings;
  clusterName: string;
  brokerName: string;
  brokerId: number;
  /** The master's node name (for a slave). */
  master: string;
  nameServers: string[];
  topics: Record<string, TopicConfig>;
  stats: BrokerStats;
  /** Every node of the broker group (DLedger peers). */
  groupNodes: string[];
  /** Told when this broker becomes the DLedger leader of its group. */
  onLeader?: (brokerName: string, node: string, term: number) => void;
  /** world.store of consumer group membership: broker -> group -> client ids. */
  groups: StateStore<Record<string, Record<string, string[]>>>;
  /** The invariant checker, when the scenario turns it on (cluster.invariants); absent, nothing is checked. */
  invariants?: RocketInvariantProbe;
}

/** The broker's timers: tag and data. */
export type BrokerTimer =
  | { tag: 'register'; data: undefined }
  | { tag: 'flush-commitlog'; data: undefined }
  | { tag: 'flush-cq'; data: undefined }
  | { tag: 'persist-offsets'; data: undefined }
  /** Master-only timers carry the mastership epoch they belong to. */
  | { tag: 'persist-delay'; data: number }
  | { tag: 'transaction-check'; data: number }
  | { tag: 'schedule'; data: { level: number; epoch: number } }
  | { tag: 'housekeeping'; data: undefined }
  | { tag: 'dledger-tick'; data: undefined }
  | { tag: 'ha-heartbeat'; data: undefined }
  | { tag: 'slave-sync'; data: undefined }
  | { tag: 'flush-timeout'; data: Waiter }
  | { tag: 'ha-timeout'; data: Waiter }
  | { tag: 'hold-timeout'; data: HeldPull };

const SLAVE_SYNC_INTERVAL: Micros = 10_000_000;
const timers = timersOf<BrokerTimer>();

export class BrokerController implements Actor {
  ctx!: NodeContext;
  store!: MessageStore;
  readonly topicConfigs = new TopicConfigManager(this);
  readonly offsets = new ConsumerOffsetManager(this);
  readonly schedule = new ScheduleMessageService(this);
  readonly clients = new ConsumerManager(this);
  readonly commitLog = new CommitLog(this);
  readonly flush = new FlushService(this);
  readonly ha = new HAService(this);
  readonly pulls = new PullMessageProcessor(this);
  readonly holds = new PullRequestHoldService(this);
  private readonly sends = new SendMessageProcessor(this);
  private readonly sendBack = new SendMessageBack(this);
  readonly transactions = new TransactionalMessageCheckService(this);
  private readonly locks = new RebalanceLockManager(this);
  /** The Raft member (enableDLegerCommitLog), else null; made at start (it opens dledger/term). */
  dledger: DLedger | null = null;
  /** Takes writes: brokerId 0, or the DLedger leader. */
  isMaster: boolean;
  /** Bumped when this broker stops or starts being the master: master-only timers of an older epoch stop. */
  masterEpoch = 0;

  constructor(readonly o: BrokerOptions) {
    this.isMaster = !o.settings.enableDLegerCommitLog && o.brokerId === 0;
  }

  get role(): string {
    if (this.dledger !== null) return this.dledger.role;
    return this.isMaster ? this.o.settings.brokerRole : 'SLAVE';
  }

  /** The brokerId registered with the NameServers: 0 for the master (DLedger: the leader). */
  private get registeredId(): number {
    if (this.dledger === null) return this.o.brokerId;
    return this.dledger.role === 'leader' ? 0 : this.o.brokerId + 1;
  }

  /** Where a slave (DLedger: a follower) synchronizes offsets from. */
  private get masterAddr(): string | null {
    if (this.dledger === null) return this.o.master;
    return this.dledger.leader !== this.ctx.name ? this.dledger.leader : null;
  }

  start(ctx: NodeContext, restarted: boolean): void {
    this.ctx = ctx;
    const s = this.o.settings;
    const dl = s.enableDLegerCommitLog;
    this.store = new MessageStore(ctx.disk, s.mappedFileSizeCommitLog);
    // The config files, in the order the store's layout has always had them (the disk lists files in creation order).
    this.topicConfigs.open();
    this.offsets.open();
    this.schedule.open();
    // DLedger dispatches committed entries; SYNC_FLUSH (master and slave) dispatches fsynced records only.
    this.store.deferDispatch = dl || s.flushDiskType === 'SYNC_FLUSH';
    const termFile = ctx.disk.file<{ term: number; votedFor: string | null }>('dledger/term');
    if (dl) this.dledger = new DLedger(this, termFile);
    if (restarted) this.recover();
    this.dledger?.start(restarted);
    this.store.onDispatch = (cq) => this.onDispatch(cq);
    this.flush.start();
    this.ha.start();
    this.registerAll();
    timers.set(ctx, s.registerNameServerPeriod, 'register', undefined);
    timers.set(ctx, s.flushIntervalConsumeQueue, 'flush-cq', undefined);
    if (s.flushDiskType === 'ASYNC_FLUSH') timers.set(ctx, s.flushIntervalCommitLog, 'flush-commitlog', undefined);
    timers.set(ctx, s.flushConsumerOffsetInterval, 'persist-offsets', undefined);
    timers.set(ctx, HOUSEKEEPING_INTERVAL, 'housekeeping', undefined);
    if (this.isMaster) this.startMasterServices();
    else if (!dl) {
      this.ha.reportOffset();
      timers.set(ctx, s.haSendHeartbeatInterval, 'ha-heartbeat', undefined);
    }
    if (!this.isMaster) timers.set(ctx, SLAVE_SYNC_INTERVAL, 'slave-sync', undefined);
  }

  /** ScheduleMessageService, the transaction check and delayOffset.json run on the master only. */
  startMasterServices(): void {
    const epoch = this.masterEpoch;
    timers.set(this.ctx, this.o.settings.transactionCheckInterval, 'transaction-check', epoch);
    this.schedule.start(epoch);
  }

  /** DLedger: this member won an election. */
  becameMaster(): void {
    this.isMaster = true;
    this.masterEpoch++;
  }

  /** DLedger: this leader stepped down; its master-only timers stop at their next firing. */
  stoppedBeingMaster(): void {
    this.isMaster = false;
    this.masterEpoch++;
  }

  private recover(): void {
    const result = this.store.recover(this.dledger !== null);
    this.topicConfigs.recover();
    this.offsets.recover();
    this.schedule.recover();
    this.transactions.recover();
    notes.note(this.ctx, 'store-recovered', { ...result, maxPhy: this.store.maxPhy, offsets: this.offsets.table.size });
  }

  /** A new consume queue entry: a delay level may wake up, and held pulls of the queue are answered. */
  private onDispatch(cq: ConsumeQueue): void {
    if (cq.topic === SCHEDULE_TOPIC) this.schedule.onDispatch(cq);
    this.holds.notifyMessageArriving(cq);
  }

  // ------------------------------------------------------------------ dispatch

  receive(from: string, message: BrokerInbound): void {
    this.dispatch(from, message);
    this.o.invariants?.check(this, message.type);
  }

  /** A channel to a peer broker closed: the HA channel (master / slave) or DLedger's peer RPC channel. */
  onConnectionClosed(peer: string, reason: CloseReason): void {
    this.ha.onChannelClosed(peer, reason);
    this.dledger?.onChannelClosed(peer);
  }

  private dispatch(from: string, message: BrokerInbound): void {
    switch (message.type) {
      case 'SEND_MESSAGE':
        return this.sends.onSend(from, message);
      case 'LOCK_BATCH_MQ':
        return this.locks.onLock(from, message);
      case 'UNLOCK_BATCH_MQ':
        return this.locks.onUnlock(from, message);
      case 'PULL_MESSAGE':
        return this.pulls.process(from, message, true);
      case 'HEART_BEAT':
        return this.clients.onHeartbeat(from, message);
      case 'UNREGISTER_CLIENT':
        return this.clients.onUnregister(from, message);
      case 'GET_CONSUMER_LIST_BY_GROUP':
        return this.clients.onConsumerList(from, message);
      case 'GET_MIN_OFFSET':
      case 'GET_MAX_OFFSET':
        // The consume queue's first (no file is ever deleted here: 0) and next offset.
        return respond(this.ctx, from, message, 'SUCCESS', { offset: message.type === 'GET_MIN_OFFSET' ? 0 : this.store.queue(message.topic, message.queueId).length });
      case 'QUERY_CONSUMER_OFFSET':
        return this.offsets.onQuery(from, message);
      case 'UPDATE_CONSUMER_OFFSET':
        return this.offsets.onUpdate(from, message);
      case 'GET_ALL_CONSUMER_OFFSET':
        return this.offsets.onGetAll(from, message);
      case 'CONSUMER_SEND_MSG_BACK':
        return this.sendBack.onSendBack(from, message);
      case 'HA_REPORT_OFFSET':
        return this.ha.onReport(from, message);
      case 'END_TRANSACTION':
        return this.transactions.onEndTransaction(message);
      case 'DLEDGER_APPEND':
        return this.dledger?.onAppend(from, message);
      case 'DLEDGER_APPEND_ACK':
        return this.dledger?.onAppendAck(from, message);
      case 'DLEDGER_VOTE':
        return this.dledger?.onVote(from, message);
      case 'DLEDGER_VOTE_ACK':
        return this.dledger?.onVoteAck(from, message);
      case 'HA_TRANSFER':
        return this.ha.onTransfer(message);
      case 'RESPONSE':
        // The only request a broker makes with an answer: SlaveSynchronize's GET_ALL_CONSUMER_OFFSET.
        return this.offsets.onSyncResponse(message);
      default:
        return unreachable(message, 'broker request');
    }
  }

  onTimer(...timer: TimerArgs<BrokerTimer>): void {
    this.fire(...timer);
    this.o.invariants?.check(this, timer[0]);
  }

  private fire(...[tag, data]: TimerArgs<BrokerTimer>): void {
    const s = this.o.settings;
    switch (tag) {
      case 'register':
        this.registerAll();
        timers.set(this.ctx, s.registerNameServerPeriod, 'register', undefined);
        return;
      case 'flush-commitlog':
        this.flush.asyncFlush();
        timers.set(this.ctx, s.flushIntervalCommitLog, 'flush-commitlog', undefined);
        return;
      case 'flush-cq':
        this.flush.flushConsumeQueues();
        timers.set(this.ctx, s.flushIntervalConsumeQueue, 'flush-cq', undefined);
        return;
      case 'persist-offsets':
        this.offsets.persist();
        timers.set(this.ctx, s.flushConsumerOffsetInterval, 'persist-offsets', undefined);
        return;
      case 'persist-delay':
        if (data !== this.masterEpoch) return;
        this.schedule.persist();
        timers.set(this.ctx, s.flushDelayOffsetInterval, 'persist-delay', data);
        return;
      case 'housekeeping':
        this.clients.housekeeping();
        timers.set(this.ctx, HOUSEKEEPING_INTERVAL, 'housekeeping', undefined);
        return;
      case 'schedule':
        if (data.epoch === this.masterEpoch) this.schedule.deliver(data.level);
        return;
      case 'transaction-check':
        if (data !== this.masterEpoch) return;
        this.transactions.check();
        timers.set(this.ctx, s.transactionCheckInterval, 'transaction-check', data);
        return;
      case 'dledger-tick':
        this.dledger?.tick();
        timers.set(this.ctx, DLEDGER_TICK, 'dledger-tick', undefined);
        return;
      case 'ha-heartbeat':
        this.ha.reportOffset();
        timers.set(this.ctx, s.haSendHeartbeatInterval, 'ha-heartbeat', undefined);
        return;
      case 'slave-sync': {
        const master = this.masterAddr;
        if (!this.isMaster && master !== null) this.offsets.syncFromMaster(master);
        timers.set(this.ctx, SLAVE_SYNC_INTERVAL, 'slave-sync', undefined);
        return;
      }
      case 'flush-timeout':
        return this.flush.onTimeout(data);
      case 'ha-timeout':
        return this.ha.onTimeout(data);
      case 'hold-timeout':
        return this.holds.onTimeout(data);
      default:
        return unreachable(tag, 'broker timer');
    }
  }

  /**
   * An operator's stop (BrokerController.shutdown): UNREGISTER_BROKER to every NameServer, so
   * clients drop it from their routes at their next refresh instead of after the NameServers'
   * 120 s channel expiry; then the store's shutdown: consumer offsets (and, on the master, delay
   * offsets) persisted, commit log and consume queues flushed; then the process exits.
   */
  stop(done: () => void): void {
    for (const ns of this.o.nameServers) {
      const request: UnregisterBrokerRequest = { type: 'UNREGISTER_BROKER', opaque: 0, brokerAddr: this.ctx.name };
      this.ctx.send(ns, request, HEADER_BYTES);
    }
    this.offsets.persist();
    if (this.isMaster) this.schedule.persist();
    this.ctx.disk.fsync(() => {
      notes.note(this.ctx, 'broker-shutdown', { nameServers: this.o.nameServers.length });
      done();
    });
  }

  // ------------------------------------------------------------------ registration and config files

  /** BrokerOuterAPI.registerBrokerAll: REGISTER_BROKER with every topic to every NameServer. */
  registerAll(): void {
    const topics = this.topicConfigs.all();
    for (const ns of this.o.nameServers) {
      const request: RegisterBrokerRequest = {
        type: 'REGISTER_BROKER', opaque: 0, clusterName: this.o.clusterName, brokerName: this.o.brokerName,
        brokerId: this.registeredId, brokerAddr: this.ctx.name, topics,
      };
      // The broker's channel to the NameServer: its close tells the NameServer the broker is gone.
      this.ctx.connect(ns);
      this.ctx.send(ns, request, HEADER_BYTES + 64 * this.topicConfigs.size);
    }
  }

  /** Writes a config file (topics.json, consumerOffset.json, delayOffset.json, dledger/term) and fsyncs it; a full disk skips the write. */
  writeConfig<R>(file: DiskFile<R>, record: R, bytes: number): void {
    try {
      file.append(record, bytes);
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      notes.note(this.ctx, 'disk-full', { file: file.name });
      return;
    }
    this.ctx.disk.fsync(undefined, [file]);
  }

  // ------------------------------------------------------------------ final read

  /**
   * Messages a group would still get: consume queue entries of `topic` past the group's committed
   * offset (or `offsetOf` for broadcasting), matching its tags; plus every delayed message not due yet.
   */
  retained(into: Set<string>, groups: readonly RetainedGroup[]): void {
    for (const cq of this.store.queues.values()) {
      if (cq.topic === SCHEDULE_TOPIC) {
        const entries = cq.file.records;
        for (let i = this.isMaster ? this.schedule.offsets[cq.queueId] ?? 0 : 0; i < entries.length; i++) {
          const m = this.store.lookup(entries[i]!.phy);
          if (m) into.add(m.msg);
        }
        continue;
      }
      for (const g of groups) {
        if (cq.topic !== g.topic && cq.topic !== RETRY_PREFIX + g.group) continue;
        const entries = cq.file.records;
        const from = g.offsetOf?.(this.o.brokerName, cq.topic, cq.queueId) ?? this.offsets.get(offsetKey(g.group, cq.topic, cq.queueId)) ?? 0;
        for (let i = from; i < entries.length; i++) {
          const entry = entries[i]!;
          if (cq.topic === g.topic && g.tagsCodes !== null && !g.tagsCodes.includes(entry.tagsCode)) continue;
          const m = this.store.lookup(entry.phy);
          if (m) into.add(m.msg);
        }
      }
    }
  }

  get brokerName(): string {
    return this.o.brokerName;
  }

  /** Takes writes now: the master (brokerId 0), or the DLedger leader. */
  get acceptsWrites(): boolean {
    return this.isMaster;
  }

  /** The Raft role (DLedger), else null. */
  get raftRole(): RaftRole | null {
    return this.dledger?.role ?? null;
  }
}

export interface RetainedGroup {
  group: string;
  topic: string;
  tagsCodes: number[] | null;
  offsetOf?: (brokerName: string, topic: string, queueId: number) => number | undefined;
}

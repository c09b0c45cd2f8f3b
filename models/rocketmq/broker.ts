import { DiskFullError, type DiskFile } from '../../sim/disk.js';
import type { Timer } from '../../sim/kernel.js';
import type { Actor, Message, NodeContext } from '../../sim/node.js';
import type { StateStore } from '../../sim/state.js';
import type { Micros } from '../../sim/time.js';
import {
  DLQ_PREFIX, HEADER_BYTES, PERM_READ, PERM_WRITE, respond, RETRY_PREFIX, SCHEDULE_TOPIC, TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC,
  type PulledMessage, type Request, type StoredMessage,
} from './protocol.js';
import type { BrokerSettings } from './schema.js';
import { MessageStore, type ConsumeQueue, type NewMessage } from './store.js';

/**
 * A broker (BrokerController): master (brokerId 0, ASYNC_MASTER or SYNC_MASTER) or slave
 * (brokerId > 0, SLAVE) of one broker group.
 *
 * - Registration: REGISTER_BROKER to every NameServer at start and every registerNameServerPeriod
 *   (and at once when it creates a topic).
 * - Writes (master only; a slave answers SERVICE_NOT_AVAILABLE): SEND_MESSAGE appends to the
 *   commit log (store.ts), the dispatcher adds the consume queue entry (under SYNC_FLUSH only
 *   once the record is fsynced: ReputMessageService stops at the confirm offset, the flushed
 *   position, so a pull never returns a message a crash can take back). ASYNC_FLUSH answers at
 *   once and the flush service fsyncs every flushIntervalCommitLog when flushCommitLogLeastPages
 *   pages are dirty, or every flushCommitLogThoroughInterval; SYNC_FLUSH group-commits and
 *   answers after the fsync, or FLUSH_DISK_TIMEOUT after syncFlushTimeout. SYNC_MASTER then waits
 *   for a slave's HA_REPORT_OFFSET at or past the message (FLUSH_SLAVE_TIMEOUT after
 *   syncFlushTimeout; SLAVE_NOT_AVAILABLE when no slave reported within haHousekeepingInterval or
 *   it is haSlaveFallbehindMax behind). The message stays stored whatever the answer.
 * - HA: the master pushes the commit log (HA_TRANSFER) from the offset each slave reports; a
 *   slave appends the same records at the same offsets and reports its end. No failover: a slave
 *   never takes writes.
 * - Delay: a message with a delay level is stored in SCHEDULE_TOPIC_XXXX, queue level-1, tag code =
 *   delivery time; per level a timer moves due messages to their real topic (ScheduleMessageService),
 *   its progress written to delayOffset.json every flushDelayOffsetInterval.
 * - Pulls: PULL_MESSAGE reads a consume queue from an offset, filters by tag hash code, and when
 *   nothing is there holds the request (long polling) until a message is dispatched to that queue
 *   or the suspend time passes.
 * - Consumers: HEART_BEAT registers a client in its groups (and creates %RETRY%<group>), a
 *   client silent for channelExpiredTimeout is dropped (housekeeping every 10 s), and any change
 *   is told to the group with NOTIFY_CONSUMER_IDS_CHANGED. Offsets (UPDATE_CONSUMER_OFFSET, or
 *   the commit offset carried by a pull) live in memory and in consumerOffset.json, written every
 *   flushConsumerOffsetInterval. A slave copies its master's offsets every 10 s (SlaveSynchronize).
 * - CONSUMER_SEND_MSG_BACK: the failed message goes to %RETRY%<group> through the delay level
 *   3 + reconsumeTimes, or to %DLQ%<group> (created then) once reconsumeTimes reaches maxReconsumeTimes.
 * - Transactions: a half message is stored in RMQ_SYS_TRANS_HALF_TOPIC; END_TRANSACTION commits it
 *   (put into its topic) or rolls it back, with an op message in RMQ_SYS_TRANS_OP_HALF_TOPIC; every
 *   transactionCheckInterval unresolved half messages older than transactionTimeOut are checked
 *   back (CHECK_TRANSACTION_STATE to a producer of the group) up to transactionCheckMax times.
 * - Orderly consumers lock queues with LOCK_BATCH_MQ / UNLOCK_BATCH_MQ (master only; a lock
 *   expires after 60 s).
 * - DLedger (enableDLegerCommitLog): the group's members elect a leader (Raft: terms, votes,
 *   heartbeats every 2 s, an election after 3 missed ones); the leader registers as brokerId 0,
 *   replicates with DLEDGER_APPEND (a follower truncates a tail the leader does not have) and
 *   answers SEND_OK once a majority has the message; consume queues only get committed messages.
 */

export interface BrokerStats {
  flushDiskTimeouts: number;
  flushSlaveTimeouts: number;
  slaveNotAvailable: number;
  retried: number;
  deadLettered: number;
  delayedDelivered: number;
  commitLogFiles: number;
  slavePulls: number;
  /** Consume queue entries a pull skipped because their tag hash code was not subscribed. */
  tagFiltered: number;
  transactionChecks: number;
  transactionCommitted: number;
  transactionRolledBack: number;
  transactionDiscarded: number;
  dledgerElections: number;
}

export interface TopicConfig {
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
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
}

interface ClientInfo {
  addr: string;
  lastUpdate: Micros;
}

/** What put calls once the message is stored as configured (SEND_OK or why not), with the argument given to put. */
type PutDone<A> = (arg: A, code: string, stored: StoredMessage | null) => void;
const ignorePut: PutDone<undefined> = () => undefined;

interface Waiter {
  end: number;
  done: (ok: boolean) => void;
  timer: Timer | null;
}

interface Held {
  from: string;
  req: PullRequest;
  timer: Timer;
}

interface SlaveState {
  session: number;
  ack: number;
  pushedTo: number;
  lastReport: Micros;
  /** A transfer not yet acknowledged by a report: the next one waits (TCP's window, simplified). */
  inFlight: boolean;
  /** Index in the commit log's records of pushedTo (a hint, checked before use). */
  pushedIndex: number;
}

export interface SendRequest extends Request {
  producerGroup: string;
  topic: string;
  queueId: number;
  msg: string;
  key: string | undefined;
  tags: string | undefined;
  body: number;
  bornTime: Micros;
  delayLevel: number;
  /** TRAN_MSG: a half message of a transaction. */
  transactional?: boolean;
}

export interface EndTransactionRequest extends Request {
  producerGroup: string;
  msg: string;
  /** Physical offset of the half message. */
  phy: number;
  commitOrRollback: 'COMMIT_MESSAGE' | 'ROLLBACK_MESSAGE' | 'UNKNOW';
  fromTransactionCheck: boolean;
}

export interface PullRequest extends Request {
  group: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  maxMsgNums: number;
  /** Subscribed tag hash codes; null for '*'. */
  tagsCodes: number[] | null;
  suspendTimeoutMillis: Micros;
  commitOffset: number;
}

const HOUSEKEEPING_INTERVAL: Micros = 10_000_000;
const SLAVE_SYNC_INTERVAL: Micros = 10_000_000;
const FIRST_DELAY_TIME: Micros = 1_000_000;
const MAX_FILTER_ENTRIES = 800;
const HA_TRANSFER_BATCH_SIZE = 32 * 1024;
const LOCK_MAX_LIVE_TIME: Micros = 60_000_000;
/** DLedger: heartBeatTimeIntervalMs 2000, maxHeartBeatLeak 3; the election check runs every 100 ms. */
const DLEDGER_HEARTBEAT: Micros = 2_000_000;
const DLEDGER_MAX_HEARTBEAT_LEAK = 3;
const DLEDGER_TICK: Micros = 100_000;
const PAGE = 4096;

export class Broker implements Actor {
  private ctx!: NodeContext;
  private store!: MessageStore;
  private readonly topics = new Map<string, TopicConfig>();
  private topicsFile!: DiskFile<{ topic: string; config: TopicConfig }>;
  private readonly offsets = new Map<string, number>();
  private offsetsFile!: DiskFile<[string, number][]>;
  private delayOffsets: number[] = [];
  /** Delay levels whose queue was empty at the last look (woken by the next dispatch). */
  private idleLevels: boolean[] = [];
  private delayFile!: DiskFile<number[]>;
  private readonly clients = new Map<string, Map<string, ClientInfo>>();
  private readonly producers = new Map<string, Map<string, ClientInfo>>();
  /** RebalanceLockManager: (group, queue) -> the client holding it and when it last locked it. */
  private readonly locks = new Map<string, { clientId: string; lastUpdate: Micros }>();
  /** Transactions (by message id) committed or rolled back: their op messages are in RMQ_SYS_TRANS_OP_HALF_TOPIC. */
  private readonly resolvedTx = new Set<string>();
  private readonly held = new Map<ConsumeQueue, Held[]>();
  private readonly slaves = new Map<string, SlaveState>();
  /** The same slaves, in the map's order, as two arrays (pushToSlaves runs per message). */
  private readonly slaveNames: string[] = [];
  private readonly slaveStates: SlaveState[] = [];
  private flushWaiters: Waiter[] = [];
  private haWaiters: Waiter[] = [];
  private fsyncRunning = false;
  private lastThoroughFlush: Micros = 0;
  private session = 0;
  /** Takes writes: brokerId 0, or the DLedger leader. */
  private isMaster: boolean;
  /** Bumped when this broker stops or starts being the master: master-only timers of an older epoch stop. */
  private masterEpoch = 0;
  // DLedger (enableDLegerCommitLog): the Raft state of this member.
  private readonly dl: boolean;
  private term = 0;
  private votedFor: string | null = null;
  private raftRole: 'follower' | 'candidate' | 'leader' = 'follower';
  private leader: string | null = null;
  private votes = new Set<string>();
  private lastLeaderContact: Micros = 0;
  private nextVoteAt: Micros = 0;
  private lastHeartbeat: Micros = 0;
  private commitPhy = 0;
  private readonly peerState = new Map<string, { next: number; match: number; inFlight: boolean }>();
  private termFile!: DiskFile<{ term: number; votedFor: string | null }>;

  constructor(private readonly o: BrokerOptions) {
    this.dl = o.settings.enableDLegerCommitLog;
    this.isMaster = !this.dl && o.brokerId === 0;
  }

  get role(): string {
    if (this.dl) return this.raftRole;
    return this.isMaster ? this.o.settings.brokerRole : 'SLAVE';
  }

  /** The brokerId registered with the NameServers: 0 for the master (DLedger: the leader). */
  private get registeredId(): number {
    if (!this.dl) return this.o.brokerId;
    return this.raftRole === 'leader' ? 0 : this.o.brokerId + 1;
  }

  /** Where a slave (DLedger: a follower) synchronizes offsets from. */
  private get masterAddr(): string | null {
    return this.dl ? (this.leader !== this.ctx.name ? this.leader : null) : this.o.master;
  }

  start(ctx: NodeContext, restarted: boolean): void {
    this.ctx = ctx;
    const s = this.o.settings;
    this.store = new MessageStore(ctx.disk, s.mappedFileSizeCommitLog);
    for (const [topic, config] of Object.entries(this.o.topics)) this.topics.set(topic, config);
    this.topicsFile = ctx.disk.file('config/topics.json');
    this.offsetsFile = ctx.disk.file('config/consumerOffset.json');
    this.delayFile = ctx.disk.file('config/delayOffset.json');
    this.delayOffsets = s.delayLevels.map(() => 0);
    this.idleLevels = s.delayLevels.map(() => false);
    // DLedger dispatches committed entries; SYNC_FLUSH (master and slave) dispatches fsynced records only.
    this.store.deferDispatch = this.dl || s.flushDiskType === 'SYNC_FLUSH';
    this.termFile = ctx.disk.file('dledger/term');
    if (restarted) this.recover();
    if (this.dl) {
      const last = this.termFile.records[this.termFile.length - 1];
      if (last) {
        this.term = last.term;
        this.votedFor = last.votedFor;
      }
      // A fresh group elects at once (after a random 0-1 s); a restarted member first waits for the leader's heartbeat.
      this.lastLeaderContact = restarted ? ctx.trueNow() : ctx.trueNow() - DLEDGER_HEARTBEAT * DLEDGER_MAX_HEARTBEAT_LEAK;
      this.nextVoteAt = ctx.trueNow() + ctx.random('election').int(1_000_000);
      ctx.setTimer(DLEDGER_TICK, 'dledger-tick');
    }
    this.store.onDispatch = (cq) => this.wake(cq);
    this.lastThoroughFlush = ctx.trueNow();
    this.session = ctx.trueNow();
    this.registerAll();
    ctx.setTimer(s.registerNameServerPeriod, 'register');
    ctx.setTimer(s.flushIntervalConsumeQueue, 'flush-cq');
    if (s.flushDiskType === 'ASYNC_FLUSH') ctx.setTimer(s.flushIntervalCommitLog, 'flush-commitlog');
    ctx.setTimer(s.flushConsumerOffsetInterval, 'persist-offsets');
    ctx.setTimer(HOUSEKEEPING_INTERVAL, 'housekeeping');
    if (this.isMaster) this.startMasterServices();
    else if (!this.dl) {
      this.reportOffset();
      ctx.setTimer(s.haSendHeartbeatInterval, 'ha-heartbeat');
    }
    if (!this.isMaster) ctx.setTimer(SLAVE_SYNC_INTERVAL, 'slave-sync');
  }

  /** ScheduleMessageService, the transaction check and delayOffset.json run on the master only. */
  private startMasterServices(): void {
    const s = this.o.settings;
    const epoch = this.masterEpoch;
    this.ctx.setTimer(s.transactionCheckInterval, 'transaction-check', epoch);
    this.ctx.setTimer(s.flushDelayOffsetInterval, 'persist-delay', epoch);
    this.idleLevels = s.delayLevels.map(() => false);
    for (let level = 0; level < s.delayLevels.length; level++) this.ctx.setTimer(FIRST_DELAY_TIME, 'schedule', { level, epoch });
  }

  private recover(): void {
    const result = this.store.recover(this.dl);
    for (const { topic, config } of this.topicsFile.records) this.topics.set(topic, config);
    const offsets = this.offsetsFile.records[this.offsetsFile.length - 1];
    if (offsets) for (const [k, v] of offsets) this.offsets.set(k, v);
    const delay = this.delayFile.records[this.delayFile.length - 1];
    if (delay) for (let i = 0; i < delay.length && i < this.delayOffsets.length; i++) this.delayOffsets[i] = delay[i]!;
    const ops = this.store.findQueue(TRANS_OP_HALF_TOPIC, 0);
    if (ops) for (const entry of ops.file.records) this.resolvedTx.add(this.store.lookup(entry.phy)?.msg ?? '');
    this.ctx.note('store-recovered', { ...result, maxPhy: this.store.maxPhy, offsets: this.offsets.size });
  }

  // ------------------------------------------------------------------ dispatch

  receive(from: string, message: Message): void {
    switch (message.type) {
      case 'SEND_MESSAGE':
        return this.onSend(from, message as SendRequest);
      case 'LOCK_BATCH_MQ':
        return this.onLock(from, message as LockRequest);
      case 'UNLOCK_BATCH_MQ': {
        const m = message as LockRequest;
        for (const mq of m.mqs) {
          const key = offsetKey(m.group, mq.topic, mq.queueId);
          if (this.locks.get(key)?.clientId === m.clientId) this.locks.delete(key);
        }
        return respond(this.ctx, from, m, 'SUCCESS');
      }
      case 'PULL_MESSAGE':
        return this.onPull(from, message as PullRequest, true);
      case 'HEART_BEAT':
        return this.onHeartbeat(from, message as HeartbeatRequest);
      case 'UNREGISTER_CLIENT':
        return this.onUnregister(from, message as Request & { clientId: string; group: string });
      case 'GET_CONSUMER_LIST_BY_GROUP':
        return this.onConsumerList(from, message as Request & { group: string });
      case 'GET_MIN_OFFSET':
      case 'GET_MAX_OFFSET': {
        // The consume queue's first (no file is ever deleted here: 0) and next offset.
        const m = message as Request & { topic: string; queueId: number };
        return respond(this.ctx, from, m, 'SUCCESS', { offset: m.type === 'GET_MIN_OFFSET' ? 0 : this.store.queue(m.topic, m.queueId).length });
      }
      case 'QUERY_CONSUMER_OFFSET':
        return this.onQueryOffset(from, message as Request & { group: string; topic: string; queueId: number });
      case 'UPDATE_CONSUMER_OFFSET': {
        const m = message as Request & { group: string; topic: string; queueId: number; offset: number };
        this.offsets.set(offsetKey(m.group, m.topic, m.queueId), m.offset);
        return respond(this.ctx, from, m, 'SUCCESS');
      }
      case 'GET_ALL_CONSUMER_OFFSET':
        return respond(this.ctx, from, message as Request, 'SUCCESS', { offsets: [...this.offsets], delayOffsets: this.delayOffsets.slice() }, HEADER_BYTES + 40 * this.offsets.size);
      case 'CONSUMER_SEND_MSG_BACK':
        return this.onSendBack(from, message as SendBackRequest);
      case 'HA_REPORT_OFFSET':
        return this.onHaReport(from, message as HaReport);
      case 'END_TRANSACTION':
        return this.onEndTransaction(message as EndTransactionRequest);
      case 'DLEDGER_APPEND':
        return this.onAppend(from, message as DledgerAppend);
      case 'DLEDGER_APPEND_ACK':
        return this.onAppendAck(from, message as DledgerAppendAck);
      case 'DLEDGER_VOTE':
        return this.onVote(from, message as DledgerVote);
      case 'DLEDGER_VOTE_ACK':
        return this.onVoteAck(from, message as DledgerVoteAck);
      case 'HA_TRANSFER':
        return this.onHaTransfer(message as HaTransfer);
      case 'RESPONSE':
        return this.onResponse(message as Request & { code: string; offsets?: [string, number][] });
    }
  }

  onTimer(tag: string, data: unknown): void {
    const s = this.o.settings;
    switch (tag) {
      case 'register':
        this.registerAll();
        this.ctx.setTimer(s.registerNameServerPeriod, 'register');
        break;
      case 'flush-commitlog':
        this.asyncFlush();
        this.ctx.setTimer(s.flushIntervalCommitLog, 'flush-commitlog');
        break;
      case 'flush-cq': {
        const dirty = this.store.consumeQueueFiles().filter((f) => f.durableLength < f.length);
        if (dirty.length > 0) this.ctx.disk.fsync(undefined, dirty);
        this.ctx.setTimer(s.flushIntervalConsumeQueue, 'flush-cq');
        break;
      }
      case 'persist-offsets':
        this.persistOffsets();
        this.ctx.setTimer(s.flushConsumerOffsetInterval, 'persist-offsets');
        break;
      case 'persist-delay':
        if (data !== this.masterEpoch) break;
        this.writeConfig(this.delayFile, this.delayOffsets.slice(), 8 * this.delayOffsets.length);
        this.ctx.setTimer(s.flushDelayOffsetInterval, 'persist-delay', data);
        break;
      case 'housekeeping':
        this.housekeeping();
        this.ctx.setTimer(HOUSEKEEPING_INTERVAL, 'housekeeping');
        break;
      case 'schedule': {
        const { level, epoch } = data as { level: number; epoch: number };
        if (epoch === this.masterEpoch) this.deliverDelayed(level);
        break;
      }
      case 'transaction-check':
        if (data !== this.masterEpoch) break;
        this.checkTransactions();
        this.ctx.setTimer(s.transactionCheckInterval, 'transaction-check', data);
        break;
      case 'dledger-tick':
        this.dledgerTick();
        this.ctx.setTimer(DLEDGER_TICK, 'dledger-tick');
        break;
      case 'ha-heartbeat':
        this.reportOffset();
        this.ctx.setTimer(s.haSendHeartbeatInterval, 'ha-heartbeat');
        break;
      case 'slave-sync': {
        const master = this.masterAddr;
        if (!this.isMaster && master !== null) this.ctx.send(master, { type: 'GET_ALL_CONSUMER_OFFSET', opaque: 1 } as Request, HEADER_BYTES);
        this.ctx.setTimer(SLAVE_SYNC_INTERVAL, 'slave-sync');
        break;
      }
      case 'flush-timeout':
      case 'ha-timeout': {
        const waiter = data as Waiter;
        const list = tag === 'flush-timeout' ? this.flushWaiters : this.haWaiters;
        const at = list.indexOf(waiter);
        if (at >= 0) {
          list.splice(at, 1);
          waiter.done(false);
        }
        break;
      }
      case 'hold-timeout': {
        const held = data as Held;
        const cq = this.store.queue(held.req.topic, held.req.queueId);
        const list = this.held.get(cq);
        const at = list ? list.indexOf(held) : -1;
        if (at >= 0) {
          list!.splice(at, 1);
          this.onPull(held.from, held.req, false);
        }
        break;
      }
    }
  }

  private onResponse(m: Request & { code: string; offsets?: [string, number][]; delayOffsets?: number[] }): void {
    // The only request a broker makes with an answer: SlaveSynchronize's GET_ALL_CONSUMER_OFFSET
    // (the consumer offsets and the delay offsets).
    if (!this.isMaster && m.offsets) {
      this.offsets.clear();
      for (const [k, v] of m.offsets) this.offsets.set(k, v);
      if (m.delayOffsets) this.delayOffsets = m.delayOffsets.slice();
    }
  }

  // ------------------------------------------------------------------ registration

  private registerAll(): void {
    const topics: Record<string, TopicConfig> = {};
    for (const [topic, config] of this.topics) topics[topic] = config;
    for (const ns of this.o.nameServers) {
      this.ctx.send(ns, {
        type: 'REGISTER_BROKER', opaque: 0, clusterName: this.o.clusterName, brokerName: this.o.brokerName,
        brokerId: this.registeredId, brokerAddr: this.ctx.name, topics,
      } as Request, HEADER_BYTES + 64 * this.topics.size);
    }
  }

  private createTopic(topic: string, config: TopicConfig): void {
    if (this.topics.has(topic)) return;
    this.topics.set(topic, config);
    this.writeConfig(this.topicsFile, { topic, config }, 64);
    this.ctx.note('topic-created', { topic, ...config });
    this.registerAll();
  }

  // ------------------------------------------------------------------ writes

  private onSend(from: string, req: SendRequest): void {
    if (!this.isMaster) {
      respond(this.ctx, from, req, 'SERVICE_NOT_AVAILABLE', { remark: `the broker[${this.ctx.name}] is a slave, sending message is forbidden` });
      return;
    }
    const config = this.topics.get(req.topic);
    if (!config) {
      respond(this.ctx, from, req, 'TOPIC_NOT_EXIST', { remark: `topic[${req.topic}] not exist` });
      return;
    }
    if ((config.perm & PERM_WRITE) === 0) {
      respond(this.ctx, from, req, 'NO_PERMISSION', { remark: `the topic[${req.topic}] sending message is forbidden` });
      return;
    }
    if (req.queueId < 0 || req.queueId >= config.writeQueueNums) {
      respond(this.ctx, from, req, 'SYSTEM_ERROR', { remark: `queueId ${req.queueId} is illegal` });
      return;
    }
    if (!req.transactional && req.delayLevel <= 0 && !this.dl) {
      // The common case: a plain message straight into its topic, without a NewMessage per message.
      this.putPlain(req, this.sendStored, { from, req });
      return;
    }
    const message: NewMessage = {
      topic: req.topic, queueId: req.queueId, msg: req.msg, key: req.key, tags: req.tags, body: req.body,
      bornTime: req.bornTime, reconsumeTimes: 0,
    };
    const toStore = req.transactional
      ? { ...message, topic: TRANS_HALF_TOPIC, queueId: 0, realTopic: req.topic, realQueueId: req.queueId, producerGroup: req.producerGroup, checkTimes: 0 }
      : this.delayed(message, req.delayLevel);
    this.put(toStore, this.sendStored, { from, req });
  }

  /** SEND_MESSAGE's answer once the message is stored (and flushed / replicated as configured). */
  private readonly sendStored = (to: { from: string; req: SendRequest }, code: string, stored: StoredMessage | null): void => {
    const req = to.req;
    // type, opaque and code (set by respond) are in the literal: no properties added to the object later.
    respond(this.ctx, to.from, req, code, stored
      ? {
        type: 'RESPONSE', opaque: req.opaque, code, brokerName: this.o.brokerName, queueId: req.queueId, queueOffset: stored.queueOffset,
        delayed: req.delayLevel > 0 || req.transactional === true, phy: stored.phy,
      }
      : { remark: 'put failed' });
  };

  /** A message with a delay level goes to SCHEDULE_TOPIC_XXXX queue level-1, due at now + delay. */
  private delayed(m: NewMessage, delayLevel: number): NewMessage {
    if (delayLevel <= 0) return m;
    const levels = this.o.settings.delayLevels;
    const level = Math.min(delayLevel, levels.length);
    return { ...m, topic: SCHEDULE_TOPIC, queueId: level - 1, realTopic: m.topic, realQueueId: m.queueId, delayLevel: level, tagsCode: this.ctx.now() + levels[level - 1]! };
  }

  /**
   * Appends, then waits as flushDiskType and brokerRole say; `done` gets SUCCESS (SEND_OK),
   * FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE or SERVICE_NOT_AVAILABLE (disk full).
   */
  private put<A>(m: NewMessage, done: PutDone<A>, arg: A): void {
    let stored: StoredMessage;
    const files = this.store.files.length;
    try {
      stored = this.store.append(this.dl ? { ...m, term: this.term } : m, this.ctx.now());
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      this.ctx.note('disk-full', { topic: m.topic, msg: m.msg });
      done(arg, 'SERVICE_NOT_AVAILABLE', null);
      return;
    }
    this.stored(files, stored, done, arg);
  }

  /** put for a plain SEND_MESSAGE (not transactional, no delay level, not DLedger): appendPlain, then as put. */
  private putPlain<A>(req: SendRequest, done: PutDone<A>, arg: A): void {
    let stored: StoredMessage;
    const files = this.store.files.length;
    try {
      stored = this.store.appendPlain(req.topic, req.queueId, req.msg, req.key, req.tags, req.body, req.bornTime, this.ctx.now());
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      this.ctx.note('disk-full', { topic: req.topic, msg: req.msg });
      done(arg, 'SERVICE_NOT_AVAILABLE', null);
      return;
    }
    this.stored(files, stored, done, arg);
  }

  /** put's rest once the record is appended: a new mapped file's note, replication, and the flush / replication wait. */
  private stored<A>(files: number, stored: StoredMessage, done: PutDone<A>, arg: A): void {
    if (this.store.files.length !== files) {
      this.o.stats.commitLogFiles++;
      this.ctx.note('commitlog-new-mapped-file', { file: this.store.files[this.store.files.length - 1]!.start });
    }
    this.pushToSlaves();
    if (this.o.settings.flushDiskType === 'SYNC_FLUSH') {
      this.waitFor(this.flushWaiters, 'flush-timeout', stored.phy + stored.size, (flushed) => this.afterFlush(flushed, stored, done, arg));
      this.groupCommit();
    } else {
      this.afterFlush(true, stored, done, arg);
    }
  }

  /** After the flush (or at once with ASYNC_FLUSH): the replication wait brokerRole / DLedger asks for, then `done`. */
  private afterFlush<A>(flushed: boolean, stored: StoredMessage, done: PutDone<A>, arg: A): void {
    if (!flushed) {
      this.o.stats.flushDiskTimeouts++;
      done(arg, 'FLUSH_DISK_TIMEOUT', stored);
      return;
    }
    const end = stored.phy + stored.size;
    if (this.dl) {
      // DLedger: SEND_OK once a majority of the group has the entry (it is then committed).
      this.waitFor(this.haWaiters, 'ha-timeout', end, (ok) => {
        if (!ok) this.o.stats.flushSlaveTimeouts++;
        done(arg, ok ? 'SUCCESS' : 'FLUSH_SLAVE_TIMEOUT', stored);
      });
      this.advanceCommit();
      return;
    }
    if (this.o.settings.brokerRole !== 'SYNC_MASTER') {
      done(arg, 'SUCCESS', stored);
      return;
    }
    if (!this.slaveOk(end)) {
      this.o.stats.slaveNotAvailable++;
      done(arg, 'SLAVE_NOT_AVAILABLE', stored);
      return;
    }
    this.waitFor(this.haWaiters, 'ha-timeout', end, (ok) => {
      if (!ok) this.o.stats.flushSlaveTimeouts++;
      done(arg, ok ? 'SUCCESS' : 'FLUSH_SLAVE_TIMEOUT', stored);
    });
    this.resolveHa();
  }

  private waitFor(list: Waiter[], timeoutTag: string, end: number, done: (ok: boolean) => void): void {
    const waiter: Waiter = { end, done, timer: null };
    waiter.timer = this.ctx.setTimer(this.o.settings.syncFlushTimeout, timeoutTag, waiter);
    list.push(waiter);
  }

  /** GroupCommitService: one fsync at a time covering everything written before it started. */
  private groupCommit(): void {
    if (this.fsyncRunning || this.flushWaiters.length === 0) return;
    this.fsyncRunning = true;
    const upTo = this.store.maxPhy;
    this.ctx.disk.fsync(() => {
      this.fsyncRunning = false;
      // ReputMessageService: under SYNC_FLUSH the consume queues follow the flushed position.
      if (!this.dl) this.store.dispatchUpTo(upTo);
      const still: Waiter[] = [];
      for (const w of this.flushWaiters) {
        if (w.end <= upTo) {
          this.ctx.cancelTimer(w.timer);
          w.done(true);
        } else still.push(w);
      }
      this.flushWaiters = still;
      this.groupCommit();
    }, this.store.commitLogFiles().filter((f) => f.durableLength < f.length));
  }

  /** FlushRealTimeService: fsync when enough pages are dirty, or thoroughly every so often. */
  private asyncFlush(): void {
    if (this.fsyncRunning) return;
    const dirtyFiles = this.store.commitLogFiles().filter((f) => f.durableLength < f.length);
    if (dirtyFiles.length === 0) return;
    const s = this.o.settings;
    const now = this.ctx.trueNow();
    const thorough = now - this.lastThoroughFlush >= s.flushCommitLogThoroughInterval;
    if (!thorough) {
      let dirtyBytes = 0;
      for (const f of dirtyFiles) dirtyBytes += f.bytes - f.durableBytes;
      if (dirtyBytes < s.flushCommitLogLeastPages * PAGE) return;
    } else this.lastThoroughFlush = now;
    this.fsyncRunning = true;
    this.ctx.disk.fsync(() => { this.fsyncRunning = false; }, dirtyFiles);
  }

  // ------------------------------------------------------------------ HA

  private slaveOk(end: number): boolean {
    const now = this.ctx.trueNow();
    for (const slave of this.slaves.values()) {
      if (now - slave.lastReport <= this.o.settings.haHousekeepingInterval && end - slave.ack < this.o.settings.haSlaveFallbehindMax) return true;
    }
    return false;
  }

  private onHaReport(from: string, report: HaReport): void {
    if (!this.isMaster) return;
    let slave = this.slaves.get(from);
    if (!slave || slave.session !== report.session) {
      slave = { session: report.session, ack: report.offset, pushedTo: report.offset, lastReport: 0, inFlight: false, pushedIndex: 0 };
      if (!this.slaves.has(from)) this.slaveNames.push(from);
      this.slaves.set(from, slave);
      this.slaveStates[this.slaveNames.indexOf(from)] = slave;
      this.ctx.note('ha-slave-connected', { slave: from, offset: report.offset, masterOffset: this.store.maxPhy });
    }
    slave.ack = Math.max(slave.ack, report.offset);
    slave.lastReport = this.ctx.trueNow();
    if (report.offset >= slave.pushedTo) slave.inFlight = false;
    this.resolveHa();
    this.push(from, slave);
  }

  private resolveHa(): void {
    if (this.haWaiters.length === 0) return;
    let best = -1;
    if (this.dl) best = this.commitPhy;
    else for (const slave of this.slaves.values()) best = Math.max(best, slave.ack);
    const still: Waiter[] = [];
    for (const w of this.haWaiters) {
      if (w.end <= best) {
        this.ctx.cancelTimer(w.timer);
        w.done(true);
      } else still.push(w);
    }
    this.haWaiters = still;
  }

  private pushToSlaves(): void {
    if (this.dl) {
      for (const peer of this.peers()) this.dledgerPush(peer);
      return;
    }
    const now = this.ctx.trueNow();
    // Runs per message: the slaves in the map's order, from arrays (no iterator and entry per message).
    const names = this.slaveNames;
    for (let i = 0; i < names.length; i++) {
      const slave = this.slaveStates[i]!;
      if (now - slave.lastReport <= this.o.settings.haHousekeepingInterval) this.push(names[i]!, slave);
    }
  }

  /**
   * WriteSocketService: sends the commit log from where the slave is, at most haTransferBatchSize
   * (32 KiB) at a time, one transfer in flight until the slave reports it.
   */
  private push(name: string, slave: SlaveState): void {
    if (slave.inFlight || slave.pushedTo >= this.store.maxPhy) return;
    const hint = slave.pushedIndex;
    const from = this.store.records[hint]?.phy === slave.pushedTo ? hint : this.store.indexAt(slave.pushedTo);
    const all = this.store.records;
    const first = all[from];
    if (!first || first.phy !== slave.pushedTo) return; // the slave's offset is not a record boundary here: replication stalls
    let to = from;
    let bytes = 0;
    while (to < all.length && (to === from || bytes + all[to]!.size <= HA_TRANSFER_BATCH_SIZE)) bytes += all[to++]!.size;
    const records = all.slice(from, to);
    this.ctx.send(name, { type: 'HA_TRANSFER', from: slave.pushedTo, records } as HaTransfer, HEADER_BYTES + bytes);
    slave.pushedTo = first.phy + bytes;
    slave.pushedIndex = to;
    slave.inFlight = true;
  }

  private reportOffset(): void {
    this.ctx.send(this.o.master, { type: 'HA_REPORT_OFFSET', offset: this.store.maxPhy, session: this.session } as HaReport, 16);
  }

  private onHaTransfer(t: HaTransfer): void {
    if (this.isMaster) return;
    if (t.from !== this.store.maxPhy) {
      // HAClient: "master pushed offset not equal the max phy offset in slave" -> reconnect.
      this.ctx.note('ha-offset-mismatch', { pushed: t.from, slave: this.store.maxPhy });
      this.session++;
      this.reportOffset();
      return;
    }
    try {
      for (const record of t.records) this.store.appendReplica(record);
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      this.ctx.note('disk-full', { replica: true });
    }
    this.reportOffset();
    if (this.store.deferDispatch) this.slaveFlush();
  }

  /**
   * A SYNC_FLUSH slave: its GroupCommitService, with no put requests, flushes the commit log every
   * 10 ms (doCommit -> mappedFileQueue.flush(0)); replicated records reach the consume queues
   * once fsynced (the confirm offset of a SYNC_FLUSH store is its flushed position). Modelled as
   * one fsync at a time, covering everything received before it started.
   */
  private slaveFlush(): void {
    if (this.fsyncRunning || this.store.dispatched >= this.store.records.length) return;
    this.fsyncRunning = true;
    const upTo = this.store.maxPhy;
    this.ctx.disk.fsync(() => {
      this.fsyncRunning = false;
      this.store.dispatchUpTo(upTo);
      this.slaveFlush();
    }, this.store.commitLogFiles().filter((f) => f.durableLength < f.length));
  }

  // ------------------------------------------------------------------ DLedger

  private peers(): string[] {
    return this.o.groupNodes.filter((n) => n !== this.ctx.name);
  }

  private lastTerm(): number {
    const records = this.store.records;
    return records.length === 0 ? 0 : records[records.length - 1]!.term ?? 0;
  }

  private persistTerm(): void {
    this.writeConfig(this.termFile, { term: this.term, votedFor: this.votedFor }, 16);
  }

  /** Heartbeats (leader), or an election when the leader has been silent for 3 heartbeats. */
  private dledgerTick(): void {
    const now = this.ctx.trueNow();
    if (this.raftRole === 'leader') {
      if (now - this.lastHeartbeat >= DLEDGER_HEARTBEAT) {
        this.lastHeartbeat = now;
        for (const peer of this.peers()) this.dledgerPush(peer, true);
      }
      return;
    }
    if (now - this.lastLeaderContact < DLEDGER_HEARTBEAT * DLEDGER_MAX_HEARTBEAT_LEAK || now < this.nextVoteAt) return;
    // Candidate: a new term, a vote for itself, and a vote request to every peer.
    this.term++;
    this.raftRole = 'candidate';
    this.votedFor = this.ctx.name;
    this.leader = null;
    this.votes = new Set([this.ctx.name]);
    this.persistTerm();
    this.nextVoteAt = now + 300_000 + this.ctx.random('election').int(700_000);
    this.ctx.note('dledger-candidate', { term: this.term });
    for (const peer of this.peers()) {
      this.ctx.send(peer, { type: 'DLEDGER_VOTE', term: this.term, lastPhy: this.store.maxPhy, lastTerm: this.lastTerm() } as DledgerVote, 64);
    }
    if (this.votes.size * 2 > this.o.groupNodes.length) this.becomeLeader();
  }

  private onVote(from: string, v: DledgerVote): void {
    if (v.term > this.term) this.becomeFollower(v.term, null);
    const mine = { lastTerm: this.lastTerm(), lastPhy: this.store.maxPhy };
    const upToDate = v.lastTerm > mine.lastTerm || (v.lastTerm === mine.lastTerm && v.lastPhy >= mine.lastPhy);
    const granted = v.term === this.term && (this.votedFor === null || this.votedFor === from) && upToDate;
    if (granted) {
      this.votedFor = from;
      this.persistTerm();
      this.lastLeaderContact = this.ctx.trueNow();
    }
    this.ctx.send(from, { type: 'DLEDGER_VOTE_ACK', term: this.term, granted } as DledgerVoteAck, 32);
  }

  private onVoteAck(from: string, a: DledgerVoteAck): void {
    if (a.term > this.term) {
      this.becomeFollower(a.term, null);
      return;
    }
    if (this.raftRole !== 'candidate' || a.term !== this.term || !a.granted) return;
    this.votes.add(from);
    if (this.votes.size * 2 > this.o.groupNodes.length) this.becomeLeader();
  }

  private becomeLeader(): void {
    this.raftRole = 'leader';
    this.leader = this.ctx.name;
    this.isMaster = true;
    this.masterEpoch++;
    this.peerState.clear();
    for (const peer of this.peers()) this.peerState.set(peer, { next: this.store.maxPhy, match: 0, inFlight: false });
    this.o.stats.dledgerElections++;
    this.ctx.note('dledger-leader', { term: this.term, maxPhy: this.store.maxPhy });
    this.o.onLeader?.(this.o.brokerName, this.ctx.name, this.term);
    this.lastHeartbeat = this.ctx.trueNow();
    for (const peer of this.peers()) this.dledgerPush(peer, true);
    this.startMasterServices();
    this.registerAll();
  }

  private becomeFollower(term: number, leader: string | null): void {
    const wasLeader = this.raftRole === 'leader';
    if (term > this.term) {
      this.term = term;
      this.votedFor = null;
      this.persistTerm();
    }
    this.raftRole = 'follower';
    this.leader = leader;
    if (wasLeader) {
      this.isMaster = false;
      this.masterEpoch++;
      this.ctx.note('dledger-step-down', { term: this.term, leader });
      this.registerAll();
    }
  }

  /** Leader: sends the peer its missing entries (32 KiB at a time, one append in flight), or a heartbeat. */
  private dledgerPush(peer: string, heartbeat = false): void {
    if (this.raftRole !== 'leader') return;
    const st = this.peerState.get(peer);
    if (!st) return;
    const all = this.store.records;
    let from = this.store.indexAt(st.next);
    if (from < all.length && all[from]!.phy !== st.next) from = all.length; // not a boundary: send nothing, only prev
    let records: StoredMessage[] = [];
    if (!st.inFlight && st.next < this.store.maxPhy && from < all.length) {
      let to = from;
      let bytes = 0;
      while (to < all.length && (to === from || bytes + all[to]!.size <= HA_TRANSFER_BATCH_SIZE)) bytes += all[to++]!.size;
      records = all.slice(from, to);
      st.inFlight = true;
    } else if (!heartbeat) return;
    const prev = from > 0 ? all[from - 1] : undefined;
    const prevPhy = prev ? prev.phy + prev.size : 0;
    let bytes = HEADER_BYTES;
    for (const r of records) bytes += r.size;
    this.ctx.send(peer, {
      type: 'DLEDGER_APPEND', term: this.term, prevPhy, prevTerm: prev?.term ?? 0, records, commitPhy: this.commitPhy,
    } as DledgerAppend, bytes);
  }

  private onAppend(from: string, a: DledgerAppend): void {
    if (a.term < this.term) {
      this.ctx.send(from, { type: 'DLEDGER_APPEND_ACK', term: this.term, ok: false, maxPhy: this.store.maxPhy, data: a.records.length > 0 } as DledgerAppendAck, 32);
      return;
    }
    if (a.term > this.term || this.raftRole !== 'follower' || this.leader !== from) this.becomeFollower(a.term, from);
    this.lastLeaderContact = this.ctx.trueNow();
    const records = this.store.records;
    let ok = true;
    let hint = this.store.maxPhy;
    if (a.prevPhy > this.store.maxPhy) {
      ok = false;
    } else if (a.prevPhy > 0) {
      const i = this.store.indexAt(a.prevPhy) - 1;
      const prev = records[i];
      if (!prev || prev.phy + prev.size !== a.prevPhy || (prev.term ?? 0) !== a.prevTerm) {
        ok = false;
        hint = prev ? prev.phy : 0;
      }
    }
    if (ok && a.records.length > 0) {
      if (a.prevPhy < this.store.maxPhy) {
        const dropped = this.store.truncateTo(a.prevPhy);
        if (dropped > 0) this.ctx.note('dledger-truncate', { from: a.prevPhy, records: dropped });
      }
      try {
        for (const record of a.records) this.store.appendReplica(record);
      } catch (error) {
        if (!(error instanceof DiskFullError)) throw error;
        this.ctx.note('disk-full', { replica: true });
      }
    }
    if (ok) this.store.dispatchUpTo(Math.min(a.commitPhy, this.store.maxPhy));
    this.ctx.send(from, { type: 'DLEDGER_APPEND_ACK', term: this.term, ok, maxPhy: ok ? this.store.maxPhy : hint, data: a.records.length > 0 } as DledgerAppendAck, 32);
  }

  private onAppendAck(from: string, a: DledgerAppendAck): void {
    if (a.term > this.term) {
      this.becomeFollower(a.term, null);
      return;
    }
    const st = this.peerState.get(from);
    if (this.raftRole !== 'leader' || !st) return;
    // Only the answer to the append carrying entries ends the one in flight (a heartbeat's answer may come first).
    if (a.data || !a.ok) st.inFlight = false;
    if (a.ok) {
      st.match = Math.max(st.match, a.maxPhy);
      st.next = a.maxPhy;
      this.advanceCommit();
    } else st.next = Math.min(st.next, a.maxPhy);
    this.dledgerPush(from);
  }

  /** QuorumAckChecker: the commit point is the offset a majority (the leader included) has. */
  private advanceCommit(): void {
    if (this.raftRole !== 'leader') return;
    const acked = [this.store.maxPhy, ...[...this.peerState.values()].map((p) => p.match)].sort((x, y) => y - x);
    const quorum = acked[Math.floor(this.o.groupNodes.length / 2)]!;
    if (quorum > this.commitPhy) {
      this.commitPhy = quorum;
      this.store.dispatchUpTo(quorum);
      this.resolveHa();
    }
  }

  // ------------------------------------------------------------------ delay

  private deliverDelayed(level: number): void {
    if (!this.isMaster) return;
    const cq = this.store.findQueue(SCHEDULE_TOPIC, level);
    const now = this.ctx.now();
    let offset = this.delayOffsets[level]!;
    while (cq && offset < cq.length) {
      const entry = cq.file.records[offset]!;
      if (entry.tagsCode > now) {
        this.delayOffsets[level] = offset;
        this.ctx.setTimer(entry.tagsCode - now, 'schedule', { level, epoch: this.masterEpoch });
        return;
      }
      const stored = this.store.lookup(entry.phy);
      offset++;
      if (!stored || stored.realTopic === undefined) continue;
      const real: NewMessage = {
        topic: stored.realTopic, queueId: stored.realQueueId!, msg: stored.msg, key: stored.key, tags: stored.tags, body: stored.body,
        bornTime: stored.bornTime, reconsumeTimes: stored.reconsumeTimes,
        ...(stored.retryTopic !== undefined ? { retryTopic: stored.retryTopic } : {}),
      };
      this.o.stats.delayedDelivered++;
      this.put(real, ignorePut, undefined);
    }
    this.delayOffsets[level] = offset;
    // Empty: RocketMQ looks again every DELAY_FOR_A_WHILE (100 ms). Every delay is longer than that,
    // so waking up when the next message of this level is dispatched delivers at the same instant.
    this.idleLevels[level] = true;
  }

  // ------------------------------------------------------------------ pulls

  private onPull(from: string, req: PullRequest, allowSuspend: boolean): void {
    if (allowSuspend && !this.isMaster) this.o.stats.slavePulls++;
    if (req.commitOffset >= 0 && this.isMaster) this.offsets.set(offsetKey(req.group, req.topic, req.queueId), req.commitOffset);
    const config = this.topics.get(req.topic);
    if (config && (config.perm & PERM_READ) === 0) {
      respond(this.ctx, from, req, 'NO_PERMISSION', { remark: `the topic[${req.topic}] pulling message is forbidden` });
      return;
    }
    const cq = this.store.queue(req.topic, req.queueId);
    const max = cq.length;
    const base = { nextBeginOffset: req.queueOffset, minOffset: 0, maxOffset: max, brokerId: this.o.brokerId };
    if (req.queueOffset > max) {
      if (this.isMaster) respond(this.ctx, from, req, 'PULL_OFFSET_MOVED', { ...base, nextBeginOffset: max });
      else respond(this.ctx, from, req, 'PULL_RETRY_IMMEDIATELY', base);
      return;
    }
    if (req.queueOffset === max) {
      if (allowSuspend && this.o.settings.longPollingEnable) {
        const held: Held = { from, req, timer: null as unknown as Timer };
        held.timer = this.ctx.setTimer(req.suspendTimeoutMillis, 'hold-timeout', held);
        let list = this.held.get(cq);
        if (!list) {
          list = [];
          this.held.set(cq, list);
        }
        list.push(held);
        return;
      }
      respond(this.ctx, from, req, 'PULL_NOT_FOUND', base);
      return;
    }
    const entries = cq.file.records;
    const found: PulledMessage[] = [];
    const codes = req.tagsCodes;
    let bytes = HEADER_BYTES;
    let i = req.queueOffset;
    for (let scanned = 0; i < max && found.length < req.maxMsgNums && scanned < MAX_FILTER_ENTRIES; i++, scanned++) {
      const entry = entries[i]!;
      if (codes !== null && !codes.includes(entry.tagsCode)) {
        this.o.stats.tagFiltered++;
        continue;
      }
      const m = this.store.lookup(entry.phy);
      if (!m) continue;
      // A stored message is immutable: it goes out as the pulled message itself.
      found.push(m);
      bytes += m.size;
    }
    if (found.length === 0) {
      base.nextBeginOffset = i;
      respond(this.ctx, from, req, 'PULL_RETRY_IMMEDIATELY', base);
      return;
    }
    respond(this.ctx, from, req, 'SUCCESS', {
      type: 'RESPONSE', opaque: req.opaque, code: 'SUCCESS', nextBeginOffset: i, minOffset: 0, maxOffset: max, brokerId: this.o.brokerId, messages: found,
    }, bytes);
  }

  /** PullRequestHoldService.notifyMessageArriving: a held pull of this queue is answered now. */
  private wake(cq: ConsumeQueue): void {
    if (cq.topic === SCHEDULE_TOPIC && this.isMaster && this.idleLevels[cq.queueId]) {
      this.idleLevels[cq.queueId] = false;
      const due = cq.file.records[cq.length - 1]!.tagsCode;
      this.ctx.setTimer(Math.max(0, due - this.ctx.now()), 'schedule', { level: cq.queueId, epoch: this.masterEpoch });
    }
    const list = this.held.get(cq);
    if (!list || list.length === 0) return;
    this.held.delete(cq);
    for (const held of list) {
      this.ctx.cancelTimer(held.timer);
      this.onPull(held.from, held.req, false);
    }
  }

  // ------------------------------------------------------------------ consumers and offsets

  private onHeartbeat(from: string, hb: HeartbeatRequest): void {
    if (hb.producerGroup !== undefined) {
      let group = this.producers.get(hb.producerGroup);
      if (!group) {
        group = new Map();
        this.producers.set(hb.producerGroup, group);
      }
      group.set(hb.clientId, { addr: from, lastUpdate: this.ctx.now() });
    }
    for (const data of hb.consumerDatas) {
      let group = this.clients.get(data.group);
      if (!group) {
        group = new Map();
        this.clients.set(data.group, group);
      }
      const known = group.get(hb.clientId);
      group.set(hb.clientId, { addr: from, lastUpdate: this.ctx.now() });
      if (this.isMaster && data.messageModel === 'CLUSTERING') {
        this.createTopic(RETRY_PREFIX + data.group, { readQueueNums: 1, writeQueueNums: 1, perm: PERM_READ | PERM_WRITE });
      }
      if (!known) this.membershipChanged(data.group, `HEART_BEAT from new client ${hb.clientId}`);
    }
    respond(this.ctx, from, hb, 'SUCCESS');
  }

  private onUnregister(from: string, m: Request & { clientId: string; group: string }): void {
    const group = this.clients.get(m.group);
    if (group?.delete(m.clientId)) this.membershipChanged(m.group, `UNREGISTER_CLIENT ${m.clientId}`);
    respond(this.ctx, from, m, 'SUCCESS');
  }

  private housekeeping(): void {
    const now = this.ctx.now();
    for (const group of this.producers.values()) {
      for (const [clientId, info] of [...group]) if (info.lastUpdate + this.o.settings.channelExpiredTimeout < now) group.delete(clientId);
    }
    for (const [name, group] of this.clients) {
      for (const [clientId, info] of [...group]) {
        if (info.lastUpdate + this.o.settings.channelExpiredTimeout < now) {
          group.delete(clientId);
          this.ctx.note('client-expired', { group: name, clientId, silentFor: now - info.lastUpdate });
          this.membershipChanged(name, `channel expired ${clientId}`);
        }
      }
    }
  }

  private membershipChanged(group: string, reason: string): void {
    const members = this.clients.get(group)!;
    const ids = [...members.keys()];
    this.o.groups.update((d) => {
      (d[this.ctx.name] ??= {})[group] = ids;
    }, reason);
    if (!this.o.settings.notifyConsumerIdsChangedEnable) return;
    for (const info of members.values()) this.ctx.send(info.addr, { type: 'NOTIFY_CONSUMER_IDS_CHANGED', opaque: 0, group } as Request, HEADER_BYTES);
  }

  private onConsumerList(from: string, m: Request & { group: string }): void {
    const group = this.clients.get(m.group);
    if (!group || group.size === 0) {
      respond(this.ctx, from, m, 'SYSTEM_ERROR', { remark: `no consumer for this group, ${m.group}` });
      return;
    }
    respond(this.ctx, from, m, 'SUCCESS', { consumerIdList: [...group.keys()] }, HEADER_BYTES + 32 * group.size);
  }

  private onQueryOffset(from: string, m: Request & { group: string; topic: string; queueId: number }): void {
    const offset = this.offsets.get(offsetKey(m.group, m.topic, m.queueId));
    // ConsumerManageProcessor: no committed offset and the queue's first message still in memory -> 0.
    respond(this.ctx, from, m, 'SUCCESS', { offset: offset ?? 0 });
  }

  private persistOffsets(): void {
    if (this.offsets.size === 0) return;
    this.writeConfig(this.offsetsFile, [...this.offsets], 40 * this.offsets.size);
  }

  /** Writes a config file (topics.json, consumerOffset.json, delayOffset.json) and fsyncs it; a full disk skips the write. */
  private writeConfig<R>(file: DiskFile<R>, record: R, bytes: number): void {
    try {
      file.append(record, bytes);
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      this.ctx.note('disk-full', { file: file.name });
      return;
    }
    this.ctx.disk.fsync(undefined, [file]);
  }

  /**
   * LOCK_BATCH_MQ (orderly consumers, masters only): each queue free, expired (60 s,
   * rocketmq.broker.rebalance.lockMaxLiveTime) or already the caller's is locked to it; the answer
   * lists the queues it holds.
   */
  private onLock(from: string, m: LockRequest): void {
    if (!this.isMaster) {
      respond(this.ctx, from, m, 'SUCCESS', { lockOKMQSet: [] });
      return;
    }
    const now = this.ctx.now();
    const ok: { topic: string; queueId: number }[] = [];
    for (const mq of m.mqs) {
      const key = offsetKey(m.group, mq.topic, mq.queueId);
      const held = this.locks.get(key);
      if (!held || held.clientId === m.clientId || now - held.lastUpdate > LOCK_MAX_LIVE_TIME) {
        if (held && held.clientId !== m.clientId) this.ctx.note('mq-lock-expired', { queue: key, from: held.clientId, to: m.clientId });
        this.locks.set(key, { clientId: m.clientId, lastUpdate: now });
        ok.push(mq);
      }
    }
    respond(this.ctx, from, m, 'SUCCESS', { lockOKMQSet: ok });
  }

  private onSendBack(from: string, m: SendBackRequest): void {
    if (!this.isMaster) {
      respond(this.ctx, from, m, 'SERVICE_NOT_AVAILABLE', { remark: 'slave' });
      return;
    }
    const original = this.store.lookup(m.phy);
    if (!original || original.msg !== m.originMsgId) {
      respond(this.ctx, from, m, 'SYSTEM_ERROR', { remark: `look message by offset failed, ${m.phy}` });
      return;
    }
    const retryTopic = RETRY_PREFIX + m.group;
    this.createTopic(retryTopic, { readQueueNums: 1, writeQueueNums: 1, perm: PERM_READ | PERM_WRITE });
    const base = {
      msg: original.msg, key: original.key, tags: original.tags, body: original.body, bornTime: original.bornTime,
      reconsumeTimes: original.reconsumeTimes + 1, retryTopic: original.retryTopic ?? original.topic,
    };
    let message: NewMessage;
    if (original.reconsumeTimes >= m.maxReconsumeTimes || m.delayLevel < 0) {
      const dlq = DLQ_PREFIX + m.group;
      this.createTopic(dlq, { readQueueNums: 1, writeQueueNums: 1, perm: PERM_WRITE });
      message = { ...base, topic: dlq, queueId: 0 };
      this.o.stats.deadLettered++;
      this.ctx.note('dead-lettered', { msg: original.msg, group: m.group, reconsumeTimes: original.reconsumeTimes });
    } else {
      const level = m.delayLevel === 0 ? 3 + original.reconsumeTimes : m.delayLevel;
      message = this.delayed({ ...base, topic: retryTopic, queueId: 0 }, level);
      this.o.stats.retried++;
    }
    this.put(message, (_, code) => respond(this.ctx, from, m, code === 'SERVICE_NOT_AVAILABLE' ? code : 'SUCCESS'), undefined);
  }

  // ------------------------------------------------------------------ transactions

  /**
   * END_TRANSACTION: COMMIT_MESSAGE puts the half message into its real topic, ROLLBACK_MESSAGE
   * drops it; either way an op message in RMQ_SYS_TRANS_OP_HALF_TOPIC marks it done. UNKNOW
   * leaves it to the check.
   */
  private onEndTransaction(m: EndTransactionRequest): void {
    if (!this.isMaster || m.commitOrRollback === 'UNKNOW' || this.resolvedTx.has(m.msg)) return;
    const half = this.store.lookup(m.phy);
    if (!half || half.msg !== m.msg || half.realTopic === undefined) {
      this.ctx.note('end-transaction-no-half', { msg: m.msg, phy: m.phy });
      return;
    }
    this.resolvedTx.add(m.msg);
    if (m.commitOrRollback === 'COMMIT_MESSAGE') {
      this.o.stats.transactionCommitted++;
      this.put({
        topic: half.realTopic, queueId: half.realQueueId!, msg: half.msg, key: half.key, tags: half.tags, body: half.body,
        bornTime: half.bornTime, reconsumeTimes: 0,
      }, ignorePut, undefined);
    } else this.o.stats.transactionRolledBack++;
    this.put({ topic: TRANS_OP_HALF_TOPIC, queueId: 0, msg: half.msg, key: undefined, tags: 'd', body: 8, bornTime: half.bornTime, reconsumeTimes: 0 }, ignorePut, undefined);
    this.ctx.note(m.commitOrRollback === 'COMMIT_MESSAGE' ? 'transaction-committed' : 'transaction-rolled-back', { msg: m.msg, fromCheck: m.fromTransactionCheck });
  }

  /**
   * TransactionalMessageCheckService, every transactionCheckInterval: half messages older than
   * transactionTimeOut and not resolved are checked with CHECK_TRANSACTION_STATE sent to a producer
   * of their group, and written again at the end of the half queue with one more check; after
   * transactionCheckMax checks a half message is discarded.
   */
  private checkTransactions(): void {
    const cq = this.store.findQueue(TRANS_HALF_TOPIC, 0);
    if (!cq) return;
    const key = offsetKey(CID_SYS_RMQ_TRANS, TRANS_HALF_TOPIC, 0);
    const end = cq.length;
    const now = this.ctx.now();
    const s = this.o.settings;
    let offset = this.offsets.get(key) ?? 0;
    for (; offset < end; offset++) {
      const half = this.store.lookup(cq.file.records[offset]!.phy);
      if (!half || this.resolvedTx.has(half.msg)) continue;
      if (now - half.bornTime < s.transactionTimeOut) break;
      const checkTimes = half.checkTimes ?? 0;
      if (checkTimes >= s.transactionCheckMax) {
        this.resolvedTx.add(half.msg);
        this.o.stats.transactionDiscarded++;
        this.ctx.note('transaction-discarded', { msg: half.msg, checks: checkTimes });
        continue;
      }
      const renewed: NewMessage = { ...stripStored(half), checkTimes: checkTimes + 1 };
      const records = this.store.records;
      const before = records.length;
      this.put(renewed, ignorePut, undefined);
      const copy = records.length > before ? records[records.length - 1]! : undefined;
      const producer = this.liveProducer(half.producerGroup ?? '');
      if (producer === undefined || copy === undefined || copy.msg !== half.msg) continue;
      this.o.stats.transactionChecks++;
      const phy = copy.phy;
      this.ctx.send(producer, {
        type: 'CHECK_TRANSACTION_STATE', opaque: 0, msg: half.msg, phy, producerGroup: half.producerGroup, brokerName: this.o.brokerName,
      } as Request, HEADER_BYTES + half.body);
    }
    this.offsets.set(key, offset);
  }

  private liveProducer(group: string): string | undefined {
    const members = this.producers.get(group);
    if (!members) return undefined;
    for (const info of members.values()) return info.addr;
    return undefined;
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
        for (let i = this.isMaster ? this.delayOffsets[cq.queueId] ?? 0 : 0; i < entries.length; i++) {
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
}

export interface RetainedGroup {
  group: string;
  topic: string;
  tagsCodes: number[] | null;
  offsetOf?: (brokerName: string, topic: string, queueId: number) => number | undefined;
}

export interface HeartbeatRequest extends Request {
  clientId: string;
  consumerDatas: { group: string; messageModel: 'CLUSTERING' | 'BROADCASTING'; topics: string[] }[];
  producerGroup?: string;
}

export interface LockRequest extends Request {
  group: string;
  clientId: string;
  mqs: { topic: string; queueId: number }[];
}

export interface SendBackRequest extends Request {
  group: string;
  phy: number;
  originMsgId: string;
  maxReconsumeTimes: number;
  delayLevel: number;
}

interface DledgerAppend extends Message {
  term: number;
  prevPhy: number;
  prevTerm: number;
  records: StoredMessage[];
  commitPhy: number;
}

interface DledgerAppendAck extends Message {
  term: number;
  ok: boolean;
  maxPhy: number;
  /** The append carried entries (not a bare heartbeat). */
  data?: boolean;
}

interface DledgerVote extends Message {
  term: number;
  lastPhy: number;
  lastTerm: number;
}

interface DledgerVoteAck extends Message {
  term: number;
  granted: boolean;
}

interface HaReport extends Message {
  offset: number;
  session: number;
}

interface HaTransfer extends Message {
  from: number;
  records: StoredMessage[];
}

/** The system consumer group whose offset is the transaction check's progress in the half queue. */
const CID_SYS_RMQ_TRANS = 'CID_RMQ_SYS_TRANS';

function stripStored(m: StoredMessage): NewMessage {
  const { phy: _phy, size: _size, queueOffset: _queueOffset, storeTime: _storeTime, ...rest } = m;
  return rest;
}

export function offsetKey(group: string, topic: string, queueId: number): string {
  return `${topic}@${group}@${queueId}`;
}

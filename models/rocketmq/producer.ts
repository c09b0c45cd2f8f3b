import type { CloseReason } from '../../sim/connection.js';
import { messageId, type History, type NewHistoryOp } from '../../sim/history.js';
import type { Actor, NodeContext } from '../../sim/node.js';
import type { Micros } from '../../sim/time.js';
import { timersOf, unreachable, type TimerArgs } from '../../sim/timers.js';
import { PlannedSends, ProducerPlan, type PlannedSend, type ProducerPlanSpec } from '../../sim/workload.js';
import type { Phase } from '../../sim/world.js';
import type { MessageQueue } from './allocate.js';
import { publishQueues, RouteTable } from './client.js';
import { notes } from './notes.js';
import {
  HEADER_BYTES, queueName, type CheckTransactionStateRequest, type ProducerInbound, type RequestBody, type ResponseCode, type ResponseTo, type TopicRouteData, type TransactionState,
} from './protocol.js';
import { Remoting, type RemotingTimer } from './remoting.js';
import { selectQueueByHash } from './queue-selector.js';
import type { ProducerSettings } from './schema.js';

/** Clients start this long after the brokers and NameServers (a cluster is up before its clients). */
export const CLIENT_START_DELAY: Micros = 1_000_000;

/**
 * A DefaultMQProducer in a producer group.
 *
 * - sync: the application thread sends one message at a time (later planned sends wait). Up to
 *   1 + retryTimesWhenSendFailed attempts, all within sendMsgTimeout counted from the first; a
 *   retry picks a queue on another broker than the last one when it can. A broker error
 *   (SERVICE_NOT_AVAILABLE, TOPIC_NOT_EXIST, SYSTEM_ERROR, NO_PERMISSION, SYSTEM_BUSY) is retried;
 *   a timeout uses up the budget, so it ends the send as unknown (RemotingTooMuchRequestException
 *   "call timeout"). FLUSH_DISK_TIMEOUT / FLUSH_SLAVE_TIMEOUT / SLAVE_NOT_AVAILABLE are returned to
 *   the application (retried only with retryAnotherBrokerWhenNotStoreOK).
 * - async: no waiting between messages; one attempt (a timeout leaves no time for the async retry).
 * - oneway: one attempt, no answer.
 *
 * Queue choice: round robin over every writable queue of the topic (sendWhichQueue starts at a
 * random index); with sendLatencyFaultEnable a broker whose last send took long or failed is
 * skipped for notAvailableDuration (MQFaultStrategy); `orderly` picks SelectMessageQueueByHash on
 * the key, without retries.
 *
 * History: invoke when the application calls send; ok only for SEND_OK (queue, queue offset,
 * broker); info when the outcome is unknown: a timeout, FLUSH_DISK_TIMEOUT / FLUSH_SLAVE_TIMEOUT /
 * SLAVE_NOT_AVAILABLE (stored on the master but not as durably as asked), and every one-way send
 * (the client is never told anything, so it can claim neither success nor failure); fail when every
 * attempt was refused by a broker or there was no route.
 */

export interface ProducerStats {
  sendRetries: number;
  sendTimeouts: number;
  staleRouteSends: number;
  latencyFaultAvoided: number;
}

export interface ProducerOptions {
  plan: ProducerPlanSpec;
  duration: Micros;
  topic: string;
  sendMode: 'sync' | 'async' | 'oneway';
  tags: string[] | undefined;
  delayLevels: number[] | undefined;
  /** Delay of each level in microseconds (for the history's requested delay). */
  levelDelays: number[];
  orderly: boolean;
  settings: ProducerSettings;
  nameServers: string[];
  history: History;
  stats: ProducerStats;
  /** Model instrumentation only (staleRouteSends): is that node up now? */
  isUp: (node: string) => boolean;
  /** Transactional messages (TransactionMQProducer), or undefined. */
  transaction: TransactionSpec | undefined;
  /** The producer group's local transaction outcomes: the application's database, surviving crashes. */
  txDb: Map<string, TxState>;
}

export type TxState = TransactionState;

export interface TransactionSpec {
  commit: number;
  unknown: number;
  checkUnknown: number;
  duration: Micros;
}

interface LocalTransaction {
  out: Outstanding;
  mq: MessageQueue;
  addr: string;
  phy: number;
}

interface Outstanding {
  /** The attempt in flight: its queue, broker address and when it was sent. */
  mq: MessageQueue | undefined;
  addr: string;
  sentAt: Micros;
  msg: string;
  key: string | undefined;
  tags: string | undefined;
  body: number;
  delayLevel: number;
  begin: Micros;
  attempts: number;
  lastBroker: string | undefined;
  /** An earlier attempt may have stored the message. */
  maybeStored: boolean;
}

const RETRY_CODES = new Set<ResponseCode>(['TOPIC_NOT_EXIST', 'SERVICE_NOT_AVAILABLE', 'SYSTEM_ERROR', 'NO_PERMISSION', 'SYSTEM_BUSY', 'NO_BUYER_ID', 'NOT_IN_CURRENT_UNIT']);
const NOT_STORE_OK = new Set<ResponseCode>(['FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE']);

/** The producer's timers ('send' is set by the workload plan, sim/workload.ts). */
export type ProducerTimer =
  | RemotingTimer
  | { tag: 'poll-ns'; data: undefined }
  | { tag: 'heartbeat'; data: undefined }
  | { tag: 'route-retry'; data: undefined }
  | { tag: 'local-transaction'; data: LocalTransaction }
  | { tag: 'send'; data: PlannedSend };
const timers = timersOf<ProducerTimer>();
/** MQFaultStrategy's tables (ms). */
const LATENCY_MAX = [50, 100, 550, 1000, 2000, 3000, 15000];
const NOT_AVAILABLE_DURATION = [0, 0, 30000, 60000, 120000, 180000, 600000];

export class RocketProducer implements Actor {
  private ctx!: NodeContext;
  private remoting!: Remoting;
  private routes!: RouteTable;
  private started = false;
  private queues: MessageQueue[] = [];
  private sendWhichQueue = 0;
  private readonly faults = new Map<string, Micros>();
  private readonly queueNames = new Map<MessageQueue, string>();
  /** Planned sends waiting for the sync send in flight, FIFO from backlogHead (no shift() per send). */
  private backlog: PlannedSend[] = [];
  private backlogHead = 0;
  private busy = false;
  private tagIndex = 0;
  private clientId = '';
  private delayIndex = 0;

  /** The plan's send timers; null before start and after a restart (the plan lived in memory). */
  private sends: PlannedSends | null = null;
  constructor(private readonly o: ProducerOptions) {}

  start(ctx: NodeContext, restarted: boolean): void {
    this.ctx = ctx;
    this.remoting = new Remoting(ctx);
    this.routes = new RouteTable(ctx, this.remoting, this.o.nameServers, {
      onRoute: (topic: string, route: TopicRouteData) => this.onRoute(topic, route),
      onNoRoute: () => this.onNoRoute(),
    });
    this.sendWhichQueue = ctx.random('sendWhichQueue').int(1 << 30);
    this.clientId = `${ctx.name}@${Math.floor(ctx.trueNow() / 1000)}`;
    const delay = Math.max(0, CLIENT_START_DELAY - ctx.trueNow());
    timers.set(ctx, delay, 'poll-ns', undefined);
    timers.set(ctx, delay + this.o.settings.heartbeatBrokerInterval, 'heartbeat', undefined);
    if (restarted) {
      notes.note(ctx, 'producer-restarted', { resumes: false });
      return;
    }
    this.sends = new PlannedSends(new ProducerPlan(this.o.plan, ctx.random('plan'), this.o.duration));
  }

  onPhase(phase: Phase): void {
    if (phase === 'safety') return;
    this.sends?.stop(this.ctx);
    this.backlog = [];
    this.backlogHead = 0;
  }

  /** A channel closed: its requests in flight fail now (failFast); the next request to that address opens a new one. */
  onConnectionClosed(peer: string, reason: CloseReason): void {
    this.remoting.failFast(peer, reason);
  }

  receive(from: string, message: ProducerInbound): void {
    switch (message.type) {
      case 'RESPONSE':
        return this.remoting.handle(message);
      case 'CHECK_TRANSACTION_STATE':
        return this.onCheck(from, message);
      default:
        return unreachable(message, 'producer message');
    }
  }

  /** checkLocalTransaction: the state the application's database has (no record: it never ran, roll back). */
  private onCheck(from: string, check: CheckTransactionStateRequest): void {
    let state: TxState = this.o.txDb.get(check.msg) ?? 'ROLLBACK_MESSAGE';
    const spec = this.o.transaction;
    if (spec && spec.checkUnknown > 0 && this.ctx.random('transaction-check').chance(spec.checkUnknown)) state = 'UNKNOW';
    notes.note(this.ctx, 'check-transaction-state', { msg: check.msg, answer: state });
    this.remoting.oneway(from, 'END_TRANSACTION', {
      producerGroup: this.o.settings.producerGroup, msg: check.msg, phy: check.phy, commitOrRollback: state, fromTransactionCheck: true,
    });
  }

  onTimer(...[tag, data]: TimerArgs<ProducerTimer>): void {
    switch (tag) {
      case 'rpc-timeout':
        this.remoting.timeout(data);
        break;
      case 'poll-ns':
        this.routes.update(this.o.topic);
        timers.set(this.ctx, this.o.settings.pollNameServerInterval, 'poll-ns', undefined);
        break;
      case 'heartbeat':
        this.heartbeat();
        timers.set(this.ctx, this.o.settings.heartbeatBrokerInterval, 'heartbeat', undefined);
        break;
      case 'route-retry':
        this.routes.update(this.o.topic);
        break;
      case 'local-transaction':
        this.endLocalTransaction(data);
        break;
      case 'send':
        this.onPlanned(data);
        break;
      default:
        unreachable(tag, 'producer timer');
    }
  }

  private heartbeat(): void {
    for (const addr of this.routes.allAddrs(true)) {
      this.remoting.oneway(addr, 'HEART_BEAT', { clientId: this.clientId, consumerDatas: [], producerGroup: this.o.settings.producerGroup });
    }
  }

  /** The history's name of a queue (`broker-a:TopicTest:3`), built once per route's queue object. */
  private nameOf(mq: MessageQueue): string {
    let name = this.queueNames.get(mq);
    if (name === undefined) {
      name = queueName(mq.brokerName, mq.topic, mq.queueId);
      this.queueNames.set(mq, name);
    }
    return name;
  }

  private onRoute(_topic: string, route: TopicRouteData): void {
    const first = this.queues.length === 0;
    this.queueNames.clear();
    this.queues = publishQueues(this.o.topic, route);
    if (first && this.queues.length > 0) this.heartbeat();
    if (this.queues.length === 0 && !this.started) {
      // No master in the route yet (a DLedger group electing): ask again in a second.
      timers.set(this.ctx, 1_000_000, 'route-retry', undefined);
      return;
    }
    if (!this.started && this.sends?.planning) {
      // The first send waits for the route (tryToFindTopicPublishInfo).
      this.started = true;
      this.scheduleNext();
    }
  }

  /**
   * No broker has the topic: sends no longer wait for a route. Each fails at once as
   * tryToFindTopicPublishInfo finds nothing ("No route info of this topic", the real client's
   * MQClientException NOT_FOUND_TOPIC_EXCEPTION); a route that appears later is used from then on.
   */
  private onNoRoute(): void {
    if (this.started || !this.sends?.planning || this.queues.length > 0) return;
    this.started = true;
    this.scheduleNext();
  }

  private scheduleNext(): void {
    this.sends!.scheduleNext(this.ctx);
  }

  private onPlanned(send: PlannedSend): void {
    if (!this.sends!.fired()) return;
    this.scheduleNext();
    if (this.o.sendMode === 'sync' && this.busy) {
      this.backlog.push(send);
      return;
    }
    this.begin(send);
  }

  private begin(send: PlannedSend): void {
    const o = this.o;
    const msg = messageId(this.ctx.name, send.seq);
    const tags = o.tags ? o.tags[this.tagIndex++ % o.tags.length] : undefined;
    const delayLevel = o.delayLevels ? o.delayLevels[this.delayIndex++ % o.delayLevels.length]! : 0;
    // Every field the op gets (History.record sets index) is in the literal: one shape, no properties added later.
    o.history.record({
      index: 0, time: this.ctx.trueNow(), process: this.ctx.name, type: 'invoke', f: 'send', msg, key: send.key,
      delay: delayLevel > 0 ? o.levelDelays[Math.min(delayLevel, o.levelDelays.length) - 1]! : undefined,
    });
    const out: Outstanding = {
      mq: undefined, addr: '', sentAt: 0, msg, key: send.key, tags, body: send.bytes, delayLevel, begin: this.ctx.trueNow(), attempts: 0, lastBroker: undefined, maybeStored: false,
    };
    if (o.sendMode === 'sync') this.busy = true;
    this.attempt(out);
  }

  private attempt(out: Outstanding): void {
    const o = this.o;
    const timeout = o.settings.sendMsgTimeout;
    const elapsed = this.ctx.trueNow() - out.begin;
    if (elapsed >= timeout) {
      this.finish(out, out.maybeStored ? 'info' : 'fail', undefined, 'sendDefaultImpl call timeout');
      return;
    }
    const mq = this.select(out);
    if (!mq) {
      this.finish(out, out.maybeStored ? 'info' : 'fail', undefined, `No route info of this topic: ${o.topic}`);
      return;
    }
    const addr = this.routes.master(mq.brokerName)!;
    if (out.attempts > 0) o.stats.sendRetries++;
    out.attempts++;
    out.lastBroker = mq.brokerName;
    if (!o.isUp(addr)) o.stats.staleRouteSends++;
    // type and opaque (set by Remoting) are in the literal: no properties added to the object later.
    const body: RequestBody<'SEND_MESSAGE'> = {
      type: 'SEND_MESSAGE', opaque: 0, producerGroup: o.settings.producerGroup, topic: o.topic, queueId: mq.queueId, msg: out.msg, key: out.key, tags: out.tags,
      body: out.body, bornTime: this.ctx.trueNow(), delayLevel: out.delayLevel, transactional: o.transaction !== undefined,
    };
    const bytes = HEADER_BYTES + out.body;
    if (o.sendMode === 'oneway') {
      this.remoting.oneway(addr, 'SEND_MESSAGE', body, bytes);
      this.finish(out, 'info', undefined, 'oneway: no response');
      return;
    }
    out.mq = mq;
    out.addr = addr;
    out.sentAt = this.ctx.trueNow();
    this.remoting.invokeWith(addr, 'SEND_MESSAGE', body, bytes, timeout - elapsed, this.onSendResponse, out);
  }

  /** The SEND_MESSAGE answer (or its timeout) of the attempt `out` has in flight. */
  private readonly onSendResponse = (out: Outstanding, response: ResponseTo<'SEND_MESSAGE'> | null): void => {
    const mq = out.mq!;
    this.updateFault(mq.brokerName, this.ctx.trueNow() - out.sentAt, response === null);
    this.onResponse(out, mq, out.addr, response);
  };

  private onResponse(out: Outstanding, mq: MessageQueue, addr: string, response: ResponseTo<'SEND_MESSAGE'> | null): void {
    const sync = this.o.sendMode === 'sync';
    const canRetry = sync && !this.o.orderly && out.attempts < 1 + this.o.settings.retryTimesWhenSendFailed;
    const tx = this.o.transaction;
    if (tx && response !== null && (response.code === 'SUCCESS' || NOT_STORE_OK.has(response.code))) {
      const local: LocalTransaction = { out, mq, addr, phy: response.phy! };
      // A half message not stored as asked is rolled back without running the local transaction.
      if (response.code !== 'SUCCESS') this.endTransaction(local, 'ROLLBACK_MESSAGE', response.code);
      else timers.set(this.ctx, tx.duration, 'local-transaction', local);
      return;
    }
    if (response === null) {
      const failure = this.remoting.lastFailure;
      if (failure === 'connect') {
        // The channel could not be opened (connection refused): nothing was sent.
        if (canRetry) this.attempt(out);
        else this.finish(out, out.maybeStored ? 'info' : 'fail', mq, 'RemotingConnectException', addr);
        return;
      }
      if (failure === 'timeout') {
        this.o.stats.sendTimeouts++;
        // invokeSync with clientCloseSocketIfTimeout (default true): the channel is closed, the next request opens a new one.
        if (sync) this.ctx.disconnect(addr);
      }
      out.maybeStored = true;
      if (canRetry) this.attempt(out);
      else this.finish(out, 'info', mq, failure === 'timeout' ? 'RemotingTimeoutException' : 'RemotingSendRequestException', addr);
      return;
    }
    const code = response.code;
    if (code === 'SUCCESS') {
      this.o.history.record({
        index: 0, time: this.ctx.trueNow(), process: this.ctx.name, type: 'ok', f: 'send', msg: out.msg,
        queue: this.nameOf(mq), node: addr, offset: response.delayed ? undefined : response.queueOffset, key: out.key,
      });
      this.done();
      return;
    }
    if (NOT_STORE_OK.has(code)) {
      out.maybeStored = true;
      if (canRetry && this.o.settings.retryAnotherBrokerWhenNotStoreOK) this.attempt(out);
      else this.finish(out, 'info', mq, code, addr);
      return;
    }
    if (RETRY_CODES.has(code) && canRetry) {
      this.attempt(out);
      return;
    }
    this.finish(out, out.maybeStored ? 'info' : 'fail', mq, code, addr);
  }

  /** executeLocalTransaction, then END_TRANSACTION (one-way) with its state. */
  private endLocalTransaction(local: LocalTransaction): void {
    const tx = this.o.transaction!;
    const random = this.ctx.random('transaction');
    const outcome: TxState = random.chance(tx.commit) ? 'COMMIT_MESSAGE' : 'ROLLBACK_MESSAGE';
    this.o.txDb.set(local.out.msg, outcome);
    this.endTransaction(local, tx.unknown > 0 && random.chance(tx.unknown) ? 'UNKNOW' : outcome, undefined);
  }

  private endTransaction(local: LocalTransaction, state: TxState, sendStatus: ResponseCode | undefined): void {
    const { out, mq, addr } = local;
    this.remoting.oneway(addr, 'END_TRANSACTION', {
      producerGroup: this.o.settings.producerGroup, msg: out.msg, phy: local.phy, commitOrRollback: state, fromTransactionCheck: false,
    });
    const type = state === 'COMMIT_MESSAGE' ? 'ok' : state === 'ROLLBACK_MESSAGE' ? 'fail' : 'info';
    const op: NewHistoryOp = { time: this.ctx.trueNow(), process: this.ctx.name, type, f: 'send', msg: out.msg, queue: this.nameOf(mq), node: addr };
    if (type !== 'ok') op.error = sendStatus ?? state;
    if (out.key !== undefined) op.key = out.key;
    this.o.history.record(op);
    this.done();
  }

  private finish(out: Outstanding, type: 'fail' | 'info', mq: MessageQueue | undefined, error: string, addr?: string): void {
    const op: NewHistoryOp = { time: this.ctx.trueNow(), process: this.ctx.name, type, f: 'send', msg: out.msg, error };
    if (mq) op.queue = this.nameOf(mq);
    if (addr) op.node = addr;
    if (out.key !== undefined) op.key = out.key;
    this.o.history.record(op);
    this.done();
  }

  private done(): void {
    if (this.o.sendMode !== 'sync') return;
    this.busy = false;
    const backlog = this.backlog;
    if (this.backlogHead >= backlog.length) return;
    const next = backlog[this.backlogHead]!;
    backlog[this.backlogHead++] = undefined as unknown as PlannedSend;
    if (this.backlogHead === backlog.length) {
      backlog.length = 0;
      this.backlogHead = 0;
    } else if (this.backlogHead >= 1024 && this.backlogHead * 2 >= backlog.length) {
      backlog.splice(0, this.backlogHead);
      this.backlogHead = 0;
    }
    this.begin(next);
  }

  // ------------------------------------------------------------------ queue selection

  private select(out: Outstanding): MessageQueue | undefined {
    const list = this.queues;
    const size = list.length;
    if (size === 0) return undefined;
    if (this.o.orderly) return list[selectQueueByHash(out.key ?? out.msg, size)];
    if (this.o.settings.sendLatencyFaultEnable) {
      let index = ++this.sendWhichQueue;
      for (let i = 0; i < size; i++) {
        const mq = list[Math.abs(index++) % size]!;
        if (this.available(mq.brokerName)) {
          if (i > 0) this.o.stats.latencyFaultAvoided++;
          return mq;
        }
      }
    }
    const last = out.lastBroker;
    if (last !== undefined) {
      for (let i = 0; i < size; i++) {
        const mq = list[Math.abs(++this.sendWhichQueue) % size]!;
        if (mq.brokerName !== last) return mq;
      }
    }
    return list[Math.abs(++this.sendWhichQueue) % size];
  }

  private available(brokerName: string): boolean {
    const until = this.faults.get(brokerName);
    return until === undefined || this.ctx.trueNow() >= until;
  }

  /** MQFaultStrategy.updateFaultItem: isolation counts as a 30 s latency. */
  private updateFault(brokerName: string, latency: Micros, isolation: boolean): void {
    if (!this.o.settings.sendLatencyFaultEnable) return;
    const ms = isolation ? 30000 : latency / 1000;
    let duration = 0;
    for (let i = LATENCY_MAX.length - 1; i >= 0; i--) {
      if (ms >= LATENCY_MAX[i]!) {
        duration = NOT_AVAILABLE_DURATION[i]!;
        break;
      }
    }
    this.faults.set(brokerName, this.ctx.trueNow() + duration * 1000);
    if (duration > 0) notes.note(this.ctx, 'latency-fault', { broker: brokerName, latencyMs: ms, notAvailableMs: duration });
  }
}

import { ROCKETMQ_DELIBERATE_BUGS } from './deliberate-bugs.js';
import type { CloseReason } from '../../sim/connection.js';
import { DiskFullError, type DiskFile } from '../../sim/disk.js';
import type { History } from '../../sim/history.js';
import type { Actor, NodeContext } from '../../sim/node.js';
import { sampler, type Distribution, type RandomStream, type Sampler } from '../../sim/random.js';
import type { StateStore } from '../../sim/state.js';
import type { Micros } from '../../sim/time.js';
import { timersOf, unreachable, type TimerArgs } from '../../sim/timers.js';
import type { Phase } from '../../sim/world.js';
import { allocateMessageQueues, type MessageQueue } from './allocate.js';
import { tagsCodeOf } from './broker/consume-queue.js';
import { compareQueues, RouteTable, subscribeQueues } from './client.js';
import { ConsumeMessageConcurrentlyService } from './consume-message-concurrently-service.js';
import { ConsumeMessageOrderlyService, REBALANCE_LOCK_INTERVAL } from './consume-message-orderly-service.js';
import { notes } from './notes.js';
import { ProcessQueue, type Task } from './process-queue.js';
import { HEADER_BYTES, queueName, RETRY_PREFIX, type ConsumerInbound, type PulledMessage, type ResponseTo, type TopicRouteData } from './protocol.js';
import { CLIENT_START_DELAY } from './producer.js';
import { Remoting, type RemotingTimer } from './remoting.js';
import type { ConsumerSettings, LitePullSettings } from './schema.js';

/**
 * A DefaultMQPushConsumer with ConsumeMessageConcurrentlyService.
 *
 * Start: routes of the topic (and %RETRY%<group> when clustering), HEART_BEAT to every broker
 * (masters and slaves), then a rebalance; HEART_BEAT again every heartbeatBrokerInterval, routes
 * every pollNameServerInterval, rebalance every rocketmq.client.rebalance.waitInterval and at once
 * on NOTIFY_CONSUMER_IDS_CHANGED.
 *
 * Rebalance (clustering): mqAll = the readable queues of the route, cidAll = the group's clients
 * (GET_CONSUMER_LIST_BY_GROUP from a broker), both sorted, then the allocate strategy. A queue it
 * no longer owns is dropped (its offset committed, its pending results discarded: they are
 * consumed again by the new owner); a new queue starts from QUERY_CONSUMER_OFFSET. Broadcasting
 * takes every queue and keeps its offsets in a local file (LocalFileOffsetStore).
 *
 * Pulling: one long-polling PULL_MESSAGE per owned queue (pullBatchSize, suspended up to 15 s at
 * the broker, 30 s client timeout, 3 s pause after an error), to the master or, when the route
 * has no master for the group, to a slave. Tags are filtered at the broker by hash code and here
 * by string. Messages go to a pool of consumeThreadMin threads; each records a history receive.
 * The offset committed for a queue is the lowest offset still in process; offsets go to the broker
 * every persistConsumerOffsetInterval (UPDATE_CONSUMER_OFFSET, one-way) and ride on every pull.
 *
 * Consuming is ConsumeMessageConcurrentlyService (consume-message-concurrently-service.ts) or, for
 * MessageListenerOrderly, ConsumeMessageOrderlyService (consume-message-orderly-service.ts); the
 * per-queue state is ProcessQueue (process-queue.ts).
 *
 * A failed consumption (failureRate: RECONSUME_LATER) is sent back with CONSUMER_SEND_MSG_BACK
 * (delay level 0: the broker picks 3 + reconsumeTimes); if that fails the message is consumed
 * again here after 5 s. Broadcasting drops failed messages. `idempotent` keeps a table of
 * processed message ids (per group when clustering, per consumer when broadcasting; it survives
 * crashes, as a database table would): a message already in it is not processed again, and the
 * insert commits with the processing (see commitIdempotent). Such a consumer records its history
 * receive when the processing commits, and a history `skip` for each duplicate it did not process.
 */

export interface ConsumerStats {
  rebalances: number;
  /**
   * Queues a rebalance took away from a running consumer (each one's in-flight results are lost and
   * its next owner reads from the committed offset): what the allocation strategies differ in.
   */
  queuesMovedOnRebalance: number;
  /** Pulls put off 50 ms because the client's cache was full (pullThresholdForQueue, and for lite pull pullThresholdForAll, consumeMaxSpan). */
  flowControlledPulls: number;
  /** Lite pull: the most messages one consumer held pulled and not yet returned by poll(). */
  pullCacheMax: number;
  offsetResets: number;
  duplicatesSkipped: number;
  clientTagFiltered: number;
  sendBackFailed: number;
}

export interface ConsumerOptions {
  group: string;
  topic: string;
  subscription: string;
  settings: ConsumerSettings;
  nameServers: string[];
  history: History;
  stats: ConsumerStats;
  processing: Distribution | undefined;
  failureRate: number;
  /** The group's processed ids when the consumer is idempotent, else null. */
  dedupe: Set<string> | null;
  start: Micros | undefined;
  stop: Micros | undefined;
  phase: () => Phase;
  assignments: StateStore<Record<string, Record<string, string[]>>>;
  /** MessageListenerOrderly (ConsumeMessageOrderlyService) instead of concurrently. */
  orderly: boolean;
  /** Set for a DefaultLitePullConsumer (lite-pull-consumer.ts). */
  pull?: LitePullSettings;
}

/** BROKER_SUSPEND_MAX_TIME_MILLIS and CONSUMER_TIMEOUT_MILLIS_WHEN_SUSPEND. */
const SUSPEND: Micros = 15_000_000;
const PULL_TIMEOUT: Micros = 30_000_000;
const PULL_DELAY_WHEN_EXCEPTION: Micros = 3_000_000;
const PULL_DELAY_WHEN_FLOW_CONTROL: Micros = 50_000;
const RPC_TIMEOUT: Micros = 3_000_000;

/** The push consumer's timers (the orderly service's too: consume-message-orderly-service.ts). */
export type ConsumerTimer =
  | RemotingTimer
  | { tag: 'start'; data: undefined }
  | { tag: 'poll-ns'; data: undefined }
  | { tag: 'heartbeat'; data: undefined }
  | { tag: 'rebalance'; data: undefined }
  | { tag: 'persist'; data: undefined }
  | { tag: 'shutdown'; data: undefined }
  | { tag: 'pull'; data: ProcessQueue }
  | { tag: 'consumed'; data: Task }
  | { tag: 'consume-later'; data: Task }
  | { tag: 'lock-all'; data: undefined }
  | { tag: 'orderly-consumed'; data: Task }
  | { tag: 'orderly-resume'; data: ProcessQueue }
  | { tag: 'orderly-lock-later'; data: ProcessQueue };
const timers = timersOf<ConsumerTimer>();

export class RocketConsumer implements Actor {
  // Read by the orderly consume service (consume-message-orderly-service.ts) too.
  ctx!: NodeContext;
  remoting!: Remoting;
  routes!: RouteTable;
  processing!: Sampler;
  failures!: RandomStream;
  clientId = '';
  /** Started and not shut down. */
  running = false;
  protected ready = false;
  readonly pqs = new Map<string, ProcessQueue>();
  protected readonly offsets = new Map<string, number>();
  private readonly generation = new Map<string, number>();
  private localOffsets: DiskFile<[string, number][]> | null = null;
  protected readonly tagSet: Set<string> | null;
  protected readonly tagsCodes: number[] | null;
  readonly clustering: boolean;
  protected readonly topics: string[];
  private readonly orderly = new ConsumeMessageOrderlyService(this);
  private readonly concurrently = new ConsumeMessageConcurrentlyService(this);

  constructor(readonly o: ConsumerOptions) {
    const expr = o.subscription.trim();
    if (expr === '*' || expr === '') {
      this.tagSet = null;
      this.tagsCodes = null;
    } else {
      const tags = expr.split('||').map((t) => t.trim()).filter((t) => t.length > 0);
      this.tagSet = new Set(tags);
      this.tagsCodes = tags.map((t) => tagsCodeOf(t));
    }
    this.clustering = o.settings.messageModel === 'CLUSTERING';
    // The push consumer also subscribes %RETRY%<group> (copySubscription); the lite pull consumer does not.
    this.topics = this.clustering && o.pull === undefined ? [o.topic, RETRY_PREFIX + o.group] : [o.topic];
  }

  /** The history's consumer group: the group, or the consumer itself when broadcasting. */
  protected get historyGroup(): string {
    return this.clustering ? this.o.group : this.ctx.name;
  }

  start(ctx: NodeContext, _restarted: boolean): void {
    this.ctx = ctx;
    this.remoting = new Remoting(ctx);
    this.routes = new RouteTable(ctx, this.remoting, this.o.nameServers, { onRoute: (topic, route) => this.onRoute(topic, route) });
    this.processing = sampler(this.o.processing ?? { constant: 0 }, ctx.random('processing'));
    this.failures = ctx.random('failure');
    // The instance name defaults to the pid: a restarted process is a new client id.
    this.clientId = `${ctx.name}@${Math.floor(ctx.trueNow() / 1000)}`;
    if (!this.clustering) {
      this.localOffsets = ctx.disk.file('.rocketmq_offsets/offsets.json');
      const last = this.localOffsets.records[this.localOffsets.length - 1];
      if (last) for (const [k, v] of last) this.offsets.set(k, v);
    }
    const start = Math.max(this.o.start ?? 0, CLIENT_START_DELAY);
    if (start > ctx.trueNow() && this.o.phase() === 'safety') timers.set(ctx, start - ctx.trueNow(), 'start', undefined);
    else this.begin();
  }

  protected begin(): void {
    this.running = true;
    for (const topic of this.topics) this.routes.update(topic);
    const s = this.o.settings;
    timers.set(this.ctx, s.pollNameServerInterval, 'poll-ns', undefined);
    timers.set(this.ctx, s.heartbeatBrokerInterval, 'heartbeat', undefined);
    timers.set(this.ctx, s.rebalanceWaitInterval, 'rebalance', undefined);
    timers.set(this.ctx, s.persistConsumerOffsetInterval, 'persist', undefined);
    if (this.o.orderly && this.clustering) timers.set(this.ctx, REBALANCE_LOCK_INTERVAL, 'lock-all', undefined);
    const stop = this.o.stop;
    if (stop !== undefined && stop > this.ctx.trueNow()) timers.set(this.ctx, stop - this.ctx.trueNow(), 'shutdown', undefined);
  }

  onPhase(_phase: Phase): void {
    // Consumers keep consuming in the liveness phase; a consumer shut down at `stop` stays down.
  }

  /** A channel closed: its requests in flight (pulls, heartbeats, commits) fail now (failFast). */
  onConnectionClosed(peer: string, reason: CloseReason): void {
    this.remoting.failFast(peer, reason);
  }

  receive(_from: string, message: ConsumerInbound): void {
    switch (message.type) {
      case 'RESPONSE':
        return this.remoting.handle(message);
      case 'NOTIFY_CONSUMER_IDS_CHANGED':
        if (!this.running) return;
        notes.note(this.ctx, 'consumer-ids-changed', { group: this.o.group });
        return this.rebalance();
      default:
        return unreachable(message, 'consumer message');
    }
  }

  onTimer(...[tag, data]: TimerArgs<ConsumerTimer>): void {
    const s = this.o.settings;
    // These run whether or not the consumer is running (a message in process finishes; start starts it).
    switch (tag) {
      case 'rpc-timeout':
        return this.remoting.timeout(data);
      case 'start':
        return this.begin();
      case 'consumed':
        return this.concurrently.onConsumed(data);
      case 'orderly-consumed':
        return this.orderly.onConsumed(data);
      default:
        if (!this.running) return;
    }
    switch (tag) {
      case 'poll-ns':
        for (const topic of this.topics) this.routes.update(topic);
        timers.set(this.ctx, s.pollNameServerInterval, 'poll-ns', undefined);
        return;
      case 'heartbeat':
        this.heartbeat();
        timers.set(this.ctx, s.heartbeatBrokerInterval, 'heartbeat', undefined);
        return;
      case 'rebalance':
        this.rebalance();
        timers.set(this.ctx, s.rebalanceWaitInterval, 'rebalance', undefined);
        return;
      case 'persist':
        this.persistAll();
        timers.set(this.ctx, s.persistConsumerOffsetInterval, 'persist', undefined);
        return;
      case 'pull':
        return this.pull(data);
      case 'consume-later':
        this.concurrently.submit(data);
        return this.concurrently.runTasks();
      case 'lock-all':
        this.orderly.lockAll();
        timers.set(this.ctx, REBALANCE_LOCK_INTERVAL, 'lock-all', undefined);
        return;
      case 'orderly-resume':
        return this.orderly.onResume(data);
      case 'orderly-lock-later':
        return this.orderly.onLockLater(data);
      case 'shutdown':
        return this.shutdown();
      default:
        return unreachable(tag, 'consumer timer');
    }
  }

  protected onRoute(topic: string, _route: TopicRouteData): void {
    if (!this.ready && topic === this.o.topic && this.running) {
      this.ready = true;
      this.heartbeat();
      this.rebalance();
    }
  }

  protected heartbeat(): void {
    const consumerDatas = [{ group: this.o.group, messageModel: this.o.settings.messageModel, topics: this.topics }];
    for (const addr of this.routes.allAddrs(false)) {
      this.remoting.invoke(addr, 'HEART_BEAT', { clientId: this.clientId, consumerDatas }, HEADER_BYTES, RPC_TIMEOUT, () => undefined);
    }
  }

  protected shutdown(): void {
    this.persistAll();
    for (const addr of this.routes.allAddrs(false)) this.remoting.oneway(addr, 'UNREGISTER_CLIENT', { clientId: this.clientId, group: this.o.group });
    for (const pq of this.pqs.values()) pq.dropped = true;
    this.pqs.clear();
    this.running = false;
    notes.note(this.ctx, 'consumer-shutdown', { clientId: this.clientId });
  }

  // ------------------------------------------------------------------ rebalance

  protected rebalance(): void {
    if (!this.ready) return;
    for (const topic of this.topics) {
      const route = this.routes.routes.get(topic);
      if (!route) continue;
      const mqAll = subscribeQueues(topic, route).sort(compareQueues);
      if (!this.clustering) {
        this.updateProcessQueues(topic, mqAll);
        continue;
      }
      if (mqAll.length === 0) continue;
      // findConsumerIdList: ask one broker of the topic (picked at random) for the group's clients.
      const bd = route.brokerDatas[this.ctx.random('rebalance').int(route.brokerDatas.length)];
      const addr = bd ? this.routes.forRead(bd.brokerName) : undefined;
      if (addr === undefined) continue;
      const gen = (this.generation.get(topic) ?? 0) + 1;
      this.generation.set(topic, gen);
      this.remoting.invoke(addr, 'GET_CONSUMER_LIST_BY_GROUP', { group: this.o.group }, HEADER_BYTES, RPC_TIMEOUT, (response) => {
        if (!this.running || this.generation.get(topic) !== gen || response === null || response.code !== 'SUCCESS') return;
        const cidAll = (response.consumerIdList ?? []).slice().sort();
        const mine = allocateMessageQueues(this.o.settings.allocateMessageQueueStrategy, {
          consumerGroup: this.o.group, currentCid: this.clientId, mqAll, cidAll,
        });
        this.updateProcessQueues(topic, mine);
      });
    }
  }

  protected updateProcessQueues(topic: string, mine: MessageQueue[]): void {
    const wanted = new Map<string, MessageQueue>();
    for (const mq of mine) wanted.set(queueName(mq.brokerName, mq.topic, mq.queueId), mq);
    let changed = false;
    for (const [name, pq] of [...this.pqs]) {
      if (pq.mq.topic !== topic || wanted.has(name)) continue;
      this.o.stats.queuesMovedOnRebalance++;
      pq.dropped = true;
      this.pqs.delete(name);
      this.persistOne(pq);
      this.offsets.delete(name);
      // An orderly queue is unlocked once its message in process is done (getConsumeLock).
      if (this.o.orderly && this.clustering && !pq.consuming) this.orderly.unlock(pq);
      changed = true;
    }
    for (const [name, mq] of wanted) {
      if (this.pqs.has(name)) continue;
      const pq = new ProcessQueue(mq, name);
      this.pqs.set(name, pq);
      changed = true;
      if (this.o.orderly && this.clustering) {
        // An orderly consumer takes a queue only once the broker locked it to it (else: next rebalance).
        this.orderly.lock([pq], () => {
          if (pq.dropped) return;
          if (!pq.locked) {
            this.pqs.delete(pq.name);
            pq.dropped = true;
            notes.note(this.ctx, 'mq-lock-refused', { queue: pq.name });
            return;
          }
          this.computePullFromWhere(pq);
        });
      } else this.computePullFromWhere(pq);
    }
    if (!changed) return;
    this.o.stats.rebalances++;
    const queues = [...this.pqs.keys()].sort();
    this.o.history.record({ time: this.ctx.trueNow(), process: this.ctx.name, type: 'ok', f: 'assign', queues, group: this.historyGroup });
    this.o.assignments.update((d) => {
      (d[this.o.group] ??= {})[this.ctx.name] = queues;
    }, `rebalance ${this.ctx.name}`);
    notes.note(this.ctx, 'rebalanced', { clientId: this.clientId, queues: queues.length });
  }

  protected computePullFromWhere(pq: ProcessQueue): void {
    if (!this.clustering) {
      pq.nextOffset = this.offsets.get(pq.name) ?? 0;
      this.pull(pq);
      return;
    }
    const addr = this.routes.forRead(pq.mq.brokerName);
    if (addr === undefined) return;
    this.remoting.invoke(addr, 'QUERY_CONSUMER_OFFSET', { group: this.o.group, topic: pq.mq.topic, queueId: pq.mq.queueId }, HEADER_BYTES, RPC_TIMEOUT, (response) => {
      if (pq.dropped) return;
      if (response === null || response.code !== 'SUCCESS') {
        // computePullFromWhere failed: forget the queue, the next rebalance tries again.
        this.pqs.delete(pq.name);
        pq.dropped = true;
        return;
      }
      const offset = response.offset ?? 0;
      pq.nextOffset = offset;
      this.offsets.set(pq.name, offset);
      this.pull(pq);
    });
  }

  // ------------------------------------------------------------------ pulling

  protected pull(pq: ProcessQueue): void {
    if (pq.dropped || !this.running) return;
    if (pq.msgs.size > this.o.settings.pullThresholdForQueue) {
      this.o.stats.flowControlledPulls++;
      timers.set(this.ctx, PULL_DELAY_WHEN_FLOW_CONTROL, 'pull', pq);
      return;
    }
    const addr = this.routes.forRead(pq.mq.brokerName);
    if (addr === undefined) {
      timers.set(this.ctx, PULL_DELAY_WHEN_EXCEPTION, 'pull', pq);
      return;
    }
    const commitOffset = this.clustering ? this.offsets.get(pq.name) ?? -1 : -1;
    pq.pullAddr = addr;
    this.remoting.invokeWith(addr, 'PULL_MESSAGE', {
      group: this.o.group, topic: pq.mq.topic, queueId: pq.mq.queueId, queueOffset: pq.nextOffset,
      maxMsgNums: this.o.settings.pullBatchSize, tagsCodes: pq.mq.topic === this.o.topic ? this.tagsCodes : null,
      suspendTimeoutMillis: SUSPEND, commitOffset,
    }, HEADER_BYTES, PULL_TIMEOUT, this.pulled, pq);
  }

  /** A PULL_MESSAGE answer (or its timeout) for a queue. */
  protected readonly pulled = (pq: ProcessQueue, response: ResponseTo<'PULL_MESSAGE'> | null): void => this.onPulled(pq, pq.pullAddr, response);

  protected onPulled(pq: ProcessQueue, addr: string, response: ResponseTo<'PULL_MESSAGE'> | null): void {
    if (pq.dropped || !this.running) return;
    if (response === null) {
      timers.set(this.ctx, PULL_DELAY_WHEN_EXCEPTION, 'pull', pq);
      return;
    }
    const next = response.nextBeginOffset;
    switch (response.code) {
      case 'SUCCESS': {
        const filterTags = pq.mq.topic === this.o.topic ? this.tagSet : null;
        for (const m of response.messages!) {
          if (filterTags !== null && (m.tags === undefined || !filterTags.has(m.tags))) {
            this.o.stats.clientTagFiltered++;
            continue;
          }
          pq.msgs.set(m.queueOffset, m);
          if (m.queueOffset > pq.maxOffset) pq.maxOffset = m.queueOffset;
          if (this.o.orderly) pq.pending.push(m);
          else this.concurrently.submit({ pq, m, skipped: false, addr });
        }
        pq.nextOffset = next!;
        this.correctTagsOffset(pq);
        if (this.o.orderly) this.orderly.consumeOrderly(pq, addr);
        else this.concurrently.runTasks();
        this.pull(pq);
        return;
      }
      case 'PULL_NOT_FOUND':
      case 'PULL_RETRY_IMMEDIATELY':
        pq.nextOffset = next ?? pq.nextOffset;
        this.correctTagsOffset(pq);
        this.pull(pq);
        return;
      case 'PULL_OFFSET_MOVED':
        this.o.stats.offsetResets++;
        notes.note(this.ctx, 'pull-offset-moved', { queue: pq.name, from: pq.nextOffset, to: next });
        pq.nextOffset = next!;
        this.offsets.set(pq.name, next!);
        this.pull(pq);
        return;
      default:
        timers.set(this.ctx, PULL_DELAY_WHEN_EXCEPTION, 'pull', pq);
    }
  }

  /** Nothing in process: the committed offset may move up to the next pull offset (filtered messages). */
  private correctTagsOffset(pq: ProcessQueue): void {
    if (pq.msgs.size === 0) {
      pq.maxOffset = pq.nextOffset - 1;
      this.updateOffset(pq, pq.nextOffset);
    }
  }

  private updateOffset(pq: ProcessQueue, offset: number): void {
    const current = this.offsets.get(pq.name);
    if (current === undefined || offset > current) this.offsets.set(pq.name, offset);
  }

  // ------------------------------------------------------------------ consuming

  /** A history receive (handed to / processed by the application) or skip (a duplicate the idempotent consumer did not process). */
  recordConsume(pq: ProcessQueue, m: PulledMessage, node: string, f: 'receive' | 'skip'): void {
    // Every field the op gets (History.record sets index) is in the literal: one shape, no properties added later.
    this.o.history.record({
      index: 0, time: this.ctx.trueNow(), process: this.ctx.name, type: 'ok', f, msg: m.msg, queue: pq.name,
      offset: m.queueOffset, group: this.historyGroup, node, redelivered: m.reconsumeTimes > 0, key: m.key,
    });
  }

  /**
   * The idempotent consumer's local transaction ends: the business update and the INSERT of the
   * message id into the processed-ids table (unique key) commit together, so a message is
   * processed once. Already in the table when handed over, or inserted meanwhile by another
   * consumer of the group (a rebalance overlap: the unique key rejects the second insert and its
   * transaction rolls back): a skip. A failed consumption rolls back and records nothing, and a
   * crash mid-transaction commits nothing: the redelivery is then the first processing.
   */
  commitIdempotent(task: Task, dedupe: Set<string>, failed: boolean): void {
    if (failed) return;
    const { pq, m } = task;
    if (task.skipped || (dedupe.has(m.msg) && !ROCKETMQ_DELIBERATE_BUGS.on('idempotent-check-then-insert'))) {
      this.o.stats.duplicatesSkipped++;
      this.recordConsume(pq, m, task.addr, 'skip');
      return;
    }
    dedupe.add(m.msg);
    this.recordConsume(pq, m, task.addr, 'receive');
  }

  finish(pq: ProcessQueue, m: PulledMessage): void {
    const offset = pq.remove(m.queueOffset);
    this.updateOffset(pq, offset);
  }

  // ------------------------------------------------------------------ offsets

  protected persistAll(): void {
    if (!this.clustering) {
      if (this.offsets.size > 0) {
        try {
          this.localOffsets!.append([...this.offsets], 40 * this.offsets.size);
        } catch (error) {
          if (!(error instanceof DiskFullError)) throw error;
        }
      }
      return;
    }
    for (const pq of this.pqs.values()) this.persistOne(pq);
  }

  protected persistOne(pq: ProcessQueue): void {
    if (!this.clustering) return;
    const offset = this.offsets.get(pq.name);
    const addr = this.routes.forRead(pq.mq.brokerName);
    if (offset === undefined || addr === undefined) return;
    this.remoting.oneway(addr, 'UPDATE_CONSUMER_OFFSET', { group: this.o.group, topic: pq.mq.topic, queueId: pq.mq.queueId, offset });
  }

  /** How many queues of the subscribed topic (not the retry topic) this consumer owns now. */
  ownedTopicQueues(): number {
    let n = 0;
    for (const pq of this.pqs.values()) if (pq.mq.topic === this.o.topic) n++;
    return n;
  }

  /** For the final read of a broadcasting group: this consumer's next offset in a queue. */
  localOffset(name: string): number | undefined {
    return this.offsets.get(name);
  }
}

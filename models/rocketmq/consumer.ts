import { DiskFullError, type DiskFile } from '../../sim/disk.js';
import type { History } from '../../sim/history.js';
import type { Actor, Message, NodeContext } from '../../sim/node.js';
import { sampler, type Distribution, type RandomStream, type Sampler } from '../../sim/random.js';
import type { StateStore } from '../../sim/state.js';
import type { Micros } from '../../sim/time.js';
import type { Phase } from '../../sim/world.js';
import { allocateMessageQueues, type MessageQueue } from './allocate.js';
import { compareQueues, RouteTable, subscribeQueues } from './client.js';
import { HEADER_BYTES, queueName, Remoting, RETRY_PREFIX, type PulledMessage, type Response, type TopicRouteData } from './protocol.js';
import { CLIENT_START_DELAY } from './producer.js';
import type { ConsumerSettings, LitePullSettings } from './schema.js';
import { tagsCodeOf } from './store.js';

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
const CONSUME_LATER: Micros = 5_000_000;
const RPC_TIMEOUT: Micros = 3_000_000;
const SEND_BACK_TIMEOUT: Micros = 5_000_000;

/** ConsumeMessageOrderlyService: lockAll every 20 s; a client-side lock older than 30 s is not trusted. */
const REBALANCE_LOCK_INTERVAL: Micros = 20_000_000;
const REBALANCE_LOCK_MAX_LIVE_TIME: Micros = 30_000_000;
const SUSPEND_CURRENT_QUEUE_TIME: Micros = 1_000_000;
const TRY_LOCK_LATER: Micros = 100_000;
const TRY_LOCK_FAILED_LATER: Micros = 3_000_000;

/**
 * A process queue's messages by offset, with a Map's semantics (insertion order, `first()` the
 * earliest inserted) but no hash table: offsets arrive in increasing order, so they are appended
 * to two arrays and found by binary search, and a deleted one leaves a hole the head skips. An
 * offset added out of order (after an offset reset) switches to a linear search until the
 * window empties.
 */
export class MessageWindow {
  private readonly offsets: number[] = [];
  private readonly messages: (PulledMessage | undefined)[] = [];
  private head = 0;
  private live = 0;
  private ascending = true;

  get size(): number {
    return this.live;
  }

  /** The earliest inserted offset still present. */
  first(): number | undefined {
    return this.live === 0 ? undefined : this.offsets[this.head];
  }

  private find(offset: number): number {
    const offsets = this.offsets;
    const messages = this.messages;
    if (this.ascending) {
      let lo = this.head;
      let hi = offsets.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const at = offsets[mid]!;
        if (at === offset) return messages[mid] !== undefined ? mid : -1;
        if (at < offset) lo = mid + 1;
        else hi = mid - 1;
      }
      return -1;
    }
    for (let i = offsets.length - 1; i >= this.head; i--) if (offsets[i] === offset && messages[i] !== undefined) return i;
    return -1;
  }

  set(offset: number, m: PulledMessage): void {
    const at = this.find(offset);
    if (at >= 0) {
      this.messages[at] = m;
      return;
    }
    const n = this.offsets.length;
    if (n > this.head && this.offsets[n - 1]! >= offset) this.ascending = false;
    this.offsets.push(offset);
    this.messages.push(m);
    this.live++;
  }

  delete(offset: number): boolean {
    const at = this.find(offset);
    if (at < 0) return false;
    this.messages[at] = undefined;
    this.live--;
    const messages = this.messages;
    const n = messages.length;
    let head = this.head;
    while (head < n && messages[head] === undefined) head++;
    if (head === n) {
      this.offsets.length = 0;
      messages.length = 0;
      head = 0;
      this.ascending = true;
    } else if (head > 1024 && head * 2 > n) {
      this.offsets.splice(0, head);
      messages.splice(0, head);
      head = 0;
    }
    this.head = head;
    return true;
  }
}

export class ProcessQueue {
  dropped = false;
  /** Orderly: the broker lock and when it was last confirmed; messages waiting in offset order; one in process. */
  locked = false;
  lockedAt: Micros = 0;
  readonly pending: PulledMessage[] = [];
  consuming = false;
  lockRetry = false;
  /** Pulled and not finished, in offset order. */
  readonly msgs = new MessageWindow();
  maxOffset = -1;
  nextOffset = 0;
  /** The broker the pull in flight went to. */
  pullAddr = '';
  /** Lite pull: the offset after the messages poll() returned (AssignedMessageQueue's consume offset), -1 before the first. */
  consumeOffset = -1;
  constructor(readonly mq: MessageQueue, readonly name: string) {}

  /** Removes a finished message; returns the offset to commit. */
  remove(offset: number): number {
    this.msgs.delete(offset);
    if (this.msgs.size === 0) return this.maxOffset + 1;
    return this.msgs.first()!;
  }
}

export interface Task {
  pq: ProcessQueue;
  m: PulledMessage;
  skipped: boolean;
  addr: string;
}

export class RocketConsumer implements Actor {
  protected ctx!: NodeContext;
  protected remoting!: Remoting;
  protected routes!: RouteTable;
  protected processing!: Sampler;
  private failures!: RandomStream;
  protected clientId = '';
  /** Started and not shut down. */
  running = false;
  protected ready = false;
  protected readonly pqs = new Map<string, ProcessQueue>();
  protected readonly offsets = new Map<string, number>();
  private readonly tasks: Task[] = [];
  private taskHead = 0;
  private busyThreads = 0;
  private readonly generation = new Map<string, number>();
  private localOffsets: DiskFile<[string, number][]> | null = null;
  protected readonly tagSet: Set<string> | null;
  protected readonly tagsCodes: number[] | null;
  protected readonly clustering: boolean;
  protected readonly topics: string[];

  constructor(protected readonly o: ConsumerOptions) {
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
    if (start > ctx.trueNow() && this.o.phase() === 'safety') ctx.setTimer(start - ctx.trueNow(), 'start');
    else this.begin();
  }

  protected begin(): void {
    this.running = true;
    for (const topic of this.topics) this.routes.update(topic);
    const s = this.o.settings;
    this.ctx.setTimer(s.pollNameServerInterval, 'poll-ns');
    this.ctx.setTimer(s.heartbeatBrokerInterval, 'heartbeat');
    this.ctx.setTimer(s.rebalanceWaitInterval, 'rebalance');
    this.ctx.setTimer(s.persistConsumerOffsetInterval, 'persist');
    if (this.o.orderly && this.clustering) this.ctx.setTimer(REBALANCE_LOCK_INTERVAL, 'lock-all');
    const stop = this.o.stop;
    if (stop !== undefined && stop > this.ctx.trueNow()) this.ctx.setTimer(stop - this.ctx.trueNow(), 'shutdown');
  }

  onPhase(_phase: Phase): void {
    // Consumers keep consuming in the liveness phase; a consumer shut down at `stop` stays down.
  }

  receive(_from: string, message: Message): void {
    if (this.remoting.handle(message)) return;
    if (message.type === 'NOTIFY_CONSUMER_IDS_CHANGED' && this.running) {
      this.ctx.note('consumer-ids-changed', { group: this.o.group });
      this.rebalance();
    }
  }

  onTimer(tag: string, data: unknown): void {
    if (this.remoting.timer(tag, data)) return;
    const s = this.o.settings;
    switch (tag) {
      case 'start':
        this.begin();
        return;
      case 'consumed':
        this.onConsumed(data as Task);
        return;
      case 'orderly-consumed':
        this.onOrderlyConsumed(data as Task);
        return;
    }
    if (!this.running) return;
    switch (tag) {
      case 'poll-ns':
        for (const topic of this.topics) this.routes.update(topic);
        this.ctx.setTimer(s.pollNameServerInterval, 'poll-ns');
        break;
      case 'heartbeat':
        this.heartbeat();
        this.ctx.setTimer(s.heartbeatBrokerInterval, 'heartbeat');
        break;
      case 'rebalance':
        this.rebalance();
        this.ctx.setTimer(s.rebalanceWaitInterval, 'rebalance');
        break;
      case 'persist':
        this.persistAll();
        this.ctx.setTimer(s.persistConsumerOffsetInterval, 'persist');
        break;
      case 'pull':
        this.pull(data as ProcessQueue);
        break;
      case 'consume-later':
        this.tasks.push(data as Task);
        this.runTasks();
        break;
      case 'lock-all':
        this.lockAll();
        this.ctx.setTimer(REBALANCE_LOCK_INTERVAL, 'lock-all');
        break;
      case 'orderly-resume': {
        const pq = data as ProcessQueue;
        pq.consuming = false;
        this.consumeOrderly(pq);
        break;
      }
      case 'orderly-lock-later': {
        const pq = data as ProcessQueue;
        if (pq.dropped) break;
        this.lock([pq], () => {
          if (pq.locked || pq.dropped) {
            pq.lockRetry = false;
            this.consumeOrderly(pq);
          } else this.ctx.setTimer(TRY_LOCK_FAILED_LATER, 'orderly-lock-later', pq); // tryLockLaterAndReconsume: 3 s after a refusal
        });
        break;
      }
      case 'shutdown':
        this.shutdown();
        break;
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
    this.ctx.note('consumer-shutdown', { clientId: this.clientId });
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
        const cidAll = (response['consumerIdList'] as string[]).slice().sort();
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
      pq.dropped = true;
      this.pqs.delete(name);
      this.persistOne(pq);
      this.offsets.delete(name);
      // An orderly queue is unlocked once its message in process is done (getConsumeLock).
      if (this.o.orderly && this.clustering && !pq.consuming) this.unlock(pq);
      changed = true;
    }
    for (const [name, mq] of wanted) {
      if (this.pqs.has(name)) continue;
      const pq = new ProcessQueue(mq, name);
      this.pqs.set(name, pq);
      changed = true;
      if (this.o.orderly && this.clustering) {
        // An orderly consumer takes a queue only once the broker locked it to it (else: next rebalance).
        this.lock([pq], () => {
          if (pq.dropped) return;
          if (!pq.locked) {
            this.pqs.delete(pq.name);
            pq.dropped = true;
            this.ctx.note('mq-lock-refused', { queue: pq.name });
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
    this.ctx.note('rebalanced', { clientId: this.clientId, queues: queues.length });
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
      const offset = response['offset'] as number;
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
      this.ctx.setTimer(PULL_DELAY_WHEN_FLOW_CONTROL, 'pull', pq);
      return;
    }
    const addr = this.routes.forRead(pq.mq.brokerName);
    if (addr === undefined) {
      this.ctx.setTimer(PULL_DELAY_WHEN_EXCEPTION, 'pull', pq);
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
  protected readonly pulled = (pq: ProcessQueue, response: Response | null): void => this.onPulled(pq, pq.pullAddr, response);

  protected onPulled(pq: ProcessQueue, addr: string, response: Response | null): void {
    if (pq.dropped || !this.running) return;
    if (response === null) {
      this.ctx.setTimer(PULL_DELAY_WHEN_EXCEPTION, 'pull', pq);
      return;
    }
    const next = response['nextBeginOffset'] as number | undefined;
    switch (response.code) {
      case 'SUCCESS': {
        const filterTags = pq.mq.topic === this.o.topic ? this.tagSet : null;
        for (const m of response['messages'] as PulledMessage[]) {
          if (filterTags !== null && (m.tags === undefined || !filterTags.has(m.tags))) {
            this.o.stats.clientTagFiltered++;
            continue;
          }
          pq.msgs.set(m.queueOffset, m);
          if (m.queueOffset > pq.maxOffset) pq.maxOffset = m.queueOffset;
          if (this.o.orderly) pq.pending.push(m);
          else this.tasks.push({ pq, m, skipped: false, addr });
        }
        pq.nextOffset = next!;
        this.correctTagsOffset(pq);
        if (this.o.orderly) this.consumeOrderly(pq, addr);
        else this.runTasks();
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
        this.ctx.note('pull-offset-moved', { queue: pq.name, from: pq.nextOffset, to: next });
        pq.nextOffset = next!;
        this.offsets.set(pq.name, next!);
        this.pull(pq);
        return;
      default:
        this.ctx.setTimer(PULL_DELAY_WHEN_EXCEPTION, 'pull', pq);
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

  private runTasks(): void {
    while (this.busyThreads < this.o.settings.consumeThreadMin && this.taskHead < this.tasks.length) {
      const task = this.tasks[this.taskHead++]!;
      if (this.taskHead > 1024 && this.taskHead * 2 > this.tasks.length) {
        // The consume thread pool's queue, FIFO: drop the consumed head now and then rather than shift() per task.
        this.tasks.splice(0, this.taskHead);
        this.taskHead = 0;
      }
      if (task.pq.dropped) continue;
      this.busyThreads++;
      const dedupe = this.o.dedupe;
      // An idempotent consumer records when its local transaction ends (onConsumed); others when handed the message.
      if (dedupe === null) this.recordConsume(task.pq, task.m, task.addr, 'receive');
      task.skipped = dedupe !== null && dedupe.has(task.m.msg);
      this.ctx.setTimer(task.skipped ? 0 : Math.max(0, Math.round(this.processing())), 'consumed', task);
    }
  }

  /** A history receive (handed to / processed by the application) or skip (a duplicate the idempotent consumer did not process). */
  protected recordConsume(pq: ProcessQueue, m: PulledMessage, node: string, f: 'receive' | 'skip'): void {
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
  protected commitIdempotent(task: Task, dedupe: Set<string>, failed: boolean): void {
    if (failed) return;
    const { pq, m } = task;
    if (task.skipped || dedupe.has(m.msg)) {
      this.o.stats.duplicatesSkipped++;
      this.recordConsume(pq, m, task.addr, 'skip');
      return;
    }
    dedupe.add(m.msg);
    this.recordConsume(pq, m, task.addr, 'receive');
  }

  private onConsumed(task: Task): void {
    const { pq, m } = task;
    const failed = !task.skipped && this.o.failureRate > 0 && this.failures.chance(this.o.failureRate);
    if (this.o.dedupe !== null) this.commitIdempotent(task, this.o.dedupe, failed);
    if (pq.dropped || !this.running) {
      // processConsumeResult is skipped for a dropped queue: the new owner consumes it again.
      this.threadDone();
      return;
    }
    if (!failed || !this.clustering) {
      if (failed) this.ctx.note('broadcast-consume-failed-dropped', { msg: m.msg });
      this.finish(pq, m);
      this.threadDone();
      return;
    }
    const addr = this.routes.master(pq.mq.brokerName);
    if (addr === undefined) {
      this.consumeLater(task);
      return;
    }
    this.remoting.invoke(addr, 'CONSUMER_SEND_MSG_BACK', {
      group: this.o.group, phy: m.phy, originMsgId: m.msg, maxReconsumeTimes: this.o.settings.maxReconsumeTimes, delayLevel: 0,
    }, HEADER_BYTES, SEND_BACK_TIMEOUT, (response) => {
      if (response !== null && response.code === 'SUCCESS') {
        if (!pq.dropped) this.finish(pq, m);
        this.threadDone();
      } else this.consumeLater(task);
    });
  }

  private consumeLater(task: Task): void {
    this.o.stats.sendBackFailed++;
    this.ctx.note('send-back-failed-consume-later', { msg: task.m.msg });
    const again: Task = { ...task, m: { ...task.m, reconsumeTimes: task.m.reconsumeTimes + 1 }, skipped: false };
    task.pq.msgs.set(again.m.queueOffset, again.m);
    this.ctx.setTimer(CONSUME_LATER, 'consume-later', again);
    this.threadDone();
  }

  private threadDone(): void {
    this.busyThreads--;
    this.runTasks();
  }

  private finish(pq: ProcessQueue, m: PulledMessage): void {
    const offset = pq.remove(m.queueOffset);
    this.updateOffset(pq, offset);
  }

  // ------------------------------------------------------------------ orderly

  /** LOCK_BATCH_MQ for some queues of one broker group each; `then` runs after the answers. */
  private lock(pqs: ProcessQueue[], then: () => void): void {
    const byBroker = new Map<string, ProcessQueue[]>();
    for (const pq of pqs) {
      const list = byBroker.get(pq.mq.brokerName) ?? [];
      list.push(pq);
      byBroker.set(pq.mq.brokerName, list);
    }
    let waiting = byBroker.size;
    if (waiting === 0) then();
    for (const [brokerName, list] of byBroker) {
      const addr = this.routes.master(brokerName);
      const done = () => {
        if (--waiting === 0) then();
      };
      if (addr === undefined) {
        for (const pq of list) pq.locked = false;
        done();
        continue;
      }
      const mqs = list.map((pq) => ({ topic: pq.mq.topic, queueId: pq.mq.queueId }));
      this.remoting.invoke(addr, 'LOCK_BATCH_MQ', { group: this.o.group, clientId: this.clientId, mqs }, HEADER_BYTES, RPC_TIMEOUT, (response) => {
        const ok = new Set(((response?.['lockOKMQSet'] as { topic: string; queueId: number }[] | undefined) ?? []).map((q) => `${q.topic}/${q.queueId}`));
        const now = this.ctx.trueNow();
        for (const pq of list) {
          const locked = ok.has(`${pq.mq.topic}/${pq.mq.queueId}`);
          pq.locked = locked;
          if (locked) pq.lockedAt = now;
        }
        done();
      });
    }
  }

  private lockAll(): void {
    const pqs = [...this.pqs.values()];
    this.lock(pqs, () => {
      for (const pq of pqs) this.consumeOrderly(pq);
    });
  }

  private unlock(pq: ProcessQueue): void {
    const addr = this.routes.master(pq.mq.brokerName);
    if (addr !== undefined) this.remoting.oneway(addr, 'UNLOCK_BATCH_MQ', { group: this.o.group, clientId: this.clientId, mqs: [{ topic: pq.mq.topic, queueId: pq.mq.queueId }] });
  }

  /** One message at a time per queue, in offset order, only while the queue's lock is fresh. */
  private consumeOrderly(pq: ProcessQueue, addr?: string): void {
    if (pq.dropped || pq.consuming || pq.pending.length === 0 || !this.running) return;
    if (this.clustering && (!pq.locked || this.ctx.trueNow() - pq.lockedAt > REBALANCE_LOCK_MAX_LIVE_TIME)) {
      if (!pq.lockRetry) {
        pq.lockRetry = true;
        this.ctx.setTimer(TRY_LOCK_LATER, 'orderly-lock-later', pq);
      }
      return;
    }
    const m = pq.pending[0]!;
    pq.consuming = true;
    const node = addr ?? this.routes.forRead(pq.mq.brokerName) ?? '';
    if (this.o.dedupe === null) this.recordConsume(pq, m, node, 'receive');
    const skipped = this.o.dedupe !== null && this.o.dedupe.has(m.msg);
    this.ctx.setTimer(skipped ? 0 : Math.max(0, Math.round(this.processing())), 'orderly-consumed', { pq, m, skipped, addr: node } as Task);
  }

  /** SUCCESS commits the queue's offset; SUSPEND_CURRENT_QUEUE_A_MOMENT retries the same message after 1 s. */
  private onOrderlyConsumed(task: Task): void {
    const { pq, m } = task;
    const failed = !task.skipped && this.o.failureRate > 0 && this.failures.chance(this.o.failureRate);
    if (this.o.dedupe !== null) this.commitIdempotent(task, this.o.dedupe, failed);
    if (pq.dropped || !this.running) {
      pq.consuming = false;
      if (pq.dropped && this.clustering) this.unlock(pq);
      return;
    }
    if (failed) {
      pq.pending[0] = { ...m, reconsumeTimes: m.reconsumeTimes + 1 };
      this.ctx.setTimer(SUSPEND_CURRENT_QUEUE_TIME, 'orderly-resume', pq);
      return;
    }
    pq.pending.shift();
    this.finish(pq, m);
    pq.consuming = false;
    this.consumeOrderly(pq);
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

import type { Timer } from '../../sim/kernel.js';
import type { Micros } from '../../sim/time.js';
import { timersOf, type TimerArgs } from '../../sim/timers.js';
import { compareQueues, subscribeQueues } from './client.js';
import { RocketConsumer, type ConsumerOptions, type ConsumerTimer } from './consumer.js';
import { notes } from './notes.js';
import { ProcessQueue, type Task } from './process-queue.js';
import { HEADER_BYTES, type PulledMessage, type ResponseTo, type TopicRouteData } from './protocol.js';
import type { LitePullSettings } from './schema.js';

/**
 * A DefaultLitePullConsumer (RocketMQ 4.6+, the pull consumer that replaced DefaultMQPullConsumer)
 * and the application's poll loop around it.
 *
 * Under the hood (DefaultLitePullConsumerImpl): one pull task per assigned queue sends
 * PULL_MESSAGE (pullBatchSize, default 10; long polling: held up to brokerSuspendMaxTimeMillis,
 * 20 s, at the broker when the queue has nothing new) and puts what it gets into the queue's
 * ProcessQueue and a ConsumeRequest into the client's consumeRequestCache, then pulls again at
 * once. A pull task pauses 50 ms instead of pulling while the cache is full: more than
 * pullThresholdForQueue (1000) messages in its queue, more than pullThresholdForAll (10000) / pullBatchSize
 * requests in all, or its cached offsets spanning more than consumeMaxSpan (2000). So while the
 * application is slow no PULL_MESSAGE is sent, and the backlog stays at the broker.
 *
 * The application calls poll(pollTimeoutMillis): with autoCommit (default) poll first commits, at
 * most every autoCommitIntervalMillis (5 s), the consume offset of every assigned queue (commitAll:
 * the offset after the messages earlier polls returned, whether the application finished them or
 * not), then takes one ConsumeRequest (the messages of one pull from one queue) or waits up to the
 * timeout for one. Committed offsets reach the broker with UPDATE_CONSUMER_OFFSET every
 * persistConsumerOffsetInterval (5 s), when a rebalance takes a queue away, and at shutdown.
 * With autoCommit false the application calls commitSync() (the same commitAll) after processing
 * each batch. `processingMode` sync processes the batch in the loop before polling again (a crash
 * re-delivers from the last commit: duplicates, no loss); async-pool hands the messages to
 * `workers` threads and polls again at once, so auto-commit commits messages still waiting in the
 * pool, which a crash loses.
 *
 * subscribe mode: rebalance as the push consumer (every 20 s and on NOTIFY_CONSUMER_IDS_CHANGED;
 * the topic only: a lite pull consumer has no %RETRY% subscription and no send-back). assign mode:
 * assign() of every readable queue of the topic once its route is known; never rebalances.
 * Each message records a history receive when the application starts processing it (an
 * idempotent consumer: when the processing commits, or a skip). `seek` entries call seek() on
 * every assigned queue at a time (GET_MIN_OFFSET and GET_MAX_OFFSET bound the offset).
 * Not modelled: pause()/resume(), and DefaultMQPullConsumer (deprecated), whose application
 * pulls a queue at an offset itself and stores offsets itself.
 */

interface ConsumeRequest {
  readonly pq: ProcessQueue;
  readonly msgs: PulledMessage[];
  readonly addr: string;
}

/** The lite pull consumer's timers: the push consumer's (pull, rebalance, persist...) and the application's poll loop. */
export type LitePullTimer =
  | ConsumerTimer
  | { tag: 'poll'; data: undefined }
  | { tag: 'poll-timeout'; data: undefined }
  | { tag: 'lite-processed'; data: Task }
  | { tag: 'seek'; data: LitePullSettings['seeks'][number] };
const timers = timersOf<LitePullTimer>();

const PULL_TIME_DELAY_MILLS_WHEN_CACHE_FLOW_CONTROL: Micros = 50_000;
const RPC_TIMEOUT: Micros = 3_000_000;

export class RocketLitePullConsumer extends RocketConsumer {
  private readonly lite: LitePullSettings;
  private readonly cache: ConsumeRequest[] = [];
  private cacheHead = 0;
  /** Messages in the cache (pulled, not yet returned by poll()). */
  private cached = 0;
  /** The application is blocked in poll() waiting for a ConsumeRequest. */
  private waiting = false;
  private pollTimer: Timer | null = null;
  private nextAutoCommitDeadline = -1;
  private assigned = false;
  /** sync: the batch poll() returned, processed in order. */
  private batch: Task[] = [];
  private batchIndex = 0;
  /** async-pool: the worker pool's queue. */
  private readonly pool: Task[] = [];
  private poolHead = 0;
  private busyWorkers = 0;

  constructor(o: ConsumerOptions & { pull: LitePullSettings }) {
    super(o);
    this.lite = o.pull;
  }

  protected override begin(): void {
    super.begin();
    // The application's loop starts calling poll() once the consumer is started.
    timers.set(this.ctx, 0, 'poll', undefined);
    const now = this.ctx.trueNow();
    for (const seek of this.lite.seeks) if (seek.at >= now) timers.set(this.ctx, seek.at - now, 'seek', seek);
  }

  override onTimer(...timer: TimerArgs<LitePullTimer>): void {
    switch (timer[0]) {
      case 'poll':
        this.pollLoop();
        return;
      case 'poll-timeout':
        // poll() returns an empty list; the loop calls it again.
        this.pollTimer = null;
        this.waiting = false;
        this.pollLoop();
        return;
      case 'lite-processed':
        this.onProcessed(timer[1]);
        return;
      case 'seek':
        if (this.running) this.seekAll(timer[1].offset);
        return;
    }
    super.onTimer(...timer);
  }

  // ------------------------------------------------------------------ seek

  /** seek() / seekToBegin() / seekToEnd() on every queue of the topic assigned now. */
  private seekAll(to: number | 'begin' | 'end'): void {
    for (const pq of [...this.pqs.values()]) {
      if (pq.dropped || pq.mq.topic !== this.o.topic) continue;
      const addr = this.routes.forRead(pq.mq.brokerName);
      if (addr === undefined) continue;
      const { topic, queueId } = pq.mq;
      // minOffset() and maxOffset() ask the broker; seek checks the offset against both.
      this.remoting.invoke(addr, 'GET_MIN_OFFSET', { topic, queueId }, HEADER_BYTES, RPC_TIMEOUT, (minResponse) => {
        if (minResponse === null || minResponse.code !== 'SUCCESS') return;
        this.remoting.invoke(addr, 'GET_MAX_OFFSET', { topic, queueId }, HEADER_BYTES, RPC_TIMEOUT, (maxResponse) => {
          if (maxResponse === null || maxResponse.code !== 'SUCCESS') return;
          const min = minResponse.offset ?? 0;
          const max = maxResponse.offset ?? 0;
          this.seek(pq, to === 'begin' ? min : to === 'end' ? max : to, min, max);
        });
      });
    }
  }

  /**
   * The queue's cached messages and pull task are dropped (a fresh ProcessQueue replaces it: the
   * old one's pending pull and cache entries are ignored), and pulling and the consume offset
   * start again at `offset`.
   */
  private seek(pq: ProcessQueue, offset: number, min: number, max: number): void {
    if (!this.running || this.pqs.get(pq.name) !== pq) return;
    if (offset < min || offset > max) {
      notes.note(this.ctx, 'seek-offset-illegal', { queue: pq.name, offset, min, max });
      return;
    }
    const fresh = new ProcessQueue(pq.mq, pq.name);
    fresh.nextOffset = offset;
    fresh.consumeOffset = offset;
    pq.dropped = true;
    this.pqs.set(pq.name, fresh);
    notes.note(this.ctx, 'seek', { queue: pq.name, offset });
    // Poll order starts again from the new position: an assign op resets the checkers' cursors.
    this.o.history.record({
      time: this.ctx.trueNow(), process: this.ctx.name, type: 'ok', f: 'assign', queues: [...this.pqs.keys()].sort(), group: this.historyGroup,
    });
    this.pull(fresh);
  }

  protected override onRoute(topic: string, route: TopicRouteData): void {
    if (this.lite.mode === 'subscribe') {
      super.onRoute(topic, route);
      return;
    }
    if (!this.ready && topic === this.o.topic && this.running) {
      this.ready = true;
      this.heartbeat();
      this.rebalance();
    }
  }

  protected override rebalance(): void {
    if (this.lite.mode === 'subscribe') {
      super.rebalance();
      return;
    }
    // assign(): every readable queue of the topic, once; no rebalance afterwards.
    if (this.assigned || !this.ready) return;
    const route = this.routes.routes.get(this.o.topic);
    if (!route) return;
    this.assigned = true;
    this.updateProcessQueues(this.o.topic, subscribeQueues(this.o.topic, route).sort(compareQueues));
  }

  // ------------------------------------------------------------------ pull tasks

  protected override pull(pq: ProcessQueue): void {
    if (pq.dropped || !this.running) return;
    const s = this.o.settings;
    const firstCached = pq.msgs.size === 0 ? -1 : pq.msgs.first()!;
    if ((this.cache.length - this.cacheHead) * s.pullBatchSize > this.lite.pullThresholdForAll
      || pq.msgs.size > s.pullThresholdForQueue
      || (firstCached >= 0 && pq.maxOffset - firstCached > this.lite.consumeMaxSpan)) {
      this.o.stats.flowControlledPulls++;
      timers.set(this.ctx, PULL_TIME_DELAY_MILLS_WHEN_CACHE_FLOW_CONTROL, 'pull', pq);
      return;
    }
    const addr = this.routes.forRead(pq.mq.brokerName);
    if (addr === undefined) {
      timers.set(this.ctx, this.lite.pullTimeDelayWhenException, 'pull', pq);
      return;
    }
    // pullSyncImpl(block = true): long polling, no commit offset carried.
    pq.pullAddr = addr;
    this.remoting.invokeWith(addr, 'PULL_MESSAGE', {
      group: this.o.group, topic: pq.mq.topic, queueId: pq.mq.queueId, queueOffset: pq.nextOffset,
      maxMsgNums: s.pullBatchSize, tagsCodes: this.tagsCodes, suspendTimeoutMillis: this.lite.brokerSuspendMaxTime, commitOffset: -1,
    }, HEADER_BYTES, this.lite.consumerTimeoutWhenSuspend, this.pulled, pq);
  }

  protected override onPulled(pq: ProcessQueue, addr: string, response: ResponseTo<'PULL_MESSAGE'> | null): void {
    if (pq.dropped || !this.running) return;
    if (response === null) {
      timers.set(this.ctx, this.lite.pullTimeDelayWhenException, 'pull', pq);
      return;
    }
    const next = response.nextBeginOffset;
    switch (response.code) {
      case 'SUCCESS': {
        const found: PulledMessage[] = [];
        const filterTags = this.tagSet;
        for (const m of response.messages!) {
          if (filterTags !== null && (m.tags === undefined || !filterTags.has(m.tags))) {
            this.o.stats.clientTagFiltered++;
            continue;
          }
          found.push(m);
        }
        if (found.length > 0) {
          for (const m of found) {
            pq.msgs.set(m.queueOffset, m);
            if (m.queueOffset > pq.maxOffset) pq.maxOffset = m.queueOffset;
          }
          this.submit({ pq, msgs: found, addr });
        }
        pq.nextOffset = next!;
        break;
      }
      case 'PULL_NOT_FOUND':
      case 'PULL_RETRY_IMMEDIATELY':
        pq.nextOffset = next ?? pq.nextOffset;
        break;
      case 'PULL_OFFSET_MOVED':
        this.o.stats.offsetResets++;
        notes.note(this.ctx, 'pull-offset-moved', { queue: pq.name, from: pq.nextOffset, to: next });
        pq.nextOffset = next!;
        break;
      default:
        timers.set(this.ctx, this.lite.pullTimeDelayWhenException, 'pull', pq);
        return;
    }
    this.pull(pq);
  }

  /** submitConsumeRequest: into the cache; an application blocked in poll() takes it at once. */
  private submit(request: ConsumeRequest): void {
    this.cache.push(request);
    this.cached += request.msgs.length;
    if (this.cached > this.o.stats.pullCacheMax) this.o.stats.pullCacheMax = this.cached;
    if (!this.waiting) return;
    this.waiting = false;
    if (this.pollTimer !== null) this.ctx.cancelTimer(this.pollTimer);
    this.pollTimer = null;
    // poll() returns with this request; the loop goes on (an async-pool polls again at once).
    const taken = this.take();
    if (taken === undefined || !this.deliver(taken)) this.pollLoop();
  }

  // ------------------------------------------------------------------ the application

  /** The application's loop: poll(), then process (sync) or hand over (async-pool) and poll again. */
  private pollLoop(): void {
    while (this.running && !this.waiting) {
      if (this.lite.autoCommit) this.maybeAutoCommit();
      const request = this.take();
      if (request === undefined) {
        this.waiting = true;
        this.pollTimer = timers.set(this.ctx, this.lite.pollTimeout, 'poll-timeout', undefined);
        return;
      }
      if (this.deliver(request)) return;
    }
  }

  /** The next ConsumeRequest of a queue still assigned (a dropped queue's are discarded). */
  private take(): ConsumeRequest | undefined {
    while (this.cacheHead < this.cache.length) {
      const request = this.cache[this.cacheHead]!;
      this.cache[this.cacheHead++] = undefined as unknown as ConsumeRequest;
      if (this.cacheHead > 1024 && this.cacheHead * 2 > this.cache.length) {
        this.cache.splice(0, this.cacheHead);
        this.cacheHead = 0;
      }
      this.cached -= request.msgs.length;
      if (!request.pq.dropped) return request;
    }
    return undefined;
  }

  /**
   * poll() returns a request's messages: they leave the ProcessQueue and the queue's consume
   * offset moves past them. Returns true when the loop must wait for the batch to be processed.
   */
  private deliver(request: ConsumeRequest): boolean {
    const { pq, msgs, addr } = request;
    for (const m of msgs) pq.msgs.delete(m.queueOffset);
    pq.consumeOffset = pq.msgs.size === 0 ? pq.maxOffset + 1 : pq.msgs.first()!;
    const tasks: Task[] = msgs.map((m) => ({ pq, m, skipped: false, addr }));
    if (this.lite.processingMode === 'sync') {
      this.batch = tasks;
      this.batchIndex = 0;
      this.processNext();
      return true;
    }
    for (const task of tasks) this.pool.push(task);
    this.runPool();
    return false;
  }

  private startProcessing(task: Task): void {
    const dedupe = this.o.dedupe;
    if (dedupe === null) this.recordConsume(task.pq, task.m, task.addr, 'receive');
    task.skipped = dedupe !== null && dedupe.has(task.m.msg);
    timers.set(this.ctx, task.skipped ? 0 : Math.max(0, Math.round(this.processing())), 'lite-processed', task);
  }

  private processNext(): void {
    if (this.batchIndex < this.batch.length) {
      this.startProcessing(this.batch[this.batchIndex++]!);
      return;
    }
    this.batch = [];
    // The batch is processed: commitSync() when the application commits by hand, then poll() again.
    if (!this.lite.autoCommit) this.commitAll();
    this.pollLoop();
  }

  private runPool(): void {
    while (this.busyWorkers < this.lite.workers && this.poolHead < this.pool.length) {
      const task = this.pool[this.poolHead]!;
      this.pool[this.poolHead++] = undefined as unknown as Task;
      if (this.poolHead > 1024 && this.poolHead * 2 > this.pool.length) {
        this.pool.splice(0, this.poolHead);
        this.poolHead = 0;
      }
      this.busyWorkers++;
      this.startProcessing(task);
    }
  }

  private onProcessed(task: Task): void {
    if (this.o.dedupe !== null) this.commitIdempotent(task, this.o.dedupe, false);
    if (this.lite.processingMode === 'sync') {
      this.processNext();
      return;
    }
    this.busyWorkers--;
    this.runPool();
  }

  private maybeAutoCommit(): void {
    const now = this.ctx.trueNow();
    if (now < this.nextAutoCommitDeadline) return;
    this.commitAll();
    this.nextAutoCommitDeadline = now + this.lite.autoCommitInterval;
  }

  /** commitAll: each assigned queue's consume offset into the offset store (sent to the broker by persistAll). */
  private commitAll(): void {
    for (const pq of this.pqs.values()) {
      if (!pq.dropped && pq.consumeOffset >= 0) this.offsets.set(pq.name, pq.consumeOffset);
    }
  }
}

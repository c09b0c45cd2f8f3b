import { messageId, type History, type NewHistoryOp } from '../../sim/history.js';
import type { CloseReason } from '../../sim/connection.js';
import type { Timer } from '../../sim/kernel.js';
import type { Actor, NodeContext } from '../../sim/node.js';
import { timersOf, unreachable, type TimerArgs } from '../../sim/timers.js';
import { note } from './notes.js';
import type { RandomStream } from '../../sim/random.js';
import type { Micros } from '../../sim/time.js';
import { PlannedSends, ProducerPlan, type PlannedSend, type ProducerPlanSpec } from '../../sim/workload.js';
import type { Phase } from '../../sim/world.js';
import { ClusterConnectionStates } from './cluster-connection-states.js';
import { partitionForKey } from './partitioner.js';
import { sendTo,
  HEADER_BYTES, RECORD_OVERHEAD, RETRIABLE,
  type AddPartitionsToTxnResponse, type EndTxnResponse, type FindCoordinatorResponse,
  type InitProducerIdResponse, type KafkaError, type MetadataResponse, type Produce, type ProduceBatchRecord, type ProduceResponse,
} from './protocol.js';
import type { ProducerConfig } from './schema.js';
import type { KafkaStats } from './stats.js';
import { TransactionManager, type TransactionManagerTimer, type TransactionShape } from './transaction-manager.js';

/**
 * The Kafka producer (Java client semantics). send() puts the record into the accumulator: a
 * per-partition queue of batches (keyed records go to partitionForKey(key), unkeyed ones to a
 * sticky partition that changes each time its batch is sent). The sender drains a partition's
 * first unsent batch when it is full (batch.size), has waited linger.ms, or is a retry whose
 * retry.backoff.ms has passed, and only while the leader's connection has fewer than
 * max.in.flight.requests.per.connection requests unanswered.
 *
 * acks=0: the batch is done once sent (history ok without an offset). acks=1/all: the
 * ProduceResponse gives the base offset; a retriable error (NOT_LEADER_OR_FOLLOWER - which also
 * refreshes metadata -, NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT...) or no response within
 * request.timeout.ms re-queues the batch, up to `retries` times and until delivery.timeout.ms
 * after send(); then the records fail (`fail` if no attempt may have been written, `info` if one
 * timed out and may have been). With enable.idempotence the producer first gets a producer id
 * (InitProducerId) and numbers each partition's records; a resent batch keeps its sequence
 * numbers so the leader recognises it and does not write it twice.
 *
 * Requests go over one connection per broker (NetworkClient): a batch is sent only when the
 * leader's connection is open. When a connection closes (the broker's process was killed, or a
 * connect is refused), the requests in flight on it fail with NETWORK_EXCEPTION (retriable,
 * possibly written), metadata is refreshed, and the broker is not tried again before the reconnect
 * back-off (reconnect.backoff.ms .. reconnect.backoff.max.ms); meanwhile batches wait in the
 * accumulator. A broker that went silent (crash, partition) is noticed only by request.timeout.ms.
 */

interface PendingRecord {
  msg: string;
  key: string | undefined;
  bytes: number;
  timestamp: number;
  seq: number;
  /** True time of send(), for ackLatencyMsMax. */
  invokedAt: number;
}

interface Batch {
  partition: number;
  records: PendingRecord[];
  bytes: number;
  created: Micros;
  deadline: Micros;
  baseSequence: number;
  /** The producer id its sequence numbers belong to. */
  pid: number;
  attempts: number;
  retryAt: Micros;
  inflight: boolean;
  closed: boolean;
  /** Some attempt timed out: it may have been written. */
  unknown: boolean;
  leader: string;
  requestId: number;
  timer: Timer | null;
}

export interface ProducerOptions {
  plan: ProducerPlanSpec;
  duration: Micros;
  topic: string;
  partitions: number;
  brokers: readonly string[];
  config: ProducerConfig;
  history: History;
  stats: KafkaStats;
  /**
   * The delivery delay the application asks for (a delay topic served by a delay scheduler):
   * recorded with each send so the delay checker measures the accuracy.
   */
  delay?: Micros;
  /** With transactional.id: how the application groups records into transactions (transaction-manager.ts). */
  transactions?: TransactionShape;
}

/** How long the client waits for a Metadata or InitProducerId answer before asking another broker. */
const CONNECTION_SETUP_TIMEOUT: Micros = 10_000_000;

/** A record's size in a v2 record batch (its bytes plus the per-record overhead). */
export function recordSize(record: { bytes: number }): number {
  return record.bytes + RECORD_OVERHEAD;
}

/**
 * Sends one Produce request (a record batch for one partition) to the partition's leader: the one
 * place a Kafka client builds and sizes a Produce, used by the producer and by the patterns'
 * forwarder. `batchBytes` is the batch's size when the caller keeps it (else summed here).
 */
export function sendProduce(ctx: NodeContext, leader: string, request: Omit<Produce, 'type'>, batchBytes?: number): void {
  let bytes = batchBytes;
  if (bytes === undefined) {
    bytes = 0;
    for (let i = 0; i < request.records.length; i++) bytes += recordSize(request.records[i]!);
  }
  const produce: Produce = { type: 'Produce', ...request };
  sendTo(ctx, leader, produce, HEADER_BYTES + bytes);
}

/** What reaches a producer. */
export type ProducerInbound = ProduceResponse | MetadataResponse | InitProducerIdResponse | FindCoordinatorResponse | AddPartitionsToTxnResponse | EndTxnResponse;

/** The producer's timers ('send' is the workload plan's, set by sim/workload.ts). */
export type ProducerTimer =
  | { tag: 'send'; data: PlannedSend }
  | { tag: 'wake'; data: undefined }
  | { tag: 'request-timeout'; data: { batch: Batch; id: number } }
  | { tag: 'metadata-timeout'; data: number }
  | { tag: 'metadata-retry'; data: undefined }
  | { tag: 'metadata-max-age'; data: undefined }
  | { tag: 'pid-timeout'; data: number }
  | { tag: 'txn-init'; data: undefined }
  | TransactionManagerTimer;
const timers = timersOf<ProducerTimer>();

export class KafkaProducer implements Actor {
  private ctx!: NodeContext;
  private readonly queues: Batch[][];
  private readonly leaders: (string | null)[];
  /**
   * The topic's partition count as this producer knows it: the configured count until a
   * Metadata answer shows more (partitions added by CreatePartitions, seen at the next refresh,
   * at most metadata.max.age.ms later). Keyed records then hash over the new count, so a key
   * can move to another partition — the reason Kafka warns that adding partitions breaks
   * per-key order.
   */
  private partitionCount: number;
  private metadataReady = false;
  private metadataPending = 0;
  /** The broker the pending Metadata / InitProducerId request went to. */
  private metadataBroker = '';
  private pidBroker = '';
  private connections!: ClusterConnectionStates;
  private bootstrap = 0;
  private producerId = -1;
  private pidPending = 0;
  private readonly nextSequence: number[];
  /** Highest sequence acknowledged per partition for the current producer id (-1 none). */
  private readonly lastAcked: number[];
  private readonly inflight = new Map<string, number>();
  private readonly requests = new Map<number, Batch>();
  private nextId = 1;
  private sticky = 0;
  private stickyRandom!: RandomStream;
  private wakeTimer: Timer | null = null;
  private wakeAt = Number.POSITIVE_INFINITY;
  private readonly acks: 0 | 1 | -1;
  /** transactional.id: the client's transaction manager, and the sends waiting for the next transaction. */
  private txn: TransactionManager | null = null;
  private producerEpoch = 0;
  private readonly held: PlannedSend[] = [];

  /** The plan's send timers; null before start and after a restart (the plan lived in memory). */
  private sends: PlannedSends | null = null;
  constructor(private readonly options: ProducerOptions) {
    this.partitionCount = options.partitions;
    this.queues = Array.from({ length: options.partitions }, () => []);
    this.leaders = new Array(options.partitions).fill(null);
    this.nextSequence = new Array(options.partitions).fill(0);
    this.lastAcked = new Array(options.partitions).fill(-1);
    this.acks = options.config.acks === 'all' ? -1 : options.config.acks === '1' ? 1 : 0;
  }

  start(ctx: NodeContext, restarted: boolean): void {
    this.ctx = ctx;
    this.connections = new ClusterConnectionStates(ctx, this.options.config.reconnectBackoff, this.options.config.reconnectBackoffMax, ctx.random('reconnect'));
    this.stickyRandom = ctx.random('sticky');
    this.sticky = this.stickyRandom.int(this.partitionCount);
    if (restarted) {
      // The plan and the accumulator lived in memory: a restarted producer sends nothing new.
      note(ctx, 'producer-restarted', { resumes: false });
      return;
    }
    this.sends = new PlannedSends(new ProducerPlan(this.options.plan, ctx.random('plan'), this.options.duration));
    this.requestMetadata();
    timers.set(ctx, this.options.config.metadataMaxAge, 'metadata-max-age', undefined);
    if (this.options.config.transactionalId !== null) {
      // initTransactions() when the application starts (the plan's start).
      this.txn = this.newTransactionManager();
      timers.set(ctx, Math.max(0, (this.options.plan.start ?? 0) - ctx.trueNow()), 'txn-init', undefined);
    } else if (this.options.config.idempotence) this.initProducerId();
    this.scheduleNext();
  }

  onPhase(phase: Phase): void {
    if (phase === 'safety') return;
    this.sends?.stop(this.ctx);
    this.maybeCloseTransaction();
  }

  /** Planning is over and nothing waits: the application commits (or aborts) the last, shorter transaction. */
  private maybeCloseTransaction(): void {
    if (this.txn !== null && this.held.length === 0 && this.sends !== null && !this.sends.planning) this.txn.endOpen();
  }

  receive(from: string, message: ProducerInbound): void {
    switch (message.type) {
      case 'ProduceResponse': return this.onProduceResponse(from, message);
      case 'MetadataResponse': return this.onMetadata(message);
      case 'InitProducerIdResponse':
        if (this.txn) return this.txn.onInitProducerId(message);
        return this.onInitProducerId(message);
      case 'FindCoordinatorResponse': return this.txn?.onFindCoordinator(message);
      case 'AddPartitionsToTxnResponse': return this.txn?.onAddPartitions(message);
      case 'EndTxnResponse': return this.txn?.onEndTxn(message);
      default: return unreachable(message, 'producer message');
    }
  }

  onTimer(...[tag, data]: TimerArgs<ProducerTimer>): void {
    switch (tag) {
      case 'send': return this.onSend(data);
      case 'wake':
        this.wakeTimer = null;
        this.wakeAt = Number.POSITIVE_INFINITY;
        return this.drain();
      case 'request-timeout': return this.onRequestTimeout(data);
      case 'metadata-timeout':
        if (this.metadataPending === data) {
          this.metadataPending = 0;
          this.bootstrap++;
          this.requestMetadata();
        }
        return;
      case 'metadata-retry': return this.requestMetadata();
      case 'metadata-max-age':
        timers.set(this.ctx, this.options.config.metadataMaxAge, 'metadata-max-age', undefined);
        return this.requestMetadata();
      case 'pid-timeout':
        if (this.pidPending === data) {
          this.pidPending = 0;
          this.bootstrap++;
          this.initProducerId();
        }
        return;
      case 'txn-init': return this.txn?.init();
      case 'txn-request-timeout': case 'txn-retry':
        return this.txn?.onTimer(...([tag, data] as Parameters<TransactionManager['onTimer']>));
      default: return unreachable(tag, 'producer timer');
    }
  }

  onConnectionOpened(broker: string): void {
    this.connections.connected(broker);
    this.drain();
  }

  onConnectionClosed(broker: string, reason: CloseReason): void {
    const wait = this.connections.disconnected(broker, reason);
    note(this.ctx, 'connection-closed', { broker, reason, reconnectBackoffMs: wait / 1000 });
    // NetworkClient fails every request in flight on the connection (NetworkException).
    for (const batch of [...this.requests.values()]) {
      if (batch.leader !== broker) continue;
      this.settle(batch);
      batch.unknown = true;
      this.retryOrFail(batch, 'NETWORK_EXCEPTION');
    }
    if (this.pidPending !== 0 && this.pidBroker === broker) {
      this.pidPending = 0;
      this.bootstrap++;
      this.initProducerId();
    }
    if (this.metadataPending !== 0 && this.metadataBroker === broker) {
      this.metadataPending = 0;
      this.bootstrap++;
    }
    this.txn?.connectionClosed(broker);
    // handleServerDisconnect: the cluster view may be stale.
    this.requestMetadata();
    this.drain();
  }

  // ------------------------------------------------------------------ plan -> accumulator

  private scheduleNext(): void {
    this.sends!.scheduleNext(this.ctx);
  }

  private onSend(send: PlannedSend): void {
    if (!this.sends!.fired()) return;
    if (this.txn !== null && (this.held.length > 0 || !this.txn.accepting())) {
      // Between transactions (committing, or not initialised yet): the record waits for the next one.
      if (this.txn.state !== 'FATAL_ERROR') this.held.push(send);
      this.scheduleNext();
      return;
    }
    this.accept(send);
    this.scheduleNext();
    this.maybeCloseTransaction();
  }

  /** send(): the record goes into the accumulator (and, transactional, into the open transaction). */
  private accept(send: PlannedSend): void {
    const msg = messageId(this.ctx.name, send.seq);
    const partition = send.key !== undefined ? partitionForKey(send.key, this.partitionCount) : this.sticky;
    const op: NewHistoryOp = { time: this.ctx.trueNow(), process: this.ctx.name, type: 'invoke', f: 'send', msg, queue: this.queueName(partition) };
    if (send.key !== undefined) op.key = send.key;
    if (this.options.delay !== undefined) op.delay = this.options.delay;
    if (this.txn !== null) op.txn = this.txn.currentTxn;
    this.options.history.record(op);
    if (partition >= this.options.partitions) this.options.stats.recordsToAddedPartitions++;
    this.append(partition, { msg, key: send.key, bytes: send.bytes, timestamp: this.ctx.now(), seq: send.seq, invokedAt: this.ctx.trueNow() });
    this.txn?.appended({ msg, key: send.key, queue: this.queueName(partition), offset: -1, node: undefined, failed: false });
    this.drain();
  }

  private newTransactionManager(): TransactionManager {
    const shape = this.options.transactions ?? { records: 1, abortEvery: 0 };
    return new TransactionManager({
      ctx: this.ctx, history: this.options.history, brokers: this.options.brokers, config: this.options.config,
      producerIdChanged: (producerId, epoch) => {
        this.producerId = producerId;
        this.producerEpoch = epoch;
        this.nextSequence.fill(0);
        this.lastAcked.fill(-1);
      },
      outstandingBatches: () => {
        let n = 0;
        for (const q of this.queues) n += q.length;
        return n;
      },
      drain: () => this.drain(),
      resume: () => {
        // beginTransaction(): the records that waited go into the new transaction.
        while (this.held.length > 0 && this.txn!.accepting()) this.accept(this.held.shift()!);
        this.maybeCloseTransaction();
      },
      stop: () => {
        // Nothing more is sent: records waiting for the next transaction were never handed to send().
        this.sends?.stop(this.ctx);
        this.held.length = 0;
        for (const queue of this.queues) {
          for (const batch of queue) if (batch.inflight) this.settle(batch);
          queue.length = 0;
        }
      },
    }, shape);
  }

  /** `${topic}-${partition}`, built once per partition: the history and its checkers key maps by it for every record. */
  private queueName(partition: number): string {
    return (this.queueNames[partition] ??= `${this.options.topic}-${partition}`);
  }

  private readonly queueNames: string[] = [];

  private append(partition: number, record: PendingRecord): void {
    const queue = this.queues[partition]!;
    const size = recordSize(record);
    const last = queue[queue.length - 1];
    if (last && !last.closed && !last.inflight && last.attempts === 0 && last.bytes + size <= this.options.config.batchSize) {
      last.records.push(record);
      last.bytes += size;
      return;
    }
    const now = this.ctx.trueNow();
    queue.push({
      partition, records: [record], bytes: size, created: now, deadline: now + this.options.config.deliveryTimeout,
      baseSequence: -1, pid: -1, attempts: 0, retryAt: 0, inflight: false, closed: false, unknown: false, leader: '', requestId: 0, timer: null,
    });
  }

  // ------------------------------------------------------------------ sender

  private drain(): void {
    const config = this.options.config;
    const now = this.ctx.trueNow();
    let wake = Number.POSITIVE_INFINITY;
    for (let p = 0; p < this.queues.length; p++) {
      const queue = this.queues[p]!;
      // delivery.timeout.ms for batches that are not in flight.
      for (let i = 0; i < queue.length; i++) {
        const batch = queue[i]!;
        if (!batch.inflight && now >= batch.deadline) {
          this.finish(batch, batch.unknown ? 'info' : 'fail', 'delivery.timeout.ms expired');
          i--;
        }
      }
      if (queue.length === 0) continue;
      for (const batch of queue) if (!batch.inflight) wake = Math.min(wake, batch.deadline);
      const leader = this.leaders[p] ?? null;
      if (!this.metadataReady || leader === null) continue;
      if (config.idempotence && this.producerId < 0) continue;
      if (this.txn !== null && !this.txn.maySend(this.queueName(p))) continue;
      // With idempotence at most max.in.flight batches per partition are unresolved, across
      // connections too, so a resent batch is always among the last 5 the leader remembers.
      let unresolved = 0;
      if (config.idempotence) for (const b of queue) if (b.attempts > 0) unresolved++;
      for (let i = 0; i < queue.length; i++) {
        const batch = queue[i]!;
        if (batch.inflight) continue;
        if (config.idempotence && batch.attempts === 0 && unresolved >= config.maxInFlight) break;
        if (batch.attempts === 0) unresolved++;
        const readyAt = batch.attempts > 0 ? batch.retryAt : batch.bytes >= config.batchSize ? batch.created : batch.created + config.linger;
        if (readyAt > now) {
          wake = Math.min(wake, readyAt);
          break;
        }
        if ((this.inflight.get(leader) ?? 0) >= config.maxInFlight) break;
        if (!this.connections.ready(leader)) {
          if (this.connections.blackedOut(leader)) wake = Math.min(wake, this.connections.blackoutEnd(leader));
          break;
        }
        this.sendBatch(batch, leader);
        if (this.acks === 0) i--;
      }
    }
    if (wake < this.wakeAt) {
      this.ctx.cancelTimer(this.wakeTimer);
      this.wakeAt = wake;
      this.wakeTimer = timers.set(this.ctx, Math.max(0, wake - now), 'wake', undefined);
    }
  }

  private sendBatch(batch: Batch, leader: string): void {
    const config = this.options.config;
    batch.closed = true;
    if (config.idempotence && (batch.baseSequence < 0 || batch.pid !== this.producerId)) {
      batch.pid = this.producerId;
      batch.baseSequence = this.nextSequence[batch.partition]!;
      this.nextSequence[batch.partition]! += batch.records.length;
    }
    batch.attempts++;
    batch.leader = leader;
    const id = this.nextId++;
    // The batch's records go as they are (a PendingRecord is a ProduceBatchRecord plus its seq).
    const records: ProduceBatchRecord[] = batch.records;
    sendProduce(this.ctx, leader, {
      topic: this.options.topic, partition: batch.partition, acks: this.acks, timeout: config.requestTimeout,
      producerId: config.idempotence ? this.producerId : -1, baseSequence: config.idempotence ? batch.baseSequence : -1, records, id,
      ...(this.txn !== null ? { producerEpoch: this.producerEpoch, transactionalId: config.transactionalId! } : {}),
    }, batch.bytes);
    if (batch.partition === this.sticky && this.partitionCount > 1) {
      // Sticky partitioner: the sticky partition's batch went out; pick another one.
      const next = this.stickyRandom.int(this.partitionCount - 1);
      this.sticky = next >= this.sticky ? next + 1 : next;
    }
    if (this.acks === 0) {
      this.finish(batch, 'ok', undefined, -1, leader);
      return;
    }
    batch.inflight = true;
    batch.requestId = id;
    this.requests.set(id, batch);
    this.inflight.set(leader, (this.inflight.get(leader) ?? 0) + 1);
    batch.timer = timers.set(this.ctx, config.requestTimeout, 'request-timeout', { batch, id });
  }

  private settle(batch: Batch): void {
    this.requests.delete(batch.requestId);
    this.ctx.cancelTimer(batch.timer);
    batch.timer = null;
    batch.inflight = false;
    this.inflight.set(batch.leader, (this.inflight.get(batch.leader) ?? 1) - 1);
  }

  private onProduceResponse(from: string, response: ProduceResponse): void {
    const batch = this.requests.get(response.id);
    if (!batch) return;
    this.settle(batch);
    if (response.error === 'NONE') {
      if (batch.pid === this.producerId && batch.baseSequence >= 0) {
        this.lastAcked[batch.partition] = Math.max(this.lastAcked[batch.partition]!, batch.baseSequence + batch.records.length - 1);
      }
      this.finish(batch, 'ok', undefined, response.baseOffset, from);
    } else if (this.txn !== null && (response.error === 'INVALID_PRODUCER_EPOCH' || response.error === 'PRODUCER_FENCED')) {
      // A newer epoch exists for this producer id: this instance is a fenced zombie.
      return this.txn.fenced(response.error);
    } else {
      this.retryOrFail(batch, response.error);
    }
    this.drain();
  }

  private onRequestTimeout({ batch, id }: { batch: Batch; id: number }): void {
    if (batch.requestId !== id || !this.requests.has(id)) return;
    batch.timer = null;
    this.settle(batch);
    batch.unknown = true;
    this.retryOrFail(batch, 'REQUEST_TIMED_OUT');
    this.drain();
  }

  private retryOrFail(batch: Batch, error: KafkaError): void {
    const now = this.ctx.trueNow();
    // The leader wrote the batch but could not get it replicated in time: it may survive.
    if (error === 'REQUEST_TIMED_OUT' || error === 'NOT_ENOUGH_REPLICAS_AFTER_APPEND') batch.unknown = true;
    if (error === 'NOT_LEADER_OR_FOLLOWER' || error === 'FENCED_LEADER_EPOCH' || error === 'UNKNOWN_TOPIC_OR_PARTITION' || error === 'REQUEST_TIMED_OUT') {
      this.requestMetadata();
    }
    if (error === 'OUT_OF_ORDER_SEQUENCE_NUMBER' && batch.pid === this.producerId && batch.baseSequence + batch.records.length - 1 <= this.lastAcked[batch.partition]!) {
      // A later sequence of this producer id was acknowledged, and the leader appends a producer's
      // batches only in sequence order: this one was written (its offset is no longer known).
      note(this.ctx, 'batch-resolved-by-later-ack', { partition: this.queueName(batch.partition), sequence: batch.baseSequence });
      this.finish(batch, 'ok', undefined, -1, batch.leader);
      return;
    }
    if (error === 'OUT_OF_ORDER_SEQUENCE_NUMBER' && !this.hasEarlierOutstanding(batch)) {
      // No earlier batch can fill the gap: the leader lost this producer's records (e.g. after a
      // failover that truncated them). Fail the batch, get a new producer id, restart sequences.
      this.finish(batch, batch.unknown ? 'info' : 'fail', error);
      this.resetProducerId();
      return;
    }
    if (RETRIABLE.has(error) && batch.attempts <= this.options.config.retries && now < batch.deadline) {
      this.options.stats.producerRetries++;
      batch.retryAt = now + this.options.config.retryBackoff;
      note(this.ctx, 'produce-retry', { partition: this.queueName(batch.partition), error, attempt: batch.attempts + 1 });
      return;
    }
    this.finish(batch, batch.unknown ? 'info' : 'fail', error);
  }

  private hasEarlierOutstanding(batch: Batch): boolean {
    for (const other of this.queues[batch.partition]!) {
      if (other !== batch && other.pid === batch.pid && other.baseSequence >= 0 && other.baseSequence < batch.baseSequence) return true;
    }
    return false;
  }

  private resetProducerId(): void {
    note(this.ctx, 'producer-id-reset', { producerId: this.producerId });
    this.producerId = -1;
    this.nextSequence.fill(0);
    this.lastAcked.fill(-1);
    if (this.pidPending === 0) this.initProducerId();
  }

  private finish(batch: Batch, type: 'ok' | 'fail' | 'info', error?: string, baseOffset = -1, node?: string): void {
    const queue = this.queues[batch.partition]!;
    const index = queue.indexOf(batch);
    if (index >= 0) queue.splice(index, 1);
    if (this.txn !== null) {
      // Transactional: the records' outcome is the transaction's (recorded when it ends).
      this.txn.batchDone(this.queueName(batch.partition), batch.records.map((r) => r.msg), baseOffset, node, type === 'ok');
      return;
    }
    const time = this.ctx.trueNow();
    const process = this.ctx.name;
    const queueName = this.queueName(batch.partition);
    const stats = this.options.stats;
    for (let i = 0; i < batch.records.length; i++) {
      const r = batch.records[i]!;
      const op: NewHistoryOp = { time, process, type, f: 'send', msg: r.msg, queue: queueName };
      if (r.key !== undefined) op.key = r.key;
      if (type === 'ok' && baseOffset >= 0) op.offset = baseOffset + i;
      if (type === 'ok') stats.ackLatencyMsMax = Math.max(stats.ackLatencyMsMax, (time - r.invokedAt) / 1000);
      if (node !== undefined) op.node = node;
      if (error !== undefined) op.error = error;
      this.options.history.record(op);
    }
  }

  // ------------------------------------------------------------------ metadata and producer id

  /** The broker for Metadata and InitProducerId: the current bootstrap one, skipping brokers in reconnect back-off (leastLoadedNode). */
  private brokerFor(): string {
    const brokers = this.options.brokers;
    this.bootstrap = this.connections.leastLoadedNode(brokers, this.bootstrap);
    return brokers[this.bootstrap % brokers.length]!;
  }

  private requestMetadata(): void {
    if (this.metadataPending !== 0) return;
    const id = this.nextId++;
    this.metadataPending = id;
    this.metadataBroker = this.brokerFor();
    this.ctx.connect(this.metadataBroker);
    sendTo(this.ctx, this.metadataBroker, { type: 'Metadata', topic: this.options.topic, id }, HEADER_BYTES);
    timers.set(this.ctx, CONNECTION_SETUP_TIMEOUT, 'metadata-timeout', id);
  }

  private onMetadata(response: MetadataResponse): void {
    if (response.id !== this.metadataPending) return;
    this.metadataPending = 0;
    if (response.error !== 'NONE') {
      this.bootstrap++;
      timers.set(this.ctx, this.options.config.retryBackoff, 'metadata-retry', undefined);
      return;
    }
    let missing = false;
    if (response.partitions.length > this.partitionCount) this.growPartitions(response.partitions.length);
    for (const p of response.partitions) {
      if (p.partition < this.leaders.length) this.leaders[p.partition] = p.leader;
      if (p.leader === null) missing = true;
    }
    this.metadataReady = true;
    if (missing) timers.set(this.ctx, this.options.config.retryBackoff, 'metadata-retry', undefined);
    this.drain();
  }

  private growPartitions(count: number): void {
    note(this.ctx, 'partitions-discovered', { topic: this.options.topic, from: this.partitionCount, to: count });
    for (let p = this.partitionCount; p < count; p++) {
      this.queues.push([]);
      this.leaders.push(null);
      this.nextSequence.push(0);
      this.lastAcked.push(-1);
    }
    this.partitionCount = count;
  }

  private initProducerId(): void {
    const id = this.nextId++;
    this.pidPending = id;
    this.pidBroker = this.brokerFor();
    this.ctx.connect(this.pidBroker);
    sendTo(this.ctx, this.pidBroker, { type: 'InitProducerId', id }, HEADER_BYTES);
    timers.set(this.ctx, CONNECTION_SETUP_TIMEOUT, 'pid-timeout', id);
  }

  private onInitProducerId(response: InitProducerIdResponse): void {
    if (response.id !== this.pidPending) return;
    this.pidPending = 0;
    this.producerId = response.producerId;
    note(this.ctx, 'producer-id', { producerId: response.producerId });
    this.drain();
  }
}

import type { Timer } from '../../../sim/kernel.js';
import type { NodeContext } from '../../../sim/node.js';
import type { Micros } from '../../../sim/time.js';
import { timersOf, unreachable, type TimerArgs } from '../../../sim/timers.js';
import { note } from '../notes.js';
import { sendProduce } from '../producer.js';
import { partitionForKey } from '../partitioner.js';
import { sendTo,
  HEADER_BYTES, RETRIABLE,
  type AddOffsetsToTxnResponse, type AddPartitionsToTxnResponse, type EndTxnResponse, type FindCoordinatorResponse, type InitProducerIdResponse,
  type KafkaError, type LogRecord, type MetadataResponse, type ProduceBatchRecord, type ProduceResponse, type TxnOffsetCommitResponse,
} from '../protocol.js';
import type { TransactionManager, TransactionManagerTimer } from '../transaction-manager.js';

/**
 * The KafkaProducer a pattern consumer (the delay scheduler, the dispatcher) owns to write what it
 * consumed to other topics: the consume-transform-produce loop of an at-least-once application.
 * It speaks the real protocol (Metadata, then Produce to each partition's leader) with acks=all,
 * enable.idempotence=false and max.in.flight.requests.per.connection=1 per partition, so records
 * of one partition stay in order; what is queued for a partition while a request is in flight
 * goes in the next batch. Keyed records go to partitionForKey(key), unkeyed ones round robin over
 * the partitions. Retriable errors refresh metadata and resend after retry.backoff.ms, without a
 * limit (the application would otherwise fail the batch and re-read it anyway).
 *
 * The forwarded record keeps its message id and key; its timestamp is the forwarding time (a new
 * ProducerRecord gets CreateTime now). It records nothing in the client history: the message's
 * send is the original producer's, its delivery the downstream consumer's receive. flush() calls
 * back once everything handed to send() is acknowledged, which is when the application commits
 * the offsets it consumed: a crash between the two forwards the records again (duplicates
 * downstream), never loses them.
 *
 * Idempotent (a pipeline with enable.idempotence, pipeline.ts): InitProducerId first, then batches
 * carry the producer id and per-partition sequence numbers, so a batch resent after a lost
 * response is not written twice; a new process gets a new producer id, so what it reprocesses is
 * written again all the same.
 *
 * Transactional (an exactly-once pipeline, pipeline.ts): the same producer with transactional.id:
 * a partition's first batch of a transaction waits for AddPartitionsToTxn, batches carry the
 * producer id, epoch and per-partition sequence numbers (a resent batch keeps its sequence, alone),
 * and INVALID_PRODUCER_EPOCH / PRODUCER_FENCED are fatal for the transaction manager.
 */

interface Pending {
  record: ProduceBatchRecord;
}

interface TargetPartition {
  topic: string;
  partition: number;
  leader: string | null;
  queue: Pending[];
  inflight: Pending[] | null;
  requestId: number;
  timer: Timer | null;
  retryAt: Micros;
  /** Transactional: the next sequence number, and a failed batch resent on its own with its sequence. */
  seq: number;
  resend: Pending[] | null;
}

interface Target {
  name: string;
  partitions: TargetPartition[];
  metadataPending: number;
  ready: boolean;
  roundRobin: number;
}

/** The forwarder's timers (fired on its consumer's node, routed here by the membership). */
export type ForwarderTimer =
  | { tag: 'fwd-metadata-timeout'; data: { target: Target; id: number } }
  | { tag: 'fwd-metadata-retry'; data: Target }
  | { tag: 'fwd-request-timeout'; data: { tp: TargetPartition; id: number } }
  | { tag: 'fwd-wake'; data: undefined }
  | { tag: 'fwd-pid-timeout'; data: number }
  | TransactionManagerTimer;
const timers = timersOf<ForwarderTimer>();

/** Responses that may be the forwarder's (its own request ids tell). */
export type ForwarderInbound = ProduceResponse | MetadataResponse;
/** The transaction manager's answers (a transactional forwarder). */
export type TxnInbound = InitProducerIdResponse | FindCoordinatorResponse | AddPartitionsToTxnResponse | AddOffsetsToTxnResponse | TxnOffsetCommitResponse | EndTxnResponse;

export interface ForwarderConfig {
  brokers: readonly string[];
  requestTimeout: Micros;
  retryBackoff: Micros;
  /** exactly_once_v2: the pipeline instance's transactional.id. */
  transactionalId?: string;
  /** enable.idempotence without a transactional.id: a producer id from InitProducerId, sequence numbers. */
  idempotent?: boolean;
}

export class Forwarder {
  private readonly targets = new Map<string, Target>();
  private readonly byRequest = new Map<number, TargetPartition>();
  private nextId = 1_000_000_000;
  private bootstrap = 0;
  private outstanding = 0;
  private flushWaiters: (() => void)[] = [];
  private wake: Timer | null = null;
  /** Records forwarded and acknowledged. */
  forwarded = 0;
  /** exactly_once_v2: the transactional producer's transaction manager (set by the pipeline). */
  txn: TransactionManager | null = null;
  /** Idempotent (not transactional): the producer id, and the InitProducerId in flight. */
  private producerId = -1;
  private pidRequest = 0;

  constructor(private readonly ctx: NodeContext, private readonly config: ForwarderConfig) {
    this.bootstrap = ctx.random('forwarder-bootstrap').int(config.brokers.length);
    if (config.idempotent === true && config.transactionalId === undefined) this.initProducerId();
  }

  /** An idempotent producer's InitProducerId (any broker allocates one). */
  private initProducerId(): void {
    const id = this.nextId++;
    this.pidRequest = id;
    sendTo(this.ctx, this.config.brokers[this.bootstrap % this.config.brokers.length]!, { type: 'InitProducerId', id }, HEADER_BYTES);
    timers.set(this.ctx, this.config.requestTimeout, 'fwd-pid-timeout', id);
  }

  /** The idempotent producer's InitProducerIdResponse; false when not its own. */
  receivePid(message: InitProducerIdResponse): boolean {
    if (this.pidRequest === 0 || message.id !== this.pidRequest) return false;
    this.pidRequest = 0;
    if (message.error !== 'NONE') {
      this.bootstrap++;
      this.initProducerId();
      return true;
    }
    this.producerId = message.producerId;
    note(this.ctx, 'producer-id', { producerId: message.producerId, epoch: message.producerEpoch });
    this.drainAll();
    return true;
  }

  /** producer.send(new ProducerRecord(topic, key, value)). */
  send(topic: string, record: LogRecord): void {
    // A fenced transactional producer takes nothing more: the loop aborts the batch and starts over.
    if (this.txn !== null && this.txn.state === 'FATAL_ERROR') return;
    const target = this.target(topic);
    this.outstanding++;
    const pending: Pending = { record: { msg: record.msg, key: record.key, bytes: record.bytes, timestamp: this.ctx.now() } };
    if (!target.ready) {
      // Waits in the accumulator for metadata, in partition -1.
      this.unrouted(target).push(pending);
      return;
    }
    this.route(target, pending);
  }

  /** producer.flush(): `done` once every record sent so far is acknowledged. */
  flush(done: () => void): void {
    if (this.outstanding === 0) return done();
    this.flushWaiters.push(done);
  }

  get idle(): boolean {
    return this.outstanding === 0;
  }

  /** Responses for the forwarder (Metadata / Produce with its ids); false when not its own. */
  receive(message: ForwarderInbound): boolean {
    switch (message.type) {
      case 'ProduceResponse': {
        const tp = this.byRequest.get(message.id);
        if (!tp) return false;
        this.onProduce(tp, message);
        return true;
      }
      case 'MetadataResponse':
        for (const target of this.targets.values()) {
          if (target.metadataPending === message.id) {
            this.onMetadata(target, message);
            return true;
          }
        }
        return false;
      default: return unreachable(message, 'forwarder message');
    }
  }

  /** A transactional forwarder's coordinator answers; false when not its own. */
  receiveTxn(message: TxnInbound): boolean {
    const txn = this.txn;
    if (txn === null || !txn.owns(message.id)) return false;
    switch (message.type) {
      case 'InitProducerIdResponse': txn.onInitProducerId(message); break;
      case 'FindCoordinatorResponse': txn.onFindCoordinator(message); break;
      case 'AddPartitionsToTxnResponse': txn.onAddPartitions(message); break;
      case 'AddOffsetsToTxnResponse': txn.onAddOffsetsToTxn(message); break;
      case 'TxnOffsetCommitResponse': txn.onTxnOffsetCommit(message); break;
      case 'EndTxnResponse': txn.onEndTxn(message); break;
      default: return unreachable(message, 'transaction manager message');
    }
    return true;
  }

  /** A new producer id or epoch: sequence numbers start again at 0. */
  producerIdChanged(): void {
    for (const target of this.targets.values()) for (const tp of target.partitions) tp.seq = 0;
  }

  /** Lets every partition send (a partition joined the transaction). */
  drainAll(): void {
    for (const target of this.targets.values()) for (const tp of target.partitions) this.drain(tp);
  }

  /**
   * The producer was fenced (closed by the application): everything not acknowledged is dropped;
   * whoever waits in flush() is let go (it then finds the transaction manager fatal).
   */
  dropAll(): void {
    for (const target of this.targets.values()) {
      for (const tp of target.partitions) {
        if (tp.requestId !== 0) this.byRequest.delete(tp.requestId);
        this.ctx.cancelTimer(tp.timer);
        tp.timer = null;
        tp.queue = [];
        tp.inflight = null;
        tp.resend = null;
        tp.requestId = 0;
      }
    }
    this.waiting.clear();
    this.outstanding = 0;
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const w of waiters) w();
  }

  /** Records handed to send() and not yet acknowledged. */
  get unacknowledged(): number {
    return this.outstanding;
  }

  /** The forwarder's timers. */
  onTimer(...[tag, data]: TimerArgs<ForwarderTimer>): void {
    switch (tag) {
      case 'txn-request-timeout': case 'txn-retry':
        this.txn?.onTimer(...([tag, data] as Parameters<TransactionManager['onTimer']>));
        return;
      case 'fwd-pid-timeout':
        if (this.pidRequest === data) {
          this.bootstrap++;
          this.initProducerId();
        }
        return;
      case 'fwd-metadata-timeout': {
        const { target, id } = data;
        if (target.metadataPending === id) {
          target.metadataPending = 0;
          this.bootstrap++;
          this.requestMetadata(target);
        }
        return;
      }
      case 'fwd-metadata-retry':
        this.requestMetadata(data);
        return;
      case 'fwd-request-timeout': {
        const { tp, id } = data;
        if (tp.requestId !== id || tp.inflight === null) return;
        tp.timer = null;
        this.failed(tp, 'REQUEST_TIMED_OUT');
        return;
      }
      case 'fwd-wake':
        this.wake = null;
        for (const target of this.targets.values()) for (const tp of target.partitions) this.drain(tp);
        return;
      default: return unreachable(tag, 'forwarder timer');
    }
  }

  // ------------------------------------------------------------------ internals

  private readonly waiting = new Map<Target, Pending[]>();

  private unrouted(target: Target): Pending[] {
    let list = this.waiting.get(target);
    if (!list) this.waiting.set(target, (list = []));
    return list;
  }

  private target(topic: string): Target {
    let target = this.targets.get(topic);
    if (!target) {
      target = { name: topic, partitions: [], metadataPending: 0, ready: false, roundRobin: 0 };
      this.targets.set(topic, target);
      this.requestMetadata(target);
    }
    return target;
  }

  private route(target: Target, pending: Pending): void {
    const n = target.partitions.length;
    const p = pending.record.key !== undefined ? partitionForKey(pending.record.key, n) : target.roundRobin++ % n;
    const tp = target.partitions[p]!;
    tp.queue.push(pending);
    this.drain(tp);
  }

  private requestMetadata(target: Target): void {
    if (target.metadataPending !== 0) return;
    const id = this.nextId++;
    target.metadataPending = id;
    const brokers = this.config.brokers;
    sendTo(this.ctx, brokers[this.bootstrap % brokers.length]!, { type: 'Metadata', topic: target.name, id }, HEADER_BYTES);
    timers.set(this.ctx, 10_000_000, 'fwd-metadata-timeout', { target, id });
  }

  private onMetadata(target: Target, response: MetadataResponse): void {
    target.metadataPending = 0;
    if (response.error !== 'NONE') {
      this.bootstrap++;
      timers.set(this.ctx, Math.max(this.config.retryBackoff, 100_000), 'fwd-metadata-retry', target);
      return;
    }
    let missing = false;
    for (const p of response.partitions) {
      let tp = target.partitions[p.partition];
      if (!tp) {
        tp = { topic: target.name, partition: p.partition, leader: null, queue: [], inflight: null, requestId: 0, timer: null, retryAt: 0, seq: 0, resend: null };
        target.partitions[p.partition] = tp;
      }
      tp.leader = p.leader;
      if (p.leader === null) missing = true;
    }
    if (missing) timers.set(this.ctx, Math.max(this.config.retryBackoff, 500_000), 'fwd-metadata-retry', target);
    let complete = target.partitions.length > 0;
    for (let i = 0; i < target.partitions.length; i++) if (target.partitions[i] === undefined) complete = false;
    if (!target.ready && complete) {
      target.ready = true;
      const waiting = this.waiting.get(target) ?? [];
      this.waiting.delete(target);
      for (const pending of waiting) this.route(target, pending);
    }
    for (const tp of target.partitions) this.drain(tp);
  }

  private drain(tp: TargetPartition): void {
    if (tp.inflight !== null || (tp.queue.length === 0 && tp.resend === null) || tp.leader === null) return;
    const txn = this.txn;
    if (txn !== null && !txn.maySend(`${tp.topic}-${tp.partition}`)) return;
    const idempotent = txn === null && this.config.idempotent === true;
    if (idempotent && this.producerId < 0) return;
    const now = this.ctx.trueNow();
    if (tp.retryAt > now) {
      if (this.wake === null) this.wake = timers.set(this.ctx, tp.retryAt - now, 'fwd-wake', undefined);
      return;
    }
    let batch: Pending[];
    if (tp.resend !== null) {
      batch = tp.resend;
      tp.resend = null;
    } else {
      batch = tp.queue;
      tp.queue = [];
    }
    tp.inflight = batch;
    const id = this.nextId++;
    tp.requestId = id;
    this.byRequest.set(id, tp);
    const records: ProduceBatchRecord[] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) records[i] = batch[i]!.record;
    // acks=all, not idempotent (producer id -1) unless transactional, through the producer's own request builder.
    if (txn !== null) {
      sendProduce(this.ctx, tp.leader, {
        topic: tp.topic, partition: tp.partition, acks: -1, timeout: this.config.requestTimeout, producerId: txn.producerId, baseSequence: tp.seq, records, id,
        producerEpoch: txn.producerEpoch, transactionalId: this.config.transactionalId!,
      });
    } else if (idempotent) {
      sendProduce(this.ctx, tp.leader, { topic: tp.topic, partition: tp.partition, acks: -1, timeout: this.config.requestTimeout, producerId: this.producerId, baseSequence: tp.seq, records, id });
    } else {
      sendProduce(this.ctx, tp.leader, { topic: tp.topic, partition: tp.partition, acks: -1, timeout: this.config.requestTimeout, producerId: -1, baseSequence: -1, records, id });
    }
    tp.timer = timers.set(this.ctx, this.config.requestTimeout, 'fwd-request-timeout', { tp, id });
  }

  private onProduce(tp: TargetPartition, response: ProduceResponse): void {
    if (response.id !== tp.requestId || tp.inflight === null) return;
    this.byRequest.delete(response.id);
    this.ctx.cancelTimer(tp.timer);
    tp.timer = null;
    if (this.txn !== null && (response.error === 'INVALID_PRODUCER_EPOCH' || response.error === 'PRODUCER_FENCED')) {
      tp.inflight = null;
      return this.txn.fenced(response.error);
    }
    if (response.error !== 'NONE') return this.failed(tp, response.error);
    const done = tp.inflight.length;
    tp.inflight = null;
    if (this.txn !== null || this.config.idempotent === true) tp.seq += done;
    this.forwarded += done;
    this.outstanding -= done;
    if (this.outstanding === 0 && this.flushWaiters.length > 0) {
      const waiters = this.flushWaiters;
      this.flushWaiters = [];
      for (const w of waiters) w();
    }
    this.drain(tp);
    this.txn?.maybeEnd();
  }

  private failed(tp: TargetPartition, error: KafkaError): void {
    this.byRequest.delete(tp.requestId);
    tp.requestId = 0;
    // Resent in front of what queued meanwhile, so the partition's order holds (transactional: on
    // its own, with its sequence numbers, so the leader recognises a batch it already wrote).
    if (this.txn !== null || this.config.idempotent === true) tp.resend = tp.inflight;
    else tp.queue = [...tp.inflight!, ...tp.queue];
    tp.inflight = null;
    tp.retryAt = this.ctx.trueNow() + this.config.retryBackoff;
    note(this.ctx, 'forward-retry', { partition: `${tp.topic}-${tp.partition}`, error });
    if (!RETRIABLE.has(error) || error === 'NOT_LEADER_OR_FOLLOWER' || error === 'REQUEST_TIMED_OUT' || error === 'FENCED_LEADER_EPOCH') {
      const target = this.targets.get(tp.topic);
      if (target) this.requestMetadata(target);
    }
    this.drain(tp);
  }
}

import type { History, NewHistoryOp } from '../../sim/history.js';
import type { NodeContext } from '../../sim/node.js';
import { timersOf } from '../../sim/timers.js';
import { note } from './notes.js';
import {
  sendTo, HEADER_BYTES,
  type AddOffsetsToTxnResponse, type AddPartitionsToTxnResponse, type EndTxnResponse, type FindCoordinatorResponse, type InitProducerIdResponse,
  type KafkaError, type KafkaMessage, type TxnOffsetCommitResponse,
} from './protocol.js';
import { OFFSETS_TOPIC } from './group-metadata-manager.js';
import type { ProducerConfig } from './schema.js';

/**
 * The transactional producer's side of KIP-98 (the Java client's TransactionManager), driven by
 * an application that writes `records` records per transaction and aborts every `abortEvery`-th
 * one (mqsim producer key `transactions`):
 *
 * - initTransactions(): FindCoordinator (key type TRANSACTION) for transactional.id, then
 *   InitProducerId(transactional.id, transaction.timeout.ms) to that coordinator: the producer id
 *   and its (bumped) epoch;
 * - beginTransaction(); each partition's first batch waits for AddPartitionsToTxn; Produce
 *   carries the epoch and the transactional flag;
 * - sendOffsetsToTransaction(offsets, groupMetadata) (KIP-98, KIP-447): AddOffsetsToTxn to the
 *   transaction coordinator (the group's __consumer_offsets partition joins the transaction), then
 *   FindCoordinator for the group and TxnOffsetCommit to the group coordinator, with the consumer's
 *   generation, member id and group.instance.id. ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID and
 *   FENCED_INSTANCE_ID (the group moved on: a zombie) make the transaction abortable
 *   (CommitFailedException);
 * - commitTransaction() / abortTransaction(): once every batch is answered, EndTxn(commit|abort).
 *   A failed batch makes the transaction abortable: it is aborted;
 * - PRODUCER_FENCED (coordinator) or INVALID_PRODUCER_EPOCH (partition leader) is fatal: another
 *   instance took the transactional.id over, or the coordinator aborted the transaction after
 *   transaction.timeout.ms. The producer stops: the application would have to close it.
 * - retriable: NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE (find the coordinator again),
 *   CONCURRENT_TRANSACTIONS / COORDINATOR_LOAD_IN_PROGRESS (retry after retry.backoff.ms), no
 *   answer within request.timeout.ms.
 *
 * History: an f:'txn' op per transaction (invoke at begin; ok committed, fail aborted, info when
 * the producer cannot know), and every send of the transaction gets its outcome with it.
 */

export type TxnManagerState = 'UNINITIALIZED' | 'INITIALIZING' | 'READY' | 'IN_TRANSACTION' | 'COMMITTING' | 'ABORTING' | 'FATAL_ERROR';

/** The Java client's ADD_PARTITIONS_RETRY_BACKOFF_MS (20 ms). */
const ADD_PARTITIONS_RETRY_BACKOFF = 20_000;

export type TxnRequest = 'find' | 'init' | 'add' | 'end' | 'add-offsets' | 'find-group' | 'offset-commit';

/** The consumer's group metadata (consumer.groupMetadata()) that sendOffsetsToTransaction carries (KIP-447). */
export interface ConsumerGroupMetadata {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

/** What sendOffsetsToTransaction asked for, until the group coordinator took it. */
interface OffsetsToSend {
  offsets: { partition: string; offset: number }[];
  group: ConsumerGroupMetadata;
  /** AddOffsetsToTxn done: next is TxnOffsetCommit. */
  added: boolean;
}
export type TransactionManagerTimer =
  | { tag: 'txn-request-timeout'; data: number }
  | { tag: 'txn-retry'; data: TxnRequest };
const timers = timersOf<TransactionManagerTimer>();

/** A record of the open transaction, for its history outcome. */
export interface TxnRecord {
  msg: string;
  key: string | undefined;
  queue: string;
  offset: number;
  node: string | undefined;
  /** Its batch failed: the transaction must abort. */
  failed: boolean;
}

export interface TransactionShape {
  /** Records per transaction. */
  records: number;
  /** Abort every n-th transaction (0: never). */
  abortEvery: number;
}

export interface TxnProducerHost {
  readonly ctx: NodeContext;
  readonly history: History;
  readonly brokers: readonly string[];
  readonly config: ProducerConfig;
  /** A new producer id / epoch: sequence numbers start again at 0. */
  producerIdChanged(producerId: number, epoch: number): void;
  /** Batches not yet answered (the transaction may end only when 0). */
  outstandingBatches(): number;
  /** Lets the sender send (a partition was added, the producer id is known). */
  drain(): void;
  /** The transaction began: the application writes its held records. */
  resume(): void;
  /** Fatal: the producer stops sending (drop every batch). */
  stop(): void;
  /** The application drives the transactions (an exactly-once pipeline): told when one ended. */
  ended?(outcome: 'committed' | 'aborted'): void;
}

export class TransactionManager {
  state: TxnManagerState = 'UNINITIALIZED';
  producerId = -1;
  producerEpoch = -1;
  private coordinator: string | null = null;
  private bootstrap = 0;
  private readonly added = new Set<string>();
  private readonly adding = new Set<string>();
  private readonly wanted = new Set<string>();
  private pending: { id: number; kind: TxnRequest } | null = null;
  private nextId = 1_000_000;
  private count = 0;
  private txnId = '';
  private records: TxnRecord[] = [];
  private abortable = false;
  private commit = true;
  private offsetsToSend: OffsetsToSend | null = null;
  private groupCoordinator: string | null = null;
  /** Why the open transaction must abort (an abortable error), for the history. */
  private abortCause: string | null = null;

  /** `shape` null: the application calls beginTransaction / sendOffsetsToTransaction / commitTransaction itself. */
  constructor(private readonly host: TxnProducerHost, private readonly shape: TransactionShape | null) {}

  private get transactionalId(): string {
    return this.host.config.transactionalId!;
  }

  /** The open transaction's id for the history ('' outside one). */
  get currentTxn(): string {
    return this.state === 'IN_TRANSACTION' ? this.txnId : '';
  }

  /** initTransactions(). */
  init(): void {
    this.state = 'INITIALIZING';
    this.send('find');
  }

  /** Whether the application may append a record now (inside a transaction that still wants records). */
  accepting(): boolean {
    if (this.state === 'READY') this.begin();
    return this.state === 'IN_TRANSACTION';
  }

  /** beginTransaction() (an application driving its transactions): false when not READY. */
  beginTransaction(): boolean {
    if (this.state !== 'READY') return false;
    this.begin();
    return true;
  }

  /** Whether the open transaction had an abortable error (it can only be aborted). */
  get mustAbort(): boolean {
    return this.abortable;
  }

  /**
   * sendOffsetsToTransaction(offsets, consumer.groupMetadata()): the consumed positions are
   * committed with the transaction. The caller then commits (or aborts).
   */
  sendOffsetsToTransaction(offsets: { partition: string; offset: number }[], group: ConsumerGroupMetadata): void {
    if (this.state !== 'IN_TRANSACTION' || offsets.length === 0) return;
    this.offsetsToSend = { offsets, group, added: false };
    if (this.pending === null) this.sendNext();
  }

  /** commitTransaction(): EndTxn(commit) once every batch and the offsets are answered (abort instead after an abortable error). */
  commitTransaction(): void {
    if (this.state !== 'IN_TRANSACTION') return;
    this.commit = true;
    this.state = 'COMMITTING';
    this.maybeEnd();
  }

  /** abortTransaction(): EndTxn(abort) once the batches in flight are answered. */
  abortTransaction(cause: string): void {
    if (this.state !== 'IN_TRANSACTION' && this.state !== 'COMMITTING') return;
    this.commit = false;
    this.abortCause ??= cause;
    this.offsetsToSend = null;
    this.state = 'ABORTING';
    this.maybeEnd();
  }

  private begin(): void {
    this.state = 'IN_TRANSACTION';
    this.count++;
    this.txnId = `${this.transactionalId}.${this.count}`;
    this.records = [];
    this.abortable = false;
    this.abortCause = null;
    this.offsetsToSend = null;
    this.commit = this.shape === null || this.shape.abortEvery <= 0 || this.count % this.shape.abortEvery !== 0;
    this.added.clear();
    note(this.host.ctx, 'txn-begin', { transactionalId: this.transactionalId, txn: this.txnId, producerId: this.producerId, epoch: this.producerEpoch });
    this.host.history.record({ time: this.host.ctx.trueNow(), process: this.host.ctx.name, type: 'invoke', f: 'txn', txn: this.txnId, producerId: this.producerId, producerEpoch: this.producerEpoch });
  }

  /** A record went into the accumulator; after the transaction's last one the application commits (or aborts). */
  appended(record: TxnRecord): void {
    this.records.push(record);
    if (this.shape !== null && this.records.length >= this.shape.records) {
      this.state = this.commit ? 'COMMITTING' : 'ABORTING';
      this.maybeEnd();
    }
  }

  /** The application has no more records: it ends the open transaction as planned. */
  endOpen(): void {
    if (this.state !== 'IN_TRANSACTION' || this.records.length === 0) return;
    this.state = this.commit ? 'COMMITTING' : 'ABORTING';
    this.maybeEnd();
  }

  /** Whether a partition's batches may be sent (it is in the transaction); asks to add it when not. */
  maySend(queue: string): boolean {
    if (this.producerId < 0 || this.state === 'FATAL_ERROR') return false;
    if (this.added.has(queue)) return true;
    if (!this.adding.has(queue)) {
      this.wanted.add(queue);
      if (this.pending === null && this.coordinator !== null) this.send('add');
    }
    return false;
  }

  /** A batch of the transaction was written (offsets) or failed. */
  batchDone(queue: string, msgs: readonly string[], baseOffset: number, node: string | undefined, ok: boolean): void {
    for (const r of this.records) {
      const i = msgs.indexOf(r.msg);
      if (i < 0 || r.queue !== queue) continue;
      if (ok) {
        r.offset = baseOffset >= 0 ? baseOffset + i : -1;
        r.node = node;
      } else {
        r.failed = true;
        this.abortable = true;
      }
    }
    this.maybeEnd();
  }

  /** Called when batches finish: EndTxn once every batch of the transaction is answered. */
  maybeEnd(): void {
    if ((this.state !== 'COMMITTING' && this.state !== 'ABORTING') || this.pending !== null) return;
    if (this.host.outstandingBatches() > 0) return;
    if (this.offsetsToSend !== null && this.state === 'COMMITTING' && !this.abortable) {
      // sendOffsetsToTransaction's requests go first (sendNext sends them once the coordinator is known).
      if (this.coordinator !== null) this.sendNext();
      return;
    }
    if (this.abortable && this.state === 'COMMITTING') {
      // commitTransaction() on a failed batch: the application aborts.
      this.state = 'ABORTING';
    }
    if (this.added.size === 0) return this.finish(this.state === 'COMMITTING' ? 'ok' : 'fail'); // nothing reached a partition
    this.send('end');
  }

  // ------------------------------------------------------------------ requests

  private send(kind: TxnRequest): void {
    if (this.state === 'FATAL_ERROR') return;
    const ctx = this.host.ctx;
    const id = this.nextId++;
    this.pending = { id, kind };
    const bootstrap = this.host.brokers[this.bootstrap % this.host.brokers.length]!;
    const to = kind === 'find' || kind === 'find-group' || this.coordinator === null ? bootstrap
      : kind === 'offset-commit' ? this.groupCoordinator ?? bootstrap : this.coordinator;
    const transactionalId = this.transactionalId;
    let message: KafkaMessage;
    switch (kind) {
      case 'find': message = { type: 'FindCoordinator', key: transactionalId, keyType: 1, id }; break;
      case 'init': message = { type: 'InitProducerId', id, transactionalId, transactionTimeoutMs: this.host.config.transactionTimeoutMs }; break;
      case 'add':
        for (const q of this.wanted) this.adding.add(q);
        this.wanted.clear();
        message = { type: 'AddPartitionsToTxn', transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, partitions: [...this.adding], id };
        break;
      case 'end':
        message = { type: 'EndTxn', transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, committed: this.state === 'COMMITTING', id };
        break;
      case 'add-offsets':
        message = { type: 'AddOffsetsToTxn', transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, groupId: this.offsetsToSend!.group.groupId, id };
        break;
      case 'find-group': message = { type: 'FindCoordinator', key: this.offsetsToSend!.group.groupId, id }; break;
      case 'offset-commit': {
        const { group, offsets } = this.offsetsToSend!;
        message = {
          type: 'TxnOffsetCommit', transactionalId, groupId: group.groupId, producerId: this.producerId, producerEpoch: this.producerEpoch,
          generationId: group.generationId, memberId: group.memberId, groupInstanceId: group.groupInstanceId, offsets, id,
        };
        break;
      }
    }
    this.pendingTo = to;
    ctx.connect(to);
    sendTo(ctx, to, message, HEADER_BYTES);
    timers.set(ctx, this.host.config.requestTimeout, 'txn-request-timeout', id);
  }

  /** The broker the request in flight went to. */
  private pendingTo = '';

  /**
   * The producer's connection to `broker` closed: a transactional request in flight there fails
   * (NetworkException, retriable), and the coordinator is looked up again before it is resent.
   */
  connectionClosed(broker: string): void {
    if (this.pending === null || this.pending.id === 0 || this.pendingTo !== broker) return;
    const kind = this.pending.kind;
    this.pending = null;
    this.rediscover(kind);
  }

  /** Whether `id` is the request this manager waits an answer for. */
  owns(id: number): boolean {
    return this.pending !== null && this.pending.id === id;
  }

  private take(id: number, kind: TxnRequest): boolean {
    if (this.pending === null || this.pending.id !== id || this.pending.kind !== kind) return false;
    this.pending = null;
    return true;
  }

  onTimer(...[tag, data]: [tag: 'txn-request-timeout', data: number] | [tag: 'txn-retry', data: TxnRequest]): void {
    if (tag === 'txn-retry') {
      if (this.pending === null || this.pending.id !== 0 || this.pending.kind !== data) return;
      this.pending = null;
      return this.send(data);
    }
    if (this.pending === null || this.pending.id !== data) return;
    const kind = this.pending.kind;
    this.pending = null;
    this.rediscover(kind);
  }

  /** After an answer: the next request the transaction needs (partitions to add, offsets to send), else EndTxn when due. */
  private sendNext(): void {
    if (this.pending !== null || this.state === 'FATAL_ERROR') return;
    if (this.wanted.size > 0 && this.coordinator !== null) return this.send('add');
    const offsets = this.offsetsToSend;
    if (offsets !== null && this.state !== 'ABORTING') {
      if (this.producerId < 0 || this.coordinator === null) return;
      if (!offsets.added) return this.send('add-offsets');
      return this.send(this.groupCoordinator === null ? 'find-group' : 'offset-commit');
    }
    this.maybeEnd();
  }

  /** The coordinator moved or did not answer: find it again, then resend. */
  private rediscover(kind: TxnRequest): void {
    if (kind === 'find-group' || kind === 'offset-commit') {
      // The group coordinator: FindCoordinator(group) again, then TxnOffsetCommit.
      this.bootstrap++;
      this.groupCoordinator = null;
      this.retryLater('find-group');
      return;
    }
    this.bootstrap++;
    this.coordinator = null;
    this.retryAfterFind = kind === 'find' ? null : kind;
    this.retryLater('find');
  }

  /** Sends `kind` again after retry.backoff.ms (or `backoff`); nothing else is sent meanwhile. */
  private retryLater(kind: TxnRequest, backoff = this.host.config.retryBackoff): void {
    this.pending = { id: 0, kind };
    timers.set(this.host.ctx, backoff, 'txn-retry', kind);
  }

  private retryAfterFind: TxnRequest | null = null;

  onFindCoordinator(response: FindCoordinatorResponse): void {
    if (this.take(response.id, 'find-group')) {
      if (response.error !== 'NONE' || response.coordinator === null) return this.rediscover('find-group');
      this.groupCoordinator = response.coordinator;
      return this.sendNext();
    }
    if (!this.take(response.id, 'find')) return;
    if (response.error !== 'NONE' || response.coordinator === null) {
      this.bootstrap++;
      this.retryLater('find');
      return;
    }
    this.coordinator = response.coordinator;
    const next = this.retryAfterFind ?? (this.state === 'INITIALIZING' ? 'init' : null);
    this.retryAfterFind = null;
    if (next !== null) this.send(next);
    else if (this.wanted.size > 0 || this.adding.size > 0) this.send('add');
    else if (this.offsetsToSend !== null) this.sendNext();
    else this.maybeEnd();
  }

  /** The answer's error: true when handled as a retry or a fatal error (the caller stops). */
  private failed(kind: TxnRequest, error: KafkaError): boolean {
    switch (error) {
      case 'NONE': return false;
      case 'NOT_COORDINATOR': case 'COORDINATOR_NOT_AVAILABLE': case 'REQUEST_TIMED_OUT':
        this.rediscover(kind);
        return true;
      case 'CONCURRENT_TRANSACTIONS':
        // The Java client retries the transaction's first AddPartitionsToTxn after 20 ms
        // (ADD_PARTITIONS_RETRY_BACKOFF_MS): the previous transaction is still completing.
        this.retryLater(kind, kind === 'add' && this.added.size === 0 ? ADD_PARTITIONS_RETRY_BACKOFF : this.host.config.retryBackoff);
        return true;
      case 'COORDINATOR_LOAD_IN_PROGRESS': case 'NOT_ENOUGH_REPLICAS':
        this.retryLater(kind);
        return true;
      default:
        this.fenced(error);
        return true;
    }
  }

  onInitProducerId(response: InitProducerIdResponse): void {
    if (!this.take(response.id, 'init')) return;
    if (this.failed('init', response.error)) return;
    this.producerId = response.producerId;
    this.producerEpoch = response.producerEpoch;
    this.state = 'READY';
    note(this.host.ctx, 'producer-id', { producerId: response.producerId, epoch: response.producerEpoch });
    this.host.producerIdChanged(response.producerId, response.producerEpoch);
    this.host.resume();
  }

  onAddPartitions(response: AddPartitionsToTxnResponse): void {
    if (!this.take(response.id, 'add')) return;
    if (response.error === 'NONE') {
      for (const q of this.adding) this.added.add(q);
      this.adding.clear();
      if (this.wanted.size > 0) this.send('add');
      else if (this.offsetsToSend !== null) this.sendNext();
      this.host.drain();
      return;
    }
    // Retries resend every partition still to add.
    for (const q of this.adding) this.wanted.add(q);
    this.adding.clear();
    this.failed('add', response.error);
  }

  onAddOffsetsToTxn(response: AddOffsetsToTxnResponse): void {
    if (!this.take(response.id, 'add-offsets')) return;
    if (this.failed('add-offsets', response.error)) return;
    const offsets = this.offsetsToSend;
    if (offsets !== null) {
      offsets.added = true;
      // The group's offsets partition is in the transaction now: it gets the marker at EndTxn.
      this.added.add(`${OFFSETS_TOPIC}(${offsets.group.groupId})`);
    }
    this.sendNext();
  }

  onTxnOffsetCommit(response: TxnOffsetCommitResponse): void {
    if (!this.take(response.id, 'offset-commit')) return;
    const offsets = this.offsetsToSend;
    switch (response.error) {
      case 'NONE':
        note(this.host.ctx, 'txn-offsets-sent', { txn: this.txnId, group: offsets?.group.groupId ?? '', partitions: offsets?.offsets.length ?? 0 });
        this.offsetsToSend = null;
        return this.sendNext();
      case 'NOT_COORDINATOR': case 'COORDINATOR_NOT_AVAILABLE':
        return this.rediscover('offset-commit');
      case 'COORDINATOR_LOAD_IN_PROGRESS': case 'REQUEST_TIMED_OUT': case 'UNKNOWN_TOPIC_OR_PARTITION': case 'NOT_ENOUGH_REPLICAS': case 'CONCURRENT_TRANSACTIONS':
        return this.retryLater('offset-commit');
      case 'ILLEGAL_GENERATION': case 'UNKNOWN_MEMBER_ID': case 'FENCED_INSTANCE_ID':
        // CommitFailedException: an abortable error, the application aborts the transaction.
        this.abortable = true;
        this.abortCause = response.error;
        this.offsetsToSend = null;
        return this.sendNext();
      default:
        return this.fenced(response.error);
    }
  }

  onEndTxn(response: EndTxnResponse): void {
    if (!this.take(response.id, 'end')) return;
    if (this.failed('end', response.error)) return;
    this.finish(this.state === 'COMMITTING' ? 'ok' : 'fail');
  }

  /** PRODUCER_FENCED, INVALID_PRODUCER_EPOCH and other fatal errors: the producer is done. */
  fenced(error: KafkaError): void {
    if (this.state === 'FATAL_ERROR') return;
    note(this.host.ctx, 'txn-producer-fenced', { transactionalId: this.transactionalId, producerId: this.producerId, epoch: this.producerEpoch, error });
    const open = this.state === 'IN_TRANSACTION' || this.state === 'COMMITTING' || this.state === 'ABORTING';
    this.state = 'FATAL_ERROR';
    if (open) this.record('info', error);
    this.host.stop();
  }

  private finish(outcome: 'ok' | 'fail'): void {
    this.record(outcome, outcome === 'fail' ? this.abortCause ?? 'transaction aborted' : undefined);
    this.state = 'READY';
    this.offsetsToSend = null;
    this.host.ended?.(outcome === 'ok' ? 'committed' : 'aborted');
    this.host.resume();
  }

  /** The transaction's outcome into the history: the f:'txn' op and each of its sends. */
  private record(type: 'ok' | 'fail' | 'info', error: string | undefined): void {
    const ctx = this.host.ctx;
    const time = ctx.trueNow();
    const process = ctx.name;
    note(ctx, 'txn-end', { txn: this.txnId, outcome: type === 'ok' ? 'committed' : type === 'fail' ? 'aborted' : 'unknown', records: this.records.length });
    for (const r of this.records) {
      const op: NewHistoryOp = { time, process, type, f: 'send', msg: r.msg, queue: r.queue, txn: this.txnId };
      if (r.key !== undefined) op.key = r.key;
      if (type === 'ok' && r.offset >= 0) op.offset = r.offset;
      if (r.node !== undefined) op.node = r.node;
      if (error !== undefined) op.error = error;
      this.host.history.record(op);
    }
    const op: NewHistoryOp = { time, process, type, f: 'txn', txn: this.txnId, producerId: this.producerId, producerEpoch: this.producerEpoch };
    if (error !== undefined) op.error = error;
    this.host.history.record(op);
    this.records = [];
  }
}

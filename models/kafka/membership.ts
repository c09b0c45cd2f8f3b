import type { NewHistoryOp } from '../../sim/history.js';
import { unreachable, type TimerArgs } from '../../sim/timers.js';
import { type PartitionCursor, type Work } from './consumer.js';
import { ConsumerCoordinator, membershipTimers, type MembershipTimer } from './consumer-coordinator.js';
import { note } from './notes.js';
import type { RecordPattern } from './patterns/index.js';
import type { TxnInbound } from './patterns/forwarder.js';
import type { ConsumerGroupMetadata } from './transaction-manager.js';
import type {
  ConsumerGroupHeartbeatResponse, FindCoordinatorResponse, HeartbeatResponse, JoinGroupResponse, LeaveGroupResponse, MetadataResponse, OffsetCommitResponse, OffsetFetchResponse,
  ProduceResponse, SyncGroupResponse,
} from './protocol.js';

/** What reaches a group member: the coordinator's answers, and its forwarder's Produce and transaction answers. */
export type MembershipInbound =
  | FindCoordinatorResponse | JoinGroupResponse | SyncGroupResponse | HeartbeatResponse | LeaveGroupResponse | ConsumerGroupHeartbeatResponse
  | OffsetCommitResponse | OffsetFetchResponse | ProduceResponse | Exclude<TxnInbound, FindCoordinatorResponse>;

/**
 * A subscribe()-mode consumer's poll loop (KafkaConsumer.poll and the application around it) on
 * top of its group membership (consumer-coordinator.ts: discovery, join / sync, heartbeats,
 * offset fetch and commits):
 *
 * - Rebalances happen inside poll(): a pending rejoin is started there, and eager protocols
 *   consume nothing until SyncGroup.
 * - The application: poll() returns up to max.poll.records buffered records. processingMode
 *   sync processes them one by one in the loop; async-pool hands them to `workers` threads and
 *   polls again (the hand-off queue holds max.poll.records; poll() blocks while it is full).
 *   A receive is recorded in the history when the application has processed the record: a
 *   record that was returned by poll() and committed but never processed (a crash) was never
 *   delivered.
 * - Commit modes: auto (enable.auto.commit: inside poll(), once auto.commit.interval.ms has
 *   passed, commitAsync of the positions of records returned by earlier polls; also
 *   synchronously before a rebalance and on close), manual-sync-after / manual-async-after
 *   (commitSync / commitAsync of the processed positions after each poll's records),
 *   manual-before (commitSync of what poll() returned, then processing).
 * - A pattern (patterns/: delay scheduler, dispatcher) replaces the application's processing.
 */
export class GroupMembership extends ConsumerCoordinator {
  /** Sync processing: the batch being processed and where it is. */
  private batch: Work[] = [];
  private batchIndex = 0;
  protected inBatch = false;
  /** Async pool: records handed off, and busy workers. */
  private readonly pool: Work[] = [];
  private poolHead = 0;
  private busyWorkers = 0;
  /** exactly_once_v2: the consumer group metadata of the open transaction's batch. */
  private txnGroup: ConsumerGroupMetadata | null = null;
  private txnCursors: PartitionCursor[] = [];
  /** producer.flush() before the commit: the loop waits. */
  private flushing = false;
  /** close() was called: done once the loop reaches its next poll(). */
  private closeRequested: (() => void) | null = null;

  /** The broker last found as the group's coordinator, to count moves to another one. */
  private lastCoordinator: string | null = null;

  /** coordinatorMoves: FindCoordinator answered with another broker than the one this member last used. */
  private countCoordinatorMove(): void {
    const found = this.coordinator;
    if (found === null || found === this.lastCoordinator) return;
    if (this.lastCoordinator !== null && this.options.stats) this.options.stats.coordinatorMoves++;
    this.lastCoordinator = found;
  }

  /** A MetadataResponse for the pattern's producer: true when it was its own. */
  forwarderReceive(message: MetadataResponse): boolean {
    return this.pattern !== null && this.pattern.forwarder.receive(message);
  }

  start(): void {
    const eos = this.pattern?.transactional ?? null;
    if (eos) {
      eos.onReady = () => {
        if (!this.inBatch && !this.flushing) this.poll();
      };
    }
    const now = this.ctx.trueNow();
    this.lastPoll = now;
    this.nextAutoCommit = now + this.config.autoCommitInterval;
    this.lastHeartbeatOk = now;
    this.poll();
  }

  onLiveness(): void {
    // A fenced consumer's poll loop died with FencedInstanceIdException; nothing brings it back.
    if (this.fencedOut) return;
    this.closed = false;
    this.rejoinNeeded = true;
    this.lastPoll = this.ctx.trueNow();
    this.poll();
  }

  // ------------------------------------------------------------------ dispatch

  receive(_from: string, message: MembershipInbound): void {
    switch (message.type) {
      case 'FindCoordinatorResponse': {
        // The pipeline's transactional producer looks up its own coordinators.
        if (this.pattern?.forwarder.receiveTxn(message)) return;
        this.onFindCoordinator(message);
        return this.countCoordinatorMove();
      }
      case 'JoinGroupResponse': return this.onJoin(message);
      case 'SyncGroupResponse': return this.onSync(message);
      case 'HeartbeatResponse': return this.onHeartbeat(message);
      case 'LeaveGroupResponse': return; // LeaveGroup is fire-and-forget (the member has reset itself)
      case 'ConsumerGroupHeartbeatResponse': return this.onConsumerGroupHeartbeat(message);
      case 'OffsetCommitResponse': return this.onCommit(message);
      case 'OffsetFetchResponse': return this.onOffsetFetch(message);
      case 'ProduceResponse':
        this.pattern?.forwarder.receive(message);
        return;
      case 'InitProducerIdResponse':
        if (!this.pattern?.forwarder.receivePid(message)) this.pattern?.forwarder.receiveTxn(message);
        return;
      case 'AddPartitionsToTxnResponse': case 'AddOffsetsToTxnResponse': case 'TxnOffsetCommitResponse': case 'EndTxnResponse':
        this.pattern?.forwarder.receiveTxn(message);
        return;
      default: return unreachable(message, 'group member message');
    }
  }

  onTimer(...args: TimerArgs<MembershipTimer>): void {
    const data = args[1];
    switch (args[0]) {
      case 'poll':
        this.pollTimer = null;
        return this.poll();
      case 'heartbeat': return this.heartbeat();
      case 'heartbeat-timeout': return this.onClassicHeartbeatTimeout(args[1]);
      case 'find-timeout':
        if (this.findPending === data) {
          this.findPending = 0;
          this.bootstrap++;
          this.findCoordinator();
        }
        return;
      case 'find-retry': return this.findCoordinator();
      // A group request unanswered for its timeout closes the coordinator's connection (all in flight fail).
      case 'join-timeout':
        if (this.joinPending === data || this.syncPending === data) this.coordinatorRequestTimedOut();
        return;
      case 'commit-timeout': {
        const commit = this.commits.get(args[1]);
        if (commit === undefined) return;
        // Sent to a coordinator since forgotten (an error answer moved it): it just fails.
        if (commit.to !== this.coordinator) return this.onCommit({ type: 'OffsetCommitResponse', id: args[1], error: 'REQUEST_TIMED_OUT' });
        return this.coordinatorRequestTimedOut();
      }
      case 'fetch-offsets-timeout':
        if (this.offsetFetchPending === data) this.coordinatorRequestTimedOut();
        return;
      case 'fetch-offsets-retry':
        if (this.offsetFetchPending === -1 && this.coordinator !== null && !this.closed) {
          this.offsetFetchPending = 0;
          this.fetchCommitted();
        }
        return;
      case 'group-processed': return this.onProcessed();
      case 'worker-done': return this.onWorkerDone(args[1]);
      case 'commit-retry': return this.sendBlockingCommit();
      case 'cg-heartbeat-timeout': return this.onHeartbeatTimeout(args[1]);
      case 'fwd-metadata-timeout': case 'fwd-metadata-retry': case 'fwd-request-timeout': case 'fwd-wake':
      case 'txn-request-timeout': case 'txn-retry': case 'fwd-pid-timeout':
        this.pattern?.forwarder.onTimer(...args);
        return;
      default: return unreachable(args[0], 'group member timer');
    }
  }

  /** New records were fetched. */
  dataArrived(): void {
    if (this.waiting) this.poll();
  }

  /** The application's poll(): rebalance work, auto-commit, then up to max.poll.records records. */
  poll(): void {
    if (this.inBatch || this.blockingCommit !== 0 || this.closed || this.consumer.idle || this.flushing) return;
    if (this.closeRequested !== null) return this.finishClose();
    this.waiting = false;
    const now = this.ctx.trueNow();
    this.lastPoll = now;
    if (this.pattern !== null && this.pattern.paused.size > 0) this.resumeDue();
    if (this.coordinator === null) {
      this.findCoordinator();
      this.waiting = true;
      return;
    }
    if (this.rejoinNeeded && this.joinPending === 0 && this.syncPending === 0) {
      this.startJoin();
      if (this.blockingCommit !== 0) return;
    }
    if (this.commitMode === 'auto' && this.stable && now >= this.nextAutoCommit) {
      this.commitAsync(this.consumedOffsets());
      this.nextAutoCommit = now + this.config.autoCommitInterval;
    }
    // Eager: nothing is consumed until the rebalance completes; cooperative: owned partitions go on.
    const canConsume = this.stable || (this.cooperative && this.generation >= 0);
    if (this.processingMode === 'async-pool' && this.pool.length - this.poolHead >= this.config.maxPollRecords) {
      this.waiting = true; // the hand-off queue is full: the poll thread is blocked in put()
      return;
    }
    const eos = this.pattern?.transactional ?? null;
    if (eos !== null && canConsume && this.buffer.length > 0 && !eos.ready()) {
      // exactly_once_v2: no record is processed outside a transaction (initTransactions pending).
      this.waiting = true;
      return;
    }
    const batch: Work[] = [];
    if (canConsume && this.buffer.length > 0) {
      const max = this.config.maxPollRecords;
      let taken = 0;
      for (; taken < this.buffer.length && batch.length < max; taken++) {
        const item = this.buffer[taken]!;
        if (!this.cursors.owns(item.cursor)) continue;
        batch.push(item);
        item.cursor.consumed = item.record.offset + 1;
      }
      this.buffer.splice(0, taken);
      for (const item of batch) {
        item.cursor.buffered--;
        if (item.cursor.buffered === 0) this.consumer.next(item.cursor);
      }
    }
    if (batch.length === 0) {
      this.waiting = true;
      if (this.commitMode === 'auto' && this.stable) this.schedulePoll(Math.max(1, this.nextAutoCommit - now));
      // poll(Duration) returns empty after its timeout: the loop then checks its paused partitions.
      if (this.pattern !== null && this.pattern.pollTimeout > 0) this.schedulePoll(this.pattern.pollTimeout);
      return;
    }
    if (this.processingMode === 'async-pool') {
      for (const item of batch) this.pool.push(item);
      this.startWorkers();
      this.schedulePoll(0);
      return;
    }
    this.batch = batch;
    this.batchIndex = 0;
    this.inBatch = true;
    if (eos !== null) {
      eos.begin();
      // The group metadata the records were fetched under: what sendOffsetsToTransaction sends,
      // so the coordinator fences the commit if the group moved on meanwhile (KIP-447).
      this.txnGroup = { groupId: this.options.group, generationId: this.generation, memberId: this.memberId, groupInstanceId: this.instanceId };
      this.txnCursors = [...new Set(batch.map((w) => w.cursor))];
    }
    if (this.commitMode === 'manual-before') {
      this.commitSync(this.consumedOffsets(), () => this.processNext());
      return;
    }
    this.processNext();
  }

  private processNext(): void {
    if (this.pattern !== null) {
      // Records behind a paused (sought back) partition's head are dropped, not processed.
      while (this.batchIndex < this.batch.length && this.batch[this.batchIndex]!.cursor.paused) this.batchIndex++;
    }
    if (this.batchIndex >= this.batch.length) return this.batchDone();
    if (this.options.processing === undefined) {
      // No processing time: every record at once, without a timer per record.
      while (this.batchIndex < this.batch.length) {
        const item = this.batch[this.batchIndex++]!;
        if (!item.cursor.paused) this.delivered(item);
      }
      return this.batchDone();
    }
    membershipTimers.set(this.ctx, Math.max(0, Math.round(this.processing())), 'group-processed', undefined);
  }

  private onProcessed(): void {
    this.delivered(this.batch[this.batchIndex++]!);
    this.processNext();
  }

  private batchDone(): void {
    this.batch = [];
    this.inBatch = false;
    if (this.pattern !== null && !this.pattern.forwarder.idle) {
      // producer.flush() before committing what was forwarded.
      this.flushing = true;
      this.pattern.forwarder.flush(() => {
        this.flushing = false;
        if (!this.closed) this.afterBatch();
      });
      return;
    }
    this.afterBatch();
  }

  private afterBatch(): void {
    const eos = this.pattern?.transactional ?? null;
    if (eos !== null) return this.commitTransaction(eos);
    if (this.commitMode === 'manual-sync-after') {
      this.commitSync(this.processedOffsets(), () => this.poll());
      return;
    }
    if (this.commitMode === 'manual-async-after') this.commitAsync(this.processedOffsets());
    this.poll();
  }

  /**
   * exactly_once_v2: the processed positions go into the transaction (sendOffsetsToTransaction
   * with this member's group metadata), then commitTransaction(). An abort or a fenced producer
   * is Streams' task migration: every partition is dropped and the member rejoins, so it starts
   * again from the committed offsets.
   */
  private commitTransaction(eos: NonNullable<RecordPattern['transactional']>): void {
    this.flushing = true;
    const group = this.txnGroup ?? { groupId: this.options.group, generationId: this.generation, memberId: this.memberId, groupInstanceId: this.instanceId };
    this.txnGroup = null;
    // Partitions lost during the transaction (the heartbeat found the member gone): Streams closes
    // their tasks dirty, which aborts the transaction; their records are processed again by the new owner.
    const lost = this.txnCursors.some((c) => !this.cursors.owns(c));
    this.txnCursors = [];
    eos.commit(lost ? null : this.processedOffsets(), group, (outcome) => {
      this.flushing = false;
      if (outcome !== 'committed') {
        note(this.ctx, 'pipeline-task-migrated', { group: this.options.group, outcome });
        if (this.cursors.size > 0) this.revoke([...this.cursors.values()], 'lost');
        this.rejoinNeeded = true;
      }
      if (!this.closed) this.poll();
    });
  }

  private startWorkers(): void {
    while (this.busyWorkers < this.workers && this.poolHead < this.pool.length) {
      const item = this.pool[this.poolHead++]!;
      if (this.poolHead > 1024 && this.poolHead * 2 > this.pool.length) {
        this.pool.splice(0, this.poolHead);
        this.poolHead = 0;
      }
      this.busyWorkers++;
      membershipTimers.set(this.ctx, this.options.processing === undefined ? 0 : Math.max(0, Math.round(this.processing())), 'worker-done', item);
    }
  }

  private onWorkerDone(item: Work): void {
    this.busyWorkers--;
    this.delivered(item);
    this.startWorkers();
    if (this.waiting) this.poll();
  }

  /** The application finished processing a record: that is its delivery. */
  private delivered(item: Work): void {
    const { record, cursor } = item;
    if (this.pattern !== null) {
      const outcome = this.pattern.handle(item, this.ctx.now());
      if (typeof outcome === 'number') return this.pauseAndSeek(cursor, record.offset, outcome);
      if (outcome === 'forwarded') {
        cursor.lastEpoch = record.epoch;
        if (this.cursors.owns(cursor) && record.offset + 1 > cursor.processed) cursor.processed = record.offset + 1;
        return;
      }
      // 'delivered': the application processed it (the error handler's success).
    }
    const op: NewHistoryOp = {
      time: this.ctx.trueNow(), process: this.ctx.name, type: 'ok', f: 'receive', msg: record.msg, queue: cursor.queue,
      offset: record.offset, group: this.options.group, node: item.node,
    };
    if (record.key !== undefined) op.key = record.key;
    this.options.history.record(op);
    cursor.lastEpoch = record.epoch;
    if (this.cursors.owns(cursor) && record.offset + 1 > cursor.processed) cursor.processed = record.offset + 1;
  }

  /**
   * The delay scheduler's pause(partition) and seek(partition, offset) at a record not yet due:
   * what was fetched behind it is dropped, the fetch in flight forgotten; resumed when due.
   */
  private pauseAndSeek(cursor: PartitionCursor, offset: number, dueAt: number): void {
    if (!this.cursors.owns(cursor)) return;
    cursor.paused = true;
    cursor.dueAt = dueAt;
    this.pattern!.paused.add(cursor);
    cursor.position = offset;
    if (cursor.consumed > offset) cursor.consumed = offset;
    if (cursor.pending !== 0) {
      this.ctx.cancelTimer(cursor.timer);
      cursor.timer = null;
      cursor.pending = 0;
      cursor.pendingKind = null;
    }
    let w = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const item = this.buffer[i]!;
      if (item.cursor !== cursor) this.buffer[w++] = item;
    }
    this.buffer.length = w;
    cursor.buffered = 0;
    note(this.ctx, 'partition-paused', { group: this.options.group, partition: cursor.queue, offset, dueIn: dueAt - this.ctx.now() });
  }

  /** After poll() returns: resume() the paused partitions whose head is due. */
  private resumeDue(): void {
    const now = this.ctx.now();
    for (const cursor of [...this.pattern!.paused]) {
      if (!this.cursors.owns(cursor)) {
        this.pattern!.paused.delete(cursor);
        continue;
      }
      if (now < cursor.dueAt) continue;
      cursor.paused = false;
      this.pattern!.paused.delete(cursor);
      this.consumer.next(cursor);
    }
  }

  /** The consumer group protocol's heartbeat answers (consumer-membership/; a classic member gets none). */
  protected onConsumerGroupHeartbeat(_response: ConsumerGroupHeartbeatResponse): void {}

  protected onHeartbeatTimeout(_id: number): void {}

  /** Leaving the group on close(): LeaveGroup, which a static member does not send (KIP-345). */
  protected sendLeave(): void {
    if (this.coordinator !== null && this.memberId !== '' && this.instanceId === null) {
      this.send({ type: 'LeaveGroup', groupId: this.options.group, memberId: this.memberId, id: this.nextId++ });
    }
  }

  /** close(): auto-commit, LeaveGroup (dynamic members only), stop. */
  close(): void {
    if (this.closed) return;
    if (this.commitMode === 'auto' && this.stable) this.commitAsync(this.consumedOffsets());
    this.sendLeave();
    this.resetMember('left');
    this.closed = true;
  }

  /**
   * The application's close() (a `close` step): the loop finishes the batch it is in (processing,
   * its commit), then close() commits synchronously with auto-commit, sends LeaveGroup unless the
   * member is static, and the process exits.
   */
  closeGracefully(done: () => void): void {
    if (this.closed) return done();
    this.closeRequested = done;
    if (!this.inBatch && this.blockingCommit === 0 && !this.flushing) this.finishClose();
  }

  private finishClose(): void {
    const done = this.closeRequested!;
    this.closeRequested = null;
    this.ctx.cancelTimer(this.pollTimer);
    this.pollTimer = null;
    const leave = () => {
      this.sendLeave();
      this.resetMember('left');
      this.joinPending = 0;
      this.syncPending = 0;
      this.closed = true;
      done();
    };
    if (this.commitMode === 'auto' && this.stable) this.commitSync(this.consumedOffsets(), leave);
    else leave();
  }
}

import { groupOf, type History, type HistoryOp } from '../history.js';
import type { Micros } from '../time.js';
import { BacklogChecker, type BacklogReport } from './backlog.js';
import { DelayChecker, type DelayReport } from './delay.js';
import { DuplicateChecker } from './duplicate.js';
import { LatencyChecker, type LatencyReport } from './latency.js';
import { LostChecker } from './lost.js';
import { ReorderChecker } from './order.js';
import { PollChecker } from './poll.js';
import { ProducerTable } from './producers.js';
import { NonmonotonicSendChecker } from './send-order.js';
import { AbortedReadChecker, NonAtomicReadChecker } from './txn.js';
import type { CheckResult } from './types.js';

export { BacklogChecker, type BacklogPoint, type BacklogReport } from './backlog.js';
export { DelayChecker, type DelayReport } from './delay.js';
export { DuplicateChecker, type DuplicateResult } from './duplicate.js';
export { createHistogram, SignedHistogram } from './histogram.js';
export { IntervalSet } from './interval-set.js';
export { SeqSet } from './seq-set.js';
export { LatencyChecker, type LatencyReport } from './latency.js';
export { LostChecker, type InFlightMessage, type LostResult, type SendStatus } from './lost.js';
export { ReorderChecker } from './order.js';
export { PollChecker, type PollResult } from './poll.js';
export { ProducerTable, type ProducerRecord } from './producers.js';
export { NonmonotonicSendChecker } from './send-order.js';
export { AbortedReadChecker, NonAtomicReadChecker } from './txn.js';
export { AnomalyTally, MAX_EXAMPLES, type CheckResult, type Example } from './types.js';

/** Jepsen's names for the queue anomalies the suite reports. */
export type AnomalyName =
  | 'lost-write'
  | 'duplicate'
  | 'poll-skip'
  | 'nonmonotonic-poll'
  | 'nonmonotonic-send'
  | 'reorder'
  | 'unseen'
  | 'aborted-read'
  | 'non-atomic-read';

export const ANOMALY_NAMES: readonly AnomalyName[] = [
  'lost-write',
  'duplicate',
  'poll-skip',
  'nonmonotonic-poll',
  'nonmonotonic-send',
  'reorder',
  'unseen',
  'aborted-read',
  'non-atomic-read',
];

export interface CheckCounts {
  /** Send invokes. */
  sent: number;
  /** Send oks. */
  acked: number;
  /** Send fails (definitely not written). */
  failed: number;
  /** Send infos (outcome unknown). */
  unknown: number;
  /** Distinct messages received by anyone. */
  delivered: number;
  /** Receive oks, duplicates included. */
  deliveries: number;
  lostAcked: number;
  unseen: number;
  /** Undelivered messages the final read found still stored (backlog at the end, not loss). */
  stillQueued: number;
  /** Extra deliveries: n - 1 per message per group that got it n times. */
  duplicateDeliveries: number;
  /** (message, group) pairs delivered more than once. */
  duplicatedMessages: number;
  reorders: number;
  pollSkips: number;
  nonmonotonicPolls: number;
  nonmonotonicSends: number;
  failedButDelivered: number;
  unknownDelivered: number;
  /** Receives of records written in a transaction that aborted (Jepsen's aborted read). */
  abortedReads: number;
  /** (committed transaction, group) pairs where the group read part of the transaction and never the rest. */
  nonAtomicReads: number;
}

export interface CheckReport {
  counts: CheckCounts;
  latency: LatencyReport;
  delay: DelayReport;
  backlog: BacklogReport;
  /** 'duplicate' counts extra deliveries (counts.duplicateDeliveries). */
  anomalies: Record<AnomalyName, CheckResult>;
}

/**
 * Every checker over one history stream. `observe` runs for each op of a run, so it does a few
 * map lookups and interval-set updates and builds no strings (except for the first few examples).
 * It parses each message id once and hands the pieces to the checkers that need them.
 */
export class CheckerSuite {
  private readonly producers = new ProducerTable();
  private readonly lost = new LostChecker();
  private readonly duplicates = new DuplicateChecker();
  private readonly order = new ReorderChecker();
  private readonly poll = new PollChecker();
  private readonly sends = new NonmonotonicSendChecker();
  private readonly latency = new LatencyChecker();
  private readonly delay = new DelayChecker();
  private readonly backlog = new BacklogChecker();
  private readonly abortedReads = new AbortedReadChecker();
  private readonly nonAtomic = new NonAtomicReadChecker();
  private readonly tally = { sent: 0, acked: 0, failed: 0, unknown: 0, delivered: 0, deliveries: 0 };
  private unsubscribe: (() => void) | undefined;

  constructor(history?: History) {
    if (history !== undefined) this.unsubscribe = history.subscribe((op) => this.observe(op));
  }

  /** Stops listening to the history given to the constructor. */
  detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Running totals so far (sends, acks, fails, unknowns, distinct deliveries, all deliveries). */
  get totals(): Readonly<{ sent: number; acked: number; failed: number; unknown: number; delivered: number; deliveries: number }> {
    return this.tally;
  }

  /** Acked messages not yet received by anyone (the backlog without sends of unknown outcome). */
  get ackedBacklog(): number {
    return this.lost.ackedUndelivered;
  }

  /** The current backlog (acked or unknown, not yet received by anyone). */
  get currentBacklog(): number {
    return this.backlog.current;
  }

  /** Sends in flight: invoked, with no answer yet (no ok, fail or timeout) and not yet received by anyone. */
  get pendingSends(): number {
    // The lost checker holds every sent-and-undelivered message; the backlog is those of them acked or unknown.
    return Math.max(0, this.lost.size - this.backlog.current);
  }

  observe(op: HistoryOp): void {
    switch (op.f) {
      case 'send':
        this.observeSend(op);
        if (op.txn !== undefined) {
          this.abortedReads.send(op);
          this.nonAtomic.send(op);
        }
        break;
      case 'receive':
        // A receive invoke (a poll that may return nothing) says nothing about messages.
        if (op.type === 'ok') {
          this.observeReceive(op);
          this.abortedReads.receive(op);
          this.nonAtomic.receive(op);
        }
        break;
      case 'assign':
        if (op.type !== 'fail') this.poll.assign(op);
        break;
      case 'skip':
        // A duplicate an idempotent consumer read and did not process: not a delivery, but the
        // consumer did read that offset, so poll order counts it.
        if (op.type === 'ok') this.poll.receive(op);
        break;
      case 'ack':
      case 'commit':
      case 'txn':
        break; // recorded for reports and drills; no checker judges them yet
    }
  }

  /** Appends a point to the backlog time series. */
  sample(time: Micros): void {
    this.backlog.sample(time);
  }

  /**
   * The report as of `endTime`, given the final read (`stored`: message ids the system still
   * holds). Does not change the suite: it may be called again later.
   */
  finish(endTime: Micros, stored?: ReadonlySet<string>): CheckReport {
    const lost = this.lost.finish(endTime, stored);
    const duplicates = this.duplicates.finish();
    const reorders = this.order.finish();
    const poll = this.poll.finish();
    const sends = this.sends.finish();
    const abortedReads = this.abortedReads.finish();
    const nonAtomic = this.nonAtomic.finish();
    return {
      counts: {
        ...this.tally,
        lostAcked: lost.lost.count,
        unseen: lost.unseen.count,
        stillQueued: lost.stillQueued,
        duplicateDeliveries: duplicates.duplicates.count,
        duplicatedMessages: duplicates.duplicatedMessages,
        reorders: reorders.count,
        pollSkips: poll.pollSkips.count,
        nonmonotonicPolls: poll.nonmonotonicPolls.count,
        nonmonotonicSends: sends.count,
        failedButDelivered: lost.failedButDelivered,
        unknownDelivered: lost.unknownDelivered,
        abortedReads: abortedReads.count,
        nonAtomicReads: nonAtomic.count,
      },
      latency: this.latency.finish(),
      delay: this.delay.finish(),
      backlog: this.backlog.finish(),
      anomalies: {
        'lost-write': lost.lost,
        duplicate: duplicates.duplicates,
        'poll-skip': poll.pollSkips,
        'nonmonotonic-poll': poll.nonmonotonicPolls,
        'nonmonotonic-send': sends,
        reorder: reorders,
        unseen: lost.unseen,
        'aborted-read': abortedReads,
        'non-atomic-read': nonAtomic,
      },
    };
  }

  private observeSend(op: HistoryOp): void {
    const msg = op.msg;
    switch (op.type) {
      case 'invoke':
        this.tally.sent++;
        if (msg !== undefined) this.lost.invoked(op, this.producers.resolve(msg), this.producers.seq);
        break;
      case 'ok':
        this.tally.acked++;
        if (op.queue !== undefined && op.offset !== undefined) {
          this.poll.noteOffset(op.queue, op.offset);
          this.sends.acked(op);
        }
        if (msg !== undefined && this.lost.acked(op, this.producers.resolve(msg), this.producers.seq)) {
          this.backlog.grow();
        }
        break;
      case 'fail':
        this.tally.failed++;
        if (msg !== undefined && this.lost.failed(op, this.producers.resolve(msg), this.producers.seq)) {
          this.backlog.shrink();
        }
        break;
      case 'info':
        this.tally.unknown++;
        if (msg !== undefined && this.lost.unknown(op, this.producers.resolve(msg), this.producers.seq)) {
          this.backlog.grow();
        }
        break;
    }
  }

  private observeReceive(op: HistoryOp): void {
    this.tally.deliveries++;
    this.poll.receive(op);
    const msg = op.msg;
    if (msg === undefined) return;
    const producer = this.producers.resolve(msg);
    const seq = this.producers.seq;

    if (producer.delivered.add(seq)) {
      this.tally.delivered++;
      const sent = this.lost.firstDelivery(op, producer, seq);
      if (sent !== undefined) {
        if (sent.status !== 'pending') this.backlog.shrink();
        if (sent.invokeTime >= 0) this.latency.record(op.time - sent.invokeTime);
        this.delay.firstDelivery(sent, op);
      }
    }

    const group = groupOf(op);
    // Order is judged on first deliveries to the group only; the key comes from the receive op.
    if (this.duplicates.observe(op, group, producer, seq) && op.key !== undefined) {
      this.order.firstDelivery(op, group, op.key, producer, seq);
    }
  }
}

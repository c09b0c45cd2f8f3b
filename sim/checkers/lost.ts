import type { HistoryOp } from '../history.js';
import { formatTimestamp, type Micros } from '../time.js';
import type { ProducerRecord } from './producers.js';
import { AnomalyTally, type CheckResult, type Example } from './types.js';

/** What is known of a send's outcome while its message has not been delivered yet. */
export type SendStatus = 'pending' | 'ok' | 'info';

/**
 * A message sent (or acked) and not yet received by anyone. It exists from the send's invoke to
 * the message's first delivery, then it is dropped: memory follows the messages in flight.
 */
export interface InFlightMessage {
  readonly msg: string;
  readonly producer: ProducerRecord;
  readonly seq: number;
  status: SendStatus;
  process: string;
  /** Time and history index of the send's invoke; -1 when only the outcome was recorded. */
  invokeTime: Micros;
  invokeIndex: number;
  /** Time and history index of the ok/info, -1 while pending. */
  outcomeTime: Micros;
  outcomeIndex: number;
  key: string | undefined;
  queue: string | undefined;
  offset: number | undefined;
  node: string | undefined;
  delay: Micros | undefined;
  error: string | undefined;
  /** Rank of first appearance among all messages tracked (the end-of-run examples follow it). */
  readonly first: number;
}

export interface LostResult {
  /** Acked (send ok), never received by anyone, and (when the model could say) no longer stored anywhere. */
  lost: CheckResult;
  /** Not delivered but still stored at the end (the final read found it): backlog, not loss. */
  stillQueued: number;
  /** Not failed (ok, info or still pending) and never received by anyone. */
  unseen: CheckResult;
  /** Send failed (definitely not written) and yet received. */
  failedButDelivered: number;
  /** Send outcome unknown (info, never turned ok) and received. */
  unknownDelivered: number;
}

/**
 * Lost writes and unseen messages: keeps each message from its send to its first delivery and
 * judges, at the end, those never delivered. Also counts sends whose outcome contradicts a
 * delivery (failed but delivered) or was unknown and turned out written.
 *
 * "Delivered" is decided by the caller (a producer's `delivered` set), which calls
 * `firstDelivery` exactly once per message.
 */
export class LostChecker {
  /**
   * Per producer (by ProducerRecord.id), keyed by seq. Not one map keyed by message id: hashing
   * each op's freshly built id string was a fifth of the checkers' time.
   */
  private readonly inFlight: Map<number, InFlightMessage>[] = [];
  private tracked = 0;
  private inFlightCount = 0;
  private failedButDelivered = 0;
  private unknownDelivered = 0;
  /** Messages acked (send ok) and not yet delivered: the backlog the system has promised to deliver. */
  ackedUndelivered = 0;

  /** Messages sent and not yet delivered (any status). */
  get size(): number {
    return this.inFlightCount;
  }

  private get(producer: ProducerRecord, seq: number): InFlightMessage | undefined {
    return this.inFlight[producer.id]?.get(seq);
  }

  private forget(producer: ProducerRecord, seq: number): void {
    if (this.inFlight[producer.id]!.delete(seq)) this.inFlightCount--;
  }

  invoked(op: HistoryOp, producer: ProducerRecord, seq: number): void {
    if (producer.delivered.has(seq)) return; // delivered before its invoke was recorded: nothing to wait for
    const known = this.get(producer, seq);
    if (known !== undefined) return; // a re-send of the same id: latency counts from the first
    const message = this.track(op, producer, seq);
    message.invokeTime = op.time;
    message.invokeIndex = op.index;
  }

  /** A send ok. Returns true when the message newly counts as written and undelivered (backlog). */
  acked(op: HistoryOp, producer: ProducerRecord, seq: number): boolean {
    if (producer.delivered.has(seq)) return false; // the ack arrived after a consumer already had it
    const message = this.get(producer, seq) ?? this.track(op, producer, seq);
    const entersBacklog = message.status === 'pending';
    if (message.status !== 'ok') this.ackedUndelivered++;
    message.status = 'ok';
    this.noteOutcome(message, op);
    return entersBacklog;
  }

  /** A send info (outcome unknown). Returns true when the message newly counts as backlog. */
  unknown(op: HistoryOp, producer: ProducerRecord, seq: number): boolean {
    if (producer.delivered.has(seq)) {
      this.unknownDelivered++;
      return false;
    }
    const message = this.get(producer, seq) ?? this.track(op, producer, seq);
    if (message.status !== 'pending') return false; // an earlier ok is stronger than a later timeout
    message.status = 'info';
    this.noteOutcome(message, op);
    return true;
  }

  /** A send fail. Returns true when the message leaves the backlog (it had been acked or info). */
  failed(op: HistoryOp, producer: ProducerRecord, seq: number): boolean {
    if (producer.delivered.has(seq)) {
      this.failedButDelivered++;
      return false;
    }
    // Definitely not written: stop waiting for it, but remember the seq in case it shows up.
    producer.failed.add(seq);
    const message = this.get(producer, seq);
    if (message === undefined) return false;
    this.forget(producer, seq);
    if (message.status === 'ok') this.ackedUndelivered--;
    return message.status !== 'pending';
  }

  /** The first delivery of a message to anyone: returns (and forgets) its send state, if any. */
  firstDelivery(op: HistoryOp, producer: ProducerRecord, seq: number): InFlightMessage | undefined {
    const message = this.get(producer, seq);
    if (message === undefined) {
      if (producer.failed.has(seq)) this.failedButDelivered++;
      return undefined;
    }
    this.forget(producer, seq);
    if (message.status === 'info') this.unknownDelivered++;
    if (message.status === 'ok') this.ackedUndelivered--;
    return message;
  }

  /**
   * Judges the messages still undelivered at `endTime`. `stored` is the final read (Jepsen's):
   * the ids the system still holds and would deliver. An acked message it still holds is unseen
   * backlog, not a lost write; without a final read every acked undelivered message counts as
   * lost. Read-only: may be called again later.
   */
  finish(endTime: Micros, stored?: ReadonlySet<string>): LostResult {
    const lost = new AnomalyTally();
    const unseen = new AnomalyTally();
    let stillQueued = 0;
    const remaining: InFlightMessage[] = [];
    for (const byProducer of this.inFlight) if (byProducer !== undefined) for (const message of byProducer.values()) remaining.push(message);
    remaining.sort((a, b) => a.first - b.first);
    for (const message of remaining) {
      const queued = stored?.has(message.msg) === true;
      if (queued) stillQueued++;
      if (message.status === 'ok' && !queued) {
        lost.count++;
        if (lost.wantsExample) lost.examples.push(example(message, endTime, false));
      }
      unseen.count++;
      if (unseen.wantsExample) unseen.examples.push(example(message, endTime, queued));
    }
    return {
      lost: lost.result(),
      stillQueued,
      unseen: unseen.result(),
      failedButDelivered: this.failedButDelivered,
      unknownDelivered: this.unknownDelivered,
    };
  }

  private track(op: HistoryOp, producer: ProducerRecord, seq: number): InFlightMessage {
    const message: InFlightMessage = {
      msg: op.msg!,
      producer,
      seq,
      status: 'pending',
      process: op.process,
      invokeTime: -1,
      invokeIndex: -1,
      outcomeTime: -1,
      outcomeIndex: -1,
      key: op.key,
      queue: op.queue,
      offset: op.offset,
      node: op.node,
      delay: op.delay,
      error: undefined,
      first: this.tracked++,
    };
    (this.inFlight[producer.id] ??= new Map()).set(seq, message);
    this.inFlightCount++;
    return message;
  }

  /** Copies what the ok/info adds (where it was written, by whom) onto the message. */
  private noteOutcome(message: InFlightMessage, op: HistoryOp): void {
    message.outcomeTime = op.time;
    message.outcomeIndex = op.index;
    if (op.queue !== undefined) message.queue = op.queue;
    if (op.offset !== undefined) message.offset = op.offset;
    if (op.node !== undefined) message.node = op.node;
    if (op.key !== undefined) message.key = op.key;
    if (op.delay !== undefined) message.delay = op.delay;
    if (op.error !== undefined) message.error = op.error;
  }
}

function example(message: InFlightMessage, endTime: Micros, stillQueued: boolean): Example {
  const ops: number[] = [];
  if (message.invokeIndex >= 0) ops.push(message.invokeIndex);
  if (message.outcomeIndex >= 0) ops.push(message.outcomeIndex);
  const where = message.queue === undefined ? '' : ` to ${message.queue}${message.offset === undefined ? '' : ` offset ${message.offset}`}`;
  const by = message.node === undefined ? '' : ` by ${message.node}`;
  let what: string;
  switch (message.status) {
    case 'ok':
      what = `acked at ${formatTimestamp(message.outcomeTime)}${by}${where}`;
      break;
    case 'info':
      what = `outcome unknown at ${formatTimestamp(message.outcomeTime)} (${message.error ?? 'no reason given'})`;
      break;
    case 'pending':
      what = `sent at ${formatTimestamp(message.invokeTime)}, still awaiting its outcome at ${formatTimestamp(endTime)}`;
      break;
  }
  const result: Example = {
    msg: message.msg,
    process: message.process,
    time: message.outcomeTime >= 0 ? message.outcomeTime : message.invokeTime,
    ops,
    description: `${message.msg} ${what}, never delivered${stillQueued ? ' (still queued at the end)' : ''}`,
  };
  if (message.queue !== undefined) result.queue = message.queue;
  if (message.key !== undefined) result.key = message.key;
  if (message.node !== undefined) result.node = message.node;
  return result;
}

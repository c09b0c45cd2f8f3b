import type { Micros } from './time.js';

/**
 * The client history, Jepsen style: every client operation is recorded as an `invoke` and then
 * an outcome (`ok`, `fail`, or `info` when the client cannot know, e.g. a timeout). Checkers read
 * only this history, never a model's internals, so the same checkers judge every system.
 *
 * The history is a stream: listeners (the CheckerSuite) see each op as it is recorded, and the
 * ops are kept in memory only when asked (`keep: true`), so a million-message run does not hold
 * a million op objects.
 */

/** `info` = outcome unknown (a timeout, a broken connection): the op may or may not have happened. */
export type OpType = 'invoke' | 'ok' | 'fail' | 'info';
/**
 * `skip`: an idempotent consumer was handed a message it had already processed (found in its
 * store of processed ids) and did not process it again; counted apart from receives.
 */
export type OpFunction = 'send' | 'receive' | 'ack' | 'commit' | 'assign' | 'skip' | 'txn';

export interface HistoryOp {
  /** Position in the history, assigned by History.record. */
  index: number;
  time: Micros;
  /** Client name, e.g. 'p1', 'billing-c2'. */
  process: string;
  type: OpType;
  f: OpFunction;
  /** Message id, always `${producerProcess}-${seq}`, seq increasing in send order per producer. */
  msg?: string;
  key?: string;
  /** Partition or queue name: 'orders-3', 'q.billing'. */
  queue?: string;
  /** Position in the queue/partition (a Kafka send ok returns it; a receive has it). */
  offset?: number;
  /** Consumer group; a message should reach each group once. Missing -> queue, then '(none)'. */
  group?: string;
  /** Broker that served it. */
  node?: string;
  /** Requested delivery delay on send. */
  delay?: Micros;
  /** Reason on fail/info. */
  error?: string;
  redelivered?: boolean;
  /** On f:'assign': the queues now assigned to this process (resets its poll tracking). */
  queues?: string[];
  /**
   * The transaction the op belongs to (a send of a transactional producer, or the f:'txn' op
   * itself). An f:'txn' op is `invoke` when the transaction begins and `ok` (committed), `fail`
   * (aborted) or `info` (outcome unknown) when it ends; the sends of a transaction get their
   * outcome with it: ok when committed, fail when aborted.
   */
  txn?: string;
  /** On f:'txn': the producer id and epoch the transaction ran under (systems that have them). */
  producerId?: number;
  producerEpoch?: number;
}

/** What a caller passes to record: an op whose index is assigned by the history. */
export type NewHistoryOp = Omit<HistoryOp, 'index'> & { index?: number };

export type HistoryListener = (op: HistoryOp) => void;

export interface HistoryOptions {
  /** Keep every op in `ops` (tests, trace files, drill pages). Default false: stream only. */
  keep?: boolean;
}

export interface MessageId {
  producer: string;
  seq: number;
}

/** Builds a message id; the inverse of parseMessageId. */
export function messageId(producer: string, seq: number): string {
  return `${producer}-${seq}`;
}

/**
 * Splits `${producer}-${seq}` at the LAST '-', since producer names contain dashes
 * ('billing-p2-17' -> producer 'billing-p2', seq 17). Throws on an id that does not follow the
 * convention: a checker fed malformed ids would report wrong numbers silently.
 */
export function parseMessageId(msg: string): MessageId {
  const dash = msg.lastIndexOf('-');
  const seq = dash > 0 ? parseSeq(msg, dash + 1) : -1;
  if (seq < 0) {
    throw new Error(`message id "${msg}" is not "<producer>-<seq>" with seq a non-negative integer`);
  }
  return { producer: msg.slice(0, dash), seq };
}

/**
 * Reads the decimal integer in msg[from..] without building a substring (the checkers call this
 * for every delivery). Returns -1 when it is not a plain non-negative integer.
 */
export function parseSeq(msg: string, from: number): number {
  const end = msg.length;
  if (from >= end || end - from > 15) return -1; // 15 digits stay exact in a double
  let value = 0;
  for (let i = from; i < end; i++) {
    const digit = msg.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** The consumer group an op counts for: its group, else its queue, else '(none)'. */
export function groupOf(op: HistoryOp): string {
  return op.group ?? op.queue ?? '(none)';
}

export class History {
  readonly keep: boolean;
  /** Every op recorded, in order; filled only when `keep` is true. */
  readonly ops: HistoryOp[] = [];
  /** Called with each op as it is recorded, in subscription order. */
  readonly onRecord: HistoryListener[] = [];
  /** Ops recorded so far (also the next op's index). */
  length = 0;

  constructor(options: HistoryOptions = {}) {
    this.keep = options.keep ?? false;
  }

  /** A kept history of the given ops, re-indexed by position (for tests). */
  static from(ops: readonly NewHistoryOp[]): History {
    const history = new History({ keep: true });
    for (const op of ops) history.record({ ...op });
    return history;
  }

  /**
   * Records an op and hands it to the listeners. The object passed in becomes the record (its
   * index is overwritten) rather than being copied, because this runs for every client
   * operation of a run: do not reuse or mutate it afterwards.
   */
  record(op: NewHistoryOp): HistoryOp {
    const recorded = op as HistoryOp;
    recorded.index = this.length++;
    if (this.keep) this.ops.push(recorded);
    const listeners = this.onRecord;
    for (let i = 0; i < listeners.length; i++) listeners[i]!(recorded);
    return recorded;
  }

  /** Adds a listener; returns a function that removes it. */
  subscribe(listener: HistoryListener): () => void {
    this.onRecord.push(listener);
    return () => {
      const at = this.onRecord.indexOf(listener);
      if (at >= 0) this.onRecord.splice(at, 1);
    };
  }
}

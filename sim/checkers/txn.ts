import { groupOf, type HistoryOp } from '../history.js';
import { formatTimestamp } from '../time.js';
import { AnomalyTally, type CheckResult } from './types.js';

/**
 * Aborted read (Jepsen's name): a consumer was handed a record written in a transaction that
 * aborted. Sends carry their transaction (`op.txn`) and get its outcome when it ends: `fail` is
 * an abort. A receive may come before the outcome (a read_uncommitted consumer reads records of
 * open transactions), so receives of messages whose transaction is still open wait for it.
 *
 * Memory: the ids of open transactions' messages and of aborted ones (not of committed ones).
 */
export class AbortedReadChecker {
  /** Messages of transactions not decided yet, with the receives seen meanwhile. */
  private readonly open = new Map<string, HistoryOp[]>();
  /** Messages of aborted transactions, with the op that recorded the abort. */
  private readonly aborted = new Map<string, HistoryOp>();
  private readonly tally = new AnomalyTally();

  send(op: HistoryOp): void {
    if (op.txn === undefined || op.txn === '' || op.msg === undefined) return;
    const msg = op.msg;
    switch (op.type) {
      case 'invoke':
        if (!this.open.has(msg)) this.open.set(msg, []);
        return;
      case 'ok':
      case 'info':
        this.open.delete(msg);
        return;
      case 'fail': {
        this.aborted.set(msg, op);
        const early = this.open.get(msg);
        this.open.delete(msg);
        if (early) for (const receive of early) this.count(receive, op);
        return;
      }
    }
  }

  receive(op: HistoryOp): void {
    const msg = op.msg;
    // Without transactional sends both maps stay empty: skip hashing the id of every receive.
    if (msg === undefined || (this.aborted.size === 0 && this.open.size === 0)) return;
    const abort = this.aborted.get(msg);
    if (abort !== undefined) return this.count(op, abort);
    this.open.get(msg)?.push(op);
  }

  private count(receive: HistoryOp, abort: HistoryOp): void {
    this.tally.count++;
    if (!this.tally.wantsExample) return;
    const from = receive.queue === undefined ? '' : ` from ${receive.queue}${receive.offset === undefined ? '' : ` offset ${receive.offset}`}`;
    this.tally.examples.push({
      msg: receive.msg!,
      process: receive.process,
      ...(receive.queue === undefined ? {} : { queue: receive.queue }),
      ...(receive.node === undefined ? {} : { node: receive.node }),
      time: receive.time,
      ops: [receive.index, abort.index],
      description: `${receive.msg} of transaction ${abort.txn} (aborted at ${formatTimestamp(abort.time)}) was read by ${receive.process} of group ${groupOf(receive)} at ${formatTimestamp(receive.time)}${from}`,
    });
  }

  finish(): CheckResult {
    return this.tally.result();
  }
}

/**
 * Non-atomic read: a consumer group read part of a committed transaction and, by the end of the
 * run (after the drain), never the rest. Records of one transaction on different partitions
 * become visible at slightly different times (each partition gets its marker on its own), so only
 * what is still missing at the end counts: a partition whose marker never came, for instance.
 *
 * Memory: the ids of the run's transactional messages (sends outside transactions cost nothing).
 */
export class NonAtomicReadChecker {
  /** Committed transactions: their messages, and per group the ones it received. */
  private readonly committed = new Map<string, { msgs: Set<string>; op: HistoryOp; groups: Map<string, Set<string>> }>();
  /** Transaction of each message sent in one (until its transaction is decided and fully read). */
  private readonly txnOf = new Map<string, string>();
  /** Messages received before their transaction committed, by group. */
  private readonly early = new Map<string, Set<string>>();

  send(op: HistoryOp): void {
    if (op.txn === undefined || op.txn === '' || op.msg === undefined) return;
    if (op.type === 'invoke') {
      this.txnOf.set(op.msg, op.txn);
      return;
    }
    if (op.type !== 'ok') {
      this.txnOf.delete(op.msg);
      this.early.delete(op.msg);
      return;
    }
    let txn = this.committed.get(op.txn);
    if (!txn) this.committed.set(op.txn, (txn = { msgs: new Set(), op, groups: new Map() }));
    txn.msgs.add(op.msg);
    const early = this.early.get(op.msg);
    this.early.delete(op.msg);
    if (early) for (const group of early) this.add(txn, group, op.msg);
  }

  receive(op: HistoryOp): void {
    const msg = op.msg;
    if (msg === undefined || this.txnOf.size === 0) return;
    const id = this.txnOf.get(msg);
    if (id === undefined) return;
    const group = groupOf(op);
    const txn = this.committed.get(id);
    if (txn && txn.msgs.has(msg)) return this.add(txn, group, msg);
    let groups = this.early.get(msg);
    if (!groups) this.early.set(msg, (groups = new Set()));
    groups.add(group);
  }

  private add(txn: { msgs: Set<string>; groups: Map<string, Set<string>> }, group: string, msg: string): void {
    let got = txn.groups.get(group);
    if (!got) txn.groups.set(group, (got = new Set()));
    got.add(msg);
  }

  finish(): CheckResult {
    const tally = new AnomalyTally();
    for (const [id, txn] of this.committed) {
      for (const [group, got] of txn.groups) {
        if (got.size === 0 || got.size >= txn.msgs.size) continue;
        tally.count++;
        if (!tally.wantsExample) continue;
        const missing = [...txn.msgs].filter((m) => !got.has(m));
        tally.examples.push({
          msg: missing[0]!,
          process: txn.op.process,
          time: txn.op.time,
          ops: [txn.op.index],
          description: `group ${group} read ${got.size} of the ${txn.msgs.size} records of transaction ${id} (committed at ${formatTimestamp(txn.op.time)}) and never ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}`,
        });
      }
    }
    return tally.result();
  }
}

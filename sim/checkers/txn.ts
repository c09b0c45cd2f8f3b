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
    if (msg === undefined) return;
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

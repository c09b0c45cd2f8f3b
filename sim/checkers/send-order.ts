import type { HistoryOp } from '../history.js';
import { formatTimestamp } from '../time.js';
import { AnomalyTally, type CheckResult } from './types.js';

/** The last offset a process's send ok reported for a queue, and the op that reported it. */
interface SendCursor {
  offset: number;
  index: number;
}

/**
 * Nonmonotonic sends: per (process, queue), the offsets returned by send oks, in the order the oks
 * are recorded, must strictly increase. A repeat or a step back means the broker handed out an
 * offset twice or the log was truncated under the producer.
 */
export class NonmonotonicSendChecker {
  private readonly cursors = new Map<string, Map<string, SendCursor>>();
  private readonly tally = new AnomalyTally();

  /** A send ok; ignored unless it names its queue and offset. */
  acked(op: HistoryOp): void {
    const queue = op.queue;
    const offset = op.offset;
    if (queue === undefined || offset === undefined) return;
    let byQueue = this.cursors.get(op.process);
    if (byQueue === undefined) {
      byQueue = new Map();
      this.cursors.set(op.process, byQueue);
    }
    const cursor = byQueue.get(queue);
    if (cursor === undefined) {
      byQueue.set(queue, { offset, index: op.index });
      return;
    }
    if (offset <= cursor.offset) {
      this.tally.count++;
      if (this.tally.wantsExample) {
        this.tally.examples.push({
          ...(op.msg === undefined ? {} : { msg: op.msg }),
          process: op.process,
          queue,
          time: op.time,
          ops: [cursor.index, op.index],
          description: `${op.msg ?? 'a send'} of ${op.process} acked at ${formatTimestamp(op.time)} with ${queue} offset ${offset}, not after the previous ack's offset ${cursor.offset}`,
        });
      }
    }
    cursor.offset = offset;
    cursor.index = op.index;
  }

  finish(): CheckResult {
    return this.tally.result();
  }
}

import type { HistoryOp } from '../history.js';
import { formatTimestamp, type Micros } from '../time.js';
import { IntervalSet } from './interval-set.js';
import { AnomalyTally, type CheckResult } from './types.js';

/** The last offset a process received from a queue, and the op that showed it. */
interface PollCursor {
  offset: number;
  index: number;
}

/**
 * A consumer jumped from offset `from` to `to` > from + 1. It is a poll-skip only if some offset
 * in between exists, which may be learnt later (a slower consumer reads it, or its send ok is
 * recorded after), so it is judged at finish.
 */
interface GapCandidate {
  readonly process: string;
  readonly queue: string;
  readonly from: number;
  readonly to: number;
  readonly time: Micros;
  readonly fromIndex: number;
  readonly toIndex: number;
}

export interface PollResult {
  pollSkips: CheckResult;
  nonmonotonicPolls: CheckResult;
}

/**
 * Poll order per (process, queue): successive receive offsets must go up by one. Going back or
 * standing still is a nonmonotonic poll; jumping over an offset that exists is a poll-skip.
 * An `assign` op of a process resets its cursors (after a rebalance it may legitimately resume
 * from a committed offset).
 *
 * Memory: known offsets are an interval set per queue (one interval when dense); gap candidates
 * are kept until finish, one per jump, which is as many as the jumps and not the messages.
 */
export class PollChecker {
  private readonly cursors = new Map<string, Map<string, PollCursor>>();
  /** Offsets known to exist per queue: from send oks and from receives, of any process. */
  private readonly knownOffsets = new Map<string, IntervalSet>();
  private readonly gaps: GapCandidate[] = [];
  private readonly nonmonotonic = new AnomalyTally();

  /** An offset is known to exist in `queue` (a send ok reported it, or someone received it). */
  noteOffset(queue: string, offset: number): void {
    let offsets = this.knownOffsets.get(queue);
    if (offsets === undefined) {
      offsets = new IntervalSet();
      this.knownOffsets.set(queue, offsets);
    }
    offsets.add(offset);
  }

  /** A receive ok; ignored unless it names its queue and offset. */
  receive(op: HistoryOp): void {
    const queue = op.queue;
    const offset = op.offset;
    if (queue === undefined || offset === undefined) return;
    this.noteOffset(queue, offset);

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
    const previous = cursor.offset;
    if (offset <= previous) {
      this.nonmonotonic.count++;
      if (this.nonmonotonic.wantsExample) {
        this.nonmonotonic.examples.push({
          ...(op.msg === undefined ? {} : { msg: op.msg }),
          process: op.process,
          queue,
          time: op.time,
          ops: [cursor.index, op.index],
          description: `${op.process} received ${queue} offset ${offset} at ${formatTimestamp(op.time)} after offset ${previous}`,
        });
      }
    } else if (offset > previous + 1) {
      this.gaps.push({ process: op.process, queue, from: previous, to: offset, time: op.time, fromIndex: cursor.index, toIndex: op.index });
    }
    cursor.offset = offset;
    cursor.index = op.index;
  }

  /** An assign op: the process starts over on whatever it now holds. */
  assign(op: HistoryOp): void {
    this.cursors.get(op.process)?.clear();
  }

  /** Judges the gap candidates against every offset known by now. Read-only. */
  finish(): PollResult {
    const skips = new AnomalyTally();
    for (const gap of this.gaps) {
      const existing = this.knownOffsets.get(gap.queue)?.firstIn(gap.from + 1, gap.to - 1);
      if (existing === undefined) continue;
      skips.count++;
      if (skips.wantsExample) {
        const skipped = gap.to - gap.from === 2 ? `offset ${gap.from + 1}` : `offsets ${gap.from + 1}..${gap.to - 1}`;
        skips.examples.push({
          process: gap.process,
          queue: gap.queue,
          time: gap.time,
          ops: [gap.fromIndex, gap.toIndex],
          description: `${gap.process} received ${gap.queue} offset ${gap.to} at ${formatTimestamp(gap.time)} right after offset ${gap.from}, skipping ${skipped} (offset ${existing} exists)`,
        });
      }
    }
    return { pollSkips: skips.result(), nonmonotonicPolls: this.nonmonotonic.result() };
  }
}

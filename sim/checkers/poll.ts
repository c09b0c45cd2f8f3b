import type { HistoryOp } from '../history.js';
import { formatTimestamp, type Micros } from '../time.js';
import { IntervalSet } from './interval-set.js';
import { AnomalyTally, MAX_EXAMPLES, type CheckResult, type Example } from './types.js';

/** The last offset a process received from a queue, and the op that showed it. */
interface PollCursor {
  offset: number;
  index: number;
}

/**
 * A consumer jumped from offset `from` to `to` > from + 1. It is a poll-skip only if some offset
 * in between exists. When none is known yet it may be learnt later (a slower consumer reads it,
 * or its send ok is recorded after), so the gap waits for finish.
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
 * Poll order is only judged on queues a process owns: those named by its latest `assign` op
 * (a Kafka consumer's assigned partitions). Competing consumers on a shared queue (RabbitMQ,
 * the demo broker) legitimately see gaps, so a process that never recorded an assign is not
 * judged. An `assign` op also resets the process's cursors (after a rebalance it may
 * legitimately resume from a committed offset).
 *
 * Memory: known offsets are an interval set per queue (one interval when dense). A jump over an
 * offset already known is counted at once; only jumps over offsets not known yet are kept until
 * finish, which is as many as those jumps and not the messages.
 */
export class PollChecker {
  private readonly cursors = new Map<string, Map<string, PollCursor>>();
  /** Per process, the queues its latest assign op gave it. */
  private readonly owned = new Map<string, Set<string>>();
  /** Offsets known to exist per queue: from send oks and from receives, of any process. */
  private readonly knownOffsets = new Map<string, IntervalSet>();
  /** Jumps over offsets not known (yet) when they happened, in history order. */
  private readonly gaps: GapCandidate[] = [];
  /** Jumps over an offset already known when they happened. */
  private readonly skipsSeen = new AnomalyTally();
  private readonly nonmonotonic = new AnomalyTally();

  /** An offset is known to exist in `queue` (a send ok reported it, or someone received it). */
  noteOffset(queue: string, offset: number): void {
    this.offsetsOf(queue).add(offset);
  }

  /** A receive ok; ignored unless it names its queue and offset. */
  receive(op: HistoryOp): void {
    const queue = op.queue;
    const offset = op.offset;
    if (queue === undefined || offset === undefined) return;
    const known = this.offsetsOf(queue);
    known.add(offset);
    if (this.owned.get(op.process)?.has(queue) !== true) return;

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
      const existing = known.firstIn(previous + 1, offset - 1);
      if (existing === undefined) {
        this.gaps.push({ process: op.process, queue, from: previous, to: offset, time: op.time, fromIndex: cursor.index, toIndex: op.index });
      } else {
        this.skipsSeen.count++;
        if (this.skipsSeen.wantsExample) {
          this.skipsSeen.examples.push(skipExample({ process: op.process, queue, from: previous, to: offset, time: op.time, fromIndex: cursor.index, toIndex: op.index }, existing));
        }
      }
    }
    cursor.offset = offset;
    cursor.index = op.index;
  }

  /** An assign op: the process now owns `op.queues` and starts over on them. */
  assign(op: HistoryOp): void {
    this.owned.set(op.process, new Set(op.queues ?? []));
    this.cursors.get(op.process)?.clear();
  }

  private offsetsOf(queue: string): IntervalSet {
    let offsets = this.knownOffsets.get(queue);
    if (offsets === undefined) {
      offsets = new IntervalSet();
      this.knownOffsets.set(queue, offsets);
    }
    return offsets;
  }

  /** Judges the waiting gaps against every offset known by now. Read-only. */
  finish(): PollResult {
    const skipsLater = new AnomalyTally();
    for (const gap of this.gaps) {
      const existing = this.knownOffsets.get(gap.queue)?.firstIn(gap.from + 1, gap.to - 1);
      if (existing === undefined) continue;
      skipsLater.count++;
      if (skipsLater.wantsExample) skipsLater.examples.push(skipExample(gap, existing));
    }
    // Each list holds the first examples of its kind in history order; merged, the first overall.
    const examples = [...this.skipsSeen.examples, ...skipsLater.examples]
      .sort((a, b) => a.ops[1]! - b.ops[1]!)
      .slice(0, MAX_EXAMPLES);
    return {
      pollSkips: { count: this.skipsSeen.count + skipsLater.count, examples },
      nonmonotonicPolls: this.nonmonotonic.result(),
    };
  }
}

function skipExample(gap: GapCandidate, existing: number): Example {
  const skipped = gap.to - gap.from === 2 ? `offset ${gap.from + 1}` : `offsets ${gap.from + 1}..${gap.to - 1}`;
  return {
    process: gap.process,
    queue: gap.queue,
    time: gap.time,
    ops: [gap.fromIndex, gap.toIndex],
    description: `${gap.process} received ${gap.queue} offset ${gap.to} at ${formatTimestamp(gap.time)} right after offset ${gap.from}, skipping ${skipped} (offset ${existing} exists)`,
  };
}

import type { HistoryOp } from '../history.js';
import { formatDuration, formatTimestamp, type Micros } from '../time.js';
import { SignedHistogram } from './histogram.js';
import type { InFlightMessage } from './lost.js';
import { MAX_EXAMPLES, type Example } from './types.js';

export interface DelayReport {
  /** Delayed messages delivered (sends with a requested delay > 0). */
  count: number;
  /** Delivered before the requested delay had passed. */
  early: number;
  /**
   * Relative error (actual - requested) / requested: 0 = on time, 0.1 = 10% late, -0.5 = at half
   * the delay. Percentiles to 3 significant digits; min and max exact.
   */
  p50: number;
  p99: number;
  max: number;
  min: number;
  /** The largest relative errors (either side), worst first. */
  worst: Example[];
}

/** What is kept of one of the worst deliveries; its Example is built only at finish. */
interface DelaySample {
  /** |actual - requested| / requested, in parts per million. */
  score: number;
  msg: string;
  sender: string;
  receiver: string;
  queue: string | undefined;
  key: string | undefined;
  requested: Micros;
  actual: Micros;
  receiveTime: Micros;
  ops: number[];
}

const PPM = 1_000_000;

/**
 * Delay accuracy: for a send that asked for a delay, actual = first receive - send invoke, and the
 * error is (actual - requested) / requested. The error is recorded in parts per million, as an
 * integer, in a signed HDR histogram: constant memory, 3 significant digits of the ratio (exact
 * below 2048 ppm, so an on-time delivery reads exactly 0), early and late apart.
 */
export class DelayChecker {
  private readonly errors = new SignedHistogram();
  private early = 0;
  /** Up to MAX_EXAMPLES samples, sorted by score descending (ties: the earlier one first). */
  private readonly worst: DelaySample[] = [];

  /** The first delivery of a message whose send is known; ignored unless it requested a delay. */
  firstDelivery(sent: InFlightMessage, op: HistoryOp): void {
    const requested = sent.delay;
    if (requested === undefined || requested <= 0 || sent.invokeTime < 0) return;
    const actual = op.time - sent.invokeTime;
    const errorPpm = Math.round(((actual - requested) * PPM) / requested);
    this.errors.record(errorPpm);
    if (actual < requested) this.early++;
    const score = errorPpm < 0 ? -errorPpm : errorPpm;
    if (score > 0 && this.isAmongWorst(score)) {
      this.keepWorst({
        score,
        msg: sent.msg,
        sender: sent.process,
        receiver: op.process,
        queue: op.queue ?? sent.queue,
        key: sent.key,
        requested,
        actual,
        receiveTime: op.time,
        ops: [sent.invokeIndex, op.index],
      });
    }
  }

  finish(): DelayReport {
    const errors = this.errors;
    const count = errors.count;
    return {
      count,
      early: this.early,
      p50: count === 0 ? 0 : errors.valueAtPercentile(50) / PPM,
      p99: count === 0 ? 0 : errors.valueAtPercentile(99) / PPM,
      max: count === 0 ? 0 : errors.max / PPM,
      min: count === 0 ? 0 : errors.min / PPM,
      worst: this.worst.map(describe),
    };
  }

  private isAmongWorst(score: number): boolean {
    return this.worst.length < MAX_EXAMPLES || score > this.worst[this.worst.length - 1]!.score;
  }

  private keepWorst(sample: DelaySample): void {
    let at = this.worst.length;
    while (at > 0 && this.worst[at - 1]!.score < sample.score) at--;
    this.worst.splice(at, 0, sample);
    if (this.worst.length > MAX_EXAMPLES) this.worst.pop();
  }
}

function describe(sample: DelaySample): Example {
  const percent = Math.round(((sample.actual - sample.requested) * 100) / sample.requested);
  const how = percent < 0 ? `${-percent}% early` : `${percent}% late`;
  const example: Example = {
    msg: sample.msg,
    process: sample.receiver,
    time: sample.receiveTime,
    ops: sample.ops,
    description: `${sample.msg} sent by ${sample.sender} with a ${formatDuration(sample.requested)} delay, delivered to ${sample.receiver} after ${formatDuration(sample.actual)} at ${formatTimestamp(sample.receiveTime)} (${how})`,
  };
  if (sample.queue !== undefined) example.queue = sample.queue;
  if (sample.key !== undefined) example.key = sample.key;
  return example;
}

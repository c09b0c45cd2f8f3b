import type { HistoryOp } from '../history.js';
import { formatTimestamp } from '../time.js';
import type { ProducerRecord } from './producers.js';
import { AnomalyTally, type CheckResult } from './types.js';

/** The highest seq of one producer delivered so far for one (group, key), and where. */
interface KeyProgress {
  maxSeq: number;
  index: number;
}

/**
 * Per-key order: within a consumer group, one producer's messages with the same key must be
 * first-delivered in send (seq) order. A message delivered after a higher seq of the same producer
 * and key counts once. Only first deliveries to the group are passed in: a redelivery of an old
 * message is a duplicate, not a reorder.
 */
export class ReorderChecker {
  /** group -> key -> producer id -> progress. Bounded by groups x keys x producers, not messages. */
  private readonly progress = new Map<string, Map<string, Map<number, KeyProgress>>>();
  private readonly tally = new AnomalyTally();

  firstDelivery(op: HistoryOp, group: string, key: string, producer: ProducerRecord, seq: number): void {
    let byKey = this.progress.get(group);
    if (byKey === undefined) {
      byKey = new Map();
      this.progress.set(group, byKey);
    }
    let byProducer = byKey.get(key);
    if (byProducer === undefined) {
      byProducer = new Map();
      byKey.set(key, byProducer);
    }
    const seen = byProducer.get(producer.id);
    if (seen === undefined) {
      byProducer.set(producer.id, { maxSeq: seq, index: op.index });
      return;
    }
    if (seq > seen.maxSeq) {
      seen.maxSeq = seq;
      seen.index = op.index;
      return;
    }
    this.tally.count++;
    if (this.tally.wantsExample) {
      this.tally.examples.push({
        msg: op.msg!,
        process: op.process,
        ...(op.queue === undefined ? {} : { queue: op.queue }),
        key,
        time: op.time,
        ops: [seen.index, op.index],
        description: `${op.msg} (key ${key}) delivered to group ${group} at ${formatTimestamp(op.time)} after ${producer.name}-${seen.maxSeq}, which was sent later`,
      });
    }
  }

  finish(): CheckResult {
    return this.tally.result();
  }
}

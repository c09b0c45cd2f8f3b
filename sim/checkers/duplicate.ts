import type { HistoryOp } from '../history.js';
import { formatTimestamp } from '../time.js';
import { SeqSet } from './seq-set.js';
import type { ProducerRecord } from './producers.js';
import { AnomalyTally, type CheckResult } from './types.js';

/** Per consumer group: which seqs of each producer it received, and which more than once. */
interface GroupDeliveries {
  /** Indexed by ProducerRecord.id. */
  readonly received: SeqSet[];
  readonly duplicated: SeqSet[];
}

export interface DuplicateResult {
  /** count = extra deliveries (n - 1 per message per group). */
  duplicates: CheckResult;
  /** (message, group) pairs delivered more than once. */
  duplicatedMessages: number;
}

/**
 * Duplicate deliveries: a message should reach each consumer group once. Seqs are kept per
 * (group, producer) in interval sets rather than a set of ids, so a long run in order costs one
 * interval per pair.
 */
export class DuplicateChecker {
  private readonly groups = new Map<string, GroupDeliveries>();
  private readonly tally = new AnomalyTally();
  private duplicatedMessages = 0;

  /** Records a receive ok; returns true when it is the message's first delivery to `group`. */
  observe(op: HistoryOp, group: string, producer: ProducerRecord, seq: number): boolean {
    let deliveries = this.groups.get(group);
    if (deliveries === undefined) {
      deliveries = { received: [], duplicated: [] };
      this.groups.set(group, deliveries);
    }
    const received = (deliveries.received[producer.id] ??= new SeqSet());
    if (received.add(seq)) return true;

    this.tally.count++;
    const duplicated = (deliveries.duplicated[producer.id] ??= new SeqSet());
    if (duplicated.add(seq)) {
      // The first extra delivery of this (message, group): the one worth showing.
      this.duplicatedMessages++;
      if (this.tally.wantsExample) {
        const from = op.queue === undefined ? '' : ` from ${op.queue}${op.offset === undefined ? '' : ` offset ${op.offset}`}`;
        this.tally.examples.push({
          msg: op.msg!,
          process: op.process,
          ...(op.queue === undefined ? {} : { queue: op.queue }),
          ...(op.key === undefined ? {} : { key: op.key }),
          ...(op.node === undefined ? {} : { node: op.node }),
          time: op.time,
          ops: [op.index],
          description: `${op.msg} delivered a second time to group ${group} at ${formatTimestamp(op.time)} (to ${op.process}${from}${op.redelivered ? ', marked redelivered' : ''})`,
        });
      }
    }
    return false;
  }

  finish(): DuplicateResult {
    return { duplicates: this.tally.result(), duplicatedMessages: this.duplicatedMessages };
  }
}

import type { DiskFile } from '../../../sim/disk.js';
import { javaStringHashCode } from '../queue-selector.js';

/**
 * A ConsumeQueue: the index of one topic-queue, fixed 20-byte entries (commit log offset, size,
 * tag hash code) in the file `consumequeue/<topic>/<queueId>`, written by the dispatcher
 * (ReputMessageService, message-store.ts) behind the commit log. A queue offset is an index in
 * it; a pull reads it from the consumer's offset and filters by tag hash code. Its files are
 * flushed by FlushConsumeQueueService every flushIntervalConsumeQueue (flush-service.ts).
 */

export const CQ_ENTRY_BYTES = 20;

export interface CqEntry {
  readonly phy: number;
  readonly size: number;
  readonly tagsCode: number;
}

/** The tag hash code a consume queue entry keeps (0 without tags): String.hashCode of the tag. */
export function tagsCodeOf(tags: string | undefined): number {
  return tags === undefined ? 0 : javaStringHashCode(tags);
}

export class ConsumeQueue {
  constructor(readonly topic: string, readonly queueId: number, readonly file: DiskFile<CqEntry>) {}

  /** The next queue offset: how many entries the queue has (getMaxOffsetInQueue). */
  get length(): number {
    return this.file.length;
  }

  /** Appends the entry of a dispatched record (read only as a CqEntry: phy, size, tagsCode; no object per entry). */
  append(entry: CqEntry): void {
    this.file.append(entry, CQ_ENTRY_BYTES);
  }
}

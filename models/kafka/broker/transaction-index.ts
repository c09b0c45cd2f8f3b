import type { AbortedTransaction, LogRecord } from '../protocol.js';

/**
 * A partition's transaction state on a broker (KIP-98): the transactions still open on it (a
 * producer id's first transactional offset, until its COMMIT or ABORT marker) and the aborted
 * transactions' index (Kafka's `.txnindex` files: producer id, first offset, last offset = the
 * ABORT marker's). Like the producer state, it follows every append (leader and follower) and is
 * rebuilt from the records after a restart or a truncation.
 *
 * The first unstable offset is the smallest first offset of an open transaction; the last
 * stable offset (LSO) is min(high watermark, first unstable offset). READ_COMMITTED fetches
 * read below the LSO and get the aborted transactions overlapping what they read.
 */
export interface AbortedTxnEntry {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
}

export class TransactionIndex {
  /** Open transactions: producer id -> first offset of its transactional records here. */
  private readonly ongoing = new Map<number, number>();
  /** Aborted transactions, by last offset (append order). */
  readonly aborted: AbortedTxnEntry[] = [];

  update(record: LogRecord): void {
    if (record.control !== undefined) {
      const first = this.ongoing.get(record.pid);
      this.ongoing.delete(record.pid);
      if (record.control === 'ABORT' && first !== undefined) this.aborted.push({ producerId: record.pid, firstOffset: first, lastOffset: record.offset });
      return;
    }
    if (record.txn === true && !this.ongoing.has(record.pid)) this.ongoing.set(record.pid, record.offset);
  }

  /** Whether `producerId` has a transaction open on this partition. */
  isOpen(producerId: number): boolean {
    return this.ongoing.has(producerId);
  }

  /** The smallest first offset of a transaction still open here, or +Infinity. */
  get firstUnstableOffset(): number {
    let first = Number.POSITIVE_INFINITY;
    for (const offset of this.ongoing.values()) if (offset < first) first = offset;
    return first;
  }

  /** Producer ids with a transaction open here, and where it started (for reports and the drill). */
  openTransactions(): { producerId: number; firstOffset: number }[] {
    return [...this.ongoing].map(([producerId, firstOffset]) => ({ producerId, firstOffset }));
  }

  /** Aborted transactions that overlap [from, to): what a READ_COMMITTED fetch of that range is told. */
  abortedIn(from: number, to: number): AbortedTransaction[] {
    const out: AbortedTransaction[] = [];
    for (const e of this.aborted) if (e.lastOffset >= from && e.firstOffset < to) out.push({ producerId: e.producerId, firstOffset: e.firstOffset });
    return out;
  }

  clear(): void {
    this.ongoing.clear();
    this.aborted.length = 0;
  }
}

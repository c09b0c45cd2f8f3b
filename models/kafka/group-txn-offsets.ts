import type { LogRecord, TxnOffsetCommit } from './protocol.js';

/**
 * Transactional offset commits on the group coordinator's side (KIP-98, KIP-447; Kafka's
 * GroupMetadata.pendingTransactionalOffsetCommits and GroupMetadataManager.handleTxnCompletion):
 *
 * - TxnOffsetCommit writes the offsets to the group's `__consumer_offsets` partition as records of
 *   the producer's transaction (`T|group|topic-partition|offset|producerId`). They are not the
 *   group's committed offsets yet: they wait per producer id.
 * - The transaction coordinator added that partition to the transaction (AddOffsetsToTxn), so
 *   EndTxn writes the transaction's marker there too. A COMMIT marker makes the producer's pending
 *   offsets the group's committed offsets, except where a commit written after them already moved
 *   the partition on (GroupMetadata.completePendingTxnOffsetCommit keeps the newer record); an
 *   ABORT marker drops them.
 * - OffsetFetch with require_stable (what a consumer sends since KIP-447) gets
 *   UNSTABLE_OFFSET_COMMIT for a partition with a pending offset: the consumer asks again after
 *   retry.backoff.ms, so a new owner of the partition never starts from an offset a transaction
 *   in flight is about to move.
 * - A coordinator that loads the partition replays the same: offsets of producers with a marker
 *   are applied or dropped in log order; those without one stay pending.
 */

/** A pending offset, and where its record is in the offsets partition's log (append order). */
export interface PendingOffset {
  offset: number;
  order: number;
}

/** A group's pending transactional offsets: producer id -> topic-partition -> offset. */
export type PendingTxnOffsets = Map<number, Map<string, PendingOffset>>;

/** A group's committed offsets with the append order of the record that set each. */
export interface CommittedOffsets {
  offsets: Map<string, number>;
  order: Map<string, number>;
}

export function txnOffsetRecords(request: TxnOffsetCommit): { msg: string; key: string }[] {
  return request.offsets.map((o) => ({ msg: `T|${request.groupId}|${o.partition}|${o.offset}|${request.producerId}`, key: `offset:${request.groupId}:${o.partition}` }));
}

/** The written offsets wait for the producer's marker. */
export function addPending(pending: PendingTxnOffsets, producerId: number, offsets: readonly { partition: string; offset: number }[], order: number): void {
  let byPartition = pending.get(producerId);
  if (!byPartition) pending.set(producerId, (byPartition = new Map()));
  for (const o of offsets) byPartition.set(o.partition, { offset: o.offset, order });
}

/** A plain OffsetCommit's offsets, written at `order`. */
export function applyCommit(committed: CommittedOffsets, offsets: readonly { partition: string; offset: number }[], order: number): void {
  for (const o of offsets) {
    if ((committed.order.get(o.partition) ?? -1) > order) continue;
    committed.offsets.set(o.partition, o.offset);
    committed.order.set(o.partition, order);
  }
}

/** The producer's marker: COMMIT moves its pending offsets into `committed`, ABORT drops them. Returns how many moved. */
export function completeTxn(pending: PendingTxnOffsets, committed: CommittedOffsets, producerId: number, commit: boolean): number {
  const byPartition = pending.get(producerId);
  if (!byPartition) return 0;
  pending.delete(producerId);
  if (!commit) return 0;
  let applied = 0;
  for (const [partition, { offset, order }] of byPartition) {
    // A commit record written after the transactional one is newer: it stays.
    if ((committed.order.get(partition) ?? -1) > order) continue;
    committed.offsets.set(partition, offset);
    committed.order.set(partition, order);
    applied++;
  }
  return applied;
}

/** Whether any producer has a pending offset for `partition` (OffsetFetch require_stable). */
export function hasPending(pending: PendingTxnOffsets, partition: string): boolean {
  for (const byPartition of pending.values()) if (byPartition.has(partition)) return true;
  return false;
}

/**
 * Replays an offsets partition's transactional offset records and markers: committed ones into
 * `offsets` (group -> partition -> offset, which already holds the plain OffsetCommit records'
 * result, so the two are applied in log order), pending ones returned per group.
 */
export function replayTxnOffsets(records: readonly LogRecord[], offsets: Map<string, Map<string, number>>): { pending: Map<string, PendingTxnOffsets>; order: Map<string, Map<string, number>> } {
  const pendingByGroup = new Map<string, PendingTxnOffsets>();
  const orderByGroup = new Map<string, Map<string, number>>();
  const committedOf = (group: string): CommittedOffsets => {
    let map = offsets.get(group);
    if (!map) offsets.set(group, (map = new Map()));
    let order = orderByGroup.get(group);
    if (!order) orderByGroup.set(group, (order = new Map()));
    return { offsets: map, order };
  };
  // The plain commits are applied again in log order, so the two kinds interleave as written.
  for (const group of offsets.keys()) offsets.set(group, new Map());
  for (const record of records) {
    if (record.control !== undefined) {
      for (const [group, pending] of pendingByGroup) {
        if (pending.has(record.pid)) completeTxn(pending, committedOf(group), record.pid, record.control === 'COMMIT');
      }
      continue;
    }
    const msg = record.msg;
    if (msg.startsWith('O|')) {
      const [, group, tp, offset] = msg.split('|');
      applyCommit(committedOf(group!), [{ partition: tp!, offset: Number(offset) }], record.offset);
    } else if (msg.startsWith('T|')) {
      const [, group, tp, offset, pid] = msg.split('|');
      let pending = pendingByGroup.get(group!);
      if (!pending) pendingByGroup.set(group!, (pending = new Map()));
      addPending(pending, Number(pid), [{ partition: tp!, offset: Number(offset) }], record.offset);
    }
  }
  return { pending: pendingByGroup, order: orderByGroup };
}

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
 *   offsets the group's committed offsets; an ABORT marker drops them.
 * - OffsetFetch with require_stable (what a consumer sends since KIP-447) gets
 *   UNSTABLE_OFFSET_COMMIT for a partition with a pending offset: the consumer asks again after
 *   retry.backoff.ms, so a new owner of the partition never starts from an offset a transaction
 *   in flight is about to move.
 * - A coordinator that loads the partition replays the same: offsets of producers with a marker
 *   are applied or dropped in log order; those without one stay pending.
 */

/** A group's pending transactional offsets: producer id -> topic-partition -> offset. */
export type PendingTxnOffsets = Map<number, Map<string, number>>;

export function txnOffsetRecords(request: TxnOffsetCommit): { msg: string; key: string }[] {
  return request.offsets.map((o) => ({ msg: `T|${request.groupId}|${o.partition}|${o.offset}|${request.producerId}`, key: `offset:${request.groupId}:${o.partition}` }));
}

/** The written offsets wait for the producer's marker. */
export function addPending(pending: PendingTxnOffsets, producerId: number, offsets: readonly { partition: string; offset: number }[]): void {
  let byPartition = pending.get(producerId);
  if (!byPartition) pending.set(producerId, (byPartition = new Map()));
  for (const o of offsets) byPartition.set(o.partition, o.offset);
}

/** The producer's marker: COMMIT moves its pending offsets into `committed`, ABORT drops them. Returns how many moved. */
export function completeTxn(pending: PendingTxnOffsets, committed: Map<string, number>, producerId: number, commit: boolean): number {
  const byPartition = pending.get(producerId);
  if (!byPartition) return 0;
  pending.delete(producerId);
  if (!commit) return 0;
  for (const [partition, offset] of byPartition) committed.set(partition, offset);
  return byPartition.size;
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
export function replayTxnOffsets(records: readonly LogRecord[], offsets: Map<string, Map<string, number>>): Map<string, PendingTxnOffsets> {
  const pendingByGroup = new Map<string, PendingTxnOffsets>();
  for (const record of records) {
    if (record.control !== undefined) {
      for (const [group, pending] of pendingByGroup) {
        if (!pending.has(record.pid)) continue;
        let committed = offsets.get(group);
        if (!committed) offsets.set(group, (committed = new Map()));
        completeTxn(pending, committed, record.pid, record.control === 'COMMIT');
      }
      continue;
    }
    const msg = record.msg;
    if (msg.startsWith('O|')) {
      // A plain commit after a pending transactional one: the later write wins once both are applied.
      const [, group, tp, offset] = msg.split('|');
      let committed = offsets.get(group!);
      if (!committed) offsets.set(group!, (committed = new Map()));
      committed.set(tp!, Number(offset));
    } else if (msg.startsWith('T|')) {
      const [, group, tp, offset, pid] = msg.split('|');
      let pending = pendingByGroup.get(group!);
      if (!pending) pendingByGroup.set(group!, (pending = new Map()));
      addPending(pending, Number(pid), [{ partition: tp!, offset: Number(offset) }]);
    }
  }
  return pendingByGroup;
}

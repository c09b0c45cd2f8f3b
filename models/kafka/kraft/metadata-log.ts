import type { MetadataEntry } from './protocol.js';

/**
 * A controller voter's durable Raft state (KafkaRaftClient's replicated log of
 * `__cluster_metadata` and its quorum-state file: the epoch and the vote). KRaft fsyncs both
 * before they count; the model keeps them outside the actor, so they survive a crash.
 */
export interface RaftData {
  log: MetadataEntry[];
  epoch: number;
  votedFor: string | null;
}

/** The largest epoch <= `epoch` in the log and the offset where it ends (KIP-595's diverging-epoch check). */
export function endOffsetForEpoch(log: readonly MetadataEntry[], epoch: number): { epoch: number; endOffset: number } {
  let found = -1;
  for (let i = log.length - 1; i >= 0; i--) {
    if (log[i]!.epoch <= epoch) {
      found = i;
      break;
    }
  }
  if (found < 0) return { epoch: 0, endOffset: 0 };
  return { epoch: log[found]!.epoch, endOffset: found + 1 };
}

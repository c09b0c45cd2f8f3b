import type { Disk, DiskFile } from '../../../sim/disk.js';

/**
 * A partition's leader epoch cache (Kafka's LeaderEpochFileCache, KIP-101): which leader epoch
 * started at which offset, kept in the partition directory's `leader-epoch-checkpoint` file.
 * A follower asks the leader where its latest epoch ends (OffsetsForLeaderEpoch) and truncates
 * there instead of at its high watermark; `epochTruncationOffset` is that decision.
 */

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export class LeaderEpochCache {
  readonly epochs: EpochEntry[] = [];
  private file: DiskFile<EpochEntry>;

  constructor(private readonly disk: Disk, private readonly dir: string) {
    this.file = disk.file<EpochEntry>(`${dir}/leader-epoch-checkpoint`);
  }

  /** After a restart: the checkpointed entries that start at or below the recovered log end. */
  recover(logEndOffset: number): void {
    for (const entry of this.file.records) if (entry.startOffset <= logEndOffset) this.epochs.push(entry);
    this.truncateFromEnd(logEndOffset);
  }

  get latestEpoch(): number {
    return this.epochs.length === 0 ? -1 : this.epochs[this.epochs.length - 1]!.epoch;
  }

  /** Records that `epoch` starts at `startOffset` (a new leader, or the first record of an epoch). */
  assign(epoch: number, startOffset: number): void {
    if (epoch <= this.latestEpoch) return;
    const entry = { epoch, startOffset };
    this.epochs.push(entry);
    this.file.append(entry, 12);
    this.disk.fsync(undefined, [this.file]);
  }

  /**
   * OffsetsForLeaderEpoch on this log: the largest epoch <= `epoch` it knows and that epoch's
   * end offset (the start of the next epoch, or the log end for the latest); -1/-1 if none.
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    let found = -1;
    for (let i = this.epochs.length - 1; i >= 0; i--) {
      if (this.epochs[i]!.epoch <= epoch) {
        found = i;
        break;
      }
    }
    if (found < 0) return { epoch: -1, endOffset: -1 };
    const next = this.epochs[found + 1];
    return { epoch: this.epochs[found]!.epoch, endOffset: next ? next.startOffset : logEndOffset };
  }

  /** Drops the epochs that start at or after `offset` (the log was truncated there). */
  truncateFromEnd(offset: number): void {
    let keep = this.epochs.length;
    while (keep > 0 && this.epochs[keep - 1]!.startOffset >= offset) keep--;
    if (keep === this.epochs.length) return;
    this.epochs.length = keep;
    // Rewrite the checkpoint file (Kafka writes a temp file and renames it).
    this.disk.deleteFile(this.file.name);
    this.file = this.disk.file<EpochEntry>(`${this.dir}/leader-epoch-checkpoint`);
    for (const entry of this.epochs) this.file.append(entry, 12);
    this.disk.fsync(undefined, [this.file]);
  }
}

/**
 * Where a follower truncates after OffsetsForLeaderEpoch (KIP-101 with KIP-279's refinement):
 * the leader answered with the largest epoch it has at or below the follower's latest and that
 * epoch's end offset; the follower keeps the smaller of that end offset and its own end offset
 * for the same epoch. Returns -1 when the leader knows no such epoch (the caller falls back to
 * the high watermark).
 */
export function epochTruncationOffset(
  log: { endOffsetFor(epoch: number): { epoch: number; endOffset: number }; readonly logEndOffset: number },
  leaderEpoch: number, leaderEndOffset: number,
): number {
  if (leaderEpoch < 0 || leaderEndOffset < 0) return -1;
  const own = log.endOffsetFor(leaderEpoch);
  const ownEnd = own.epoch === leaderEpoch ? own.endOffset : leaderEndOffset;
  return Math.min(leaderEndOffset, ownEnd, log.logEndOffset);
}

import type { Disk, DiskFile } from '../../../sim/disk.js';
import { deliberateBug } from '../deliberate-bugs.js';

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

/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;
const UNDEFINED = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET } as const;

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
   * OffsetsForLeaderEpoch on this log (Kafka's LeaderEpochFileCache.endOffsetFor), as
   * [epoch, end offset]:
   * - the undefined epoch (-1), or an epoch above every cached one: -1/-1 (undefined);
   * - the latest epoch: it and the log end offset (the epoch is still being written);
   * - an epoch between two cached ones: the largest cached epoch at or below it, and the start
   *   offset of the first cached epoch above it;
   * - an epoch below every cached one (the leader's log holds nothing from it, e.g. it was empty
   *   when it took over): the requested epoch itself and the start offset of the first cached
   *   epoch, so the follower truncates there and replicates the leader's log from that point.
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    if (epoch === UNDEFINED_EPOCH) return UNDEFINED;
    if (this.epochs.length > 0 && epoch === this.latestEpoch) return { epoch, endOffset: logEndOffset };
    let higher = -1;
    for (let i = 0; i < this.epochs.length; i++) {
      if (this.epochs[i]!.epoch > epoch) {
        higher = i;
        break;
      }
    }
    if (higher < 0) return UNDEFINED;
    if (deliberateBug('epoch-below-first-undefined') && higher === 0) return UNDEFINED;
    const startOfHigher = this.epochs[higher]!.startOffset;
    if (higher === 0) return { epoch, endOffset: startOfHigher };
    return { epoch: this.epochs[higher - 1]!.epoch, endOffset: startOfHigher };
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
 * Where a follower truncates after the leader's OffsetsForLeaderEpoch answer (Kafka's
 * AbstractFetcherThread.getOffsetTruncationState, KIP-101 with KIP-279), given its own log:
 * - the leader's end offset is undefined: `undefined` (the caller truncates to its high watermark);
 * - the follower knows no epoch at or below the one answered: the smaller of the leader's end
 *   offset and its own log end, done;
 * - its largest epoch at or below the answered one is another epoch (it never saw the answered
 *   one): its own end of that epoch, not done (ask the leader again with the new latest epoch);
 * - the same epoch: the smallest of the leader's end offset, its own end of the epoch and its
 *   log end, done.
 */
export function epochTruncationOffset(
  log: { endOffsetFor(epoch: number): { epoch: number; endOffset: number }; readonly logEndOffset: number },
  leaderEpoch: number, leaderEndOffset: number,
): { offset: number; done: boolean } | undefined {
  if (leaderEndOffset === UNDEFINED_EPOCH_OFFSET) return undefined;
  if (leaderEpoch === UNDEFINED_EPOCH) return { offset: Math.min(leaderEndOffset, log.logEndOffset), done: true };
  const own = log.endOffsetFor(leaderEpoch);
  if (own.endOffset === UNDEFINED_EPOCH_OFFSET) return { offset: Math.min(leaderEndOffset, log.logEndOffset), done: true };
  if (own.epoch !== leaderEpoch) return { offset: Math.min(own.endOffset, log.logEndOffset), done: false };
  return { offset: Math.min(leaderEndOffset, own.endOffset, log.logEndOffset), done: true };
}

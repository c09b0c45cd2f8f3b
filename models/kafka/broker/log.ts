import type { Disk, DiskFile } from '../../../sim/disk.js';
import { RECORD_OVERHEAD, type LogRecord } from '../protocol.js';
import { LeaderEpochCache, type EpochEntry } from './leader-epoch-cache.js';
import { ProducerStateManager } from './producer-state-manager.js';
import { TransactionIndex } from './transaction-index.js';

export { epochTruncationOffset, type EpochEntry } from './leader-epoch-cache.js';
export { PRODUCER_BATCHES_KEPT, type ProducerEntry } from './producer-state-manager.js';

/**
 * A partition's log on a broker's disk, as Kafka lays it out: a directory `<topic>-<partition>/`
 * of segments named by their base offset in 20 digits (`00000000000000000000.log`), each with a
 * sparse offset index (`.index`, one entry every `index.interval.bytes` of log) and time index
 * (`.timeindex`: the segment's largest timestamp so far and its offset, written with the offset
 * index entries when it grew), the active
 * segment rolled once it would pass `log.segment.bytes`, and a `leader-epoch-checkpoint` file
 * (epoch -> start offset, KIP-101; leader-epoch-cache.ts). The producer state of idempotent
 * producers (producer-state-manager.ts) is rebuilt from the records. Records go to the page cache (ctx.disk); only fsync or the
 * OS writeback makes them survive a machine crash, and `recover` rebuilds the log from what
 * the disk kept.
 *
 * Record offsets are contiguous (no compaction), so a record's position in its segment file is
 * `offset - baseOffset`; lookups still go through the sparse index and scan forward from the
 * entry found, as Kafka does, so the index is exercised and tested.
 */

export interface IndexEntry {
  /** Offset relative to the segment's base offset. */
  relativeOffset: number;
  /** Position (record index) in the segment file. */
  position: number;
}

export interface TimeIndexEntry {
  /** The largest timestamp in the segment up to this entry. */
  timestamp: number;
  relativeOffset: number;
}

export interface Segment {
  baseOffset: number;
  log: DiskFile<LogRecord>;
  index: DiskFile<IndexEntry>;
  timeIndex: DiskFile<TimeIndexEntry>;
  bytesSinceIndex: number;
  /** Largest record timestamp in the segment, and the offset that has it. */
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
}

export interface LogConfig {
  segmentBytes: number;
  indexIntervalBytes: number;
}

export function segmentName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0');
}

export interface LogStats {
  segmentsRolled: number;
  segmentsDeleted: number;
}

export class PartitionLog {
  readonly segments: Segment[] = [];
  logStartOffset = 0;
  logEndOffset = 0;
  /** The leader epoch cache (leader-epoch-checkpoint). */
  private readonly epochCache: LeaderEpochCache;
  /** Idempotent producers' last sequences on this partition. */
  readonly producers = new ProducerStateManager();
  /** Open and aborted transactions on this partition (transaction-index.ts). */
  readonly txns = new TransactionIndex();
  private unflushed = 0;

  constructor(
    private readonly disk: Disk,
    readonly dir: string,
    private readonly config: LogConfig,
    private readonly stats: LogStats,
  ) {
    this.epochCache = new LeaderEpochCache(disk, dir);
  }

  /** Builds the log from the files on disk (after a restart: what the crash left). */
  static recover(disk: Disk, dir: string, config: LogConfig, stats: LogStats): PartitionLog {
    const log = new PartitionLog(disk, dir, config, stats);
    const prefix = `${dir}/`;
    const bases = disk.fileNames()
      .filter((f) => f.startsWith(prefix) && f.endsWith('.log'))
      .map((f) => Number.parseInt(f.slice(prefix.length, -4), 10))
      .sort((a, b) => a - b);
    let expected = -1;
    for (const base of bases) {
      const file = disk.file<LogRecord>(`${prefix}${segmentName(base)}.log`);
      const index = disk.file<IndexEntry>(`${prefix}${segmentName(base)}.index`);
      const timeIndex = disk.file<TimeIndexEntry>(`${prefix}${segmentName(base)}.timeindex`);
      if (expected >= 0 && base !== expected) {
        // A gap: an earlier segment lost its tail in the crash; what follows is not usable.
        disk.deleteFile(file.name);
        disk.deleteFile(index.name);
        disk.deleteFile(timeIndex.name);
        continue;
      }
      // The indexes may point past what the log kept: drop those entries (Kafka rebuilds them).
      let keep = index.length;
      while (keep > 0 && index.records[keep - 1]!.position >= file.length) keep--;
      index.truncate(keep);
      keep = timeIndex.length;
      while (keep > 0 && timeIndex.records[keep - 1]!.relativeOffset >= file.length) keep--;
      timeIndex.truncate(keep);
      const segment: Segment = { baseOffset: base, log: file, index, timeIndex, bytesSinceIndex: 0, maxTimestamp: -1, offsetOfMaxTimestamp: -1 };
      for (const record of file.records) {
        if (record.time > segment.maxTimestamp) {
          segment.maxTimestamp = record.time;
          segment.offsetOfMaxTimestamp = record.offset;
        }
      }
      log.segments.push(segment);
      expected = base + file.length;
    }
    if (log.segments.length > 0) {
      log.logStartOffset = log.segments[0]!.baseOffset;
      log.logEndOffset = expected;
    }
    log.epochCache.recover(log.logEndOffset);
    for (const segment of log.segments) {
      for (const record of segment.log.records) {
        log.producers.update(record);
        log.txns.update(record);
      }
    }
    return log;
  }

  get active(): Segment | undefined {
    return this.segments[this.segments.length - 1];
  }

  get latestEpoch(): number {
    return this.epochCache.latestEpoch;
  }

  /** The leader epochs and their start offsets, oldest first. */
  get epochs(): readonly EpochEntry[] {
    return this.epochCache.epochs;
  }

  get sizeBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.log.bytes;
    return total;
  }

  /** Appends records whose offsets are logEndOffset, +1, ...; returns how many (throws DiskFullError). */
  append(records: readonly LogRecord[]): void {
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const size = record.bytes + RECORD_OVERHEAD;
      let segment = this.active;
      if (segment === undefined || (segment.log.length > 0 && segment.log.bytes + size > this.config.segmentBytes)) {
        segment = this.roll(record.offset);
      }
      const position = segment.log.append(record, size);
      if (record.time > segment.maxTimestamp) {
        segment.maxTimestamp = record.time;
        segment.offsetOfMaxTimestamp = record.offset;
      }
      if (segment.bytesSinceIndex >= this.config.indexIntervalBytes) {
        const relativeOffset = record.offset - segment.baseOffset;
        segment.index.append({ relativeOffset, position }, 8);
        // The time index gets an entry when the segment's largest timestamp grew since the last one.
        const lastTime = segment.timeIndex.records[segment.timeIndex.length - 1];
        if (lastTime === undefined || segment.maxTimestamp > lastTime.timestamp) {
          segment.timeIndex.append({ timestamp: segment.maxTimestamp, relativeOffset: segment.offsetOfMaxTimestamp - segment.baseOffset }, 12);
        }
        segment.bytesSinceIndex = 0;
      }
      segment.bytesSinceIndex += size;
      this.logEndOffset = record.offset + 1;
      if (record.epoch > this.latestEpoch) this.assignEpoch(record.epoch, record.offset);
      this.producers.update(record);
      this.txns.update(record);
    }
    this.unflushed += records.length;
  }

  /** Records appended since the last flush() call. */
  get unflushedRecords(): number {
    return this.unflushed;
  }

  /** fsyncs the log's files (log.flush.interval.messages). */
  flush(done?: () => void): void {
    this.unflushed = 0;
    const files: DiskFile<unknown>[] = [];
    for (const s of this.segments) files.push(s.log, s.index, s.timeIndex);
    this.disk.fsync(done, files);
  }

  private roll(baseOffset: number): Segment {
    const name = `${this.dir}/${segmentName(baseOffset)}`;
    const segment: Segment = {
      baseOffset,
      log: this.disk.file<LogRecord>(`${name}.log`),
      index: this.disk.file<IndexEntry>(`${name}.index`),
      timeIndex: this.disk.file<TimeIndexEntry>(`${name}.timeindex`),
      bytesSinceIndex: 0,
      maxTimestamp: -1,
      offsetOfMaxTimestamp: -1,
    };
    if (this.segments.length > 0) this.stats.segmentsRolled++;
    this.segments.push(segment);
    if (this.segments.length === 1) this.logStartOffset = baseOffset;
    return segment;
  }

  /** The segment holding `offset` (binary search on base offsets), or undefined. */
  segmentFor(offset: number): Segment | undefined {
    const segments = this.segments;
    let low = 0;
    let high = segments.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (segments[mid]!.baseOffset <= offset) {
        found = mid;
        low = mid + 1;
      } else high = mid - 1;
    }
    return found < 0 ? undefined : segments[found];
  }

  /**
   * Where `offset` sits: its segment, the index entry the search starts from (the largest
   * entry at or below it) and the record's position, found by scanning from that entry.
   */
  lookup(offset: number): { segment: Segment; entry: IndexEntry | undefined; position: number } | undefined {
    if (offset < this.logStartOffset || offset >= this.logEndOffset) return undefined;
    const segment = this.segmentFor(offset);
    if (!segment) return undefined;
    const relative = offset - segment.baseOffset;
    const entries = segment.index.records;
    let low = 0;
    let high = entries.length - 1;
    let entry: IndexEntry | undefined;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (entries[mid]!.relativeOffset <= relative) {
        entry = entries[mid];
        low = mid + 1;
      } else high = mid - 1;
    }
    let position = entry ? entry.position : 0;
    const records = segment.log.records;
    while (position < records.length && records[position]!.offset < offset) position++;
    return { segment, entry, position };
  }

  /**
   * ListOffsets by timestamp: the first offset below `upTo` whose record timestamp is at or
   * after `timestamp`, or -1. Finds the first segment whose largest timestamp reaches it, then
   * starts from the time index's last entry below the timestamp and scans forward.
   */
  offsetForTimestamp(timestamp: number, upTo: number): number {
    for (const segment of this.segments) {
      if (segment.maxTimestamp < timestamp) continue;
      const entries = segment.timeIndex.records;
      let start = 0;
      for (let i = entries.length - 1; i >= 0; i--) {
        if (entries[i]!.timestamp < timestamp) {
          start = entries[i]!.relativeOffset + 1;
          break;
        }
      }
      const records = segment.log.records;
      for (let position = start; position < records.length; position++) {
        const record = records[position]!;
        if (record.offset >= upTo) return -1;
        if (record.time >= timestamp) return record.offset;
      }
    }
    return -1;
  }

  /** Records from `from` up to (not including) `upTo`, at most `maxBytes` (at least one record). */
  read(from: number, upTo: number, maxBytes: number): LogRecord[] {
    const out: LogRecord[] = [];
    if (from >= upTo) return out;
    const found = this.lookup(from);
    if (!found) return out;
    let segmentIndex = this.segments.indexOf(found.segment);
    let position = found.position;
    let bytes = 0;
    let offset = from;
    while (offset < upTo && segmentIndex < this.segments.length) {
      const records = this.segments[segmentIndex]!.log.records;
      if (position >= records.length) {
        segmentIndex++;
        position = 0;
        continue;
      }
      const record = records[position++]!;
      if (out.length > 0 && bytes + record.bytes > maxBytes) break;
      out.push(record);
      bytes += record.bytes + RECORD_OVERHEAD;
      offset = record.offset + 1;
    }
    return out;
  }

  /** The record at `offset`, if the log has it. */
  recordAt(offset: number): LogRecord | undefined {
    const found = this.lookup(offset);
    return found ? found.segment.log.records[found.position] : undefined;
  }

  /** Removes every record at or above `offset`; returns how many were removed. */
  truncateTo(offset: number): number {
    if (offset >= this.logEndOffset) return 0;
    const removed = this.logEndOffset - Math.max(offset, this.logStartOffset);
    while (this.segments.length > 0 && this.active!.baseOffset >= offset && this.segments.length > 1) {
      const segment = this.segments.pop()!;
      this.deleteSegment(segment);
    }
    const active = this.active;
    if (active) {
      const keep = Math.max(0, offset - active.baseOffset);
      active.log.truncate(keep);
      let entries = active.index.length;
      while (entries > 0 && active.index.records[entries - 1]!.position >= keep) entries--;
      active.index.truncate(entries);
      entries = active.timeIndex.length;
      while (entries > 0 && active.timeIndex.records[entries - 1]!.relativeOffset >= keep) entries--;
      active.timeIndex.truncate(entries);
      active.maxTimestamp = -1;
      active.offsetOfMaxTimestamp = -1;
      for (const record of active.log.records) {
        if (record.time > active.maxTimestamp) {
          active.maxTimestamp = record.time;
          active.offsetOfMaxTimestamp = record.offset;
        }
      }
    }
    this.logEndOffset = Math.max(offset, this.logStartOffset);
    this.epochCache.truncateFromEnd(this.logEndOffset);
    this.rebuildProducers();
    return removed;
  }

  /** Drops the whole log and restarts it empty at `offset` (a follower behind the leader's log start). */
  truncateFullyAndStartAt(offset: number): number {
    const removed = this.logEndOffset - this.logStartOffset;
    for (const segment of this.segments) this.deleteSegment(segment);
    this.segments.length = 0;
    this.logStartOffset = offset;
    this.logEndOffset = offset;
    this.epochCache.truncateFromEnd(0);
    this.producers.clear();
    this.txns.clear();
    return removed;
  }

  private deleteSegment(segment: Segment): void {
    this.disk.deleteFile(segment.log.name);
    this.disk.deleteFile(segment.index.name);
    this.disk.deleteFile(segment.timeIndex.name);
  }

  // ---------------------------------------------------------------- leader epochs (KIP-101)

  /** Records that `epoch` starts at `startOffset` (a new leader, or the first record of an epoch). */
  assignEpoch(epoch: number, startOffset: number): void {
    this.epochCache.assign(epoch, startOffset);
  }

  /** OffsetsForLeaderEpoch on this log (LeaderEpochCache.endOffsetFor with this log's end). */
  endOffsetFor(epoch: number): { epoch: number; endOffset: number } {
    return this.epochCache.endOffsetFor(epoch, this.logEndOffset);
  }

  private rebuildProducers(): void {
    this.producers.clear();
    this.txns.clear();
    for (const segment of this.segments) {
      for (const record of segment.log.records) {
        this.producers.update(record);
        this.txns.update(record);
      }
    }
  }

  // ---------------------------------------------------------------- retention

  /**
   * Deletes closed segments by time (newest record older than `retentionMs`) and by size
   * (oldest first while the log is larger than `retentionBytes`), never the active one, and
   * never past `upTo` (the high watermark). Returns the number deleted.
   */
  applyRetention(now: number, retentionMs: number, retentionBytes: number, upTo: number): number {
    let deleted = 0;
    let size = this.sizeBytes;
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const next = this.segments[1]!;
      if (next.baseOffset > upTo) break;
      // Time retention looks at the segment's largest timestamp (CreateTime).
      const expired = retentionMs >= 0 && oldest.maxTimestamp >= 0 && now - oldest.maxTimestamp > retentionMs * 1_000;
      const oversize = retentionBytes >= 0 && size - oldest.log.bytes >= retentionBytes;
      if (!expired && !oversize) break;
      size -= oldest.log.bytes;
      this.segments.shift();
      this.deleteSegment(oldest);
      this.logStartOffset = next.baseOffset;
      deleted++;
    }
    this.stats.segmentsDeleted += deleted;
    return deleted;
  }
}

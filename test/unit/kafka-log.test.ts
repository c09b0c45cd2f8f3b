import { describe, expect, it } from 'vitest';
import { Disk } from '../../sim/disk.js';
import { LeaderEpochCache } from '../../models/kafka/broker/leader-epoch-cache.js';
import { epochTruncationOffset, PartitionLog, PRODUCER_BATCHES_KEPT, segmentName } from '../../models/kafka/broker/log.js';
import type { LogRecord } from '../../models/kafka/protocol.js';

/** A disk with an fsync that completes when `flush()` is called, and a clock we move by hand. */
function testDisk() {
  const pending: (() => void)[] = [];
  let now = 0;
  const disk = new Disk({ fsyncLatency: () => 1_000, policy: { kind: 'os', writebackEvery: 5_000_000, expireAfter: 30_000_000 }, capacity: Number.POSITIVE_INFINITY });
  disk.attach({ nodeName: 'broker-1', now: () => now, schedule: (_delay, fn) => pending.push(fn) });
  return {
    disk,
    flush: () => pending.splice(0).forEach((fn) => fn()),
    advance: (micros: number) => { now += micros; },
  };
}

const stats = () => ({ segmentsRolled: 0, segmentsDeleted: 0 });

function records(from: number, count: number, epoch: number, bytes = 100, tag = 'm'): LogRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    offset: from + i, epoch, msg: `${tag}-${from + i}`, key: undefined, bytes, pid: -1, seq: -1, batchFirst: -1, last: true, time: 0,
  }));
}

describe('kafka log: segments and index', () => {
  it('names segments by their 20-digit base offset and rolls at log.segment.bytes', () => {
    const { disk } = testDisk();
    const s = stats();
    // 100-byte records + 20 bytes overhead = 120 bytes; 1000-byte segments hold 8 records.
    const log = new PartitionLog(disk, 'orders-0', { segmentBytes: 1_000, indexIntervalBytes: 4_096 }, s);
    log.append(records(0, 20, 0));
    expect(segmentName(0)).toBe('00000000000000000000');
    expect(segmentName(123)).toBe('00000000000000000123');
    expect(log.segments.map((seg) => seg.baseOffset)).toEqual([0, 8, 16]);
    expect(disk.fileNames().filter((f) => f.endsWith('.log'))).toEqual([
      'orders-0/00000000000000000000.log', 'orders-0/00000000000000000008.log', 'orders-0/00000000000000000016.log',
    ]);
    expect(s.segmentsRolled).toBe(2);
    expect(log.logEndOffset).toBe(20);
  });

  it('writes a sparse index entry every index.interval.bytes and finds offsets through it', () => {
    const { disk } = testDisk();
    const log = new PartitionLog(disk, 'orders-0', { segmentBytes: 1_000_000, indexIntervalBytes: 1_000 }, stats());
    log.append(records(0, 100, 0));
    const segment = log.segments[0]!;
    // An entry once more than 1000 bytes (9 records of 120) were written since the last one.
    expect(segment.index.records.slice(0, 3)).toEqual([
      { relativeOffset: 9, position: 9 }, { relativeOffset: 18, position: 18 }, { relativeOffset: 27, position: 27 },
    ]);
    const found = log.lookup(40)!;
    expect(found.entry).toEqual({ relativeOffset: 36, position: 36 });
    expect(found.position).toBe(40);
    expect(log.recordAt(40)!.msg).toBe('m-40');
    expect(log.lookup(100)).toBeUndefined();
    expect(log.read(95, 100, 1_000_000).map((r) => r.offset)).toEqual([95, 96, 97, 98, 99]);
    // read() stops at the upper bound (the HW for consumers) and at maxBytes (at least one record).
    expect(log.read(10, 12, 1_000_000).map((r) => r.offset)).toEqual([10, 11]);
    expect(log.read(10, 100, 1).map((r) => r.offset)).toEqual([10]);
  });

  it('keeps a sparse time index and finds the first offset at or after a timestamp', () => {
    const { disk } = testDisk();
    const log = new PartitionLog(disk, 'orders-0', { segmentBytes: 2_400, indexIntervalBytes: 500 }, stats());
    // 100 records, one every 10 ms (CreateTime in microseconds), 20 per segment.
    log.append(records(0, 100, 0).map((r) => ({ ...r, time: 1_000_000 + r.offset * 10_000 })));
    expect(disk.hasFile('orders-0/00000000000000000020.timeindex')).toBe(true);
    const segment = log.segments[1]!;
    expect(segment.maxTimestamp).toBe(1_000_000 + 39 * 10_000);
    // An entry with each offset index entry (every 5 records): the largest timestamp so far and its offset.
    expect(segment.timeIndex.records[0]).toEqual({ timestamp: 1_000_000 + 25 * 10_000, relativeOffset: 5 });
    expect(log.offsetForTimestamp(1_000_000 + 37 * 10_000, 100)).toBe(37);
    expect(log.offsetForTimestamp(1_000_000 + 37 * 10_000 - 1, 100)).toBe(37);
    expect(log.offsetForTimestamp(0, 100)).toBe(0);
    expect(log.offsetForTimestamp(1_000_000 + 99 * 10_000 + 1, 100)).toBe(-1);
    // Not past the high watermark.
    expect(log.offsetForTimestamp(1_000_000 + 90 * 10_000, 80)).toBe(-1);
  });

  it('reads across segment boundaries and truncates whole segments away', () => {
    const { disk } = testDisk();
    const log = new PartitionLog(disk, 'orders-0', { segmentBytes: 1_000, indexIntervalBytes: 300 }, stats());
    log.append(records(0, 20, 0));
    expect(log.read(6, 20, 1_000_000).map((r) => r.offset)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(log.truncateTo(7)).toBe(13);
    expect(log.logEndOffset).toBe(7);
    expect(log.segments.map((s) => s.baseOffset)).toEqual([0]);
    expect(disk.hasFile('orders-0/00000000000000000008.log')).toBe(false);
    expect(log.segments[0]!.index.records.every((e) => e.position < 7)).toBe(true);
    log.append(records(7, 3, 1, 100, 'n'));
    expect(log.recordAt(7)!.msg).toBe('n-7');
  });

  it('retention deletes the oldest closed segments by size, never the active one', () => {
    const { disk } = testDisk();
    const s = stats();
    const log = new PartitionLog(disk, 'orders-0', { segmentBytes: 1_000, indexIntervalBytes: 4_096 }, s);
    log.append(records(0, 40, 0));
    expect(log.segments.length).toBe(5);
    // 5 segments of 960 bytes; a segment goes while the log stays >= 2000 bytes without it.
    expect(log.applyRetention(0, -1, 2_000, 40)).toBe(2);
    expect(log.logStartOffset).toBe(16);
    expect(log.segments.map((seg) => seg.baseOffset)).toEqual([16, 24, 32]);
    expect(log.lookup(10)).toBeUndefined();
    expect(s.segmentsDeleted).toBe(2);
    // Never the active segment, and never above the high watermark.
    expect(log.applyRetention(0, -1, 0, 30)).toBe(1);
    expect(log.segments.map((seg) => seg.baseOffset)).toEqual([24, 32]);
    expect(log.applyRetention(0, -1, 0, 40)).toBe(1);
    expect(log.segments.map((seg) => seg.baseOffset)).toEqual([32]);
  });
});

describe('kafka log: crash recovery', () => {
  it('recovers the durable prefix: fsynced records survive a machine crash, the page cache does not', () => {
    const { disk, flush } = testDisk();
    const log = new PartitionLog(disk, 'orders-0', { segmentBytes: 1_000, indexIntervalBytes: 300 }, stats());
    log.append(records(0, 12, 0));
    log.flush();
    flush();
    log.append(records(12, 10, 0));
    disk.crash(false);
    const recovered = PartitionLog.recover(disk, 'orders-0', { segmentBytes: 1_000, indexIntervalBytes: 300 }, stats());
    expect(recovered.logEndOffset).toBe(12);
    expect(recovered.read(0, 12, 1_000_000).map((r) => r.msg)).toEqual(records(0, 12, 0).map((r) => r.msg));
    expect(recovered.segments.map((s) => s.baseOffset)).toEqual([0, 8]);
    // The index never points past the log after recovery.
    for (const s of recovered.segments) for (const e of s.index.records) expect(e.position).toBeLessThan(s.log.length);
  });

  it('keeps everything when the machine stays up (process kill) and drops segments after a gap', () => {
    const { disk } = testDisk();
    const log = new PartitionLog(disk, 'orders-0', { segmentBytes: 1_000, indexIntervalBytes: 300 }, stats());
    log.append(records(0, 20, 0));
    disk.crash(true);
    expect(PartitionLog.recover(disk, 'orders-0', { segmentBytes: 1_000, indexIntervalBytes: 300 }, stats()).logEndOffset).toBe(20);
  });

  it('recovers the leader-epoch cache and producer state', () => {
    const { disk, flush } = testDisk();
    const log = new PartitionLog(disk, 'orders-0', { segmentBytes: 100_000, indexIntervalBytes: 4_096 }, stats());
    log.append(records(0, 5, 0));
    log.append(records(5, 5, 3));
    log.append([{ offset: 10, epoch: 3, msg: 'p', key: undefined, bytes: 10, pid: 7, seq: 0, batchFirst: 0, last: true, time: 0 }]);
    log.flush();
    flush();
    disk.crash(false);
    const recovered = PartitionLog.recover(disk, 'orders-0', { segmentBytes: 100_000, indexIntervalBytes: 4_096 }, stats());
    expect(recovered.epochs).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 3, startOffset: 5 }]);
    expect(recovered.producers.get(7)).toEqual({ epoch: 0, lastSeq: 0, batches: [{ first: 0, last: 0, lastOffset: 10 }] });
  });
});

describe('kafka log: leader epochs and truncation', () => {
  /**
   * A hand-built divergence (KIP-101's second scenario): offsets 0-4 written in epoch 0 and
   * replicated; then the follower got 5-6 from a leader of epoch 1 that died, while the new
   * leader (epoch 2) wrote different records at 5-7.
   */
  function divergence() {
    const { disk } = testDisk();
    const { disk: disk2 } = testDisk();
    const leader = new PartitionLog(disk, 'orders-0', { segmentBytes: 100_000, indexIntervalBytes: 4_096 }, stats());
    const follower = new PartitionLog(disk2, 'orders-0', { segmentBytes: 100_000, indexIntervalBytes: 4_096 }, stats());
    leader.append(records(0, 5, 0));
    follower.append(records(0, 5, 0));
    follower.append(records(5, 2, 1, 100, 'old'));
    leader.assignEpoch(2, 5);
    leader.append(records(5, 3, 2, 100, 'new'));
    return { leader, follower };
  }

  it('OffsetsForLeaderEpoch answers the end of the largest epoch at or below the one asked', () => {
    const { leader } = divergence();
    expect(leader.endOffsetFor(0)).toEqual({ epoch: 0, endOffset: 5 });
    expect(leader.endOffsetFor(1)).toEqual({ epoch: 0, endOffset: 5 });
    expect(leader.endOffsetFor(2)).toEqual({ epoch: 2, endOffset: 8 });
    expect(leader.endOffsetFor(-1)).toEqual({ epoch: -1, endOffset: -1 });
  });

  describe('the epoch cache lookup (LeaderEpochFileCache.endOffsetFor), branch by branch', () => {
    // Epochs 2 from offset 10, 4 from 30, 7 from 50; log end 80.
    function cache(): LeaderEpochCache {
      const c = new LeaderEpochCache(testDisk().disk, 'orders-0');
      c.assign(2, 10);
      c.assign(4, 30);
      c.assign(7, 50);
      return c;
    }
    it('the undefined epoch: undefined', () => {
      expect(cache().endOffsetFor(-1, 80)).toEqual({ epoch: -1, endOffset: -1 });
    });
    it('the latest epoch: it, and the log end offset', () => {
      expect(cache().endOffsetFor(7, 80)).toEqual({ epoch: 7, endOffset: 80 });
    });
    it('a cached epoch that is not the latest: it, and the next epoch\'s start', () => {
      expect(cache().endOffsetFor(4, 80)).toEqual({ epoch: 4, endOffset: 50 });
    });
    it('between two cached epochs: the one below, and the start of the one above', () => {
      expect(cache().endOffsetFor(5, 80)).toEqual({ epoch: 4, endOffset: 50 });
      expect(cache().endOffsetFor(3, 80)).toEqual({ epoch: 2, endOffset: 30 });
    });
    it('below the first cached epoch: the requested epoch, and the first epoch\'s start offset', () => {
      expect(cache().endOffsetFor(1, 80)).toEqual({ epoch: 1, endOffset: 10 });
      expect(cache().endOffsetFor(0, 80)).toEqual({ epoch: 0, endOffset: 10 });
    });
    it('above the last cached epoch: undefined', () => {
      expect(cache().endOffsetFor(8, 80)).toEqual({ epoch: -1, endOffset: -1 });
    });
    it('an empty cache: undefined for any epoch', () => {
      const c = new LeaderEpochCache(testDisk().disk, 'orders-0');
      expect(c.endOffsetFor(0, 0)).toEqual({ epoch: -1, endOffset: -1 });
      expect(c.endOffsetFor(3, 0)).toEqual({ epoch: -1, endOffset: -1 });
    });
  });

  describe('the follower\'s truncation (AbstractFetcherThread.getOffsetTruncationState), branch by branch', () => {
    /** A follower log whose epochs are 0 from 0 and 3 from 5, log end 9. */
    function follower() {
      const log = new PartitionLog(testDisk().disk, 'orders-0', { segmentBytes: 100_000, indexIntervalBytes: 4_096 }, stats());
      log.append(records(0, 5, 0));
      log.append(records(5, 4, 3));
      return log;
    }
    it('the leader\'s end offset is undefined: no answer (the caller truncates to its high watermark)', () => {
      expect(epochTruncationOffset(follower(), -1, -1)).toBeUndefined();
    });
    it('the same epoch: the smallest of the leader\'s end, its own end of that epoch and its log end', () => {
      expect(epochTruncationOffset(follower(), 3, 7)).toEqual({ offset: 7, done: true });
      expect(epochTruncationOffset(follower(), 3, 20)).toEqual({ offset: 9, done: true });
      expect(epochTruncationOffset(follower(), 0, 4)).toEqual({ offset: 4, done: true });
    });
    it('an epoch it never saw: truncate to the end of its epoch below it and ask again', () => {
      // Epoch 2 is unknown here; its largest epoch at or below 2 is 0, which ends at 5.
      expect(epochTruncationOffset(follower(), 2, 8)).toEqual({ offset: 5, done: false });
    });
    it('an epoch below all of its own: the start of its first epoch (it holds nothing that old)', () => {
      const log = new PartitionLog(testDisk().disk, 'orders-0', { segmentBytes: 100_000, indexIntervalBytes: 4_096 }, stats());
      log.append(records(4, 6, 5));
      expect(epochTruncationOffset(log, 2, 7)).toEqual({ offset: 4, done: true });
    });
    it('its own lookup is undefined (no epochs, or the answer is above its latest): the leader\'s end, capped by its log end', () => {
      const empty = new PartitionLog(testDisk().disk, 'orders-0', { segmentBytes: 100_000, indexIntervalBytes: 4_096 }, stats());
      expect(epochTruncationOffset(empty, 2, 3)).toEqual({ offset: 0, done: true });
      expect(epochTruncationOffset(follower(), 5, 7)).toEqual({ offset: 7, done: true });
      expect(epochTruncationOffset(follower(), 5, 30)).toEqual({ offset: 9, done: true });
    });
    it('a leader that took over with an empty log: the follower truncates to the leader\'s first epoch start', () => {
      // The follower wrote offsets 0-5 in epoch 1; the new leader (epoch 2) began at offset 0.
      const leader = new LeaderEpochCache(testDisk().disk, 'orders-0');
      leader.assign(2, 0);
      const log = new PartitionLog(testDisk().disk, 'orders-0', { segmentBytes: 100_000, indexIntervalBytes: 4_096 }, stats());
      log.append(records(0, 6, 1));
      const answer = leader.endOffsetFor(log.latestEpoch, 3);
      expect(answer).toEqual({ epoch: 1, endOffset: 0 });
      expect(epochTruncationOffset(log, answer.epoch, answer.endOffset)).toEqual({ offset: 0, done: true });
    });
  });

  it('leader-epoch truncation removes exactly the divergent suffix; the logs then match', () => {
    const { leader, follower } = divergence();
    const answer = leader.endOffsetFor(follower.latestEpoch);
    const to = epochTruncationOffset(follower, answer.epoch, answer.endOffset);
    expect(to).toEqual({ offset: 5, done: true });
    expect(follower.truncateTo(to!.offset)).toBe(2);
    follower.append(leader.read(follower.logEndOffset, leader.logEndOffset, 1_000_000));
    expect(follower.read(0, 8, 1_000_000).map((r) => r.msg)).toEqual(leader.read(0, 8, 1_000_000).map((r) => r.msg));
    expect(follower.epochs).toEqual(leader.epochs);
  });

  it('high-watermark truncation keeps the divergent records when the follower\'s HW is past them', () => {
    const { leader, follower } = divergence();
    // The follower's HW was 7 (the dead epoch-1 leader had committed 5 and 6): it truncates to 7, i.e. nothing,
    // and fetches from 7 on: offsets 5 and 6 now differ between the replicas (log divergence).
    follower.truncateTo(7);
    follower.append(leader.read(follower.logEndOffset, leader.logEndOffset, 1_000_000));
    expect(follower.logEndOffset).toBe(8);
    expect(follower.recordAt(5)!.msg).toBe('old-5');
    expect(leader.recordAt(5)!.msg).toBe('new-5');
  });

  it('keeps the last five batches per producer id for duplicate detection', () => {
    const { disk } = testDisk();
    const log = new PartitionLog(disk, 'orders-0', { segmentBytes: 100_000, indexIntervalBytes: 4_096 }, stats());
    for (let b = 0; b < 7; b++) {
      log.append([0, 1].map((i) => ({
        offset: b * 2 + i, epoch: 0, msg: `x-${b * 2 + i}`, key: undefined, bytes: 10, pid: 3, seq: b * 2 + i, batchFirst: b * 2, last: i === 1, time: 0,
      })));
    }
    const entry = log.producers.get(3)!;
    expect(entry.lastSeq).toBe(13);
    expect(entry.batches.length).toBe(PRODUCER_BATCHES_KEPT);
    expect(entry.batches[0]).toEqual({ first: 4, last: 5, lastOffset: 5 });
    log.truncateTo(10);
    expect(log.producers.get(3)!.lastSeq).toBe(9);
  });
});

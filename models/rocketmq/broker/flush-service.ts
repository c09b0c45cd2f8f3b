import type { Timer } from '../../../sim/kernel.js';
import { timersOf } from '../../../sim/timers.js';
import type { BrokerController, BrokerTimer } from './broker-controller.js';

/**
 * The commit log's flush services (CommitLog's FlushCommitLogService family) and the consume
 * queues' FlushConsumeQueueService:
 *
 * - GroupCommitService (flushDiskType SYNC_FLUSH): each put waits for an fsync covering it; one
 *   fsync at a time covers everything written before it started, then the next one starts.
 *   Under SYNC_FLUSH the consume queues follow the flushed position (ReputMessageService stops
 *   at the confirm offset), so a pull never returns a record a crash can take back.
 * - FlushRealTimeService (ASYNC_FLUSH): every flushIntervalCommitLog, an fsync when at least
 *   flushCommitLogLeastPages pages are dirty, or whatever is dirty once
 *   flushCommitLogThoroughInterval has passed since the last thorough flush.
 * - A SYNC_FLUSH slave flushes what it received from its master the same way (slaveFlush).
 * - FlushConsumeQueueService: every flushIntervalConsumeQueue, fsync the dirty consume queues.
 */

/** A put waiting for a flush or for replicas (GroupCommitRequest), and its syncFlushTimeout timer. */
export interface Waiter {
  end: number;
  done: (ok: boolean) => void;
  timer: Timer | null;
  /** A SYNC_MASTER put: how many slaves must have it (inSyncReplicas - 1; 1 in 4.x). */
  slaves?: number;
}

const PAGE = 4096;
const timers = timersOf<BrokerTimer>();

export class FlushService {
  /** Puts waiting for GroupCommitService's fsync (requestsWrite). */
  private waiters: Waiter[] = [];
  private fsyncRunning = false;
  private lastThoroughFlush = 0;

  constructor(private readonly b: BrokerController) {}

  start(): void {
    this.lastThoroughFlush = this.b.ctx.trueNow();
  }

  waitForFlush(end: number, done: (ok: boolean) => void): void {
    const waiter: Waiter = { end, done, timer: null };
    waiter.timer = timers.set(this.b.ctx, this.b.o.settings.syncFlushTimeout, 'flush-timeout', waiter);
    this.waiters.push(waiter);
  }

  /** syncFlushTimeout passed before the fsync: FLUSH_DISK_TIMEOUT. */
  onTimeout(waiter: Waiter): void {
    const at = this.waiters.indexOf(waiter);
    if (at >= 0) {
      this.waiters.splice(at, 1);
      waiter.done(false);
    }
  }

  /** GroupCommitService: one fsync at a time covering everything written before it started. */
  groupCommit(): void {
    if (this.fsyncRunning || this.waiters.length === 0) return;
    const b = this.b;
    this.fsyncRunning = true;
    const upTo = b.store.maxPhy;
    b.ctx.disk.fsync(() => {
      this.fsyncRunning = false;
      // ReputMessageService: under SYNC_FLUSH the consume queues follow the flushed position.
      if (b.dledger === null) b.store.dispatchUpTo(upTo);
      const still: Waiter[] = [];
      for (const w of this.waiters) {
        if (w.end <= upTo) {
          b.ctx.cancelTimer(w.timer);
          w.done(true);
        } else still.push(w);
      }
      this.waiters = still;
      this.groupCommit();
      b.o.invariants?.check(b, 'GroupCommitService fsync');
    }, b.store.commitLogFiles().filter((f) => f.durableLength < f.length));
  }

  /** FlushRealTimeService: fsync when enough pages are dirty, or thoroughly every so often. */
  asyncFlush(): void {
    if (this.fsyncRunning) return;
    const b = this.b;
    const dirtyFiles = b.store.commitLogFiles().filter((f) => f.durableLength < f.length);
    if (dirtyFiles.length === 0) return;
    const s = b.o.settings;
    const now = b.ctx.trueNow();
    const thorough = now - this.lastThoroughFlush >= s.flushCommitLogThoroughInterval;
    if (!thorough) {
      let dirtyBytes = 0;
      for (const f of dirtyFiles) dirtyBytes += f.bytes - f.durableBytes;
      if (dirtyBytes < s.flushCommitLogLeastPages * PAGE) return;
    } else this.lastThoroughFlush = now;
    this.fsyncRunning = true;
    b.ctx.disk.fsync(() => {
      this.fsyncRunning = false;
      b.o.invariants?.check(b, 'FlushRealTimeService fsync');
    }, dirtyFiles);
  }

  /**
   * A SYNC_FLUSH slave: its GroupCommitService, with no put requests, flushes the commit log every
   * 10 ms (doCommit -> mappedFileQueue.flush(0)); replicated records reach the consume queues
   * once fsynced (the confirm offset of a SYNC_FLUSH store is its flushed position). Modelled as
   * one fsync at a time, covering everything received before it started.
   */
  slaveFlush(): void {
    const b = this.b;
    if (this.fsyncRunning || b.store.dispatched >= b.store.records.length) return;
    this.fsyncRunning = true;
    const upTo = b.store.maxPhy;
    b.ctx.disk.fsync(() => {
      this.fsyncRunning = false;
      b.store.dispatchUpTo(upTo);
      this.slaveFlush();
      b.o.invariants?.check(b, 'slave GroupCommitService fsync');
    }, b.store.commitLogFiles().filter((f) => f.durableLength < f.length));
  }

  /** FlushConsumeQueueService: fsync every consume queue with unflushed entries. */
  flushConsumeQueues(): void {
    const dirty = this.b.store.consumeQueueFiles().filter((f) => f.durableLength < f.length);
    if (dirty.length > 0) this.b.ctx.disk.fsync(undefined, dirty);
  }
}

import type { Sampler } from './random.js';
import type { Micros } from './time.js';

/**
 * A node's disk. Writes land in the page cache at once; they become durable when an fsync
 * completes (its cost drawn from the disk's latency distribution, one fsync at a time) or
 * when the OS writes dirty pages back on its own (the flush policy). A crash of the machine
 * truncates every file to what was durable.
 */

/** How dirty pages reach the platter without an explicit fsync. */
export type FlushPolicy =
  /** Write-through: every write is durable as soon as it is written. */
  | { kind: 'every-write' }
  /** A background flusher makes everything durable every `every` microseconds. */
  | { kind: 'interval'; every: Micros }
  /**
   * Linux's defaults: the writeback thread wakes every `writebackEvery` (dirty_writeback_centisecs,
   * 5 s) and writes pages dirty for longer than `expireAfter` (dirty_expire_centisecs, 30 s).
   */
  | { kind: 'os'; writebackEvery: Micros; expireAfter: Micros };

export const OS_FLUSH_POLICY: FlushPolicy = { kind: 'os', writebackEvery: 5_000_000, expireAfter: 30_000_000 };

export class DiskFullError extends Error {
  override name = 'DiskFullError';
  constructor(readonly node: string, readonly file: string, readonly needed: number, readonly free: number) {
    super(`disk full on ${node}: writing ${needed} bytes to ${file} with ${free} bytes free`);
  }
}

/** What the disk needs from the world: time, and scheduling that respects the node's lifecycle. */
export interface DiskHost {
  readonly nodeName: string;
  now(): Micros;
  /** Runs `fn` after `delay` unless the node crashes first (then never). */
  schedule(delay: Micros, fn: () => void): void;
}

/** One append-only file of records (log segment, commit log, queue index...). */
export class DiskFile<R = unknown> {
  /** Every record written, durable or not (what a reader on the live node sees). */
  readonly records: R[] = [];
  private readonly sizes: number[] = [];
  /** Records [0, durableLength) survive a crash. */
  durableLength = 0;
  bytes = 0;
  /** (time, length) marks taken at each OS writeback tick, for the 'os' flush policy. */
  private dirtyMarks: { time: Micros; length: number }[] = [];

  constructor(readonly name: string, private readonly disk: Disk) {}

  get length(): number {
    return this.records.length;
  }

  get durableBytes(): number {
    let total = 0;
    for (let i = 0; i < this.durableLength; i++) total += this.sizes[i]!;
    return total;
  }

  /** Appends to the page cache; returns the record's index. Throws DiskFullError when the disk is full. */
  append(record: R, bytes: number): number {
    this.disk.reserve(this.name, bytes);
    this.records.push(record);
    this.sizes.push(bytes);
    this.bytes += bytes;
    if (this.disk.policy.kind === 'every-write') this.durableLength = this.records.length;
    return this.records.length - 1;
  }

  /** Drops records from `length` on (log truncation); durable data shrinks with it. */
  truncate(length: number): void {
    if (length >= this.records.length) return;
    let freed = 0;
    for (let i = length; i < this.sizes.length; i++) freed += this.sizes[i]!;
    this.records.length = length;
    this.sizes.length = length;
    this.bytes -= freed;
    this.disk.release(freed);
    if (this.durableLength > length) this.durableLength = length;
    this.dirtyMarks = this.dirtyMarks.filter((m) => m.length <= length);
  }

  /** @internal the crash: keep only the durable prefix. */
  loseUnflushed(): void {
    this.truncate(this.durableLength);
    this.dirtyMarks = [];
  }

  /** @internal */
  markDurable(length: number): void {
    if (length > this.durableLength) this.durableLength = Math.min(length, this.records.length);
  }

  /** @internal OS writeback: durable up to the newest mark older than expireAfter, then take a new mark. */
  writeback(now: Micros, expireAfter: Micros): void {
    let keepFrom = 0;
    for (let i = 0; i < this.dirtyMarks.length; i++) {
      const mark = this.dirtyMarks[i]!;
      if (now - mark.time >= expireAfter) {
        this.markDurable(mark.length);
        keepFrom = i + 1;
      }
    }
    if (keepFrom > 0) this.dirtyMarks.splice(0, keepFrom);
    if (this.records.length > this.durableLength) this.dirtyMarks.push({ time: now, length: this.records.length });
  }
}

export interface DiskOptions {
  fsyncLatency: Sampler;
  policy: FlushPolicy;
  /** Bytes the disk holds; Infinity for no limit. */
  capacity: number;
}

export class Disk {
  private readonly files = new Map<string, DiskFile<any>>();
  readonly policy: FlushPolicy;
  capacity: number;
  used = 0;
  /** Fault state: fsync latency multiplier (slow-disk) and forced full (disk-full). */
  slowFactor = 1;
  forcedFull = false;
  fsyncs = 0;
  private busyUntil: Micros = 0;
  private host: DiskHost | null = null;

  constructor(private readonly options: DiskOptions) {
    this.policy = options.policy;
    this.capacity = options.capacity;
  }

  /** @internal bound by the world when the node (re)starts. */
  attach(host: DiskHost): void {
    this.host = host;
    this.busyUntil = 0;
  }

  file<R>(name: string): DiskFile<R> {
    let file = this.files.get(name);
    if (!file) {
      file = new DiskFile<R>(name, this);
      this.files.set(name, file);
    }
    return file as DiskFile<R>;
  }

  hasFile(name: string): boolean {
    return this.files.has(name);
  }

  /** File names in creation order. */
  fileNames(): string[] {
    return [...this.files.keys()];
  }

  deleteFile(name: string): void {
    const file = this.files.get(name);
    if (!file) return;
    this.release(file.bytes);
    this.files.delete(name);
  }

  get free(): number {
    return this.forcedFull ? 0 : this.capacity - this.used;
  }

  /** @internal */
  reserve(file: string, bytes: number): void {
    if (bytes > this.free) throw new DiskFullError(this.host?.nodeName ?? '?', file, bytes, Math.max(0, this.free));
    this.used += bytes;
  }

  /** @internal */
  release(bytes: number): void {
    this.used -= bytes;
  }

  /**
   * fsync: after the disk's latency (queued behind earlier fsyncs, times the slow-disk
   * factor), the given files (all when omitted) are durable up to their length at the call,
   * then `done` runs. A crash before completion cancels both.
   */
  fsync(done?: () => void, files?: readonly DiskFile<any>[]): void {
    const host = this.requireHost();
    const targets = files ?? [...this.files.values()];
    const lengths = targets.map((f) => f.length);
    const now = host.now();
    const start = Math.max(now, this.busyUntil);
    const finish = start + Math.round(this.options.fsyncLatency() * this.slowFactor);
    this.busyUntil = finish;
    this.fsyncs++;
    host.schedule(finish - now, () => {
      for (let i = 0; i < targets.length; i++) targets[i]!.markDurable(lengths[i]!);
      done?.();
    });
  }

  /** @internal a machine crash: unflushed data is gone. */
  crash(keepPageCache: boolean): void {
    this.busyUntil = 0;
    if (keepPageCache) return;
    for (const file of this.files.values()) file.loseUnflushed();
  }

  /** @internal one tick of the background flusher. */
  backgroundFlush(now: Micros): void {
    const policy = this.policy;
    if (policy.kind === 'interval') {
      for (const file of this.files.values()) file.markDurable(file.length);
    } else if (policy.kind === 'os') {
      for (const file of this.files.values()) file.writeback(now, policy.expireAfter);
    }
  }

  /** Interval between background flusher ticks, or 0 when there is none. */
  get backgroundInterval(): Micros {
    const policy = this.policy;
    if (policy.kind === 'interval') return policy.every;
    if (policy.kind === 'os') return policy.writebackEvery;
    return 0;
  }

  private requireHost(): DiskHost {
    if (!this.host) throw new Error('disk used before its node started');
    return this.host;
  }
}

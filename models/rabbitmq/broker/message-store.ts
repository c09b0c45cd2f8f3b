import type { Disk, DiskFile } from '../../../sim/disk.js';
import type { Timer } from '../../../sim/kernel.js';
import type { SyncedFile } from '../invariants.js';
import type { RabbitBroker } from './broker.js';
import type { Channel } from './channel.js';
import type { QueuedMessage } from './ready-messages.js';

/**
 * A durable classic queue's message store on its node's disk, in segment files as the v2 queue
 * index and per-queue store keep it: a message at queue position `pos` lives in segment
 * `pos / SEGMENT_ENTRY_COUNT`, whose file gets its publish record (the message itself) and,
 * when it leaves the queue (ack, expiry, dead-lettering, drop), its ack record (its id). A
 * segment whose messages have all left, that the queue has written past and whose every record
 * is durable is deleted, as RabbitMQ deletes a segment file once all its entries are acked: a
 * restart would have found nothing to recover in it, and the disk gets its bytes back. So the
 * store holds what is still queued, not everything ever published.
 *
 * File names: segment 0 is `queue:<vhost>|<name>`, segment n > 0 `queue-segment:<n>:<vhost>|<name>`.
 *
 * Syncing (StoreSync below): the node's writes (stores, definitions, delayed messages) are
 * fsynced in batches, as the message store syncs: the first unsynced write starts a timer of
 * `fsync.interval`, then one fsync covers everything written so far. A publisher confirm of a
 * message some queue stored waits for that fsync (rabbit_channel gets it from the store).
 */

/** A store record: a published message (the message itself), or the id of one that left (an ack). */
export type StoreRecord = QueuedMessage | number;

/** Entries per segment file (the v2 classic queue index's default segment_entry_count). */
export const SEGMENT_ENTRY_COUNT = 4096;
/** Bytes of an ack record. */
export const ACK_RECORD_BYTES = 16;
/** Bytes a stored message takes beyond its body (publish records, delayed messages). */
export const RECORD_OVERHEAD_BYTES = 48;

interface Segment {
  readonly index: number;
  readonly file: DiskFile<StoreRecord>;
  /** Messages published here that have not left yet. */
  live: number;
  /** In `emptied`, waiting to be deleted. */
  emptied: boolean;
}

export class QueueStore {
  private readonly segments = new Map<number, Segment>();
  /** The segment of the latest publish (most acks and publishes go to it or the one before). */
  private last: Segment | null = null;
  /** Segments with no live message, checked for deletion after each fsync. */
  private emptied: Segment[] = [];
  /** Messages that left the queue but whose ack record could not be written (disk full): still stored. */
  unwrittenAcks = 0;

  constructor(private readonly disk: Disk, readonly key: string) {}

  fileName(index: number): string {
    return index === 0 ? `queue:${this.key}` : `queue-segment:${index}:${this.key}`;
  }

  private segment(pos: number, create: boolean): Segment | undefined {
    const index = Math.floor(pos / SEGMENT_ENTRY_COUNT);
    const last = this.last;
    if (last !== null && last.index === index) return last;
    let segment = this.segments.get(index);
    if (segment === undefined && create) {
      segment = { index, file: this.disk.file<StoreRecord>(this.fileName(index)), live: 0, emptied: false };
      this.segments.set(index, segment);
    }
    return segment;
  }

  /** Writes the publish record. Throws DiskFullError (nothing written) when the disk is full. */
  publish(message: QueuedMessage, bytes: number): void {
    const segment = this.segment(message.pos, true)!;
    segment.file.append(message, bytes);
    segment.live++;
    this.last = segment;
  }

  /** Writes the ack record of a stored message. Throws DiskFullError (the message stays stored) when the disk is full. */
  ack(message: QueuedMessage): void {
    const segment = this.segment(message.pos, false);
    if (segment === undefined) return; // cannot happen: a segment with a live message is kept
    try {
      segment.file.append(message.id, ACK_RECORD_BYTES);
    } catch (error) {
      this.unwrittenAcks++;
      throw error;
    }
    if (--segment.live === 0 && !segment.emptied) {
      segment.emptied = true;
      this.emptied.push(segment);
    }
  }

  /**
   * After an fsync: deletes the segments with no live message, below the queue's write
   * position `nextPos` and durable to their end.
   */
  reclaim(nextPos: number): void {
    if (this.emptied.length === 0) return;
    const keep: Segment[] = [];
    for (const segment of this.emptied) {
      if (segment.live > 0 || this.segments.get(segment.index) !== segment) {
        segment.emptied = false;
        continue;
      }
      const file = segment.file;
      if ((segment.index + 1) * SEGMENT_ENTRY_COUNT > nextPos || file.durableLength < file.length) {
        keep.push(segment);
        continue;
      }
      segment.emptied = false;
      this.segments.delete(segment.index);
      if (this.last === segment) this.last = null;
      this.disk.deleteFile(file.name);
    }
    this.emptied = keep;
  }

  /** Messages stored and not acked. */
  get live(): number {
    let n = 0;
    for (const segment of this.segments.values()) n += segment.live;
    return n;
  }

  /** The segment files (for the invariants' fsync check). */
  *files(): IterableIterator<DiskFile<StoreRecord>> {
    for (const segment of this.segments.values()) yield segment.file;
  }

  /** The queue is deleted: so are its files. */
  deleteAll(): void {
    for (const segment of this.segments.values()) this.disk.deleteFile(segment.file.name);
    this.segments.clear();
    this.last = null;
    this.emptied = [];
  }

  /** A restart: the segment files on disk in segment order, each file's records in order. */
  *recoverRecords(): IterableIterator<StoreRecord> {
    const found: Segment[] = [];
    const first = this.fileName(0);
    const prefix = 'queue-segment:';
    for (const name of this.disk.fileNames()) {
      let index = -1;
      if (name === first) index = 0;
      else if (name.startsWith(prefix)) {
        const colon = name.indexOf(':', prefix.length);
        const digits = name.slice(prefix.length, colon);
        if (colon > prefix.length && /^\d+$/.test(digits) && name.slice(colon + 1) === this.key) index = Number(digits);
      }
      if (index < 0) continue;
      const segment: Segment = { index, file: this.disk.file<StoreRecord>(name), live: 0, emptied: false };
      this.segments.set(index, segment);
      found.push(segment);
    }
    found.sort((a, b) => a.index - b.index);
    for (const segment of found) yield* segment.file.records;
  }

  /** After recovery: the messages still stored, so each segment knows how many it holds. */
  recovered(live: Iterable<QueuedMessage>): void {
    for (const message of live) this.segment(message.pos, false)!.live++;
    for (const segment of this.segments.values()) {
      if (segment.live === 0) {
        segment.emptied = true;
        this.emptied.push(segment);
      }
    }
  }
}

/** Where a confirm waiting for the fsync goes: a channel of this node, or a channel of another node (delegate.confirm). */
export interface RemoteChannel {
  readonly node: string;
  readonly conn: string;
  readonly channel: number;
}

type SyncWaiter =
  | { readonly channel: Channel; readonly seq: number; readonly remote?: undefined }
  | { readonly channel: null; readonly seq: number; readonly remote: RemoteChannel };

/** The node's fsync batching and the confirms that wait for it. */
export class StoreSync {
  private syncTimer: Timer | null = null;
  private syncing = false;
  private dirty = false;
  /** Confirms waiting for the next fsync, in publish order. */
  private syncWaiters: SyncWaiter[] = [];

  constructor(private readonly broker: RabbitBroker) {}

  /** Something was written: an fsync is due within fsync.interval. */
  markDirty(): void {
    this.dirty = true;
    this.scheduleSync();
  }

  /** The confirm of publish `seq` on `channel` goes out after the next fsync. */
  afterSync(channel: Channel, seq: number): void {
    this.syncWaiters.push({ channel, seq });
    this.scheduleSync();
  }

  /** The same for a publish delegated by another node's channel. */
  afterSyncRemote(remote: RemoteChannel, seq: number): void {
    this.syncWaiters.push({ channel: null, seq, remote });
    this.scheduleSync();
  }

  private scheduleSync(): void {
    if (this.syncTimer !== null || this.syncing) return;
    this.syncTimer = this.broker.timers.set(this.broker.ctx, this.broker.options.fsyncInterval, 'sync', undefined);
  }

  /** cluster.invariants: every queue store file and its length now. */
  private written(): SyncedFile[] {
    const files: SyncedFile[] = [];
    for (const queue of this.broker.queues.values()) for (const file of queue.store?.files() ?? []) files.push({ file, length: file.length });
    return files;
  }

  /** The `sync` timer: one fsync, then the confirms it covers. */
  onSyncTimer(): void {
    const broker = this.broker;
    this.syncTimer = null;
    this.syncing = true;
    this.dirty = false;
    const batch = this.syncWaiters;
    this.syncWaiters = [];
    const invariants = broker.options.invariants;
    const written = invariants === undefined ? null : this.written();
    broker.ctx.disk.fsync(() => {
      this.syncing = false;
      if (invariants !== undefined && written !== null && batch.length > 0) invariants.synced(broker.ctx.name, written);
      // One confirm frame per channel where possible (multiple=true).
      const byChannel = new Map<Channel, number[]>();
      for (const waiter of batch) {
        const { seq } = waiter;
        if (waiter.remote !== undefined) {
          broker.link!.confirmRemote(waiter.remote, seq, true);
          continue;
        }
        const channel = waiter.channel;
        if (channel.pending?.has(seq)) {
          broker.link!.partDone(channel, seq, true);
          continue;
        }
        let seqs = byChannel.get(channel);
        if (!seqs) byChannel.set(channel, (seqs = []));
        seqs.push(seq);
      }
      for (const [channel, seqs] of byChannel) broker.channels.confirm(channel, seqs, true);
      for (const queue of broker.queues.values()) queue.store?.reclaim(queue.nextPos);
      if (this.dirty || this.syncWaiters.length > 0) this.scheduleSync();
    });
  }
}

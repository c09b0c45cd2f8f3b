import type { Disk, DiskFile } from '../../sim/disk.js';
import type { QueuedMessage } from './queue.js';

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
 */

/** A store record: a published message (the message itself), or the id of one that left (an ack). */
export type StoreRecord = QueuedMessage | number;

/** Entries per segment file (the v2 classic queue index's default segment_entry_count). */
export const SEGMENT_ENTRY_COUNT = 4096;
/** Bytes of an ack record. */
export const ACK_RECORD_BYTES = 16;

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
    segment.file.append(message.id, ACK_RECORD_BYTES);
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

import { DiskFullError, type DiskFile } from '../../sim/disk.js';
import type { Timer } from '../../sim/kernel.js';
import type { Actor, Message, NodeContext } from '../../sim/node.js';
import type { Phase } from '../../sim/world.js';
import { HEADER_BYTES, type Ack, type Delivery, type Fetch, type FetchResponse, type Produce, type ProduceResponse } from './protocol.js';
import type { ResolvedClusterConfig } from './schema.js';
import { notes } from './notes.js';

/**
 * The demo broker: one node holding every queue. Each queue is two files on the node's disk:
 *
 * - `log:<queue>`: the messages, appended in arrival order; a message's offset is its index;
 * - `acks:<queue>`: the offsets (with the message id, as a check) consumers acknowledged.
 *
 * A Produce is appended to the page cache; with `ack.after: fsync` the ProduceResponse waits for
 * a group commit (one fsync in flight at a time, covering every file, answering every Produce
 * appended before it started); with `ack.after: receive` it is sent at once, and only the OS
 * writeback (or a later fsync) makes the record durable.
 *
 * Delivery is competing-consumers: one cursor per queue shared by all its consumers. A delivered
 * message is in flight until its Ack (quoting the delivery's tag) or until `visibility.timeout`,
 * when it goes back to the front of the queue (ordered by offset) and is redelivered.
 *
 * A restarted broker rebuilds each queue from its disk: the durable records minus the durably
 * acked offsets. In-flight deliveries were only in memory, so they become ready again; offsets of
 * records lost in the crash are handed out again to new messages.
 */

export interface StoredRecord {
  msg: string;
  key: string | undefined;
  producer: string;
  bytes: number;
}

export interface AckRecord {
  offset: number;
  msg: string;
}

/** Counters that outlive a broker incarnation (the model reports them). */
export interface BrokerStats {
  redeliveries: number;
}

interface InFlightDelivery {
  tag: number;
  timer: Timer;
  consumer: string;
}

interface VisibilityTimeout {
  queue: string;
  offset: number;
  tag: number;
}

interface PendingResponse {
  producer: string;
  response: ProduceResponse;
}

const RECORD_OVERHEAD_BYTES = 32;
const ACK_RECORD_BYTES = 16;

class QueueState {
  /** Offsets acked (in memory) at or above `floor`. */
  readonly acked = new Set<number>();
  /** Every offset below `floor` is acked. */
  floor = 0;
  /** The next offset not yet handed out in this incarnation. */
  cursor = 0;
  /** Offsets ready again after a visibility timeout, kept sorted: served before `cursor`. */
  readonly redeliver: number[] = [];
  readonly inFlight = new Map<number, InFlightDelivery>();

  constructor(
    readonly name: string,
    readonly log: DiskFile<StoredRecord>,
    readonly acks: DiskFile<AckRecord>,
  ) {}

  markAcked(offset: number): void {
    if (offset < this.floor) return;
    this.acked.add(offset);
    while (this.acked.has(this.floor)) {
      this.acked.delete(this.floor);
      this.floor++;
    }
    if (this.cursor < this.floor) this.cursor = this.floor;
  }

  isAcked(offset: number): boolean {
    return offset < this.floor || this.acked.has(offset);
  }

  /** Puts an offset back in the ready set, in offset order, ahead of the never-delivered ones. */
  requeue(offset: number): void {
    const list = this.redeliver;
    let low = 0;
    let high = list.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (list[mid]! < offset) low = mid + 1;
      else high = mid;
    }
    list.splice(low, 0, offset);
  }

  /** Messages stored and not acked (ready or in flight). */
  get depth(): number {
    return this.log.length - this.floor - this.acked.size;
  }
}

export class DemoBroker implements Actor {
  private ctx!: NodeContext;
  private readonly queues = new Map<string, QueueState>();
  private nextTag = 1;
  /** Group commit: responses waiting for the next fsync, and whether one is running. */
  private waiting: PendingResponse[] = [];
  private fsyncInFlight = false;
  private dirty = false;

  constructor(
    private readonly config: ResolvedClusterConfig,
    private readonly stats: BrokerStats,
  ) {}

  start(ctx: NodeContext, restarted: boolean): void {
    this.ctx = ctx;
    if (restarted) this.recover();
  }

  onPhase(_phase: Phase): void {
    // The broker does the same thing in every phase.
  }

  receive(from: string, message: Message): void {
    switch (message.type) {
      case 'Produce':
        return this.onProduce(from, message as Produce);
      case 'Fetch':
        return this.onFetch(from, message as Fetch);
      case 'Ack':
        return this.onAck(from, message as Ack);
      default:
        notes.note(this.ctx, 'unknown-request', { from, type: message.type });
    }
  }

  onTimer(tag: string, data: unknown): void {
    if (tag === 'visibility') this.onVisibilityTimeout(data as VisibilityTimeout);
  }

  // ------------------------------------------------------------------ produce

  private onProduce(from: string, produce: Produce): void {
    const queue = this.queue(produce.queue);
    let offset: number;
    try {
      offset = queue.log.append({ msg: produce.msg, key: produce.key, producer: from, bytes: produce.bytes }, produce.bytes + RECORD_OVERHEAD_BYTES);
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      notes.note(this.ctx, 'disk-full', { queue: produce.queue, msg: produce.msg });
      this.respond(from, { type: 'ProduceResponse', queue: produce.queue, msg: produce.msg, offset: -1, error: 'disk-full' });
      return;
    }
    const response: ProduceResponse = { type: 'ProduceResponse', queue: produce.queue, msg: produce.msg, offset };
    if (this.config.ackAfter === 'receive') {
      this.respond(from, response);
      return;
    }
    this.waiting.push({ producer: from, response });
    this.commit();
  }

  private respond(to: string, response: ProduceResponse): void {
    this.ctx.send(to, response, HEADER_BYTES);
  }

  /**
   * Group commit: starts an fsync of every file unless one is running; when it completes, answers
   * the Produces it covers and starts the next one if more was written meanwhile. Only used with
   * `ack.after: fsync`; with `receive` the broker never fsyncs and relies on the OS writeback.
   */
  private commit(): void {
    if (this.fsyncInFlight) {
      this.dirty = true;
      return;
    }
    const batch = this.waiting;
    this.waiting = [];
    this.dirty = false;
    this.fsyncInFlight = true;
    this.ctx.disk.fsync(() => {
      this.fsyncInFlight = false;
      for (const pending of batch) this.respond(pending.producer, pending.response);
      if (this.dirty || this.waiting.length > 0) this.commit();
    });
  }

  // ------------------------------------------------------------------ deliver

  private onFetch(from: string, fetch: Fetch): void {
    const queue = this.queue(fetch.queue);
    const deliveries: Delivery[] = [];
    let bytes = HEADER_BYTES;
    while (deliveries.length < this.config.maxDeliveriesPerFetch) {
      let offset: number;
      let redelivered: boolean;
      if (queue.redeliver.length > 0) {
        offset = queue.redeliver.shift()!;
        redelivered = true;
      } else {
        while (queue.cursor < queue.log.length && queue.isAcked(queue.cursor)) queue.cursor++;
        if (queue.cursor >= queue.log.length) break;
        offset = queue.cursor++;
        redelivered = false;
      }
      if (queue.isAcked(offset) || queue.inFlight.has(offset)) continue;
      const record = queue.log.records[offset]!;
      const tag = this.nextTag++;
      const timeout: VisibilityTimeout = { queue: queue.name, offset, tag };
      queue.inFlight.set(offset, { tag, consumer: from, timer: this.ctx.setTimer(this.config.visibilityTimeout, 'visibility', timeout) });
      deliveries.push({ msg: record.msg, key: record.key, offset, tag, redelivered, bytes: record.bytes });
      bytes += record.bytes + RECORD_OVERHEAD_BYTES;
    }
    const response: FetchResponse = { type: 'FetchResponse', queue: fetch.queue, fetchId: fetch.fetchId, deliveries };
    this.ctx.send(from, response, bytes);
  }

  private onVisibilityTimeout(timeout: VisibilityTimeout): void {
    const queue = this.queues.get(timeout.queue);
    const delivery = queue?.inFlight.get(timeout.offset);
    if (!queue || !delivery || delivery.tag !== timeout.tag) return;
    queue.inFlight.delete(timeout.offset);
    queue.requeue(timeout.offset);
    this.stats.redeliveries++;
    notes.note(this.ctx, 'visibility-timeout', { queue: queue.name, offset: timeout.offset, consumer: delivery.consumer });
  }

  private onAck(from: string, ack: Ack): void {
    const queue = this.queues.get(ack.queue);
    const delivery = queue?.inFlight.get(ack.offset);
    if (!queue || !delivery || delivery.tag !== ack.tag) {
      // The delivery expired (and was handed out again) or the broker restarted since: the tag is stale.
      notes.note(this.ctx, 'stale-ack', { from, queue: ack.queue, offset: ack.offset, tag: ack.tag });
      return;
    }
    this.ctx.cancelTimer(delivery.timer);
    queue.inFlight.delete(ack.offset);
    queue.markAcked(ack.offset);
    const record = queue.log.records[ack.offset]!;
    try {
      queue.acks.append({ offset: ack.offset, msg: record.msg }, ACK_RECORD_BYTES);
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      // Acked in memory only: a restart will deliver the message again.
      notes.note(this.ctx, 'disk-full', { queue: ack.queue, ackOf: ack.offset });
      return;
    }
    if (this.config.ackAfter === 'fsync') this.commit();
  }

  // ------------------------------------------------------------------ state

  /** The final read: ids of stored messages not yet acked by a consumer (ready or in flight). */
  storedMessages(into: Set<string>): void {
    for (const queue of this.queues.values()) {
      const records = queue.log.records;
      for (let offset = queue.floor; offset < records.length; offset++) {
        if (!queue.isAcked(offset)) into.add(records[offset]!.msg);
      }
    }
  }

  private queue(name: string): QueueState {
    let queue = this.queues.get(name);
    if (!queue) {
      const disk = this.ctx.disk;
      queue = new QueueState(name, disk.file<StoredRecord>(`log:${name}`), disk.file<AckRecord>(`acks:${name}`));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** After a crash: every queue is what its files kept, minus the offsets durably acked. */
  private recover(): void {
    const names = this.ctx.disk.fileNames().filter((f) => f.startsWith('log:')).map((f) => f.slice(4));
    for (const name of names) {
      const queue = this.queue(name);
      const log = queue.log;
      let acked = 0;
      for (const ack of queue.acks.records) {
        // An ack names the message it acked, so it cannot ack a different message that later
        // took the same offset after a crash truncated the log.
        if (ack.offset < log.length && log.records[ack.offset]!.msg === ack.msg && !queue.isAcked(ack.offset)) {
          queue.markAcked(ack.offset);
          acked++;
        }
      }
      notes.note(this.ctx, 'queue-recovered', { queue: name, records: log.length, acked, ready: queue.depth });
    }
  }
}

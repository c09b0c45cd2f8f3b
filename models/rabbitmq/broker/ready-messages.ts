import type { Micros } from '../../../sim/time.js';
import type { Content } from '../protocol.js';

/**
 * A classic queue's ready messages: one FIFO per priority level (one level unless
 * x-max-priority), each ordered by the message's position (its arrival number in this queue),
 * so a requeued message goes back to its original place. The head is the first message of the
 * highest non-empty level. Unacked messages are not here: the channel that holds them does.
 */

export interface QueuedMessage {
  /** Broker-wide id of this copy (the store's record id). */
  readonly id: number;
  /** Position in the queue: arrival order, kept across requeues and restarts. */
  readonly pos: number;
  /** Exchange and routing key the message arrived with (the DLX ones after dead-lettering). */
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Content;
  /** Effective priority in this queue (0 unless x-max-priority). */
  readonly priority: number;
  /** When the message expires in this queue (per-queue and per-message TTL, the lower), or Infinity. */
  readonly expiresAt: Micros;
  /** Written to the queue's store (persistent message in a durable queue). */
  readonly stored: boolean;
  redelivered: boolean;
}

/** A FIFO of messages ordered by pos, with an O(1) head and binary-search insertion for requeues. */
class Level {
  private items: QueuedMessage[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  peek(): QueuedMessage | undefined {
    return this.items[this.head];
  }

  shift(): QueuedMessage | undefined {
    const item = this.items[this.head];
    if (item === undefined) return undefined;
    this.items[this.head++] = undefined as unknown as QueuedMessage;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Inserts by pos (a push when it is the newest). */
  insert(message: QueuedMessage): void {
    const items = this.items;
    const last = items[items.length - 1];
    if (this.length === 0 || (last !== undefined && last.pos < message.pos)) {
      items.push(message);
      return;
    }
    let low = this.head;
    let high = items.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (items[mid]!.pos < message.pos) low = mid + 1;
      else high = mid;
    }
    items.splice(low, 0, message);
  }

  *[Symbol.iterator](): IterableIterator<QueuedMessage> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
  }
}

export class ReadyMessages {
  private readonly levels: Level[];
  count = 0;
  bytes = 0;
  /** Ready messages with a finite expiresAt: with none, expiry checks are skipped. */
  private expiring = 0;

  constructor(maxPriority: number) {
    this.levels = Array.from({ length: maxPriority + 1 }, () => new Level());
  }

  /** Adds a message (new or requeued) at its position in its priority level. */
  insert(message: QueuedMessage): void {
    this.levels[message.priority]!.insert(message);
    this.count++;
    this.bytes += message.content.bytes;
    if (message.expiresAt !== Number.POSITIVE_INFINITY) this.expiring++;
  }

  /** The message delivered next: the head of the highest non-empty priority. */
  peek(): QueuedMessage | undefined {
    for (let p = this.levels.length - 1; p >= 0; p--) {
      const head = this.levels[p]!.peek();
      if (head !== undefined) return head;
    }
    return undefined;
  }

  shift(): QueuedMessage | undefined {
    for (let p = this.levels.length - 1; p >= 0; p--) {
      const level = this.levels[p]!;
      if (level.length > 0) {
        const message = level.shift()!;
        this.count--;
        this.bytes -= message.content.bytes;
        if (message.expiresAt !== Number.POSITIVE_INFINITY) this.expiring--;
        return message;
      }
    }
    return undefined;
  }

  /** Removes the head of each level that has expired by `now` (classic queues look at heads only). */
  shiftExpired(now: Micros): QueuedMessage | undefined {
    if (this.expiring === 0) return undefined;
    for (let p = this.levels.length - 1; p >= 0; p--) {
      const level = this.levels[p]!;
      const head = level.peek();
      if (head !== undefined && head.expiresAt <= now) {
        level.shift();
        this.count--;
        this.bytes -= head.content.bytes;
        this.expiring--;
        return head;
      }
    }
    return undefined;
  }

  /** The earliest expiry among the level heads (Infinity if none). */
  nextHeadExpiry(): Micros {
    let next = Number.POSITIVE_INFINITY;
    if (this.expiring === 0) return next;
    for (const level of this.levels) {
      const head = level.peek();
      if (head !== undefined && head.expiresAt < next) next = head.expiresAt;
    }
    return next;
  }

  /** Every ready message, highest priority first, in position order. */
  *[Symbol.iterator](): IterableIterator<QueuedMessage> {
    for (let p = this.levels.length - 1; p >= 0; p--) yield* this.levels[p]!;
  }

  clear(): QueuedMessage[] {
    const all = [...this];
    for (let p = 0; p < this.levels.length; p++) this.levels[p] = new Level();
    this.count = 0;
    this.bytes = 0;
    this.expiring = 0;
    return all;
  }
}

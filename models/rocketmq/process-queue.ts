import type { Micros } from '../../sim/time.js';
import type { MessageQueue } from './allocate.js';
import type { PulledMessage } from './protocol.js';

/**
 * A consumer's ProcessQueue per owned message queue: the messages pulled and not yet finished
 * (a MessageWindow by queue offset), the next pull offset, and for orderly consumers the broker
 * lock and the messages waiting in order. The offset a consumer commits for a queue is the
 * lowest offset still in its process queue (ProcessQueue.removeMessage).
 */

/**
 * A process queue's messages by offset, with a Map's semantics (insertion order, `first()` the
 * earliest inserted) but no hash table: offsets arrive in increasing order, so they are appended
 * to two arrays and found by binary search, and a deleted one leaves a hole the head skips. An
 * offset added out of order (after an offset reset) switches to a linear search until the
 * window empties.
 */
export class MessageWindow {
  private readonly offsets: number[] = [];
  private readonly messages: (PulledMessage | undefined)[] = [];
  private head = 0;
  private live = 0;
  private ascending = true;

  get size(): number {
    return this.live;
  }

  /** The earliest inserted offset still present. */
  first(): number | undefined {
    return this.live === 0 ? undefined : this.offsets[this.head];
  }

  private find(offset: number): number {
    const offsets = this.offsets;
    const messages = this.messages;
    if (this.ascending) {
      let lo = this.head;
      let hi = offsets.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const at = offsets[mid]!;
        if (at === offset) return messages[mid] !== undefined ? mid : -1;
        if (at < offset) lo = mid + 1;
        else hi = mid - 1;
      }
      return -1;
    }
    for (let i = offsets.length - 1; i >= this.head; i--) if (offsets[i] === offset && messages[i] !== undefined) return i;
    return -1;
  }

  set(offset: number, m: PulledMessage): void {
    const at = this.find(offset);
    if (at >= 0) {
      this.messages[at] = m;
      return;
    }
    const n = this.offsets.length;
    if (n > this.head && this.offsets[n - 1]! >= offset) this.ascending = false;
    this.offsets.push(offset);
    this.messages.push(m);
    this.live++;
  }

  delete(offset: number): boolean {
    const at = this.find(offset);
    if (at < 0) return false;
    this.messages[at] = undefined;
    this.live--;
    const messages = this.messages;
    const n = messages.length;
    let head = this.head;
    while (head < n && messages[head] === undefined) head++;
    if (head === n) {
      this.offsets.length = 0;
      messages.length = 0;
      head = 0;
      this.ascending = true;
    } else if (head > 1024 && head * 2 > n) {
      this.offsets.splice(0, head);
      messages.splice(0, head);
      head = 0;
    }
    this.head = head;
    return true;
  }
}

export class ProcessQueue {
  dropped = false;
  /** Orderly: the broker lock and when it was last confirmed; messages waiting in offset order; one in process. */
  locked = false;
  lockedAt: Micros = 0;
  readonly pending: PulledMessage[] = [];
  consuming = false;
  lockRetry = false;
  /** Pulled and not finished, in offset order. */
  readonly msgs = new MessageWindow();
  maxOffset = -1;
  nextOffset = 0;
  /** The broker the pull in flight went to. */
  pullAddr = '';
  /** Lite pull: the offset after the messages poll() returned (AssignedMessageQueue's consume offset), -1 before the first. */
  consumeOffset = -1;
  constructor(readonly mq: MessageQueue, readonly name: string) {}

  /** Removes a finished message; returns the offset to commit. */
  remove(offset: number): number {
    this.msgs.delete(offset);
    if (this.msgs.size === 0) return this.maxOffset + 1;
    return this.msgs.first()!;
  }
}

export interface Task {
  pq: ProcessQueue;
  m: PulledMessage;
  skipped: boolean;
  addr: string;
}

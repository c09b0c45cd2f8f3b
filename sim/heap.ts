import type { Micros } from './time.js';

/**
 * One scheduled event. Allocated once per schedule call and never copied; `cancelled`
 * is how a timer is cancelled (the heap skips it when it reaches the top).
 */
export interface ScheduledEvent<D = any> {
  /** Virtual time at which the event runs. */
  time: Micros;
  /** Insertion sequence: ties at the same time run in the order they were scheduled. */
  seq: number;
  handler: (data: D) => void;
  data: D;
  /** What the event is, for the trace hash and error reports (an interned trace kind). */
  kind: number;
  /** The node the event belongs to, or -1 for the kernel itself. */
  node: number;
  cancelled: boolean;
}

/**
 * A binary min-heap of events ordered by (time, seq). Hand-written rather than generic so
 * the comparison is inlined on the hot path.
 */
export class EventQueue {
  private items: ScheduledEvent[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): ScheduledEvent | undefined {
    return this.items[0];
  }

  push(event: ScheduledEvent): void {
    const items = this.items;
    let index = items.length;
    items.push(event);
    // Sift up.
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex]!;
      if (parent.time < event.time || (parent.time === event.time && parent.seq < event.seq)) break;
      items[index] = parent;
      index = parentIndex;
    }
    items[index] = event;
  }

  pop(): ScheduledEvent | undefined {
    const items = this.items;
    const count = items.length;
    if (count === 0) return undefined;
    const top = items[0]!;
    const last = items.pop()!;
    if (count > 1) {
      // Sift the last element down from the root.
      const size = count - 1;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        if (left >= size) break;
        const right = left + 1;
        let child = left;
        let childEvent = items[left]!;
        if (right < size) {
          const rightEvent = items[right]!;
          if (rightEvent.time < childEvent.time || (rightEvent.time === childEvent.time && rightEvent.seq < childEvent.seq)) {
            child = right;
            childEvent = rightEvent;
          }
        }
        if (last.time < childEvent.time || (last.time === childEvent.time && last.seq < childEvent.seq)) break;
        items[index] = childEvent;
        index = child;
      }
      items[index] = last;
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}

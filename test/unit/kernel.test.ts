import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue, type ScheduledEvent } from '../../sim/heap.js';
import { GuardError, Kernel, SimulationError } from '../../sim/kernel.js';

function event(time: number, seq: number): ScheduledEvent {
  return { time, seq, handler: () => {}, data: null, kind: 0, node: -1, cancelled: false };
}

describe('event queue', () => {
  it('never yields an event earlier than the last one, and ties come out in insertion order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), (times) => {
        const queue = new EventQueue();
        times.forEach((t, seq) => queue.push(event(t, seq)));
        let last: ScheduledEvent | undefined;
        let count = 0;
        for (let e = queue.pop(); e; e = queue.pop()) {
          if (last) {
            expect(e.time >= last.time).toBe(true);
            if (e.time === last.time) expect(e.seq).toBeGreaterThan(last.seq);
          }
          last = e;
          count++;
        }
        expect(count).toBe(times.length);
      }),
    );
  });

  it('compact() drops exactly the cancelled events and leaves the order of the rest unchanged', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean()), { maxLength: 300 }), fc.integer({ min: 0, max: 100 }), (spec, popsFirst) => {
        const plain = new EventQueue();
        const compacted = new EventQueue();
        spec.forEach(([t], seq) => {
          plain.push(event(t, seq));
          compacted.push(event(t, seq));
        });
        // Pop some first, so compaction also meets a heap with reused slots.
        for (let i = 0; i < popsFirst; i++) {
          plain.pop();
          compacted.pop();
        }
        const cancel = (queue: EventQueue) => {
          const all: ScheduledEvent[] = [];
          for (let e = queue.pop(); e; e = queue.pop()) all.push(e);
          for (const e of all) {
            e.cancelled = spec[e.seq]![1];
            queue.push(e);
          }
        };
        cancel(plain);
        cancel(compacted);
        const dropped = compacted.compact();
        const live = (queue: EventQueue) => {
          const seqs: number[] = [];
          for (let e = queue.pop(); e; e = queue.pop()) if (!e.cancelled) seqs.push(e.seq);
          return seqs;
        };
        expect(compacted.size).toBe(plain.size - dropped);
        expect(live(compacted)).toEqual(live(plain));
      }),
    );
  });

  it('grows past its initial capacity and reuses slots without losing or misordering events', () => {
    const queue = new EventQueue();
    let seq = 0;
    let x = 12345;
    const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) % 1000;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5000; i++) queue.push(event(next(), seq++));
      let last = -1;
      let lastSeq = -1;
      for (let i = 0; i < 4000; i++) {
        const e = queue.pop()!;
        expect(e.time > last || (e.time === last && e.seq > lastSeq)).toBe(true);
        last = e.time;
        lastSeq = e.seq;
      }
      // Drain the rest so each round starts from slots freed by the previous one.
      while (queue.pop());
      expect(queue.size).toBe(0);
    }
  });

  it('keeps order when pushes and pops interleave', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 20 })), { maxLength: 300 }), (ops) => {
        const queue = new EventQueue();
        let now = 0;
        let seq = 0;
        for (const [push, delay] of ops) {
          if (push) queue.push(event(now + delay, seq++));
          else {
            const e = queue.pop();
            if (e) {
              expect(e.time).toBeGreaterThanOrEqual(now);
              now = e.time;
            }
          }
        }
      }),
    );
  });
});

describe('kernel', () => {
  it('compacts a queue mostly made of cancelled timers, and runs the rest in the same order', () => {
    const order = (cancelEvery: number) => {
      const kernel = new Kernel();
      const fired: number[] = [];
      const timers = [];
      for (let i = 0; i < 20_000; i++) timers.push(kernel.at(1_000 + (i % 977), (n: number) => fired.push(n), i));
      for (let i = 0; i < timers.length; i++) if (i % cancelEvery !== 0) kernel.cancel(timers[i]);
      const pendingAfterCancels = kernel.pending;
      kernel.run();
      return { fired, pendingAfterCancels };
    };
    const { fired, pendingAfterCancels } = order(10);
    // 18,000 of 20,000 cancelled: compaction ran and left about the live ones queued.
    expect(pendingAfterCancels).toBeLessThan(20_000 / 2);
    const expected = Array.from({ length: 20_000 }, (_, i) => i).filter((i) => i % 10 === 0)
      .sort((a, b) => (a % 977) - (b % 977) || a - b);
    expect(fired).toEqual(expected);
  });

  it('a timer cancelled after it fired, or twice, is not counted as queued', () => {
    const kernel = new Kernel();
    const fired: number[] = [];
    const first = kernel.at(10, () => fired.push(1), null);
    kernel.run();
    kernel.cancel(first);
    kernel.cancel(first);
    const later = kernel.at(20, () => fired.push(2), null);
    kernel.run();
    expect(fired).toEqual([1, 2]);
    expect(later.cancelled).toBe(true);
    expect(kernel.pending).toBe(0);
  });

  it('runs events in (time, insertion) order and advances the clock', () => {
    const kernel = new Kernel();
    const seen: string[] = [];
    kernel.at(20, (s: string) => seen.push(`${kernel.now}:${s}`), 'c');
    kernel.at(10, (s: string) => seen.push(`${kernel.now}:${s}`), 'a');
    kernel.at(10, (s: string) => seen.push(`${kernel.now}:${s}`), 'b');
    kernel.at(10, () => kernel.after(0, (s: string) => seen.push(`${kernel.now}:${s}`), 'a2'), null);
    expect(kernel.run()).toBe('idle');
    expect(seen).toEqual(['10:a', '10:b', '10:a2', '20:c']);
    expect(kernel.now).toBe(20);
  });

  it('never fires a cancelled timer', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.boolean()), { maxLength: 200 }), (plan) => {
        const kernel = new Kernel();
        const fired = new Set<number>();
        const timers = plan.map(([time], i) => kernel.at(time, (n: number) => fired.add(n), i));
        plan.forEach(([, cancel], i) => {
          if (cancel) kernel.cancel(timers[i]);
        });
        kernel.run();
        plan.forEach(([, cancel], i) => expect(fired.has(i)).toBe(!cancel));
      }),
    );
  });

  it('a timer cancelled by an earlier event at the same instant does not fire', () => {
    const kernel = new Kernel();
    const fired: string[] = [];
    let second: ReturnType<Kernel['at']> | null = null;
    kernel.at(5, () => {
      fired.push('first');
      kernel.cancel(second);
    }, null);
    second = kernel.at(5, () => fired.push('second'), null);
    kernel.run();
    expect(fired).toEqual(['first']);
  });

  it('stops at `until` with the clock set to it, and carries on from there', () => {
    const kernel = new Kernel();
    const seen: number[] = [];
    for (const t of [5, 10, 15]) kernel.at(t, (x: number) => seen.push(x), t);
    expect(kernel.run(10)).toBe('until');
    expect(seen).toEqual([5, 10]);
    expect(kernel.now).toBe(10);
    kernel.run();
    expect(seen).toEqual([5, 10, 15]);
  });

  it('refuses to schedule in the past', () => {
    const kernel = new Kernel();
    kernel.at(10, () => expect(() => kernel.at(5, () => {}, null)).toThrow(/before now/), null);
    kernel.run();
  });

  it('trips the max-events guard on a runaway run', () => {
    const kernel = new Kernel({ maxEvents: 1000 });
    const loop = () => kernel.after(1, loop, null);
    kernel.after(0, loop, null);
    expect(() => kernel.run()).toThrow(GuardError);
    expect(kernel.eventsRun).toBe(1001);
  });

  it('trips the max-time guard', () => {
    const kernel = new Kernel({ maxTime: 1_000_000 });
    const loop = () => kernel.after(300_000, loop, null);
    kernel.after(0, loop, null);
    expect(() => kernel.run()).toThrow(/maxTime 1\.000s/);
  });

  it('ends the run when a handler throws, naming the time, node, event and cause', () => {
    const kernel = new Kernel();
    const node = kernel.trace.intern('broker-2');
    const kind = kernel.trace.kind('net.deliver');
    kernel.at(2_500_000, () => {
      throw new Error('boom');
    }, null, kind.id, node);
    let caught: unknown;
    try {
      kernel.run();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SimulationError);
    const error = caught as SimulationError;
    expect(error.time).toBe(2_500_000);
    expect(error.node).toBe('broker-2');
    expect(error.event).toBe('net.deliver');
    expect(error.message).toContain('2.500s');
    expect((error.cause as Error).stack).toContain('boom');
  });

  it('folds every event into the trace hash: same schedule, same hash; different timing, different hash', () => {
    const run = (shift: number) => {
      const kernel = new Kernel();
      for (let i = 0; i < 100; i++) kernel.at(i * 10 + (i === 50 ? shift : 0), () => {}, null);
      kernel.run();
      return kernel.trace.hex();
    };
    expect(run(0)).toBe(run(0));
    expect(run(1)).not.toBe(run(0));
  });
});

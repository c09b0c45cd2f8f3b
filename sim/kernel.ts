import { EventQueue, type ScheduledEvent } from './heap.js';
import { formatTimestamp, type Micros } from './time.js';
import { KERNEL_NODE, Trace, type TraceKind } from './trace.js';

export type Timer = ScheduledEvent;

/** Compact the event queue only when at least this many cancelled events wait in it. */
const COMPACT_AT_LEAST = 4096;

export interface KernelOptions {
  /** Stop the run (GuardError) after this many events. Default 200 million. */
  maxEvents?: number;
  /** Stop the run (GuardError) when virtual time would pass this. Default: no limit but `run(until)`. */
  maxTime?: Micros;
  trace?: Trace;
}

/** Why `run` returned. */
export type StopReason = 'idle' | 'until' | 'stopped';

/** An event handler threw: the run ends here, with where and when. */
export class SimulationError extends Error {
  override name = 'SimulationError';
  constructor(
    message: string,
    readonly time: Micros,
    readonly node: string,
    readonly event: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** A runaway run hit a guard (max events or max virtual time). */
export class GuardError extends SimulationError {
  override name = 'GuardError';
  constructor(
    message: string,
    time: Micros,
    node: string,
    event: string,
    /** Which bound the run reached: the scenario's `limits:` key of the same name sets it. */
    readonly limit: 'maxEvents' | 'maxTime' | 'maxMessages',
  ) {
    super(message, time, node, event);
  }
}

/** Events between two calls of the kernel's `tick` (progress reporting); a power of two. */
export const TICK_EVENTS = 1 << 14;

/**
 * The kernel: a virtual clock and an event queue ordered by (time, insertion sequence).
 * It knows nothing of nodes or messages; everything above schedules handlers on it.
 */
export class Kernel {
  /** Current virtual time in microseconds. */
  now: Micros = 0;
  eventsRun = 0;
  readonly trace: Trace;
  readonly maxEvents: number;
  readonly maxTime: Micros;
  /** Trace kind of events scheduled without one. */
  readonly genericKind: TraceKind;

  private seq = 0;
  private readonly queue = new EventQueue();
  /**
   * Cancelled events still in the queue. A cancelled timer waits in the heap until its time
   * (a producer's confirm timeouts, 30 s out, one per message: a million at a time in a 1M
   * run), costing memory and heap depth; when they are most of the queue it is compacted.
   */
  private cancelledQueued = 0;
  private stopRequested = false;
  /** Called every TICK_EVENTS events (progress bars); it must not touch the simulation. */
  tick: (() => void) | null = null;

  constructor(options: KernelOptions = {}) {
    this.trace = options.trace ?? new Trace();
    this.maxEvents = options.maxEvents ?? 200_000_000;
    this.maxTime = options.maxTime ?? Number.POSITIVE_INFINITY;
    this.genericKind = this.trace.kind('event');
  }

  /** Schedules `handler(data)` at absolute virtual time `time` (never in the past). */
  at<D>(time: Micros, handler: (data: D) => void, data: D, kind: number = this.genericKind.id, node: number = KERNEL_NODE): Timer {
    if (!(time >= this.now)) {
      throw new Error(`cannot schedule at ${time}us: it is before now (${this.now}us) or not a number`);
    }
    const event: ScheduledEvent<D> = { time, seq: this.seq++, handler, data, kind, node, cancelled: false };
    this.queue.push(event);
    return event;
  }

  /** Schedules `handler(data)` after `delay` microseconds (rounded to a whole microsecond). */
  after<D>(delay: Micros, handler: (data: D) => void, data: D, kind?: number, node?: number): Timer {
    return this.at(this.now + Math.max(0, Math.round(delay)), handler, data, kind, node);
  }

  /** Cancels a timer; a cancelled timer never fires. Cancelling twice, or after it fired, is harmless. */
  cancel(timer: Timer | null | undefined): void {
    if (!timer || timer.cancelled) return;
    timer.cancelled = true;
    if (++this.cancelledQueued >= COMPACT_AT_LEAST && this.cancelledQueued * 2 > this.queue.size) {
      this.queue.compact();
      this.cancelledQueued = 0;
    }
  }

  get pending(): number {
    return this.queue.size;
  }

  /** Asks the loop to return after the current event. */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Runs events in (time, seq) order until the queue is empty, the next event is after
   * `until` (then the clock is set to `until`), or stop() is called.
   */
  run(until: Micros = Number.POSITIVE_INFINITY): StopReason {
    const queue = this.queue;
    const trace = this.trace;
    this.stopRequested = false;
    let event: ScheduledEvent | undefined;
    try {
      for (;;) {
        event = queue.peek();
        if (event === undefined) return 'idle';
        if (event.time > until) {
          this.now = until;
          return 'until';
        }
        queue.pop();
        if (event.cancelled) {
          this.cancelledQueued--;
          continue;
        }
        // Fired: a cancel() from now on is a no-op and must not count it as queued.
        event.cancelled = true;
        if (event.time > this.maxTime) {
          throw new GuardError(
            `guard: virtual time would pass maxTime ${formatTimestamp(this.maxTime)} (runaway run?)`,
            this.now, trace.nameOf(event.node), trace.kindById(event.kind)?.name ?? 'event', 'maxTime',
          );
        }
        if (++this.eventsRun > this.maxEvents) {
          throw new GuardError(
            `guard: more than ${this.maxEvents} events (runaway run?)`,
            event.time, trace.nameOf(event.node), trace.kindById(event.kind)?.name ?? 'event', 'maxEvents',
          );
        }
        this.now = event.time;
        trace.foldEvent(event.kind, event.time, event.node);
        event.handler(event.data);
        if (this.stopRequested) return 'stopped';
        if ((this.eventsRun & (TICK_EVENTS - 1)) === 0 && this.tick !== null) this.tick();
      }
    } catch (error) {
      if (error instanceof SimulationError) throw error;
      const node = event ? trace.nameOf(event.node) : 'kernel';
      const kind = event ? (trace.kindById(event.kind)?.name ?? 'event') : 'event';
      const detail = error instanceof Error ? error.message : String(error);
      throw new SimulationError(
        `event ${kind} on ${node} at ${formatTimestamp(this.now)} threw: ${detail}`,
        this.now, node, kind, error,
      );
    }
  }
}

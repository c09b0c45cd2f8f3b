import type { Timer } from './kernel.js';
import type { NodeContext } from './node.js';
import { sampler, type Distribution, type RandomStream, type Sampler } from './random.js';
import type { Micros } from './time.js';

/**
 * What a producer sends and when, independent of the system: send times from a rate and/or a
 * count, keys from a uniform or Zipf distribution over `key-0..key-(n-1)`, payload sizes from
 * a distribution. Models' producer actors ask it for the next send.
 */
export interface ProducerPlanSpec {
  /** Messages per second; with no rate, `count` messages are sent back to back from `start`. */
  rate?: number;
  count?: number;
  keys?: number | { count: number; zipf?: number };
  payload?: Distribution;
  start?: Micros;
  stop?: Micros;
}

export interface PlannedSend {
  /** 0-based sequence number of the message for this producer. */
  seq: number;
  at: Micros;
  key: string | undefined;
  bytes: number;
}

export const DEFAULT_PAYLOAD_BYTES = 1024;

export class ProducerPlan {
  private seq = 0;
  private readonly interval: Micros;
  private readonly payload: Sampler;
  private readonly keyOf: (() => string) | null;
  readonly start: Micros;
  readonly stop: Micros;
  readonly count: number;

  constructor(spec: ProducerPlanSpec, random: RandomStream, defaultStop: Micros) {
    this.start = spec.start ?? 0;
    this.stop = spec.stop ?? defaultStop;
    this.count = spec.count ?? Number.POSITIVE_INFINITY;
    this.interval = spec.rate !== undefined && spec.rate > 0 ? 1_000_000 / spec.rate : 0;
    this.payload = sampler(spec.payload ?? { constant: DEFAULT_PAYLOAD_BYTES }, random);
    this.keyOf = keyChooser(spec.keys, random);
  }

  /** The next send, or null when the plan is done (count reached or past stop). */
  next(): PlannedSend | null {
    if (this.seq >= this.count) return null;
    const at = Math.round(this.start + this.seq * this.interval);
    if (at >= this.stop) return null;
    const send: PlannedSend = { seq: this.seq, at, key: this.keyOf?.(), bytes: Math.max(1, Math.round(this.payload())) };
    this.seq++;
    return send;
  }

  get sent(): number {
    return this.seq;
  }
}

/** Key spaces up to this size keep their names in memory. */
const NAMED_KEYS = 1 << 16;

function keyChooser(keys: ProducerPlanSpec['keys'], random: RandomStream): (() => string) | null {
  if (keys === undefined) return null;
  const count = typeof keys === 'number' ? keys : keys.count;
  // Up to 2^31 - 1 keys: names are made once for a small key space, per message for a large one.
  const names = count <= NAMED_KEYS ? Array.from({ length: count }, (_, i) => `key-${i}`) : null;
  const nameOf = (i: number): string => names?.[i] ?? `key-${i}`;
  const zipf = typeof keys === 'number' ? undefined : keys.zipf;
  if (zipf === undefined) return () => nameOf(random.int(count));
  // Zipf: P(rank k) proportional to 1/k^s, sampled by binary search over the cumulative weights.
  const cumulative: number[] = [];
  let total = 0;
  for (let k = 1; k <= count; k++) {
    total += 1 / Math.pow(k, zipf);
    cumulative.push(total);
  }
  return () => {
    const target = random.next() * total;
    let low = 0;
    let high = count - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (cumulative[mid]! > target) high = mid;
      else low = mid + 1;
    }
    return nameOf(low);
  };
}

/**
 * Schedules a plan's next send as the node's `send` timer, carrying the PlannedSend as its data;
 * returns the timer, or null when the plan is done. Every model's producer drives its plan so.
 */
export function scheduleNextSend(ctx: NodeContext, plan: ProducerPlan): Timer | null {
  const next = plan.next();
  if (next === null) return null;
  return ctx.setTimer(Math.max(0, next.at - ctx.trueNow()), 'send', next);
}

/**
 * A producer's plan as `send` timers, the one piece every model's producer shares: one send
 * timer at a time while planning; planning ends when the plan runs out or when the world enters
 * the liveness phase (no new sends in the drain: outstanding ones may still be retried).
 */
export class PlannedSends {
  private timer: Timer | null = null;
  private active = true;

  constructor(readonly plan: ProducerPlan) {}

  /** Whether new sends are still planned. */
  get planning(): boolean {
    return this.active;
  }

  /** Schedules the plan's next send; planning ends when there is none. */
  scheduleNext(ctx: NodeContext): void {
    this.timer = scheduleNextSend(ctx, this.plan);
    if (this.timer === null) this.active = false;
  }

  /** The `send` timer fired: whether the send still goes out (not after planning stopped). */
  fired(): boolean {
    this.timer = null;
    return this.active;
  }

  /** The liveness phase: no new sends; the pending timer is cancelled. */
  stop(ctx: NodeContext): void {
    this.active = false;
    ctx.cancelTimer(this.timer);
    this.timer = null;
  }
}

import type { Timer } from './kernel.js';
import type { NodeContext } from './node.js';
import type { Micros } from './time.js';

/**
 * Typed timers. The kernel keeps a timer as (tag, data) and folds the tag into the trace hash, so
 * tags stay plain strings at run time; these types let an actor declare the union of its timer
 * kinds once and have the compiler check every `setTimer` and every `onTimer` case against it.
 *
 *   type BrokerTimer = { tag: 'replica-fetch'; data: number } | { tag: 'isr-check'; data: undefined };
 *   const timers = timersOf<BrokerTimer>();
 *   timers.set(ctx, ms(500), 'replica-fetch', 3);
 *   onTimer(...[tag, data]: TimerArgs<BrokerTimer>) {
 *     switch (tag) { case 'replica-fetch': data; ... default: unreachable(tag); }
 *   }
 *
 * `TimerArgs` is a union of tuples, so TypeScript narrows `data` by `tag` in the switch with no
 * object allocated per fired timer (the hot path stays as it was).
 */
export interface TimerKind {
  readonly tag: string;
  readonly data: unknown;
}

/** The `onTimer` parameters of an actor whose timers are the union K, as a union of tuples. */
export type TimerArgs<K extends TimerKind> = K extends TimerKind ? [tag: K['tag'], data: K['data']] : never;

/** The payload type of the timer kind tagged T in K. */
export type TimerData<K extends TimerKind, T extends K['tag']> = Extract<K, { tag: T }>['data'];

export interface TypedTimers<K extends TimerKind> {
  set<T extends K['tag']>(ctx: NodeContext, delay: Micros, tag: T, data: TimerData<K, T>): Timer;
}

const untyped: TypedTimers<TimerKind> = {
  set: (ctx, delay, tag, data) => ctx.setTimer(delay, tag, data),
};

/** A typed `setTimer` for the union K (one shared object: nothing is allocated per call). */
export function timersOf<K extends TimerKind>(): TypedTimers<K> {
  return untyped as unknown as TypedTimers<K>;
}

/** The default branch of an exhaustive switch: fails to compile when a case is missing. */
export function unreachable(value: never, what = 'case'): never {
  throw new Error(`unhandled ${what}: ${String(value)}`);
}

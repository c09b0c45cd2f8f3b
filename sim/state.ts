import { applyPatches, enablePatches, produceWithPatches, type Draft, type Patch } from 'immer';
import type { Micros } from './time.js';
import type { Trace, TraceKind, TraceRecord } from './trace.js';

enablePatches();

/**
 * Control-plane state (leaders, ISR, epochs, group generations, bindings, routes) lives in
 * immutable objects changed only through `update`, which uses immer's produceWithPatches and
 * records the patches into the trace. A report or a drill page rebuilds the state at any
 * instant from the trace alone (`rebuildState`).
 */
export class StateStore<S extends object> {
  private current: S;
  private readonly changeKind: TraceKind;
  private readonly listeners: ((state: S) => void)[] = [];
  changes = 0;

  constructor(
    readonly name: string,
    initial: S,
    private readonly trace: Trace,
    private readonly clock: () => Micros,
    private readonly node: number,
  ) {
    this.current = initial;
    this.changeKind = trace.kind('state.change');
    trace.recordValue(trace.kind('state.init'), clock(), node, { store: name, value: initial });
  }

  get state(): S {
    return this.current;
  }

  /** Calls `listener` with the new state after every change (for metrics; it must not update this store). */
  onChange(listener: (state: S) => void): void {
    this.listeners.push(listener);
  }

  /** Applies `recipe` to a draft; records the patches (if any) and returns them. */
  update(recipe: (draft: Draft<S>) => void, reason?: string): Patch[] {
    const [next, patches] = produceWithPatches(this.current, recipe);
    if (patches.length === 0) return patches;
    this.current = next as S;
    this.changes++;
    const data: StateChange = { store: this.name, patches };
    if (reason !== undefined) data.reason = reason;
    this.trace.recordValue(this.changeKind, this.clock(), this.node, data);
    for (const listener of this.listeners) listener(this.current);
    return patches;
  }
}

export interface StateChange {
  store: string;
  patches: Patch[];
  reason?: string;
}

/**
 * Rebuilds a store's state as it was at virtual time `time` (after every change at that
 * time) from trace records, e.g. the lines of a `--trace` file.
 */
export function rebuildState<S>(records: Iterable<TraceRecord>, store: string, time: Micros): S | undefined {
  let state: S | undefined;
  for (const record of records) {
    if (record.t > time) break;
    const data = record.data as { store?: string } | undefined;
    if (!data || data.store !== store) continue;
    if (record.kind === 'state.init') state = (data as { value: S }).value;
    else if (record.kind === 'state.change' && state !== undefined) state = applyPatches(state as object, (data as StateChange).patches) as S;
  }
  return state;
}

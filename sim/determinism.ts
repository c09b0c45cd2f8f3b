import type { Trace, TraceRecord, TraceSink } from './trace.js';

/**
 * The determinism self-check: a run repeated in the same process must fold the same hash after
 * every event. `run` performs one complete run; it is called with `checkpoints` true (hash after
 * every event) and, only when the two disagree, again with a sink that keeps the trace records,
 * so the report can show the first record that differs.
 */
export class DeterminismError extends Error {
  override name = 'DeterminismError';
}

export type RepeatableRun = (options: { checkpoints: boolean; sink?: TraceSink }) => Trace;

/** Runs twice; returns the first run's trace, or throws DeterminismError at the first difference. */
export function assertDeterministic(name: string, run: RepeatableRun): Trace {
  const first = run({ checkpoints: true });
  const second = run({ checkpoints: true });
  const a = first.checkpoints!;
  const b = second.checkpoints!;
  let differ = -1;
  const shared = Math.min(a.length, b.length);
  for (let i = 0; i < shared; i++) {
    if (a[i] !== b[i]) {
      differ = i;
      break;
    }
  }
  if (differ < 0 && a.length !== b.length) differ = shared;
  if (differ < 0) return first;
  const recordsA: TraceRecord[] = [];
  const recordsB: TraceRecord[] = [];
  run({ checkpoints: false, sink: { write: (r) => recordsA.push(r) } });
  run({ checkpoints: false, sink: { write: (r) => recordsB.push(r) } });
  for (let i = 0; i < Math.max(recordsA.length, recordsB.length); i++) {
    const left = JSON.stringify(recordsA[i]);
    const right = JSON.stringify(recordsB[i]);
    if (left !== right) {
      throw new DeterminismError(`${name} is not deterministic: trace record ${i} differs between two runs in one process\n  first:  ${left}\n  second: ${right}`);
    }
  }
  throw new DeterminismError(`${name} is not deterministic: the trace hash diverges at checkpoint ${differ >> 1} (in the timing or order of events, not in a trace record)`);
}

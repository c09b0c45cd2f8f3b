/**
 * The run queue `mqsim check` workers share: two Int32 cells in a SharedArrayBuffer. A worker
 * takes the next run with Atomics.add on NEXT_POSITION; a worker that finds a failing run lowers
 * STOP_ABOVE to it, and nobody starts a run above the mark (it could not change the verdict).
 */
export const NEXT_POSITION = 0;
export const STOP_ABOVE = 1;

/** Lowers the shared stop-above mark to `index` unless it is already lower. */
export function lowerStopAbove(cells: Int32Array, index: number): void {
  for (;;) {
    const current = Atomics.load(cells, STOP_ABOVE);
    if (current <= index || Atomics.compareExchange(cells, STOP_ABOVE, current, index) === current) return;
  }
}

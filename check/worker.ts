import '../scenario-sections.js';
import { parentPort, workerData } from 'node:worker_threads';
import { loadScenario } from '../models/scenario.js';
import { evaluateRun, planCheck } from './runner.js';
import { lowerStopAbove, NEXT_POSITION, STOP_ABOVE } from './work-queue.js';

/**
 * A `mqsim check` worker thread. The workers of one check share a queue of run numbers (the
 * shard's, in increasing order) through shared memory: each takes the next one when it is
 * free, so a worker that drew cheap runs does not sit idle while another still has a long list
 * (static striping did, and that cost speed-up). The verdict does not depend on who ran what:
 * it is the lowest failing run number, and every lower run is taken before it and finished.
 */
export interface WorkerTask {
  file: string;
  seed: number;
  runs: number;
  indices: number[];
  /** Int32 [0]: position of the next run to take in `indices`; [1]: stop above this run number. */
  shared: SharedArrayBuffer;
}

export type WorkerMessage =
  | { type: 'result'; index: number; ok: boolean; kinds: string[]; roles: string[] }
  | { type: 'error'; index: number; message: string }
  | { type: 'done' };

if (parentPort) {
  const port = parentPort;
  const task = workerData as WorkerTask;
  const cells = new Int32Array(task.shared);
  const plan = planCheck(loadScenario(task.file), { seed: task.seed, runs: task.runs });
  for (;;) {
    const position = Atomics.add(cells, NEXT_POSITION, 1);
    const index = task.indices[position];
    if (index === undefined || index > Atomics.load(cells, STOP_ABOVE)) break;
    let evaluation;
    try {
      evaluation = evaluateRun(plan, index);
    } catch (error) {
      port.postMessage({ type: 'error', index, message: error instanceof Error ? error.message : String(error) } satisfies WorkerMessage);
      break;
    }
    // Lower the mark before reporting, so no worker starts a run that cannot change the verdict.
    if (!evaluation.ok) lowerStopAbove(cells, index);
    port.postMessage({ type: 'result', ...evaluation } satisfies WorkerMessage);
  }
  port.postMessage({ type: 'done' } satisfies WorkerMessage);
}

import { parentPort, workerData } from 'node:worker_threads';
import { loadScenario } from '../models/scenario.js';
import { evaluateRun, planCheck } from './runner.js';

/**
 * A `mqsim check` worker thread: evaluates the run numbers it is given, in increasing order,
 * and reports each. It stops early when told the verdict can no longer depend on its later runs.
 */
export interface WorkerTask {
  file: string;
  seed: number;
  runs: number;
  indices: number[];
}

export type WorkerMessage =
  | { type: 'result'; index: number; ok: boolean; kinds: string[]; roles: string[] }
  | { type: 'error'; index: number; message: string }
  | { type: 'done' };

if (parentPort) {
  const port = parentPort;
  const task = workerData as WorkerTask;
  let stopAbove = Number.POSITIVE_INFINITY;
  port.on('message', (message: { stopAbove: number }) => {
    stopAbove = Math.min(stopAbove, message.stopAbove);
  });
  const plan = planCheck(loadScenario(task.file), { seed: task.seed, runs: task.runs });
  const next = (position: number) => {
    const index = task.indices[position];
    if (index === undefined || index > stopAbove) {
      port.postMessage({ type: 'done' } satisfies WorkerMessage);
      return;
    }
    try {
      const evaluation = evaluateRun(plan, index);
      port.postMessage({ type: 'result', ...evaluation } satisfies WorkerMessage);
    } catch (error) {
      port.postMessage({ type: 'error', index, message: error instanceof Error ? error.message : String(error) } satisfies WorkerMessage);
      return;
    }
    // Yield so a stop message can arrive between runs.
    setImmediate(() => next(position + 1));
  };
  next(0);
}

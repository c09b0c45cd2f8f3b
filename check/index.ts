import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { loadScenario } from '../models/scenario.js';
import { evaluateRun, planCheck, shrinkFailure, type Counterexample, type RunEvaluation } from './runner.js';
import type { WorkerMessage, WorkerTask } from './worker.js';
import { NEXT_POSITION, STOP_ABOVE } from './work-queue.js';

/**
 * `mqsim check` as a library call: run numbers 0..runs-1 (or one shard's share of them) on
 * worker threads, the verdict being the failing run with the lowest number, shrunk in this
 * thread. The report is the same whatever the number of workers, and shard reports merge into
 * the report of the unsharded check.
 */
export interface Shard {
  /** 1-based, like a CI matrix index. */
  index: number;
  count: number;
}

export interface CheckOptions {
  seed?: number;
  runs?: number;
  workers?: number;
  shard?: Shard;
  /** Shrink the first failing run to a counterexample (default true); false only finds it. */
  shrink?: boolean;
  onProgress?: (progress: { done: number; total: number; failures: number }) => void;
}

export interface CheckReport {
  file: string;
  scenario: string;
  system: string;
  seed: number;
  runs: number;
  shard: Shard | null;
  properties: string;
  /** Runs that decide the verdict: all of the shard's, or those up to the first failure. */
  runsDone: number;
  firstFailure: number | null;
  counterexample: Counterexample | null;
  coverage: { kinds: Record<string, number>; roles: Record<string, number> };
  /** One entry per run that decides the verdict, for merging shards. */
  perRun: RunEvaluation[];
  wallMs: number;
  runsPerSecond: number;
}

/**
 * The shape of a report `mqsim check --json` writes, for `mqsim merge`: shard reports come from
 * other machines (CI artifacts), so each is validated before anything in it is used.
 */
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const text = z.string().max(100_000);
const runEvaluationSchema = z.strictObject({ index: count, ok: z.boolean(), kinds: z.array(text).max(100), roles: z.array(text).max(100) });
export const checkReportSchema = z.object({
  file: text,
  scenario: text,
  system: text,
  seed: z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
  runs: count.min(1),
  shard: z.strictObject({ index: count.min(1), count: count.min(1) }).refine((s) => s.index <= s.count, 'shard index above the shard count').nullable(),
  properties: text,
  runsDone: count,
  firstFailure: count.nullable(),
  counterexample: z.strictObject({
    index: count,
    property: text,
    message: text,
    yaml: z.string().max(10 * 1024 * 1024),
    faults: z.array(text).max(10_000),
    traceHash: text,
    shrinkSteps: count,
  }).nullable(),
  coverage: z.strictObject({ kinds: z.record(text, count), roles: z.record(text, count) }),
  perRun: z.array(runEvaluationSchema).max(10_000_000),
  wallMs: z.number().min(0),
  runsPerSecond: z.number().min(0),
}) satisfies z.ZodType<Omit<CheckReport, 'perRun'> & { perRun: RunEvaluation[] }>;

/**
 * The file name stem of a property's counterexample: its own character set only (letters,
 * digits, `.`, `_`, `-`; no separator, no leading dot), so a name from a report can never
 * climb out of the folder it is written to.
 */
export function counterexampleFileName(property: string): string {
  const stem = property.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '').slice(0, 80).replace(/[.-]+$/, '');
  return `counterexample-${stem === '' ? 'property' : stem}.yaml`;
}

/** The run numbers of a shard (all of them without one). */
export function shardIndices(runs: number, shard: Shard | null): number[] {
  const indices: number[] = [];
  for (let i = 0; i < runs; i++) if (!shard || i % shard.count === shard.index - 1) indices.push(i);
  return indices;
}

export async function runCheck(file: string, options: CheckOptions = {}): Promise<CheckReport> {
  const started = Date.now();
  const scenario = loadScenario(file);
  const plan = planCheck(scenario, { ...(options.seed !== undefined ? { seed: options.seed } : {}), ...(options.runs !== undefined ? { runs: options.runs } : {}) });
  const shard = options.shard ?? null;
  const indices = shardIndices(plan.runs, shard);
  const workers = Math.max(1, Math.min(options.workers ?? 1, indices.length));
  const results = new Map<number, RunEvaluation>();
  let failures = 0;
  const progress = (evaluation: RunEvaluation) => {
    results.set(evaluation.index, evaluation);
    if (!evaluation.ok) failures++;
    options.onProgress?.({ done: results.size, total: indices.length, failures });
  };
  if (workers === 1) {
    for (const index of indices) {
      const evaluation = evaluateRun(plan, index);
      progress(evaluation);
      if (!evaluation.ok) break;
    }
  } else {
    await runOnWorkers(file, plan.seed, plan.runs, indices, workers, progress);
  }
  const firstFailure = indices.find((i) => results.get(i)?.ok === false) ?? null;
  const deciding = indices.filter((i) => firstFailure === null || i <= firstFailure).map((i) => results.get(i)!);
  const counterexample = firstFailure === null || options.shrink === false ? null : shrinkFailure(plan, firstFailure);
  const wallMs = Date.now() - started;
  return {
    file,
    scenario: scenario.name,
    system: scenario.system,
    seed: plan.seed,
    runs: plan.runs,
    shard,
    properties: plan.property.name,
    runsDone: deciding.length,
    firstFailure,
    counterexample,
    coverage: coverageTable(deciding),
    perRun: deciding,
    wallMs,
    runsPerSecond: results.size / Math.max(0.001, wallMs / 1000),
  };
}

function coverageTable(runs: readonly RunEvaluation[]): CheckReport['coverage'] {
  const kinds: Record<string, number> = {};
  const roles: Record<string, number> = {};
  for (const run of runs) {
    for (const kind of run.kinds) kinds[kind] = (kinds[kind] ?? 0) + 1;
    for (const role of run.roles) roles[role] = (roles[role] ?? 0) + 1;
  }
  return { kinds: sortKeys(kinds), roles: sortKeys(roles) };
}

function sortKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

/** The compiled worker script: beside this module when running from dist/, else in dist/check/. */
function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'worker.js');
  if (existsSync(beside)) return beside;
  let dir = here;
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'dist', 'check', 'worker.js');
    if (existsSync(candidate) && existsSync(join(dir, 'package.json')) && JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'mqsim') return candidate;
    dir = dirname(dir);
  }
  throw new Error('mqsim check: the compiled worker (dist/check/worker.js) is missing; run npm run build');
}

function runOnWorkers(
  file: string, seed: number, runs: number, indices: number[], count: number,
  progress: (evaluation: RunEvaluation) => void,
): Promise<void> {
  const script = workerScript();
  const shared = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  const cells = new Int32Array(shared);
  cells[NEXT_POSITION] = 0;
  cells[STOP_ABOVE] = 0x7fffffff;
  const task: WorkerTask = { file, seed, runs, indices, shared };
  return new Promise((resolve, reject) => {
    const threads: Worker[] = [];
    let finished = 0;
    let failed = false;
    const stopAll = () => {
      for (const thread of threads) void thread.terminate();
    };
    for (let k = 0; k < count; k++) {
      const thread = new Worker(script, { workerData: task });
      threads.push(thread);
      thread.on('message', (message: WorkerMessage) => {
        if (failed) return;
        if (message.type === 'error') {
          failed = true;
          stopAll();
          reject(new Error(`run ${message.index}: ${message.message}`));
        } else if (message.type === 'result') {
          progress({ index: message.index, ok: message.ok, kinds: message.kinds, roles: message.roles });
        } else if (++finished === count) {
          stopAll();
          resolve();
        }
      });
      thread.on('error', (error) => {
        if (failed) return;
        failed = true;
        stopAll();
        reject(error);
      });
    }
  });
}

/** Merges shard reports of one check (same file, seed and runs) into the report of the whole. */
export function mergeReports(reports: readonly CheckReport[]): CheckReport {
  if (reports.length === 0) throw new Error('nothing to merge');
  const first = reports[0]!;
  for (const report of reports) {
    if (report.scenario !== first.scenario || report.system !== first.system || report.seed !== first.seed || report.runs !== first.runs || report.properties !== first.properties) {
      throw new Error(`cannot merge: ${report.file} is a different check (scenario, seed, runs or properties differ)`);
    }
  }
  const counts = new Set(reports.map((r) => r.shard?.count ?? 1));
  const shards = new Set(reports.map((r) => r.shard?.index ?? 1));
  if (counts.size !== 1 || shards.size !== reports.length || shards.size !== [...counts][0]) {
    throw new Error(`cannot merge: expected each of ${[...counts].join('/')} shards exactly once, got ${reports.map((r) => (r.shard ? `${r.shard.index}/${r.shard.count}` : 'unsharded')).join(', ')}`);
  }
  const failing = reports.filter((r) => r.firstFailure !== null).sort((a, b) => a.firstFailure! - b.firstFailure!)[0];
  const firstFailure = failing?.firstFailure ?? null;
  const perRun = reports
    .flatMap((r) => r.perRun)
    .filter((run) => firstFailure === null || run.index <= firstFailure)
    .sort((a, b) => a.index - b.index);
  const wallMs = Math.max(...reports.map((r) => r.wallMs));
  return {
    ...first,
    shard: null,
    runsDone: perRun.length,
    firstFailure,
    counterexample: failing?.counterexample ?? null,
    coverage: coverageTable(perRun),
    perRun,
    wallMs,
    runsPerSecond: reports.reduce((sum, r) => sum + r.runsPerSecond, 0),
  };
}

export { faultSchedule, workload, scenarioVariant, rawVariant, choices, type RawFaultStep, type FaultScheduleOptions, type VariantOptions } from './arbitraries.js';
export { noLostAcked, noDuplicates, noAbortedReads, eachInputOnce, orderedPerKey, delayWithin, latencyBelow, allOf, propertiesOf, type Property, type Verdict } from './properties.js';
export { planCheck, evaluateRun, shrinkFailure, CheckSetupError, type CheckPlan, type Counterexample, type RunEvaluation } from './runner.js';

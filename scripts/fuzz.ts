import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { scenarioFiles } from '../cli/commands.js';
import { applyMutation, fuzzCaseArbitrary, type FuzzCase } from './fuzz-mutations.js';
import type { FuzzAnswer, FuzzTask } from './fuzz-worker.js';
import { REPO_ROOT } from './golden.js';

/**
 * The hostile-input fuzzer: shipped scenarios mutated by fast-check (seeded), each run through
 * `mqsim run` in a worker thread whose heap is capped, each case given a wall-clock bound. A
 * case passes when it ends in exit 0, 1 or 2; exit 3 (an internal error), a timeout or running
 * out of heap is a finding. `npm run fuzz -- --cases 10000` prints the outcome buckets.
 */
export interface FuzzOptions {
  cases: number;
  seed?: number;
  workers?: number;
  /** Heap of each worker thread (MiB). */
  heapMb?: number;
  /** Wall-clock bound of one case (ms). */
  caseMs?: number;
  /** The message budget each run is held to (`--max-messages`), so that a case stays small. */
  maxMessages?: number;
  onCase?: (done: number) => void;
}

export type Outcome = 'exit 0' | 'exit 1' | 'exit 2' | 'exit 3' | 'timeout' | 'out of memory';

export interface FuzzFinding {
  index: number;
  outcome: Outcome;
  base: string;
  fuzzCase: FuzzCase;
  text: string;
  stderr: string;
}

export interface FuzzReport {
  cases: number;
  seed: number;
  outcomes: Record<Outcome, number>;
  /** exit 2 by what was wrong (the message's first words, numbers and names left out). */
  usage: Record<string, number>;
  findings: FuzzFinding[];
  wallMs: number;
}

function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'fuzz-worker.js');
  try {
    readFileSync(beside);
    return beside;
  } catch {
    return join(REPO_ROOT, 'dist', 'scripts', 'fuzz-worker.js');
  }
}

/** The kind of a usage error, for the buckets: `rate ... must be above 0` -> `rate must be above`. */
export function usageKind(stderr: string): string {
  const line = stderr.split('\n')[0] ?? '';
  const message = line.replace(/^mqsim( \w+)?: /, '').replace(/^[^:]*:\d+:\d+: /, '').replace(/^[\w.[\]-]+: /, '');
  return message.replace(/"[^"]*"|\d[\d.,_]*\w*|\([^)]*\)/g, '').replace(/\s+/g, ' ').trim().split(' ').slice(0, 6).join(' ') || '(empty)';
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const seed = options.seed ?? 1;
  const bases = scenarioFiles(join(REPO_ROOT, 'scenarios')).filter((p) => !/[\\/]compare[\\/]/.test(p));
  const texts = bases.map((p) => readFileSync(p, 'utf8'));
  const cases = fc.sample(fuzzCaseArbitrary, { seed, numRuns: options.cases });
  const maxMessages = options.maxMessages ?? 20_000;
  const tasks: (FuzzTask & { fuzzCase: FuzzCase; base: string })[] = cases.map((fuzzCase, index) => {
    const base = fuzzCase.base % texts.length;
    const text = fuzzCase.mutations.reduce(applyMutation, texts[base]!);
    return { index, text, argv: ['run', '{file}', '--quiet', '--max-messages', String(maxMessages)], fuzzCase, base: bases[base]!.slice(REPO_ROOT.length + 1) };
  });
  const outcomes: Record<Outcome, number> = { 'exit 0': 0, 'exit 1': 0, 'exit 2': 0, 'exit 3': 0, timeout: 0, 'out of memory': 0 };
  const usage: Record<string, number> = {};
  const findings: FuzzFinding[] = [];
  let next = 0;
  let done = 0;
  const record = (task: (typeof tasks)[number], outcome: Outcome, stderr: string) => {
    outcomes[outcome]++;
    if (outcome === 'exit 2') {
      const kind = usageKind(stderr);
      usage[kind] = (usage[kind] ?? 0) + 1;
    }
    if (outcome !== 'exit 0' && outcome !== 'exit 1' && outcome !== 'exit 2') {
      findings.push({ index: task.index, outcome, base: task.base, fuzzCase: task.fuzzCase, text: task.text, stderr });
    }
    options.onCase?.(++done);
  };
  const script = workerScript();
  const lane = () => new Promise<void>((finished) => {
    let current: (typeof tasks)[number] | undefined;
    let timer: NodeJS.Timeout | undefined;
    let worker: Worker;
    const start = () => {
      worker = new Worker(script, { resourceLimits: { maxOldGenerationSizeMb: options.heapMb ?? 384 } });
      worker.on('message', (answer: FuzzAnswer) => {
        clearTimeout(timer);
        record(current!, `exit ${answer.code}` as Outcome, answer.stderr);
        feed();
      });
      worker.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (current) record(current, error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out of memory' : 'exit 3', String(error.stack ?? error));
        current = undefined;
        start();
        feed();
      });
    };
    const feed = () => {
      if (next >= tasks.length) {
        current = undefined;
        worker.postMessage(null);
        finished();
        return;
      }
      current = tasks[next++]!;
      timer = setTimeout(() => {
        // A case over its bound: the thread is ended and a fresh one takes the next case.
        const late = current!;
        current = undefined;
        worker.removeAllListeners();
        void worker.terminate();
        record(late, 'timeout', '');
        start();
        feed();
      }, options.caseMs ?? 30_000);
      worker.postMessage({ index: current.index, text: current.text, argv: current.argv } satisfies FuzzTask);
    };
    start();
    feed();
  });
  const lanes = Math.max(1, Math.min(options.workers ?? availableParallelism(), tasks.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  return { cases: tasks.length, seed, outcomes, usage, findings, wallMs: Date.now() - started };
}

function formatReport(report: FuzzReport): string {
  const lines = [`mqsim fuzz: ${report.cases} mutated scenarios, seed ${report.seed}, ${(report.wallMs / 1000).toFixed(1)} s`, '', 'outcomes:'];
  for (const [outcome, count] of Object.entries(report.outcomes)) lines.push(`  ${outcome.padEnd(14)} ${String(count).padStart(7)}`);
  lines.push('', 'exit 2, by what was wrong (top 25):');
  for (const [kind, count] of Object.entries(report.usage).sort((a, b) => b[1] - a[1]).slice(0, 25)) lines.push(`  ${String(count).padStart(7)}  ${kind}`);
  lines.push('', report.findings.length === 0 ? 'findings: none (no exit 3, no timeout, no out-of-memory)' : `findings: ${report.findings.length}`);
  for (const finding of report.findings.slice(0, 10)) {
    lines.push(`  case ${finding.index} (${finding.outcome}) from ${finding.base}: ${finding.stderr.split('\n').slice(0, 3).join(' | ')}`);
  }
  return lines.join('\n') + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const report = await runFuzz({
    cases: arg('cases') ?? 1000,
    seed: arg('seed') ?? 1,
    ...(arg('workers') !== undefined ? { workers: arg('workers')! } : {}),
    onCase: (n) => {
      if (process.stderr.isTTY && n % 50 === 0) process.stderr.write(`\r${n} cases`);
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\r\u001b[2K');
  process.stdout.write(formatReport(report));
  process.exitCode = report.findings.length === 0 ? 0 : 1;
}

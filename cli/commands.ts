import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { estimateScenario, loadScenarioFile, scenarioJsonSchema, type Scenario } from '../models/scenario.js';
import { DeterminismError, simulate, type SimulateOptions } from '../models/simulate.js';
import { formatRunText } from '../reports/text.js';
import { GuardError, SimulationError } from '../sim/kernel.js';
import type { RunResult } from '../sim/result.js';
import { formatProblem, ScenarioError } from '../sim/scenario/load.js';
import { parseDuration, formatTimestamp, type Micros } from '../sim/time.js';
import { JsonlFileSink } from '../sim/trace-file.js';
import type { RunProgress } from '../sim/world.js';
import { formatEstimate, type CostEstimate } from '../sim/scenario/cost.js';
import { EXIT, UsageError } from './exit.js';
import { checkOutputFile, openOutputStream, writeOutput } from './outputs.js';
import { PerfettoTraceSink } from '../reports/perfetto.js';
import { jepsenHistoryEdn, jepsenHistoryJson, toJepsenHistory } from '../reports/jepsen-history.js';
import { renderJunit, runJunitSuite } from '../reports/junit.js';
import type { HistoryOp } from '../sim/history.js';
import type { TraceRecord, TraceSink } from '../sim/trace.js';

/** Where a command writes, so tests can run commands in-process too. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** The terminal's width when stdout is one (drills wrap to it). */
  columns?: number;
  env: Record<string, string | undefined>;
  cwd: string;
  exitCode: number;
}

export interface RunCommandOptions {
  seed?: string;
  json?: boolean;
  trace?: string;
  until?: string;
  quiet?: boolean;
  checkDeterminism?: boolean;
  explain?: boolean;
  maxMessages?: string;
  /** Chrome/Perfetto trace-event JSON of the run (reports/perfetto.ts). */
  perfetto?: string;
  /** The client history as Jepsen's Kafka workload writes it: .edn or .json by extension (reports/jepsen-history.ts). */
  history?: string;
  /** JUnit XML, one test case per scenario (reports/junit.ts). */
  junit?: string;
  /** `--no-color` (commander sets color: false). */
  color?: boolean;
}

/**
 * `--seed`: an integer a double keeps exactly (|n| <= 2^53 - 1), so 9007199254740992 and ...993
 * can never name the same run; anything else is refused.
 */
export function parseSeedFlag(text: string | undefined, flag = '--seed'): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim())) throw new UsageError(`${flag} takes an integer, not ${JSON.stringify(text)}`);
  const value = Number(text.trim());
  if (!Number.isSafeInteger(value)) throw new UsageError(`${flag} ${text}: at most 2^53 - 1 (9007199254740991) in size; larger integers are not kept exactly`);
  return value;
}

/** `--max-messages`: a positive whole number (1_000_000 and 1,000,000 are read too). */
export function parseCountFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const digits = text.trim().replace(/[_,]/g, '');
  if (!/^\d+$/.test(digits) || !Number.isSafeInteger(Number(digits)) || Number(digits) < 1) throw new UsageError(`${flag} takes a positive whole number, not ${JSON.stringify(text)}`);
  return Number(digits);
}

/** Colour on a terminal only, unless NO_COLOR is set (https://no-color.org: any non-empty value), TERM=dumb or --no-color. */
export function useColor(io: CliIo, options: { color?: boolean } = {}): boolean {
  return io.stdoutIsTTY && options.color !== false && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
}

/**
 * A scenario file's path: as given, from the working folder; a `scenarios/...` path that is not
 * there names a scenario shipped with mqsim (so `npx mqsim run scenarios/demo/steady-state.yaml`
 * works from any folder, as from the package).
 */
export function scenarioPath(file: string, cwd: string): string {
  const local = resolve(cwd, file);
  const shipped = /^scenarios[\\/]/.test(file) ? join(bundledScenariosDir(), file.slice('scenarios/'.length)) : null;
  return !existsSync(local) && shipped !== null && existsSync(shipped) ? shipped : local;
}

/** Loads every file first: if one is invalid, none runs. */
function loadAll(files: string[], io: CliIo, maxMessages?: number): Scenario[] | null {
  const scenarios: Scenario[] = [];
  let bad = false;
  for (const file of files) {
    try {
      scenarios.push(loadScenarioFile(scenarioPath(file, io.cwd), maxMessages !== undefined ? { file, maxMessages } : { file }));
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      bad = true;
      for (const problem of error.problems) io.stderr(`${formatProblem(problem)}\n`);
    }
  }
  return bad ? null : scenarios;
}

/** `--history run.edn` or `run.json`: the format by the file's extension. */
export function historyFormatOf(path: string): 'edn' | 'json' {
  if (/\.edn$/i.test(path)) return 'edn';
  if (/\.json$/i.test(path)) return 'json';
  throw new UsageError(`--history ${path}: name a .edn file (Jepsen's history.edn) or a .json file`);
}

/** One sink that hands each record to every given sink (a JSON-lines trace and a Perfetto file). */
function teeSinks(...sinks: (TraceSink | undefined)[]): TraceSink | undefined {
  const present = sinks.filter((s): s is TraceSink => s !== undefined);
  if (present.length <= 1) return present[0];
  return {
    write(record: TraceRecord) {
      for (const s of present) s.write(record);
    },
  };
}

export function runCommand(files: string[], options: RunCommandOptions, io: CliIo): number {
  let until: Micros | undefined;
  try {
    if (options.until !== undefined) until = parseDuration(options.until);
  } catch (error) {
    io.stderr(`mqsim run: --until: ${(error as Error).message}\n`);
    return EXIT.usage;
  }
  const seed = parseSeedFlag(options.seed);
  const maxMessages = parseCountFlag('--max-messages', options.maxMessages);
  if (options.trace !== undefined && files.length > 1) {
    io.stderr('mqsim run: --trace writes one file: give one scenario with it\n');
    return EXIT.usage;
  }
  for (const [flag, value] of [['--perfetto', options.perfetto], ['--history', options.history]] as const) {
    if (value !== undefined && files.length > 1) {
      io.stderr(`mqsim run: ${flag} writes one file: give one scenario with it\n`);
      return EXIT.usage;
    }
  }
  const historyFormat = options.history !== undefined ? historyFormatOf(options.history) : undefined;
  checkOutputFile('--trace', options.trace, io.cwd);
  checkOutputFile('--perfetto', options.perfetto, io.cwd);
  checkOutputFile('--history', options.history, io.cwd);
  checkOutputFile('--junit', options.junit, io.cwd);
  const scenarios = loadAll(files, io, maxMessages);
  if (!scenarios) return EXIT.usage;
  const results: RunResult[] = [];
  const junitRuns: { source: string; result: RunResult }[] = [];
  let code: number = EXIT.ok;
  for (const scenario of scenarios) {
    if (options.trace !== undefined) mkdirSync(dirname(resolve(io.cwd, options.trace)), { recursive: true });
    const jsonl = options.trace !== undefined ? new JsonlFileSink(resolve(io.cwd, options.trace)) : undefined;
    const perfettoFile = options.perfetto !== undefined ? openOutputStream(options.perfetto, resolve(io.cwd, options.perfetto)) : undefined;
    const perfetto = perfettoFile ? new PerfettoTraceSink(perfettoFile.write, { scenario: scenario.name }) : undefined;
    const sink = teeSinks(jsonl, perfetto);
    const simulateOptions: SimulateOptions = {};
    if (seed !== undefined) simulateOptions.seed = seed;
    if (until !== undefined) simulateOptions.until = until;
    if (sink) simulateOptions.traceSink = sink;
    if (historyFormat !== undefined) simulateOptions.keepHistory = true;
    if (options.checkDeterminism) simulateOptions.checkDeterminism = true;
    if (maxMessages !== undefined) simulateOptions.maxMessages = maxMessages;
    const estimate = estimateScenario(scenario);
    if (options.explain) io.stderr(`${scenario.source}: ${formatEstimate(estimate)}\n`);
    const progress = options.json ? null : progressBar(io, scenario.name, estimate);
    if (progress) simulateOptions.progress = progress.update;
    let result: RunResult;
    try {
      result = simulate(scenario, simulateOptions);
    } catch (error) {
      progress?.clear();
      jsonl?.close();
      perfetto?.finish();
      perfettoFile?.close();
      return reportRunError(error, scenario, seed, io);
    }
    progress?.clear();
    jsonl?.close();
    if (perfetto && perfettoFile) {
      perfetto.finish(result);
      perfettoFile.close();
      io.stderr(`wrote ${options.perfetto} (${perfetto.events} trace events; open it in ui.perfetto.dev or chrome://tracing)\n`);
    }
    if (historyFormat !== undefined && options.history !== undefined) {
      const jepsen = toJepsenHistory((result.history ?? []) as HistoryOp[]);
      writeOutput(options.history, resolve(io.cwd, options.history), historyFormat === 'edn' ? jepsenHistoryEdn(jepsen) : jepsenHistoryJson(jepsen));
      io.stderr(`wrote ${options.history} (${jepsen.ops.length} ops, Jepsen Kafka workload shape)\n`);
      delete result.history;
    }
    results.push(result);
    junitRuns.push({ source: scenario.source, result });
    if (!result.passed) code = EXIT.expectationFailed;
    if (options.json) continue;
    if (options.quiet) {
      const mark = result.passed ? 'PASS' : 'FAIL';
      io.stdout(`${mark} ${scenario.source} ${result.traceHash} ${result.events} events\n`);
    } else {
      io.stdout(formatRunText(result, { color: useColor(io, options) }) + '\n');
      if (scenarios.length > 1) io.stdout('\n');
    }
  }
  if (options.json) io.stdout(JSON.stringify(results.length === 1 ? results[0] : results, null, 2) + '\n');
  if (options.junit !== undefined) {
    writeOutput(options.junit, resolve(io.cwd, options.junit), renderJunit([runJunitSuite(junitRuns)]));
    if (!options.json) io.stderr(`wrote ${options.junit}\n`);
  }
  return code;
}

export function reportRunError(error: unknown, scenario: Scenario, seed: number | string | undefined, io: CliIo): number {
  const usedSeed = seed ?? scenario.seed ?? 1;
  if (error instanceof GuardError && (error.limit === 'maxMessages' || (error.limit === 'maxEvents' && scenario.limits?.maxEvents !== undefined))) {
    // The user's own budget (limits: in the file, or --max-messages): stopping there is not a bug.
    const how = error.limit === 'maxMessages' ? 'raise limits.maxMessages or --max-messages' : `raise limits.${error.limit}`;
    io.stderr(`mqsim: ${scenario.source}: the run stopped at ${formatTimestamp(error.time)}: ${error.message.replace(/^guard: /, '')}. It is over its budget: ${how} if the run is meant to be this large.\n`);
    return EXIT.usage;
  }
  if (error instanceof GuardError) {
    io.stderr(`mqsim: ${scenario.source}: ${error.message} at ${formatTimestamp(error.time)} (event ${error.event} on ${error.node}).\n` +
      `Raise limits.maxEvents in the scenario if the run is meant to be this long; otherwise please report it with the scenario and seed ${usedSeed}.\n`);
    return EXIT.internal;
  }
  if (error instanceof SimulationError) {
    const cause = error.cause instanceof Error && error.cause.stack ? `\n${error.cause.stack}` : '';
    io.stderr(`mqsim: internal error in ${scenario.source}: ${error.message}${cause}\n` +
      `Please report this bug with the scenario file and seed ${usedSeed}.\n`);
    return EXIT.internal;
  }
  if (error instanceof DeterminismError) {
    io.stderr(`mqsim: ${error.message}\nPlease report this bug with the scenario file and seed ${usedSeed}.\n`);
    return EXIT.internal;
  }
  throw error;
}

/**
 * Progress on stderr, on a TTY only (never on a pipe or with --json): once a run has taken a
 * second, redrawn at most every 250 ms of wall time and at least about once a second (the kernel
 * reports every few thousand events): virtual time reached, events, messages, rate, ETA from the
 * cost estimate. Wall-clock time here paces the display only; the run never sees it.
 */
export function progressBar(io: CliIo, name: string, estimate: CostEstimate, clock: () => number = Date.now): { update: (p: RunProgress) => void; clear: () => void } | null {
  if (!io.stderrIsTTY) return null;
  const started = clock();
  let lastDrawn = 0;
  let drawn = false;
  const count = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(0)}k` : String(n));
  return {
    update({ now, end, events, sent }) {
      const wall = clock();
      if (wall - started < 1000 || wall - lastDrawn < 250) return;
      lastDrawn = wall;
      const seconds = (wall - started) / 1000;
      // Events track work better than virtual time (a drain is cheap); past the estimate, time it is.
      const done = events < estimate.events ? events / Math.max(1, estimate.events) : Math.min(1, end > 0 ? now / end : 1);
      const eta = done > 0.001 ? (seconds * (1 - done)) / done : Number.NaN;
      const etaText = Number.isFinite(eta) ? `ETA ${eta < 90 ? `${Math.ceil(eta)}s` : `${Math.ceil(eta / 60)}m`}` : 'ETA ?';
      io.stderr(`\r\u001b[2K${name} ${formatTimestamp(now)}/${formatTimestamp(end)}  ${count(events)} events  ${count(sent)} messages  ${count(Math.round(events / seconds))} events/s  ${etaText}`);
      drawn = true;
    },
    clear() {
      if (drawn) io.stderr('\r\u001b[2K');
    },
  };
}

export function validateCommand(files: string[], io: CliIo, options: { verbose?: boolean } = {}): number {
  let code: number = EXIT.ok;
  for (const file of files) {
    try {
      const scenario = loadScenarioFile(resolve(io.cwd, file), { file });
      io.stdout(`ok ${file} (${scenario.system}: ${scenario.name})\n`);
      if (options.verbose) io.stdout(`   cost: ${formatEstimate(estimateScenario(scenario))}\n`);
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      code = EXIT.usage;
      for (const problem of error.problems) io.stderr(`${formatProblem(problem)}\n`);
    }
  }
  return code;
}

/** The scenarios shipped with the package (beside dist/ or the sources). */
export function bundledScenariosDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, '..', 'scenarios'), join(here, '..', '..', 'scenarios')]) {
    if (existsSync(candidate)) return candidate;
  }
  return join(here, '..', 'scenarios');
}

export function scenarioFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder).sort()) {
      const path = join(folder, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(entry)) found.push(path);
    }
  };
  walk(dir);
  return found;
}

export function listCommand(dir: string | undefined, io: CliIo): number {
  const local = resolve(io.cwd, 'scenarios');
  const root = dir !== undefined ? resolve(io.cwd, dir) : existsSync(local) ? local : bundledScenariosDir();
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    io.stderr(`mqsim list: no folder ${dir ?? root}\n`);
    return EXIT.usage;
  }
  const rows: [string, string, string][] = [];
  for (const path of scenarioFiles(root)) {
    const shown = relative(io.cwd, path) || path;
    if (isCompareFile(path)) {
      // Compare files are not scenarios: `mqsim compare` reads them.
      let description = '(unreadable: run mqsim compare on it)';
      try {
        const data = parseYaml(readFileSync(path, 'utf8')) as { description?: unknown; name?: unknown };
        description = String(data.description ?? data.name ?? '');
      } catch {
        // listed as unreadable
      }
      rows.push([shown, 'compare', oneLine(description)]);
      continue;
    }
    try {
      const scenario = loadScenarioFile(path, { file: shown });
      rows.push([shown, scenario.system, oneLine(scenario.description ?? scenario.name)]);
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      rows.push([shown, '?', `(invalid: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}; run mqsim validate)`]);
    }
  }
  const width = Math.max(0, ...rows.map((r) => r[0].length));
  for (const [file, system, description] of rows) io.stdout(`${file.padEnd(width)}  ${system.padEnd(8)}  ${description}\n`);
  return EXIT.ok;
}

/** Files under a `compare/` folder are compare files, run by `mqsim compare`. */
export function isCompareFile(path: string): boolean {
  return /(^|[\\/])compare[\\/][^\\/]+$/.test(path);
}

function oneLine(text: string): string {
  const flat = text.trim().replace(/\s*\n\s*/g, ' ');
  const sentence = /^(.*?[.!?])(\s|$)/.exec(flat)?.[1] ?? flat;
  return sentence.length > 100 ? sentence.slice(0, 97) + '...' : sentence;
}

export function schemaCommand(io: CliIo): number {
  io.stdout(JSON.stringify(scenarioJsonSchema(), null, 2) + '\n');
  return EXIT.ok;
}

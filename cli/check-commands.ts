import { join, relative, resolve, sep } from 'node:path';
import { availableParallelism } from 'node:os';
import { CheckSetupError, checkReportSchema, counterexampleFileName, mergeReports, runCheck, type CheckReport, type Shard } from '../check/index.js';
import { parseScenario, readScenarioText } from '../models/scenario.js';
import { formatProblem, ScenarioError } from '../sim/scenario/load.js';
import { bundledScenariosDir, parseSeedFlag, type CliIo } from './commands.js';
import { EXIT, UsageError } from './exit.js';
import { checkOutputDir, checkOutputFile, writeOutput } from './outputs.js';
import { checkJunitSuite, renderJunit } from '../reports/junit.js';

/** `mqsim check` and `mqsim merge`. */
export interface CheckCommandOptions {
  runs?: string;
  seed?: string;
  workers?: string;
  shard?: string;
  out?: string;
  json?: boolean;
  junit?: string;
  color?: boolean;
}

function positive(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--${name} must be a positive integer, not "${text}"`);
  return Number(text);
}

function parseShard(text: string | undefined): Shard | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (!match || Number(match[1]) < 1 || Number(match[1]) > Number(match[2])) throw new UsageError(`--shard is i/n with 1 <= i <= n, e.g. --shard 2/4, not "${text}"`);
  return { index: Number(match[1]), count: Number(match[2]) };
}

export async function checkCommand(file: string, options: CheckCommandOptions, io: CliIo): Promise<number> {
  let report: CheckReport;
  try {
    const runs = positive('runs', options.runs);
    const workers = positive('workers', options.workers) ?? availableParallelism();
    const shard = parseShard(options.shard);
    const seed = parseSeedFlag(options.seed);
    checkOutputDir('--out', options.out, io.cwd);
    checkOutputFile('--junit', options.junit, io.cwd);
    const bar = options.json ? null : checkProgress(io);
    report = await runCheck(resolve(io.cwd, file), {
      workers,
      ...(runs !== undefined ? { runs } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(shard ? { shard } : {}),
      ...(bar ? { onProgress: bar.update } : {}),
    });
    bar?.clear();
  } catch (error) {
    if (error instanceof UsageError || error instanceof CheckSetupError) {
      io.stderr(`mqsim check: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof ScenarioError) {
      for (const problem of error.problems) io.stderr(`${formatProblem(problem)}\n`);
      return EXIT.usage;
    }
    throw error;
  }
  report = { ...report, file };
  return finish(report, options, io);
}

export function mergeCommand(files: string[], options: { out?: string; json?: boolean; junit?: string }, io: CliIo): number {
  checkOutputDir('--out', options.out, io.cwd);
  checkOutputFile('--junit', options.junit, io.cwd);
  let merged: CheckReport;
  try {
    merged = mergeReports(files.map((f) => readShardReport(f, io)));
    const example = merged.counterexample;
    // The counterexample is written out as a scenario: it must be one, of the checked system.
    if (example) {
      const scenario = parseScenario(example.yaml, `${counterexampleFileName(example.property)} (from the shard reports)`);
      if (scenario.system !== merged.system) throw new Error(`the counterexample is a ${scenario.system} scenario, the check is of ${merged.system}`);
    }
  } catch (error) {
    if (error instanceof ScenarioError) {
      io.stderr('mqsim merge: the shard reports\' counterexample is not a valid scenario:\n');
      for (const problem of error.problems) io.stderr(`  ${formatProblem(problem)}\n`);
      return EXIT.usage;
    }
    io.stderr(`mqsim merge: ${(error as Error).message}\n`);
    return EXIT.usage;
  }
  return finish(merged, options, io);
}

/** One shard report: read as text (no folder, device or binary), parsed as JSON, checked against the report's shape. */
function readShardReport(file: string, io: CliIo): CheckReport {
  let text: string;
  try {
    text = readScenarioText(resolve(io.cwd, file), file);
  } catch (error) {
    if (error instanceof ScenarioError) throw new Error(`${file}: ${error.problems[0]!.message}`);
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message}); give the reports of mqsim check --json --shard i/n`);
  }
  const parsed = checkReportSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: not a report of mqsim check --json (${issue.path.join('.') || 'the file'}: ${issue.message})`);
  }
  return parsed.data as CheckReport;
}

function finish(report: CheckReport, options: { out?: string; json?: boolean; junit?: string }, io: CliIo): number {
  let written: string | null = null;
  if (report.counterexample && !report.shard) written = writeCounterexample(report, options.out ?? '.', io);
  if (options.junit !== undefined) writeOutput(options.junit, resolve(io.cwd, options.junit), renderJunit([checkJunitSuite(report, written)]));
  if (options.json) io.stdout(JSON.stringify(written ? { ...report, counterexampleFile: written } : report, null, 2) + '\n');
  else io.stdout(formatCheckText(report, written));
  return report.firstFailure === null ? EXIT.ok : EXIT.expectationFailed;
}

function writeCounterexample(report: CheckReport, outDir: string, io: CliIo): string {
  const dir = resolve(io.cwd, outDir);
  const path = join(dir, counterexampleFileName(report.counterexample!.property));
  // The name is built from its own character set; this guards the rule, not the input.
  if (!path.startsWith(dir.endsWith(sep) ? dir : dir + sep)) throw new UsageError(`refusing to write ${path}: outside ${dir}`);
  const schema = relative(dir, join(bundledScenariosDir(), 'mqsim.schema.json'));
  const shown = relative(io.cwd, path) || path;
  writeOutput(shown, path, `# yaml-language-server: $schema=${schema}\n${report.counterexample!.yaml}`);
  return shown;
}

export function formatCheckText(report: CheckReport, written: string | null): string {
  const lines: string[] = [];
  const shard = report.shard ? ` shard ${report.shard.index}/${report.shard.count}` : '';
  lines.push(`${report.scenario} (${report.system}): ${report.properties}, seed ${report.seed}, ${report.runs} runs${shard}`);
  const example = report.counterexample;
  if (report.firstFailure === null) {
    lines.push(`HOLDS over ${report.runsDone} runs (${report.runsPerSecond.toFixed(1)} runs/s)`);
  } else if (!example) {
    lines.push(`FAILS at run ${report.firstFailure} (this shard's verdict; mqsim merge the shard reports for the counterexample)`);
  } else {
    lines.push(`FAILS: ${example.property} at run ${report.firstFailure} (after ${report.runsDone} runs, ${report.runsPerSecond.toFixed(1)} runs/s)`);
    lines.push('', `minimal fault schedule (${example.faults.length} step${example.faults.length === 1 ? '' : 's'}, shrunk in ${example.shrinkSteps} steps):`);
    for (const step of example.faults) lines.push(`  ${step}`);
    if (example.faults.length === 0) lines.push('  (none: the property fails without faults)');
    lines.push('', example.message);
    lines.push('', `trace ${example.traceHash}`);
    if (written) lines.push(`counterexample written to ${written} (mqsim run ${written} replays it)`);
  }
  const kinds = Object.entries(report.coverage.kinds);
  const roles = Object.entries(report.coverage.roles);
  lines.push('', 'coverage (runs that injected each):');
  if (kinds.length === 0) lines.push('  no faults injected');
  for (const [kind, count] of kinds) lines.push(`  fault ${kind.padEnd(12)} ${String(count).padStart(6)}`);
  for (const [role, count] of roles) lines.push(`  role  ${role.padEnd(12)} ${String(count).padStart(6)}`);
  return lines.join('\n') + '\n';
}

/**
 * Progress of a number of runs on stderr, on a TTY only (`check`, `compare --seeds`): done/total,
 * runs per second and an ETA; failures too when the runs can fail (a check's property).
 */
export function checkProgress(io: CliIo, showFailures = true): { update: (p: { done: number; total: number; failures: number }) => void; clear: () => void } | null {
  if (!io.stderrIsTTY) return null;
  const started = Date.now();
  let drawn = false;
  return {
    update({ done, total, failures }) {
      const seconds = (Date.now() - started) / 1000;
      const width = 30;
      const filled = Math.round((done / Math.max(1, total)) * width);
      const eta = done > 0 ? (seconds * (total - done)) / done : Number.NaN;
      const etaText = Number.isFinite(eta) ? `ETA ${eta < 90 ? `${Math.ceil(eta)}s` : `${Math.ceil(eta / 60)}m`}` : 'ETA ?';
      io.stderr(`\r\u001b[2K[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} runs, ${showFailures ? `${failures} failing, ` : ''}${(done / Math.max(0.001, seconds)).toFixed(1)} runs/s, ${etaText}`);
      drawn = true;
    },
    clear() {
      if (drawn) io.stderr('\r\u001b[2K');
    },
  };
}

import { checkProgress } from './check-commands.js';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { loadScenarioFile, type Scenario } from '../models/scenario.js';
import { simulate, type SimulateOptions } from '../models/simulate.js';
import { compareJsonSchema, loadCompare, runComparison, type Comparison } from '../models/compare.js';
import { buildCompareReport } from '../reports/compare-report.js';
import { comparisonFacts, comparisonJson, formatMeasure, type ComparisonFacts } from '../reports/comparison.js';
import type { ReportDocument } from '../reports/document.js';
import { renderHtml } from '../reports/html.js';
import { renderMarkdown } from '../reports/markdown.js';
import { buildRunReport, consumerJoins } from '../reports/run-report.js';
import { formatProblem, ScenarioError } from '../sim/scenario/load.js';
import type { CommonConsumer } from '../sim/scenario/schema.js';
import { parseDuration } from '../sim/time.js';
import { parseSeedFlag, runCommand, type CliIo, type RunCommandOptions } from './commands.js';
import { EXIT } from './exit.js';
import { checkOutputFile, writeOutput } from './outputs.js';
import { compareJunitSuite, renderJunit } from '../reports/junit.js';

/**
 * `mqsim run FILE --report run.html --md run.md` and `mqsim compare FILE`: thin wiring of the
 * scenario layer (models/: loading, running) to the report builders in reports/ (rendering).
 * Files are written only after every run finished.
 */

export interface RunReportOptions extends RunCommandOptions {
  /** The HTML report (`--html`; `--report` is its older name). */
  html?: string;
  report?: string;
  md?: string;
}

/** Writes a report document as HTML and/or Markdown (with its SVG charts beside the Markdown). */
function writeReport(doc: ReportDocument, html: string | undefined, md: string | undefined, io: CliIo): void {
  if (html !== undefined) {
    writeOutput(html, resolve(io.cwd, html), renderHtml(doc));
    io.stderr(`wrote ${html}\n`);
  }
  if (md !== undefined) {
    const path = resolve(io.cwd, md);
    const base = basename(path, extname(path));
    const { markdown, files } = renderMarkdown(doc, base);
    writeOutput(md, path, markdown);
    for (const file of files) writeOutput(join(dirname(md), file.name), join(dirname(path), file.name), file.svg);
    io.stderr(`wrote ${md} and ${files.length} SVG chart${files.length === 1 ? '' : 's'} beside it\n`);
  }
}

/**
 * `mqsim run` with --report/--md: runs as usual (same output, same exit code), then replays the
 * scenario with its client history kept for the throughput chart. Keeping the history does not
 * change the run (the trace hash is the same); the report says which trace it shows.
 */
export async function runWithReport(files: string[], options: RunReportOptions, io: CliIo): Promise<number> {
  const { html: htmlFlag, report: reportFlag, md, ...runOptions } = options;
  const report = htmlFlag ?? reportFlag;
  if (report === undefined && md === undefined) return runCommand(files, runOptions, io);
  if (files.length !== 1) {
    io.stderr('mqsim run: --html and --md describe one run: give one scenario with them\n');
    return EXIT.usage;
  }
  checkOutputFile(htmlFlag !== undefined ? '--html' : '--report', report, io.cwd);
  checkOutputFile('--md', md, io.cwd);
  const code = runCommand(files, runOptions, io);
  if (code === EXIT.usage || code === EXIT.internal) return code;
  const scenario: Scenario = loadScenarioFile(resolve(io.cwd, files[0]!), { file: files[0]! });
  const simulateOptions: SimulateOptions = { keepHistory: true };
  const seed = parseSeedFlag(options.seed);
  if (seed !== undefined) simulateOptions.seed = seed;
  if (options.until !== undefined) simulateOptions.until = parseDuration(options.until);
  const result = simulate(scenario, simulateOptions);
  writeReport(await buildRunReport(result, consumerJoins((scenario.workload as { consumers?: CommonConsumer[] } | undefined)?.consumers)), report, md, io);
  return code;
}

export interface CompareOptions {
  seeds?: string;
  /** The HTML report (`--html`; `--out` is its older name). */
  html?: string;
  out?: string;
  md?: string;
  json?: boolean;
  junit?: string;
  color?: boolean;
}

/** `mqsim compare`: 0 when it ran (and every variant's expect: held), 1 when an expect: failed, 2 for a bad file. */
export async function compareCommand(file: string, options: CompareOptions, io: CliIo): Promise<number> {
  let seeds = 1;
  if (options.seeds !== undefined) {
    if (!/^\d+$/.test(options.seeds) || Number(options.seeds) < 1 || Number(options.seeds) > 1000) {
      io.stderr(`mqsim compare: --seeds: expected a number of seeds from 1 to 1000, got "${options.seeds}"\n`);
      return EXIT.usage;
    }
    seeds = Number(options.seeds);
  }
  const html = options.html ?? options.out;
  checkOutputFile(options.html !== undefined ? '--html' : '--out', html, io.cwd);
  checkOutputFile('--md', options.md, io.cwd);
  checkOutputFile('--junit', options.junit, io.cwd);
  let comparison: Comparison;
  try {
    // Progress on a TTY (never on a pipe or with --json): the runs are variants x seeds.
    const bar = options.json ? null : checkProgress(io, false);
    try {
      comparison = runComparison(loadCompare(resolve(io.cwd, file), file), seeds, bar ? (done, total) => bar.update({ done, total, failures: 0 }) : undefined);
    } finally {
      bar?.clear();
    }
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    for (const problem of error.problems) io.stderr(`${formatProblem(problem)}\n`);
    return EXIT.usage;
  }
  const facts = comparisonFacts(comparison);
  const rows = comparisonJson(facts);
  if (options.json) io.stdout(JSON.stringify(rows, null, 2) + '\n');
  else io.stdout(formatCompareText(facts));
  if (html !== undefined || options.md !== undefined) writeReport(await buildCompareReport(facts), html, options.md, io);
  if (options.junit !== undefined) {
    const variants = comparison.variants.map((v) => ({ variant: v.variant.name, system: v.variant.system, results: v.results }));
    writeOutput(options.junit, resolve(io.cwd, options.junit), renderJunit([compareJunitSuite(file, comparison.compare.name, variants)]));
  }
  return rows.every((r) => r.passed) ? EXIT.ok : EXIT.expectationFailed;
}

/**
 * The terminal summary: the question, then one line per variant, safest first, with its verdict;
 * PASS/FAIL says whether the variant matched the file's own expectation (the model check), not
 * whether it is safe.
 */
function formatCompareText(facts: ComparisonFacts): string {
  const { input } = facts;
  const seeds = input.seeds.length > 1 ? `seeds ${input.seeds[0]}-${input.seeds.at(-1)} (medians)` : `seed ${input.seeds[0]}`;
  const lines = [`${input.compare.name}: ${input.variants.length} variants, ${seeds}`, `  ${facts.question}`];
  const width = Math.max(...facts.ranked.map((v) => v.name.length));
  for (const [i, v] of facts.ranked.entries()) {
    const measures = v.measures.map((m) => `${m.measure.label}: ${formatMeasure(m.measure, m.median)}. `).join('');
    lines.push(`  ${i + 1}. ${v.unsafe ? 'UNSAFE' : 'safe  '} ${v.name.padEnd(width)} ${v.input.variant.system.padEnd(8)} ${measures}${v.verdict}`);
  }
  lines.push('  expectation of this file (model check):');
  for (const v of facts.variants) lines.push(`     ${v.matchesExpectation ? 'PASS' : 'FAIL'} ${v.name}`);
  return lines.join('\n') + '\n';
}

/** `mqsim schema --compare`: the JSON Schema of compare files, one variant shape per system. */
export function compareSchemaCommand(io: CliIo): number {
  io.stdout(JSON.stringify(compareJsonSchema(), null, 2) + '\n');
  return EXIT.ok;
}

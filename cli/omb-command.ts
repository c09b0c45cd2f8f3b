import { resolve } from 'node:path';
import { estimateScenario, parseScenario, type Scenario } from '../models/scenario.js';
import { simulate, type SimulateOptions } from '../models/simulate.js';
import { ombResult } from '../reports/omb-result.js';
import { formatRunText } from '../reports/text.js';
import type { HistoryOp } from '../sim/history.js';
import type { RunResult } from '../sim/result.js';
import { formatProblem, ScenarioError } from '../sim/scenario/load.js';
import { parseDuration } from '../sim/time.js';
import { parseCountFlag, parseSeedFlag, progressBar, reportRunError, useColor, type CliIo } from './commands.js';
import { EXIT, UsageError } from './exit.js';
import { DEFAULT_KAFKA_DRIVER, ombMeasureFrom, ombScenario, readOmbDriver, readOmbWorkload, type OmbDriver } from './omb-workload.js';
import { checkOutputFile, writeOutput } from './outputs.js';

/**
 * `mqsim run --omb workload.yaml [--driver driver.yaml]`: an OpenMessaging Benchmark workload run
 * as a scenario (cli/omb-workload.ts maps it), its results written in OMB's result JSON shape
 * (reports/omb-result.ts) to `--result FILE` (default `<scenario name>.json`).
 * `--print-scenario` prints the scenario built and runs nothing.
 */
export interface OmbCommandOptions {
  omb: string;
  driver?: string;
  printScenario?: boolean;
  result?: string;
  seed?: string;
  json?: boolean;
  quiet?: boolean;
  until?: string;
  maxMessages?: string;
  color?: boolean;
}

function printProblems(error: ScenarioError, io: CliIo, note = ''): number {
  for (const problem of error.problems) io.stderr(`${formatProblem(problem)}\n`);
  if (note) io.stderr(note);
  return EXIT.usage;
}

export async function ombCommand(options: OmbCommandOptions, io: CliIo): Promise<number> {
  const seed = parseSeedFlag(options.seed);
  const maxMessages = parseCountFlag('--max-messages', options.maxMessages);
  let until: number | undefined;
  if (options.until !== undefined) {
    try {
      until = parseDuration(options.until);
    } catch (error) {
      throw new UsageError(`--until: ${(error as Error).message}`);
    }
  }
  let built;
  let driver: OmbDriver;
  try {
    const workload = readOmbWorkload(resolve(io.cwd, options.omb), options.omb);
    driver = options.driver !== undefined ? readOmbDriver(resolve(io.cwd, options.driver), options.driver) : DEFAULT_KAFKA_DRIVER;
    built = ombScenario(workload, driver, typeof seed === 'number' ? seed : 1);
    const source = `${options.omb}${options.driver ? ` + ${options.driver}` : ''}`;
    if (options.printScenario) {
      io.stdout(built.yaml);
      return EXIT.ok;
    }
    const resultFile = options.result ?? `${String(built.data.name)}.json`;
    checkOutputFile('--result', resultFile, io.cwd);
    let scenario: Scenario;
    try {
      scenario = parseScenario(built.yaml, `(scenario built from ${source})`, maxMessages !== undefined ? { maxMessages } : {});
    } catch (error) {
      if (error instanceof ScenarioError) return printProblems(error, io, `(the scenario mqsim built from ${source}; see it with --print-scenario)\n`);
      throw error;
    }
    const simulateOptions: SimulateOptions = { keepHistory: true };
    if (seed !== undefined) simulateOptions.seed = seed;
    if (until !== undefined) simulateOptions.until = until;
    if (maxMessages !== undefined) simulateOptions.maxMessages = maxMessages;
    const progress = options.json ? null : progressBar(io, scenario.name, estimateScenario(scenario));
    if (progress) simulateOptions.progress = progress.update;
    let result: RunResult;
    try {
      result = simulate(scenario, simulateOptions);
    } catch (error) {
      progress?.clear();
      return reportRunError(error, scenario, seed, io);
    }
    progress?.clear();
    const history = (result.history ?? []) as HistoryOp[];
    delete result.history;
    const omb = ombResult(result, history, {
      workload: workload.name,
      driver: driver.name,
      messageSize: workload.messageSize,
      topics: workload.topics,
      partitions: workload.partitionsPerTopic,
      producersPerTopic: workload.producersPerTopic,
      consumersPerTopic: workload.subscriptionsPerTopic * workload.consumerPerSubscription,
      subscriptions: workload.subscriptionsPerTopic,
      measureFrom: ombMeasureFrom(workload),
    });
    writeOutput(resultFile, resolve(io.cwd, resultFile), JSON.stringify(omb, null, 2) + '\n');
    if (options.json) io.stdout(JSON.stringify(result, null, 2) + '\n');
    else if (options.quiet) io.stdout(`${result.passed ? 'PASS' : 'FAIL'} ${source} ${result.traceHash} ${result.events} events\n`);
    else io.stdout(formatRunText(result, { color: useColor(io, options) }) + '\n');
    if (!options.json) {
      const a = omb as { publishRate: number[]; consumeRate: number[]; aggregatedPublishLatency99pct: number; aggregatedEndToEndLatency99pct: number };
      const mean = (xs: number[]) => (xs.length ? xs.reduce((x, y) => x + y, 0) / xs.length : 0);
      io.stderr(`wrote ${resultFile} (OpenMessaging Benchmark result: publish ${mean(a.publishRate).toFixed(1)} msg/s, consume ${mean(a.consumeRate).toFixed(1)} msg/s, publish p99 ${a.aggregatedPublishLatency99pct.toFixed(3)} ms, end-to-end p99 ${a.aggregatedEndToEndLatency99pct.toFixed(3)} ms)\n`);
    }
    return result.passed ? EXIT.ok : EXIT.expectationFailed;
  } catch (error) {
    if (error instanceof ScenarioError) return printProblems(error, io);
    throw error;
  }
}

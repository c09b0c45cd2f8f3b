import { readFileSync, statSync } from 'node:fs';
import { stringify } from 'yaml';
import { z } from 'zod';
import { stepTargetPaths } from '../sim/faults.js';
import { DEFAULT_MAX_MESSAGES, estimateCost, formatEstimate, type CostEstimate } from '../sim/scenario/cost.js';
import { ConfigError } from '../sim/scenario/config-error.js';
import { capProblems, ScenarioError, validateWith, YamlSource, type ScenarioProblem } from '../sim/scenario/load.js';
import { onSectionRegistered, registeredSectionKeys } from '../sim/scenario/sections.js';
import { formatDuration } from '../sim/time.js';
import { scenarioSchema, type CommonScenario } from '../sim/scenario/schema.js';
import { closest } from '../sim/scenario/suggest.js';
import { World } from '../sim/world.js';
import { modelFor, MODELS, systemNames } from './index.js';

/**
 * Scenario files for every registered system: loading (YAML -> validated scenario, or every
 * problem at once), and the JSON Schema editors use.
 */

/** A validated scenario: the common part typed, the system's own sections as its model parsed them. */
export type Scenario = CommonScenario & Record<string, unknown> & {
  /** Where it came from, for messages: a file path or `<text>`. */
  source: string;
  /** The file's data as written (YAML to JS), which `mqsim check` varies and writes back out. */
  raw: Record<string, unknown>;
};

const schemas = new Map<string, z.ZodType>();
// A section registered later (check's, drill's) changes every system's schema.
onSectionRegistered(() => schemas.clear());

export function schemaFor(system: string): z.ZodType {
  let schema = schemas.get(system);
  if (!schema) {
    const model = modelFor(system);
    if (!model) throw new Error(`unknown system ${system}`);
    schema = scenarioSchema(model.parts);
    schemas.set(system, schema);
  }
  return schema;
}

export interface LoadOptions {
  /** The name to show in messages (default: the path, or `<text>`). */
  file?: string;
  /**
   * The message budget to hold the scenario to (default: its `limits.maxMessages`, else
   * DEFAULT_MAX_MESSAGES); a scenario whose cost estimate is above it is refused.
   */
  maxMessages?: number;
}

/** Scenario files are small; anything larger is a mistake (a log, a binary, a generated monster). */
const MAX_FILE_BYTES = 10 * 1024 * 1024;

/**
 * Loads and validates a scenario from a file path, or from YAML text (anything with a line
 * break). Throws ScenarioError listing every problem with file:line:column; nothing runs.
 */
export function loadScenario(pathOrText: string, options: LoadOptions = {}): Scenario {
  if (pathOrText.includes('\n')) return parseScenario(pathOrText, options.file ?? '<text>', options);
  return loadScenarioFile(pathOrText, options);
}

/** Loads a scenario file. A path is never read as YAML text, whatever characters it holds. */
export function loadScenarioFile(path: string, options: LoadOptions = {}): Scenario {
  const file = options.file ?? path;
  return parseScenario(readScenarioText(path, file), file, options);
}

/**
 * A file's text, or a ScenarioError saying what the path is instead: missing, a folder, a device
 * or pipe, too large, UTF-16, or not UTF-8.
 */
export function readScenarioText(path: string, file = path): string {
  const fail = (message: string): never => {
    throw new ScenarioError([{ file, line: 1, column: 1, path: '', message }]);
  };
  let stat;
  try {
    stat = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : `cannot read it (${code ?? (error as Error).message})`);
  }
  if (stat.isDirectory()) return fail('is a folder, not a scenario file (give the .yaml files in it, e.g. folder/*.yaml)');
  if (!stat.isFile()) return fail('is not a regular file (a device, a pipe or a socket); give a .yaml scenario file');
  if (stat.size > MAX_FILE_BYTES) return fail(`is ${(stat.size / 1024 / 1024).toFixed(1)} MB; a scenario file is at most ${MAX_FILE_BYTES / 1024 / 1024} MB`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    return fail(`cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return fail('is UTF-16 text; save it as UTF-8');
  }
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    return fail('is not UTF-8 text (a binary file, or another encoding); save it as UTF-8');
  }
}

export function parseScenario(text: string, file: string, options: LoadOptions = {}): Scenario {
  const source = new YamlSource(text, file);
  if (source.problems.length > 0) throw new ScenarioError(capProblems(source.problems));
  const value = source.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ScenarioError([source.problem([], 'a scenario is a YAML mapping (name:, system:, duration:, ...)')]);
  }
  const system = (value as Record<string, unknown>).system;
  const systems = systemNames();
  if (typeof system !== 'string' || !modelFor(system)) {
    if (system === undefined && looksLikeCompareFile(value as Record<string, unknown>)) {
      throw new ScenarioError([source.problem([], 'this is a compare file (it has variants:), not a scenario: run it with mqsim compare')]);
    }
    const problem: ScenarioProblem = system === undefined
      ? source.problem([], 'missing required key "system"', { allowed: systems })
      : source.problem(['system'], `unknown system ${JSON.stringify(system)}`, { allowed: systems });
    const guess = typeof system === 'string' ? closest(system, systems) : undefined;
    if (guess) problem.suggestion = guess;
    throw new ScenarioError([problem]);
  }
  const schema = schemaFor(system);
  const { data, problems } = validateWith(source, schema);
  if (!data) {
    // The schema's problems, and the fault targets of whatever part of the file did validate:
    // one pass shows them all, instead of the targets only once everything else is fixed.
    const partial = partialScenario(source, schema, problems);
    const more = partial ? checkFaultTargets(partial.scenario, source, partial.faultIndex) : [];
    throw new ScenarioError(capProblems([...problems, ...more]));
  }
  const scenario = { ...(data as object), source: file, raw: value as Record<string, unknown> } as Scenario;
  const semantic = checkAgainstModel(scenario, source, options);
  if (semantic.length > 0) throw new ScenarioError(capProblems(semantic));
  return scenario;
}

/**
 * The scenario that `raw` (data as a scenario file would hold it: a `mqsim check` variant, a
 * benchmark's) describes, judged as parseScenario judges a file. Valid data is validated as it
 * is, without writing YAML and reading it back (a sixth of a small `mqsim check` run's time);
 * data with a problem goes through that round trip, so its problems get their lines and columns.
 */
export function scenarioFromData(raw: Record<string, unknown>, file: string, options: LoadOptions = {}): Scenario {
  const system = raw.system;
  if (typeof system === 'string' && modelFor(system)) {
    const parsed = schemaFor(system).safeParse(raw);
    if (parsed.success) {
      const scenario = { ...(parsed.data as object), source: file, raw } as Scenario;
      if (checkAgainstModel(scenario, UNLOCATED, options).length === 0) return scenario;
    }
  }
  return parseScenario(stringify(raw), file, options);
}

/** Where problems would be placed, for data that has no file yet (scenarioFromData then loads it as one). */
interface ProblemPlacer {
  problem(path: readonly PropertyKey[], message: string, extra?: Partial<ScenarioProblem>): ScenarioProblem;
}

const UNLOCATED: ProblemPlacer = {
  problem: (path, message, extra = {}) => ({ file: '', line: 0, column: 0, path: path.join('.'), message, ...extra }),
};

/** Top-level sections that do not shape the cluster (see partialScenario). */
const PRUNABLE: ReadonlySet<string> = new Set(['description', 'seed', 'drain', 'sampleEvery', 'network', 'disk', 'expect', 'limits']);

function looksLikeCompareFile(value: Record<string, unknown>): boolean {
  return 'variants' in value;
}

/**
 * The file with its invalid parts left out (top-level sections with a problem, single bad fault
 * steps), validated again: enough to build the cluster and check the remaining fault targets.
 * Null when a required key is bad or the rest still does not validate.
 */
function partialScenario(source: YamlSource, schema: z.ZodType, problems: readonly ScenarioProblem[]): { scenario: Scenario; faultIndex: number[] } | null {
  const raw = { ...(source.value as Record<string, unknown>) };
  const badFaults = new Set<number>();
  for (const problem of problems) {
    const top = /^[^.[]+/.exec(problem.path)?.[0];
    // Only sections that name no node, topic or queue may be left out: without the others the
    // cluster would be built differently and its targets judged wrongly.
    if (top === undefined || (top !== 'faults' && !PRUNABLE.has(top) && !registeredSectionKeys().includes(top))) return null;
    const fault = /^faults\[(\d+)\]/.exec(problem.path);
    if (fault) badFaults.add(Number(fault[1]));
    else delete raw[top];
  }
  const faultIndex: number[] = [];
  if (Array.isArray(raw.faults)) {
    raw.faults = raw.faults.filter((_, index) => {
      if (badFaults.has(index)) return false;
      faultIndex.push(index);
      return true;
    });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return null;
  return { scenario: { ...(parsed.data as object), source: source.file, raw } as Scenario, faultIndex };
}

/**
 * Checks what only a built cluster can tell: node names must be unique, every fault must name
 * nodes and selectors that exist, `limits` must be able to hold, and the run's cost must fit the
 * message budget. Builds the model into a throwaway world; runs nothing.
 */
function checkAgainstModel(scenario: Scenario, source: ProblemPlacer, options: LoadOptions): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const workload = scenario.workload as { producers?: { id: string }[] } | undefined;
  const seen = new Set<string>();
  (workload?.producers ?? []).forEach((producer, index) => {
    if (seen.has(producer.id)) problems.push(source.problem(['workload', 'producers', index, 'id'], `duplicate producer id "${producer.id}"`));
    seen.add(producer.id);
  });
  problems.push(...checkLimits(scenario, source, options));
  if (problems.length > 0) return problems;
  return checkFaultTargets(scenario, source);
}

/** Limits that cannot hold for the scenario's own length and load, and the message budget. */
function checkLimits(scenario: Scenario, source: ProblemPlacer, options: LoadOptions): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const estimate = estimateScenario(scenario);
  const limits = scenario.limits;
  if (limits?.maxEvents !== undefined && limits.maxEvents < estimate.messages) {
    problems.push(source.problem(['limits', 'maxEvents'], `maxEvents ${limits.maxEvents} is below the ${estimate.messages} messages the producers send (each is at least one event): the run would always stop there; raise it or leave it out`));
  }
  const budget = options.maxMessages ?? limits?.maxMessages ?? DEFAULT_MAX_MESSAGES;
  if (estimate.messages > budget) {
    const where = limits?.maxMessages !== undefined && options.maxMessages === undefined ? ['limits', 'maxMessages'] : ['workload', 'producers'];
    problems.push(source.problem(where, `this run would cost ${formatEstimate(estimate)}: over the budget of ${budget.toLocaleString('en-US')} messages; lower the rates, counts or duration, or raise the budget with limits.maxMessages in the file or --max-messages on the command line`));
  }
  return problems;
}

/** The run's cost estimate (see sim/scenario/cost.ts), with the system's measured cost model. */
export function estimateScenario(scenario: Scenario): CostEstimate {
  const model = modelFor(scenario.system);
  if (!model) throw new Error(`unknown system ${scenario.system}`);
  return estimateCost(scenario as Parameters<typeof estimateCost>[0], model.parts.cost);
}

/** Fault targets against a throwaway build of the cluster, each reported at its own node in the file. */
function checkFaultTargets(scenario: Scenario, source: ProblemPlacer, faultIndex?: readonly number[]): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const world = new World({ seed: scenario.seed ?? 1 });
  try {
    modelFor(scenario.system)!.build(world, scenario);
  } catch (error) {
    // A partial scenario that does not build says nothing the schema's problems did not.
    if (faultIndex !== undefined) return problems;
    if (error instanceof ConfigError) {
      for (const problem of error.problems) {
        const extra: Partial<ScenarioProblem> = {};
        if (problem.allowed) extra.allowed = problem.allowed;
        if (problem.suggestion) extra.suggestion = problem.suggestion;
        problems.push(source.problem(problem.path, problem.message, extra));
      }
    } else {
      problems.push(source.problem(['workload'], (error as Error).message));
    }
    return problems;
  }
  (scenario.network?.links ?? []).forEach((link, index) => {
    for (const side of ['from', 'to'] as const) {
      link[side].forEach((name, i) => {
        if (!world.hasNode(name)) {
          const guess = closest(name, world.nodeNames());
          problems.push(source.problem(['network', 'links', index, side, i], `no node named "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}`, { allowed: world.nodeNames() }));
        }
      });
    }
  });
  const targetWords = [...world.nodeNames(), ...world.selectorNames(), ...world.allRoles().flatMap((r) => [`random-${r}`, `all-${r}`])];
  (scenario.faults ?? []).forEach((step, i) => {
    const index = faultIndex?.[i] ?? i;
    if (step.at > scenario.duration) {
      problems.push(source.problem(['faults', index, 'at'], `at ${formatDuration(step.at)} is after the run's duration ${formatDuration(scenario.duration)}`));
    }
    for (const [target, path] of stepTargetPaths(step)) {
      const error = world.nemesis.targetError(target);
      if (!error) continue;
      const extra: Partial<ScenarioProblem> = {};
      if (typeof target === 'string') {
        const guess = closest(target, targetWords);
        if (guess) extra.suggestion = guess;
      }
      // A selector's problem is its argument: point at `orders-9` in `{ leader-of: orders-9 }`.
      const at = typeof target === 'string' ? path : [...path, ...Object.keys(target).slice(0, 1)];
      problems.push(source.problem(['faults', index, ...at], error, extra));
    }
  });
  return problems;
}

/** The JSON Schema of scenario files for every system (what `mqsim schema` prints). */
export function scenarioJsonSchema(): Record<string, unknown> {
  const variants = Object.values(MODELS).map((model) =>
    z.toJSONSchema(scenarioSchema(model.parts, { forJsonSchema: true }), { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }),
  );
  for (const variant of variants) delete (variant as Record<string, unknown>).$schema;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'mqsim scenario',
    description: 'A deterministic message-queue simulation scenario. The `system` key selects the rest of the schema.',
    oneOf: variants,
  };
}

import { existsSync, readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { ScenarioError, validateWith, YamlSource, type ScenarioProblem } from '../sim/scenario/load.js';
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

/**
 * Loads and validates a scenario from a file path, or from YAML text. Throws ScenarioError
 * listing every problem with file:line:column; nothing about the scenario is run.
 */
export function loadScenario(pathOrText: string, options: { file?: string } = {}): Scenario {
  const isPath = !pathOrText.includes('\n') && existsSync(pathOrText) && statSync(pathOrText).isFile();
  if (!isPath && !pathOrText.includes('\n') && !pathOrText.includes(':')) {
    throw new ScenarioError([{ file: pathOrText, line: 1, column: 1, path: '', message: 'no such file' }]);
  }
  const text = isPath ? readFileSync(pathOrText, 'utf8') : pathOrText;
  const file = options.file ?? (isPath ? pathOrText : '<text>');
  return parseScenario(text, file);
}

export function parseScenario(text: string, file: string): Scenario {
  const source = new YamlSource(text, file);
  if (source.problems.length > 0) throw new ScenarioError(source.problems);
  const value = source.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ScenarioError([source.problem([], 'a scenario is a YAML mapping (name:, system:, duration:, ...)')]);
  }
  const system = (value as Record<string, unknown>).system;
  const systems = systemNames();
  if (typeof system !== 'string' || !modelFor(system)) {
    const problem: ScenarioProblem = system === undefined
      ? source.problem([], 'missing required key "system"', { allowed: systems })
      : source.problem(['system'], `unknown system ${JSON.stringify(system)}`, { allowed: systems });
    const guess = typeof system === 'string' ? closest(system, systems) : undefined;
    if (guess) problem.suggestion = guess;
    throw new ScenarioError([problem]);
  }
  const { data, problems } = validateWith(source, schemaFor(system));
  if (!data) throw new ScenarioError(problems);
  const scenario = { ...(data as object), source: file, raw: value as Record<string, unknown> } as Scenario;
  const semantic = checkAgainstModel(scenario, source);
  if (semantic.length > 0) throw new ScenarioError(semantic);
  return scenario;
}

/**
 * Checks what only a built cluster can tell: node names must be unique, and every fault must
 * name nodes and selectors that exist. Builds the model into a throwaway world; runs nothing.
 */
function checkAgainstModel(scenario: Scenario, source: YamlSource): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const workload = scenario.workload as { producers?: { id: string }[] } | undefined;
  const seen = new Set<string>();
  (workload?.producers ?? []).forEach((producer, index) => {
    if (seen.has(producer.id)) problems.push(source.problem(['workload', 'producers', index, 'id'], `duplicate producer id "${producer.id}"`));
    seen.add(producer.id);
  });
  if (problems.length > 0) return problems;
  const world = new World({ seed: scenario.seed ?? 1 });
  try {
    modelFor(scenario.system)!.build(world, scenario);
  } catch (error) {
    problems.push(source.problem(['workload'], (error as Error).message));
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
  (scenario.faults ?? []).forEach((step, index) => {
    for (const problem of world.validateFaults([step], scenario.duration)) {
      problems.push(source.problem(['faults', index], problem.replace(/^faults\[0\]: /, '')));
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

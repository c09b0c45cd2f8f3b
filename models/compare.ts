import { stringify } from 'yaml';
import { z } from 'zod';
import { FAULT_KINDS, type FaultKind } from '../sim/faults.js';
import { RandomStream } from '../sim/random.js';
import { impliedUnit, type CompareMeasure, type CompareVariant, type VerdictProperty } from '../sim/comparison.js';
import { flattenMetrics, type RunResult } from '../sim/result.js';
import { duration, faultStep, faultStepForJsonSchema, target } from '../sim/scenario/fields.js';
import { capProblems, ScenarioError, validateWith, YamlSource, type ScenarioProblem } from '../sim/scenario/load.js';
import {
  COMMON_CONSUMER_FIELDS, COMMON_PRODUCER_FIELDS, hasRateOrCount, RATE_OR_COUNT, scenarioSchema,
  type CommonProducer, type ModelScenarioParts,
} from '../sim/scenario/schema.js';
import { closest } from '../sim/scenario/suggest.js';
import { ProducerPlan } from '../sim/workload.js';
import { MODELS } from './index.js';
import { parseScenario, readScenarioText, type Scenario } from './scenario.js';
import { simulate } from './simulate.js';

/**
 * Compare files (scenarios/compare/*.yaml): one logical workload and one fault schedule written
 * with role names, and variants that each map them onto a system. `variantScenario` turns a
 * variant into a plain scenario file's data, which is validated and run exactly like a file given
 * to `mqsim run`, so a comparison's numbers are those of running each variant alone.
 *
 * This is the scenario layer (beside scenario.ts and simulate.ts): it loads compare files and
 * runs their variants. It renders nothing; reports/compare-report.ts turns a `Comparison` into a
 * report, reading only the run results and the file as written.
 */

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" and "-" (no spaces)');
/**
 * The logical producer and consumer are the scenario's own producer and consumer with no system
 * fields (one schema, sim/scenario/schema.ts): a variant adds its system's target fields.
 */
const logicalProducer = z.strictObject(COMMON_PRODUCER_FIELDS).refine(hasRateOrCount, RATE_OR_COUNT);
const logicalConsumer = z.strictObject(COMMON_CONSUMER_FIELDS);

const VERDICT_PROPERTY_NAMES = ['noLostAcked', 'noDuplicates', 'orderedPerKey'] as const;
const verdictProperty = z.array(z.union([
  z.enum(VERDICT_PROPERTY_NAMES),
  z.strictObject({ delayWithin: z.number().positive() }),
  z.strictObject({ latencyBelow: z.strictObject({ p: z.union([z.literal(50), z.literal(90), z.literal(99), z.literal(999)]), limit: duration }) }),
], { error: `expected one of ${VERDICT_PROPERTY_NAMES.join(', ')}, { delayWithin: 0.1 }, { latencyBelow: { p: 99, limit: 10s } }` })).min(1);

/** A count the verdict table shows and ranks by after safety (`measures:`). */
const measure = z.strictObject({
  count: z.string().min(1).meta({ description: 'A number of the run by the name expect: uses: a model count (partitionUnownedMsMean, rebalances...), latency.p99, backlog.max...' }),
  label: z.string().min(1).max(80).meta({ description: 'The column heading, in the reader\'s words ("mean time a partition had no consumer").' }),
  better: z.enum(['lower', 'higher']).optional().meta({ description: 'Which way ranks first (default lower).' }),
  unit: z.enum(['ms', 'us', 'count']).optional().meta({ description: 'How the number reads (default from the name: ...Ms in ms, latencies in µs, else a count).' }),
});

/** A role maps to one target, or to several (to stand for a group in a partition). */
const roleTarget = z.union([target, z.array(target).min(1)], {
  error: 'expected a node name, a selector such as { leader-of: orders-0 }, or a list of them',
});

/** Keys a variant may not set: they come from the compare file's top level, the same for every variant. */
const RESERVED = ['seed', 'duration', 'drain', 'sampleEvery', 'workload', 'faults', 'explore', 'property', 'measures', 'limits'] as const;

const variantSchema = z.object({
  name,
  system: z.string({ error: 'expected the system name (demo, kafka, rabbitmq, rocketmq...)' }),
  description: z.string().optional(),
  roles: z.record(z.string(), roleTarget).optional(),
  producer: z.record(z.string(), z.unknown()).optional().meta({ description: "Fields merged into every logical producer (the system's target: topic, exchange, routingKey, config...)." }),
  consumer: z.record(z.string(), z.unknown()).optional().meta({ description: 'Fields merged into every logical consumer group (queue, config...).' }),
  producers: z.record(z.string(), z.record(z.string(), z.unknown())).optional().meta({ description: 'Per logical producer id: fields merged into that producer only, after producer: (a delay level per producer...).' }),
  extraConsumers: z.array(z.record(z.string(), z.unknown())).optional().meta({ description: "Consumers this variant adds to the workload: the system's own plumbing for a pattern (Kafka's delay-topic scheduler...), not part of the logical workload." }),
  expect: z.record(z.string(), z.unknown()).optional(),
}).catchall(z.unknown()).superRefine((variant, ctx) => {
  for (const key of RESERVED) {
    if (key in variant) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" is set once for every variant, at the compare file's top level` });
  }
});

export const compareSchema = z.strictObject({
  name: name.meta({ description: 'The comparison\'s name; each variant runs as the scenario <name>.<variant>.' }),
  description: z.string().optional().meta({ description: 'What the comparison shows and why, under the verdict in the report.' }),
  question: z.string().optional().meta({ description: 'The reader\'s question, in plain words: the report\'s first line, above the verdict table ("Which configuration loses no acknowledged message when the broker crashes?").' }),
  property: verdictProperty.optional().meta({ description: 'The safety property the verdict orders the variants by, safest first (default [noLostAcked]); a variant that breaks it gets no "best" mark in the report.' }),
  measures: z.array(measure).min(1).max(4).optional().meta({ description: 'Up to four numbers of the run that answer the question when it is not only about safety: shown in the verdict table beside the property, and, among variants equally safe, ranked by in order (the median over the seeds).' }),
  seed: z.number().int().optional().meta({ description: 'The seed of every variant (default 1); --seeds N runs seed, seed+1, ...' }),
  duration: duration.meta({ description: 'The safety phase, the same for every variant: the workload runs and the faults fire.' }),
  drain: duration.optional().meta({ description: 'The liveness phase: faults healed, nodes restarted, producers stopped; consumers keep going.' }),
  sampleEvery: duration.optional().meta({ description: 'How often backlog and gauges are sampled for the charts (default 1s).' }),
  network: z.record(z.string(), z.unknown()).optional(),
  disk: z.record(z.string(), z.unknown()).optional(),
  limits: z.record(z.string(), z.unknown()).optional(),
  workload: z.strictObject({
    producers: z.array(logicalProducer).min(1),
    consumers: z.array(logicalConsumer).optional(),
  }).meta({ description: 'The logical workload, the same on every variant: producers (rates, keys, payloads) and consumer groups (count, processing time, failures); each variant adds its system\'s target fields.' }),
  faults: z.array(faultStep).optional(),
  variants: z.array(variantSchema).min(1),
});

type RawRecord = Record<string, unknown>;

export type { CompareMeasure, CompareVariant, VerdictProperty } from '../sim/comparison.js';

/** A validated compare file. Values are kept as written (`10s`), since they become scenario data. */
export interface CompareFile {
  name: string;
  description?: string;
  /** The reader's question (`question:`), which the report opens with. */
  question?: string;
  /** The safety property the verdict orders variants by (`property:`, default [noLostAcked]). */
  property: VerdictProperty[];
  /** Numbers shown beside safety and ranked by after it (`measures:`, default none). */
  measures: CompareMeasure[];
  seed: number;
  source: string;
  /** The file's data as written. */
  raw: RawRecord;
  variants: CompareVariant[];
  /** Role names the fault schedule uses, in order of first use. */
  roles: string[];
  yaml: YamlSource;
}

const VARIANT_OWN = new Set(['name', 'system', 'description', 'roles', 'producer', 'consumer', 'producers', 'extraConsumers']);

export function loadCompare(path: string, file = path): CompareFile {
  // The same file checks as a scenario's: missing, a folder, a device, UTF-16, not UTF-8.
  return parseCompare(readScenarioText(path, file), file);
}

/** Validates a compare file: its schema, unique variant names, and that each variant maps every role the faults name. */
export function parseCompare(text: string, file: string): CompareFile {
  const source = new YamlSource(text, file);
  if (source.problems.length > 0) throw new ScenarioError(capProblems(source.problems));
  if (source.value === null || typeof source.value !== 'object' || Array.isArray(source.value)) {
    throw new ScenarioError([source.problem([], 'a compare file is a YAML mapping (name:, duration:, workload:, faults:, variants:)')]);
  }
  const { data, problems } = validateWith(source, compareSchema);
  if (!data) throw new ScenarioError(capProblems(problems));
  const raw = source.value as RawRecord;
  const rawVariants = raw.variants as RawRecord[];
  const roles: string[] = [];
  for (const step of (raw.faults as RawRecord[] | undefined) ?? []) {
    for (const role of stepTargets(step)) if (typeof role === 'string' && !roles.includes(role)) roles.push(role);
  }
  const semantic: ScenarioProblem[] = [];
  const seen = new Set<string>();
  const variants = rawVariants.map((v, index): CompareVariant => {
    const variantName = v.name as string;
    if (seen.has(variantName)) semantic.push(source.problem(['variants', index, 'name'], `duplicate variant name "${variantName}"`));
    seen.add(variantName);
    const variantRoles = (v.roles as Record<string, unknown> | undefined) ?? {};
    for (const role of roles) {
      if (!(role in variantRoles)) {
        semantic.push(source.problem(v.roles ? ['variants', index, 'roles'] : ['variants', index],
          `the faults name role "${role}", which this variant's roles: does not map to a node or selector`, { allowed: Object.keys(variantRoles) }));
      }
    }
    const producerIds = (raw.workload as { producers: RawRecord[] }).producers.map((p) => p.id as string);
    const perProducer = (v.producers as Record<string, RawRecord> | undefined) ?? {};
    for (const id of Object.keys(perProducer)) {
      if (!producerIds.includes(id)) semantic.push(source.problem(['variants', index, 'producers', id], `no logical producer "${id}" in workload.producers`, { allowed: producerIds }));
    }
    const sections: RawRecord = {};
    for (const [key, value] of Object.entries(v)) if (!VARIANT_OWN.has(key)) sections[key] = value;
    const variant: CompareVariant = {
      name: variantName, system: v.system as string, roles: variantRoles,
      producer: (v.producer as RawRecord | undefined) ?? {}, consumer: (v.consumer as RawRecord | undefined) ?? {}, producers: perProducer, extraConsumers: (v.extraConsumers as RawRecord[] | undefined) ?? [], sections,
    };
    if (typeof v.description === 'string') variant.description = v.description;
    return variant;
  });
  if (semantic.length > 0) throw new ScenarioError(semantic);
  const property: VerdictProperty[] = data.property ?? ['noLostAcked'];
  const measures: CompareMeasure[] = (data.measures ?? []).map((m) => ({ count: m.count, label: m.label, better: m.better ?? 'lower', unit: m.unit ?? impliedUnit(m.count) }));
  const compare: CompareFile = { name: data.name, property, measures, seed: data.seed ?? 1, source: file, raw, variants, roles, yaml: source };
  if (data.description !== undefined) compare.description = data.description;
  if (data.question !== undefined) compare.question = data.question;
  return compare;
}

const SINGLE_TARGET_KINDS = FAULT_KINDS.filter((k) => k !== 'partition' && k !== 'heal');

function faultKindOf(step: RawRecord): FaultKind {
  return FAULT_KINDS.find((k) => k in step)!;
}

/** The targets a raw fault step names (roles, in a compare file). */
function stepTargets(step: RawRecord): unknown[] {
  const kind = faultKindOf(step);
  if (kind === 'heal') return [];
  if (kind !== 'partition') return [step[kind]];
  const spec = step.partition;
  if (Array.isArray(spec)) return spec.flat();
  const oneWay = spec as { from: unknown[]; to: unknown[] };
  return [...oneWay.from, ...oneWay.to];
}

/** A role's targets as a list (a role may stand for several nodes). */
function roleTargets(variant: CompareVariant, role: unknown): unknown[] {
  if (typeof role !== 'string') return [role];
  const mapped = variant.roles[role];
  if (mapped === undefined) return [role];
  return Array.isArray(mapped) ? mapped : [mapped];
}

/** One fault step with its roles replaced by the variant's targets. */
export function mapFaultStep(step: RawRecord, variant: CompareVariant): RawRecord {
  const kind = faultKindOf(step);
  const out: RawRecord = { ...step };
  if ((SINGLE_TARGET_KINDS as readonly string[]).includes(kind)) {
    const targets = roleTargets(variant, step[kind]);
    // A role standing for several nodes in a one-node fault: the scenario validation reports the list.
    out[kind] = targets.length === 1 ? targets[0] : targets;
  } else if (kind === 'partition') {
    const spec = step.partition;
    const group = (members: unknown[]) => members.flatMap((m) => roleTargets(variant, m));
    out.partition = Array.isArray(spec)
      ? (spec as unknown[][]).map(group)
      : { from: group((spec as { from: unknown[] }).from), to: group((spec as { to: unknown[] }).to) };
  }
  return out;
}

/**
 * The full scenario data of one variant: the compare file's name, seed, durations, network,
 * workload and faults, with the variant's system sections, its producer/consumer fields merged
 * into every logical producer/consumer, and the faults' roles replaced by its targets.
 */
export function variantScenario(compare: CompareFile, variant: CompareVariant): RawRecord {
  const raw = compare.raw;
  const workload = raw.workload as { producers: RawRecord[]; consumers?: RawRecord[] };
  const scenario: RawRecord = {
    name: `${compare.name}.${variant.name}`,
  };
  const description = variant.description ?? compare.description;
  if (description !== undefined) scenario.description = description;
  scenario.system = variant.system;
  scenario.seed = compare.seed;
  for (const key of ['duration', 'drain', 'sampleEvery', 'network', 'disk', 'limits'] as const) if (raw[key] !== undefined) scenario[key] = raw[key];
  const { expect, ...sections } = variant.sections;
  Object.assign(scenario, sections);
  scenario.workload = {
    producers: workload.producers.map((p) => ({ ...p, ...variant.producer, ...variant.producers[p.id as string] })),
    ...(workload.consumers || variant.extraConsumers.length > 0
      ? { consumers: [...(workload.consumers ?? []).map((c) => ({ ...c, ...variant.consumer })), ...variant.extraConsumers] }
      : {}),
  };
  const faults = raw.faults as RawRecord[] | undefined;
  if (faults && faults.length > 0) scenario.faults = faults.map((f) => mapFaultStep(f, variant));
  if (expect !== undefined) scenario.expect = expect;
  return scenario;
}

/** The variant scenario as YAML text, which `mqsim run` accepts as a file (and the runner parses). */
export function variantScenarioYaml(compare: CompareFile, variant: CompareVariant): string {
  return `# generated from ${compare.source}, variant ${variant.name}\n${stringify(variantScenario(compare, variant), { lineWidth: 0 })}`;
}

/** Where in the compare file a problem of a generated variant scenario comes from. */
function relocate(compare: CompareFile, index: number, problem: ScenarioProblem, scenario: RawRecord): ScenarioProblem {
  const variant = compare.variants[index]!;
  const segments = splitPath(problem.path, scenario);
  const [head, ...rest] = segments;
  let path: (string | number)[];
  if (head === undefined) path = ['variants', index];
  else if (head === 'system') path = ['variants', index, 'system'];
  else if (head === 'description' && variant.description !== undefined) path = ['variants', index, 'description'];
  else if (['name', 'description', 'seed', 'duration', 'drain', 'sampleEvery', 'network', 'disk', 'limits', 'faults'].includes(String(head))) path = segments;
  else if (head === 'workload') {
    const [kind, position, field, ...tail] = rest;
    const side = kind === 'producers' ? 'producer' : 'consumer';
    const logicalConsumers = ((compare.raw.workload as { consumers?: RawRecord[] }).consumers ?? []).length;
    if (side === 'consumer' && typeof position === 'number' && position >= logicalConsumers) {
      path = ['variants', index, 'extraConsumers', position - logicalConsumers, ...(field === undefined ? [] : [field, ...tail])];
      const located = compare.yaml.problem(path, `variant "${variant.name}" (${variant.system}): ${problem.message}`);
      return { ...located, ...(problem.allowed ? { allowed: problem.allowed } : {}), ...(problem.suggestion ? { suggestion: problem.suggestion } : {}) };
    }
    const own = side === 'producer' && typeof position === 'number' ? variant.producers[String((compare.raw.workload as { producers: RawRecord[] }).producers[position]?.id)] : undefined;
    if (field !== undefined && own !== undefined && String(field) in own) path = ['variants', index, 'producers', String((compare.raw.workload as { producers: RawRecord[] }).producers[position as number]!.id), field, ...tail];
    else if (field !== undefined && String(field) in (side === 'producer' ? variant.producer : variant.consumer)) path = ['variants', index, side, field, ...tail];
    else path = segments;
    if (position === undefined) path = ['workload'];
  } else path = ['variants', index, ...segments];
  const located = compare.yaml.problem(path, `variant "${variant.name}" (${variant.system}): ${problem.message}`);
  const out: ScenarioProblem = { ...located };
  if (problem.allowed) out.allowed = problem.allowed;
  if (problem.suggestion) out.suggestion = problem.suggestion;
  return out;
}

/** Splits `cluster.config.ack.after` into segments, rejoining dotted keys that exist in the data. */
function splitPath(path: string, data: unknown): (string | number)[] {
  const tokens: (string | number)[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) tokens.push(match[2] !== undefined ? Number(match[2]) : match[1]!);
  const out: (string | number)[] = [];
  let current = data;
  for (let i = 0; i < tokens.length; i++) {
    let token = tokens[i]!;
    if (typeof token === 'string' && current && typeof current === 'object' && !Array.isArray(current)) {
      for (let j = i + 1; !(token in (current as object)) && j < tokens.length && typeof tokens[j] === 'string'; j++) {
        const joined: string = `${String(token)}.${String(tokens[j])}`;
        if (Object.keys(current as object).some((k) => k === joined || k.startsWith(`${joined}.`))) {
          token = joined;
          i = j;
        } else break;
      }
    }
    out.push(token);
    current = current && typeof current === 'object' ? (current as Record<string | number, unknown>)[token] : undefined;
  }
  return out;
}

export interface VariantRuns {
  variant: CompareVariant;
  /** The generated scenario data (its faults are the file's, with this variant's targets). */
  scenario: RawRecord;
  seeds: number[];
  /** One result per seed, each with its client history kept (the report reads each message's outcome from it). */
  results: RunResult[];
  /** Sends the workload planned (rate and count over the safety phase), whether or not the client got to send them. */
  planned: number;
}

/** A compare file and what running its variants gave: the input of reports/compare-report.ts. */
export interface Comparison {
  compare: CompareFile;
  seeds: number[];
  variants: VariantRuns[];
}

/** The seeds a comparison runs: the file's seed, then the next ones (seed + i). */
export function compareSeeds(compare: CompareFile, count: number): number[] {
  return Array.from({ length: count }, (_, i) => compare.seed + i);
}

/**
 * Validates every variant (nothing runs if one is bad: ScenarioError with each problem placed
 * in the compare file), then runs each over the seeds. Deterministic: same file, same seeds,
 * same results, in variant order. Every run keeps its client history, which does not change it
 * (same trace hash) and lets the report count each message's outcome once, resends included.
 */
export function runComparison(compare: CompareFile, seedCount: number, onRun?: (done: number, total: number) => void): Comparison {
  const parsed: { variant: CompareVariant; scenario: RawRecord; parsed: Scenario }[] = [];
  const problems: ScenarioProblem[] = [];
  compare.variants.forEach((variant, index) => {
    const scenario = variantScenario(compare, variant);
    try {
      parsed.push({ variant, scenario, parsed: parseScenario(variantScenarioYaml(compare, variant), `${compare.source}#${variant.name}`) });
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      for (const problem of error.problems) problems.push(relocate(compare, index, problem, scenario));
    }
  });
  if (problems.length > 0) throw new ScenarioError(problems);
  const seeds = compareSeeds(compare, seedCount);
  const total = parsed.length * seeds.length;
  let done = 0;
  const variants = parsed.map(({ variant, scenario, parsed: s }): VariantRuns => ({
    variant, scenario, seeds,
    results: seeds.map((seed) => {
      const result = simulate(s, { seed, keepHistory: true });
      onRun?.(++done, total);
      return result;
    }),
    planned: plannedSends(s),
  }));
  checkMeasures(compare, variants);
  return { compare, seeds, variants };
}

/**
 * A measure must name a number every variant's run reports (as expect: names them): a name no run
 * has is a typo or a count of another system, refused at the measure (exit 2) with the names the
 * runs do have. Known only once the variants ran: which counts a model reports is the model's.
 */
function checkMeasures(compare: CompareFile, variants: VariantRuns[]): void {
  const problems: ScenarioProblem[] = [];
  compare.measures.forEach((m, index) => {
    const missing = variants.filter((v) => v.results.some((r) => !(m.count in flattenMetrics(r))));
    if (missing.length === 0) return;
    const allowed = Object.keys(flattenMetrics(missing[0]!.results[0]!)).sort();
    const suggestion = closest(m.count, allowed);
    problems.push(compare.yaml.problem(['measures', index, 'count'],
      `no run of variant${missing.length > 1 ? 's' : ''} ${missing.map((v) => `"${v.variant.name}" (${v.variant.system})`).join(', ')} reports "${m.count}" (a measure names a number as expect: does: a count of \`mqsim run --json\`, latency.p99, backlog.max...)`,
      { allowed, ...(suggestion ? { suggestion } : {}) }));
  });
  if (problems.length > 0) throw new ScenarioError(capProblems(problems));
}

/**
 * How many messages the workload asks the producers to send: each producer's plan (rate, count,
 * start, stop) over the safety phase, as the producers' own ProducerPlan lays it out. Keys and
 * payloads do not change the count, so the plan is walked with a stream of its own (nothing here
 * touches a run's random streams).
 */
export function plannedSends(scenario: Scenario): number {
  const producers = (scenario.workload as { producers?: CommonProducer[] } | undefined)?.producers ?? [];
  let total = 0;
  for (const producer of producers) {
    const plan = new ProducerPlan(producer, new RandomStream('planned-sends', String(scenario.seed ?? 1)), scenario.duration);
    while (plan.next() !== null) total++;
  }
  return total;
}

/**
 * The JSON Schema of compare files (`mqsim schema --compare`, committed as
 * scenarios/mqsim-compare.schema.json), for editors. Stricter than `compareSchema`, which leaves
 * a variant's system sections to the scenario validation: here each variant is one of the
 * systems, with that system's own sections (`cluster`, `topics`, `queues`...), producer and
 * consumer fields and `expect:` names, so an editor completes them. Built from the same zod
 * schemas as the scenario files' JSON Schema; by default over every registered system.
 */
export function compareJsonSchema(systems: readonly ModelScenarioParts[] = Object.values(MODELS).map((m) => m.parts)): Record<string, unknown> {
  const variants = systems.map((parts) => {
    const scenario = scenarioSchema(parts, { forJsonSchema: true }) as unknown as z.ZodObject;
    const shape = scenario.shape as Record<string, z.ZodType>;
    const workload = (shape.workload as z.ZodOptional<z.ZodObject>).unwrap().shape as Record<string, z.ZodOptional<z.ZodArray<z.ZodObject>>>;
    const { id: _id, ...producerShape } = workload.producers!.unwrap().element.shape;
    const consumerShape = workload.consumers!.unwrap().element.shape;
    const producerFields = z.strictObject(producerShape).partial();
    const sections = Object.fromEntries(Object.keys(parts.sections ?? {}).map((key) => [key, shape[key]!]));
    return z.strictObject({
      name,
      system: z.literal(parts.system),
      description: z.string().optional(),
      roles: z.record(z.string(), z.union([z.string(), z.record(z.string(), z.string()), z.array(z.union([z.string(), z.record(z.string(), z.string())]))])).optional()
        .meta({ description: 'Each role the faults name, mapped to a node name, a selector such as { leader-of: orders-0 }, or a list of them.' }),
      producer: producerFields.optional().meta({ description: `Fields merged into every logical producer: the ${parts.system} producer's own fields and config.` }),
      producers: z.record(z.string(), producerFields).optional().meta({ description: 'Per logical producer id: fields merged into that producer only, after producer:.' }),
      consumer: z.strictObject(consumerShape).partial().optional().meta({ description: `Fields merged into every logical consumer: the ${parts.system} consumer's own fields and config.` }),
      extraConsumers: z.array(workload.consumers!.unwrap().element).optional().meta({ description: `${parts.system} consumers only this variant has (a pattern's plumbing, such as a delay scheduler), appended to the logical ones.` }),
      cluster: shape.cluster!,
      ...sections,
      expect: shape.expect!,
    }).meta({ description: `A ${parts.system} variant. ${parts.description}` });
  });
  const common = (scenarioSchema(systems[0]!, { forJsonSchema: true }) as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
  const file = compareSchema.extend({
    network: common.network!,
    disk: common.disk!,
    limits: common.limits!,
    faults: z.array(faultStepForJsonSchema).optional().meta({ description: 'The fault schedule, with roles (any name) as targets; each variant maps its roles to its own nodes.' }),
    variants: z.array(z.union(variants)).min(1).meta({ description: 'The systems or configurations to compare: each runs the workload and faults above as its own scenario.' }),
  });
  const schema = z.toJSONSchema(file, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  delete schema.$schema;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'mqsim compare file',
    description: 'One logical workload and fault schedule (targets written as roles), run once per variant by `mqsim compare`; each variant is a system with its configuration and the mapping of the roles onto its nodes.',
    ...schema,
  };
}

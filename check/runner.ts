import fc from 'fast-check';
import { stringify } from 'yaml';
import { modelFor } from '../models/index.js';
import type { Scenario } from '../models/scenario.js';
import { simulate } from '../models/simulate.js';
import { describeStep, faultKind, type FaultStep } from '../sim/faults.js';
import { World } from '../sim/world.js';
import { choices, faultSchedule, rawVariant, scenarioOf, workload, type RawScenario, type VariantOptions } from './arbitraries.js';
import { allOf, propertiesOf, type Property, type Verdict } from './properties.js';

/**
 * `mqsim check` without the threads: a plan (the scenario's explore: section as a fast-check
 * arbitrary, its property: section as a property), the evaluation of run number i, and the
 * shrinking of a failing run. Run i is fast-check's run i for the plan's seed (replayed with
 * `path: "i"`), so any worker or shard evaluates it to the same variant and verdict: the
 * verdict is the failing run with the lowest number, whoever found it.
 */
export interface CheckPlan {
  scenario: Scenario;
  property: Property;
  arbitrary: fc.Arbitrary<RawScenario>;
  seed: number;
  runs: number;
  /** Node name -> roles, for the coverage table. */
  roles: Record<string, readonly string[]>;
}

export class CheckSetupError extends Error {
  override name = 'CheckSetupError';
}

export function planCheck(scenario: Scenario, options: { seed?: number; runs?: number } = {}): CheckPlan {
  if (!scenario.property || scenario.property.length === 0) {
    throw new CheckSetupError(`${scenario.source}: no property: section (e.g. property: [noLostAcked, noDuplicates])`);
  }
  const world = new World({ seed: 1 });
  modelFor(scenario.system)!.build(world, scenario);
  const roles: Record<string, readonly string[]> = {};
  for (const name of world.nodeNames()) roles[name] = world.node(name).roles;
  const explore = scenario.explore ?? {};
  const variant: VariantOptions = {};
  if (explore.faults) {
    const spec = explore.faults;
    const nodes = spec.nodes ?? world.nodeNames().filter((n) => (spec.roles ?? ['broker']).some((r) => roles[n]!.includes(r)));
    for (const node of nodes) if (!world.hasNode(node)) throw new CheckSetupError(`${scenario.source}: explore.faults.nodes: no node named ${node}`);
    if (nodes.length === 0) throw new CheckSetupError(`${scenario.source}: explore.faults: no node has roles ${(spec.roles ?? ['broker']).join(', ')}`);
    variant.faults = faultSchedule({
      nodes,
      duration: scenario.duration,
      kinds: spec.kinds,
      ...(spec.max !== undefined ? { maxFaults: spec.max } : {}),
      ...(spec.oneAtATime !== undefined ? { oneAtATime: spec.oneAtATime } : {}),
      ...(spec.window ? { window: spec.window } : {}),
      ...(spec.for ? { faultLength: spec.for } : {}),
      ...(spec.spacing !== undefined ? { spacing: spec.spacing } : {}),
      ...(spec.keepPageCache !== undefined ? { keepPageCache: spec.keepPageCache } : {}),
    });
  }
  if (explore.config) variant.config = choices(explore.config);
  if (explore.workload) variant.workload = workload(explore.workload);
  return {
    scenario,
    property: allOf(...propertiesOf(scenario.property)),
    arbitrary: rawVariant(scenario, variant),
    seed: options.seed ?? 1,
    runs: options.runs ?? explore.runs ?? 100,
    roles,
  };
}

export interface RunEvaluation {
  index: number;
  ok: boolean;
  /** Fault kinds and roles of nodes hit in this run, for the coverage table. */
  kinds: string[];
  roles: string[];
}

/** Evaluates run `index` of the plan (no shrinking). */
export function evaluateRun(plan: CheckPlan, index: number): RunEvaluation {
  let coverage: { kinds: string[]; roles: string[] } = { kinds: [], roles: [] };
  let thrown: unknown;
  const property = fc.property(plan.arbitrary, (raw) => {
    try {
      const scenario = scenarioOf(raw, plan.scenario.source);
      coverage = coverageOf(scenario.faults ?? [], plan.roles);
      return plan.property(simulate(scenario)).ok;
    } catch (error) {
      // A variant the schema refuses or a model bug is not a counterexample: it is reported as such.
      thrown = error;
      return true;
    }
  });
  const outcome = fc.check(property, { seed: plan.seed, path: String(index), numRuns: 1, endOnFailure: true });
  if (thrown !== undefined) throw thrown;
  return { index, ok: !outcome.failed, ...coverage };
}

function coverageOf(faults: readonly FaultStep[], roles: Record<string, readonly string[]>): { kinds: string[]; roles: string[] } {
  const kinds = new Set<string>();
  const hit = new Set<string>();
  for (const step of faults) {
    const kind = faultKind(step);
    if (kind === 'restart' || kind === 'heal' || kind === 'resume') continue;
    kinds.add(kind);
    const target = (step as unknown as Record<string, unknown>)[kind];
    const names = kind === 'partition' ? (target as string[][]).flat() : [target as string];
    for (const name of names) for (const role of roles[name] ?? []) hit.add(role);
  }
  return { kinds: [...kinds], roles: [...hit] };
}

export interface Counterexample {
  index: number;
  property: string;
  message: string;
  /** The shrunk scenario as YAML (without the editor's schema line, which depends on where it is written). */
  yaml: string;
  faults: string[];
  traceHash: string;
  shrinkSteps: number;
}

/** Replays failing run `index` and shrinks it (deterministically) to a minimal counterexample. */
export function shrinkFailure(plan: CheckPlan, index: number): Counterexample {
  const property = fc.property(plan.arbitrary, (raw) => {
    try {
      return plan.property(simulate(scenarioOf(raw, plan.scenario.source))).ok;
    } catch {
      // While shrinking, a variant that cannot run is simply not a smaller counterexample.
      return true;
    }
  });
  const outcome = fc.check(property, { seed: plan.seed, path: String(index) });
  if (!outcome.failed || outcome.counterexample === null) {
    throw new Error(`run ${index} of ${plan.scenario.source} did not fail when replayed: nondeterminism?`);
  }
  const raw = outcome.counterexample[0] as RawScenario;
  const scenario = scenarioOf(raw, plan.scenario.source);
  const result = simulate(scenario);
  const verdict = plan.property(result) as Extract<Verdict, { ok: false }>;
  const file = counterexampleScenario(plan, raw, verdict, index);
  return {
    index,
    property: verdict.property,
    message: verdict.message,
    yaml: file,
    faults: (scenario.faults ?? []).map((f) => `${(f.at / 1_000_000).toFixed(3)}s  ${describeStep(f)}`),
    traceHash: result.traceHash,
    shrinkSteps: (outcome.counterexamplePath ?? '').split(':').length - 1,
  };
}

/** A complete scenario that replays the counterexample, with an `expect:` that fails on it. */
function counterexampleScenario(plan: CheckPlan, raw: RawScenario, verdict: Extract<Verdict, { ok: false }>, index: number): string {
  const { explore: _explore, expect: _expect, ...rest } = raw;
  const file: RawScenario = {
    ...rest,
    name: `${String(raw.name)}-counterexample-${verdict.property}`,
    description: `Counterexample to ${verdict.property} found by mqsim check (seed ${plan.seed}, run ${index}) and shrunk. ` +
      `mqsim run replays it; its expect: fails.`,
    expect: verdict.expect,
  };
  return stringify(file);
}

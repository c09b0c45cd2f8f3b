import { flattenMetrics, type RunResult } from '../sim/result.js';
import { evaluateExpectation } from '../sim/scenario/expect.js';
import { flushPolicyOf } from '../sim/scenario/schema.js';
import type { Micros } from '../sim/time.js';
import type { TraceSink } from '../sim/trace.js';
import { assertDeterministic } from '../sim/determinism.js';
export { DeterminismError } from '../sim/determinism.js';
import { World, type DiskConfig, type RunProgress, type WorldOptions } from '../sim/world.js';
import type { LinkConfig } from '../sim/network.js';
import { modelFor } from './index.js';
import type { Scenario } from './scenario.js';

export interface SimulateOptions {
  /** Overrides the scenario's seed. */
  seed?: number | string;
  /** Ends the run at this virtual time (cutting the safety and liveness phases short). */
  until?: Micros;
  /** Streams every trace record here (e.g. a JSON-lines file). */
  traceSink?: TraceSink;
  /** Keep the whole client history in the result (memory grows with the run). */
  keepHistory?: boolean;
  /** Told where the run is every few thousand events (progress bars pace themselves by wall clock). */
  progress?: (progress: RunProgress) => void;
  /**
   * The message budget: the run stops (GuardError, limit 'maxMessages') once producers have sent
   * more. Default: the scenario's limits.maxMessages; none when neither is set.
   */
  maxMessages?: number;
  /** Run the scenario twice in this process and throw DeterminismError at the first difference. */
  checkDeterminism?: boolean;
  /** Benchmarks only: leave out the trace hash (traceHash "off") or the history's checkers (counts 0); see WorldOptions. */
  hashTrace?: boolean;
  checkHistory?: boolean;
}

/** Runs a validated scenario to its end and checks its expectations. */
export function simulate(scenario: Scenario, options: SimulateOptions = {}): RunResult {
  if (options.checkDeterminism) return simulateTwice(scenario, options);
  return runOnce(scenario, options).result;
}

function worldOptions(scenario: Scenario, options: SimulateOptions, extra: Partial<WorldOptions>): WorldOptions {
  const seed = options.seed ?? scenario.seed ?? 1;
  const network: Partial<LinkConfig> = {};
  const net = scenario.network;
  if (net?.latency) network.latency = net.latency;
  if (net?.loss !== undefined) network.loss = net.loss;
  if (net?.duplicate !== undefined) network.duplicate = net.duplicate;
  if (net?.reorder !== undefined) network.reorder = net.reorder;
  if (net?.bandwidth !== undefined) network.bandwidth = net.bandwidth;
  const disk: Partial<DiskConfig> = {};
  if (scenario.disk?.fsync) disk.fsyncLatency = scenario.disk.fsync;
  const policy = flushPolicyOf(scenario.disk?.flush);
  if (policy) disk.policy = policy;
  if (scenario.disk?.capacity !== undefined) disk.capacity = scenario.disk.capacity;
  const result: WorldOptions = { seed, network, disk, ...extra };
  if (scenario.sampleEvery !== undefined) result.sampleEvery = scenario.sampleEvery;
  if (scenario.limits?.maxEvents !== undefined) result.maxEvents = scenario.limits.maxEvents;
  // A runaway guard on virtual time: never past the planned end (a run ends there, so no scenario key sets it).
  result.maxTime = scenario.duration + (scenario.drain ?? 30_000_000);
  const maxMessages = options.maxMessages ?? scenario.limits?.maxMessages;
  if (maxMessages !== undefined) result.maxMessages = maxMessages;
  if (options.traceSink) result.traceSink = options.traceSink;
  if (options.keepHistory) result.keepHistory = true;
  if (options.hashTrace === false) result.hashTrace = false;
  if (options.checkHistory === false) result.checkHistory = false;
  return result;
}

function runOnce(scenario: Scenario, options: SimulateOptions, extra: Partial<WorldOptions> = {}): { result: RunResult; world: World } {
  const model = modelFor(scenario.system);
  if (!model) throw new Error(`unknown system ${scenario.system}`);
  const world = new World(worldOptions(scenario, options, extra));
  const built = model.build(world, scenario);
  // Links name nodes, so they are configured once the model has added them.
  for (const link of scenario.network?.links ?? []) {
    const { from, to, ...config } = link;
    for (const f of from) for (const t of to) world.network.configureLink(world.node(f).id, world.node(t).id, config);
  }
  let duration = scenario.duration;
  let drain = scenario.drain ?? 30_000_000;
  if (options.until !== undefined) {
    duration = Math.min(duration, options.until);
    drain = Math.max(0, Math.min(drain, options.until - duration));
  }
  const faults = (scenario.faults ?? []).filter((f) => f.at <= duration);
  const run = world.run({
    duration,
    drain,
    faults,
    ...(options.progress ? { progress: options.progress } : {}),
    ...(built.retained ? { finalRead: () => built.retained!() } : {}),
  });
  const check = run.check;
  const modelCounts = built.counts();
  const counts = { ...check.counts, ...modelCounts, crashes: run.nodes.reduce((n, node) => n + node.crashes, 0) };
  const { worst: _worst, ...delay } = check.delay;
  const result: RunResult = {
    scenario: scenario.name,
    system: scenario.system,
    seed: run.seed,
    duration,
    drain,
    virtualTime: run.endTime,
    traceHash: run.traceHash,
    events: run.events,
    traceRecords: run.traceRecords,
    cluster: built.describe(),
    counts,
    latency: check.latency,
    delay,
    backlog: check.backlog,
    network: run.network,
    metrics: { counters: run.counters, series: run.series },
    faults: run.faults,
    notes: run.notes,
    anomalies: check.anomalies,
    nodes: run.nodes,
    expectations: [],
    passed: true,
  };
  if (scenario.description !== undefined) result.description = scenario.description;
  const metrics = flattenMetrics(result);
  result.expectations = (scenario.expect ?? []).map((e) => evaluateExpectation(e, metrics));
  result.passed = result.expectations.every((e) => e.pass);
  if (options.keepHistory) result.history = world.history.ops;
  return { result, world };
}

/** The determinism self-check on a scenario: see sim/determinism.ts. */
function simulateTwice(scenario: Scenario, options: SimulateOptions): RunResult {
  const { traceSink: _sink, checkDeterminism: _check, ...plain } = options;
  let firstResult: RunResult | undefined;
  assertDeterministic(`scenario ${scenario.name}`, ({ checkpoints, sink }) => {
    const { result, world } = runOnce(scenario, sink ? { ...plain, traceSink: sink } : plain, { checkpoints });
    firstResult ??= result;
    return world.trace;
  });
  return firstResult!;
}

import './scenario-sections.js';

/**
 * mqsim's library API. `loadScenario` + `simulate` run a scenario file; the kernel pieces
 * (World, Kernel, RandomStreams, Network, Disk, History, CheckerSuite) build simulations by hand.
 */
export { loadScenario, loadScenarioFile, parseScenario, estimateScenario, scenarioJsonSchema, type Scenario, type LoadOptions } from './models/scenario.js';
export { BOUNDS } from './sim/scenario/bounds.js';
export { DEFAULT_MAX_MESSAGES, type CostEstimate } from './sim/scenario/cost.js';
export { ConfigError, withPath, type ConfigProblem } from './sim/scenario/config-error.js';
export { simulate, DeterminismError, type SimulateOptions } from './models/simulate.js';
export { MODELS, systemNames, modelFor, type ModelDefinition, type ModelRun } from './models/index.js';
export { flattenMetrics, type RunResult } from './sim/result.js';

export { Kernel, SimulationError, GuardError, type Timer, type StopReason } from './sim/kernel.js';
export { EventQueue, type ScheduledEvent } from './sim/heap.js';
export { RandomStream, RandomStreams, sampler, distributionMean, type Distribution, type Sampler } from './sim/random.js';
export { Trace, KERNEL_NODE, type TraceKind, type TraceRecord, type TraceSink } from './sim/trace.js';
export { JsonlFileSink } from './sim/trace-file.js';
export { Hash64, hashString } from './sim/hash.js';
export { parseDuration, formatDuration, formatTimestamp, toMicros, ms, seconds, type Micros } from './sim/time.js';
export { parseSize, parseRate, formatSize } from './sim/units.js';
export { World, NodeSlot, DEFAULT_DISK, type WorldOptions, type WorldResult, type NodeOptions, type DiskConfig, type Phase } from './sim/world.js';
export type { Actor, ActorFactory, Message, NodeContext, NodeStatus } from './sim/node.js';
export { Network, DEFAULT_LINK, type LinkConfig } from './sim/network.js';
export { Disk, DiskFile, DiskFullError, OS_FLUSH_POLICY, type FlushPolicy } from './sim/disk.js';
export { describeStep, faultKind, FAULT_KINDS, type FaultStep, type FaultEvent, type Target } from './sim/faults.js';
export { StateStore, rebuildState, type StateChange } from './sim/state.js';
export { Metrics } from './sim/metrics.js';
export { ProducerPlan, type ProducerPlanSpec, type PlannedSend } from './sim/workload.js';
export { History, messageId, parseMessageId, type HistoryOp, type OpType, type OpFunction } from './sim/history.js';
export { CheckerSuite, type CheckReport, type CheckCounts, type Example } from './sim/checkers/index.js';
export { ScenarioError, type ScenarioProblem } from './sim/scenario/load.js';

// Property-based testing of delivery guarantees (mqsim check as a library).
export {
  faultSchedule, workload, scenarioVariant, rawVariant, choices,
  noLostAcked, noDuplicates, orderedPerKey, delayWithin, latencyBelow, allOf, propertiesOf,
  runCheck, mergeReports, planCheck, evaluateRun, shrinkFailure, CheckSetupError,
  type RawFaultStep, type FaultScheduleOptions, type VariantOptions, type Property, type Verdict,
  type CheckOptions, type CheckReport as PropertyCheckReport, type CheckPlan, type Counterexample, type Shard,
} from './check/index.js';

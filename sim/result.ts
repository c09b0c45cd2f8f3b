import type { AnomalyName, CheckCounts, CheckResult } from './checkers/index.js';
import type { BacklogPoint } from './checkers/backlog.js';
import type { DelayReport } from './checkers/delay.js';
import type { LatencyReport } from './checkers/latency.js';
import type { FaultEvent } from './faults.js';
import type { NoteEvent } from './world.js';
import type { ExpectationOutcome } from './scenario/expect.js';
import type { Micros } from './time.js';
import type { SeriesPoint } from './metrics.js';

/** The result object of one run (`mqsim run --json` prints it). */
export interface RunResult {
  scenario: string;
  description?: string;
  system: string;
  seed: number | string;
  /** Safety phase length, liveness (drain) length, and the virtual time the run ended at. */
  duration: Micros;
  drain: Micros;
  virtualTime: Micros;
  traceHash: string;
  events: number;
  traceRecords: number;
  cluster: string[];
  counts: CheckCounts & Record<string, number>;
  latency: LatencyReport;
  delay: Omit<DelayReport, 'worst'>;
  backlog: { max: number; final: number; series: BacklogPoint[] };
  network: { sent: number; delivered: number; dropped: number };
  /** Counters and gauges sampled every `sampleEvery` of virtual time (backlog, nodes up, the model's own). */
  metrics: { counters: Record<string, number>; series: Record<string, SeriesPoint[]> };
  faults: FaultEvent[];
  /** The models' notes (bounded), which explain anomalies. */
  notes: NoteEvent[];
  anomalies: Record<AnomalyName, CheckResult>;
  nodes: { name: string; roles: readonly string[]; status: string; crashes: number }[];
  expectations: ExpectationOutcome[];
  /** True when every expectation holds. */
  passed: boolean;
  /** The history ops, when keepHistory was asked. */
  history?: unknown[];
}

/** The numbers `expect:` can name: counts by their bare name, the rest by dotted path. */
export function flattenMetrics(result: RunResult): Record<string, number> {
  const metrics: Record<string, number> = { ...result.counts };
  for (const [key, value] of Object.entries(result.latency)) metrics[`latency.${key}`] = value;
  for (const [key, value] of Object.entries(result.delay)) if (typeof value === 'number') metrics[`delay.${key}`] = value;
  metrics['backlog.max'] = result.backlog.max;
  metrics['backlog.final'] = result.backlog.final;
  metrics.events = result.events;
  metrics.virtualTime = result.virtualTime;
  for (const [key, value] of Object.entries(result.network)) metrics[`network.${key}`] = value;
  return metrics;
}


import { readFileSync } from 'node:fs';
import { modelFor } from '../models/index.js';
import type { Scenario } from '../models/scenario.js';
import { simulate } from '../models/simulate.js';
import { flattenMetrics, type RunResult } from '../sim/result.js';
import { isChoiceQuestion, type DrillSpec } from './schema.js';
import { formatPath, ScenarioError, YamlSource, type ScenarioProblem } from '../sim/scenario/load.js';
import { rebuildState } from '../sim/state.js';
import { formatDuration, formatTimestamp, type Micros } from '../sim/time.js';
import type { TraceRecord } from '../sim/trace.js';
import { DrillSpecError, parseCondition, type Aliases, type RecordTest } from './conditions.js';

/**
 * A drill run: the scenario simulated once with its whole trace kept (drills are small), each
 * step placed at its time (its `at:`, or the first trace record satisfying its `when:` after the
 * previous step), its texts filled with facts from the run. Going back and forth between steps
 * rebuilds the cluster state from the trace: nothing is simulated again.
 */
export interface DrillStep {
  index: number;
  time: Micros;
  /** False when its condition never held: the step is shown at the end of the run. */
  fired: boolean;
  title: string;
  narration: string;
  question?: { prompt: string; choices?: string[]; answer: number; tolerance: number };
  explanation?: string;
}

export interface DrillRun {
  scenario: Scenario;
  spec: DrillSpec;
  result: RunResult;
  records: TraceRecord[];
  steps: DrillStep[];
}

export type NodeStatus = 'up' | 'down' | 'paused' | 'not started';

export interface NodeView {
  name: string;
  roles: readonly string[];
  status: NodeStatus;
}

/** A node's status after each lifecycle record of the trace (the terminal drill and the page read it alike). */
export const NODE_STATUS_AFTER = {
  'node.start': 'up',
  'node.restart': 'up',
  'node.resume': 'up',
  'node.crash': 'down',
  'node.exit': 'down',
  'node.pause': 'paused',
} as const satisfies Record<string, NodeStatus>;

/** The cluster as it was at an instant, rebuilt from the trace. */
export interface Snapshot {
  time: Micros;
  nodes: NodeView[];
  /** Descriptions of the partitions in force. */
  partitions: string[];
  /** Control-plane stores as they were. */
  stores: Record<string, unknown>;
  /** Sampled gauges (backlog, the model's queue depths...) at the last sample at or before the instant. */
  gauges: Record<string, number>;
  /** The last events up to the instant, packet-capture style. */
  events: string[];
}

export function drillAliases(system: string): { conditions: Aliases; facts: Aliases } {
  const drill = modelFor(system)?.drill;
  return { conditions: drill?.conditions ?? {}, facts: drill?.facts ?? {} };
}

/** Runs a drill scenario. Throws ScenarioError (with positions) for unknown conditions or facts. */
export function runDrill(scenario: Scenario): DrillRun {
  const spec = scenario.drill;
  if (!spec) throw new ScenarioError([{ file: scenario.source, line: 1, column: 1, path: '', message: 'no drill: section (title, goals, steps)' }]);
  const aliases = drillAliases(scenario.system);
  const tests = validateDrill(scenario, spec, aliases);
  const records: TraceRecord[] = [];
  const result = simulate(scenario, { traceSink: { write: (record) => records.push(record) } });
  const metrics = flattenMetrics(result);
  const steps: DrillStep[] = [];
  let cursor = 0;
  let from = 0;
  spec.steps.forEach((stepSpec, index) => {
    let time: Micros;
    let fired = true;
    if (stepSpec.at !== undefined) {
      time = stepSpec.at;
    } else {
      const test = tests[index]!;
      while (cursor < records.length && (records[cursor]!.t < from || !test(records[cursor]!))) cursor++;
      if (cursor < records.length) {
        time = records[cursor]!.t;
        cursor++;
      } else {
        time = result.virtualTime;
        fired = false;
      }
    }
    from = time;
    const fill = (text: string) => fillFacts(text, { result, metrics, records, time, aliases: aliases.facts });
    const step: DrillStep = { index, time, fired, title: stepSpec.title ?? `Step ${index + 1}`, narration: fill(stepSpec.narration) };
    if (stepSpec.question) {
      const q = stepSpec.question;
      if (isChoiceQuestion(q)) step.question = { prompt: fill(q.prompt), choices: q.choices.map(fill), answer: q.answer, tolerance: 0 };
      else step.question = { prompt: fill(q.prompt), answer: typeof q.answer === 'number' ? q.answer : Number(fill(q.answer)), tolerance: q.tolerance ?? 0 };
    }
    if (stepSpec.explanation !== undefined) step.explanation = fill(stepSpec.explanation);
    steps.push(step);
  });
  return { scenario, spec, result, records, steps };
}

/** Checks every condition and fact name before running; problems carry file positions. */
function validateDrill(scenario: Scenario, spec: DrillSpec, aliases: { conditions: Aliases; facts: Aliases }): (RecordTest | null)[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const tests = spec.steps.map((step, index) => {
    if (step.when === undefined) return null;
    try {
      return parseCondition(step.when, aliases.conditions);
    } catch (error) {
      problems.push({ path: ['drill', 'steps', index, 'when'], message: (error as Error).message });
      return null;
    }
  });
  spec.steps.forEach((step, index) => {
    const texts: [string, string][] = [['narration', step.narration]];
    if (step.explanation) texts.push(['explanation', step.explanation]);
    if (step.question) {
      texts.push(['question', step.question.prompt]);
      if (typeof step.question.answer === 'string') texts.push(['question', step.question.answer]);
    }
    for (const [key, text] of texts) {
      for (const fact of factsIn(text)) {
        const problem = factProblem(fact, aliases.facts);
        if (problem) problems.push({ path: ['drill', 'steps', index, key], message: problem });
      }
    }
  });
  if (problems.length > 0) throw new ScenarioError(locate(scenario, problems));
  return tests;
}

function locate(scenario: Scenario, problems: { path: (string | number)[]; message: string }[]): ScenarioProblem[] {
  let source: YamlSource | null = null;
  try {
    source = new YamlSource(readFileSync(scenario.source, 'utf8'), scenario.source);
  } catch {
    // Not a file (a scenario given as text): positions fall back to 1:1.
  }
  return problems.map((p) => source?.problem(p.path, p.message) ?? { file: scenario.source, line: 1, column: 1, path: formatPath(p.path), message: p.message });
}

const FACT = /\{\{\s*([^}]+?)\s*\}\}/g;
export const FACT_KINDS = ['count', 'metric', 'time', 'status', 'state', 'note', 'backlog', 'gauge', 'gauge-sum'] as const;

function factsIn(text: string): string[] {
  return [...text.matchAll(FACT)].map((m) => m[1]!);
}

function factProblem(fact: string, aliases: Aliases): string | null {
  const [head, ...rest] = fact.split(/\s+/) as [string, ...string[]];
  if (aliases[head]) return factProblem(aliases[head](rest.join(' ')), {});
  if (!(FACT_KINDS as readonly string[]).includes(head)) return `unknown fact "{{${fact}}}" (facts: ${[...FACT_KINDS, ...Object.keys(aliases)].join(', ')})`;
  const arity: Record<string, number> = { count: 1, metric: 1, time: 0, status: 1, state: 2, note: 2, backlog: 0, gauge: 1, 'gauge-sum': 1 };
  if (rest.length < arity[head]!) return `fact "{{${fact}}}" needs ${arity[head]} argument${arity[head] === 1 ? '' : 's'}`;
  return null;
}

interface FactContext {
  result: RunResult;
  metrics: Record<string, number>;
  records: TraceRecord[];
  time: Micros;
  aliases: Aliases;
}

function fillFacts(text: string, context: FactContext): string {
  return text.replace(FACT, (_match, fact: string) => factValue(fact, context));
}

function factValue(fact: string, context: FactContext): string {
  const [head, ...rest] = fact.split(/\s+/) as [string, ...string[]];
  const alias = context.aliases[head];
  if (alias) return factValue(alias(rest.join(' ')), { ...context, aliases: {} });
  const { result, metrics, records, time } = context;
  switch (head) {
    case 'count':
      return String((result.counts as Record<string, number>)[rest[0]!] ?? 'n/a');
    case 'metric': {
      const value = metrics[rest[0]!];
      if (value === undefined) return 'n/a';
      return /^latency\./.test(rest[0]!) ? formatDuration(Math.round(value)) : String(Math.round(value * 1000) / 1000);
    }
    case 'time':
      return formatTimestamp(time);
    case 'status':
      return snapshotAt({ records: context.records, result: context.result }, time).nodes.find((n) => n.name === rest[0])?.status ?? 'unknown node';
    case 'state': {
      const state = rebuildState<Record<string, unknown>>(records, rest[0]!, time);
      let value: unknown = state;
      for (const segment of rest[1]!.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
      return value === undefined ? 'none' : plainValue(value);
    }
    case 'note': {
      // What happened next: the first such note at or after the step (explanations reveal it),
      // else the latest one before it.
      let before: unknown;
      for (const record of records) {
        const data = record.data as Record<string, unknown> | undefined;
        if (record.kind !== 'note' || data?.what !== rest[0]) continue;
        if (record.t >= time) return String(data[rest[1]!]);
        before = data[rest[1]!];
      }
      return before === undefined ? 'none' : String(before);
    }
    case 'backlog':
      return String(gaugesAt(result, time).backlog ?? 0);
    case 'gauge':
      // A sampled gauge (the model's queue depths, lag...) at the last sample at or before the step.
      return String(gaugesAt(result, time)[rest[0]!] ?? 'none');
    case 'gauge-sum': {
      // The sum of the gauges whose names start with a prefix: `lag.billing.` for a group's lag.
      let total = 0;
      for (const [name, value] of Object.entries(gaugesAt(result, time))) if (name.startsWith(rest[0]!)) total += value;
      return String(total);
    }
    default:
      throw new DrillSpecError(`unknown fact ${fact}`);
  }
}

/**
 * A piece of state in words, for a narration read aloud or projected: a list as
 * "broker-1, broker-2", a map as "key: value; key: value", nested maps in parentheses. No JSON.
 */
export function plainValue(value: unknown, nested = false): string {
  if (value === null || value === undefined) return 'none';
  if (Array.isArray(value)) {
    if (value.length === 0) return 'none';
    const items = value.map((v) => plainValue(v, true));
    return value.every((v) => typeof v === 'number') ? `[${items.join(', ')}]` : items.join(nested ? ' ' : ', ');
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) =>
      v !== null && typeof v === 'object' && !Array.isArray(v) ? `${k} ${plainValue(v, true)}` : `${k}: ${plainValue(v, true)}`,
    );
    if (entries.length === 0) return 'none';
    return nested ? `(${entries.join(', ')})` : entries.join('; ');
  }
  return String(value);
}

function gaugesAt(result: RunResult, time: Micros): Record<string, number> {
  const gauges: Record<string, number> = {};
  for (const [name, series] of Object.entries(result.metrics.series)) {
    let value: number | undefined;
    for (const point of series) {
      if (point.time > time) break;
      value = point.value;
    }
    if (value !== undefined) gauges[name] = value;
  }
  return gauges;
}

const EVENT_KINDS = new Set(['net.deliver', 'net.drop', 'fault', 'phase', 'note', 'node.crash', 'node.restart', 'node.pause', 'node.resume']);

/** The cluster at `time`, rebuilt from the trace records alone. */
export function snapshotAt(run: Pick<DrillRun, 'records' | 'result'>, time: Micros): Snapshot {
  const status = new Map<string, NodeView['status']>();
  for (const node of run.result.nodes) status.set(node.name, 'not started');
  let partitions: string[] = [];
  const storeNames: string[] = [];
  const recent: TraceRecord[] = [];
  for (const record of run.records) {
    if (record.t > time) break;
    const data = (record.data ?? {}) as Record<string, unknown>;
    switch (record.kind) {
      case 'node.start':
      case 'node.restart':
      case 'node.resume':
      case 'node.crash':
      case 'node.exit':
      case 'node.pause':
        status.set(record.node, NODE_STATUS_AFTER[record.kind]);
        break;
      case 'fault':
        if (data.kind === 'partition') partitions.push(String(data.description));
        if (data.kind === 'heal') partitions = [];
        break;
      case 'phase':
        partitions = [];
        break;
      case 'state.init':
        storeNames.push(String(data.store));
        break;
    }
    if (EVENT_KINDS.has(record.kind)) {
      recent.push(record);
      if (recent.length > 12) recent.shift();
    }
  }
  const stores: Record<string, unknown> = {};
  for (const name of storeNames) stores[name] = rebuildState(run.records, name, time);
  return {
    time,
    nodes: run.result.nodes.map((n) => ({ name: n.name, roles: n.roles, status: status.get(n.name) ?? 'not started' })),
    partitions,
    stores,
    gauges: gaugesAt(run.result, time),
    events: recent.map(describeRecord),
  };
}

/** One line per event: `10.002s  p1 -> broker  Produce`. */
export function describeRecord(record: TraceRecord): string {
  const at = formatTimestamp(record.t).padStart(9);
  const data = (record.data ?? {}) as Record<string, unknown>;
  switch (record.kind) {
    case 'net.deliver':
      return `${at}  ${record.from} -> ${record.to}  ${record.type}`;
    case 'net.drop':
      return `${at}  ${record.from} -x ${record.to}  ${record.type} dropped (${record.reason})`;
    case 'fault':
    case 'phase':
      return `${at}  nemesis: ${data.description}`;
    case 'note': {
      const { what, ...detail } = data;
      const fields = Object.entries(detail).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ');
      return `${at}  ${record.node}: ${String(what)}${fields ? ` ${fields}` : ''}`;
    }
    default:
      return `${at}  ${record.node}: ${record.kind.replace('node.', '')}`;
  }
}

/** Whether an answer is right: the choice number, or a number within the tolerance. */
export function isRight(step: DrillStep, answer: string): boolean {
  const question = step.question;
  if (!question) return true;
  const value = Number(answer.trim());
  if (!Number.isFinite(value) || answer.trim() === '') return false;
  return Math.abs(value - question.answer) <= question.tolerance;
}

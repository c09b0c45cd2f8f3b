import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { estimateScenario, loadScenarioFile, type Scenario } from '../models/scenario.js';
import { modelFor } from '../models/index.js';
import { KAFKA_DEFAULTS } from '../models/kafka/schema.js';
import { RABBIT_DEFAULTS, QUORUM_DEFAULTS } from '../models/rabbitmq/schema.js';
import { ROCKETMQ_DEFAULTS } from '../models/rocketmq/schema.js';
import { DEMO_DEFAULTS } from '../models/demo/schema.js';
import { describeStep } from '../sim/faults.js';
import { formatEstimate, DEFAULT_MAX_MESSAGES } from '../sim/scenario/cost.js';
import { formatProblem, ScenarioError } from '../sim/scenario/load.js';
import { formatDuration } from '../sim/time.js';
import { World } from '../sim/world.js';
import type { CliIo } from './commands.js';
import { EXIT } from './exit.js';

/**
 * `mqsim explain FILE`: the scenario as the model will run it. The cluster as the model builds it
 * (its own description, configs in effect), the run's phases and budget with their defaults, and
 * every config key of the system's defaults table with the value that applies and where it came
 * from: the file (with line and column) or the default. Nothing runs; `--json` gives the same as
 * one object.
 */

/** The defaults table of each system and what its keys are. */
const DEFAULT_TABLES: Record<string, { label: string; table: Record<string, unknown>; note?: string }[]> = {
  kafka: [{ label: 'Kafka 3.x default', table: KAFKA_DEFAULTS }],
  rocketmq: [{ label: 'RocketMQ default', table: ROCKETMQ_DEFAULTS }],
  rabbitmq: [
    { label: 'RabbitMQ default (model parameter)', table: RABBIT_DEFAULTS, note: 'durations in microseconds' },
    { label: 'quorum queue default (model parameter)', table: QUORUM_DEFAULTS, note: 'durations in microseconds' },
  ],
  demo: [{ label: 'demo default (model parameter)', table: DEMO_DEFAULTS, note: 'durations in microseconds' }],
};

export interface ExplainedSetting {
  key: string;
  value: unknown;
  /** `file:line:col (path)` where the file sets it, else the default's label. */
  source: string;
  /** Where in the scenario (cluster.config, workload.producers[0].config, ...), when set there. */
  path?: string;
}

export interface Explanation {
  file: string;
  name: string;
  system: string;
  run: ExplainedSetting[];
  cluster: string[];
  settings: ExplainedSetting[];
  faults: string[];
  expect: string[];
  cost: string;
}

/** Every `config:` mapping in the file, and each key in it with its position. */
function configKeys(text: string, file: string): { path: string; key: string; value: unknown; where: string }[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const found: { path: string; key: string; value: unknown; where: string }[] = [];
  const walk = (node: YamlNode | null | undefined, path: string) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '?';
        const child = pair.value as YamlNode | null;
        const childPath = path ? `${path}.${key}` : key;
        // cluster.brokers, cluster.brokerGroups...: sizes the defaults tables list beside the configs.
        if (path === 'cluster' && isScalar(child)) {
          const pos = lines.linePos(pair.key && isScalar(pair.key) ? (pair.key.range?.[0] ?? 0) : 0);
          found.push({ path: 'cluster', key, value: child.value, where: `${file}:${pos.line}:${pos.col}` });
        }
        if ((key === 'config' || key === 'arguments') && isMap(child)) {
          for (const item of child.items) {
            if (!isScalar(item.key)) continue;
            const pos = lines.linePos(item.key.range?.[0] ?? 0);
            const v = item.value as YamlNode | null;
            found.push({ path: childPath, key: String(item.key.value), value: isScalar(v) ? v.value : (v?.toJSON?.() ?? null), where: `${file}:${pos.line}:${pos.col}` });
          }
        }
        walk(child, childPath);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item as YamlNode, `${path}[${i}]`));
    }
  };
  walk(doc.contents as YamlNode, '');
  return found;
}

function positionOf(text: string, file: string, key: string): string | null {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (!isMap(doc.contents)) return null;
  const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === key);
  if (!pair || !isScalar(pair.key)) return null;
  const pos = lines.linePos(pair.key.range?.[0] ?? 0);
  return `${file}:${pos.line}:${pos.col}`;
}

export function explainScenario(scenario: Scenario, text: string, file: string): Explanation {
  const from = (key: string, fallback: string) => positionOf(text, file, key) ?? fallback;
  const drain = scenario.drain ?? 30_000_000;
  const run: ExplainedSetting[] = [
    { key: 'seed', value: scenario.seed ?? 1, source: from('seed', 'default (1)') },
    { key: 'duration', value: formatDuration(scenario.duration), source: from('duration', 'required') },
    { key: 'drain', value: formatDuration(drain), source: from('drain', 'default (30s)') },
    { key: 'sampleEvery', value: formatDuration(scenario.sampleEvery ?? 1_000_000), source: from('sampleEvery', 'default (1s)') },
    { key: 'limits.maxMessages', value: scenario.limits?.maxMessages ?? DEFAULT_MAX_MESSAGES, source: scenario.limits?.maxMessages !== undefined ? from('limits', 'file') : `default (${DEFAULT_MAX_MESSAGES})` },
    { key: 'disk.flush', value: scenario.disk?.flush ?? 'os', source: scenario.disk?.flush !== undefined ? from('disk', 'file') : 'default (os: Linux writeback every 5s of pages dirty for 30s)' },
    { key: 'network.latency', value: scenario.network?.latency ?? 'the kernel default', source: scenario.network?.latency !== undefined ? from('network', 'file') : 'default (sim/network.ts DEFAULT_LINK)' },
  ];
  const model = modelFor(scenario.system);
  const cluster = model ? model.build(new World({ seed: scenario.seed ?? 1 }), scenario).describe() : [];
  const set = configKeys(text, file);
  const settings: ExplainedSetting[] = [];
  const seen = new Set<string>();
  for (const { label, table } of DEFAULT_TABLES[scenario.system] ?? []) {
    for (const [key, value] of Object.entries(table)) {
      const given = set.filter((s) => s.key === key);
      seen.add(key);
      if (given.length === 0) settings.push({ key, value: value === Number.POSITIVE_INFINITY ? 'Long.MAX_VALUE (never)' : value, source: label });
      for (const g of given) settings.push({ key, value: g.value, source: g.where, path: g.path });
    }
  }
  // Keys the file sets that no defaults table lists (queue arguments, mqsim's own keys).
  for (const s of set) if (!seen.has(s.key)) settings.push({ key: s.key, value: s.value, source: s.where, path: s.path });
  return {
    file,
    name: scenario.name,
    system: scenario.system,
    run,
    cluster,
    settings,
    faults: (scenario.faults ?? []).map((f) => `${formatDuration(f.at)}  ${describeStep(f)}`),
    expect: (scenario.expect ?? []).map((e) => `${e.metric} ${e.text}`),
    cost: formatEstimate(estimateScenario(scenario)),
  };
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function formatExplanation(e: Explanation): string {
  const lines = [`${e.file}: ${e.name} (${e.system}), as the model will run it`, '', 'run:'];
  const width = Math.max(...e.run.map((r) => r.key.length), ...e.settings.map((s) => s.key.length));
  const valueWidth = Math.min(24, Math.max(...[...e.run, ...e.settings].map((r) => show(r.value).length)));
  for (const r of e.run) lines.push(`  ${r.key.padEnd(width)}  ${show(r.value).padEnd(valueWidth)}  ${r.source}`);
  lines.push('', 'as built:');
  for (const c of e.cluster) lines.push(`  ${c}`);
  const fromFile = e.settings.filter((s) => s.path !== undefined);
  const defaults = e.settings.filter((s) => s.path === undefined);
  lines.push('', 'config set by the file:');
  if (fromFile.length === 0) lines.push('  (none)');
  for (const s of fromFile) lines.push(`  ${s.key.padEnd(width)}  ${show(s.value).padEnd(valueWidth)}  ${s.source} (${s.path})`);
  lines.push('', 'config left at its default:');
  for (const s of defaults) lines.push(`  ${s.key.padEnd(width)}  ${show(s.value).padEnd(valueWidth)}  ${s.source}`);
  const notes = (DEFAULT_TABLES[e.system] ?? []).filter((t) => t.note).map((t) => `${t.label}: ${t.note}`);
  for (const n of notes) lines.push(`  (${n})`);
  lines.push('', 'faults:');
  if (e.faults.length === 0) lines.push('  (none)');
  for (const f of e.faults) lines.push(`  ${f}`);
  lines.push('', 'expect:');
  if (e.expect.length === 0) lines.push('  (none)');
  for (const x of e.expect) lines.push(`  ${x}`);
  lines.push('', `cost: ${e.cost}`);
  return lines.join('\n') + '\n';
}

export function explainCommand(file: string, options: { json?: boolean }, io: CliIo): number {
  let scenario: Scenario;
  try {
    scenario = loadScenarioFile(resolve(io.cwd, file), { file });
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    for (const problem of error.problems) io.stderr(`${formatProblem(problem)}\n`);
    return EXIT.usage;
  }
  const text = readFileSync(resolve(io.cwd, file), 'utf8');
  const explanation = explainScenario(scenario, text, file);
  io.stdout(options.json ? JSON.stringify(explanation, null, 2) + '\n' : formatExplanation(explanation));
  return EXIT.ok;
}

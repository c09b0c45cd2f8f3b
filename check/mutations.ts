import { stringify } from 'yaml';
import { loadScenarioFile, parseScenario, readScenarioText, type Scenario } from '../models/scenario.js';
import { simulate } from '../models/simulate.js';
import { ScenarioError, YamlSource } from '../sim/scenario/load.js';
import type { MutationSpec } from './mutations-section.js';

/**
 * Mutation checks (issue #22): a scenario proves the semantic it is named for only if swapping
 * that semantic for its neighbour makes its expectations fail. Each mutant is the scenario file
 * with the `set:` / `unset:` paths of one `mutations:` entry applied, validated like any scenario
 * and run once with the same seed; it is caught when at least one expectation fails.
 */

export type MutantStatus =
  /** An expectation failed: the scenario tells the semantic from this neighbour. */
  | 'caught'
  /** Every expectation still held: the scenario cannot tell them apart. */
  | 'survived'
  /** The mutation does not apply to the file (a path that is not there, a no-op) or the mutant does not validate. */
  | 'invalid'
  /** The mutant threw while running (a guard, a model bug). */
  | 'error';

export interface MutantOutcome {
  name: string;
  semantic: string;
  because: string;
  /** Declared as known to survive, with what is missing. */
  knownGap?: string;
  status: MutantStatus;
  /** caught: the expectations that failed, as `metric op value (actual x)`. */
  failed: string[];
  /** invalid / error: what went wrong. */
  message?: string;
}

export interface ScenarioMutations {
  file: string;
  /** Scenario name and system; empty when the file does not load. */
  name: string;
  system: string;
  /** What the file declares: mutations, `none` (with its reason), or nothing. */
  declared: 'mutations' | 'none' | 'missing';
  reason?: string;
  /** The unmutated scenario's expectations: a mutant of a failing scenario proves nothing. */
  baseline: 'pass' | 'fail' | 'not-run';
  /** A file that does not load, or a baseline that fails. */
  problem?: string;
  mutants: MutantOutcome[];
}

export interface MutateOptions {
  /** Run the unmutated scenario first and refuse its mutants when it fails (default true). */
  baseline?: boolean;
}

type Token = { index: number } | { key: string; quoted: boolean };

/** `workload.consumers[0].config.partition.assignment.strategy`, `cluster.config["a.b"]`, `faults[1]`. */
export function parseMutationPath(path: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|([^.[\]]+)|(\.)/y;
  let expectWord = true;
  while (pattern.lastIndex < path.length) {
    const at = pattern.lastIndex;
    const match = pattern.exec(path);
    if (!match) throw new Error(`cannot read the path "${path}" at character ${at + 1}`);
    if (match[1] !== undefined) tokens.push({ index: Number(match[1]) });
    else if (match[2] !== undefined) tokens.push({ key: match[2].replace(/\\(.)/g, '$1'), quoted: true });
    else if (match[3] !== undefined) {
      if (!expectWord) throw new Error(`cannot read the path "${path}": a key follows "]" without a dot`);
      tokens.push({ key: match[3], quoted: false });
    }
    if (match[4] !== undefined && (tokens.length === 0 || expectWord || at + 1 === path.length)) throw new Error(`cannot read the path "${path}": a dot with no key on one side`);
    expectWord = match[4] !== undefined;
  }
  if (tokens.length === 0) throw new Error('an empty path');
  return tokens;
}

type Container = Record<string, unknown> | unknown[];

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The container and key a path ends at. Unquoted dotted words resolve against the file's keys,
 * longest first, so `config.partition.assignment.strategy` finds the key `partition.assignment.strategy`;
 * when nothing matches and the words end the path, they name a new key (with `create`).
 */
function resolvePath(root: unknown, path: string, create: boolean): { container: Container; key: string | number } {
  const tokens = parseMutationPath(path);
  let node = root;
  let walked = '';
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i]!;
    if ('index' in token) {
      if (!Array.isArray(node)) throw new Error(`${walked || 'the file'} is not a list, so [${token.index}] does not apply`);
      if (token.index >= node.length) throw new Error(`${walked} has ${node.length} item${node.length === 1 ? '' : 's'}; there is no [${token.index}]`);
      if (i === tokens.length - 1) return { container: node, key: token.index };
      node = node[token.index];
      walked += `[${token.index}]`;
      i++;
      continue;
    }
    if (!isMapping(node)) throw new Error(`${walked || 'the file'} is not a mapping, so "${token.key}" does not apply`);
    // The run of plain words from here (a quoted key is a run of one).
    let run = 1;
    if (!token.quoted) while (i + run < tokens.length && 'key' in tokens[i + run]! && !(tokens[i + run] as { quoted: boolean }).quoted) run++;
    let matched = 0;
    for (let k = run; k >= 1; k--) {
      const key = tokens.slice(i, i + k).map((t) => (t as { key: string }).key).join('.');
      if (Object.hasOwn(node, key)) {
        matched = k;
        break;
      }
    }
    if (matched === 0) {
      const key = tokens.slice(i, i + run).map((t) => (t as { key: string }).key).join('.');
      if (create && i + run === tokens.length) return { container: node, key };
      const keys = Object.keys(node);
      throw new Error(`${walked || 'the file'} has no key "${key}"${keys.length > 0 ? ` (it has ${keys.join(', ')})` : ''}`);
    }
    const key = tokens.slice(i, i + matched).map((t) => (t as { key: string }).key).join('.');
    if (i + matched === tokens.length) return { container: node, key };
    node = node[key];
    walked += walked ? `.${key}` : key;
    i += matched;
  }
  throw new Error(`cannot resolve "${path}"`);
}

/** The scenario's data with one mutation applied; throws with the offending path. */
export function applyMutation(raw: Record<string, unknown>, mutation: MutationSpec): Record<string, unknown> {
  const copy = structuredClone(raw);
  for (const [path, value] of Object.entries(mutation.set ?? {})) {
    let target;
    try {
      target = resolvePath(copy, path, true);
    } catch (error) {
      throw new Error(`set "${path}": ${(error as Error).message}`);
    }
    const { container, key } = target;
    const before = (container as Record<string | number, unknown>)[key];
    if (JSON.stringify(before) === JSON.stringify(value)) throw new Error(`set "${path}": it is ${JSON.stringify(value)} already, so the mutant is the scenario itself`);
    (container as Record<string | number, unknown>)[key] = structuredClone(value);
  }
  for (const path of mutation.unset ?? []) {
    let target;
    try {
      target = resolvePath(copy, path, false);
    } catch (error) {
      throw new Error(`unset "${path}": ${(error as Error).message}`);
    }
    const { container, key } = target;
    if (Array.isArray(container)) container.splice(key as number, 1);
    else delete container[key as string];
  }
  return copy;
}

/** The mutant's name in reports: its own, else its changes (`path=value`, `-path`). */
export function mutantName(mutation: MutationSpec): string {
  if (mutation.name) return mutation.name;
  const parts = Object.entries(mutation.set ?? {}).map(([path, value]) => `${path}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  for (const path of mutation.unset ?? []) parts.push(`-${path}`);
  return parts.join(', ');
}

/** The expectations a run of `scenario` fails, as `metric op value (actual x)`. */
function failedExpectations(scenario: Scenario): string[] {
  const result = simulate(scenario);
  return result.expectations.filter((e) => !e.pass)
    .map((e) => `${e.metric} ${/^[<>=!]/.test(e.text) ? e.text : `== ${e.text}`} (actual ${e.actual ?? 'none'})`);
}

/** Where a mutation's path is written in the file, for messages: `file:line:column: message`. */
function located(source: YamlSource, index: number, message: string): string {
  const set = /^set "([^"]+)"/.exec(message)?.[1];
  const [line, column] = set !== undefined
    ? source.locate(['mutations', index, 'set', set], true)
    : source.locate(['mutations', index, message.startsWith('unset') ? 'unset' : 'set']);
  return `${source.file}:${line}:${column}: ${message}`;
}

/** Loads a scenario file and runs each of its mutants. Throws ScenarioError when the file itself does not validate. */
export function runMutations(file: string, options: MutateOptions = {}): ScenarioMutations {
  const text = readScenarioText(file);
  const scenario = loadScenarioFile(file);
  const out: ScenarioMutations = { file, name: scenario.name, system: scenario.system, declared: 'missing', baseline: 'not-run', mutants: [] };
  const section = scenario.mutations;
  if (section === undefined) return out;
  if (!Array.isArray(section)) return { ...out, declared: 'none', reason: section.none };
  out.declared = 'mutations';
  if (options.baseline ?? true) {
    const failed = failedExpectations(scenario);
    out.baseline = failed.length === 0 ? 'pass' : 'fail';
    if (failed.length > 0) {
      out.problem = `the scenario itself fails ${failed.join(', ')}: its mutants prove nothing`;
      return out;
    }
  }
  const source = new YamlSource(text, file);
  section.forEach((mutation, index) => {
    const name = mutantName(mutation);
    const outcome: MutantOutcome = { name, semantic: mutation.semantic, because: mutation.because, status: 'invalid', failed: [] };
    if (mutation.knownGap !== undefined) outcome.knownGap = mutation.knownGap;
    out.mutants.push(outcome);
    let mutant: Scenario;
    try {
      mutant = parseScenario(stringify(applyMutation(scenario.raw, mutation)), `${file} (mutant ${name})`);
    } catch (error) {
      outcome.message = error instanceof ScenarioError
        ? `the mutant does not validate: ${error.problems.map((p) => `${p.path ? `${p.path}: ` : ''}${p.message}`).join('; ')}`
        : located(source, index, (error as Error).message);
      return;
    }
    try {
      const failed = failedExpectations(mutant);
      outcome.failed = failed;
      outcome.status = failed.length > 0 ? 'caught' : 'survived';
    } catch (error) {
      outcome.status = 'error';
      outcome.message = (error as Error).message.split('\n')[0]!;
    }
  });
  return out;
}

export interface SystemScore {
  system: string;
  scenarios: number;
  withMutations: number;
  none: number;
  missing: number;
  mutants: number;
  caught: number;
  survived: number;
  /** Of the survivors, those declared as known gaps. */
  knownGaps: number;
  /** invalid or error. */
  broken: number;
}

/** Per system: scenarios by what they declare, and mutants caught out of declared. */
export function mutationScores(results: readonly ScenarioMutations[]): SystemScore[] {
  const bySystem = new Map<string, SystemScore>();
  for (const r of results) {
    const system = r.system || '?';
    let score = bySystem.get(system);
    if (!score) bySystem.set(system, score = { system, scenarios: 0, withMutations: 0, none: 0, missing: 0, mutants: 0, caught: 0, survived: 0, knownGaps: 0, broken: 0 });
    score.scenarios++;
    if (r.declared === 'mutations') score.withMutations++;
    else if (r.declared === 'none') score.none++;
    else score.missing++;
    for (const m of r.mutants) {
      score.mutants++;
      if (m.status === 'caught') score.caught++;
      else if (m.status === 'survived') {
        score.survived++;
        if (m.knownGap !== undefined) score.knownGaps++;
      }
      else score.broken++;
    }
  }
  return [...bySystem.values()].sort((a, b) => a.system.localeCompare(b.system));
}

function percent(caught: number, of: number): string {
  return of === 0 ? '-' : `${Math.round((100 * caught) / of)}%`;
}

/** The score table, as Markdown (README) or as aligned text (terminal). */
export function formatScores(scores: readonly SystemScore[], markdown = false): string {
  const header = ['system', 'scenarios', 'with mutations', 'none', 'missing', 'mutants', 'caught', 'survived (known gaps)', 'invalid/error', 'score'];
  const rows = scores.map((s) => [s.system, s.scenarios, s.withMutations, s.none, s.missing, s.mutants, s.caught, `${s.survived} (${s.knownGaps})`, s.broken, percent(s.caught, s.mutants)].map(String));
  if (markdown) {
    return [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n') + '\n';
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n') + '\n';
}

/** One scenario's mutants, a line each. */
export function formatScenarioMutations(r: ScenarioMutations): string {
  let text = `${r.file}${r.system ? ` (${r.system})` : ''}\n`;
  if (r.declared === 'missing') return text + '  no mutations: declared\n';
  if (r.declared === 'none') return text + `  none: ${r.reason}\n`;
  if (r.problem) return text + `  PROBLEM   ${r.problem}\n`;
  for (const m of r.mutants) {
    const label = { caught: 'caught  ', survived: 'SURVIVED', invalid: 'INVALID ', error: 'ERROR   ' }[m.status];
    const detail = m.status === 'caught' ? `by ${m.failed.join(', ')}${m.knownGap ? ' (declared a known gap: drop knownGap)' : ''}`
      : m.status === 'survived' ? (m.knownGap ? `known gap: ${m.knownGap}` : `every expectation held; ${m.semantic}`) : m.message ?? '';
    text += `  ${label}  ${m.name}: ${detail}\n`;
  }
  return text;
}

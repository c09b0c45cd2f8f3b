import { stringify } from 'yaml';
import { z } from 'zod';
import { MODELS } from '../models/index.js';
import { parseMutationPath } from '../check/mutations.js';
import { loadScenario, loadScenarioFile } from '../models/scenario.js';
import { simulate } from '../models/simulate.js';
import { scenarioSchema } from '../sim/scenario/schema.js';

/**
 * The key-coverage walker (issue #15, "keys that validate but do nothing"): every key path a
 * system's scenario schema accepts, read from the JSON Schema the code generates (so a key added
 * to any zod schema later is found without touching this file), and a way to run a scenario
 * with one key set to a value and compare the outcomes. test/unit/key-coverage.test.ts uses it
 * with the table in test/key-coverage-cases.ts.
 *
 * Labels: segments joined by "/" (config names hold dots); "[]" is an array's entry (the
 * scenario's first one), "{x}" a variant of a union (the variant whose own key is x, or whose
 * `x=value` literal tells it apart). Distribution forms ({ uniform: [...] }, { normal: ... }) are
 * one value kind: their keys are walked once, under network/latency, and every other
 * distribution-valued key is a leaf.
 */

type Json = Record<string, unknown>;

export type LeafKind =
  | { kind: 'boolean' }
  | { kind: 'enum'; values: unknown[] }
  | { kind: 'integer'; min?: number; max?: number }
  | { kind: 'number'; min?: number; max?: number }
  | { kind: 'duration' }
  | { kind: 'size' }
  | { kind: 'rate' }
  | { kind: 'string' }
  | { kind: 'other' };

export interface SchemaKey {
  /** The key as the coverage table names it, e.g. `workload/producers[]/config/acks`. */
  label: string;
  /** Where to write it in a scenario object: "[]" is entry 0, variants add nothing. */
  path: (string | number)[];
  /** True when the key holds an object (its own keys are listed too). */
  parent: boolean;
  leaf: LeafKind;
  description?: string;
}

/** The JSON Schema (input side) of one system's scenario files. */
export function systemJsonSchema(system: string): Json {
  const model = MODELS[system];
  if (!model) throw new Error(`unknown system ${system}`);
  return z.toJSONSchema(scenarioSchema(model.parts, { forJsonSchema: true }), { io: 'input', unrepresentable: 'any' }) as Json;
}

const DISTRIBUTION_SITE = 'network/latency';

function isDistribution(node: Json): boolean {
  const members = (node.anyOf ?? node.oneOf) as Json[] | undefined;
  if (!members) return false;
  return members.some((m) => {
    const inner = (m.anyOf ?? m.oneOf) as Json[] | undefined;
    return (inner ?? [m]).some((o) => typeof o.properties === 'object' && o.properties !== null && 'constant' in (o.properties as Json));
  });
}

function leafOf(node: Json): LeafKind {
  const members = (node.anyOf ?? node.oneOf) as Json[] | undefined;
  if (members && members.every((m) => 'const' in m)) return { kind: 'enum', values: members.map((m) => m.const) };
  if (Array.isArray(node.enum)) return { kind: 'enum', values: node.enum as unknown[] };
  if ('const' in node) return { kind: 'enum', values: [node.const] };
  const description = String(node.description ?? '');
  if (node.type === 'boolean') return { kind: 'boolean' };
  if (node.type === 'integer' || node.type === 'number') {
    const leaf: { kind: 'integer' | 'number'; min?: number; max?: number } = { kind: node.type };
    if (typeof node.minimum === 'number') leaf.min = node.minimum;
    if (typeof node.exclusiveMinimum === 'number') leaf.min = node.exclusiveMinimum + (node.type === 'integer' ? 1 : 1e-3);
    if (typeof node.maximum === 'number') leaf.max = node.maximum;
    return leaf;
  }
  if (description.startsWith('a duration')) return { kind: 'duration' };
  if (description.startsWith('a size')) return { kind: 'size' };
  if (description.startsWith('a rate')) return { kind: 'rate' };
  // A size or a rate whose own description replaced the value's (number or text).
  if (Array.isArray(node.type) && node.type.includes('number') && node.type.includes('string')) return { kind: 'size' };
  if (node.type === 'string') return { kind: 'string' };
  return { kind: 'other' };
}

/** The label of one object member of a union: its literal-valued key, else its first required key other than `at`. */
function variantName(member: Json): string | undefined {
  const props = (member.properties ?? {}) as Record<string, Json>;
  for (const [key, value] of Object.entries(props)) if ('const' in value && typeof value.const === 'string') return `${key}=${value.const}`;
  const required = ((member.required ?? []) as string[]).filter((k) => k !== 'at');
  return required[0] ?? Object.keys(props)[0];
}

/** Every key path of one system's scenario schema. */
export function schemaKeys(system: string): SchemaKey[] {
  const out: SchemaKey[] = [];
  const seen = new Set<string>();
  const emit = (key: SchemaKey) => {
    if (seen.has(key.label)) return;
    seen.add(key.label);
    out.push(key);
  };

  const walkObject = (node: Json, label: string, path: (string | number)[]) => {
    for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Json>)) {
      walk(child, label ? `${label}/${key}` : key, [...path, key]);
    }
  };

  function walk(node: Json, label: string, path: (string | number)[]): void {
    const description = typeof node.description === 'string' ? node.description : undefined;
    const base = (parent: boolean, leaf: LeafKind): SchemaKey => ({ label, path, parent, leaf, ...(description ? { description } : {}) });
    if (isDistribution(node)) {
      emit(base(false, { kind: 'other' }));
      if (label.endsWith(DISTRIBUTION_SITE)) walkUnion(node, label, path);
      return;
    }
    if (node.type === 'object' || node.properties) {
      emit(base(true, { kind: 'other' }));
      walkObject(node, label, path);
      if (node.additionalProperties && typeof node.additionalProperties === 'object') {
        // A record (headers, binding arguments, expect): one representative entry, written by the table.
        emit({ label: `${label}{*}`, path: [...path, '*'], parent: false, leaf: { kind: 'other' } });
      }
      return;
    }
    if (node.type === 'array') {
      const items = node.items as Json | undefined;
      if (items && (items.type === 'object' || items.properties || ((items.anyOf ?? items.oneOf) as Json[] | undefined)?.some((m) => m.type === 'object'))) {
        emit(base(true, { kind: 'other' }));
        walk(items, `${label}[]`, [...path, 0]);
        return;
      }
      emit(base(false, { kind: 'other' }));
      return;
    }
    const members = (node.anyOf ?? node.oneOf) as Json[] | undefined;
    if (members && members.some((m) => m.type === 'object' || m.type === 'array')) {
      // A union with a scalar or list form (keys: 10 | { count, zipf }) is a key of its own; one of objects only is a container.
      emit(base(members.every((m) => m.type === 'object'), { kind: 'other' }));
      walkUnion(node, label, path);
      return;
    }
    emit(base(false, leafOf(node)));
  }

  function walkUnion(node: Json, label: string, path: (string | number)[]): void {
    for (const member of (node.anyOf ?? node.oneOf) as Json[]) {
      const nested = (member.anyOf ?? member.oneOf) as Json[] | undefined;
      if (nested) {
        walkUnion(member, label, path);
      } else if (member.type === 'object' || member.properties) {
        const name = variantName(member);
        walkObject(member, `${label}{${name}}`, path);
      } else if (member.type === 'array' && member.items && typeof member.items === 'object') {
        const items = member.items as Json;
        if (items.type === 'object' || items.properties || items.anyOf || items.oneOf) walk(items, `${label}[]`, [...path, 0]);
      }
    }
  }

  walkObject(systemJsonSchema(system), '', []);
  return out;
}

/** A deep copy of `scenario` with `value` written at `path` (entry 0 of an array must exist). */
export function withValue(scenario: Json, path: (string | number)[], value: unknown): Json {
  const copy = structuredClone(scenario);
  let node: Record<string | number, unknown> = copy;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    if (node[key] === undefined || node[key] === null) {
      if (typeof key === 'number') throw new Error(`the base has no entry ${key} at ${path.slice(0, i + 1).join('/')}: give the case a base that has one`);
      node[key] = typeof path[i + 1] === 'number' ? [] : {};
    }
    node = node[key] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

/** Deep merge of scenario fragments: objects merge, null removes, anything else (arrays included) replaces. */
export function merge(base: Json, patch: Json): Json {
  const out: Json = structuredClone(base);
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    if (value === null) {
      // null removes the key: a case that needs the base without it.
      delete out[key];
      continue;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && current !== null && typeof current === 'object' && !Array.isArray(current)) {
      out[key] = merge(current as Json, value as Json);
    } else {
      out[key] = structuredClone(value);
    }
  }
  return out;
}

/**
 * What a run came to, as one string: the trace hash and every number of the result (counts,
 * latency, backlog, series, expectations), or the refusal when the scenario does not load or
 * the run stops on a guard. Two runs differ when these strings differ.
 */
export function outcome(scenario: Json): string {
  let loaded;
  try {
    loaded = loadScenario(stringify(scenario, { lineWidth: 0 }), { file: 'key-coverage.yaml' });
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  }
  try {
    const result = simulate(loaded);
    const { scenario: _name, description: _description, ...rest } = result;
    return `${result.traceHash} ${JSON.stringify(rest)}`;
  } catch (error) {
    return `stopped: ${(error as Error).message}`;
  }
}

/**
 * Keys a shipped scenario's mutant changes on its own (one `set`, no `unset`, not a known gap):
 * test/scenarios/mutations.test.ts requires every such mutant to make the scenario's expectations
 * fail, so each is already a run in which setting the key changes the result. Label -> evidence.
 */
const loaded = new Map<string, ReturnType<typeof loadScenarioFile>>();

export function mutationEvidence(system: string, labels: readonly string[], files: readonly string[]): Map<string, string> {
  // Labels without their variant markers: a mutation path names keys, not variants; one that could
  // be several variants' key (faults[0].at) proves none of them.
  const byPlain = new Map<string, string[]>();
  for (const label of labels) {
    const plain = label.replace(/\{[^}]*\}/g, '');
    byPlain.set(plain, [...(byPlain.get(plain) ?? []), label]);
  }
  const evidence = new Map<string, string>();
  for (const file of files) {
    let scenario = loaded.get(file);
    if (!scenario) loaded.set(file, (scenario = loadScenarioFile(file)));
    if (scenario.system !== system || !Array.isArray(scenario.mutations)) continue;
    for (const mutant of scenario.mutations) {
      const set = Object.keys(mutant.set ?? {});
      if (set.length !== 1 || (mutant.unset ?? []).length > 0 || mutant.knownGap !== undefined) continue;
      for (const plain of plainLabels(set[0]!)) {
        const found = byPlain.get(plain);
        if (found?.length === 1 && !evidence.has(found[0]!)) evidence.set(found[0]!, `${file}: mutant "${mutant.name ?? mutant.semantic}"`);
      }
    }
  }
  return evidence;
}

/** Every reading of a mutation path (`cluster.config.min.insync.replicas`) as a plain label: dotted words may be one key. */
function plainLabels(path: string): string[] {
  const tokens = parseMutationPath(path);
  let readings = [''];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if ('index' in token) {
      readings = readings.map((r) => `${r}[]`);
      continue;
    }
    const previous = i > 0 ? tokens[i - 1]! : undefined;
    const previousIsKey = previous !== undefined && 'key' in previous && !previous.quoted && !token.quoted;
    readings = readings.flatMap((r) => {
      const next = r === '' ? token.key : `${r}/${token.key}`;
      return previousIsKey ? [next, `${r}.${token.key}`] : [next];
    });
  }
  return readings;
}

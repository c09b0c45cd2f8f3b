import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { BOUNDS, checkShape } from './bounds.js';
import { closest } from './suggest.js';

/**
 * Reading scenario files: YAML with positions kept, validated by a zod schema, every problem
 * reported at once with file:line:column, the key path, what was expected and, for a misspelt
 * key, the nearest allowed one. Nothing here knows a system: the caller picks the schema.
 */
export interface ScenarioProblem {
  file: string;
  line: number;
  column: number;
  /** Key path such as `workload.producers[0].rate`, or '' for the file itself. */
  path: string;
  message: string;
  allowed?: readonly string[];
  suggestion?: string;
  /** On the summary line of a capped list: how many problems it stands for. */
  omitted?: number;
}

export class ScenarioError extends Error {
  override name = 'ScenarioError';
  constructor(readonly problems: ScenarioProblem[]) {
    super(formatProblems(problems));
  }
}

export function formatProblem(problem: ScenarioProblem): string {
  let text = `${problem.file}:${problem.line}:${problem.column}: `;
  if (problem.path) text += `${problem.path}: `;
  text += problem.message;
  if (problem.suggestion && !problem.message.includes('did you mean')) text += ` (did you mean "${problem.suggestion}"?)`;
  if (problem.allowed && problem.allowed.length > 0 && problem.allowed.length <= 40) text += `\n    allowed: ${problem.allowed.join(', ')}`;
  return text;
}

export function formatProblems(problems: readonly ScenarioProblem[]): string {
  const count = problems.length;
  return `${count} problem${count === 1 ? '' : 's'}:\n` + problems.map((p) => '  ' + formatProblem(p)).join('\n');
}

/**
 * At most BOUNDS.problems problems, sorted by position; the rest counted in one last line, so a
 * file with 100,000 unknown keys prints a screenful, not 100,000 lines.
 */
export function capProblems(input: readonly ScenarioProblem[], notLocated = 0): ScenarioProblem[] {
  // A list capped before (validateWith's) is capped again with its count carried over.
  let omitted = notLocated;
  const problems: ScenarioProblem[] = [];
  for (const problem of input) {
    if (problem.omitted !== undefined) omitted += problem.omitted;
    else problems.push(problem);
  }
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  if (problems.length + omitted <= BOUNDS.problems) return problems;
  const kept = problems.slice(0, BOUNDS.problems);
  const rest = problems.length - kept.length + omitted;
  const last = kept[kept.length - 1] ?? input[0]!;
  return [...kept, { file: last.file, line: last.line, column: last.column, path: '', message: `... and ${rest} more problem${rest === 1 ? '' : 's'} (fix these first)`, omitted: rest }];
}

export type PathSegment = string | number;

export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

/** The YAML library's messages that speak to programmers, said for the people who write scenario files. */
function userWording(message: string): string {
  if (/multiple documents/i.test(message)) return 'the file holds more than one YAML document (a "---" line after the first); a scenario file is one document';
  if (/Excessive alias count/i.test(message)) return 'too many *alias expansions (at most 100 in a file); write the values out';
  const tag = /^Unresolved tag: (.*)$/.exec(message);
  if (tag) return `unknown YAML tag ${tag[1]} (scenario files use plain values: no !tags)`;
  return message;
}

/** A parsed YAML document that can tell where any key path is. */
export class YamlSource {
  readonly lineCounter = new LineCounter();
  readonly document: Document.Parsed;
  readonly problems: ScenarioProblem[] = [];
  /** Problems of the file's shape that do not stop validation (prototype keys): reported with the schema's. */
  readonly shapeProblems: ScenarioProblem[] = [];
  readonly value: unknown;

  constructor(readonly text: string, readonly file: string) {
    // Unique keys are checked by checkShape with a set: the YAML library's own check compares every
    // pair of keys (100,000 keys took minutes).
    this.document = parseDocument(text, { lineCounter: this.lineCounter, uniqueKeys: false, prettyErrors: false });
    for (const error of [...this.document.errors, ...this.document.warnings]) {
      const [line, column] = this.position(error.pos[0]);
      const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      this.problems.push({ file, line, column, path: '', message: `YAML: ${userWording(message)}` });
    }
    if (this.problems.length === 0) {
      for (const shape of checkShape(this.document)) {
        const [line, column] = this.position(shape.offset);
        const problem = { file, line, column, path: formatPath(shape.path), message: shape.message };
        (shape.fatal ? this.problems : this.shapeProblems).push(problem);
      }
    }
    let value: unknown;
    if (this.problems.length === 0) {
      try {
        value = this.document.toJS({ maxAliasCount: 100 });
      } catch (error) {
        // Unresolved aliases and alias bombs surface only here.
        this.problems.push({ file, line: 1, column: 1, path: '', message: `YAML: ${userWording((error as Error).message)}` });
      }
    }
    this.value = value;
  }

  private position(offset: number): [number, number] {
    const pos = this.lineCounter.linePos(offset);
    return [pos.line, pos.col];
  }

  /** Line and column of the value at `path` (or of its nearest existing parent); 1:1 if none. */
  locate(path: readonly PropertyKey[], key = false): [number, number] {
    for (let length = path.length; length >= 0; length--) {
      const prefix = path.slice(0, length);
      const node = this.nodeAt(prefix, key && length === path.length);
      if (node?.range) return this.position(node.range[0]);
    }
    return [1, 1];
  }

  /** The YAML node at a path; with `key`, the key node of the last segment (for unknown keys). */
  private nodeAt(path: readonly PropertyKey[], key: boolean): YamlNode | undefined {
    if (path.length === 0) return (this.document.contents ?? undefined) as YamlNode | undefined;
    const parent = this.document.getIn(path.slice(0, -1) as unknown[], true) as YamlNode | undefined;
    const last = path[path.length - 1];
    if (key && isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last));
      if (pair && isScalar(pair.key)) return pair.key;
    }
    const node = this.document.getIn(path as unknown[], true) as YamlNode | undefined;
    return node ?? undefined;
  }

  problem(path: readonly PropertyKey[], message: string, extra: Partial<ScenarioProblem> = {}, key = false): ScenarioProblem {
    const [line, column] = this.locate(path, key);
    return { file: this.file, line, column, path: formatPath(path), message, ...extra };
  }
}

/**
 * Validates `source.value` with `schema`; returns the data or the problems, each placed at
 * its key. Unknown keys get the allowed keys and a "did you mean".
 */
export function validateWith<T>(source: YamlSource, schema: z.ZodType<T>): { data?: T; problems: ScenarioProblem[] } {
  const parsed = schema.safeParse(source.value);
  if (parsed.success && source.shapeProblems.length === 0) return { data: parsed.data, problems: [] };
  const problems: ScenarioProblem[] = [...source.shapeProblems];
  // Each problem looks its node up in the document: stop well past the cap (the rest are only counted).
  const issues = parsed.success ? [] : parsed.error.issues;
  let uncounted = 0;
  for (const issue of issues) {
    if (problems.length > BOUNDS.problems * 2 && issue.code !== 'unrecognized_keys') {
      uncounted++;
      continue;
    }
    const path = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeysAt(schema, path, source.value);
      for (const key of issue.keys) {
        if (problems.length > BOUNDS.problems * 2) {
          uncounted++;
          continue;
        }
        const suggestion = allowed ? closest(key, allowed) : undefined;
        const extra: Partial<ScenarioProblem> = {};
        if (allowed) extra.allowed = allowed;
        if (suggestion) extra.suggestion = suggestion;
        problems.push(source.problem([...path, key], `unknown key "${key}"`, extra, true));
      }
      continue;
    }
    const params = (issue as { params?: { allowed?: readonly string[]; unknownKey?: string; suggestion?: string } }).params;
    const extra: Partial<ScenarioProblem> = {};
    if (params?.allowed) extra.allowed = params.allowed;
    if (params?.suggestion) extra.suggestion = params.suggestion;
    problems.push(source.problem(path, describeIssue(issue, hasPath(source.value, path)), extra, params?.unknownKey !== undefined));
  }
  return { problems: capProblems(problems, uncounted) };
}

function describeIssue(issue: z.core.$ZodIssue, present: boolean): string {
  const message = issue.message.replace(/^Invalid input: /, '');
  if (!present) return `missing required key (${message.replace(/, received undefined$/, '')})`;
  return message;
}

/** Whether the data has a value at `path` (zod does not report the input by default). */
function hasPath(value: unknown, path: readonly PropertyKey[]): boolean {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return false;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current !== undefined;
}

/** The keys an object schema at `path` allows (optional, default, pipe, array and union unwrapped). */
export function allowedKeysAt(schema: z.ZodType, path: readonly PropertyKey[], value: unknown): string[] | undefined {
  let current: unknown = schema;
  let data: unknown = value;
  const unwrap = (s: unknown): unknown => {
    for (let guard = 0; guard < 20; guard++) {
      const def = (s as { def?: { type?: string; innerType?: unknown; in?: unknown; schema?: unknown } }).def;
      if (!def) return s;
      if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'readonly' || def.type === 'prefault') s = def.innerType;
      else if (def.type === 'pipe') s = def.in;
      else return s;
    }
    return s;
  };
  for (const segment of [...path, null]) {
    current = unwrap(current);
    const def = (current as { def?: { type?: string; element?: unknown; options?: unknown[]; shape?: Record<string, unknown> } }).def;
    if (def?.type === 'union' && def.options) {
      // Pick the object option whose keys overlap the data most.
      const keysOf = data && typeof data === 'object' ? Object.keys(data) : [];
      let best: unknown;
      let bestScore = -1;
      for (const option of def.options) {
        const shape = (unwrap(option) as { def?: { shape?: Record<string, unknown> } }).def?.shape;
        if (!shape) continue;
        const score = keysOf.filter((k) => k in shape).length;
        if (score > bestScore) {
          bestScore = score;
          best = unwrap(option);
        }
      }
      if (best === undefined) return undefined;
      current = best;
    }
    const shaped = (current as { def?: { type?: string; element?: unknown; shape?: Record<string, unknown> } }).def;
    if (segment === null) return shaped?.shape ? Object.keys(shaped.shape) : undefined;
    if (typeof segment === 'number' && shaped?.type === 'array') {
      current = shaped.element;
      data = Array.isArray(data) ? data[segment] : undefined;
    } else if (shaped?.shape && typeof segment === 'string') {
      current = shaped.shape[segment];
      data = data && typeof data === 'object' ? (data as Record<string, unknown>)[segment] : undefined;
    } else {
      return undefined;
    }
    if (current === undefined) return undefined;
  }
  return undefined;
}

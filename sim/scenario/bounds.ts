import { isMap, isScalar, isSeq, type Document, type Node as YamlNode } from 'yaml';

/**
 * What a scenario file may ask for. A simulator runs on one machine, so every size a file can
 * name has a bound, checked in the first validation pass with every other problem: a mistake
 * (`rate: 0/s`, a duration of 10^21 s, 2^31 partitions) gets an error naming the field and the
 * bound, never a run that eats the machine. The numbers are far above any shipped scenario and
 * above what the real systems run in one cluster; raise one here if a real use needs it.
 */
export const BOUNDS = {
  /** Any whole number a file writes (counts, keys, config values): a 32-bit signed int, as the real configs are. */
  int: 2 ** 31 - 1,
  /** Messages per second of one producer. */
  rate: 10_000_000,
  /** Any duration (virtual time stays an exact integer of microseconds far below 2^53). */
  durationMicros: 365 * 86_400_000_000,
  /** Any size in bytes (1 TiB). */
  sizeBytes: 1024 ** 4,
  /** Nodes of one kind (brokers, controllers, NameServers). */
  nodes: 1_000,
  /** Partitions of one topic, queues of one broker group. */
  partitions: 100_000,
  /** Members of one consumer group. */
  consumers: 10_000,
  /** Distinct keys drawn with a Zipf distribution (its cumulative weights are kept in memory). */
  zipfKeys: 10_000_000,
  /** Characters of any one string (descriptions, drill text). */
  stringLength: 100_000,
  /** Keys of any one mapping (config maps included). */
  mappingKeys: 10_000,
  /** Items of any one list (producers, consumers, topics, queues, faults). */
  listItems: 10_000,
  /** Nesting depth of mappings and lists. */
  depth: 64,
  /** Problems printed for one file; the rest are counted. */
  problems: 100,
} as const;

/** Keys that would reach an object's prototype when a file's mapping becomes a JS object. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** C0 controls but tab and line breaks, DEL, and C1 controls (ESC among them). */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

function codePoint(char: string): string {
  return `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

export interface ShapeProblem {
  /** Character offset of the offending node in the file. */
  offset: number;
  path: (string | number)[];
  message: string;
  /** A size problem: the file is not validated further (a schema pass over it would be slow). */
  fatal: boolean;
}

/**
 * One linear walk over the parsed YAML (before it becomes JS values): mappings, lists and strings
 * over their bounds, nesting too deep, and the prototype keys. Positions come from the nodes.
 */
export function checkShape(document: Document.Parsed): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  const walk = (node: unknown, path: (string | number)[], depth: number): void => {
    if (problems.length >= BOUNDS.problems) return;
    const offset = (node as YamlNode | null)?.range?.[0] ?? 0;
    if (depth > BOUNDS.depth) {
      problems.push({ offset, path, message: `nested more than ${BOUNDS.depth} levels deep`, fatal: true });
      return;
    }
    if (isMap(node)) {
      if (node.items.length > BOUNDS.mappingKeys) {
        problems.push({ offset, path, message: `${node.items.length.toLocaleString('en-US')} keys in one mapping; at most ${BOUNDS.mappingKeys.toLocaleString('en-US')}`, fatal: true });
        return;
      }
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key !== undefined) {
          if (seen.has(key)) {
            problems.push({ offset: (pair.key as YamlNode).range?.[0] ?? offset, path: [...path, key], message: `the key "${key}" appears more than once in this mapping`, fatal: true });
            continue;
          }
          seen.add(key);
        }
        if (key !== undefined && FORBIDDEN_KEYS.has(key)) {
          problems.push({ offset: (pair.key as YamlNode).range?.[0] ?? offset, path: [...path, key], message: `the key "${key}" is not allowed (it names a JavaScript object's prototype)`, fatal: false });
          continue;
        }
        if (key !== undefined && CONTROL_CHARACTER.test(key)) {
          problems.push({ offset: (pair.key as YamlNode).range?.[0] ?? offset, path, message: `a key with the control character ${codePoint(CONTROL_CHARACTER.exec(key)![0])}: remove it`, fatal: false });
          continue;
        }
        if (key !== undefined && key.length > BOUNDS.stringLength) {
          problems.push({ offset: (pair.key as YamlNode).range?.[0] ?? offset, path, message: `a key of ${key.length.toLocaleString('en-US')} characters; at most ${BOUNDS.stringLength.toLocaleString('en-US')}`, fatal: true });
          continue;
        }
        walk(pair.value, [...path, key ?? '?'], depth + 1);
      }
      return;
    }
    if (isSeq(node)) {
      if (node.items.length > BOUNDS.listItems) {
        problems.push({ offset, path, message: `${node.items.length.toLocaleString('en-US')} items in one list; at most ${BOUNDS.listItems.toLocaleString('en-US')}`, fatal: true });
        return;
      }
      node.items.forEach((item, index) => walk(item, [...path, index], depth + 1));
      return;
    }
    if (isScalar(node) && typeof node.value === 'string') {
      if (node.value.length > BOUNDS.stringLength) {
        problems.push({ offset, path, message: `a text of ${node.value.length.toLocaleString('en-US')} characters; at most ${BOUNDS.stringLength.toLocaleString('en-US')}`, fatal: true });
        return;
      }
      const control = CONTROL_CHARACTER.exec(node.value);
      if (control) problems.push({ offset, path, message: `control character ${codePoint(control[0])} in the text (escape sequences would reach the terminal of whoever runs the file): remove it`, fatal: false });
    }
  };
  walk(document.contents, [], 0);
  return problems;
}

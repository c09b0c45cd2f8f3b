import fc from 'fast-check';
import { isMap, isScalar, isSeq, parseDocument, Scalar, YAMLMap, YAMLSeq, type Document, type Node as YamlNode } from 'yaml';

/**
 * Mutations of scenario files, as a careless or hostile user would write them: values swapped
 * for hostile ones (0, negatives, 2^31, 2^53 + 1, 10^21, huge strings, control characters, wrong
 * types), keys deleted, renamed, duplicated or set to __proto__, sections nested deep, text cut
 * or spliced with bytes. Each mutation picks its place by index among the file's nodes, so a
 * seed gives the same mutated files everywhere.
 */

const HOSTILE_VALUES: readonly unknown[] = [
  0, -1, 1, 0.5, 2 ** 31, 2 ** 31 - 1, 4294967296, 2 ** 53 + 1, 1e21, -1e21, Number.MAX_VALUE,
  '', ' ', '0/s', '-5/s', '1e9/s', '999999999999999999999s', '0s', '-1s', '1e400ms', '1h30', '∞',
  '99999999TiB', 'NaN', 'null', 'true', '../../../../etc/passwd', 'a'.repeat(300),
  '\u001b]0;PWNED\u0007\u001b[2J', '\u0000', 'x\u009bx', 'broker-999', 'random-nobody', 'all-broker',
  true, false, null, [], {}, [1, 2, 3], { a: 1 }, { 'leader-of': 'nope-9' }, { uniform: ['5ms', '1ms'] },
];

const HOSTILE_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype', 'rat', 'count', 'limits', 'faults', '\u001b[31mred', 'x'.repeat(200)];

export type Mutation =
  | { kind: 'set'; at: number; value: number }
  | { kind: 'delete'; at: number }
  | { kind: 'rename'; at: number; key: number }
  | { kind: 'add-key'; at: number; key: number; value: number }
  | { kind: 'wrap'; at: number; depth: number }
  | { kind: 'cut'; at: number }
  | { kind: 'splice'; at: number; bytes: string };

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rename' as const), at: fc.nat(), key: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('add-key' as const), at: fc.nat(), key: fc.nat(), value: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wrap' as const), at: fc.nat(), depth: fc.integer({ min: 1, max: 80 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), bytes: fc.string({ unit: 'binary', maxLength: 8 }) }) },
);

/** Every map and list in the document, with the map's pairs, in document order. */
function collections(document: Document): (YAMLMap | YAMLSeq)[] {
  const found: (YAMLMap | YAMLSeq)[] = [];
  const walk = (node: unknown) => {
    if (isMap(node)) {
      found.push(node);
      for (const pair of node.items) walk(pair.value);
    } else if (isSeq(node)) {
      found.push(node);
      for (const item of node.items) walk(item);
    }
  };
  walk(document.contents);
  return found;
}

function pick<T>(items: readonly T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[index % items.length];
}

/** Applies one mutation to YAML text; returns the new text. */
export function applyMutation(text: string, mutation: Mutation): string {
  if (mutation.kind === 'cut') return text.slice(0, mutation.at % (text.length + 1));
  if (mutation.kind === 'splice') {
    const at = mutation.at % (text.length + 1);
    return text.slice(0, at) + mutation.bytes + text.slice(at);
  }
  const document = parseDocument(text, { uniqueKeys: false });
  if (document.errors.length > 0) return text + '\n# unparsable before this mutation\n';
  const places = collections(document);
  const place = pick(places, mutation.at);
  if (!place) return text;
  const value = (n: number) => document.createNode(HOSTILE_VALUES[n % HOSTILE_VALUES.length]) as YamlNode;
  switch (mutation.kind) {
    case 'set': {
      if (place.items.length === 0) break;
      const i = mutation.value % place.items.length;
      if (isMap(place)) place.items[i]!.value = value(Math.floor(mutation.value / 7));
      else place.items[i] = value(Math.floor(mutation.value / 7));
      break;
    }
    case 'delete':
      if (place.items.length > 0) place.items.splice(mutation.at % place.items.length, 1);
      break;
    case 'rename':
      if (isMap(place) && place.items.length > 0) place.items[mutation.at % place.items.length]!.key = new Scalar(HOSTILE_KEYS[mutation.key % HOSTILE_KEYS.length]);
      break;
    case 'add-key':
      if (isMap(place)) {
        const existing = place.items[mutation.value % Math.max(1, place.items.length)];
        const key = mutation.key % 3 === 0 && existing && isScalar(existing.key) ? String(existing.key.value) : HOSTILE_KEYS[mutation.key % HOSTILE_KEYS.length]!;
        place.items.push(document.createPair(key, HOSTILE_VALUES[mutation.value % HOSTILE_VALUES.length]) as never);
      } else {
        place.items.push(value(mutation.value));
      }
      break;
    case 'wrap': {
      if (!isMap(place) || place.items.length === 0) break;
      const pair = place.items[mutation.at % place.items.length]!;
      let nested: unknown = pair.value;
      for (let d = 0; d < mutation.depth; d++) nested = wrapInSeq(nested);
      pair.value = nested as never;
      break;
    }
  }
  return document.toString({ lineWidth: 0 });
}

function wrapInSeq(node: unknown): YAMLSeq {
  const seq = new YAMLSeq();
  seq.items.push(node);
  seq.flow = true;
  return seq;
}

/** A mutated scenario: which shipped file, and what was done to it. */
export interface FuzzCase {
  base: number;
  mutations: Mutation[];
}

export const fuzzCaseArbitrary: fc.Arbitrary<FuzzCase> = fc.record({
  base: fc.nat(),
  mutations: fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }),
});

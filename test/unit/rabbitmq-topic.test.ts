import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topicMatches } from '../../models/rabbitmq/public.js';

/**
 * The bindings and expectations of rabbitmq-server's topic_matching test
 * (deps/rabbit/test/unit_access_control_SUITE.erl, topic_matching1): routing each key must reach
 * exactly the listed queues.
 */
const SUITE_BINDINGS: ReadonlyArray<readonly [string, string]> = [
  ['a.b.c', 't1'],
  ['a.*.c', 't2'],
  ['a.#.b', 't3'],
  ['a.b.b.c', 't4'],
  ['#', 't5'],
  ['#.#', 't6'],
  ['#.b', 't7'],
  ['*.*', 't8'],
  ['a.*', 't9'],
  ['*.b.c', 't10'],
  ['a.#', 't11'],
  ['a.#.#', 't12'],
  ['b.b.c', 't13'],
  ['a.b.b', 't14'],
  ['a.b', 't15'],
  ['b.c', 't16'],
  ['', 't17'],
  ['*.*.*', 't18'],
  ['vodka.martini', 't19'],
  ['a.b.c', 't20'],
  ['*.#', 't21'],
  ['#.*.#', 't22'],
  ['*.#.#', 't23'],
  ['#.#.#', 't24'],
  ['*', 't25'],
  ['#.b.#', 't26'],
  ['args-test', 't27'],
];

const SUITE_EXPECTED: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['a.b.c', ['t1', 't2', 't5', 't6', 't10', 't11', 't12', 't18', 't20', 't21', 't22', 't23', 't24', 't26']],
  ['a.b', ['t3', 't5', 't6', 't7', 't8', 't9', 't11', 't12', 't15', 't21', 't22', 't23', 't24', 't26']],
  ['a.b.b', ['t3', 't5', 't6', 't7', 't11', 't12', 't14', 't18', 't21', 't22', 't23', 't24', 't26']],
  ['', ['t5', 't6', 't17', 't24']],
  ['b.c.c', ['t5', 't6', 't18', 't21', 't22', 't23', 't24', 't26']],
  ['a.a.a.a.a', ['t5', 't6', 't11', 't12', 't21', 't22', 't23', 't24']],
  ['vodka.gin', ['t5', 't6', 't8', 't21', 't22', 't23', 't24']],
  ['vodka.martini', ['t5', 't6', 't8', 't19', 't21', 't22', 't23', 't24']],
  ['b.b.c', ['t5', 't6', 't10', 't13', 't18', 't21', 't22', 't23', 't24', 't26']],
  ['nothing.here.at.all', ['t5', 't6', 't21', 't22', 't23', 't24']],
  ['oneword', ['t5', 't6', 't21', 't22', 't23', 't24', 't25']],
  ['args-test', ['t5', 't6', 't21', 't22', 't23', 't24', 't25', 't27']],
];

function route(routingKey: string): string[] {
  const queues = SUITE_BINDINGS.filter(([binding]) => topicMatches(binding, routingKey)).map(([, q]) => q);
  return [...new Set(queues)].sort();
}

/**
 * The reference: a regex over the routing key with a '.' after every word ("" has no words, so
 * it stays ""), where a literal binding word is that word and its dot, '*' one word and its dot,
 * '#' any run of them. Words hold no '.', so each word of the key is read off unambiguously.
 */
function referenceMatches(bindingKey: string, routingKey: string): boolean {
  const words = bindingKey === '' ? [] : bindingKey.split('.');
  const source = words
    .map((w) => (w === '#' ? '(?:[^.]*\\.)*' : w === '*' ? '[^.]*\\.' : `${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.`))
    .join('');
  const subject = routingKey === '' ? '' : `${routingKey}.`;
  return new RegExp(`^${source}$`).test(subject);
}

describe('topicMatches', () => {
  it("routes rabbitmq-server's topic_matching keys to exactly the suite's queues", () => {
    for (const [key, expected] of SUITE_EXPECTED) expect(route(key), `routing key "${key}"`).toEqual([...expected].sort());
  });

  it("agrees with RabbitMQ's topics tutorial", () => {
    // https://www.rabbitmq.com/tutorials/tutorial-five-java: Q1 binds *.orange.*, Q2 binds
    // *.*.rabbit and lazy.#.
    const q1 = (key: string) => topicMatches('*.orange.*', key);
    const q2 = (key: string) => topicMatches('*.*.rabbit', key) || topicMatches('lazy.#', key);
    expect([q1('quick.orange.rabbit'), q2('quick.orange.rabbit')]).toEqual([true, true]);
    expect([q1('lazy.orange.elephant'), q2('lazy.orange.elephant')]).toEqual([true, true]);
    expect([q1('quick.orange.fox'), q2('quick.orange.fox')]).toEqual([true, false]);
    expect([q1('lazy.brown.fox'), q2('lazy.brown.fox')]).toEqual([false, true]);
    expect([q1('lazy.pink.rabbit'), q2('lazy.pink.rabbit')]).toEqual([false, true]);
    expect([q1('quick.brown.fox'), q2('quick.brown.fox')]).toEqual([false, false]);
    expect([q1('orange'), q2('orange')]).toEqual([false, false]);
    expect([q1('quick.orange.male.rabbit'), q2('quick.orange.male.rabbit')]).toEqual([false, false]);
    expect([q1('lazy.orange.male.rabbit'), q2('lazy.orange.male.rabbit')]).toEqual([false, true]);
  });

  it('treats the empty routing key as no words, not one empty word', () => {
    expect(topicMatches('#', '')).toBe(true);
    expect(topicMatches('#.#', '')).toBe(true);
    expect(topicMatches('', '')).toBe(true);
    expect(topicMatches('*', '')).toBe(false);
    expect(topicMatches('*.#', '')).toBe(false);
    expect(topicMatches('', 'a')).toBe(false);
    // The empty binding key matches only the empty routing key; "." is two empty words.
    expect(topicMatches('', '.')).toBe(false);
  });

  it('keeps empty words from doubled, leading and trailing dots', () => {
    expect(topicMatches('a.*.b', 'a..b')).toBe(true);
    expect(topicMatches('a.#.b', 'a..b')).toBe(true);
    expect(topicMatches('a..b', 'a..b')).toBe(true);
    expect(topicMatches('a.b', 'a..b')).toBe(false);
    expect(topicMatches('a.*', 'a.')).toBe(true);
    expect(topicMatches('a.#', 'a.')).toBe(true);
    expect(topicMatches('a', 'a.')).toBe(false);
    expect(topicMatches('*.a', '.a')).toBe(true);
    expect(topicMatches('a', '.a')).toBe(false);
    expect(topicMatches('*.*', '.')).toBe(true);
    expect(topicMatches('*', '.')).toBe(false);
    expect(topicMatches('#', '.')).toBe(true);
  });

  it("lets '#' match zero words at either end or in the middle", () => {
    expect(topicMatches('a.#', 'a')).toBe(true);
    expect(topicMatches('#.a', 'a')).toBe(true);
    expect(topicMatches('a.#.b', 'a.b')).toBe(true);
    expect(topicMatches('#', 'a.b.c.d')).toBe(true);
    expect(topicMatches('a.#', 'b')).toBe(false);
  });

  it("takes '*' and '#' as wildcards only when they are a whole word", () => {
    expect(topicMatches('a*', 'ab')).toBe(false);
    expect(topicMatches('a*', 'a*')).toBe(true);
    expect(topicMatches('a#', 'a.b')).toBe(false);
    expect(topicMatches('#a', '#a')).toBe(true);
    // A routing key's '*' is an ordinary word: a literal binding word does not match it.
    expect(topicMatches('a', '*')).toBe(false);
    expect(topicMatches('*', '*')).toBe(true);
  });

  it('is case-sensitive and compares whole words', () => {
    expect(topicMatches('A.b', 'a.b')).toBe(false);
    expect(topicMatches('ab', 'a.b')).toBe(false);
    expect(topicMatches('stock.usd.nyse', 'stock.usd.nyse')).toBe(true);
  });

  it('stays fast on many hashes', () => {
    const binding = Array.from({ length: 40 }, () => '#').join('.') + '.z';
    const key = Array.from({ length: 200 }, () => 'a').join('.');
    expect(topicMatches(binding, key)).toBe(false);
  });

  it('agrees with a regex translation on random keys', () => {
    const word = fc.constantFrom('', 'a', 'b', 'ab');
    const bindingWord = fc.oneof(word, fc.constantFrom('*', '#'));
    const key = (w: fc.Arbitrary<string>) => fc.array(w, { maxLength: 6 }).map((ws) => ws.join('.'));
    fc.assert(
      fc.property(key(bindingWord), key(fc.oneof(word, fc.constantFrom('*', '#'))), (binding, routing) => {
        expect(topicMatches(binding, routing)).toBe(referenceMatches(binding, routing));
      }),
      { numRuns: 2000 },
    );
  });
});

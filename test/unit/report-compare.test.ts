import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareJsonSchema, loadCompare, parseCompare, plannedSends, runComparison, variantScenario, variantScenarioYaml } from '../../models/compare.js';
import { MODELS } from '../../models/index.js';
import { parseScenario } from '../../models/scenario.js';
import { simulate } from '../../models/simulate.js';
import { comparisonFacts, type CompareJsonRow } from '../../reports/comparison.js';
import { sendOutcomes, SUMMARY_FIELDS, summaryRow } from '../../reports/facts.js';
import { ScenarioError } from '../../sim/scenario/load.js';
import { mqsim } from '../cli-helpers.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const ACK_MODES = 'scenarios/compare/demo-ack-modes.yaml';

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'mqsim-compare-')), name);
  writeFileSync(path, text);
  return path;
}

const DOCUMENTED = ['variant', 'system', 'scenario', 'seeds', ...SUMMARY_FIELDS, 'traceHashes', 'passed', 'outcomes', 'drained', 'safe', 'rank', 'verdict'];

describe('mqsim compare', () => {
  it('--json prints one row per variant with the documented fields, equal to simulate on each variant alone', async () => {
    const { code, stdout } = await mqsim(['compare', ACK_MODES, '--json']);
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as CompareJsonRow[];
    const compare = loadCompare(join(ROOT, ACK_MODES));
    expect(rows.map((r) => r.variant)).toEqual(compare.variants.map((v) => v.name));
    for (const [i, row] of rows.entries()) {
      expect(Object.keys(row).sort()).toEqual([...DOCUMENTED].sort());
      // The variant alone, as `mqsim run` would load it from a file and run it.
      const variant = compare.variants[i]!;
      const alone = simulate(parseScenario(variantScenarioYaml(compare, variant), 'variant.yaml'));
      expect(row.traceHashes).toEqual([alone.traceHash]);
      const { variant: _v, system: _s, scenario, seeds, traceHashes: _t, passed, outcomes, drained, safe, rank, verdict, ...numbers } = row;
      expect(numbers).toEqual(summaryRow(alone));
      expect(scenario).toBe(alone.scenario);
      expect(seeds).toEqual([42]);
      expect(passed).toBe(alone.passed);
      // Outcomes count messages (a kept history), the planned count from the producers' plan: 100/s for 20s.
      const planned = plannedSends(parseScenario(variantScenarioYaml(compare, variant), 'variant.yaml'));
      expect(planned).toBe(2000);
      expect(outcomes).toEqual(sendOutcomes(simulate(parseScenario(variantScenarioYaml(compare, variant), 'variant.yaml'), { keepHistory: true }), planned));
      expect(outcomes.acked + outcomes.rejected + outcomes.unknown + outcomes.neverSent!).toBe(planned);
      expect(typeof drained).toBe('boolean');
      expect(typeof verdict).toBe('string');
      expect(safe).toBe(row.lostAcked === 0);
      expect(rank).toBe(row.lostAcked === 0 ? 1 : 2);
    }
    // The point of this comparison: acks from the page cache lose acked messages, acks after fsync do not.
    expect(rows[0]!.lostAcked).toBeGreaterThan(0);
    expect(rows[1]!.lostAcked).toBe(0);
    // Lost messages are not backlog: the lossy variant drained (every acked message delivered or counted as lost).
    expect(rows[0]!.drained).toBe(true);
    expect(rows[0]!.drainTime).not.toBeNull();
    expect(rows[0]!.verdict).toMatch(/^Loses acknowledged messages: \d+ of [\d,]+ when main-broker crashes for 3s at 10s/);
    expect(rows[1]!.verdict).toMatch(/^No loss/);
  });

  it('the verdict orders variants safest first by the file\'s property; an unsafe variant gets no best mark in any table', async () => {
    // demo-consumers names orderedPerKey: three competing consumers reorder a key, so they rank second and are not safe.
    const compare = loadCompare(join(ROOT, 'scenarios/compare/demo-consumers.yaml'));
    expect(compare.property).toEqual(['orderedPerKey']);
    const facts = comparisonFacts(runComparison(compare, 1));
    expect(facts.question).toBe(compare.question);
    expect(facts.ranked.map((v) => [v.name, v.unsafe])).toEqual([['one-consumer', false], ['three-consumers', true]]);
    expect(facts.ranked[1]!.verdict).toMatch(/^No loss; \d+ messages out of key order\./);
    const { buildCompareReport } = await import('../../reports/compare-report.js');
    const doc = await buildCompareReport(facts);
    const tables = doc.blocks.filter((b) => b.kind === 'table');
    expect(tables[0]).toMatchObject({ id: 'verdict', role: 'verdict' });
    let marks = 0;
    for (const table of tables) {
      for (const row of table.rows) {
        const best = row.filter((c) => typeof c !== 'string' && c.best).length;
        if (row[0] === 'three-consumers') expect(best, `${table.id}: ${JSON.stringify(row)}`).toBe(0);
        marks += best;
      }
    }
    // The safe variant is marked where it is plainly better (fewer reorders at least).
    expect(marks).toBeGreaterThan(0);
  });

  it('measures: among equally safe variants rank by the named numbers, in their better direction, and show in the verdict table and --json', async () => {
    const text = readFileSync(join(ROOT, 'scenarios/compare/demo-consumers.yaml'), 'utf8').replace('property: [orderedPerKey]', 'property: [noLostAcked]');
    const withMeasure = (better: string) => text.replace('seed: 11', `measures:\n  - { count: latency.p99, label: latency p99, better: ${better} }\n  - { count: reorders, label: out of key order }\nseed: 11`);
    const lower = comparisonFacts(runComparison(parseCompare(withMeasure('lower'), 'm.yaml'), 1));
    // Both are safe by noLostAcked; three consumers keep latency down, so "lower is better" ranks them first.
    expect(lower.ranked.map((v) => [v.name, v.unsafe])).toEqual([['three-consumers', false], ['one-consumer', false]]);
    expect(lower.variants[0]!.measures[0]!.measure).toEqual({ count: 'latency.p99', label: 'latency p99', better: 'lower', unit: 'us' });
    expect(lower.variants[0]!.measures[0]!.median).toBeGreaterThan(lower.variants[1]!.measures[0]!.median);
    const higher = comparisonFacts(runComparison(parseCompare(withMeasure('higher'), 'm.yaml'), 1));
    expect(higher.ranked.map((v) => v.name)).toEqual(['one-consumer', 'three-consumers']);
    const { buildCompareReport } = await import('../../reports/compare-report.js');
    const verdict = (await buildCompareReport(lower)).blocks.find((b) => b.kind === 'table' && b.id === 'verdict');
    expect(verdict && verdict.kind === 'table' && verdict.headers).toEqual(['rank', 'variant', 'safe: no acknowledged message lost', 'latency p99 (lower is better)', 'out of key order (lower is better)', 'verdict, from the run']);
    const path = tempFile('m.yaml', withMeasure('lower'));
    const { code, stdout } = await mqsim(['compare', path, '--json']);
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as CompareJsonRow[];
    expect(rows[1]!.measures).toEqual({ 'latency.p99': lower.variants[1]!.measures[0]!.median, reorders: rows[1]!.reorders });
    expect(rows.map((r) => r.rank)).toEqual([2, 1]);
  });

  it('a measure no variant reports is refused at its line, exit 2', async () => {
    const text = readFileSync(join(ROOT, 'scenarios/compare/demo-consumers.yaml'), 'utf8').replace('seed: 11', 'measures:\n  - { count: reorder, label: out of order }\nseed: 11');
    const path = tempFile('bad-measure.yaml', text);
    const { code, stderr } = await mqsim(['compare', path]);
    expect(code).toBe(2);
    const line = text.split('\n').findIndex((l) => l.includes('count: reorder')) + 1;
    expect(stderr).toContain(`bad-measure.yaml:${line}:`);
    expect(stderr).toMatch(/measures\[0\]\.count: no run of variants "one-consumer" \(demo\), "three-consumers" \(demo\) reports "reorder".*did you mean "reorders"/s);
  });

  it('the generated variant scenario is a plain scenario: system sections, merged producer/consumer fields, roles resolved', () => {
    const compare = loadCompare(join(ROOT, 'scenarios/compare/demo-consumers.yaml'));
    const three = variantScenario(compare, compare.variants[1]!);
    expect(three).toMatchObject({ name: 'demo-consumers.three-consumers', system: 'demo', seed: 11, duration: '10s' });
    expect((three.workload as { consumers: unknown[] }).consumers).toEqual([{ group: 'workers', count: 3, processing: { uniform: ['1ms', '12ms'] } }]);
    const modes = loadCompare(join(ROOT, ACK_MODES));
    expect(variantScenario(modes, modes.variants[0]!).faults).toEqual([{ at: '10s', crash: 'broker', for: '3s' }]);
  });

  it('is deterministic: the same file and seeds give the same JSON; --seeds N adds medians, spread and each run', async () => {
    const first = await mqsim(['compare', 'scenarios/compare/demo-consumers.yaml', '--json', '--seeds', '2']);
    const second = await mqsim(['compare', 'scenarios/compare/demo-consumers.yaml', '--json', '--seeds', '2']);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(second.stdout);
    const rows = JSON.parse(first.stdout) as CompareJsonRow[];
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.seeds).toEqual([11, 12]);
      expect(row.runs).toHaveLength(2);
      expect(row.spread!.sent).toEqual([row.runs![0]!.sent, row.runs![1]!.sent].sort((a, b) => a - b));
      expect(row.traceHashes[0]).toBe(row.runs![0]!.traceHash);
    }
  });

  it('a bad compare file exits 2 with file:line:column, the problem placed where it was written', async () => {
    const bad = tempFile('bad.yaml', [
      'name: bad',
      'duration: 5s',
      'workload:',
      '  producers: [{ id: p1, rate: 10/s }]',
      'faults:',
      '  - { at: 1s, crash: main-broker }',
      'variants:',
      '  - name: a',
      '    system: demo',
      '    roles: { other: broker }',
      '',
    ].join('\n'));
    const missingRole = await mqsim(['compare', bad]);
    expect(missingRole.code).toBe(2);
    expect(missingRole.stderr).toMatch(/bad\.yaml:10:\d+: variants\[0\]\.roles: the faults name role "main-broker"/);

    const badConfig = tempFile('bad-config.yaml', [
      'name: bad-config',
      'duration: 5s',
      'workload:',
      '  producers: [{ id: p1, rate: 10/s }]',
      'variants:',
      '  - name: a',
      '    system: demo',
      '    cluster: { config: { ack.after: never } }',
      '  - name: b',
      '    system: kafak',
      '',
    ].join('\n'));
    const result = await mqsim(['compare', badConfig]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bad-config\.yaml:8:\d+: variants\[0\]\.cluster\.config(\.ack\.after)?: variant "a" \(demo\)/);
    expect(result.stderr).toMatch(/bad-config\.yaml:10:13: variants\[1\]\.system: variant "b" \(kafak\): unknown system/);
  });

  it('parseCompare refuses unknown keys and keys a variant may not set, with a suggestion', () => {
    const text = ['name: x', 'duration: 5s', 'workload: { producers: [{ id: p1, rat: 10/s }] }', 'variants:', '  - { name: a, system: demo, seed: 3 }', ''].join('\n');
    try {
      parseCompare(text, 'x.yaml');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ScenarioError);
      const messages = (error as ScenarioError).problems.map((p) => `${p.line}:${p.path}: ${p.message}`);
      expect(messages.join('\n')).toMatch(/3:workload\.producers\[0\]\.rat: unknown key "rat"/);
      expect(messages.join('\n')).toMatch(/5:variants\[0\]\.seed: "seed" is set once for every variant/);
    }
  });

  it('producers: merges fields into one logical producer, after producer:; an unknown producer id is refused', () => {
    const text = ['name: x', 'duration: 5s', 'workload: { producers: [{ id: a, rate: 10/s }, { id: b, rate: 10/s }] }', 'variants:',
      '  - { name: v, system: demo, producer: { keys: 3 }, producers: { b: { keys: 7, count: 5 } } }', ''].join('\n');
    const compare = parseCompare(text, 'x.yaml');
    expect((variantScenario(compare, compare.variants[0]!).workload as { producers: unknown[] }).producers)
      .toEqual([{ id: 'a', rate: '10/s', keys: 3 }, { id: 'b', rate: '10/s', keys: 7, count: 5 }]);
    try {
      parseCompare(text.replace('producers: { b:', 'producers: { c:'), 'x.yaml');
      expect.unreachable();
    } catch (error) {
      expect((error as ScenarioError).problems.map((p) => `${p.line}:${p.path}: ${p.message}`)).toEqual(['5:variants[0].producers.c: no logical producer "c" in workload.producers']);
    }
  });

  it('extraConsumers: appended after the logical consumers of that variant only; a problem in one is placed where it was written', async () => {
    const lines = ['name: x', 'duration: 2s', 'drain: 2s', 'workload: { producers: [{ id: p1, rate: 10/s }], consumers: [{ group: g }] }', 'variants:',
      '  - { name: a, system: demo }',
      '  - name: b',
      '    system: demo',
      '    extraConsumers: [{ group: audit, count: 2 }]', ''];
    const compare = parseCompare(lines.join('\n'), 'x.yaml');
    expect((variantScenario(compare, compare.variants[0]!).workload as { consumers: unknown[] }).consumers).toEqual([{ group: 'g' }]);
    expect((variantScenario(compare, compare.variants[1]!).workload as { consumers: unknown[] }).consumers).toEqual([{ group: 'g' }, { group: 'audit', count: 2 }]);
    const bad = tempFile('extra.yaml', lines.join('\n').replace('count: 2', 'cuont: 2'));
    const result = await mqsim(['compare', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/extra\.yaml:9:\d+: variants\[1\]\.extraConsumers\[0\](\.cuont)?: variant "b" \(demo\): .*unknown key "cuont"/);
  });

  it('exits 1 when a variant\'s own expect: fails', async () => {
    const file = tempFile('expect.yaml', [
      'name: expect-fails',
      'duration: 2s',
      'drain: 2s',
      'workload:',
      '  producers: [{ id: p1, rate: 20/s }]',
      '  consumers: [{ group: g, count: 1 }]',
      'variants:',
      '  - { name: a, system: demo, expect: { sent: 0 } }',
      '',
    ].join('\n'));
    const { code, stdout } = await mqsim(['compare', file]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/FAIL a/);
  });
});

describe('compare JSON Schema', () => {
  it('mqsim schema --compare prints it: one variant shape per system, with that system\'s own sections and producer fields', async () => {
    const { code, stdout } = await mqsim(['schema', '--compare']);
    expect(code).toBe(0);
    const schema = JSON.parse(stdout) as { title: string; properties: Record<string, { items?: { anyOf: { properties: Record<string, { const?: string; properties?: Record<string, unknown> }> }[] } }> };
    expect(schema.title).toBe('mqsim compare file');
    const variants = schema.properties.variants!.items!.anyOf;
    expect(variants.map((v) => v.properties.system!.const)).toEqual(Object.keys(MODELS));
    const of = (system: string) => variants.find((v) => v.properties.system!.const === system)!.properties;
    expect(Object.keys(of('kafka'))).toEqual(expect.arrayContaining(['roles', 'producer', 'producers', 'consumer', 'cluster', 'topics', 'expect']));
    expect(Object.keys(of('rabbitmq'))).toEqual(expect.arrayContaining(['queues', 'exchanges', 'bindings']));
    expect(Object.keys(of('kafka').producer!.properties!)).toContain('topic');
    expect(Object.keys(of('kafka').producer!.properties!)).not.toContain('routingKey');
    expect(Object.keys(of('rabbitmq').producer!.properties!)).toContain('routingKey');
  });
});

describe('shipped compare files', () => {
  const dir = join(ROOT, 'scenarios', 'compare');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

  it('include the demo comparisons', () => {
    expect(files).toEqual(expect.arrayContaining(['demo-ack-modes.yaml', 'demo-consumers.yaml']));
  });

  it.each(files)('%s starts with the compare schema line', (file) => {
    expect(readFileSync(join(dir, file), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../mqsim-compare.schema.json');
  });

  it('the committed compare JSON Schema is the one the code generates (regenerate with: npx mqsim schema --compare > scenarios/mqsim-compare.schema.json)', () => {
    const committed = JSON.parse(readFileSync(join(ROOT, 'scenarios', 'mqsim-compare.schema.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(compareJsonSchema(Object.values(MODELS).map((m) => m.parts)))));
  });

  it.each(files)('%s asks its question and names the property its verdict orders by', (file) => {
    const compare = loadCompare(join(dir, file), `scenarios/compare/${file}`);
    expect(compare.question).toMatch(/\?$/);
    expect(compare.property.length).toBeGreaterThan(0);
  });

  it.each(files)('%s: every variant runs and its own expect: holds', (file) => {
    const compare = loadCompare(join(dir, file), `scenarios/compare/${file}`);
    const comparison = runComparison(compare, 1);
    for (const v of comparison.variants) {
      const result = v.results[0]!;
      expect(result.expectations.length, v.variant.name).toBeGreaterThan(0);
      expect(result.expectations.filter((e) => !e.pass).map((e) => `${v.variant.name}: ${e.metric} ${e.op} ${e.value} (actual ${e.actual})`)).toEqual([]);
    }
  }, 180_000);

  it.each(files)('%s validates, and so does every variant scenario it generates', (file) => {
    const compare = loadCompare(join(dir, file), `scenarios/compare/${file}`);
    for (const variant of compare.variants) {
      expect(() => parseScenario(variantScenarioYaml(compare, variant), `${file}#${variant.name}`), variant.name).not.toThrow();
    }
  });
});

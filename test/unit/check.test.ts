import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { faultSchedule, mergeReports, noDuplicates, noLostAcked, orderedPerKey, latencyBelow, allOf, runCheck, scenarioVariant } from '../../check/index.js';
import { loadScenario } from '../../models/scenario.js';
import { simulate } from '../../models/simulate.js';
import { faultKind } from '../../sim/faults.js';
import { REPO_ROOT } from '../../scripts/golden.js';

const FAILS = join(REPO_ROOT, 'scenarios/properties/demo-ack-before-fsync.yaml');
const HOLDS = join(REPO_ROOT, 'scenarios/properties/demo-ack-after-fsync.yaml');

describe('faultSchedule', () => {
  // A demo cluster whose nodes are broker, p1 and workers-c1.
  const base = 'name: f\nsystem: demo\nduration: 30s\nworkload:\n  producers: [{ id: p1, rate: 1/s }]\n  consumers: [{ group: workers }]\n';
  const nodes = ['broker', 'p1', 'workers-c1'];
  const kinds = ['crash', 'kill', 'pause', 'partition', 'slow-disk', 'disk-full', 'clock-skew'] as const;

  it('gives valid steps within the duration, on the given nodes, each fault healed before the next (one at a time)', () => {
    fc.assert(fc.property(faultSchedule({ nodes, duration: '30s', maxFaults: 4, kinds: [...kinds] }), (steps) => {
      const parsed = loadScenario(base + `faults: ${JSON.stringify(steps)}\n`).faults ?? [];
      expect(parsed.length).toBe(steps.length);
      let healedAt = 0;
      let lastAt = 0;
      let faults = 0;
      for (const step of parsed) {
        expect(step.at).toBeGreaterThanOrEqual(lastAt);
        expect(step.at).toBeLessThanOrEqual(30_000_000);
        lastAt = step.at;
        const kind = faultKind(step);
        const targets = kind === 'partition' ? (step as unknown as { partition: string[][] }).partition.flat() : kind === 'heal' ? [] : [(step as unknown as Record<string, string>)[kind]!];
        for (const target of targets) expect(nodes).toContain(target);
        if (kind === 'restart' || kind === 'heal' || (kind === 'clock-skew' && (step as { offset: number }).offset === 0)) {
          healedAt = step.at;
          continue;
        }
        faults++;
        expect(step.at).toBeGreaterThanOrEqual(healedAt);
        healedAt = step.at + ('for' in step && typeof step.for === 'number' ? step.for : Number.POSITIVE_INFINITY);
      }
      expect(faults).toBeLessThanOrEqual(4);
    }), { numRuns: 200 });
  });

  it('shrinks toward no faults', () => {
    const arbitrary = faultSchedule({ nodes, duration: 10_000_000, maxFaults: 3 });
    const outcome = fc.check(fc.property(arbitrary, () => false), { seed: 3 });
    expect(outcome.counterexample![0]).toEqual([]);
  });
});

describe('properties', () => {
  const crash = simulate(loadScenario(join(REPO_ROOT, 'scenarios/demo/ack-before-fsync-crash.yaml')));
  const steady = simulate(loadScenario(join(REPO_ROOT, 'scenarios/demo/steady-state.yaml')));

  it('noLostAcked fails with the first lost ids and the events that explain them', () => {
    expect(noLostAcked(steady)).toEqual({ ok: true });
    const verdict = noLostAcked(crash);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) {
      expect(verdict.message).toMatch(/^505 acknowledged messages were never delivered:\n  p1-495 acked at 4\.952s/);
      expect(verdict.message).toContain('crash broker');
      expect(verdict.expect).toEqual({ lostAcked: 0 });
    }
  });

  it('noDuplicates, orderedPerKey, latencyBelow and allOf judge the result', () => {
    const dup = simulate(loadScenario(join(REPO_ROOT, 'scenarios/demo/consumer-crash-redelivery.yaml')));
    expect(noDuplicates(dup).ok).toBe(false);
    expect(noDuplicates(steady).ok).toBe(true);
    const reorder = simulate(loadScenario(join(REPO_ROOT, 'scenarios/demo/competing-consumers-reorder.yaml')));
    expect(orderedPerKey(reorder).ok).toBe(false);
    expect(orderedPerKey(steady).ok).toBe(true);
    expect(latencyBelow(99, 1_000_000)(steady).ok).toBe(true);
    expect(latencyBelow(99, 1_000)(steady).ok).toBe(false);
    const both = allOf(noDuplicates, noLostAcked);
    expect(both.name).toBe('noDuplicates+noLostAcked');
    const verdict = both(crash);
    expect(verdict.ok === false && verdict.property).toBe('noLostAcked');
  });

  it('scenarioVariant yields runnable scenarios that the library user can simulate', () => {
    const base = loadScenario(join(REPO_ROOT, 'scenarios/demo/steady-state.yaml'));
    const variants = fc.sample(scenarioVariant(base, { faults: faultSchedule({ nodes: ['broker'], duration: base.duration, kinds: ['pause'] }) }), { seed: 5, numRuns: 3 });
    for (const variant of variants) expect(simulate(variant).counts.sent).toBe(4000);
  });
});

describe('mqsim check', () => {
  it('finds a known-failing property, shrinks it, and the counterexample replays to the same trace hash and fails its expect', async () => {
    const report = await runCheck(FAILS, { workers: 1 });
    expect(report.firstFailure).not.toBeNull();
    const example = report.counterexample!;
    expect(example.property).toBe('noLostAcked');
    expect(example.faults.length).toBeLessThanOrEqual(2);
    expect(example.faults[0]).toMatch(/crash broker/);
    const dir = mkdtempSync(join(tmpdir(), 'mqsim-cx-'));
    const file = join(dir, 'counterexample.yaml');
    writeFileSync(file, example.yaml);
    const replay = simulate(loadScenario(file));
    expect(replay.traceHash).toBe(example.traceHash);
    expect(replay.passed).toBe(false);
    expect(replay.expectations.map((e) => `${e.metric} ${e.pass}`)).toEqual(['lostAcked false']);
    expect(readFileSync(file, 'utf8')).not.toContain('explore');
  });

  it('gives the same verdict and counterexample with 1 or 2 workers, and sharded then merged', async () => {
    const one = await runCheck(FAILS, { workers: 1, runs: 40 });
    const two = await runCheck(FAILS, { workers: 2, runs: 40 });
    const shards = await Promise.all([1, 2, 3].map((index) => runCheck(FAILS, { workers: 1, runs: 40, shard: { index, count: 3 } })));
    const merged = mergeReports(shards);
    for (const other of [two, merged]) {
      expect(other.firstFailure).toBe(one.firstFailure);
      expect(other.runsDone).toBe(one.runsDone);
      expect(other.counterexample!.yaml).toBe(one.counterexample!.yaml);
      expect(other.counterexample!.traceHash).toBe(one.counterexample!.traceHash);
      expect(other.coverage).toEqual(one.coverage);
    }
  });

  it('a property that holds runs the requested number of runs and reports coverage', async () => {
    const report = await runCheck(HOLDS, { workers: 2, runs: 60 });
    expect(report.firstFailure).toBeNull();
    expect(report.runsDone).toBe(60);
    expect(Object.keys(report.coverage.kinds).sort()).toEqual(['crash', 'kill', 'partition', 'pause']);
    expect(report.coverage.roles.broker).toBeGreaterThan(0);
  });
});

describe('the README vitest example', () => {
  it('acks after fsync lose nothing under one fault at a time', () => {
    const base = loadScenario(join(REPO_ROOT, 'scenarios/demo/ack-after-fsync-crash.yaml'));
    const faults = faultSchedule({ nodes: ['broker', 'p1', 'workers-c1'], duration: base.duration, maxFaults: 3, kinds: ['crash', 'pause', 'partition'] });
    fc.assert(
      fc.property(scenarioVariant(base, { faults }), (scenario) => {
        const verdict = noLostAcked(simulate(scenario));
        expect(verdict.ok, verdict.ok ? '' : verdict.message).toBe(true);
      }),
      { numRuns: 25, seed: 1 },
    );
  });
});

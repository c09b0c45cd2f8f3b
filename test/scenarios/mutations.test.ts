import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../check/index.js';
import { applyMutation, mutationScores, parseMutationPath, runMutations } from '../../check/mutations.js';
import { scenarioFiles, type CliIo } from '../../cli/commands.js';
import { main } from '../../cli/main.js';
import { withDeliberateBug, type KafkaDeliberateBug } from '../../models/kafka/deliberate-bugs.js';
import { RABBITMQ_DELIBERATE_BUGS } from '../../models/rabbitmq/deliberate-bugs.js';
import { ROCKETMQ_DELIBERATE_BUGS } from '../../models/rocketmq/deliberate-bugs.js';
import { loadScenario, loadScenarioFile } from '../../models/scenario.js';
import { simulate } from '../../models/simulate.js';
import { REPO_ROOT } from '../../scripts/golden.js';

/**
 * Mutation checks (issue #22): every scenario under scenarios/<system>/, demo/ and drills/ shows a
 * semantic, so it declares `mutations:` (or `mutations: { none: reason }`), and each declared mutant
 * (the semantic swapped for its neighbour) must make its expectations fail.
 */
const FOLDERS = ['kafka', 'rabbitmq', 'rocketmq', 'demo', 'drills'];
const files = FOLDERS.flatMap((folder) => scenarioFiles(join(REPO_ROOT, 'scenarios', folder))).map((p) => relative(REPO_ROOT, p));
const declared = new Map(files.map((file) => [file, loadScenarioFile(join(REPO_ROOT, file)).mutations]));

describe('mutation checks: declarations', () => {
  it('every shipped scenario declares mutations: or mutations: { none: reason }', () => {
    const missing = files.filter((f) => declared.get(f) === undefined);
    expect(missing, 'these scenarios declare no mutations: add a mutations: section (see README, Mutation checks)').toEqual([]);
  });
});

// The unmutated scenarios' expectations are test/scenarios.test.ts's job: each mutant runs once here.
const withMutations = files.filter((f) => Array.isArray(declared.get(f)));
describe.each(withMutations)('mutations of %s', (file) => {
  it('every mutant is caught by an expectation (a declared known gap survives)', () => {
    const result = runMutations(join(REPO_ROOT, file), { baseline: false });
    expect(result.mutants.length).toBeGreaterThan(0);
    const wrong = result.mutants.filter((m) => m.status !== (m.knownGap === undefined ? 'caught' : 'survived')).map((m) => {
      if (m.status === 'caught') return `${file}: mutant "${m.name}" is declared a known gap but is caught now (by ${m.failed.join(', ')}): drop its knownGap`;
      if (m.status === 'survived') return `${file}: mutant "${m.name}" survived (every expectation held; semantic: ${m.semantic})`;
      return `${file}: mutant "${m.name}" ${m.status}: ${m.message}`;
    });
    expect(wrong).toEqual([]);
  });
});

describe('mutation checks: the mechanism', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mqsim-mutations-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  // A small Kafka run: acks=1 on a leader cut off from the other brokers and ZooKeeper loses what
  // it acknowledged after its followers lost touch (a new leader is elected meanwhile).
  const scenario = (expect: string, mutations: string): string => `name: t
system: kafka
seed: 1
duration: 40s
drain: 10s
cluster: { brokers: 3, config: { unclean.leader.election.enable: true, min.insync.replicas: 1 } }
topics: [{ name: orders, partitions: 1, replicationFactor: 3 }]
workload:
  producers:
    - { id: p1, topic: orders, rate: 200/s, keys: 10, config: { acks: "1", enable.idempotence: false } }
  consumers:
    - { group: g, topic: orders, mode: subscribe, config: { auto.offset.reset: earliest } }
faults:
  - { at: 5s, partition: [[broker-1], [broker-2, broker-3, zookeeper]] }
  - { at: 30s, heal: true }
expect:
${expect}
mutations:
${mutations}
`;

  it('reads paths: indexes, dotted config keys, quoted keys', () => {
    expect(parseMutationPath('workload.consumers[0].config.partition.assignment.strategy')).toEqual([
      { key: 'workload', quoted: false }, { key: 'consumers', quoted: false }, { index: 0 }, { key: 'config', quoted: false },
      { key: 'partition', quoted: false }, { key: 'assignment', quoted: false }, { key: 'strategy', quoted: false },
    ]);
    expect(parseMutationPath('cluster.config["a.b"]')).toEqual([{ key: 'cluster', quoted: false }, { key: 'config', quoted: false }, { key: 'a.b', quoted: true }]);
    expect(() => parseMutationPath('a..b')).toThrow();
    expect(() => parseMutationPath('a[0]b')).toThrow();
  });

  it('applies set and unset to a copy: an existing dotted key, a new one, a list item', () => {
    const raw = { workload: { consumers: [{ config: { 'partition.assignment.strategy': 'range' } }] }, faults: [{ at: 1 }, { at: 2 }] };
    const mutant = applyMutation(raw, {
      semantic: 's', because: 'b',
      set: { 'workload.consumers[0].config.partition.assignment.strategy': 'sticky', 'workload.consumers[0].config.enable.auto.commit': false },
      unset: ['faults[0]'],
    });
    expect(mutant).toEqual({ workload: { consumers: [{ config: { 'partition.assignment.strategy': 'sticky', 'enable.auto.commit': false } }] }, faults: [{ at: 2 }] });
    expect(raw.workload.consumers[0]!.config['partition.assignment.strategy']).toBe('range');
    expect(() => applyMutation(raw, { semantic: 's', because: 'b', set: { 'workload.consumer[0].x': 1 } })).toThrow(/workload has no key "consumer"/);
    expect(() => applyMutation(raw, { semantic: 's', because: 'b', set: { 'faults[5].at': 1 } })).toThrow(/faults has 2 items/);
    expect(() => applyMutation(raw, { semantic: 's', because: 'b', unset: ['workload.producers'] })).toThrow(/no key "producers"/);
  });

  it('a mutant whose expectation fails is caught; one that changes nothing the expectations see survives', () => {
    const file = write('caught.yaml', scenario('  lostAcked: "> 0"', `  - semantic: acks=1 loses acknowledged records on failover
    name: acks=all
    set: { "workload.producers[0].config.acks": all, "cluster.config.unclean.leader.election.enable": false }
    because: acks=all waits for the ISR and a clean election keeps what it acknowledged
  - semantic: a mutant the expectations cannot see
    name: two consumers
    set: { "workload.consumers[0].count": 2 }
    because: consumer count does not change what the producer loses`));
    const result = runMutations(file);
    expect(result.baseline).toBe('pass');
    expect(result.mutants.map((m) => [m.name, m.status, m.message])).toEqual([["acks=all", "caught", undefined], ["two consumers", "survived", undefined]]);
    expect(result.mutants[0]!.failed[0]).toMatch(/^lostAcked > 0 \(actual 0\)$/);
    const [score] = mutationScores([result]);
    expect(score).toMatchObject({ system: 'kafka', mutants: 2, caught: 1, survived: 1, knownGaps: 0, broken: 0 });
  });

  it('a declared known gap survives and is counted as one; caught, it is reported as stale', () => {
    const file = write('gap.yaml', scenario('  lostAcked: "> 0"', `  - semantic: s
    name: gap
    set: { "workload.consumers[0].count": 2 }
    because: b
    knownGap: the expectations do not look at consumers
  - semantic: s
    name: stale gap
    set: { "workload.producers[0].config.acks": all, "cluster.config.unclean.leader.election.enable": false }
    because: b
    knownGap: said to survive, but it is caught`));
    const result = runMutations(file);
    expect(result.mutants.map((m) => [m.name, m.status, m.knownGap !== undefined])).toEqual([['gap', 'survived', true], ['stale gap', 'caught', true]]);
    expect(mutationScores([result])[0]).toMatchObject({ mutants: 2, caught: 1, survived: 1, knownGaps: 1 });
  });

  it('mqsim mutate prints each mutant and the score, and exits 0 only when every mutant is caught (and every known gap survives)', async () => {
    const run = async (file: string) => {
      let stdout = '';
      const io: CliIo = { stdout: (t) => { stdout += t; }, stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false, env: {}, cwd: dir, exitCode: 0 };
      return { code: await main(['mutate', file], io), stdout };
    };
    write('all-caught.yaml', scenario('  lostAcked: "> 0"', `  - semantic: acks=1 loses acknowledged records
    name: acks=all
    set: { "workload.producers[0].config.acks": all, "cluster.config.unclean.leader.election.enable": false }
    because: b`));
    const ok = await run('all-caught.yaml');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/all-caught\.yaml \(kafka\)\n {2}caught {4}acks=all: by lostAcked > 0 \(actual 0\)/);
    expect(ok.stdout).toMatch(/kafka +1 +1 +0 +0 +1 +1 +0 \(0\) +0 +100%/);
    write('survives.yaml', scenario('  lostAcked: "> 0"', `  - semantic: s
    set: { "workload.consumers[0].count": 2 }
    because: b`));
    expect((await run('survives.yaml')).code).toBe(1);
    write('bad-path.yaml', scenario('  lostAcked: "> 0"', `  - semantic: s
    set: { "workload.producer[0].config.acks": all }
    because: b`));
    const bad = await run('bad-path.yaml');
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/INVALID .*workload has no key "producer"/);
  });

  it('a path not in the file, a no-op and a mutant that does not validate are invalid, with the file position', () => {
    const file = write('invalid.yaml', scenario('  lostAcked: "> 0"', `  - semantic: s
    set: { "workload.producer[0].config.acks": all }
    because: b
  - semantic: s
    set: { "workload.producers[0].config.acks": "1" }
    because: b
  - semantic: s
    set: { "workload.producers[0].config.akcs": all }
    because: b`));
    const result = runMutations(file);
    expect(result.mutants.map((m) => m.status)).toEqual(['invalid', 'invalid', 'invalid']);
    expect(result.mutants[0]!.message).toMatch(/invalid\.yaml:20:\d+: set "workload\.producer\[0\]\.config\.acks": workload has no key "producer"/);
    expect(result.mutants[1]!.message).toMatch(/is "1" already/);
    expect(result.mutants[2]!.message).toMatch(/does not validate: .*unknown key "akcs"/);
  });

  it('a scenario that fails unmutated has its mutants refused', () => {
    const file = write('failing.yaml', scenario('  lostAcked: 0', `  - semantic: s
    set: { "workload.producers[0].config.acks": all }
    because: b`));
    const result = runMutations(file);
    expect(result.baseline).toBe('fail');
    expect(result.problem).toMatch(/fails lostAcked == 0/);
    expect(result.mutants).toEqual([]);
  });

  it('mutations: { none: reason } is a declaration without mutants', () => {
    const file = write('none.yaml', scenario('  lostAcked: "> 0"', '  none: a baseline').replace('mutations:\n  none', 'mutations:\n  none'));
    const result = runMutations(file);
    expect(result).toMatchObject({ declared: 'none', reason: 'a baseline', mutants: [] });
  });
});

/**
 * The property search, measured the same way (issue #22): a deliberate model bug behind a test-only
 * switch (models/kafka/deliberate-bugs.ts) must be found by `mqsim check` with a shipped "holds"
 * claim within its usual budget (explore.runs), and the same runs must hold without the bug.
 * `workers: 1` keeps the runs in this process, where the switch is.
 */
describe('deliberate bugs: mqsim check finds them with a shipped holding claim', () => {
  const claim = join(REPO_ROOT, 'scenarios/properties/kafka-acks-all-no-loss.yaml');

  // Each switch does break its guarantee: the shipped scenario that shows it fails with the bug on.
  const shows: [KafkaDeliberateBug, string, string][] = [
    ['duplicate-sequence-appended', 'idempotent-producer-no-duplicates', 'duplicateDeliveries'],
    ['acks-all-answers-on-append', 'acks-all-leader-failover', 'lostAcked'],
    ['follower-truncates-to-hw', 'leader-epoch-truncation-keeps-acked', 'lostAcked'],
    ['epoch-below-first-undefined', 'leader-epoch-empty-leader-keeps-logs-matching', 'lostAcked'],
  ];
  it.each(shows)('%s breaks scenarios/kafka/%s.yaml (%s)', async (bug, name, metric) => {
    const scenario = loadScenario(join(REPO_ROOT, 'scenarios/kafka', `${name}.yaml`));
    const result = await withDeliberateBug(bug, async () => simulate(scenario));
    expect(result.expectations.filter((e) => !e.pass).map((e) => e.metric)).toContain(metric);
    expect(simulate(scenario).expectations.every((e) => e.pass)).toBe(true);
  });

  it('Kafka duplicate-sequence-appended (idempotence without its broker half): kafka-acks-all-no-loss fails', async () => {
    const found = await withDeliberateBug('duplicate-sequence-appended', () => runCheck(claim, { workers: 1, shrink: false }));
    expect(found.firstFailure, `not found within ${found.runs} runs`).not.toBeNull();
    const clean = await runCheck(claim, { workers: 1, shrink: false, runs: found.firstFailure! + 1 });
    expect(clean.firstFailure, 'the same runs fail without the bug: the search did not find the bug but something else').toBeNull();
  }, 300_000);

  // The other systems' switches, each with the shipped claim that must find it.
  type Report = Awaited<ReturnType<typeof runCheck>>;
  const searched: [string, string, (body: () => Promise<Report>) => Promise<Report>][] = [
    ['RabbitMQ quorum-confirms-before-majority', 'rabbitmq-quorum-no-loss', (body) => RABBITMQ_DELIBERATE_BUGS.with('quorum-confirms-before-majority', body)],
    ['RocketMQ idempotent-check-then-insert', 'rocketmq-idempotent-no-duplicates', (body) => ROCKETMQ_DELIBERATE_BUGS.with('idempotent-check-then-insert', body)],
  ];
  it.each(searched)('%s: scenarios/properties/%s.yaml fails within its runs, and the same runs hold without the bug', async (_, name, withBug) => {
    const file = join(REPO_ROOT, 'scenarios/properties', `${name}.yaml`);
    const found = await withBug(() => runCheck(file, { workers: 1, shrink: false }));
    expect(found.firstFailure, `not found within ${found.runs} runs`).not.toBeNull();
    const clean = await runCheck(file, { workers: 1, shrink: false, runs: found.firstFailure! + 1 });
    expect(clean.firstFailure, 'the same runs fail without the bug').toBeNull();
  }, 300_000);

  it('RocketMQ sync-master-ignores-slave breaks scenarios/rocketmq/sync-master-keeps-acked.yaml (lostAcked)', async () => {
    const scenario = loadScenario(join(REPO_ROOT, 'scenarios/rocketmq/sync-master-keeps-acked.yaml'));
    const result = await ROCKETMQ_DELIBERATE_BUGS.with('sync-master-ignores-slave', async () => simulate(scenario));
    expect(result.expectations.filter((e) => !e.pass).map((e) => e.metric)).toContain('lostAcked');
  });
});

import { describe, expect, it } from 'vitest';
import { rabbitmqModel, type RabbitScenario } from '../../models/rabbitmq/index.js';
import { initialMaster, promotion, suggestedMirrors, type MirrorPolicy } from '../../models/rabbitmq/mirrored/misc.js';
import { scenarioSchema } from '../../sim/scenario/schema.js';
import { World } from '../../sim/world.js';

/**
 * Classic queue mirroring (RabbitMQ 3.x, models/rabbitmq/mirrored/): placement per ha-mode,
 * promotion of the oldest mirror, and through runs: confirms spanning the mirrors, the
 * synchronisation blocking the queue, the loss on an unsynchronised promotion, the refusals.
 */

const nodes = ['rabbit-1', 'rabbit-2', 'rabbit-3', 'rabbit-4', 'rabbit-5'];
const up = (...down: string[]) => (n: string) => !down.includes(n);
const policy = (p: Partial<MirrorPolicy> & Pick<MirrorPolicy, 'mode'>): MirrorPolicy => ({
  policy: 'ha', syncMode: 'manual', batchSize: 4096, promoteOnFailure: 'always', promoteOnShutdown: 'when-synced', ...p,
});

describe('mirror placement (rabbit_mirror_queue_misc)', () => {
  it('ha-mode all mirrors on every other node up, keeping the existing mirrors first (oldest first)', () => {
    const all = policy({ mode: 'all' });
    expect(suggestedMirrors(all, 'rabbit-2', [], nodes, up())).toEqual(['rabbit-3', 'rabbit-4', 'rabbit-5', 'rabbit-1']);
    expect(suggestedMirrors(all, 'rabbit-2', ['rabbit-5', 'rabbit-1'], nodes, up('rabbit-4'))).toEqual(['rabbit-5', 'rabbit-1', 'rabbit-3']);
  });

  it('ha-mode exactly keeps ha-params replicas in all, replacing a lost mirror by the next node up', () => {
    const two = policy({ mode: 'exactly', params: 2 });
    expect(suggestedMirrors(two, 'rabbit-1', [], nodes, up())).toEqual(['rabbit-2']);
    expect(suggestedMirrors(two, 'rabbit-1', ['rabbit-2'], nodes, up('rabbit-2'))).toEqual(['rabbit-3']);
    expect(suggestedMirrors(policy({ mode: 'exactly', params: 3 }), 'rabbit-4', ['rabbit-1'], nodes, up())).toEqual(['rabbit-1', 'rabbit-5']);
    // Fewer nodes than the count: mirrored to all.
    expect(suggestedMirrors(policy({ mode: 'exactly', params: 9 }), 'rabbit-1', [], nodes.slice(0, 3), up())).toEqual(['rabbit-2', 'rabbit-3']);
    expect(suggestedMirrors(policy({ mode: 'exactly', params: 1 }), 'rabbit-1', ['rabbit-2'], nodes, up())).toEqual([]);
  });

  it('ha-mode nodes mirrors on the listed nodes only; the leader is the declaring node if listed, else the first listed one', () => {
    const listed = policy({ mode: 'nodes', params: ['rabbit-4', 'rabbit-2', 'rabbit-9'] });
    expect(initialMaster(listed, 'rabbit-2', nodes)).toBe('rabbit-2');
    expect(initialMaster(listed, 'rabbit-1', nodes)).toBe('rabbit-4');
    expect(suggestedMirrors(listed, 'rabbit-4', [], nodes, up())).toEqual(['rabbit-2']);
    expect(suggestedMirrors(listed, 'rabbit-2', [], nodes, up('rabbit-4'))).toEqual([]);
    expect(initialMaster(policy({ mode: 'all' }), 'rabbit-3', nodes)).toBe('rabbit-3');
  });
});

describe('promotion (the oldest mirror)', () => {
  const always = policy({ mode: 'all' });
  const whenSynced = policy({ mode: 'all', promoteOnFailure: 'when-synced' });
  it('promotes the oldest mirror still up, synchronised or not with ha-promote-on-failure always', () => {
    expect(promotion(always, ['rabbit-3', 'rabbit-2'], ['rabbit-2'], up())).toEqual({ kind: 'promote', node: 'rabbit-3', synced: false });
    expect(promotion(always, ['rabbit-3', 'rabbit-2'], ['rabbit-2'], up('rabbit-3'))).toEqual({ kind: 'promote', node: 'rabbit-2', synced: true });
    expect(promotion(always, ['rabbit-3'], [], up('rabbit-3'))).toEqual({ kind: 'none' });
  });
  it('when-synced refuses an unsynchronised oldest mirror and does not fall back to a younger synchronised one', () => {
    expect(promotion(whenSynced, ['rabbit-3', 'rabbit-2'], ['rabbit-2'], up())).toEqual({ kind: 'refused', node: 'rabbit-3' });
    expect(promotion(whenSynced, ['rabbit-3', 'rabbit-2'], ['rabbit-3', 'rabbit-2'], up())).toEqual({ kind: 'promote', node: 'rabbit-3', synced: true });
  });
  it('after a controlled shutdown of the leader\'s node ha-promote-on-shutdown rules (when-synced by default), not ha-promote-on-failure', () => {
    expect(promotion(always, ['rabbit-3'], [], up(), true)).toEqual({ kind: 'refused', node: 'rabbit-3' });
    expect(promotion(policy({ mode: 'all', promoteOnShutdown: 'always' }), ['rabbit-3'], [], up(), true)).toEqual({ kind: 'promote', node: 'rabbit-3', synced: false });
    expect(promotion(policy({ mode: 'all', promoteOnFailure: 'when-synced', promoteOnShutdown: 'always' }), ['rabbit-3'], [], up(), false)).toEqual({ kind: 'refused', node: 'rabbit-3' });
  });
});

// ------------------------------------------------------------------ runs

const schema = scenarioSchema(rabbitmqModel.parts);

function run(raw: Record<string, unknown>, seed = 21) {
  const scenario = schema.parse({ name: 'rabbit-mirrored-test', system: 'rabbitmq', ...raw }) as RabbitScenario;
  const world = new World({ seed, keepHistory: true });
  const model = rabbitmqModel.build(world, scenario);
  const options: Parameters<World['run']>[0] = { duration: scenario.duration, finalRead: () => model.retained!() };
  if (scenario.drain !== undefined) options.drain = scenario.drain;
  if (scenario.faults !== undefined) options.faults = scenario.faults;
  return { result: world.run(options), model, world };
}

/** Three nodes, exactly 2 (leader rabbit-1, mirror rabbit-2), a slow consumer; rabbit-2 crashes at 5s, rabbit-1 at 25s. */
function mirrored(definition: Record<string, unknown>, faults: unknown[] = [{ at: '5s', crash: 'rabbit-2' }, { at: '25s', crash: 'rabbit-1' }], duration = '40s') {
  return run({
    duration, drain: '30s',
    cluster: { brokers: 3, version: '3.10', config: { net_ticktime: '10s' } },
    policies: [{ name: 'ha-two', pattern: '^jobs$', definition: { 'ha-mode': 'exactly', 'ha-params': 2, ...definition } }],
    queues: [{ name: 'jobs', durable: true, node: 'rabbit-1' }],
    workload: {
      producers: [{ id: 'p1', node: 'rabbit-1', rate: '50/s', stop: '24s', routingKey: 'jobs', persistent: true, config: { confirm: true } }],
      consumers: [{ queue: 'jobs', node: ['rabbit-1', 'rabbit-3'], processing: '50ms', config: { prefetch: 1 } }],
    },
    faults,
  });
}

/** The longest stretch without an op of `f`/`type` between `from` and `to` (µs). */
function longestGap(world: World, f: string, type: string, from: number, to: number): number {
  const times = world.history.ops.filter((op) => op.f === f && op.type === type && op.time >= from && op.time <= to).map((op) => op.time);
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
  return gap;
}

describe('mirrored queues: runs', () => {
  it('a publisher confirm waits for every mirror: with the mirror\'s node dead but not yet seen down, nothing is confirmed', () => {
    const { world } = mirrored({}, [{ at: '5s', crash: 'rabbit-2' }]);
    const oks = world.history.ops.filter((op) => op.f === 'send' && op.type === 'ok');
    // rabbit-2 dies at 5s; rabbit-1 drops it from the group only at ~15s (net_ticktime 10s).
    expect(oks.filter((op) => op.time > 5_100_000 && op.time < 14_900_000)).toEqual([]);
    expect(oks.filter((op) => op.time >= 14_900_000 && op.time < 15_500_000).length).toBeGreaterThan(400);
  });

  it('an unsynchronised mirror promoted loses what only the old leader held; automatic synchronisation keeps it', () => {
    const manual = mirrored({ 'ha-sync-mode': 'manual' });
    expect(manual.model.counts().unsyncedPromotions).toBe(1);
    expect(manual.result.check.counts.lostAcked).toBeGreaterThan(200);
    const automatic = mirrored({ 'ha-sync-mode': 'automatic' });
    expect(automatic.model.counts().mirrorPromotions).toBe(1);
    expect(automatic.model.counts().unsyncedPromotions).toBe(0);
    expect(automatic.result.check.counts.lostAcked).toBe(0);
  });

  it('a leader that restarts before its peers see it down rejoins as a mirror: the oldest mirror leads, no second leader', () => {
    const { model, result } = mirrored({ 'ha-sync-mode': 'automatic' }, [{ at: '5s', crash: 'rabbit-1' }, { at: '12s', restart: 'rabbit-1' }]);
    expect(model.counts().mirrorPromotions).toBe(1);
    const line = model.describe().find((l) => l.startsWith('mirrored queue jobs'))!;
    expect(line).toContain('leader rabbit-2');
    expect(line).not.toContain('split brain');
    expect(result.check.counts.lostAcked).toBe(0);
  });

  it('{ leader-of: jobs } targets a mirrored queue\'s leader', () => {
    const byName = mirrored({});
    const bySelector = mirrored({}, [{ at: '5s', crash: 'rabbit-2' }, { at: '25s', crash: { 'leader-of': 'jobs' } }]);
    expect(bySelector.model.counts().unsyncedPromotions).toBe(1);
    expect(bySelector.result.check.counts.lostAcked).toBe(byName.result.check.counts.lostAcked);
    expect(() => mirrored({}, [{ at: '25s', crash: { 'leader-of': 'nope' } }])).toThrow(/quorum or mirrored queue \(jobs\)/);
  });

  it('a synchronisation blocks the queue: no delivery and no confirm until the last batch is stored, longer with smaller batches', () => {
    const small = mirrored({ 'ha-sync-mode': 'automatic', 'ha-sync-batch-size': 5 }, [{ at: '5s', crash: 'rabbit-2' }]);
    const big = mirrored({ 'ha-sync-mode': 'automatic', 'ha-sync-batch-size': 4096 }, [{ at: '5s', crash: 'rabbit-2' }]);
    const blockedMs = small.model.counts().syncBlockedMsMax!;
    expect(blockedMs).toBeGreaterThan(150);
    expect(big.model.counts().syncBlockedMsMax!).toBeLessThan(20);
    // Around the sync (it starts when rabbit-1 sees rabbit-2 down, ~15s): the consumer (one delivery per 50ms) and
    // the producer's confirms (one per 20ms) both stall for the whole block.
    const window = [14_900_000, 17_000_000] as const;
    expect(longestGap(small.world, 'receive', 'ok', ...window)).toBeGreaterThanOrEqual(blockedMs * 1000 * 0.9);
    expect(longestGap(small.world, 'send', 'ok', ...window)).toBeGreaterThanOrEqual(blockedMs * 1000 * 0.9);
    expect(longestGap(big.world, 'receive', 'ok', ...window)).toBeLessThan(120_000);
  });

  it('ha-promote-on-failure when-synced leaves the queue without a leader until the old one is back with its messages', () => {
    const { model, result, world } = mirrored({ 'ha-promote-on-failure': 'when-synced' },
      [{ at: '5s', crash: 'rabbit-2' }, { at: '25s', crash: 'rabbit-1' }, { at: '45s', restart: 'rabbit-1' }], '60s');
    expect(model.counts().promotionsRefused).toBe(1);
    expect(model.counts().mirrorPromotions).toBe(0);
    expect(result.check.counts.lostAcked).toBe(0);
    // Nothing delivered while the queue had no leader (rabbit-1 down from 25s to 45s).
    const received = world.history.ops.filter((op) => op.f === 'receive' && op.type === 'ok');
    expect(received.filter((op) => op.time > 25_100_000 && op.time < 45_000_000)).toEqual([]);
  });

  it('refuses ha-* policies on RabbitMQ 4.0, on one node, and ha-params that do not fit the mode', () => {
    const base = {
      duration: '1s', cluster: { brokers: 3 }, queues: [{ name: 'q', durable: true }],
      policies: [{ name: 'ha', pattern: '.*', definition: { 'ha-mode': 'all' } }],
    };
    const build = (raw: Record<string, unknown>) => () => rabbitmqModel.build(new World({ seed: 1 }), schema.parse({ name: 't', system: 'rabbitmq', ...raw }) as RabbitScenario);
    expect(build(base)).toThrow(/removed in RabbitMQ 4\.0/);
    expect(build({ ...base, cluster: { brokers: 1, version: '3.10' } })).toThrow(/needs a cluster/);
    expect(build({ ...base, cluster: { brokers: 3, version: '3.10' } })).not.toThrow();
    const describe = (policies: unknown[]) => rabbitmqModel.build(new World({ seed: 1 }), schema.parse({ name: 't', system: 'rabbitmq', ...base, cluster: { brokers: 3, version: '3.10' }, policies }) as RabbitScenario).describe().join('\n');
    // apply-to and priority decide which policy (if any) mirrors the queue.
    expect(describe([{ name: 'ex', pattern: '.*', 'apply-to': 'exchanges', definition: { 'ha-mode': 'all' } }])).not.toContain('mirrored by');
    expect(describe([{ name: 'a', pattern: '^q$', definition: { 'ha-mode': 'all' } }, { name: 'b', pattern: 'q', priority: 5, definition: { 'ha-mode': 'exactly', 'ha-params': 2 } }]))
      .toContain('mirrored by policy b (ha-mode exactly 2');
    const bad = (definition: Record<string, unknown>) => JSON.stringify(schema.safeParse({ name: 't', system: 'rabbitmq', ...base, policies: [{ name: 'ha', pattern: '.*', definition }] }).error?.issues);
    expect(bad({ 'ha-mode': 'all', 'ha-promote-on-shutdown': 'always' })).toBeUndefined();
    expect(bad({ 'ha-mode': 'exactly' })).toContain('needs ha-params');
    expect(bad({ 'ha-mode': 'nodes', 'ha-params': 2 })).toContain('list of node names');
    expect(bad({ 'ha-mode': 'all', 'ha-params': 2 })).toContain('takes no ha-params');
    expect(bad({ 'ha-mode': 'all', 'max-length': 2 })).toContain('max-length');
  });
});

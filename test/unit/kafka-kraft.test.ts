import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KafkaRun } from '../../models/kafka/index.js';
import type { KraftController } from '../../models/kafka/kraft/controller.js';
import type { World } from '../../sim/world.js';
import { at, earliest, parseKafka, runKafka } from '../kafka-helpers.js';

/** KRaft mode: the Raft metadata quorum (KIP-595) and the broker lifecycle (KIP-631). */

const VOTERS = ['controller-1', 'controller-2', 'controller-3'];

function kraft(extra: Record<string, unknown> = {}, config: Record<string, unknown> = {}) {
  return {
    cluster: { brokers: 3, metadata: 'kraft', invariants: true, config },
    topics: [{ name: 'orders', partitions: 3, replicationFactor: 3 }],
    network: { latency: { uniform: ['1ms', '3ms'] } },
    workload: {
      producers: [{ id: 'p1', rate: '50/s', keys: 20, config: { acks: 'all' } }],
      consumers: [{ group: 'g', config: earliest }],
    },
    ...extra,
  };
}

function raft(world: World, name: string) {
  return (world.node(name).actor as KraftController | null)?.inspect();
}

/** Every 'raft-leader' note: (epoch, node). */
function leadersByEpoch(world: World): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const n of world.notes) {
    if (n.what !== 'raft-leader') continue;
    const epoch = n.detail!['epoch'] as number;
    out.set(epoch, [...(out.get(epoch) ?? []), n.node]);
  }
  return out;
}

describe('kafka kraft: schema and start-up', () => {
  it('accepts metadata: kraft with controllers and the quorum / heartbeat keys; refuses controllers in ZooKeeper mode', () => {
    const s = parseKafka({
      duration: '1s',
      cluster: { metadata: 'kraft', controllers: 5, config: { 'controller.quorum.election.timeout.ms': 500, 'broker.session.timeout.ms': 6000 } },
    });
    expect(s.cluster?.controllers).toBe(5);
    expect(() => parseKafka({ duration: '1s', cluster: { metadata: 'kraft', controllers: 0 } })).toThrow();
    expect(() => parseKafka({ duration: '1s', cluster: { config: { 'broker.session.timeout.ms': -1 } } })).toThrow();
    expect(() => runKafka({ duration: '1s', cluster: { controllers: 3 } })).toThrow(/needs cluster.metadata: kraft/);
  });

  it('elects one active controller, registers and unfences every broker, creates the topics; no ZooKeeper', () => {
    const { world, model, result } = runKafka(kraft({ duration: '10s', drain: '5s' }), { seed: 3 });
    const state = model.state();
    expect(world.nodesWithRole('zookeeper')).toEqual([]);
    expect(world.nodesWithRole('controller').map((s) => s.name)).toEqual(VOTERS);
    expect(VOTERS).toContain(state.controller);
    expect(world.resolve('controller')).toEqual([state.controller]);
    expect(state.liveBrokers).toEqual(['broker-1', 'broker-2', 'broker-3']);
    expect(state.partitions['orders-0']).toEqual({ leader: 'broker-1', leaderEpoch: 0, isr: ['broker-1', 'broker-2', 'broker-3'], partitionEpoch: 0 });
    // One leader, the others follow it in its epoch; all hold the same committed log.
    const views = VOTERS.map((v) => raft(world, v)!);
    expect(views.filter((v) => v.role === 'leader')).toHaveLength(1);
    expect(new Set(views.map((v) => v.epoch)).size).toBe(1);
    expect(views.filter((v) => v.role === 'follower')).toHaveLength(2);
    expect(model.stats.controllerElections).toBe(1);
    // Brokers learnt the metadata by fetching the log, never from LeaderAndIsr.
    expect(world.notes.filter((n) => n.what === 'broker-registered')).toHaveLength(3);
    expect(result.check.counts.acked).toBeGreaterThan(0);
    expect(result.check.counts.lostAcked).toBe(0);
  });
});

describe('kafka kraft: controller failover', () => {
  it('kills the active controller: a new one is elected within fetch timeout + election timeouts, partitions keep their leaders, a later broker crash is still handled', () => {
    let leadersBefore: Record<string, string | null> = {};
    let leadersAfterFailover: Record<string, string | null> = {};
    let killed = '';
    const { model, world, result } = runKafka(kraft({
      duration: '40s', drain: '20s',
      faults: [{ at: '10s', crash: 'controller' }, { at: '20s', crash: 'broker-2' }, { at: '30s', restart: 'broker-2' }],
    }), {
      seed: 8,
      probe: (w, m) => {
        const leaders = () => Object.fromEntries(Object.entries(m.state().partitions).map(([k, v]) => [k, v.leader]));
        at(w, 9_999_000, () => {
          leadersBefore = leaders();
          killed = m.state().controller!;
        });
        at(w, 19_999_000, () => {
          leadersAfterFailover = leaders();
        });
      },
    });
    expect(killed).not.toBe('');
    const state = model.state();
    expect(state.controller).not.toBe(killed);
    expect(model.stats.controllerElections).toBe(2);
    // controller.quorum.fetch.timeout.ms (2 s) to notice, then an election of 1 s..2 s (plus a backoff on a split vote).
    expect(model.stats.controllerFailoverMsMax).toBeGreaterThan(2_000);
    expect(model.stats.controllerFailoverMsMax).toBeLessThan(5_000);
    expect(leadersAfterFailover).toEqual(leadersBefore);
    // The broker crash: fenced by the new controller, its partition moved, nothing acknowledged lost.
    expect(model.stats.brokerFencings).toBe(1);
    expect(model.stats.leaderElections).toBeGreaterThanOrEqual(1);
    expect(world.notes.some((n) => n.what === 'broker-fenced' && n.node === state.controller && n.detail!['broker'] === 'broker-2')).toBe(true);
    expect(result.check.counts.lostAcked).toBe(0);
    // Election safety: at most one leader per epoch.
    for (const [, leaders] of leadersByEpoch(world)) expect(leaders).toHaveLength(1);
  });
});

describe('kafka kraft: broker fencing', () => {
  const detection = (metadata: 'kraft' | 'zookeeper', seed: number) => {
    const raw = kraft({ duration: '40s', drain: '10s', faults: [{ at: '10s', crash: 'broker-3' }] });
    raw.cluster = { brokers: 3, metadata, invariants: true, config: {} };
    const { model } = runKafka(raw, { seed });
    return model.stats.brokerFailureDetectionMsMax;
  };

  it('fences a crashed broker after broker.session.timeout.ms (9 s), faster than a ZooKeeper session expiry (18 s)', () => {
    for (const seed of [1, 2, 3]) {
      const k = detection('kraft', seed);
      const z = detection('zookeeper', seed);
      // Last heartbeat 0..2 s before the crash: fenced 7..9 s after it (plus the commit).
      expect(k).toBeGreaterThanOrEqual(7_000);
      expect(k).toBeLessThan(9_200);
      // Last ping 0..6 s before the crash, expiry checked every 1.8 s.
      expect(z).toBeGreaterThanOrEqual(12_000);
      expect(z).toBeLessThan(20_000);
      expect(k).toBeLessThan(z);
    }
  });

  it('a broker that stops heartbeating (cut off from the controllers) is fenced and loses its leaderships', () => {
    let during: { leader: string | null; isr: string[] } | undefined;
    const { model, world } = runKafka(kraft({
      duration: '30s', drain: '10s',
      faults: [{ at: '5s', partition: [['broker-1'], [...VOTERS]] }, { at: '25s', heal: true }],
    }), { seed: 4, probe: (w, m) => at(w, 20_000_000, () => { during = m.state().partitions['orders-0']; }) });
    // broker-1 led orders-0 (its preferred replica); fenced, it is out of the leadership and the ISR.
    expect(during!.leader).not.toBe('broker-1');
    expect(during!.isr).not.toContain('broker-1');
    const fenced = world.notes.filter((n) => n.what === 'broker-fenced');
    expect(fenced.map((n) => n.detail!['broker'])).toContain('broker-1');
    expect(model.stats.brokerFencings).toBeGreaterThanOrEqual(1);
    // After the heal it heartbeats again and is unfenced.
    expect(world.notes.some((n) => n.what === 'broker-unfenced' && n.detail!['broker'] === 'broker-1' && n.at > 25_000_000)).toBe(true);
    expect(model.state().liveBrokers).toContain('broker-1');
  });
});

describe('kafka kraft: combined mode', () => {
  it('process.roles=broker,controller: the brokers are the voters; the active controller broker crashes and the others take over', () => {
    const raw = kraft({ duration: '40s', drain: '20s', faults: [{ at: '10s', crash: 'controller' }, { at: '25s', restart: 'all-broker' }] });
    raw.cluster = { ...raw.cluster, combined: true } as typeof raw.cluster;
    let killed = '';
    const { world, model, result } = runKafka(raw, { seed: 8, probe: (w, m) => at(w, 9_999_000, () => { killed = m.state().controller!; }) });
    expect(world.nodesWithRole('controller')).toEqual([]);
    expect(['broker-1', 'broker-2', 'broker-3']).toContain(killed);
    expect(model.state().controller).not.toBe(killed);
    expect(model.stats.controllerElections).toBe(2);
    expect(model.stats.controllerFailoverMsMax).toBeLessThan(5_000);
    // The new controller starts the dead broker's session at its activation: fenced 9 s after that.
    expect(model.stats.brokerFencings).toBe(1);
    expect(model.stats.brokerFailureDetectionMsMax).toBeGreaterThan(9_000);
    expect(result.check.counts.lostAcked).toBe(0);
    for (const [, leaders] of leadersByEpoch(world)) expect(leaders).toHaveLength(1);
    expect(() => runKafka({ duration: '1s', cluster: { metadata: 'kraft', combined: true, brokers: 2, controllers: 3 } })).toThrow(/only 2/);
    expect(() => runKafka({ duration: '1s', cluster: { combined: true } })).toThrow(/needs cluster.metadata: kraft/);
  });
});

describe('kafka kraft: CreatePartitions', () => {
  for (const combined of [false, true]) {
    it(`${combined ? 'combined' : 'dedicated'} mode: a broker forwards it to the active controller (KIP-590), the new partitions are committed records and come online`, () => {
      const raw = {
        ...kraft({ duration: '20s', drain: '5s', admin: [{ at: '8s', addPartitions: { topic: 'orders', count: 5 } }] }),
        topics: [{ name: 'orders', partitions: 2, replicationFactor: 3 }],
      };
      raw.cluster = { ...raw.cluster, ...(combined ? { combined: true } : {}) } as typeof raw.cluster;
      const { model, world } = runKafka(raw, { seed: 6 });
      expect(model.stats.partitionsAdded).toBe(3);
      const state = model.state().partitions;
      for (const p of [2, 3, 4]) {
        expect(state[`orders-${p}`]?.leader).not.toBeNull();
        expect(state[`orders-${p}`]?.isr).toHaveLength(3);
      }
      const controller = model.state().controller!;
      expect(world.notes.some((n) => n.what === 'partitions-created' && n.node === controller)).toBe(true);
      // Every replica's broker created the new partition from the metadata log.
      for (const b of ['broker-1', 'broker-2', 'broker-3']) expect(model.broker(b)!.inspect('orders-4')).toBeDefined();
    });
  }
});

describe('kafka kraft: minority controller', () => {
  it('the active controller cut off alone cannot commit: its high watermark stays, its records are truncated after the heal', () => {
    let isolated = '';
    let hwAtCut = -1;
    let hwBeforeHeal = -1;
    let endBeforeHeal = -1;
    let committedFencings = -1;
    const { model, world, result } = runKafka(kraft({
      duration: '40s', drain: '20s',
    }, { 'controller.quorum.fetch.timeout.ms': 12_000 }), {
      seed: 11,
      probe: (w, m) => {
        at(w, 9_999_000, () => {
          isolated = m.state().controller!;
          hwAtCut = raft(w, isolated)!.highWatermark;
        });
        at(w, 10_000_000, () => w.applyFault({ at: 10_000_000, partition: [[isolated], w.nodeNames().filter((n) => n !== isolated)] }));
        at(w, 29_999_000, () => {
          hwBeforeHeal = raft(w, isolated)!.highWatermark;
          endBeforeHeal = raft(w, isolated)!.logEnd;
          committedFencings = m.stats.brokerFencings;
        });
        at(w, 30_000_000, () => w.applyFault({ at: 30_000_000, heal: true }));
      },
    });
    expect(VOTERS).toContain(isolated);
    // It fenced the brokers whose heartbeats stopped (9 s) before resigning (1.5 x 12 s): records appended, none committed.
    expect(world.notes.some((n) => n.node === isolated && n.what === 'broker-fenced')).toBe(true);
    expect(endBeforeHeal).toBeGreaterThan(hwBeforeHeal);
    expect(hwBeforeHeal).toBe(hwAtCut);
    expect(committedFencings).toBe(0);
    expect(world.notes.some((n) => n.node === isolated && n.what === 'raft-resigned')).toBe(true);
    expect(model.stats.metadataRecordsTruncated).toBeGreaterThan(0);
    expect(model.state().liveBrokers).toEqual(['broker-1', 'broker-2', 'broker-3']);
    expect(model.state().controller).not.toBe(isolated);
    expect(result.check.counts.lostAcked).toBe(0);
    for (const [, leaders] of leadersByEpoch(world)) expect(leaders).toHaveLength(1);
  });
});

// ------------------------------------------------------------------ property: durability and Raft safety under faults

interface Fault {
  kind: 'crash' | 'kill' | 'pause' | 'isolate' | 'controller-crash' | 'controller-isolate';
  node: number;
  gap: number;
  length: number;
}

const faultArb: fc.Arbitrary<Fault> = fc.record({
  kind: fc.constantFrom('crash', 'kill', 'pause', 'isolate', 'controller-crash', 'controller-isolate'),
  node: fc.integer({ min: 0, max: 2 }),
  gap: fc.integer({ min: 1, max: 6 }),
  length: fc.integer({ min: 1, max: 20 }),
});

/** After each fault: a fencing (9 s) or a re-registration after the old session (9 s), and catching up. */
const RECOVERY = 20;

/** The voters' metadata logs (dedicated controller nodes, or the brokers hosting them in combined mode). */
function voterViews(world: World, model: KafkaRun, voters: readonly string[]) {
  return voters.map((v) => (v.startsWith('controller-') ? raft(world, v) : model.broker(v)?.hostedController?.inspect())).filter((x) => x !== undefined);
}

describe('kafka kraft: property', () => {
  for (const combined of [false, true]) {
    it(`${combined ? 'combined' : 'dedicated'}: acks=all, RF=3, min.insync.replicas=2, one broker or controller fault at a time: nothing acknowledged lost or duplicated; one Raft leader per epoch; voters agree on the committed metadata log`, () => {
      const voters = combined ? ['broker-1', 'broker-2', 'broker-3'] : VOTERS;
      fc.assert(
        fc.property(fc.array(faultArb, { minLength: 1, maxLength: 2 }), fc.constantFrom(2_000, 12_000), fc.integer({ min: 1, max: 1_000 }), (faults, fetchTimeout, seed) => {
          const steps: unknown[] = [];
          let t = 2;
          const brokers = ['broker-1', 'broker-2', 'broker-3'];
          for (const f of faults) {
            t += f.gap;
            const name = f.kind.startsWith('controller') ? voters[f.node]! : brokers[f.node]!;
            if (f.kind === 'crash' || f.kind === 'kill' || f.kind === 'controller-crash') {
              steps.push({ at: `${t}s`, crash: name, keepPageCache: f.kind === 'kill' });
              steps.push({ at: `${t + f.length}s`, restart: name });
            } else if (f.kind === 'pause') {
              steps.push({ at: `${t}s`, pause: name, for: `${f.length}s` });
            } else {
              const everyone = [...new Set([...brokers, ...voters, 'p1', 'g-c1'])].filter((n) => n !== name);
              steps.push({ at: `${t}s`, partition: [[name], everyone] });
              steps.push({ at: `${t + f.length}s`, heal: true });
            }
            t += f.length + RECOVERY;
          }
          // A long controller.quorum.fetch.timeout.ms lets an isolated leader act (fence brokers) before it resigns.
          const raw = kraft({ duration: `${t}s`, drain: '60s', faults: steps }, { 'min.insync.replicas': 2, 'controller.quorum.fetch.timeout.ms': fetchTimeout });
          raw.workload.producers[0] = { id: 'p1', rate: '20/s', keys: 10, config: { acks: 'all', 'enable.idempotence': true } } as never;
          raw.topics = [{ name: 'orders', partitions: 2, replicationFactor: 3 }];
          if (combined) raw.cluster = { ...raw.cluster, combined: true } as typeof raw.cluster;
          const { result, world, model } = runKafka(raw, { seed });
          const c = result.check.counts;
          expect(c.acked).toBeGreaterThan(0);
          expect(c.lostAcked).toBe(0);
          expect(c.duplicateDeliveries).toBe(0);
          // Election safety: one leader per epoch.
          for (const [, leaders] of leadersByEpoch(world)) expect(leaders).toHaveLength(1);
          // Log matching of __cluster_metadata: every voter's log agrees up to the smallest high watermark.
          const views = voterViews(world, model, voters);
          expect(views.length).toBe(3);
          const hw = Math.min(...views.map((v) => v.highWatermark));
          expect(hw).toBeGreaterThan(0);
          const key = (e: { offset: number; epoch: number; record: unknown }) => JSON.stringify([e.offset, e.epoch, e.record]);
          const reference = views[0]!.log.slice(0, hw).map(key);
          for (const v of views.slice(1)) expect(v.log.slice(0, hw).map(key)).toEqual(reference);
        }),
        { numRuns: 20, seed: 7_2026 },
      );
    }, 300_000);
  }
});

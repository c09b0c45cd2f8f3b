import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkConsumerRead, checkInvariants, InvariantViolation,
  type CommittedPartition, type Ghost, type LogView, type ReplicaView, type ReplicationView,
} from '../../models/kafka/invariants.js';
import { at, earliest, runKafka } from '../kafka-helpers.js';

// ------------------------------------------------------------------ hand-built states

/** A log holding `msgs` from offset `start`; each record's epoch 0. */
function log(msgs: string[], start = 0): LogView {
  return {
    logStartOffset: start,
    logEndOffset: start + msgs.length,
    read: (from, to) => msgs.slice(Math.max(0, from - start), Math.max(0, to - start)).map((msg, i) => ({ offset: Math.max(from, start) + i, epoch: 0, msg })),
  };
}

function replica(leader: string | null, isr: string[], hw: number, msgs: string[], leaderEpoch = 1): ReplicaView {
  return { leader, leaderEpoch, isr, hw, log: log(msgs) };
}

const REPLICAS = ['b1', 'b2', 'b3'];

function view(
  committed: CommittedPartition,
  replicas: Record<string, ReplicaView | undefined>,
  options: { safe?: boolean; tainted?: string[]; down?: string[] } = {},
): ReplicationView {
  return {
    partitions: { 't-0': committed },
    replicasOf: () => REPLICAS,
    isUp: (b) => !(options.down ?? []).includes(b),
    replica: (b) => replicas[b],
    safe: () => options.safe ?? true,
    tainted: () => new Set(options.tainted ?? []),
  };
}

const ABC = ['a', 'b', 'c'];

describe('kafka invariants: each one catches a hand-broken state', () => {
  it('a consistent state passes and fills the committed log from the leader\'s high watermark', () => {
    const ghost: Ghost = new Map();
    const v = view({ leader: 'b1', leaderEpoch: 1, isr: REPLICAS }, {
      b1: replica('b1', REPLICAS, 3, [...ABC, 'd']), b2: replica('b1', REPLICAS, 2, ABC), b3: replica('b1', REPLICAS, 3, ABC),
    });
    expect(checkInvariants(v, ghost)).toBeNull();
    expect(ghost.get('t-0')).toEqual({ start: 0, msgs: [...ABC] });
  });

  it('LeaderInIsr: the committed leader outside the committed ISR; an acting leader outside its own ISR', () => {
    const v1 = view({ leader: 'b1', leaderEpoch: 1, isr: ['b2', 'b3'] }, {});
    expect(checkInvariants(v1, new Map())).toMatchObject({ invariant: 'LeaderInIsr', partition: 't-0' });
    const v2 = view({ leader: 'b1', leaderEpoch: 1, isr: REPLICAS }, { b1: replica('b1', ['b2'], 0, []) });
    expect(checkInvariants(v2, new Map())?.message).toMatch(/b1 acts as leader .* not in its own ISR/);
  });

  it('StrongIsr: an ISR member lacking a committed record', () => {
    const v = view({ leader: 'b1', leaderEpoch: 1, isr: REPLICAS }, {
      b1: replica('b1', REPLICAS, 3, ABC), b2: replica('b1', REPLICAS, 1, ['a']), b3: replica('b1', REPLICAS, 3, ABC),
    });
    const violation = checkInvariants(v, new Map());
    expect(violation).toMatchObject({ invariant: 'StrongIsr', partition: 't-0' });
    expect(violation!.message).toMatch(/b2 is in the ISR .* its log ends at 1 at committed offset 1/);
    // Out of the ISR, the same lagging replica is fine.
    const out = view({ leader: 'b1', leaderEpoch: 1, isr: ['b1', 'b3'] }, {
      b1: replica('b1', ['b1', 'b3'], 3, ABC), b2: replica('b1', ['b1', 'b3'], 1, ['a']), b3: replica('b1', ['b1', 'b3'], 3, ABC),
    });
    expect(checkInvariants(out, new Map())).toBeNull();
  });

  it('NoCommittedLoss: a newly elected leader without records committed before', () => {
    const ghost: Ghost = new Map([['t-0', { start: 0, msgs: [...ABC] }]]);
    const v = view({ leader: 'b2', leaderEpoch: 2, isr: ['b2', 'b3'] }, {
      b2: replica('b2', ['b2', 'b3'], 2, ['a', 'b'], 2), b3: replica('b2', ['b2', 'b3'], 2, ['a', 'b'], 2),
    }, { down: ['b1'] });
    const violation = checkInvariants(v, ghost);
    expect(violation).toMatchObject({ invariant: 'NoCommittedLoss' });
    expect(violation!.message).toMatch(/leader b2 \(epoch 2\) lacks committed offset 2 \(c/);
  });

  it('LogMatching: a replica disagreeing below its high watermark; two leaders committing different records', () => {
    const v = view({ leader: 'b1', leaderEpoch: 1, isr: ['b1', 'b3'] }, {
      b1: replica('b1', ['b1', 'b3'], 3, ABC), b2: replica('b1', ['b1', 'b3'], 2, ['a', 'x']), b3: replica('b1', ['b1', 'b3'], 3, ABC),
    });
    expect(checkInvariants(v, new Map())).toMatchObject({ invariant: 'LogMatching', message: expect.stringMatching(/b2 has x at offset 1 below its high watermark 2, where b was committed/) });
    // A zombie leader (b1, epoch 1) and the new one (b2, epoch 2) with different records below their high watermarks.
    const ghost: Ghost = new Map([['t-0', { start: 0, msgs: [...ABC] }]]);
    const split = view({ leader: 'b2', leaderEpoch: 2, isr: ['b2', 'b3'] }, {
      b1: replica('b1', REPLICAS, 3, ABC), b2: replica('b2', ['b2', 'b3'], 3, ['a', 'b', 'z'], 2),
    });
    expect(checkInvariants(split, ghost)).toMatchObject({ invariant: 'LogMatching', message: expect.stringMatching(/leader b2 \(epoch 2\) has z at offset 2/) });
  });

  it('ConsumerBelowHw: a record at or past the high watermark handed to a consumer', () => {
    expect(checkConsumerRead('t-0', [{ offset: 3, msg: 'a' }, { offset: 4, msg: 'b' }], 5)).toBeNull();
    expect(checkConsumerRead('t-0', [{ offset: 4, msg: 'b' }, { offset: 5, msg: 'c' }], 5)).toMatchObject({ invariant: 'ConsumerBelowHw', message: expect.stringMatching(/offset 5 \(c\) at or past the high watermark 5/) });
  });

  it('knows where they hold: not asserted under an unsafe configuration or for a tainted ISR member, and the committed log is rebased', () => {
    const lossy = (options: { safe?: boolean; tainted?: string[] }) => view({ leader: 'b2', leaderEpoch: 2, isr: ['b2'] }, {
      b2: replica('b2', ['b2'], 3, ['a', 'b', 'q'], 2),
    }, { down: ['b1', 'b3'], ...options });
    // Unclean election (safe false): the new leader's different record is not a violation; the committed log follows it.
    const ghost: Ghost = new Map([['t-0', { start: 0, msgs: [...ABC] }]]);
    expect(checkInvariants(lossy({ safe: false }), ghost)).toBeNull();
    expect(ghost.get('t-0')!.msgs).toEqual(['a', 'b', 'q']);
    // A replica that lost unflushed records in a crash (tainted) is exempt while it is in the ISR.
    expect(checkInvariants(lossy({ tainted: ['b2'] }), new Map([['t-0', { start: 0, msgs: [...ABC] }]]))).toBeNull();
    // The same state, safe and untainted, is a violation.
    expect(checkInvariants(lossy({}), new Map([['t-0', { start: 0, msgs: [...ABC] }]]))?.invariant).toBe('LogMatching');
    // LeaderInIsr is asserted whatever the configuration.
    expect(checkInvariants(view({ leader: 'b1', leaderEpoch: 1, isr: ['b2'] }, {}, { safe: false }), new Map())?.invariant).toBe('LeaderInIsr');
  });
});

// ------------------------------------------------------------------ the checker in runs

const BROKERS = ['broker-1', 'broker-2', 'broker-3'];

type Mode = 'zookeeper' | 'kraft' | 'kraft-combined';

function cluster(mode: Mode, invariants: boolean, config: Record<string, unknown> = {}) {
  const metadata = mode === 'zookeeper' ? 'zookeeper' : 'kraft';
  return { brokers: 3, metadata, ...(mode === 'kraft-combined' ? { combined: true } : {}), invariants, config: { 'min.insync.replicas': 2, ...config } };
}

describe('kafka invariants: a corrupted model stops the run', () => {
  for (const metadata of ['zookeeper', 'kraft'] as const) {
    /**
     * At 5s the test truncates broker-2's replica of orders-0 behind the model's back (a follower
     * that silently lost committed records) while broker-2 is cut off from the leader, so it
     * cannot fetch them again and stays in the ISR (replica.lag.time.max.ms is 30 s). broker-3
     * crashes at 6s; when the controller acts on it (session expiry, or fencing) the check after
     * that control-plane change finds broker-2 in the ISR without the committed records.
     */
    const corrupted = (invariants: boolean) => runKafka({
      cluster: cluster(metadata, invariants),
      topics: [{ name: 'orders', partitions: 1, replicationFactor: 3 }],
      network: { latency: { uniform: ['1ms', '3ms'] } },
      duration: '40s', drain: '10s',
      workload: { producers: [{ id: 'p1', rate: '50/s', keys: 10, config: { acks: 'all' } }], consumers: [{ group: 'g', config: earliest }] },
      faults: [{ at: '4900ms', partition: [['broker-2'], ['broker-1']] }, { at: '6s', crash: 'broker-3' }],
    }, {
      seed: 2,
      probe: (world, model) => at(world, 5_000_000, () => {
        const r = model.broker('broker-2')!.inspect('orders-0')!;
        expect(r.leo).toBeGreaterThan(10);
        r.log.truncateTo(2);
      }),
    });

    it(`${metadata}: the checker names StrongIsr, the partition, the broker and the time`, () => {
      let error: unknown;
      try {
        corrupted(true);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvariantViolation);
      const violation = (error as InvariantViolation).violation;
      expect(violation.invariant).toBe('StrongIsr');
      expect(violation.partition).toBe('orders-0');
      expect(violation.message).toMatch(/broker-2 is in the ISR/);
      expect((error as InvariantViolation).time).toBeGreaterThan(6_000_000);
      expect((error as Error).message).toMatch(/^invariant StrongIsr violated for orders-0 at \d+\.\d+s, after .* on (zookeeper|controller-\d): /);
      expect((error as Error).message).toMatch(/state: \{"committed"/);
    });

    it(`${metadata}: the same corruption with the checker off runs to the end (the checker is what stops it)`, () => {
      const { result } = corrupted(false);
      expect(result.check.counts.sent).toBeGreaterThan(0);
    });
  }
});

// ------------------------------------------------------------------ property: random fault schedules, invariants after every change

interface Fault {
  kind: 'crash' | 'kill' | 'pause' | 'isolate' | 'controller';
  node: number;
  at: number;
  length: number;
}

const faultArb: fc.Arbitrary<Fault> = fc.record({
  kind: fc.constantFrom('crash', 'kill', 'pause', 'isolate', 'controller'),
  node: fc.integer({ min: 0, max: 2 }),
  at: fc.integer({ min: 3, max: 40 }),
  length: fc.integer({ min: 1, max: 20 }),
});

const END = 60;

/**
 * Faults at any time, overlapping or not (the invariants hold under every schedule; only
 * "nothing acknowledged lost" needs faults one at a time, see kafka-property.test.ts).
 */
function schedule(faults: readonly Fault[], metadata: Mode): unknown[] {
  const steps: unknown[] = [];
  for (const f of faults) {
    const name = BROKERS[f.node]!;
    const end = Math.min(END - 1, f.at + f.length);
    if (f.kind === 'crash' || f.kind === 'kill') {
      steps.push({ at: `${f.at}s`, crash: name, keepPageCache: f.kind === 'kill' });
      steps.push({ at: `${end}s`, restart: name });
    } else if (f.kind === 'pause') {
      steps.push({ at: `${f.at}s`, pause: name, for: `${end - f.at}s` });
    } else if (f.kind === 'isolate') {
      steps.push({ at: `${f.at}s`, partition: [[name], BROKERS.filter((b) => b !== name)] });
      steps.push({ at: `${end}s`, heal: true });
    } else {
      // The controller: the ZooKeeper-mode controller broker, a KRaft controller node, or the combined node that is active.
      const target = metadata === 'kraft' ? `controller-${f.node + 1}` : 'controller';
      steps.push({ at: `${f.at}s`, crash: target });
      steps.push({ at: `${end}s`, restart: metadata === 'kraft' ? target : 'all-broker' });
    }
  }
  return steps;
}

const configArb = fc.record({
  unclean: fc.boolean(),
  acks: fc.constantFrom('1', 'all'),
  ibp: fc.constantFrom('3.7', '3.7', '0.10.2'),
  lag: fc.constantFrom(4_000, 30_000),
});

describe('kafka invariants: random fault schedules with the invariants checked after every control-plane change', () => {
  for (const metadata of ['zookeeper', 'kraft', 'kraft-combined'] as const) {
    it(`${metadata}: no invariant breaks under any schedule, in safe and unsafe configurations`, () => {
      let checked = 0;
      fc.assert(
        fc.property(fc.array(faultArb, { minLength: 1, maxLength: 4 }), configArb, fc.integer({ min: 1, max: 1_000 }), (faults, cfg, seed) => {
          const { result, model } = runKafka({
            cluster: cluster(metadata, true, {
              'unclean.leader.election.enable': cfg.unclean, 'inter.broker.protocol.version': cfg.ibp, 'replica.lag.time.max.ms': cfg.lag,
            }),
            topics: [{ name: 'orders', partitions: 2, replicationFactor: 3 }],
            network: { latency: { uniform: ['1ms', '3ms'] } },
            duration: `${END}s`, drain: '40s',
            workload: {
              producers: [{ id: 'p1', rate: '20/s', keys: 10, config: { acks: cfg.acks, 'enable.idempotence': cfg.acks === 'all' } }],
              consumers: [{ group: 'g', config: earliest }],
            },
            faults: schedule(faults, metadata),
          }, { seed });
          checked++;
          expect(result.check.counts.acked).toBeGreaterThan(0);
          // The checker ran after the control-plane changes (start-up elections and the faults' at least).
          expect(model.stats.invariantChecks).toBeGreaterThan(3);
        }),
        { numRuns: 20, seed: 4_2026 },
      );
      expect(checked).toBe(20);
    }, 300_000);
  }
});

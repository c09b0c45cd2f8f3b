import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrokerController } from '../../models/rocketmq/broker/broker-controller.js';
import { rocketmqModel } from '../../models/rocketmq/index.js';
import {
  checkBroker, checkGroup, RocketInvariantViolation,
  type BrokerView, type QueueView, type RecordView,
} from '../../models/rocketmq/invariants.js';
import { loadScenario } from '../../models/scenario.js';
import { simulate } from '../../models/simulate.js';
import type { Scenario } from '../../models/scenario.js';
import { World } from '../../sim/world.js';
import { parseRocket, runRocket } from '../rocketmq-helpers.js';

// ------------------------------------------------------------------ hand-built states

/** Records of `size` bytes each, from offset 0, named by `msgs`. */
function records(msgs: string[], size = 100): RecordView[] {
  return msgs.map((msg, i) => ({ phy: i * size, size, msg }));
}

interface Spec {
  node?: string;
  acceptsWrites?: boolean;
  dledger?: boolean;
  term?: number;
  leaderTerm?: number | null;
  log?: RecordView[];
  flushedPhy?: number;
  confirmPhy?: number;
  /** How many records the dispatcher confirmed (default all). */
  confirmed?: number;
  queues?: QueueView[];
  offsets?: [string, number][];
}

/** A consistent broker by default: everything flushed, confirmed and dispatched; each override breaks one thing. */
function broker(spec: Spec = {}): BrokerView {
  const log = spec.log ?? records(['a', 'b', 'c']);
  const last = log[log.length - 1];
  const maxPhy = last ? last.phy + last.size : 0;
  const queues = spec.queues ?? [{ topic: 'TopicTest', queueId: 0, length: log.length, lastEnd: maxPhy }];
  const confirmed = spec.confirmed ?? log.length;
  return {
    node: spec.node ?? 'broker-a-0',
    brokerName: 'broker-a',
    acceptsWrites: spec.acceptsWrites ?? true,
    dledger: spec.dledger ?? false,
    term: spec.term ?? spec.leaderTerm ?? 0,
    leaderTerm: spec.leaderTerm ?? null,
    maxPhy,
    flushedPhy: spec.flushedPhy ?? maxPhy,
    confirmPhy: spec.confirmPhy ?? maxPhy,
    queues: () => queues,
    queueLength: (topic, queueId) => queues.find((q) => q.topic === topic && q.queueId === queueId)?.length ?? 0,
    consumerOffsets: () => spec.offsets ?? [['TopicTest@g@0', 2]],
    lastRecord: () => log[log.length - 1],
    lastConfirmed: () => log[confirmed - 1],
    recordAt: (phy) => log.find((r) => r.phy === phy),
  };
}

describe('rocketmq invariants: each one catches a hand-broken state', () => {
  it('a consistent master and slave pass', () => {
    expect(checkBroker(broker())).toBeNull();
    const slave = broker({ node: 'broker-a-1', acceptsWrites: false, log: records(['a', 'b']) });
    expect(checkBroker(slave)).toBeNull();
    expect(checkGroup([broker(), slave])).toBeNull();
  });

  it('FlushedWithinWritten: a flushed offset past the written offset', () => {
    expect(checkBroker(broker({ flushedPhy: 301 }))).toMatchObject({ invariant: 'FlushedWithinWritten', node: 'broker-a-0' });
    expect(checkBroker(broker({ flushedPhy: 300 }))).toBeNull();
  });

  it('ConfirmWithinCommitLog: a confirm offset past the commit log', () => {
    const v = checkBroker(broker({ confirmPhy: 400 }));
    expect(v).toMatchObject({ invariant: 'ConfirmWithinCommitLog' });
    expect(v!.message).toMatch(/confirm offset 400 is past the commit log's max offset 300/);
  });

  it('ConsumeQueueWithinCommitLog: a consume queue entry ending past the commit log', () => {
    const v = checkBroker(broker({ queues: [{ topic: 'TopicTest', queueId: 1, length: 4, lastEnd: 400 }] }));
    expect(v).toMatchObject({ invariant: 'ConsumeQueueWithinCommitLog' });
    expect(v!.message).toMatch(/TopicTest\/1/);
  });

  it('ConsumerOffsetWithinQueue: a committed offset past the queue end, on the master only, not on a lossy broker', () => {
    const offsets: [string, number][] = [['TopicTest@g@0', 4]];
    const v = checkBroker(broker({ offsets }));
    expect(v).toMatchObject({ invariant: 'ConsumerOffsetWithinQueue' });
    expect(v!.message).toMatch(/TopicTest@g@0 = 4 is past the consume queue's max offset 3/);
    // A queue the broker does not have: its max offset is 0.
    expect(checkBroker(broker({ offsets: [['Other@g@0', 1]] }))).toMatchObject({ invariant: 'ConsumerOffsetWithinQueue' });
    // A slave copies its master's offsets ahead of its own consume queues: not asserted there.
    expect(checkBroker(broker({ offsets, acceptsWrites: false }))).toBeNull();
    // A broker that lost records in a crash: consumers may be past what survived.
    expect(checkBroker(broker({ offsets }), true)).toBeNull();
  });

  it('SlaveWithinMaster: a slave ahead of its master, or with other data at the same offset', () => {
    const master = broker({ log: records(['a', 'b']) });
    const ahead = broker({ node: 'broker-a-1', acceptsWrites: false, log: records(['a', 'b', 'c']) });
    expect(checkGroup([master, ahead])).toMatchObject({ invariant: 'SlaveWithinMaster', node: 'broker-a-1' });
    const other = broker({ node: 'broker-a-1', acceptsWrites: false, log: records(['a', 'x']) });
    const v = checkGroup([master, other]);
    expect(v).toMatchObject({ invariant: 'SlaveWithinMaster' });
    expect(v!.message).toMatch(/broker-a-1 has x at offset 100 where broker-a-0 has b/);
    // No master up: nothing to compare with.
    expect(checkGroup([ahead])).toBeNull();
  });

  it('SlaveWithinMaster (DLedger): a follower\'s committed records against the leader of the highest term', () => {
    const leader = broker({ dledger: true, leaderTerm: 3, log: records(['a', 'b']) });
    // An uncommitted tail the leader does not have is fine (the follower truncates it on the next append)...
    const tail = broker({ node: 'broker-a-1', dledger: true, acceptsWrites: false, log: records(['a', 'b', 'z']), confirmed: 2 });
    expect(checkGroup([leader, tail])).toBeNull();
    // ...a committed one is not.
    const committed = broker({ node: 'broker-a-1', dledger: true, acceptsWrites: false, log: records(['a', 'b', 'z']), confirmed: 3 });
    expect(checkGroup([leader, committed])).toMatchObject({ invariant: 'SlaveWithinMaster', node: 'broker-a-1' });
    // A deposed leader of an older term still taking writes is compared too, against the newer one.
    const stale = broker({ node: 'broker-a-2', dledger: true, leaderTerm: 2, log: records(['a', 'y']) });
    expect(checkGroup([stale, leader])?.message).toMatch(/broker-a-2 has y at offset 100 where broker-a-0 has b/);
    // With the newer leader down, the deposed one is not the reference for a follower of the newer term.
    const newer = broker({ node: 'broker-a-1', dledger: true, acceptsWrites: false, term: 3, log: records(['a', 'b']) });
    expect(checkGroup([stale, newer])).toBeNull();
    expect(checkGroup([stale, { ...newer, term: 2 }])).toMatchObject({ invariant: 'SlaveWithinMaster', node: 'broker-a-1' });
  });
});

// ------------------------------------------------------------------ a corrupted run stops

/** Runs a small RocketMQ cluster; at 5 s `corrupt` gets the master of broker-a. */
function corruptedRun(invariants: boolean, corrupt: (master: BrokerController) => void) {
  const scenario = parseRocket({
    cluster: { brokerGroups: 1, slavesPerGroup: 1, invariants },
    duration: '10s', drain: '2s',
    workload: { producers: [{ id: 'p1', rate: '50/s' }], consumers: [{ group: 'g', count: 1 }] },
  });
  const world = new World({ seed: 1, maxTime: scenario.duration + 10_000_000 });
  const model = rocketmqModel.build(world, scenario);
  world.kernel.at(5_000_000, () => {
    const actor = world.node('broker-a-0').actor;
    expect(actor).toBeInstanceOf(BrokerController);
    corrupt(actor as BrokerController);
  }, undefined);
  const result = world.run({ duration: scenario.duration, drain: 2_000_000, finalRead: () => model.retained!() });
  return { result, model };
}

describe('rocketmq invariants: a corrupted model stops the run', () => {
  // An offset a group committed past the end of its queue (the model never writes one).
  const ghostOffset = (b: BrokerController) => b.offsets.commit('TopicTest@ghost@0', 1_000_000);

  it('the checker names ConsumerOffsetWithinQueue, the broker, the time and the step', () => {
    let error: unknown;
    try {
      corruptedRun(true, ghostOffset);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RocketInvariantViolation);
    const violation = (error as RocketInvariantViolation).violation;
    expect(violation.invariant).toBe('ConsumerOffsetWithinQueue');
    expect(violation.node).toBe('broker-a-0');
    expect((error as RocketInvariantViolation).time).toBeGreaterThanOrEqual(5_000_000);
    expect((error as Error).message).toMatch(/^invariant ConsumerOffsetWithinQueue violated on broker-a-0 at \d+\.\d+s, after [A-Za-z_-]+ on broker-a-0: consumer offset TopicTest@ghost@0 = 1000000/);
  });

  it('a consume queue entry pointing past the commit log', () => {
    expect(() => corruptedRun(true, (b) => {
      const cq = b.store.queue('TopicTest', 0);
      const last = cq.file.records[cq.length - 1]!;
      cq.append({ phy: b.store.maxPhy, size: last.size, tagsCode: 0 });
    })).toThrow(/invariant ConsumeQueueWithinCommitLog violated on broker-a-0/);
  });

  it('the same corruption with the checker off runs to the end (the checker is what stops it)', () => {
    const { result, model } = corruptedRun(false, ghostOffset);
    expect(result.check.counts.sent).toBeGreaterThan(0);
    expect(model.describe().join('\n')).not.toMatch(/invariants checked/);
  });
});

// ------------------------------------------------------------------ every shipped scenario holds them

const DIR = join(import.meta.dirname, '..', '..', 'scenarios', 'rocketmq');
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

describe('rocketmq invariants: every shipped RocketMQ scenario, run with cluster.invariants: true, raises none', () => {
  it.each(files)('%s', (file) => {
    const scenario = loadScenario(join(DIR, file)) as Scenario & { cluster?: Record<string, unknown> };
    scenario.cluster = { ...(scenario.cluster ?? {}), invariants: true };
    const result = simulate(scenario);
    expect(result.cluster.some((line) => line.includes('invariants checked'))).toBe(true);
    expect(result.events).toBeGreaterThan(0);
  });
});

// ------------------------------------------------------------------ property: random fault schedules

interface Fault {
  kind: 'crash' | 'kill' | 'pause' | 'isolate';
  node: number;
  at: number;
  length: number;
}

const faultArb: fc.Arbitrary<Fault> = fc.record({
  kind: fc.constantFrom('crash', 'kill', 'pause', 'isolate'),
  node: fc.integer({ min: 0, max: 2 }),
  at: fc.integer({ min: 3, max: 30 }),
  length: fc.integer({ min: 1, max: 15 }),
});

const configArb = fc.record({
  dledger: fc.boolean(),
  flushDiskType: fc.constantFrom('ASYNC_FLUSH', 'SYNC_FLUSH'),
  brokerRole: fc.constantFrom('ASYNC_MASTER', 'SYNC_MASTER'),
});

const END = 45;
const MEMBERS = ['broker-a-0', 'broker-a-1', 'broker-a-2'];

/** Faults on the three members of one broker group, at any time, overlapping or not. */
function schedule(faults: readonly Fault[]): unknown[] {
  const steps: unknown[] = [];
  for (const f of faults) {
    const name = MEMBERS[f.node]!;
    const end = Math.min(END - 1, f.at + f.length);
    if (f.kind === 'crash' || f.kind === 'kill') {
      steps.push({ at: `${f.at}s`, crash: name, keepPageCache: f.kind === 'kill' });
      steps.push({ at: `${end}s`, restart: name });
    } else if (f.kind === 'pause') {
      steps.push({ at: `${f.at}s`, pause: name, for: `${end - f.at}s` });
    } else {
      steps.push({ at: `${f.at}s`, partition: [[name], MEMBERS.filter((m) => m !== name)] });
      steps.push({ at: `${end}s`, heal: true });
    }
  }
  return steps;
}

/** One group of a master and two slaves (or a DLedger group of three), retries on, invariants on. */
function runFaulted(faults: readonly Fault[], config: { dledger: boolean; flushDiskType: string; brokerRole: string }, seed: number) {
  return runRocket({
    cluster: {
      brokerGroups: 1, slavesPerGroup: 2, invariants: true,
      config: { enableDLegerCommitLog: config.dledger, flushDiskType: config.flushDiskType, brokerRole: config.brokerRole },
    },
    network: { latency: { uniform: ['1ms', '3ms'] } },
    duration: `${END}s`, drain: '30s',
    workload: { producers: [{ id: 'p1', rate: '20/s' }], consumers: [{ group: 'g', count: 2, failureRate: 0.1 }] },
    faults: schedule(faults),
  }, seed);
}

describe('rocketmq invariants: random fault schedules, checked after every broker step', () => {
  const dledger = { dledger: true, flushDiskType: 'SYNC_FLUSH', brokerRole: 'ASYNC_MASTER' };

  it('regression: a deposed DLedger leader\'s uncommitted tail is not dispatched when it rejoins (commit only up to the entries matched with the leader)', () => {
    const faults: Fault[] = [{ kind: 'crash', node: 0, at: 5, length: 1 }, { kind: 'isolate', node: 0, at: 3, length: 9 }];
    expect(runFaulted(faults, dledger, 888).counts['sent']).toBeGreaterThan(0);
  });

  it('regression: a DLedger follower\'s truncated records leave no consume queue entries behind', () => {
    const faults: Fault[] = [{ kind: 'crash', node: 2, at: 4, length: 1 }, { kind: 'crash', node: 1, at: 3, length: 1 }, { kind: 'crash', node: 0, at: 3, length: 1 }];
    expect(runFaulted(faults, dledger, 356).counts['sent']).toBeGreaterThan(0);
  });

  it('no invariant breaks under any schedule, with master/slave and DLedger, either flush type and either role', () => {
    let runs = 0;
    fc.assert(
      fc.property(fc.array(faultArb, { minLength: 1, maxLength: 4 }), configArb, fc.integer({ min: 1, max: 1_000 }), (faults, config, seed) => {
        const { counts } = runFaulted(faults, config, seed);
        runs++;
        expect(counts['sent']).toBeGreaterThan(0);
      }),
      { numRuns: 30, seed: 16_2026 },
    );
    expect(runs).toBe(30);
  }, 300_000);
});

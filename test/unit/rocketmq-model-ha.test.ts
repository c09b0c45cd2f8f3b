import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRocketmq } from '../../models/rocketmq/index.js';
import { World } from '../../sim/world.js';
import { parseRocket, runRocket } from '../rocketmq-helpers.js';

/** Master-slave replication: SYNC_MASTER and ASYNC_MASTER, slave reads, and the no-loss property. */

describe('rocketmq replication', () => {
  const send = (brokerRole: string, slaves = 1) => runRocket({
    duration: '10s', drain: '5s',
    cluster: { brokerGroups: 1, slavesPerGroup: slaves, config: { brokerRole } },
    network: { latency: '1ms', links: [] },
    workload: { producers: [{ id: 'p1', count: 50, rate: '10/s' }] },
  }, 1, true);

  it('SYNC_MASTER answers SEND_OK only after the slave reported the message (a round trip more than ASYNC_MASTER)', () => {
    const latency = (run: ReturnType<typeof send>) => {
      const ops = run.world.history.ops.filter((o) => o.f === 'send');
      const invoked = new Map(ops.filter((o) => o.type === 'invoke').map((o) => [o.msg, o.time]));
      const oks = ops.filter((o) => o.type === 'ok');
      return oks.reduce((sum, o) => sum + (o.time - invoked.get(o.msg)!), 0) / oks.length;
    };
    const sync = send('SYNC_MASTER');
    const async = send('ASYNC_MASTER');
    expect(sync.counts['acked']).toBe(50);
    expect(async.counts['acked']).toBe(50);
    // Producer <-> master is one round trip (2 ms); master -> slave -> master adds another.
    expect(latency(async)).toBeLessThan(2_500);
    expect(latency(sync)).toBeGreaterThan(3_500);
  });

  it('SYNC_MASTER without a slave answers SLAVE_NOT_AVAILABLE: stored, but not SEND_OK (info)', () => {
    const run = send('SYNC_MASTER', 0);
    expect(run.counts['slaveNotAvailable']).toBe(50);
    expect(run.counts['acked']).toBe(0);
    expect(run.counts['unknown']).toBe(50);
    const errors = new Set(run.world.history.ops.filter((o) => o.type === 'info').map((o) => o.error));
    expect(errors).toEqual(new Set(['SLAVE_NOT_AVAILABLE']));
  });

  it('SYNC_MASTER answers FLUSH_SLAVE_TIMEOUT while the slave is stalled, then SLAVE_NOT_AVAILABLE once it is gone', () => {
    const run = runRocket({
      duration: '60s', drain: '5s',
      cluster: { brokerGroups: 1, slavesPerGroup: 1, config: { brokerRole: 'SYNC_MASTER' } },
      workload: { producers: [{ id: 'p1', rate: '10/s', sendMode: 'async', config: { sendMsgTimeout: 10000 } }] },
      faults: [{ at: '10s', pause: 'broker-a-1', for: '40s' }],
    });
    expect(run.counts['flushSlaveTimeouts']).toBeGreaterThan(50); // sends of the first ~20 s
    expect(run.counts['slaveNotAvailable']).toBeGreaterThan(100); // the rest of the pause
  });

  // The HA channel is a connection the slave's HAClient opens to its master: a kill resets it, a crash is silence.
  const slaveDown = (fault: 'kill' | 'crash') => runRocket({
    duration: '60s', drain: '5s',
    cluster: { brokerGroups: 1, slavesPerGroup: 1, config: { brokerRole: 'SYNC_MASTER' } },
    workload: { producers: [{ id: 'p1', rate: '10/s', sendMode: 'async', config: { sendMsgTimeout: 10000 } }] },
    faults: [{ at: '10s', [fault]: 'broker-a-1', for: '40s' }],
  }, 1, true);
  const firstNotAvailable = (run: ReturnType<typeof slaveDown>) =>
    run.world.history.ops.find((o) => o.type === 'info' && o.error === 'SLAVE_NOT_AVAILABLE')!.time;

  it('a killed slave resets the HA channel: the master drops its HAConnection at once and answers SLAVE_NOT_AVAILABLE', () => {
    const run = slaveDown('kill');
    const dropped = run.world.notes.filter((n) => n.what === 'ha-slave-disconnected');
    expect(dropped.map((n) => [n.node, n.detail?.['slave'], n.detail?.['reason']])).toEqual([['broker-a-0', 'broker-a-1', 'reset']]);
    expect(dropped[0]!.at - 10_000_000).toBeLessThan(10_000); // one link latency
    expect(firstNotAvailable(run) - 10_000_000).toBeLessThan(200_000);
    expect(run.counts['flushSlaveTimeouts']).toBeLessThanOrEqual(1); // at most the put in flight at the kill
    // Back at 50 s, the slave's HAClient connects again and reports: SEND_OK again.
    expect(run.world.history.ops.some((o) => o.f === 'send' && o.type === 'ok' && o.time > 51_000_000)).toBe(true);
  });

  it('a crashed slave is silence: FLUSH_SLAVE_TIMEOUT until haHousekeepingInterval (20 s) passed without a report', () => {
    const run = slaveDown('crash');
    expect(run.world.notes.some((n) => n.what === 'ha-slave-disconnected' && n.at < 50_000_000)).toBe(false);
    expect(run.counts['flushSlaveTimeouts']).toBeGreaterThan(50);
    expect(firstNotAvailable(run)).toBeGreaterThan(29_000_000);
  });

  it('a slave whose master was killed reconnects on its next report (haSendHeartbeatInterval) to the restarted master', () => {
    const run = runRocket({
      duration: '40s', drain: '5s',
      cluster: { brokerGroups: 1, slavesPerGroup: 1, config: { brokerRole: 'SYNC_MASTER' } },
      workload: { producers: [{ id: 'p1', rate: '10/s', sendMode: 'async' }], consumers: [{ group: 'g' }] },
      faults: [{ at: '10s', kill: 'broker-a-0', for: '5s' }],
    }, 1, true);
    const again = run.world.notes.filter((n) => n.what === 'ha-slave-connected' && n.at > 15_000_000);
    expect(again.length).toBe(1);
    expect(again[0]!.at).toBeLessThan(20_100_000);
    expect(run.counts['lostAcked']).toBe(0);
  });

  it('a slave stores the messages at the master\'s queue offsets, and consumers read them there while the master is down', () => {
    const run = runRocket({
      duration: '220s', drain: '5s',
      cluster: { brokerGroups: 1, slavesPerGroup: 1, config: { brokerRole: 'SYNC_MASTER' } },
      workload: { producers: [{ id: 'p1', count: 100, rate: '50/s' }], consumers: [{ group: 'g', start: '10s' }] },
      faults: [{ at: '5s', crash: 'broker-a-0' }],
    }, 1, true);
    const ops = run.world.history.ops;
    const sent = new Map(ops.filter((o) => o.f === 'send' && o.type === 'ok').map((o) => [o.msg, o]));
    const received = ops.filter((o) => o.f === 'receive');
    expect(received.length).toBe(100);
    for (const r of received) {
      expect(r.node).toBe('broker-a-1');
      expect(r.queue).toBe(sent.get(r.msg)!.queue);
      expect(r.offset).toBe(sent.get(r.msg)!.offset);
      expect(r.time).toBeGreaterThan(125_000_000); // after the NameServers dropped the master
    }
    expect(run.counts['slavePulls']).toBeGreaterThan(0);
  });
});

describe('rocketmq property', () => {
  it('with SYNC_MASTER and SYNC_FLUSH no SEND_OK message is lost under one broker crash at a time', () => {
    const brokers = ['broker-a-0', 'broker-a-1', 'broker-b-0', 'broker-b-1'];
    const fault = fc.record({
      node: fc.constantFrom(...brokers),
      at: fc.integer({ min: 2, max: 25 }),
      down: fc.integer({ min: 1, max: 10 }),
      machine: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(fault, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 1000 }), (faults, seed) => {
        // One at a time: each fault starts after the previous one healed.
        let next = 0;
        // A process kill (RST to peers, page cache kept) or a machine crash (silence, cache lost).
        const steps = faults.flatMap((f): Record<string, string>[] => {
          const at = Math.max(f.at, next);
          next = at + f.down + 1;
          if (at >= 40) return [];
          return [{ at: `${at}s`, [f.machine ? 'crash' : 'kill']: f.node, for: `${f.down}s` }];
        });
        const { counts } = runRocket({
          duration: '40s', drain: '30s',
          cluster: { brokerGroups: 2, slavesPerGroup: 1, config: { brokerRole: 'SYNC_MASTER', flushDiskType: 'SYNC_FLUSH' } },
          workload: { producers: [{ id: 'p1', rate: '50/s', sendMode: 'async' }], consumers: [{ group: 'g', count: 2 }] },
          faults: steps,
        }, seed);
        expect(counts['acked']).toBeGreaterThan(500);
        expect(counts['lostAcked']).toBe(0);
      }),
      { numRuns: 12, seed: 6 },
    );
  });
});

describe('rocketmq DLedger', () => {
  const dledger = { brokerGroups: 1, slavesPerGroup: 2, config: { enableDLegerCommitLog: true } };

  it('a group of three elects a leader, which registers as brokerId 0; after its crash another is elected and registered', () => {
    const world = new World({ seed: 3 });
    const scenario = parseRocket({ duration: '60s', drain: '1s', cluster: dledger });
    const model = buildRocketmq(world, scenario);
    const seen: Record<string, string>[] = [];
    const leaderOf = () => world.resolve({ 'master-of': 'broker-a' });
    let first: string[] = [];
    world.kernel.at(10_000_000, () => {
      first = leaderOf();
      seen.push({ ...model.stores.namesrv['namesrv-1']!.state.brokers['broker-a'] });
      world.crash(first[0]!);
    }, null, 0);
    world.kernel.at(50_000_000, () => seen.push({ ...model.stores.namesrv['namesrv-1']!.state.brokers['broker-a'] }), null, 0);
    world.run({ duration: scenario.duration, drain: 1_000_000 });
    expect(first.length).toBe(1);
    expect(seen[0]!['0']).toBe(first[0]);
    const second = leaderOf();
    expect(second.length).toBe(1);
    expect(second[0]).not.toBe(first[0]);
    expect(seen[1]!['0']).toBe(second[0]);
    const elected = world.notes.filter((n) => n.what === 'dledger-leader');
    expect(elected.length).toBe(2);
    // Elected after three missed heartbeats (6 s) and at most a second of random backoff.
    expect(elected[1]!.at - 10_000_000).toBeGreaterThan(4_000_000);
    expect(elected[1]!.at - 10_000_000).toBeLessThan(9_000_000);
  });

  it('SEND_OK waits for a majority: with two of three members down the leader answers FLUSH_SLAVE_TIMEOUT', () => {
    const run = runRocket({
      duration: '30s', drain: '5s', cluster: dledger,
      workload: { producers: [{ id: 'p1', rate: '10/s', sendMode: 'async', config: { sendMsgTimeout: 10000 } }], consumers: [{ group: 'g' }] },
      faults: [{ at: '10s', kill: { 'slave-of': 'broker-a' }, for: '15s' }],
    }, 1, true);
    const leader = run.world.notes.find((n) => n.what === 'dledger-leader')!.node;
    expect(run.result.faults[0]!.targets).toEqual(['broker-a-0', 'broker-a-1', 'broker-a-2'].filter((n) => n !== leader));
    // The leader alone is no majority: what it appends while both followers are down waits, then times out.
    expect(run.counts['flushSlaveTimeouts']).toBeGreaterThan(20);
    const acked = run.world.history.ops.filter((o) => o.f === 'send' && o.type === 'ok');
    expect(acked.some((o) => o.time > 10_050_000 && o.time < 25_000_000)).toBe(false);
    expect(run.counts['lostAcked']).toBe(0);
  });

  it('a killed follower\'s channel reset ends the append in flight to it: back, it catches up and counts for the majority again', () => {
    const run = runRocket({
      duration: '45s', drain: '5s', cluster: dledger,
      workload: { producers: [{ id: 'p1', rate: '10/s', sendMode: 'async', config: { sendMsgTimeout: 10000 } }], consumers: [{ group: 'g' }] },
      faults: [{ at: '10s', kill: 'broker-a-1', for: '3s' }, { at: '20s', kill: 'broker-a-0', for: '20s' }],
    }, 1, true);
    expect(run.world.notes.filter((n) => n.what === 'dledger-leader').map((n) => n.node)).toEqual(['broker-a-2']);
    // While broker-a-0 is down the majority is the leader and broker-a-1, which must have caught up.
    const acked = run.world.history.ops.filter((o) => o.f === 'send' && o.type === 'ok' && o.time > 21_000_000 && o.time < 40_000_000);
    expect(acked.length).toBeGreaterThan(150);
    expect(run.counts['flushSlaveTimeouts']).toBe(0);
    expect(run.counts['lostAcked']).toBe(0);
  });

  it('property: no SEND_OK message is lost when the leader of a DLedger group crashes, one crash at a time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 30 }), fc.integer({ min: 1, max: 20 }), fc.boolean(), fc.integer({ min: 1, max: 1000 }), (at, down, machine, seed) => {
        const { counts } = runRocket({
          duration: '45s', drain: '30s',
          cluster: { brokerGroups: 2, slavesPerGroup: 2, config: { enableDLegerCommitLog: true } },
          workload: { producers: [{ id: 'p1', rate: '50/s', sendMode: 'async' }], consumers: [{ group: 'g', count: 2 }] },
          faults: [{ at: `${at}s`, [machine ? 'crash' : 'kill']: { 'master-of': 'broker-a' }, for: `${down}s` }],
        }, seed);
        expect(counts['acked']).toBeGreaterThan(500);
        expect(counts['lostAcked']).toBe(0);
      }),
      { numRuns: 8, seed: 11 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { assignReplicas } from '../../models/kafka/index.js';
import { partitionForKey } from '../../models/kafka/partitioner.js';
import { at, earliest, parseKafka, runKafka } from '../kafka-helpers.js';

const base = {
  cluster: { brokers: 3 },
  topics: [{ name: 'orders', partitions: 1, replicationFactor: 3 }],
  network: { latency: { uniform: ['1ms', '3ms'] } },
};

describe('kafka: scenario parts', () => {
  it('validates real config names and values, rejects unknown keys and metadata modes', () => {
    const s = parseKafka({ duration: '1s', cluster: { brokers: 5, metadata: 'zookeeper', config: { 'min.insync.replicas': 2, 'inter.broker.protocol.version': '0.10.2' } } });
    expect(s.cluster?.config?.['min.insync.replicas']).toBe(2);
    expect(parseKafka({ duration: '1s', cluster: { metadata: 'kraft', controllers: 5 } }).cluster?.controllers).toBe(5);
    expect(() => parseKafka({ duration: '1s', cluster: { metadata: 'raft' } })).toThrow(/zookeeper or kraft/);
    expect(() => parseKafka({ duration: '1s', cluster: { config: { 'min.insync.replica': 2 } } })).toThrow();
    expect(() => parseKafka({ duration: '1s', workload: { producers: [{ id: 'p', count: 1, config: { acks: '2' } }] } })).toThrow();
    expect(() => parseKafka({ duration: '1s', workload: { producers: [{ id: 'p', count: 1, config: { acks: '1', 'enable.idempotence': true } }] } })).toThrow(/requires acks=all/);
    expect(parseKafka({ duration: '1s', workload: { producers: [{ id: 'p', count: 1, config: { acks: -1 } }] } }).workload?.producers?.[0]?.config?.acks).toBe('all');
  });

  it('assigns replicas as Kafka does (start index and shift 0), first replica preferred', () => {
    const b = ['broker-1', 'broker-2', 'broker-3'];
    expect(assignReplicas(b, 4, 3)).toEqual([
      ['broker-1', 'broker-2', 'broker-3'], ['broker-2', 'broker-3', 'broker-1'], ['broker-3', 'broker-1', 'broker-2'],
      ['broker-1', 'broker-3', 'broker-2'],
    ]);
    expect(assignReplicas(b, 2, 2)).toEqual([['broker-1', 'broker-2'], ['broker-2', 'broker-3']]);
  });

  it('registers the controller and leader-of selectors and keeps control-plane state in a store', () => {
    const { model, world, result } = runKafka({ ...base, duration: '3s', drain: '0s' });
    const state = model.state();
    expect(state.controller).toMatch(/^broker-\d$/);
    expect(state.controllerEpoch).toBe(1);
    expect(state.liveBrokers).toEqual(['broker-1', 'broker-2', 'broker-3']);
    expect(state.partitions['orders-0']).toEqual({ leader: 'broker-1', leaderEpoch: 0, isr: ['broker-1', 'broker-2', 'broker-3'], partitionEpoch: 0 });
    expect(world.resolve('controller')).toEqual([state.controller]);
    expect(world.resolve({ 'leader-of': 'orders-0' })).toEqual(['broker-1']);
    expect(world.nodesWithRole('zookeeper').map((s) => s.name)).toEqual(['zookeeper']);
    expect(result.traceRecords).toBeGreaterThan(0);
  });
});

describe('kafka: high watermark', () => {
  it('HW is the minimum LEO over the ISR, and consumers never read at or past it', () => {
    let checked = 0;
    let stalledLeo = 0;
    let stalledHw = 0;
    const { result, model } = runKafka({
      ...base,
      duration: '12s',
      // The follower's last Fetch was dropped: it sends it again after replica.socket.timeout.ms (30 s).
      drain: '30s',
      workload: {
        producers: [{ id: 'p1', rate: '200/s', keys: 10, config: { acks: '1' } }],
        consumers: [{ group: 'g', config: earliest }],
      },
      // broker-3 stops fetching from the leader at 4s: it stays in the ISR (30 s lag allowed), so the HW stalls.
      faults: [{ at: '4s', partition: { from: ['broker-3'], to: ['broker-1'] } }, { at: '10s', heal: true }],
    }, {
      probe: (world, model) => {
        world.history.subscribe((op) => {
          if (op.f !== 'receive') return;
          const replica = model.broker(op.node!)!.inspect(op.queue!)!;
          expect(op.offset!).toBeLessThan(replica.hw);
          checked++;
        });
        at(world, 9_000_000, () => {
          const leader = model.broker('broker-1')!.inspect('orders-0')!;
          stalledLeo = leader.leo;
          stalledHw = leader.hw;
        });
      },
    });
    expect(checked).toBeGreaterThan(1000);
    // At 9s the leader has ~1000 more records than the HW, which stopped near 4s (~800 records).
    expect(stalledLeo - stalledHw).toBeGreaterThan(900);
    expect(stalledHw).toBeLessThan(850);
    // After the heal the follower catches up and everything is delivered.
    expect(result.check.counts.delivered).toBe(result.check.counts.acked);
    expect(model.stats.isrShrinks).toBe(0);
  });
});

describe('kafka: ISR', () => {
  const lagScenario = (faults: unknown[]) => ({
    ...base,
    cluster: { brokers: 3, config: { 'replica.lag.time.max.ms': 10_000 } },
    duration: '30s',
    drain: '5s',
    workload: { producers: [{ id: 'p1', rate: '50/s', config: { acks: '1' } }] },
    faults,
  });

  it('a follower that has not caught up for replica.lag.time.max.ms leaves the ISR; it rejoins when caught up', () => {
    const { result, model } = runKafka({
      ...lagScenario([{ at: '5s', partition: { from: ['broker-2'], to: ['broker-1'] } }, { at: '25s', heal: true }]),
      drain: '20s',
    });
    const proposals = result.notes.filter((n) => n.what === 'isr-shrink-proposed');
    expect(proposals.length).toBe(1);
    // Last caught up just before 5s; the check runs every lag/2 = 5s: first at 15s.
    expect(proposals[0]!.at).toBeGreaterThanOrEqual(15_000_000);
    expect(proposals[0]!.at).toBeLessThan(20_000_000);
    expect(proposals[0]!.detail).toEqual({ partition: 'orders-0', out: ['broker-2'] });
    const shrink = result.notes.find((n) => n.what === 'isr-shrink')!;
    expect(shrink.detail!.isr).toEqual(['broker-1', 'broker-3']);
    expect(model.stats.isrShrinks).toBe(1);
    expect(model.stats.isrExpands).toBe(1);
    expect(model.state().partitions['orders-0']!.isr).toEqual(['broker-1', 'broker-3', 'broker-2']);
  });

  it('a follower that keeps up is never removed', () => {
    const { model } = runKafka(lagScenario([]));
    expect(model.stats.isrShrinks).toBe(0);
    expect(model.stats.isrExpands).toBe(0);
  });
});

describe('kafka: retention and replication', () => {
  it('a follower left behind the leader\'s log start (retention) starts over there and rejoins the ISR', () => {
    const { result, model } = runKafka({
      cluster: {
        // Three brokers so the controller (broker-3 with this seed) is not the follower cut off.
        brokers: 3,
        config: {
          'replica.lag.time.max.ms': 3000, 'replica.socket.timeout.ms': 2000,
          'log.segment.bytes': 20_000, 'log.retention.bytes': 40_000, 'log.retention.check.interval.ms': 1000,
        },
      },
      topics: [{ name: 'orders', partitions: 1, replicationFactor: 2 }],
      network: { latency: { uniform: ['1ms', '3ms'] } },
      duration: '30s',
      drain: '5s',
      workload: { producers: [{ id: 'p1', rate: '100/s', config: { acks: '1' } }] },
      faults: [{ at: '2s', partition: { from: ['broker-2'], to: ['broker-1'] } }, { at: '20s', heal: true }],
    });
    const reset = result.notes.find((n) => n.what === 'log-reset')!;
    expect(reset.node).toBe('broker-2');
    expect(reset.detail!.to as number).toBeGreaterThan(0);
    expect(model.stats.segmentsDeleted).toBeGreaterThan(0);
    expect(model.stats.isrShrinks).toBe(1);
    expect(model.stats.isrExpands).toBe(1);
    const follower = model.broker('broker-2')!.inspect('orders-0')!;
    const leader = model.broker('broker-1')!.inspect('orders-0')!;
    // It started over at the leader's log start (and its own retention has moved on since).
    expect(follower.log.logStartOffset).toBeGreaterThanOrEqual(reset.detail!.to as number);
    expect(follower.log.logStartOffset).toBe(leader.log.logStartOffset);
    expect(follower.leo).toBe(leader.leo);
  });
});

describe('kafka: leader election', () => {
  it('elects the first live ISR member in replica order, and stays offline without one (clean)', () => {
    const { model, result } = runKafka({
      ...base,
      duration: '70s',
      drain: '0s',
      workload: { producers: [{ id: 'p1', rate: '20/s', config: { acks: 'all' } }] },
      faults: [{ at: '5s', crash: 'broker-1' }, { at: '30s', crash: 'broker-2' }, { at: '50s', crash: 'broker-3' }],
    });
    const elected = result.notes.filter((n) => n.what === 'leader-elected').map((n) => n.detail!.leader);
    expect(elected).toEqual(['broker-2', 'broker-3']);
    const offline = result.notes.find((n) => n.what === 'partition-offline');
    // The last controller died with broker-3: nobody is left to write the offline state, but no leader is elected either.
    expect(offline === undefined || offline.detail!.partition === 'orders-0').toBe(true);
    expect(model.stats.uncleanElections).toBe(0);
    expect(model.stats.leaderElections).toBe(2);
  });

  it('with unclean.leader.election.enable a live replica outside the ISR is elected and acknowledged records are lost', () => {
    const scenario = (unclean: boolean) => ({
      ...base,
      cluster: { brokers: 3, config: { 'unclean.leader.election.enable': unclean } },
      topics: [{ name: 'orders', partitions: 1, replicationFactor: 2 }],
      duration: '70s',
      drain: '30s',
      // The consumer reads the final log (after broker-1 is back as a follower of the unclean
      // leader and truncated to it), so what the logs lost shows as lostAcked.
      workload: { producers: [{ id: 'p1', rate: '50/s', config: { acks: 'all' } }], consumers: [{ group: 'g', start: '60s', config: earliest }] },
      faults: [{ at: '5s', crash: 'broker-2' }, { at: '25s', crash: 'broker-1', keepPageCache: true }, { at: '26s', restart: 'broker-2' }, { at: '55s', restart: 'broker-1' }],
    });
    const unclean = runKafka(scenario(true), { seed: 3 });
    expect(unclean.model.stats.uncleanElections).toBe(1);
    expect(unclean.result.notes.find((n) => n.what === 'unclean-leader-elected')!.detail!.leader).toBe('broker-2');
    expect(unclean.result.check.counts.lostAcked).toBeGreaterThan(500);
    const clean = runKafka(scenario(false), { seed: 3 });
    expect(clean.model.stats.uncleanElections).toBe(0);
    expect(clean.model.stats.offlinePartitionsMax).toBe(1);
    expect(clean.result.check.counts.lostAcked).toBe(0);
  });

  it('auto.leader.rebalance.enable moves leadership back to the preferred replica once it is in the ISR', () => {
    const scenario = (enabled: boolean) => ({
      ...base,
      cluster: { brokers: 3, config: { 'auto.leader.rebalance.enable': enabled, 'leader.imbalance.check.interval.seconds': 10 } },
      duration: '60s',
      drain: '0s',
      workload: { producers: [{ id: 'p1', rate: '20/s', config: { acks: 'all' } }] },
      faults: [{ at: '2s', crash: 'broker-1' }, { at: '25s', restart: 'broker-1' }],
    });
    const on = runKafka(scenario(true));
    expect(on.model.state().partitions['orders-0']!.leader).toBe('broker-1');
    expect(on.result.notes.filter((n) => n.what === 'preferred-leader-elected').length).toBe(1);
    const off = runKafka(scenario(false));
    expect(off.model.state().partitions['orders-0']!.leader).toBe('broker-2');
  });

  it('controller failover: a new controller with a higher epoch takes over when the controller dies', () => {
    const { model, result } = runKafka({
      ...base,
      topics: [{ name: 'orders', partitions: 3, replicationFactor: 3 }],
      duration: '40s',
      drain: '20s',
      workload: { producers: [{ id: 'p1', rate: '50/s', keys: 10, config: { acks: 'all' } }], consumers: [{ group: 'g', config: earliest }] },
      faults: [{ at: '5s', crash: 'controller' }],
    });
    const crashed = result.faults.find((f) => f.kind === 'crash')!.targets[0]!;
    expect(model.stats.controllerElections).toBe(2);
    expect(model.state().controllerEpoch).toBe(2);
    expect(model.state().controller).not.toBe(crashed);
    expect(result.check.counts.lostAcked).toBe(0);
  });
});

describe('kafka: producer', () => {
  const lostResponses = (idempotence: boolean) => ({
    ...base,
    topics: [{ name: 'orders', partitions: 3, replicationFactor: 3 }],
    duration: '20s',
    drain: '20s',
    workload: {
      producers: [{ id: 'p1', rate: '200/s', keys: 50, config: { 'enable.idempotence': idempotence, 'request.timeout.ms': 3000 } }],
      consumers: [{ group: 'g', config: earliest }],
    },
    faults: [{ at: '5s', partition: { from: ['all-broker'], to: ['p1'] } }, { at: '7s', heal: true }],
  });

  it('without idempotence a lost response and a retry write the batch twice', () => {
    const { result } = runKafka(lostResponses(false), { seed: 6 });
    expect(result.check.counts.duplicateDeliveries).toBeGreaterThan(0);
    expect(result.check.counts.lostAcked).toBe(0);
  });

  it('with idempotence the leader recognises the resent batch: no duplicate, same offsets', () => {
    const { result, model } = runKafka(lostResponses(true), { seed: 6 });
    expect(model.stats.duplicateBatches).toBeGreaterThan(0);
    expect(result.check.counts.duplicateDeliveries).toBe(0);
    expect(result.check.counts.lostAcked).toBe(0);
    // Every acknowledged offset holds the message acknowledged there.
    const acked = result.check.counts.acked;
    expect(acked).toBe(result.check.counts.delivered);
  });

  it('min.insync.replicas: acks=all with a smaller ISR fails with NOT_ENOUGH_REPLICAS, acks=1 still succeeds', () => {
    const scenario = (acks: string) => ({
      ...base,
      cluster: { brokers: 3, config: { 'min.insync.replicas': 2 } },
      duration: '40s',
      drain: '10s',
      workload: { producers: [{ id: 'p1', rate: '20/s', config: { acks, retries: 0, 'request.timeout.ms': 5000 } }] },
      faults: [{ at: '5s', crash: 'broker-2' }, { at: '5s', crash: 'broker-3' }],
    });
    const all = runKafka(scenario('all'));
    expect(all.model.stats.notEnoughReplicas).toBeGreaterThan(100);
    expect(all.world.history.ops.some((op) => op.type === 'fail' && op.error === 'NOT_ENOUGH_REPLICAS')).toBe(true);
    const one = runKafka(scenario('1'));
    expect(one.model.stats.notEnoughReplicas).toBe(0);
    expect(one.result.check.counts.failed).toBe(0);
  });

  it('acks=0 records ok without an offset; keyed records go to partitionForKey', () => {
    const { world } = runKafka({
      ...base,
      topics: [{ name: 'orders', partitions: 4, replicationFactor: 3 }],
      duration: '3s',
      drain: '2s',
      workload: { producers: [{ id: 'p1', rate: '100/s', keys: 8, config: { acks: '0' } }] },
    });
    const oks = world.history.ops.filter((op) => op.f === 'send' && op.type === 'ok');
    expect(oks.length).toBe(300);
    expect(oks.every((op) => op.offset === undefined)).toBe(true);
    for (const op of oks) expect(op.queue).toBe(`orders-${partitionForKey(op.key!, 4)}`);
  });

  const batching = (config: Record<string, unknown>, keys?: number) => runKafka({
    ...base,
    topics: [{ name: 'orders', partitions: 4, replicationFactor: 1 }],
    duration: '2s',
    drain: '2s',
    workload: { producers: [{ id: 'p1', rate: '1000/s', ...(keys ? { keys } : {}), config: { acks: '1', ...config } }] },
  });
  const acked = (run: ReturnType<typeof batching>) => run.world.history.ops.filter((op) => op.f === 'send' && op.type === 'ok').length;

  it('linger.ms and batch.size group records into fewer Produce requests', () => {
    const eager = batching({ 'linger.ms': 0 }, 8);
    const lingering = batching({ 'linger.ms': 50 }, 8);
    const tiny = batching({ 'linger.ms': 50, 'batch.size': 1100 }, 8);
    for (const run of [eager, lingering, tiny]) expect(acked(run)).toBe(2000);
    // One request per partition per 50 ms instead of one per record.
    expect(lingering.result.network.sent).toBeLessThan(eager.result.network.sent / 4);
    // batch.size 1100 holds one 1 KiB record: no grouping whatever linger.ms says.
    expect(tiny.result.network.sent).toBeGreaterThan(lingering.result.network.sent * 4);
  });

  it('unkeyed records stick to one partition until its batch is sent, then move on', () => {
    const { world } = batching({ 'linger.ms': 20 });
    const invokes = world.history.ops.filter((op) => op.f === 'send' && op.type === 'invoke');
    expect(invokes.length).toBe(2000);
    let switches = 0;
    for (let i = 1; i < invokes.length; i++) if (invokes[i]!.queue !== invokes[i - 1]!.queue) switches++;
    // ~20 records per batch: about one switch per batch, and every partition used.
    expect(switches).toBeGreaterThan(50);
    expect(switches).toBeLessThan(200);
    expect(new Set(invokes.map((op) => op.queue)).size).toBe(4);
  });
});

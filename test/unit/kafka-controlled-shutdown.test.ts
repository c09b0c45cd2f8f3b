import { describe, expect, it } from 'vitest';
import { runKafka } from '../kafka-helpers.js';

/** broker-1 leads orders-0 and orders-2 (replicas assigned from broker-1); an operator stops it at 5s. */
const scenario = (config: Record<string, unknown> = {}) => ({
  cluster: { brokers: 3, config: { 'min.insync.replicas': 2, ...config } },
  topics: [{ name: 'orders', partitions: 3, replicationFactor: 3 }],
  network: { latency: { uniform: ['1ms', '3ms'] } },
  duration: '12s',
  drain: '0s',
  workload: { producers: [{ id: 'p1', rate: '50/s', config: { acks: 'all' } }] },
  faults: [{ at: '5s', stop: 'broker-1' }],
});

const times = (notes: readonly { at: number; what: string }[], what: string) => notes.filter((n) => n.what === what).map((n) => n.at);

describe('kafka: controlled shutdown (an operator\'s stop, ZooKeeper mode)', () => {
  it('moves the stopping broker\'s leaderships before it exits, then closes its ZooKeeper session', () => {
    const { model, result } = runKafka(scenario());
    const [requested] = times(result.notes, 'controlled-shutdown-requested');
    const [succeeded] = times(result.notes, 'controlled-shutdown-succeeded');
    const [clean] = times(result.notes, 'clean-shutdown');
    const [closed] = times(result.notes, 'zk-session-closed');
    expect(requested).toBeGreaterThanOrEqual(5_000_000);
    expect(succeeded!).toBeGreaterThan(requested!);
    expect(clean!).toBeGreaterThan(succeeded!);
    expect(closed!).toBeGreaterThan(clean!);
    // The controller learns of the exit from the closed session within milliseconds, not a session timeout.
    expect(closed! - 5_000_000).toBeLessThan(1_000_000);
    expect(times(result.notes, 'zk-session-expired')).toEqual([]);
    const state = model.state();
    for (const p of Object.values(state.partitions)) {
      expect(p.leader).not.toBe('broker-1');
      expect(p.isr).not.toContain('broker-1');
    }
    // Every leadership it held was moved by the controlled shutdown itself (elections before the exit).
    const elections = result.notes.filter((n) => n.what === 'leader-elected');
    expect(elections.length).toBeGreaterThan(0);
    for (const e of elections) expect(e.at).toBeLessThan(clean!);
  });

  it('controlled.shutdown.enable=false: no ControlledShutdown; the leaderships move only after the session is closed', () => {
    const { result } = runKafka(scenario({ 'controlled.shutdown.enable': false }));
    expect(times(result.notes, 'controlled-shutdown-attempt')).toEqual([]);
    const [clean] = times(result.notes, 'clean-shutdown');
    const elections = result.notes.filter((n) => n.what === 'leader-elected');
    expect(elections.length).toBeGreaterThan(0);
    for (const e of elections) expect(e.at).toBeGreaterThan(clean!);
  });

  it('a controller that never answers: the broker retries controlled.shutdown.max.retries times, then exits anyway', () => {
    const s = scenario({ 'controlled.shutdown.max.retries': 1, 'controlled.shutdown.retry.backoff.ms': 1000, 'controller.socket.timeout.ms': 2000 });
    // broker-1 is cut off from everyone (the controller included) when it is stopped.
    const { result } = runKafka({ ...s, faults: [{ at: '4s', partition: [['broker-1'], ['broker-2', 'broker-3', 'zookeeper']] }, { at: '5s', stop: 'broker-1' }] });
    const attempts = times(result.notes, 'controlled-shutdown-attempt');
    expect(attempts).toEqual([5_000_000, 8_000_000]);
    const [failed] = times(result.notes, 'controlled-shutdown-failed');
    expect(failed).toBe(10_000_000);
    expect(times(result.notes, 'clean-shutdown').length).toBe(1);
  });

  it('the controlled.shutdown.* keys are refused in KRaft mode (its heartbeat shutdown is not modelled)', () => {
    const s = scenario({ 'controlled.shutdown.enable': false });
    expect(() => runKafka({ ...s, cluster: { ...s.cluster, metadata: 'kraft' } })).toThrow(/controlled.shutdown.enable is a ZooKeeper-mode setting/);
  });
});

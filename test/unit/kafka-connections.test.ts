import { describe, expect, it } from 'vitest';
import { runKafka } from '../kafka-helpers.js';

/** Kafka's broker–broker and group-coordinator requests on kernel connections: a killed process resets, a crashed machine is silence. */
const base = {
  cluster: { brokers: 3 },
  network: { latency: { uniform: ['1ms', '3ms'] } },
};

describe('kafka on connections: replica fetchers', () => {
  const replication = (fault: Record<string, unknown>) => runKafka({
    ...base,
    duration: '40s',
    drain: '0s',
    topics: [{ name: 'orders', partitions: 1, replicationFactor: 3 }],
    workload: { producers: [{ id: 'p1', topic: 'orders', rate: '20/s', keys: 5, config: { acks: 'all' } }] },
    faults: [{ at: '10s', ...fault }],
  });

  it("a killed leader resets its followers' fetch connections at once: their fetches back off replica.fetch.backoff.ms", () => {
    const { result } = replication({ kill: { 'leader-of': 'orders-0' }, for: '60s' });
    const failed = result.notes.filter((n) => n.what === 'replica-fetch-failed' && n.detail!.leader === 'broker-1');
    const first = failed.filter((n) => n.detail!.reason === 'reset');
    expect(first.map((n) => n.node).sort()).toEqual(['broker-2', 'broker-3']);
    for (const n of first) {
      expect(n.at).toBeGreaterThan(10_000_000);
      expect(n.at).toBeLessThan(10_010_000);
      expect(n.detail!.backoffMs).toBe(1000);
    }
    // Then, until the controller moves them (ZooKeeper session expiry, 18s), each retry is refused about once a second.
    const refused = failed.filter((n) => n.detail!.reason === 'refused' && n.node === 'broker-2');
    expect(refused.length).toBeGreaterThan(10);
    expect(refused.every((n) => n.at < 29_000_000)).toBe(true);
  });

  it('a crashed leader is silence: no follower hears of it before the controller moves them', () => {
    const { result } = replication({ crash: { 'leader-of': 'orders-0' } });
    expect(result.notes.filter((n) => n.what === 'replica-fetch-failed' && n.detail!.leader === 'broker-1')).toEqual([]);
    const elected = result.notes.find((n) => n.what === 'leader-elected');
    // The ZooKeeper session of the crashed broker expires first (about 15s later here).
    expect(elected!.at).toBeGreaterThan(20_000_000);
  });
});

describe('kafka on connections: group coordinator requests', () => {
  // Group audit's coordinator is broker-3; orders-0 lives on broker-1 alone.
  const group = (fault: Record<string, unknown>) => runKafka({
    ...base,
    seed: 4,
    duration: '50s',
    drain: '0s',
    topics: [{ name: 'orders', partitions: 1, replicationFactor: 1 }],
    workload: {
      producers: [{ id: 'p1', topic: 'orders', rate: '20/s', keys: 5 }],
      consumers: [{ group: 'audit', topic: 'orders', mode: 'subscribe', config: { 'auto.offset.reset': 'earliest', 'enable.auto.commit': false } }],
    },
    faults: [{ at: '10s', ...fault }],
  });

  it('a killed coordinator: the member marks it unknown within a round trip and looks it up again', () => {
    const { result } = group({ kill: 'broker-3', for: '60s' });
    const found = result.notes.filter((n) => n.what === 'coordinator-found').map((n) => n.detail!.coordinator);
    expect(found[0]).toBe('broker-3');
    const lost = result.notes.find((n) => n.what === 'coordinator-disconnected')!;
    expect(lost.detail).toMatchObject({ coordinator: 'broker-3', reason: 'reset' });
    expect(lost.at).toBeLessThan(10_010_000);
    expect(found).toContain('broker-2');
  });

  it('a crashed coordinator: the member notices only when a request times out (request.timeout.ms, 30s)', () => {
    const { result } = group({ crash: 'broker-3' });
    const lost = result.notes.find((n) => n.what === 'coordinator-disconnected')!;
    expect(lost.detail).toMatchObject({ coordinator: 'broker-3', reason: 'timeout' });
    expect(lost.at).toBeGreaterThan(39_000_000);
    expect(lost.at).toBeLessThan(41_000_000);
  });
});

import { describe, expect, it } from 'vitest';
import { recorderWorld } from '../helpers.js';

/** Sends `count` pings a -> b and b -> a every 10ms from 10ms on, under `at` actions. */
function traffic(world: ReturnType<typeof recorderWorld>['world'], send: (from: string, to: string, n: number) => void, pairs: [string, string][], count: number) {
  for (let i = 0; i < count; i++) {
    world.kernel.at(10_000 * (i + 1), () => {
      for (const [from, to] of pairs) send(from, to, i);
    }, null);
  }
}

describe('network', () => {
  it('delivers in order on a FIFO link with random latency', () => {
    const { world, log, send } = recorderWorld(['a', 'b'], { network: { latency: { uniform: [1_000, 50_000] } } });
    traffic(world, send, [['a', 'b']], 200);
    world.run({ duration: 5_000_000, drain: 1_000_000 });
    const ns = log.filter((m) => m.to === 'b').map((m) => m.n);
    expect(ns).toEqual([...ns].sort((x, y) => x - y));
    expect(ns.length).toBe(200);
  });

  it('reorders when the link allows it', () => {
    const { world, log, send } = recorderWorld(['a', 'b'], { network: { latency: { uniform: [1_000, 50_000] }, reorder: 1 } });
    traffic(world, send, [['a', 'b']], 200);
    world.run({ duration: 5_000_000, drain: 1_000_000 });
    const ns = log.map((m) => m.n);
    expect(ns).not.toEqual([...ns].sort((x, y) => x - y));
  });

  it('never carries a message across a partition, and heal restores delivery', () => {
    const { world, log, send } = recorderWorld(['a', 'b', 'c']);
    traffic(world, send, [['a', 'b'], ['b', 'a'], ['a', 'c'], ['c', 'b']], 300);
    world.run({
      duration: 4_000_000,
      drain: 1_000_000,
      faults: [{ at: 1_000_000, partition: [['a'], ['b', 'c']] }, { at: 2_000_000, heal: true }],
    });
    const crossing = log.filter((m) => (m.from === 'a') !== (m.to === 'a'));
    // Sent after the partition (n >= 99 at 1.0s) and arriving before the heal: none.
    expect(crossing.filter((m) => m.at > 1_000_000 && m.at < 2_000_000)).toEqual([]);
    // Inside the majority side, traffic went on.
    expect(log.filter((m) => m.from === 'c' && m.at > 1_000_000 && m.at < 2_000_000).length).toBeGreaterThan(50);
    // After the heal, a and b talk again.
    expect(log.filter((m) => m.from === 'a' && m.to === 'b' && m.at > 2_100_000).length).toBeGreaterThan(50);
  });

  it('drops a message in flight when a partition comes up, even if it heals before arrival', () => {
    const { world, log, send } = recorderWorld(['a', 'b'], { network: { latency: { constant: 100_000 } } });
    world.kernel.at(1_000_000, () => send('a', 'b', 1), null);
    world.run({ duration: 2_000_000, drain: 0, faults: [{ at: 1_050_000, partition: [['a'], ['b']] }, { at: 1_060_000, heal: true }] });
    expect(log).toEqual([]);
    expect(world.network.dropped).toBe(1);
  });

  it('a one-way partition blocks one direction only', () => {
    const { world, log, send } = recorderWorld(['a', 'b']);
    traffic(world, send, [['a', 'b'], ['b', 'a']], 100);
    world.run({ duration: 2_000_000, drain: 0, faults: [{ at: 0, partition: { from: ['a'], to: ['b'] } }] });
    expect(log.filter((m) => m.from === 'a').length).toBe(0);
    expect(log.filter((m) => m.from === 'b').length).toBe(100);
  });

  it('loses and duplicates messages at the configured rates, within tolerance', () => {
    const { world, log, send } = recorderWorld(['a', 'b'], { network: { loss: 0.2, duplicate: 0.1 } });
    traffic(world, send, [['a', 'b']], 20_000);
    world.run({ duration: 201_000_000, drain: 1_000_000 });
    const perN = new Map<number, number>();
    for (const m of log) perN.set(m.n, (perN.get(m.n) ?? 0) + 1);
    const lost = 20_000 - perN.size;
    const duplicated = [...perN.values()].filter((c) => c === 2).length;
    expect(lost / 20_000).toBeGreaterThan(0.18);
    expect(lost / 20_000).toBeLessThan(0.22);
    // Duplication applies to messages that were not lost.
    expect(duplicated / perN.size).toBeGreaterThan(0.085);
    expect(duplicated / perN.size).toBeLessThan(0.115);
  });

  it('bandwidth queues messages behind each other', () => {
    // 100-byte messages over 10 kB/s: one every 10ms, whatever the send pattern.
    const { world, log, send } = recorderWorld(['a', 'b'], { network: { latency: { constant: 0 }, bandwidth: 10_000 } });
    world.kernel.at(1, () => {
      for (let i = 0; i < 5; i++) send('a', 'b', i);
    }, null);
    world.run({ duration: 1_000_000, drain: 0 });
    expect(log.map((m) => m.at)).toEqual([10_001, 20_001, 30_001, 40_001, 50_001]);
  });

  it('drops messages to a crashed node and to an earlier incarnation of a restarted one', () => {
    const { world, log, send } = recorderWorld(['a', 'b'], { network: { latency: { constant: 100_000 } } });
    world.kernel.at(1_000_000, () => send('a', 'b', 1), null); // arrives at 1.1s while b is down
    world.kernel.at(2_000_000, () => send('a', 'b', 2), null); // b crashes at 2.05s and is back at 2.06s: connection reset
    world.kernel.at(3_000_000, () => send('a', 'b', 3), null); // delivered
    world.run({
      duration: 4_000_000,
      drain: 0,
      faults: [
        { at: 1_050_000, kill: 'b', for: 100_000 },
        { at: 2_050_000, kill: 'b', for: 10_000 },
      ],
    });
    expect(log.map((m) => m.n)).toEqual([3]);
  });
});

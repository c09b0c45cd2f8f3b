import { describe, expect, it } from 'vitest';
import type { FaultEvent } from '../../sim/faults.js';
import type { World } from '../../sim/world.js';
import { FailureTimings } from '../../models/kafka/failure-timings.js';
import { newStats } from '../../models/kafka/stats.js';

/** A world that is only a clock and a fault log. */
function fake() {
  const world = { now: 0, faultLog: [] as FaultEvent[] };
  const stats = newStats();
  const timings = new FailureTimings(world as unknown as World, stats);
  const fault = (at: number, kind: FaultEvent['kind'], targets: string[]) => world.faultLog.push({ at, kind, targets, description: kind });
  return { world, stats, timings, fault };
}

describe('kafka failure timings: every fault kind that cuts a node off counts', () => {
  it.each(['crash', 'kill', 'pause', 'partition', 'stop'] as const)('broker detection counts from a %s', (kind) => {
    const { world, stats, timings, fault } = fake();
    fault(10_000_000, kind, ['broker-2']);
    world.now = 28_000_000;
    timings.brokerDetected('broker-2');
    expect(stats.brokerFailureDetectionMsMax).toBe(18_000);
  });

  it('a fault on another node, a heal or a slow disk does not count; a fault counts once', () => {
    const { world, stats, timings, fault } = fake();
    fault(1_000_000, 'crash', ['broker-1']);
    fault(2_000_000, 'slow-disk', ['broker-2']);
    fault(3_000_000, 'heal', []);
    world.now = 20_000_000;
    timings.brokerDetected('broker-2');
    expect(stats.brokerFailureDetectionMsMax).toBe(0);
    timings.brokerDetected('broker-1');
    expect(stats.brokerFailureDetectionMsMax).toBe(19_000);
    world.now = 50_000_000;
    timings.brokerDetected('broker-1');
    expect(stats.brokerFailureDetectionMsMax).toBe(19_000);
  });

  it('controller failover: from the fault on the active controller to its successor, through a time without one', () => {
    const { world, stats, timings, fault } = fake();
    timings.controllerIs('broker-1');
    world.now = 5_000_000;
    fault(5_000_000, 'pause', ['broker-1']);
    world.now = 23_000_000;
    timings.controllerIs(null);
    expect(stats.controllerFailoverMsMax).toBe(0);
    world.now = 23_500_000;
    timings.controllerIs('broker-2');
    expect(stats.controllerFailoverMsMax).toBe(18_500);
  });

  it('a controller change with no fault on the old controller (a resignation) counts nothing', () => {
    const { world, stats, timings } = fake();
    timings.controllerIs('controller-1');
    world.now = 9_000_000;
    timings.controllerIs('controller-2');
    expect(stats.controllerFailoverMsMax).toBe(0);
  });
});

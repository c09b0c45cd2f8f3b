import { latestCutOff, type FaultEvent } from '../../sim/faults.js';
import type { World } from '../../sim/world.js';
import type { RabbitStats } from './stats.js';

/**
 * How long failures take to be acted on (issue #15), from the fault in the world's fault log:
 * - `leaderFailoverMsMax`: from the fault that cut a quorum queue's leader off (crash, kill,
 *   pause, partition, stop) to another member being elected leader of that queue;
 * - `clientDropMsMax`: from the fault that cut a client off to the broker closing its AMQP
 *   connection (and requeueing what it held): at once for a killed client (its kernel resets the
 *   TCP connection), after the heartbeat checks for a silent one.
 */

export class RabbitFailureTimings {
  /** Per quorum queue: its leader and since when it led. */
  private readonly leaders = new Map<string, { leader: string; since: number }>();
  /** Per client: when the broker last dropped one of its connections (faults before it are counted). */
  private readonly droppedAt = new Map<string, number>();

  constructor(private readonly world: World, private readonly stats: RabbitStats) {}

  /** The latest fault at or after `since` that cut `node` off. */
  private cutOff(node: string, since: number): FaultEvent | undefined {
    return latestCutOff(this.world.faultLog, node, since);
  }

  /** Queue `key`'s leader is `leader` now (a newer term's). */
  leaderElected(key: string, leader: string): void {
    const now = this.world.now;
    const before = this.leaders.get(key);
    this.leaders.set(key, { leader, since: now });
    if (before === undefined || before.leader === leader) return;
    const fault = this.cutOff(before.leader, before.since);
    if (fault !== undefined) this.stats.leaderFailoverMsMax = Math.max(this.stats.leaderFailoverMsMax, (now - fault.at) / 1000);
  }

  /** The broker closed a connection of `client` that had gone dead (reset, closed, or silent past the heartbeat checks). */
  readonly clientDropped = (client: string): void => {
    const now = this.world.now;
    const fault = this.cutOff(client, this.droppedAt.get(client) ?? 0);
    this.droppedAt.set(client, now);
    if (fault !== undefined) this.stats.clientDropMsMax = Math.max(this.stats.clientDropMsMax, (now - fault.at) / 1000);
  };
}

import { latestCutOff, type FaultEvent } from '../../sim/faults.js';
import type { World } from '../../sim/world.js';
import type { KafkaStats } from './stats.js';

/**
 * The failure-detection counts, for every fault kind that cuts a node off (issue #15):
 * `brokerFailureDetectionMsMax`, from the fault that cut a broker off (crash, kill, pause,
 * partition, stop) to its ZooKeeper session expiring or its KRaft fencing; and
 * `controllerFailoverMsMax`, from the fault that cut the active controller off to the next
 * controller taking over (ZooKeeper: the /controller znode won by another session; KRaft: the
 * next active controller). Faults are read from the world's fault log, so a partition or a pause
 * counts as a crash does.
 */

export class FailureTimings {
  /** Per broker: when its last failure was detected (faults before it are counted). */
  private readonly detectedAt = new Map<string, number>();
  private controller: string | null = null;
  private controllerSince = 0;
  /** The controller that went away and since when it had been active, until a successor is known. */
  private lost: { name: string; since: number } | null = null;

  constructor(private readonly world: World, private readonly stats: KafkaStats) {}

  /** The latest fault at or after `since` that cut `node` off. */
  private cutOff(node: string, since: number): FaultEvent | undefined {
    return latestCutOff(this.world.faultLog, node, since);
  }

  /** `broker`'s session expired (ZooKeeper) or it was fenced (KRaft). */
  readonly brokerDetected = (broker: string): void => {
    const now = this.world.now;
    const fault = this.cutOff(broker, this.detectedAt.get(broker) ?? 0);
    this.detectedAt.set(broker, now);
    if (fault !== undefined) this.stats.brokerFailureDetectionMsMax = Math.max(this.stats.brokerFailureDetectionMsMax, (now - fault.at) / 1000);
  };

  /** The control-plane store changed: `controller` is the active controller now (or none). */
  controllerIs(controller: string | null): void {
    if (controller === this.controller) return;
    const now = this.world.now;
    if (this.controller !== null && this.lost === null) this.lost = { name: this.controller, since: this.controllerSince };
    this.controller = controller;
    this.controllerSince = now;
    if (controller === null || this.lost === null) return;
    const fault = this.cutOff(this.lost.name, this.lost.since);
    this.lost = null;
    if (fault !== undefined) this.stats.controllerFailoverMsMax = Math.max(this.stats.controllerFailoverMsMax, (now - fault.at) / 1000);
  }
}

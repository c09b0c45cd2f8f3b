import { ExponentialBackoff, type CloseReason } from '../../sim/connection.js';
import type { NodeContext } from '../../sim/node.js';
import type { RandomStream } from '../../sim/random.js';
import type { Micros } from '../../sim/time.js';

/**
 * The Java client's ClusterConnectionStates (NetworkClient): one connection per broker, opened
 * when a request needs it (`ready`), and after a close or a refused connect not tried again
 * before the reconnect back-off has passed: reconnect.backoff.ms doubling per failure up to
 * reconnect.backoff.max.ms, with 20% jitter. A successful connect resets the failures.
 */
export class ClusterConnectionStates {
  private readonly failures = new Map<string, number>();
  private readonly blackoutUntil = new Map<string, Micros>();
  private readonly backoff: ExponentialBackoff;

  constructor(
    private readonly ctx: NodeContext,
    reconnectBackoff: Micros,
    reconnectBackoffMax: Micros,
    private readonly random: RandomStream,
  ) {
    this.backoff = new ExponentialBackoff(reconnectBackoff, 2, reconnectBackoffMax, 0.2);
  }

  /** True when a request can go to the broker now; otherwise starts connecting if the back-off allows. */
  ready(node: string): boolean {
    const state = this.ctx.connection(node);
    if (state === 'open') return true;
    if (state === 'none' && !this.blackedOut(node)) this.ctx.connect(node);
    return false;
  }

  /** The broker is in its reconnect back-off (a request to it would wait). */
  blackedOut(node: string): boolean {
    return this.ctx.trueNow() < (this.blackoutUntil.get(node) ?? 0);
  }

  /**
   * leastLoadedNode, as far as the model goes: from the client's current bootstrap position
   * `from` (an index into `brokers`, taken modulo their count), the position of the first broker
   * not in reconnect back-off; `from` itself when every broker is.
   */
  leastLoadedNode(brokers: readonly string[], from: number): number {
    for (let i = 0; i < brokers.length; i++) if (!this.blackedOut(brokers[(from + i) % brokers.length]!)) return from + i;
    return from;
  }

  /** When the back-off for `node` ends (0 when none). */
  blackoutEnd(node: string): Micros {
    return this.blackoutUntil.get(node) ?? 0;
  }

  connected(node: string): void {
    this.failures.delete(node);
    this.blackoutUntil.delete(node);
  }

  /** A close or a failed connect: the next attempt waits for the back-off. Returns how long. */
  disconnected(node: string, _reason: CloseReason): Micros {
    const failures = (this.failures.get(node) ?? 0) + 1;
    this.failures.set(node, failures);
    const wait = this.backoff.backoff(failures - 1, this.random);
    this.blackoutUntil.set(node, this.ctx.trueNow() + wait);
    return wait;
  }
}

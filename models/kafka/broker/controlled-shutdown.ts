import type { Timer } from '../../../sim/kernel.js';
import type { NodeContext } from '../../../sim/node.js';
import type { Controller } from '../controller.js';
import { note } from '../notes.js';
import { sendTo, type ControlledShutdownResponse } from '../protocol.js';
import type { BrokerConfig } from '../schema.js';
import { brokerTimers } from './timers.js';

/**
 * A broker's graceful stop (KafkaServer.shutdown with controlledShutdown): in ZooKeeper mode,
 * with controlled.shutdown.enable, it first sends ControlledShutdown to the controller, which
 * moves its leaderships to other in-sync replicas and takes it out of the ISRs; partitions left
 * behind (no other in-sync replica) or no answer within controller.socket.timeout.ms make it try
 * again after controlled.shutdown.retry.backoff.ms, up to controlled.shutdown.max.retries times,
 * then it shuts down anyway. Then it stops its fetchers, flushes every log and writes the
 * clean-shutdown marker (LogManager.shutdown), closes its ZooKeeper session (so the controller
 * hears of it at once, not a session timeout later) and exits.
 */

export interface ControlledShutdownHost {
  readonly ctx: NodeContext;
  readonly config: BrokerConfig;
  /** ZooKeeper mode and registered: the controller to ask (null: none known now); undefined: no controlled shutdown (KRaft, or not registered). */
  controller(): string | null | undefined;
  /** The controller this broker runs itself, if it is the controller. */
  localController(): Controller | null;
  nextId(): number;
  /** Stops fetching, flushes every log, writes the marker, closes the session; then calls `exited`. */
  finish(exited: () => void): void;
}

export class ControlledShutdownManager {
  private done: (() => void) | null = null;
  private attempt = 0;
  private requestId = 0;
  private timer: Timer | null = null;

  constructor(private readonly host: ControlledShutdownHost) {}

  /** The operator's stop: `done` runs when the process may exit. */
  start(done: () => void): void {
    if (this.done !== null) return;
    this.done = done;
    if (!this.host.config.controlledShutdown || this.host.controller() === undefined) return this.exit();
    this.send();
  }

  private send(): void {
    const { ctx, config } = this.host;
    this.attempt++;
    const controller = this.host.controller();
    if (controller === undefined) return this.exit();
    note(ctx, 'controlled-shutdown-attempt', { attempt: this.attempt, controller });
    const id = (this.requestId = this.host.nextId());
    // No answer within controller.socket.timeout.ms counts as a failed attempt.
    this.timer = brokerTimers.set(ctx, config.controllerSocketTimeout, 'controlled-shutdown-retry', { id, backoff: false });
    const local = controller === ctx.name ? this.host.localController() : null;
    if (local !== null) {
      local.controlledShutdown(ctx.name, (error, remainingPartitions) => this.onResponse({ type: 'ControlledShutdownResponse', id, error, remainingPartitions }));
    } else if (controller !== null) {
      sendTo(ctx, controller, { type: 'ControlledShutdown', brokerId: ctx.name, id });
    }
  }

  onResponse(response: ControlledShutdownResponse): void {
    if (this.done === null || response.id !== this.requestId) return;
    this.host.ctx.cancelTimer(this.timer);
    this.timer = null;
    this.requestId = 0;
    if (response.error === 'NONE' && response.remainingPartitions.length === 0) {
      note(this.host.ctx, 'controlled-shutdown-succeeded', { attempts: this.attempt });
      return this.exit();
    }
    this.retryLater();
  }

  /** 'controlled-shutdown-retry': an attempt went unanswered, or the backoff before the next one is over. */
  onTimer(data: { id: number; backoff: boolean }): void {
    if (this.done === null || data.id !== this.requestId) return;
    this.timer = null;
    if (data.backoff) this.send();
    else this.retryLater();
  }

  private retryLater(): void {
    const { ctx, config } = this.host;
    if (this.attempt > config.controlledShutdownMaxRetries) {
      note(ctx, 'controlled-shutdown-failed', { attempts: this.attempt });
      return this.exit();
    }
    const id = (this.requestId = this.host.nextId());
    this.timer = brokerTimers.set(ctx, config.controlledShutdownRetryBackoff, 'controlled-shutdown-retry', { id, backoff: true });
  }

  private exit(): void {
    this.requestId = 0;
    this.host.finish(this.done!);
  }
}

import type { Timer } from '../../sim/kernel.js';
import { messageId, type History } from '../../sim/history.js';
import type { Actor, Message, NodeContext } from '../../sim/node.js';
import type { Micros } from '../../sim/time.js';
import { PlannedSends, ProducerPlan, type PlannedSend, type ProducerPlanSpec } from '../../sim/workload.js';
import type { Phase } from '../../sim/world.js';
import { HEADER_BYTES, type Produce, type ProduceResponse } from './protocol.js';
import type { ResolvedProducerConfig } from './schema.js';
import { notes } from './notes.js';

/**
 * The demo producer: sends the messages its ProducerPlan schedules to the broker, one Produce
 * each, and records the Jepsen history: `invoke` when it sends, `ok` on a ProduceResponse,
 * `fail` when the broker refused its only attempt (disk full; `info` if an earlier attempt may
 * have been stored), `info` (outcome unknown) when every attempt timed out. A timed-out Produce is resent with the same message id while `retries` allow, so a
 * Produce that was stored but whose response was lost is stored twice.
 *
 * With the scenario's `outbox` the producer behaves like the outbox pattern instead: each message
 * is resent every `resendAfter` until confirmed (at most `maxAttempts` attempts in all, unbounded
 * when not given), in the liveness phase too.
 *
 * Choices: the producer stops planning new sends when the world enters the liveness phase, but
 * keeps waiting for (and retrying) what is outstanding. A producer that crashed stays quiet after
 * its restart: its unanswered sends stay invoke-only (the checkers treat them as unknown), and it
 * sends nothing new, since its plan and outbox lived in memory.
 */

export interface ProducerOptions {
  plan: ProducerPlanSpec;
  /** Where a plan without its own `stop` ends: the scenario's duration. */
  duration: Micros;
  queue: string;
  config: ResolvedProducerConfig;
  outbox?: { resendAfter: Micros; maxAttempts?: number };
  history: History;
}

interface Outstanding {
  readonly msg: string;
  readonly key: string | undefined;
  readonly bytes: number;
  /** Attempts made so far (1 after the first Produce). */
  attempts: number;
  timer: Timer;
}

interface AttemptTimeout {
  msg: string;
  attempt: number;
}

export class DemoProducer implements Actor {
  private ctx!: NodeContext;
  /** Null until started, and after a restart (the plan lived in memory). */
  private sends: PlannedSends | null = null;
  private readonly outstanding = new Map<string, Outstanding>();
  private readonly attemptTimeout: Micros;
  private readonly maxAttempts: number;

  constructor(private readonly options: ProducerOptions) {
    if (options.outbox) {
      this.attemptTimeout = options.outbox.resendAfter;
      this.maxAttempts = options.outbox.maxAttempts ?? Number.POSITIVE_INFINITY;
    } else {
      this.attemptTimeout = options.config.requestTimeout;
      this.maxAttempts = 1 + options.config.retries;
    }
  }

  start(ctx: NodeContext, restarted: boolean): void {
    this.ctx = ctx;
    if (restarted) {
      notes.note(ctx, 'producer-restarted', { resumes: false });
      return;
    }
    this.sends = new PlannedSends(new ProducerPlan(this.options.plan, ctx.random('plan'), this.options.duration));
    this.sends.scheduleNext(ctx);
  }

  onPhase(phase: Phase): void {
    if (phase === 'safety') return;
    this.sends?.stop(this.ctx);
  }

  receive(_from: string, message: Message): void {
    if (message.type === 'ProduceResponse') this.onResponse(message as ProduceResponse);
  }

  onTimer(tag: string, data: unknown): void {
    if (tag === 'send') this.onSend(data as PlannedSend);
    else if (tag === 'request-timeout') this.onTimeout(data as AttemptTimeout);
  }


  private onSend(send: PlannedSend): void {
    if (!this.sends!.fired()) return;
    const msg = messageId(this.ctx.name, send.seq);
    const queue = this.options.queue;
    this.record({ type: 'invoke', msg, key: send.key, queue });
    const outstanding: Outstanding = { msg, key: send.key, bytes: send.bytes, attempts: 0, timer: null as unknown as Timer };
    this.outstanding.set(msg, outstanding);
    this.attempt(outstanding);
    this.sends!.scheduleNext(this.ctx);
  }

  private attempt(outstanding: Outstanding): void {
    outstanding.attempts++;
    const produce: Produce = { type: 'Produce', queue: this.options.queue, msg: outstanding.msg, key: outstanding.key, bytes: outstanding.bytes };
    this.ctx.send('broker', produce, HEADER_BYTES + outstanding.bytes);
    const timeout: AttemptTimeout = { msg: outstanding.msg, attempt: outstanding.attempts };
    outstanding.timer = this.ctx.setTimer(this.attemptTimeout, 'request-timeout', timeout);
  }

  private onTimeout(timeout: AttemptTimeout): void {
    const outstanding = this.outstanding.get(timeout.msg);
    if (!outstanding || outstanding.attempts !== timeout.attempt) return;
    if (outstanding.attempts < this.maxAttempts) {
      notes.note(this.ctx, 'produce-retry', { msg: outstanding.msg, attempt: outstanding.attempts + 1 });
      this.attempt(outstanding);
      return;
    }
    this.outstanding.delete(timeout.msg);
    this.record({ type: 'info', msg: outstanding.msg, key: outstanding.key, queue: this.options.queue, error: 'timeout' });
  }

  private onResponse(response: ProduceResponse): void {
    // A response for any attempt of a message still outstanding settles it; once the producer
    // gave up (info), a late response is dropped, as a client drops a reply it stopped waiting for.
    const outstanding = this.outstanding.get(response.msg);
    if (!outstanding) return;
    this.ctx.cancelTimer(outstanding.timer);
    this.outstanding.delete(response.msg);
    if (response.error !== undefined) {
      // Refused for sure only if this was the one attempt: an earlier attempt may have been stored.
      const type = outstanding.attempts === 1 ? 'fail' : 'info';
      this.record({ type, msg: outstanding.msg, key: outstanding.key, queue: response.queue, node: 'broker', error: response.error });
      return;
    }
    this.record({ type: 'ok', msg: outstanding.msg, key: outstanding.key, queue: response.queue, offset: response.offset, node: 'broker' });
  }

  private record(op: { type: 'invoke' | 'ok' | 'fail' | 'info'; msg: string; key: string | undefined; queue: string; offset?: number; node?: string; error?: string }): void {
    const entry: Parameters<History['record']>[0] = { time: this.ctx.trueNow(), process: this.ctx.name, type: op.type, f: 'send', msg: op.msg, queue: op.queue };
    if (op.key !== undefined) entry.key = op.key;
    if (op.offset !== undefined) entry.offset = op.offset;
    if (op.node !== undefined) entry.node = op.node;
    if (op.error !== undefined) entry.error = op.error;
    this.options.history.record(entry);
  }
}

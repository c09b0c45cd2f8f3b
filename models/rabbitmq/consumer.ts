import type { History, NewHistoryOp } from '../../sim/history.js';
import { sampler, type Distribution, type RandomStream, type Sampler } from '../../sim/random.js';
import type { Micros } from '../../sim/time.js';
import { timersOf, unreachable, type TimerArgs } from '../../sim/timers.js';
import type { Phase } from '../../sim/world.js';
import { AmqpClient, type ClientTimer } from './client.js';
import { notes } from './notes.js';
import { FRAME_BYTES, type AmqpFrame, type BasicDeliver, type ServerChannelMethod } from './protocol.js';
import { confirmationContent, type ConfirmToOptions, type PatternStats } from './patterns/delayed-confirmation.js';

/**
 * A consumer: one connection, one channel, basic.qos (when prefetch > 0) then basic.consume on
 * its queue. Deliveries are handled one at a time in arrival order: a history `receive` ok when
 * the application gets it, a `processing` sample, then basic.ack (or, on a `failureRate`
 * failure, basic.nack / basic.reject with the configured requeue). With ackEvery n, acks go as
 * one basic.ack multiple=true per n messages (and whenever the consumer runs out of work).
 * With autoAck nothing is sent back: the broker forgot the message when it sent it.
 *
 * A delivery that arrived on a connection that has since died is dropped unprocessed: its ack
 * could not reach the broker, which requeues it. After `stop` the consumer cancels its
 * subscription (basic.cancel) until the liveness phase. A restarted consumer starts afresh.
 *
 * With `confirmTo` (the delayed-confirmation pattern), after processing a message successfully the
 * consumer publishes a confirmation (correlation-id = the message id) there, before its ack, on its
 * channel if it is open (otherwise the confirmation is not sent, and the callback service's check
 * will ask for a resend).
 */

export interface ConsumerOptions {
  vhost: string;
  user: string;
  queue: string;
  group: string;
  autoAck: boolean;
  /** basic.consume exclusive (only sent when true). */
  exclusive?: boolean;
  prefetch: number;
  heartbeat: Micros;
  requeue: boolean;
  reject: boolean;
  ackEvery: number;
  processing: Distribution | undefined;
  failureRate: number;
  /**
   * The idempotent consumer's processed-ids table, shared by the group's consumers (a table in
   * the application's database, so it outlives a consumer crash), or null without the pattern.
   */
  dedupe: Set<string> | null;
  /** Counts duplicatesSkipped. */
  stats: { duplicatesSkipped: number };
  confirmTo?: ConfirmToOptions | undefined;
  patternStats?: PatternStats;
  start: Micros | undefined;
  stop: Micros | undefined;
  history: History;
  phase: () => Phase;
}

/** A delivery waiting for, or in, processing: the connection it came on and whether it is a known duplicate. */
interface Work {
  readonly conn: string;
  readonly frame: BasicDeliver;
  skipped: boolean;
}

/** A consumer's timers: its connection's, the end of processing a delivery, and the scenario's start and stop. */
type ConsumerTimer = ClientTimer | { tag: 'processed'; data: Work } | { tag: 'begin'; data: undefined } | { tag: 'stop'; data: undefined };
const timers = timersOf<ConsumerTimer>();

export class RabbitConsumer extends AmqpClient {
  private processing!: Sampler;
  private failures!: RandomStream;
  /** Deliveries not yet handed to the application, from bufferHead on. */
  private readonly buffer: (Work | undefined)[] = [];
  private bufferHead = 0;
  private busy = false;
  private pendingAcks: Work[] = [];
  private consumerTag: string | null = null;
  private tags = 0;
  private stopped = false;

  constructor(private readonly options: ConsumerOptions) {
    super(options.vhost, options.user, options.heartbeat);
  }

  protected override begin(_restarted: boolean): void {
    this.processing = sampler(this.options.processing ?? { constant: 0 }, this.ctx.random('processing'));
    this.failures = this.ctx.random('failure');
    const now = this.ctx.trueNow();
    const { start, stop } = this.options;
    if (stop !== undefined && stop > now) timers.set(this.ctx, stop - now, 'stop', undefined);
    if (start !== undefined && start > now && this.options.phase() === 'safety') timers.set(this.ctx, start - now, 'begin', undefined);
    else this.connect();
  }

  onPhase(phase: Phase): void {
    if (phase !== 'liveness' || !this.stopped) return;
    this.stopped = false;
    if (this.ready) this.subscribe();
  }

  protected setup(): AmqpFrame[] {
    const steps: AmqpFrame[] = [];
    if (this.options.prefetch > 0) steps.push({ type: 'basic.qos', conn: this.conn!, channel: this.channel, prefetchCount: this.options.prefetch });
    return steps;
  }

  protected onReady(): void {
    if (!this.stopped) this.subscribe();
  }

  private subscribe(): void {
    this.consumerTag = `${this.ctx.name}-ctag-${++this.tags}`;
    this.sendFrame({
      type: 'basic.consume', conn: this.conn!, channel: this.channel, queue: this.options.queue, consumerTag: this.consumerTag, noAck: this.options.autoAck,
      ...(this.options.exclusive === true ? { exclusive: true } : {}),
    });
  }

  protected onLost(_why: string): void {
    // Deliveries of the dead channel can no longer be acked: the broker requeues them.
    this.consumerTag = null;
    this.pendingAcks = [];
    this.buffer.length = 0;
    this.bufferHead = 0;
  }

  protected onFrame(frame: ServerChannelMethod): void {
    switch (frame.type) {
      case 'basic.deliver':
        this.buffer.push({ conn: this.conn!, frame, skipped: false });
        if (!this.busy) this.handleNext();
        return;
      case 'basic.ack':
      case 'basic.nack':
      case 'basic.return':
      case 'basic.cancel-ok':
      case 'basic.get-ok':
      case 'basic.get-empty':
        return; // a consumer publishes nothing, never polls with basic.get, and its basic.cancel needs no answer
      default:
        return unreachable(frame, 'frame to a consumer');
    }
  }

  onTimer(...args: TimerArgs<ConsumerTimer>): void {
    switch (args[0]) {
      case 'processed':
        return this.onProcessed(args[1]);
      case 'begin':
        return this.connect();
      case 'stop':
        return this.onStop();
      case 'connect-timeout':
      case 'heartbeat':
      case 'reopen-channel':
      case 'reconnect':
        return this.onConnectionTimer(...args);
      default:
        return unreachable(args[0], 'consumer timer');
    }
  }

  private onStop(): void {
    if (this.options.phase() !== 'safety') return;
    this.stopped = true;
    if (this.ready && this.consumerTag !== null) {
      this.sendFrame({ type: 'basic.cancel', conn: this.conn!, channel: this.channel, consumerTag: this.consumerTag });
      this.consumerTag = null;
    }
  }

  private handleNext(): void {
    const buffer = this.buffer;
    if (this.bufferHead >= buffer.length) {
      buffer.length = 0;
      this.bufferHead = 0;
      this.busy = false;
      this.flushAcks();
      return;
    }
    const next = buffer[this.bufferHead]!;
    buffer[this.bufferHead++] = undefined;
    if (this.bufferHead > 1024 && this.bufferHead * 2 > buffer.length) {
      buffer.splice(0, this.bufferHead);
      this.bufferHead = 0;
    }
    this.busy = true;
    const { frame } = next;
    const msg = frame.content.properties.messageId;
    const dedupe = this.options.dedupe;
    // An idempotent consumer records when its local transaction ends (onProcessed); others when handed the message.
    if (dedupe === null) this.recordConsume(frame, 'receive');
    const skipped = dedupe !== null && dedupe.has(msg);
    next.skipped = skipped;
    timers.set(this.ctx, skipped ? 0 : Math.max(0, Math.round(this.processing())), 'processed', next);
  }

  private onProcessed(work: Work): void {
    const { frame, conn } = work;
    const msg = frame.content.properties.messageId;
    const failed = !work.skipped && this.options.failureRate > 0 && this.failures.chance(this.options.failureRate);
    if (this.options.dedupe !== null && !failed) this.commitIdempotent(work, this.options.dedupe);
    if (!failed && this.options.confirmTo !== undefined) this.sendConfirmation(msg);
    if (!this.options.autoAck) {
      if (!this.isLive(conn, frame)) {
        notes.note(this.ctx, 'ack-dropped', { msg, why: 'connection gone' });
      } else if (failed) {
        this.flushAcks();
        notes.note(this.ctx, 'processing-failed', { msg, requeue: this.options.requeue });
        const base = { conn, channel: this.channel, deliveryTag: frame.deliveryTag, requeue: this.options.requeue };
        if (this.options.reject) this.sendFrame({ type: 'basic.reject', ...base });
        else this.sendFrame({ type: 'basic.nack', ...base, multiple: false });
      } else {
        this.pendingAcks.push(work);
        if (this.pendingAcks.length >= this.options.ackEvery) this.flushAcks();
      }
    } else if (failed) {
      notes.note(this.ctx, 'processing-failed', { msg, autoAck: true });
    }
    this.handleNext();
  }

  /** A history receive (handed to / processed by the application) or skip (a duplicate the idempotent consumer did not process). */
  private recordConsume(frame: BasicDeliver, f: 'receive' | 'skip'): void {
    const op: NewHistoryOp = {
      time: this.ctx.trueNow(), process: this.ctx.name, type: 'ok', f, msg: frame.content.properties.messageId, queue: frame.queue,
      group: this.options.group, node: this.broker, redelivered: frame.redelivered,
    };
    if (frame.content.key !== undefined) op.key = frame.content.key;
    this.options.history.record(op);
  }

  /**
   * The idempotent consumer's local transaction ends: the business update and the INSERT of the
   * message id into the group's processed-ids table commit together. Already in the table when
   * handed over, or inserted meanwhile by another consumer of the group (a redelivery racing the
   * first processing): a skip, acked without processing. A failed processing rolls back and
   * records nothing, and a crash mid-transaction commits nothing: the redelivery is then the
   * first processing.
   */
  private commitIdempotent(work: Work, dedupe: Set<string>): void {
    const msg = work.frame.content.properties.messageId;
    if (work.skipped || dedupe.has(msg)) {
      this.options.stats.duplicatesSkipped++;
      this.recordConsume(work.frame, 'skip');
      return;
    }
    dedupe.add(msg);
    this.recordConsume(work.frame, 'receive');
  }

  /** delayed-confirmation: tell the callback service this message was processed. */
  private sendConfirmation(msg: string): void {
    if (!this.ready) {
      notes.note(this.ctx, 'confirmation-not-sent', { msg, why: 'channel down' });
      return;
    }
    const to = this.options.confirmTo!;
    const content = confirmationContent(msg, to.persistent, this.ctx.now());
    this.sendFrame({ type: 'basic.publish', conn: this.conn!, channel: this.channel, exchange: to.exchange, routingKey: to.routingKey, mandatory: false, content }, FRAME_BYTES + content.bytes);
    this.options.patternStats!.confirmationsSent++;
  }

  /** Was this delivery made on the connection and channel still in use? */
  private isLive(conn: string, frame: BasicDeliver): boolean {
    return this.ready && conn === this.conn && frame.channel === this.channel;
  }

  private flushAcks(): void {
    const acks = this.pendingAcks;
    if (acks.length === 0) return;
    // Nothing below adds to pendingAcks (sends and history records do not call back), so the
    // array is reused: emptied at the end.
    let live = 0;
    let last: Work | undefined;
    for (const a of acks) {
      if (!this.isLive(a.conn, a.frame)) continue;
      live++;
      last = a;
    }
    if (last === undefined) {
      acks.length = 0;
      return;
    }
    this.sendFrame({ type: 'basic.ack', conn: last.conn, channel: this.channel, deliveryTag: last.frame.deliveryTag, multiple: live > 1 });
    for (const a of acks) {
      if (!this.isLive(a.conn, a.frame)) continue;
      const frame = a.frame;
      const op: NewHistoryOp = {
        time: this.ctx.trueNow(), process: this.ctx.name, type: 'ok', f: 'ack', msg: frame.content.properties.messageId,
        queue: frame.queue, group: this.options.group, node: this.broker,
      };
      if (frame.content.key !== undefined) op.key = frame.content.key;
      this.options.history.record(op);
    }
    acks.length = 0;
  }
}

import type { Timer } from '../../sim/kernel.js';
import type { Message } from '../../sim/node.js';
import { timersOf, unreachable, type TimerArgs } from '../../sim/timers.js';
import { messageId, type History, type NewHistoryOp } from '../../sim/history.js';
import type { RandomStream } from '../../sim/random.js';
import type { Micros } from '../../sim/time.js';
import { PlannedSends, ProducerPlan, type PlannedSend, type ProducerPlanSpec } from '../../sim/workload.js';
import type { Phase } from '../../sim/world.js';
import { AmqpClient, type ClientTimer } from './client.js';
import { notes } from './notes.js';
import { asProducerMessage, FRAME_BYTES, type AmqpFrame, type Content, type Properties, type ResendRequest, type ServerChannelMethod } from './protocol.js';
import type { HeaderValue } from './schema.js';
import { checkContent, type DelayedConfirmationOptions, type PatternStats } from './patterns/delayed-confirmation.js';

/**
 * A publisher: one connection, one channel, basic.publish per planned message.
 *
 * History: `invoke` when the application hands the message over. Without confirms the outcome is
 * `ok` as soon as it is published (the client cannot know more) and `fail` if the connection was
 * down. With confirms (confirm.select): `ok` on the broker's basic.ack (delivery-tag = the
 * channel's publish sequence number, `multiple` covering every earlier one), `fail` on a
 * basic.nack or when a basic.return (mandatory, NO_ROUTE) came before the ack, `info` when no
 * confirm came within confirm.timeout or the connection died first.
 *
 * With the outbox pattern (`outbox:`), nothing is given up early: every unconfirmed message is
 * published again every resendAfter (after a nack, a timeout or a lost connection) until
 * confirmed, and after maxAttempts attempts its outcome is `info`. A resend reuses the message
 * id, so a message stored twice is delivered twice (counted as duplicates).
 *
 * With the delayed-confirmation pattern (`delayedConfirmation:`, patterns/delayed-confirmation.ts)
 * the producer keeps every message it published in its store and publishes a delayed check
 * message right after the first publish; on a `resend.request` from the callback service it
 * republishes the message (same id, no new history op) with a new check message.
 */

export interface ProducerOptions {
  plan: ProducerPlanSpec;
  duration: Micros;
  vhost: string;
  user: string;
  exchange: string;
  routingKey: string;
  mandatory: boolean;
  persistent: boolean;
  expiration: Micros | undefined;
  priority: number | number[] | undefined;
  headers: Record<string, HeaderValue> | undefined;
  delay: Micros | undefined;
  delayBy: 'x-delay' | 'expiration' | 'queue-ttl';
  confirm: boolean;
  confirmTimeout: Micros;
  /**
   * No event of the run happens after this virtual time (an upper bound on its end: duration plus
   * drain). A confirm or outbox timer due later could never fire, so it is not set: a timer per
   * publish, cancelled by the confirm, would otherwise stay in the event queue until its time.
   */
  horizon: Micros;
  heartbeat: Micros;
  outbox: { resendAfter: Micros; maxAttempts?: number } | undefined;
  delayedConfirmation?: DelayedConfirmationOptions | undefined;
  patternStats?: PatternStats;
  history: History;
}

/** An attempt's confirm (or outbox resend) timer: which message, which attempt. */
interface AttemptTimer {
  readonly id: number;
  readonly attempt: number;
}

/**
 * A timer's data: the message id alone for its first attempt (a small integer, not an object: a
 * confirm timer cancelled by the confirm stays in the event queue until its time, so with a
 * million publishes in confirm.timeout these add up), an AttemptTimer otherwise.
 */
function attemptTimer(id: number, attempt: number): AttemptTimer | number {
  return attempt === 1 && id < 0x3fffffff ? id : { id, attempt };
}

/**
 * Ascending sequence numbers -> values, for numbers handed out in order and mostly removed in
 * order (a channel's confirm seqs, a producer's send seqs): an array from the oldest one still
 * held, no hashing.
 */
class SeqWindow<T> {
  private items: (T | undefined)[] = [];
  /** Seq of items[0]. */
  private base = 0;
  private head = 0;

  clear(): void {
    this.items = [];
    this.base = 0;
    this.head = 0;
  }

  set(seq: number, value: T): void {
    this.place(seq, value);
  }

  /** A seq used by something no confirm settles. */
  skip(seq: number): void {
    this.place(seq, undefined);
  }

  private place(seq: number, value: T | undefined): void {
    if (this.items.length === 0) {
      this.base = seq;
      this.head = 0;
    }
    const at = seq - this.base;
    if (at < this.items.length) throw new Error(`confirm seq ${seq} is not above the last one`);
    while (this.items.length < at) this.items.push(undefined);
    this.items.push(value);
  }

  get(seq: number): T | undefined {
    const at = seq - this.base;
    return at >= this.head && at < this.items.length ? this.items[at] : undefined;
  }

  /** The values in ascending seq order. */
  *values(): IterableIterator<T> {
    for (let at = this.head; at < this.items.length; at++) {
      const value = this.items[at];
      if (value !== undefined) yield value;
    }
  }

  /** Removes and returns what seq was published with. */
  take(seq: number): T | undefined {
    const at = seq - this.base;
    if (at < this.head || at >= this.items.length) return undefined;
    const value = this.items[at];
    this.items[at] = undefined;
    this.advance();
    return value;
  }

  /** Removes everything up to seq (inclusive), appending the values and their seqs in ascending order. */
  takeUpTo(seq: number, values: T[], seqs: number[]): void {
    const end = Math.min(seq - this.base, this.items.length - 1);
    for (let at = this.head; at <= end; at++) {
      const value = this.items[at];
      if (value === undefined) continue;
      this.items[at] = undefined;
      values.push(value);
      seqs.push(at + this.base);
    }
    this.advance();
  }

  private advance(): void {
    const items = this.items;
    while (this.head < items.length && items[this.head] === undefined) this.head++;
    if (this.head === items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > items.length) {
      this.items = items.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
  }
}

/** What the delayed-confirmation producer keeps of each published message (its "business DB"). */
interface Stored {
  readonly routingKey: string;
  readonly content: Content;
}

interface Outstanding {
  /** The plan's send seq (the number in the message id). */
  readonly id: number;
  readonly msg: string;
  readonly key: string | undefined;
  readonly routingKey: string;
  readonly content: Content;
  attempts: number;
  /** Confirm sequence number of the latest attempt on the current channel (0: none pending). */
  seq: number;
  returned: boolean;
  timer: Timer | null;
}

/**
 * A producer's timers: its connection's, the workload's next send (`send`, set by
 * sim/workload.ts's scheduleNextSend) and a publish's confirm timeout.
 */
type ProducerTimer = ClientTimer | { tag: 'send'; data: PlannedSend } | { tag: 'attempt-timeout'; data: AttemptTimer | number };
const timers = timersOf<ProducerTimer>();

export class RabbitProducer extends AmqpClient {
  private priorities!: RandomStream;
  private publishSeq = 1;
  /** Unsettled messages by send seq, in send order. */
  private readonly outstanding = new SeqWindow<Outstanding>();
  /** Confirm sequence number -> the message published with it (none for a check message or a resend: their confirm settles nothing). */
  private readonly bySeq = new SeqWindow<Outstanding>();
  /** Scratch lists of the messages one confirm frame covers and their seqs. */
  private readonly covered: Outstanding[] = [];
  private readonly coveredSeqs: number[] = [];
  /** Routing key per workload key, from the "{key}" template. */
  private readonly routingKeys = new Map<string, string>();
  /** Whether messages carry headers (configured ones, or x-delay). */
  private readonly withHeaders: boolean;
  private readonly maxAttempts: number;
  /** Sends planned before the first connection was ready (the application waits for it). */
  private waiting: Outstanding[] = [];
  private everReady = false;
  /** delayed-confirmation: published messages, and resends asked for while the channel was down. */
  private readonly stored = new Map<string, Stored>();
  private pendingResends: ResendRequest[] = [];

  /** The plan's send timers; null before start and after a restart (the plan lived in memory). */
  private sends: PlannedSends | null = null;
  constructor(private readonly options: ProducerOptions) {
    super(options.vhost, options.user, options.heartbeat);
    this.maxAttempts = options.outbox ? options.outbox.maxAttempts ?? Number.POSITIVE_INFINITY : 1;
    this.withHeaders = (options.headers !== undefined && Object.keys(options.headers).length > 0) || (options.delay !== undefined && options.delayBy === 'x-delay');
  }

  protected override begin(restarted: boolean): void {
    this.priorities = this.ctx.random('priority');
    if (restarted) {
      notes.note(this.ctx, 'producer-restarted', { resumes: false });
      return;
    }
    this.sends = new PlannedSends(new ProducerPlan(this.options.plan, this.ctx.random('plan'), this.options.duration));
    this.scheduleNext();
    this.connect();
  }

  onPhase(phase: Phase): void {
    if (phase === 'safety') return;
    this.sends?.stop(this.ctx);
  }

  protected setup(): AmqpFrame[] {
    this.publishSeq = 1;
    this.bySeq.clear();
    return this.options.confirm ? [{ type: 'confirm.select', conn: this.conn!, channel: this.channel }] : [];
  }

  protected onReady(): void {
    this.everReady = true;
    const waiting = this.waiting;
    this.waiting = [];
    for (const o of waiting) if (this.outstanding.get(o.id) !== undefined) this.publish(o);
    const resends = this.pendingResends;
    this.pendingResends = [];
    for (const request of resends) this.resend(request);
  }

  override receive(from: string, message: Message): void {
    const m = asProducerMessage(message);
    if (m.type === 'resend.request') {
      this.onResendRequest(m);
      return;
    }
    super.receive(from, m);
  }

  protected onLost(why: string): void {
    this.bySeq.clear();
    if (why.startsWith('connection.close') && !this.everReady) {
      // The broker refused the connection (530): the application's connect fails, so do its sends.
      this.everReady = true;
      const waiting = this.waiting;
      this.waiting = [];
      for (const o of waiting) if (this.options.outbox) o.timer = this.attemptTimer(o, 0, this.options.outbox.resendAfter);
      else this.settle(o, 'fail', why);
    }
    // A channel error (403, 404) answers the latest publish: that one was refused for sure.
    const refused = why.startsWith('channel.close 40');
    let latest: Outstanding | null = null;
    for (const o of this.outstanding.values()) if (o.seq !== 0 && (latest === null || o.seq > latest.seq)) latest = o;
    for (const o of [...this.outstanding.values()]) {
      if (o.seq === 0) continue;
      o.seq = 0;
      if (this.options.outbox) continue;
      if (refused && o === latest) this.settle(o, 'fail', why);
      else this.settle(o, 'info', why);
    }
  }

  protected onFrame(frame: ServerChannelMethod): void {
    switch (frame.type) {
      case 'basic.ack':
      case 'basic.nack': {
        const covered = this.covered;
        const seqs = this.coveredSeqs;
        covered.length = 0;
        seqs.length = 0;
        if (frame.multiple) this.bySeq.takeUpTo(frame.deliveryTag, covered, seqs);
        else {
          const o = this.bySeq.take(frame.deliveryTag);
          if (o !== undefined) {
            covered.push(o);
            seqs.push(frame.deliveryTag);
          }
        }
        for (let i = 0; i < covered.length; i++) {
          const o = covered[i]!;
          // A settled message has seq 0.
          if (o.seq !== seqs[i]) continue;
          o.seq = 0;
          if (frame.type === 'basic.ack') {
            if (o.returned) this.settle(o, 'fail', 'NO_ROUTE');
            else this.settle(o, 'ok');
          } else if (!this.options.outbox) {
            this.settle(o, 'fail', 'nack');
          } else {
            notes.note(this.ctx, 'publish-nacked', { msg: o.msg, attempt: o.attempts });
          }
        }
        return;
      }
      case 'basic.return': {
        const id = frame.content.properties.messageId;
        const seq = Number(id.slice(id.lastIndexOf('-') + 1));
        const o = Number.isInteger(seq) ? this.outstanding.get(seq) : undefined;
        if (o && o.msg === id) o.returned = true;
        notes.note(this.ctx, 'basic.return', { msg: frame.content.properties.messageId, replyCode: frame.replyCode, exchange: frame.exchange, routingKey: frame.routingKey });
        return;
      }
      case 'basic.deliver':
      case 'basic.get-ok':
      case 'basic.get-empty':
      case 'basic.cancel-ok':
        return; // a producer consumes nothing
      default:
        return unreachable(frame, 'frame to a producer');
    }
  }

  onTimer(...args: TimerArgs<ProducerTimer>): void {
    switch (args[0]) {
      case 'send':
        return this.onSend(args[1]);
      case 'attempt-timeout': {
        const timer = args[1];
        if (typeof timer === 'number') this.onAttemptTimeout(timer, 1);
        else this.onAttemptTimeout(timer.id, timer.attempt);
        return;
      }
      case 'connect-timeout':
      case 'heartbeat':
      case 'reopen-channel':
      case 'reconnect':
        return this.onConnectionTimer(...args);
      default:
        return unreachable(args[0], 'producer timer');
    }
  }

  private scheduleNext(): void {
    this.sends!.scheduleNext(this.ctx);
  }

  private onSend(send: PlannedSend): void {
    if (!this.sends!.fired()) return;
    this.scheduleNext();
    const msg = messageId(this.ctx.name, send.seq);
    const routingKey = this.routingKeyFor(send.key ?? '');
    const invoke: NewHistoryOp = { time: this.ctx.trueNow(), process: this.ctx.name, type: 'invoke', f: 'send', msg };
    if (send.key !== undefined) invoke.key = send.key;
    if (this.options.delay !== undefined) invoke.delay = this.options.delay;
    this.options.history.record(invoke);
    const o: Outstanding = { id: send.seq, msg, key: send.key, routingKey, content: this.content(msg, send), attempts: 0, seq: 0, returned: false, timer: null };
    this.outstanding.set(send.seq, o);
    if (this.ready) {
      this.publish(o);
      return;
    }
    if (!this.everReady) {
      this.waiting.push(o);
      return;
    }
    if (!this.options.outbox) {
      this.settle(o, 'fail', 'connection closed');
      return;
    }
    // The outbox keeps it and tries when its resend timer fires.
    o.timer = this.attemptTimer(o, 0, this.options.outbox.resendAfter);
  }

  private routingKeyFor(key: string): string {
    let routingKey = this.routingKeys.get(key);
    if (routingKey === undefined) {
      routingKey = this.options.routingKey.split('{key}').join(key);
      this.routingKeys.set(key, routingKey);
    }
    return routingKey;
  }

  private content(msg: string, send: PlannedSend): Content {
    const opts = this.options;
    const properties: Properties = { deliveryMode: opts.persistent ? 2 : 1, messageId: msg, timestamp: this.ctx.now() };
    const priority = Array.isArray(opts.priority) ? this.priorities.pick(opts.priority) : opts.priority;
    if (priority !== undefined) properties.priority = priority;
    let expiration = opts.expiration;
    if (opts.delay !== undefined && opts.delayBy === 'expiration') expiration = opts.delay;
    if (expiration !== undefined) properties.expiration = expiration;
    if (this.withHeaders) {
      const headers: Record<string, HeaderValue> = { ...(opts.headers ?? {}) };
      if (opts.delay !== undefined && opts.delayBy === 'x-delay') headers['x-delay'] = Math.round(opts.delay / 1000);
      properties.headers = headers;
    }
    return { properties, key: send.key, bytes: send.bytes };
  }

  private publish(o: Outstanding): void {
    o.attempts++;
    o.returned = false;
    const opts = this.options;
    this.sendFrame({
      type: 'basic.publish', conn: this.conn!, channel: this.channel, exchange: opts.exchange, routingKey: o.routingKey,
      mandatory: opts.mandatory, content: o.content,
    }, FRAME_BYTES + o.content.bytes);
    if (opts.delayedConfirmation !== undefined && !this.stored.has(o.msg)) {
      this.stored.set(o.msg, { routingKey: o.routingKey, content: o.content });
      this.publishCheck(o.content, 1);
    }
    if (!opts.confirm) {
      this.settle(o, 'ok');
      return;
    }
    o.seq = this.publishSeq++;
    this.bySeq.set(o.seq, o);
    const wait = opts.outbox ? opts.outbox.resendAfter : opts.confirmTimeout;
    o.timer = this.attemptTimer(o, o.attempts, wait);
  }

  /**
   * delayed-confirmation: the check message for send `attempt` of a message. With confirms it takes a
   * publish sequence number like any publish; its confirm is mapped to no outstanding message.
   */
  private publishCheck(main: Content, attempt: number): void {
    const dc = this.options.delayedConfirmation!;
    const content = checkContent(main, attempt, dc, this.ctx.now());
    this.sendFrame({
      type: 'basic.publish', conn: this.conn!, channel: this.channel, exchange: dc.checkExchange, routingKey: dc.checkRoutingKey,
      mandatory: false, content,
    }, FRAME_BYTES + content.bytes);
    if (this.options.confirm) this.bySeq.skip(this.publishSeq++);
    this.options.patternStats!.checksSent++;
  }

  private onResendRequest(request: ResendRequest): void {
    if (this.options.delayedConfirmation === undefined || !this.stored.has(request.msg)) {
      notes.note(this.ctx, 'resend-request-ignored', { msg: request.msg });
      return;
    }
    if (this.ready) this.resend(request);
    else this.pendingResends.push(request);
  }

  /** Republishes a stored message (same id and content: no new history op) with a new check message. */
  private resend(request: ResendRequest): void {
    const stored = this.stored.get(request.msg)!;
    notes.note(this.ctx, 'delayed-confirmation-resend', { msg: request.msg, attempt: request.attempt + 1 });
    this.options.patternStats!.resends++;
    this.sendFrame({
      type: 'basic.publish', conn: this.conn!, channel: this.channel, exchange: this.options.exchange, routingKey: stored.routingKey,
      mandatory: this.options.mandatory, content: stored.content,
    }, FRAME_BYTES + stored.content.bytes);
    if (this.options.confirm) this.bySeq.skip(this.publishSeq++);
    this.publishCheck(stored.content, request.attempt + 1);
  }

  private onAttemptTimeout(id: number, attempt: number): void {
    const o = this.outstanding.get(id);
    if (!o || o.attempts !== attempt) return;
    o.timer = null;
    if (o.seq !== 0) this.bySeq.take(o.seq);
    o.seq = 0;
    if (o.attempts >= this.maxAttempts) {
      this.settle(o, 'info', this.options.outbox ? 'outbox gave up' : 'confirm timeout');
      return;
    }
    if (this.ready) {
      notes.note(this.ctx, 'outbox-resend', { msg: o.msg, attempt: o.attempts + 1 });
      this.publish(o);
    } else {
      o.timer = this.attemptTimer(o, o.attempts, this.options.outbox!.resendAfter);
    }
  }

  /** The attempt's confirm (or outbox resend) timer, `wait` from now; none when due after the run's horizon. */
  private attemptTimer(o: Outstanding, attempt: number, wait: Micros): Timer | null {
    if (this.ctx.trueNow() + Math.max(0, Math.round(wait)) > this.options.horizon) return null;
    return timers.set(this.ctx, wait, 'attempt-timeout', attemptTimer(o.id, attempt));
  }

  private settle(o: Outstanding, type: 'ok' | 'fail' | 'info', error?: string): void {
    this.ctx.cancelTimer(o.timer);
    this.outstanding.take(o.id);
    const op: NewHistoryOp = { time: this.ctx.trueNow(), process: this.ctx.name, type, f: 'send', msg: o.msg };
    if (o.key !== undefined) op.key = o.key;
    if (this.options.delay !== undefined) op.delay = this.options.delay;
    if (type === 'ok') op.node = this.broker;
    if (error !== undefined) op.error = error;
    this.options.history.record(op);
  }
}

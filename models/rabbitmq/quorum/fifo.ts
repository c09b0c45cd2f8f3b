import { unreachable } from '../../../sim/timers.js';
import type { Content } from '../protocol.js';
import { ReadyMessages, type QueuedMessage } from '../broker/ready-messages.js';

/**
 * A quorum queue's state machine (RabbitMQ's rabbit_fifo, in outline): what every member applies,
 * in log order, so every member holds the same queue. Commands are what clients and the leader
 * propose through Raft (quorum/raft.ts):
 *
 * - `enqueue` from an enqueuer (a publishing channel) with its sequence number: a resent enqueue
 *   the queue already has is applied as a duplicate (nothing stored, but answered again, so the
 *   publisher's confirm still comes).
 * - `checkout` registers (or updates) a consumer: its node, channel, tag, prefetch (credit) and
 *   whether it settles on delivery (no-ack).
 * - `settle` (basic.ack), `return` (basic.nack/reject with requeue), `discard` (requeue=false:
 *   dead-letter, reason rejected), `cancel` (a closed channel: its messages return; with `keep`,
 *   basic.cancel: no more deliveries, the consumer stays until it has settled what it holds),
 *   `down` (a node is down: its consumers go and their messages return).
 * - `noop`: a new leader's first entry; applying it returns every checked-out message (the
 *   consumers that still exist get them again, redelivered).
 *
 * Ready messages are ordered by their enqueue index, so a returned message goes back near the
 * head (RabbitMQ 4.0), or, following 3.10 (cluster.version), to the back of the queue. Each return counts a delivery attempt (`delivery-count`, shown to consumers as the
 * `x-delivery-count` header, as RabbitMQ 4.0 counts every return); a message returned more than
 * `x-delivery-limit` times (default 20 in RabbitMQ 4.0; -1 for none) is dead-lettered with reason
 * `delivery_limit` (or dropped without a dead-letter exchange). Dispatch is round-robin over the
 * consumers with credit, in registration order.
 *
 * Applying returns effects (confirm an enqueue, deliver, dead-letter); the broker performs them
 * only on the leader.
 */

export interface ConsumerId {
  readonly node: string;
  readonly conn: string;
  readonly channel: number;
  readonly tag: string;
}

export function consumerKey(c: ConsumerId): string {
  return `${c.conn}#${c.channel}#${c.tag}`;
}

export interface Reply {
  readonly node: string;
  readonly req: string;
}

export type FifoCommand =
  | { readonly op: 'enqueue'; readonly enqueuer: string; readonly seq: number; readonly exchange: string; readonly routingKey: string; readonly content: Content; readonly reply?: Reply }
  | { readonly op: 'checkout'; readonly cid: ConsumerId; readonly prefetch: number; readonly noAck: boolean; readonly reply?: Reply }
  | { readonly op: 'settle'; readonly cid: ConsumerId; readonly ids: readonly number[] }
  | { readonly op: 'return'; readonly cid: ConsumerId; readonly ids: readonly number[] }
  | { readonly op: 'discard'; readonly cid: ConsumerId; readonly ids: readonly number[] }
  | { readonly op: 'cancel'; readonly cid: ConsumerId; readonly keep?: boolean; readonly reply?: Reply }
  | { readonly op: 'down'; readonly node: string }
  | { readonly op: 'noop'; readonly leader: string };

export interface FifoMessage extends QueuedMessage {
  deliveryCount: number;
}

export interface Delivery {
  readonly id: number;
  readonly message: FifoMessage;
}

export type FifoEffect =
  | { readonly kind: 'applied'; readonly reply: Reply; readonly duplicate: boolean }
  | { readonly kind: 'deliver'; readonly cid: ConsumerId; readonly deliveries: readonly Delivery[] }
  | { readonly kind: 'dead-letter'; readonly message: FifoMessage; readonly reason: 'rejected' | 'delivery_limit' }
  | { readonly kind: 'dropped'; readonly message: FifoMessage; readonly reason: 'delivery_limit' };

interface FifoConsumer {
  readonly key: string;
  cid: ConsumerId;
  prefetch: number;
  noAck: boolean;
  /** basic.cancel: gets nothing more, goes once its checked-out messages are settled or returned. */
  cancelled?: boolean;
  readonly checkedOut: Map<number, FifoMessage>;
}

export class QuorumFifo {
  readonly ready = new ReadyMessages(0);
  private readonly consumers = new Map<string, FifoConsumer>();
  private order: FifoConsumer[] = [];
  private rr = 0;
  /** Per enqueuer: every seq below `next` applied, plus those applied above it. */
  private readonly enqueuers = new Map<string, { next: number; above: Set<number> }>();
  enqueued = 0;

  /**
   * deliveryLimit < 0: no limit. singleActive (x-single-active-consumer): only the earliest
   * registered consumer still checked out (and not cancelled) gets messages; when it goes, its
   * messages return and the next one takes over.
   */
  constructor(
    private readonly deliveryLimit: number, private readonly hasDeadLetterExchange: boolean, private readonly singleActive = false,
    /** RabbitMQ 3.10: a returned message goes to the back of the queue (version.ts); otherwise back to its place near the head. */
    private readonly returnsToBack = false,
  ) {}

  /** The Raft index being applied, and how many messages it returned so far (back-of-queue positions). */
  private applying = 0;
  private returnedInApply = 0;

  get checkedOut(): number {
    let n = 0;
    for (const c of this.order) n += c.checkedOut.size;
    return n;
  }

  get consumerCount(): number {
    return this.order.length;
  }

  /** Each consumer's checked-out messages by Raft index (for the invariants). */
  *checkedOutBy(): IterableIterator<readonly [string, ReadonlyMap<number, FifoMessage>]> {
    for (const c of this.order) yield [c.key, c.checkedOut];
  }

  /** Message ids held (ready or checked out), for the final read. */
  *messages(): IterableIterator<FifoMessage> {
    for (const m of this.ready) yield m as FifoMessage;
    for (const c of this.order) yield* c.checkedOut.values();
  }

  apply(index: number, cmd: FifoCommand): FifoEffect[] {
    const effects: FifoEffect[] = [];
    this.applying = index;
    this.returnedInApply = 0;
    switch (cmd.op) {
      case 'enqueue': {
        const duplicate = !this.firstTime(cmd.enqueuer, cmd.seq);
        if (!duplicate) {
          const message: FifoMessage = {
            id: index, pos: index, exchange: cmd.exchange, routingKey: cmd.routingKey, content: cmd.content, priority: 0,
            expiresAt: Number.POSITIVE_INFINITY, stored: true, redelivered: false, deliveryCount: 0,
          };
          this.ready.insert(message);
          this.enqueued++;
        }
        if (cmd.reply) effects.push({ kind: 'applied', reply: cmd.reply, duplicate });
        break;
      }
      case 'checkout': {
        const key = consumerKey(cmd.cid);
        const existing = this.consumers.get(key);
        if (existing) {
          existing.prefetch = cmd.prefetch;
          existing.noAck = cmd.noAck;
        } else {
          const consumer: FifoConsumer = { key, cid: cmd.cid, prefetch: cmd.prefetch, noAck: cmd.noAck, checkedOut: new Map() };
          this.consumers.set(key, consumer);
          this.order.push(consumer);
        }
        if (cmd.reply) effects.push({ kind: 'applied', reply: cmd.reply, duplicate: existing !== undefined });
        break;
      }
      case 'settle': {
        const c = this.consumers.get(consumerKey(cmd.cid));
        if (c) for (const id of cmd.ids) c.checkedOut.delete(id);
        if (c?.cancelled && c.checkedOut.size === 0) this.removeConsumer(c, effects);
        break;
      }
      case 'return': {
        const c = this.consumers.get(consumerKey(cmd.cid));
        if (c) for (const id of cmd.ids) this.returnOne(c, id, effects);
        if (c?.cancelled && c.checkedOut.size === 0) this.removeConsumer(c, effects);
        break;
      }
      case 'discard': {
        const c = this.consumers.get(consumerKey(cmd.cid));
        if (!c) break;
        for (const id of cmd.ids) {
          const m = c.checkedOut.get(id);
          if (!m) continue;
          c.checkedOut.delete(id);
          if (this.hasDeadLetterExchange) effects.push({ kind: 'dead-letter', message: m, reason: 'rejected' });
        }
        if (c.cancelled && c.checkedOut.size === 0) this.removeConsumer(c, effects);
        break;
      }
      case 'cancel': {
        const c = this.consumers.get(consumerKey(cmd.cid));
        if (c && cmd.keep && c.checkedOut.size > 0) c.cancelled = true;
        else if (c) this.removeConsumer(c, effects);
        if (cmd.reply) effects.push({ kind: 'applied', reply: cmd.reply, duplicate: c === undefined });
        break;
      }
      case 'down':
        for (const c of [...this.order]) if (c.cid.node === cmd.node) this.removeConsumer(c, effects);
        break;
      case 'noop':
        for (const c of this.order) for (const id of [...c.checkedOut.keys()]) this.returnOne(c, id, effects);
        break;
      default:
        return unreachable(cmd, 'rabbit_fifo command');
    }
    this.dispatch(effects);
    return effects;
  }

  private firstTime(enqueuer: string, seq: number): boolean {
    let e = this.enqueuers.get(enqueuer);
    if (!e) this.enqueuers.set(enqueuer, (e = { next: 1, above: new Set() }));
    if (seq < e.next || e.above.has(seq)) return false;
    if (seq === e.next) {
      e.next++;
      while (e.above.delete(e.next)) e.next++;
    } else {
      e.above.add(seq);
    }
    return true;
  }

  private removeConsumer(c: FifoConsumer, effects: FifoEffect[]): void {
    for (const id of [...c.checkedOut.keys()]) this.returnOne(c, id, effects);
    this.consumers.delete(c.key);
    const at = this.order.indexOf(c);
    this.order.splice(at, 1);
    if (this.rr > at) this.rr--;
    if (this.rr >= this.order.length) this.rr = 0;
  }

  private returnOne(c: FifoConsumer, id: number, effects: FifoEffect[]): void {
    const m = c.checkedOut.get(id);
    if (!m) return;
    c.checkedOut.delete(id);
    m.deliveryCount++;
    if (this.deliveryLimit >= 0 && m.deliveryCount > this.deliveryLimit) {
      effects.push(this.hasDeadLetterExchange ? { kind: 'dead-letter', message: m, reason: 'delivery_limit' } : { kind: 'dropped', message: m, reason: 'delivery_limit' });
      return;
    }
    m.redelivered = true;
    // Back of the queue: after every message enqueued so far (their positions are lower Raft
    // indices) and before any enqueued later; several returned by one command keep their order.
    this.ready.insert(this.returnsToBack ? { ...m, pos: this.applying + ++this.returnedInApply / 1_000_000 } : m);
  }

  private dispatch(effects: FifoEffect[]): void {
    if (this.ready.count === 0 || this.order.length === 0) return;
    const batches = new Map<FifoConsumer, Delivery[]>();
    while (this.ready.count > 0) {
      const c = this.nextConsumer();
      if (!c) break;
      const m = this.ready.shift() as FifoMessage;
      if (!c.noAck) c.checkedOut.set(m.id, m);
      let batch = batches.get(c);
      if (!batch) batches.set(c, (batch = []));
      batch.push({ id: m.id, message: { ...m } });
    }
    for (const [c, deliveries] of batches) effects.push({ kind: 'deliver', cid: c.cid, deliveries });
  }

  private nextConsumer(): FifoConsumer | undefined {
    if (this.singleActive) {
      // The earliest registered consumer not cancelled (a cancelled one still settling its messages gets no more).
      const c = this.order.find((o) => !o.cancelled);
      return c !== undefined && (c.noAck || c.prefetch === 0 || c.checkedOut.size < c.prefetch) ? c : undefined;
    }
    const n = this.order.length;
    for (let i = 0; i < n; i++) {
      const at = (this.rr + i) % n;
      const c = this.order[at]!;
      if (!c.cancelled && (c.noAck || c.prefetch === 0 || c.checkedOut.size < c.prefetch)) {
        this.rr = (at + 1) % n;
        return c;
      }
    }
    return undefined;
  }
}

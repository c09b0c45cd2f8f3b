import { DiskFullError } from '../../../sim/disk.js';
import type { Timer } from '../../../sim/kernel.js';
import type { Micros } from '../../../sim/time.js';
import { notes } from '../notes.js';
import { FRAME_BYTES, REPLY, type BasicConsume, type Content } from '../protocol.js';
import type { QueueArguments } from '../schema.js';
import type { MirrorPolicy } from '../mirrored/misc.js';
import type { RabbitBroker } from './broker.js';
import type { Channel } from './channel.js';
import { vhostKey } from './exchange-routing.js';
import { QueueStore, RECORD_OVERHEAD_BYTES, type RemoteChannel } from './message-store.js';
import { ReadyMessages, type QueuedMessage } from './ready-messages.js';

/**
 * The classic queue process, after rabbit_amqqueue_process: one per classic queue homed on this
 * node, holding its ready messages (ready-messages.ts) and, for a durable queue, its message
 * store (message-store.ts).
 *
 * - Enqueue: overflow first (x-max-length / x-max-length-bytes: reject-publish and
 *   reject-publish-dlx refuse the new message, drop-head, the default, drops the oldest ready
 *   one with reason maxlen), then the store for a persistent (delivery-mode 2) message, then the
 *   ready list at the message's priority (x-max-priority).
 * - Delivery: a message published to an empty queue with a consumer that has room goes straight
 *   to it (never queued, so neither max-length nor TTL touch it); otherwise
 *   the ready head goes to the queue's consumers in round-robin, skipping consumers at
 *   their prefetch limit (basic.qos, per consumer); with no-ack the message is gone when sent.
 *   With x-single-active-consumer only the earliest registered consumer still subscribed gets
 *   messages (the next one takes over when it goes); an exclusive basic.consume is refused (403)
 *   on a queue with consumers, and refuses every later one while it lasts.
 * - TTL (x-message-ttl and the expiration property, the lower) is checked at the head of the
 *   queue only (per priority level), as classic queues do: a message with a short TTL behind a
 *   long one waits. One timer per queue, at the earliest head expiry.
 * - x-expires deletes a queue unused (no consumer) that long; auto-delete one whose last consumer went.
 */

export interface QueueDef {
  readonly vhost: string;
  readonly name: string;
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  readonly args: QueueArguments;
  /** Quorum queue (x-queue-type quorum); classic otherwise. */
  readonly quorum?: boolean;
  /** The node that declared it: a classic queue's home, a quorum queue's first member. Default rabbit-1. */
  readonly node?: string;
  /** A quorum queue's members (x-quorum-initial-group-size nodes from `node` on). */
  readonly members?: readonly string[];
  /** A classic queue mirrored by an ha-* policy (RabbitMQ before 4.0; mirrored/). */
  readonly mirror?: MirrorPolicy;
}

/**
 * A mirrored classic queue's leader side (mirrored/master.ts), on the QueueState of its leader:
 * told of every message that enters or leaves the queue, and blocking delivery while it
 * synchronises a mirror.
 */
export interface QueueMirrorHooks {
  readonly blocked: boolean;
  published(message: QueuedMessage): void;
  removed(message: QueuedMessage): void;
  /** The publisher confirm of the message just published also waits for the mirrors: their confirm parts. */
  claim(channel: Channel, seq: number): readonly string[];
  /** The same for a publish delegated by another node's channel (the delegate.confirm waits). */
  claimRemote(remote: RemoteChannel, seq: number): void;
}

export function isDurableQueue(def: QueueDef): boolean {
  return def.durable && !def.exclusive;
}

export interface QueueState {
  readonly key: string;
  readonly def: QueueDef;
  readonly ready: ReadyMessages;
  readonly maxPriority: number;
  /** x-single-active-consumer: only consumers[0] (the earliest registered still subscribed) gets messages. */
  readonly single: boolean;
  readonly store: QueueStore | null;
  nextPos: number;
  consumers: Consumer[];
  rr: number;
  unacked: number;
  expiryTimer: Timer | null;
  expiryAt: Micros;
  dispatching: boolean;
  lastUsed: Micros;
  hadConsumer: boolean;
  deleted: boolean;
  /**
   * The connection that declared it exclusive with queue.declare (null for every other queue,
   * those the scenario declares included): other connections get 405 RESOURCE_LOCKED, and the
   * queue is deleted when that connection goes (connection.ts).
   */
  owner: string | null;
  /** Mirrored classic queue: the leader's mirroring (mirrored/master.ts). */
  mirror?: QueueMirrorHooks;
}

export interface Consumer {
  readonly tag: string;
  readonly channel: Channel;
  readonly queue: QueueState;
  readonly noAck: boolean;
  readonly prefetch: number;
  /** basic.consume exclusive: the only consumer of its queue. */
  readonly exclusive: boolean;
  /** Became the single active consumer by a failover (its deliveries count as standbyDeliveries). */
  promoted: boolean;
  unacked: number;
}

export type EnqueueOutcome = 'queued' | 'stored' | 'rejected' | 'disk-full';

export class QueueProcess {
  constructor(private readonly broker: RabbitBroker) {}

  declare(def: QueueDef): QueueState {
    const broker = this.broker;
    const key = vhostKey(def.vhost, def.name);
    const maxPriority = def.args['x-max-priority'] ?? 0;
    const queue: QueueState = {
      key, def, ready: new ReadyMessages(maxPriority), maxPriority, single: def.args['x-single-active-consumer'] === true,
      store: isDurableQueue(def) ? new QueueStore(broker.ctx.disk, key) : null,
      nextPos: 0, consumers: [], rr: 0, unacked: 0, expiryTimer: null, expiryAt: Number.POSITIVE_INFINITY,
      dispatching: false, lastUsed: broker.ctx.trueNow(), hadConsumer: false, deleted: false, owner: null,
    };
    broker.queues.set(key, queue);
    this.armQueueExpires(queue);
    return queue;
  }

  delete(queue: QueueState, why: string): void {
    const broker = this.broker;
    queue.deleted = true;
    broker.queues.delete(queue.key);
    broker.topology.unbindQueue(queue.def.vhost, queue.def.name);
    broker.ctx.cancelTimer(queue.expiryTimer);
    const dropped = queue.ready.clear().length;
    for (const consumer of [...queue.consumers]) consumer.channel.consumers.delete(consumer.tag);
    queue.consumers = [];
    if (queue.store) {
      queue.store.deleteAll();
      broker.definitions.append({ kind: 'queue.delete', vhost: queue.def.vhost, name: queue.def.name });
    }
    broker.stats.queuesDeleted++;
    broker.link?.queueDeleted(queue.key);
    notes.note(broker.ctx, 'queue.delete', { vhost: queue.def.vhost, queue: queue.def.name, why, dropped });
    broker.changed('queue.delete');
  }

  /** A restart: the queue's stored messages, read back from its store. */
  recover(queue: QueueState): void {
    const broker = this.broker;
    const live = new Map<number, QueuedMessage>();
    const store = queue.store!;
    for (const record of store.recoverRecords()) {
      if (typeof record === 'number') live.delete(record);
      else live.set(record.id, record);
      broker.nextId = Math.max(broker.nextId, (typeof record === 'number' ? record : record.id) + 1);
    }
    store.recovered(live.values());
    // Whether a recovered message had been delivered is not known after a crash: it is
    // marked redelivered, so a consumer treats it as possibly seen.
    for (const m of live.values()) {
      queue.ready.insert({ ...m, redelivered: true });
      queue.nextPos = Math.max(queue.nextPos, m.pos + 1);
    }
    notes.note(broker.ctx, 'queue-recovered', { vhost: queue.def.vhost, queue: queue.def.name, messages: live.size });
    this.armExpiry(queue);
  }

  // ------------------------------------------------------------------ consumers

  /** basic.consume on this queue (the channel checked access): exclusive use, then registration and delivery. */
  addConsumer(queue: QueueState, channel: Channel, frame: BasicConsume): void {
    const broker = this.broker;
    const exclusive = frame.exclusive === true;
    if (queue.consumers.length > 0 && (exclusive || queue.consumers.some((c) => c.exclusive))) {
      broker.stats.consumeRefused++;
      return broker.channels.error(channel, REPLY.ACCESS_REFUSED, `ACCESS_REFUSED - queue '${frame.queue}' in vhost '${channel.conn.vhost}' in exclusive use`);
    }
    const consumer: Consumer = { tag: frame.consumerTag, channel, queue, noAck: frame.noAck, prefetch: channel.prefetch, exclusive, promoted: false, unacked: 0 };
    channel.consumers.set(consumer.tag, consumer);
    queue.consumers.push(consumer);
    if (queue.single) notes.note(broker.ctx, queue.consumers.length === 1 ? 'sac-active' : 'sac-waiting', { queue: queue.def.name, consumerTag: consumer.tag, client: channel.conn.client });
    queue.hadConsumer = true;
    queue.lastUsed = broker.ctx.trueNow();
    broker.send(channel.conn, { type: 'basic.consume-ok', conn: channel.conn.id, channel: channel.number, consumerTag: consumer.tag });
    this.dispatch(queue);
    broker.changed('basic.consume');
  }

  removeConsumer(consumer: Consumer): void {
    const broker = this.broker;
    consumer.channel.consumers.delete(consumer.tag);
    const queue = consumer.queue;
    const at = queue.consumers.indexOf(consumer);
    if (at < 0) return;
    queue.consumers.splice(at, 1);
    if (queue.rr > at) queue.rr--;
    broker.changed('consumer removed');
    if (queue.single && at === 0 && queue.consumers.length > 0) {
      // The next registered consumer takes over (the unacked messages of a closed channel were requeued first).
      const next = queue.consumers[0]!;
      next.promoted = true;
      broker.stats.sacFailovers++;
      notes.note(broker.ctx, 'sac-active', { queue: queue.def.name, consumerTag: next.tag, client: next.channel.conn.client, after: consumer.tag });
      this.dispatch(queue);
    }
    if (queue.consumers.length === 0) {
      queue.lastUsed = broker.ctx.trueNow();
      if (queue.def.autoDelete && queue.hadConsumer && !queue.deleted) this.delete(queue, 'auto-delete');
      else this.armQueueExpires(queue);
    }
  }

  private armQueueExpires(queue: QueueState): void {
    const expires = queue.def.args['x-expires'];
    if (expires === undefined || queue.consumers.length > 0) return;
    const ctx = this.broker.ctx;
    this.broker.timers.set(ctx, Math.max(0, queue.lastUsed + expires - ctx.trueNow()), 'queue-expires', queue);
  }

  /** The x-expires timer: delete the queue if it has been unused for that long. */
  checkQueueExpires(queue: QueueState): void {
    const expires = queue.def.args['x-expires'];
    if (expires === undefined || queue.deleted || queue.consumers.length > 0) return;
    if (this.broker.ctx.trueNow() - queue.lastUsed >= expires) this.delete(queue, 'x-expires');
    else this.armQueueExpires(queue);
  }

  // ------------------------------------------------------------------ enqueue

  /**
   * Puts a message into a queue: overflow first (reject-publish refuses it when the queue is
   * full), then the store for a persistent message in a durable queue, then the ready list,
   * then drop-head, then delivery.
   */
  enqueue(queue: QueueState, exchange: string, routingKey: string, content: Content): EnqueueOutcome {
    const broker = this.broker;
    const args = queue.def.args;
    const overflow = args['x-overflow'] ?? 'drop-head';
    const maxLength = args['x-max-length'];
    const maxBytes = args['x-max-length-bytes'];
    const now = broker.ctx.trueNow();
    const props = content.properties;
    const priority = queue.maxPriority > 0 ? Math.min(props.priority ?? 0, queue.maxPriority) : 0;
    const queueTtl = args['x-message-ttl'];
    const ttl = queueTtl === undefined ? props.expiration : props.expiration === undefined ? queueTtl : Math.min(queueTtl, props.expiration);
    const stored = queue.store !== null && props.deliveryMode === 2;
    const message: QueuedMessage = {
      id: broker.nextId++, pos: queue.nextPos++, exchange, routingKey, content, priority,
      expiresAt: ttl === undefined ? Number.POSITIVE_INFINITY : now + ttl, stored, redelivered: false,
    };
    if (overflow !== 'drop-head') {
      const full = (maxLength !== undefined && queue.ready.count >= maxLength)
        || (maxBytes !== undefined && queue.ready.bytes + content.bytes > maxBytes);
      if (full) {
        broker.stats.rejectedPublishes++;
        notes.note(broker.ctx, 'overflow-reject', { queue: queue.def.name, msg: props.messageId, overflow });
        if (overflow === 'reject-publish-dlx') broker.deadLettering.deadLetter(queue, message, 'maxlen');
        return 'rejected';
      }
    }
    // A consumer waiting on an empty queue gets the message straight away, before it is queued:
    // max-length (drop-head) and TTL apply only to messages that wait in the queue, so
    // x-max-length 0 or a TTL of 0 still reach a waiting consumer (RabbitMQ's attempt_delivery).
    const waiting = queue.ready.count === 0 && queue.mirror?.blocked !== true ? this.nextConsumer(queue) : undefined;
    if (stored) {
      try {
        queue.store!.publish(message, content.bytes + RECORD_OVERHEAD_BYTES);
      } catch (error) {
        if (!(error instanceof DiskFullError)) throw error;
        notes.note(broker.ctx, 'disk-full', { queue: queue.def.name, msg: props.messageId });
        return 'disk-full';
      }
      broker.storeSync.markDirty();
    }
    queue.mirror?.published(message);
    if (waiting !== undefined) {
      this.deliver(waiting, message);
      return stored ? 'stored' : 'queued';
    }
    queue.ready.insert(message);
    if (overflow === 'drop-head') {
      while ((maxLength !== undefined && queue.ready.count > maxLength) || (maxBytes !== undefined && queue.ready.bytes > maxBytes)) {
        const head = queue.ready.shift()!;
        broker.stats.overflowDropped++;
        this.removeStored(queue, head);
        notes.note(broker.ctx, 'overflow-drop-head', { queue: queue.def.name, msg: head.content.properties.messageId });
        broker.deadLettering.deadLetter(queue, head, 'maxlen');
      }
    }
    this.dispatch(queue);
    return stored ? 'stored' : 'queued';
  }

  // ------------------------------------------------------------------ delivery

  /** Hands ready messages to consumers with room, round-robin, expiring heads first. */
  dispatch(queue: QueueState): void {
    if (queue.dispatching || queue.deleted || queue.mirror?.blocked === true) return;
    queue.dispatching = true;
    for (;;) {
      this.expireHeads(queue);
      if (queue.ready.count === 0) break;
      const consumer = this.nextConsumer(queue);
      if (!consumer) break;
      this.deliver(consumer, queue.ready.shift()!);
    }
    queue.dispatching = false;
    this.armExpiry(queue);
  }

  private nextConsumer(queue: QueueState): Consumer | undefined {
    if (queue.single) {
      const active = queue.consumers[0];
      return active !== undefined && (active.noAck || active.prefetch === 0 || active.unacked < active.prefetch) ? active : undefined;
    }
    const n = queue.consumers.length;
    for (let i = 0; i < n; i++) {
      const at = (queue.rr + i) % n;
      const consumer = queue.consumers[at]!;
      if (consumer.noAck || consumer.prefetch === 0 || consumer.unacked < consumer.prefetch) {
        queue.rr = (at + 1) % n;
        return consumer;
      }
    }
    return undefined;
  }

  private deliver(consumer: Consumer, message: QueuedMessage): void {
    const broker = this.broker;
    const channel = consumer.channel;
    const queue = consumer.queue;
    const deliveryTag = channel.nextDeliveryTag++;
    if (message.redelivered) broker.stats.redelivered++;
    if (consumer.promoted) broker.stats.standbyDeliveries++;
    broker.send(channel.conn, {
      type: 'basic.deliver', conn: channel.conn.id, channel: channel.number, consumerTag: consumer.tag, deliveryTag,
      redelivered: message.redelivered, exchange: message.exchange, routingKey: message.routingKey, queue: queue.def.name,
      content: message.content,
    }, FRAME_BYTES + message.content.bytes);
    if (consumer.noAck) {
      this.removeStored(queue, message);
      return;
    }
    channel.unacked.set(deliveryTag, { tag: deliveryTag, queue, message, consumer });
    consumer.unacked++;
    queue.unacked++;
  }

  /**
   * basic.get: the ready head (expired heads dropped first) to the channel as basic.get-ok,
   * unacked there unless no-ack, or basic.get-empty. A basic.get counts as a use for x-expires.
   */
  get(queue: QueueState, channel: Channel, noAck: boolean): void {
    const broker = this.broker;
    const conn = channel.conn;
    queue.lastUsed = broker.ctx.trueNow();
    this.expireHeads(queue);
    const message = queue.ready.shift();
    // The message-count is of what is left once heads that have expired behind it are dropped.
    if (message !== undefined) this.expireHeads(queue);
    if (message === undefined) {
      broker.send(conn, { type: 'basic.get-empty', conn: conn.id, channel: channel.number });
    } else {
      const deliveryTag = channel.nextDeliveryTag++;
      if (message.redelivered) broker.stats.redelivered++;
      broker.send(conn, {
        type: 'basic.get-ok', conn: conn.id, channel: channel.number, deliveryTag, redelivered: message.redelivered,
        exchange: message.exchange, routingKey: message.routingKey, messageCount: queue.ready.count, queue: queue.def.name, content: message.content,
      }, FRAME_BYTES + message.content.bytes);
      if (noAck) this.removeStored(queue, message);
      else {
        channel.unacked.set(deliveryTag, { tag: deliveryTag, queue, message, consumer: null });
        queue.unacked++;
      }
    }
    this.armExpiry(queue);
  }

  /** A message back to its original position (basic.nack / basic.reject with requeue, a closed channel), redelivered. */
  requeue(queue: QueueState, message: QueuedMessage): void {
    message.redelivered = true;
    queue.ready.insert(message);
    this.broker.stats.requeued++;
  }

  // ------------------------------------------------------------------ TTL at the head

  private expireHeads(queue: QueueState): void {
    const broker = this.broker;
    const now = broker.ctx.trueNow();
    for (let m = queue.ready.shiftExpired(now); m !== undefined; m = queue.ready.shiftExpired(now)) {
      broker.stats.expired++;
      this.removeStored(queue, m);
      broker.deadLettering.deadLetter(queue, m, 'expired');
    }
  }

  /** One timer per queue at the earliest head expiry. */
  private armExpiry(queue: QueueState): void {
    if (queue.deleted) return;
    const next = queue.ready.nextHeadExpiry();
    if (next === queue.expiryAt) return;
    const ctx = this.broker.ctx;
    ctx.cancelTimer(queue.expiryTimer);
    queue.expiryTimer = null;
    queue.expiryAt = next;
    if (next !== Number.POSITIVE_INFINITY) queue.expiryTimer = this.broker.timers.set(ctx, Math.max(0, next - ctx.trueNow()), 'expire', queue);
  }

  /** The head-expiry timer fired. */
  onExpiryTimer(queue: QueueState): void {
    if (queue.deleted || this.broker.queues.get(queue.key) !== queue) return;
    queue.expiryTimer = null;
    queue.expiryAt = Number.POSITIVE_INFINITY;
    this.dispatch(queue);
  }

  /** Removing a stored message from its queue is an `ack` record in the store. */
  removeStored(queue: QueueState, message: QueuedMessage): void {
    queue.mirror?.removed(message);
    if (!message.stored || !queue.store || queue.deleted) return;
    const broker = this.broker;
    try {
      queue.store.ack(message);
      broker.storeSync.markDirty();
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      notes.note(broker.ctx, 'disk-full', { queue: queue.def.name, ackOf: message.content.properties.messageId });
    }
  }
}

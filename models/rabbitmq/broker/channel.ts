import { DiskFullError } from '../../../sim/disk.js';
import { notes } from '../notes.js';
import type { BasicAck, BasicConsume, BasicGet, BasicPublish, ChannelMethod, QueueDeclare } from '../protocol.js';
import { FRAME_BYTES, REPLY } from '../protocol.js';
import { unreachable } from '../../../sim/timers.js';
import type { RabbitBroker } from './broker.js';
import type { Connection } from './connection.js';
import { isDurableQueue, type Consumer, type QueueState } from './queue-process.js';
import type { QueuedMessage } from './ready-messages.js';
import { vhostKey } from './exchange-routing.js';

/**
 * The channel, after rabbit_channel: what the broker does for each AMQP channel of a connection.
 *
 * - Publisher confirms (confirm.select): every basic.publish on a confirm channel gets a
 *   sequence number; the channel answers basic.ack once every queue the message was routed to
 *   has it (for a persistent message in a durable queue: once the store's fsync covered it, see
 *   message-store.ts), basic.nack when a queue refused it (overflow reject-publish, disk full),
 *   at once for an unroutable message (after basic.return when mandatory). Confirms of a channel's
 *   oldest outstanding publishes go out as one basic.ack with multiple=true.
 * - basic.qos: the prefetch count each later basic.consume of the channel gets.
 * - Unacked tracking: every delivery that is not no-ack gets the channel's next delivery tag and
 *   stays unacked on this channel until basic.ack (settled), basic.nack / basic.reject (requeued
 *   at its original position with redelivered set, or dead-lettered with reason rejected) or the
 *   channel's close (requeued). An unknown delivery tag is a channel error (406).
 * - Consumers of queues on other nodes and of quorum queues are the cluster link's (cluster/link.ts).
 */

export interface Channel {
  readonly conn: Connection;
  readonly number: number;
  open: boolean;
  confirm: boolean;
  publishSeq: number;
  /** Confirm sequence numbers not yet acked or nacked, ascending. */
  readonly outstanding: AscendingSeqs;
  prefetch: number;
  readonly consumers: Map<string, Consumer>;
  /** Delivery tag -> unacked delivery, ascending. */
  readonly unacked: Map<number, Unacked | RemoteUnacked>;
  /** Consumers of queues on other nodes or of quorum queues (cluster only). */
  remoteConsumers?: Map<string, RemoteConsumer>;
  /** Publishes waiting on other nodes too: seq -> parts outstanding (cluster only). */
  pending?: Map<number, PendingConfirm>;
  /** Quorum enqueue sequence of this channel (its enqueuer id is node/conn#channel). */
  quorumSeq?: number;
  nextDeliveryTag: number;
}

/** A delivery from a queue on this node, unacked on its channel. */
export interface Unacked {
  readonly remote?: undefined;
  readonly tag: number;
  readonly queue: QueueState;
  readonly message: QueuedMessage;
  /** The consumer it was delivered to; null for a basic.get. */
  readonly consumer: Consumer | null;
}

/** A consumer on this node's channel of a queue served elsewhere (a classic queue's home, a quorum queue's leader). */
export interface RemoteConsumer {
  readonly tag: string;
  readonly channel: Channel;
  readonly key: string;
  readonly queue: string;
  readonly quorum: boolean;
  /** Classic: the queue's home node. */
  readonly node: string;
  readonly noAck: boolean;
  readonly prefetch: number;
}

/** A delivery from a remote queue: `id` is the home node's delivery tag (classic) or the message's Raft index (quorum). */
export interface RemoteUnacked {
  readonly tag: number;
  readonly remote: RemoteConsumer;
  readonly id: number;
}

export interface PendingConfirm {
  remaining: number;
  nack: boolean;
  /** Classic queues' home nodes still to answer (a nodedown nacks their parts). */
  readonly nodes: string[];
}

/** A new open channel (number `number` of `conn`), with no consumer and nothing unacked. */
export function newChannel(conn: Connection, number: number, prefetch: number): Channel {
  return {
    conn, number, open: true, confirm: false, publishSeq: 1, outstanding: new AscendingSeqs(), prefetch,
    consumers: new Map(), unacked: new Map(), nextDeliveryTag: 1,
  };
}

export class ChannelHandler {
  constructor(private readonly broker: RabbitBroker) {}

  /** A method on an open channel. */
  onMethod(from: string, channel: Channel, frame: ChannelMethod): void {
    const broker = this.broker;
    const conn = channel.conn;
    switch (frame.type) {
      case 'confirm.select':
        channel.confirm = true;
        broker.send(conn, { type: 'confirm.select-ok', conn: conn.id, channel: channel.number });
        return;
      case 'basic.qos':
        channel.prefetch = frame.prefetchCount;
        broker.send(conn, { type: 'basic.qos-ok', conn: conn.id, channel: channel.number });
        return;
      case 'queue.declare':
        return this.declareQueue(channel, frame);
      case 'basic.consume':
        return this.consume(channel, frame);
      case 'basic.cancel': {
        const consumer = channel.consumers.get(frame.consumerTag);
        if (consumer) broker.queueProcess.removeConsumer(consumer);
        else if (channel.remoteConsumers?.has(frame.consumerTag)) broker.link?.cancel(channel, frame.consumerTag);
        broker.send(conn, { type: 'basic.cancel-ok', conn: conn.id, channel: channel.number, consumerTag: frame.consumerTag });
        return;
      }
      case 'basic.publish':
        return this.publish(channel, frame);
      case 'basic.get':
        return this.get(channel, frame);
      case 'basic.ack':
        return this.ack(channel, frame);
      case 'basic.nack':
        return this.nack(channel, frame.deliveryTag, frame.multiple, frame.requeue);
      case 'basic.reject':
        return this.nack(channel, frame.deliveryTag, false, frame.requeue);
      case 'channel.close':
        // Closed by the client: as on any channel close, unacked deliveries are requeued
        // (redelivered) and its consumers cancelled. (channel.close-ok is not modelled.)
        this.close(channel);
        return;
      // Methods a client does not send to the broker (or the model's clients never send).
      case 'channel.open':
      case 'channel.open-ok':
      case 'confirm.select-ok':
      case 'queue.declare-ok':
      case 'basic.qos-ok':
      case 'basic.consume-ok':
      case 'basic.cancel-ok':
      case 'basic.return':
      case 'basic.deliver':
      case 'basic.get-ok':
      case 'basic.get-empty':
        notes.note(broker.ctx, 'unexpected-frame', { from, type: frame.type });
        return;
      default:
        return unreachable(frame, 'channel method');
    }
  }

  /**
   * queue.declare, after rabbit_channel and rabbit_amqqueue (3.10): a passive one answers with
   * the counts if the queue exists (404 otherwise); another declares the queue, or, when it
   * exists, checks that it is the same queue. A queue another connection declared exclusive is
   * refused with 405 RESOURCE_LOCKED (passive too); so is, for a non-passive declare, one whose
   * exclusivity differs from the declare's (the check is strict there). Then durable and
   * auto-delete must match (406). Declaring at run time is modelled on a single node only.
   */
  private declareQueue(channel: Channel, frame: QueueDeclare): void {
    const broker = this.broker;
    const conn = channel.conn;
    const vhost = conn.vhost;
    const key = vhostKey(vhost, frame.queue);
    if (broker.link !== null) return this.error(channel, REPLY.NOT_IMPLEMENTED, `NOT_IMPLEMENTED - queue.declare of queue '${frame.queue}' in vhost '${vhost}' in a cluster is not modelled`);
    let queue = broker.queues.get(key);
    if (frame.passive && !queue) return this.error(channel, REPLY.NOT_FOUND, `NOT_FOUND - no queue '${frame.queue}' in vhost '${vhost}'`);
    if (!frame.passive && !broker.connectionHandler.allowed(conn, 'configure', frame.queue)) {
      return this.error(channel, REPLY.ACCESS_REFUSED, `ACCESS_REFUSED - access to queue '${frame.queue}' in vhost '${vhost}' refused for user '${conn.user}'`);
    }
    if (queue) {
      // rabbit_amqqueue:check_exclusive_access: lax for a passive declare (an owned queue is refused
      // to other connections only), strict otherwise (the owner must be the declare's: none unless exclusive).
      const refused = frame.passive ? queue.owner !== null && queue.owner !== conn.id : queue.owner !== (frame.exclusive ? conn.id : null);
      if (refused) return this.locked(channel, frame.queue);
      if (!frame.passive) {
        for (const [arg, received, current] of [['durable', frame.durable, queue.def.durable], ['auto_delete', frame.autoDelete, queue.def.autoDelete]] as const) {
          if (received !== current) return this.error(channel, REPLY.PRECONDITION_FAILED, `PRECONDITION_FAILED - inequivalent arg '${arg}' for queue '${frame.queue}' in vhost '${vhost}': received '${received}' but current is '${current}'`);
        }
      }
    } else {
      queue = broker.queueProcess.declare({ vhost, name: frame.queue, durable: frame.durable, exclusive: frame.exclusive, autoDelete: frame.autoDelete, args: {}, node: broker.ctx.name });
      if (frame.exclusive) queue.owner = conn.id;
      else if (isDurableQueue(queue.def)) broker.definitions.append({ kind: 'queue', def: queue.def });
      notes.note(broker.ctx, 'queue.declare', { vhost, queue: frame.queue, durable: frame.durable });
      broker.changed('queue.declare');
    }
    broker.send(conn, { type: 'queue.declare-ok', conn: conn.id, channel: channel.number, queue: frame.queue, messageCount: queue.ready.count, consumerCount: queue.consumers.length });
  }

  /** A queue another connection declared exclusive: 405, whatever the method. */
  private locked(channel: Channel, name: string): void {
    this.error(channel, REPLY.RESOURCE_LOCKED, `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${name}' in vhost '${channel.conn.vhost}'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`);
  }

  consume(channel: Channel, frame: BasicConsume): void {
    const broker = this.broker;
    const queue = broker.queues.get(vhostKey(channel.conn.vhost, frame.queue));
    if (!queue && broker.link?.known(vhostKey(channel.conn.vhost, frame.queue))) {
      if (!broker.connectionHandler.allowed(channel.conn, 'read', frame.queue)) {
        return this.error(channel, REPLY.ACCESS_REFUSED, `ACCESS_REFUSED - access to queue '${frame.queue}' in vhost '${channel.conn.vhost}' refused for user '${channel.conn.user}'`);
      }
      return broker.link.consume(channel, frame, vhostKey(channel.conn.vhost, frame.queue));
    }
    if (!queue) return this.error(channel, REPLY.NOT_FOUND, `NOT_FOUND - no queue '${frame.queue}' in vhost '${channel.conn.vhost}'`);
    if (queue.owner !== null && queue.owner !== channel.conn.id) return this.locked(channel, frame.queue);
    if (!broker.connectionHandler.allowed(channel.conn, 'read', frame.queue)) {
      return this.error(channel, REPLY.ACCESS_REFUSED, `ACCESS_REFUSED - access to queue '${frame.queue}' in vhost '${channel.conn.vhost}' refused for user '${channel.conn.user}'`);
    }
    broker.queueProcess.addConsumer(queue, channel, frame);
  }

  /** basic.get of a classic queue on this node (not modelled for a queue on another node or a quorum queue: 540). */
  private get(channel: Channel, frame: BasicGet): void {
    const broker = this.broker;
    const vhost = channel.conn.vhost;
    const key = vhostKey(vhost, frame.queue);
    const queue = broker.queues.get(key);
    if (!queue && broker.link?.known(key)) {
      return this.error(channel, REPLY.NOT_IMPLEMENTED, `NOT_IMPLEMENTED - basic.get of queue '${frame.queue}' in vhost '${vhost}' (on another node, or a quorum queue) is not modelled`);
    }
    if (!queue) return this.error(channel, REPLY.NOT_FOUND, `NOT_FOUND - no queue '${frame.queue}' in vhost '${vhost}'`);
    if (queue.owner !== null && queue.owner !== channel.conn.id) return this.locked(channel, frame.queue);
    if (!broker.connectionHandler.allowed(channel.conn, 'read', frame.queue)) {
      return this.error(channel, REPLY.ACCESS_REFUSED, `ACCESS_REFUSED - access to queue '${frame.queue}' in vhost '${vhost}' refused for user '${channel.conn.user}'`);
    }
    broker.queueProcess.get(queue, channel, frame.noAck);
  }

  private publish(channel: Channel, frame: BasicPublish): void {
    const broker = this.broker;
    const seq = channel.confirm ? channel.publishSeq++ : 0;
    if (seq > 0) channel.outstanding.add(seq);
    const vhost = channel.conn.vhost;
    const exchange = broker.topology.exchange(vhost, frame.exchange);
    if (!exchange) return this.error(channel, REPLY.NOT_FOUND, `NOT_FOUND - no exchange '${frame.exchange}' in vhost '${vhost}'`);
    if (!broker.connectionHandler.allowed(channel.conn, 'write', frame.exchange === '' ? 'amq.default' : frame.exchange)) {
      return this.error(channel, REPLY.ACCESS_REFUSED, `ACCESS_REFUSED - access to exchange '${frame.exchange === '' ? 'amq.default' : frame.exchange}' in vhost '${vhost}' refused for user '${channel.conn.user}'`);
    }
    if (exchange.internal) return this.error(channel, REPLY.ACCESS_REFUSED, `ACCESS_REFUSED - cannot publish to internal exchange '${frame.exchange}'`);
    const content = frame.content;
    const route = broker.topology.route(vhost, frame.exchange, frame.routingKey, content.properties.headers, broker.exists);
    let waitForSync = false;
    let rejected = false;
    let diskFull = false;
    if (route.delayedAt) {
      try {
        broker.delayedExchange.hold(vhost, route.delayedAt, frame.routingKey, content);
        waitForSync = true;
      } catch (error) {
        if (!(error instanceof DiskFullError)) throw error;
        diskFull = true;
      }
    } else if (route.queues.length === 0) {
      if (frame.mandatory) {
        broker.stats.returned++;
        broker.send(channel.conn, {
          type: 'basic.return', conn: channel.conn.id, channel: channel.number, replyCode: REPLY.NO_ROUTE, replyText: 'NO_ROUTE',
          exchange: frame.exchange, routingKey: frame.routingKey, content,
        }, FRAME_BYTES + content.bytes);
      } else {
        broker.stats.unroutable++;
      }
    }
    let elsewhere = 0;
    let homes: string[] | null = null;
    for (const key of route.queues) {
      const local = broker.queues.get(key);
      if (local === undefined) {
        // A queue served by another node (classic home) or a quorum queue: the link forwards it.
        elsewhere++;
        broker.link!.publish(channel, seq, key, frame.exchange, frame.routingKey, content, (homes ??= []));
        continue;
      }
      const outcome = broker.queueProcess.enqueue(local, frame.exchange, frame.routingKey, content);
      if (seq > 0 && local.mirror !== undefined && (outcome === 'queued' || outcome === 'stored')) {
        // A mirrored queue's leader: the confirm also waits for every mirror (mirrored/master.ts).
        const parts = local.mirror.claim(channel, seq);
        if (parts.length > 0) {
          elsewhere += parts.length;
          (homes ??= []).push(...parts);
        }
      }
      if (outcome === 'rejected') rejected = true;
      else if (outcome === 'stored') waitForSync = true;
      else if (outcome === 'disk-full') diskFull = true;
    }
    if (seq === 0) return;
    if (elsewhere > 0) return broker.link!.awaitParts(channel, seq, elsewhere, waitForSync, rejected || diskFull, homes ?? []);
    if (rejected || diskFull) this.confirm(channel, [seq], false);
    else if (waitForSync) broker.storeSync.afterSync(channel, seq);
    else this.confirm(channel, [seq], true);
  }

  /**
   * Sends the confirms of `seqs` (ascending) on a channel: one basic.ack with multiple=true when
   * they are all the channel's oldest outstanding ones, otherwise one frame each.
   */
  confirm(channel: Channel, seqs: number[], ack: boolean): void {
    if (!channel.open) return;
    const broker = this.broker;
    const conn = channel.conn;
    if (ack) broker.stats.confirmed += seqs.length;
    const last = seqs[seqs.length - 1]!;
    let prefix = true;
    const covered = channel.outstanding.countUpTo(last);
    if (covered !== seqs.length) prefix = false;
    for (const s of seqs) channel.outstanding.delete(s);
    if (ack && prefix && seqs.length > 1) {
      broker.send(conn, { type: 'basic.ack', conn: conn.id, channel: channel.number, deliveryTag: last, multiple: true });
      return;
    }
    for (const s of seqs) {
      if (ack) broker.send(conn, { type: 'basic.ack', conn: conn.id, channel: channel.number, deliveryTag: s, multiple: false });
      else broker.send(conn, { type: 'basic.nack', conn: conn.id, channel: channel.number, deliveryTag: s, multiple: false, requeue: false });
    }
  }

  /** The unacked deliveries an ack/nack names: one tag, or every tag up to it with multiple (0 = all). */
  private settle(channel: Channel, deliveryTag: number, multiple: boolean): (Unacked | RemoteUnacked)[] | null {
    if (!multiple) {
      const entry = channel.unacked.get(deliveryTag);
      if (!entry) return null;
      channel.unacked.delete(deliveryTag);
      this.release(entry);
      return [entry];
    }
    const entries: (Unacked | RemoteUnacked)[] = [];
    for (const entry of channel.unacked.values()) {
      if (deliveryTag !== 0 && entry.tag > deliveryTag) break;
      entries.push(entry);
    }
    for (const entry of entries) {
      channel.unacked.delete(entry.tag);
      this.release(entry);
    }
    return entries;
  }

  private release(entry: Unacked | RemoteUnacked): void {
    if (entry.remote) return;
    if (entry.consumer !== null) entry.consumer.unacked--;
    entry.queue.unacked--;
  }

  ack(channel: Channel, frame: BasicAck): void {
    const broker = this.broker;
    if (!frame.multiple) {
      // One delivery (the common case): as below, without the lists.
      const entry = channel.unacked.get(frame.deliveryTag);
      if (entry === undefined) return this.error(channel, REPLY.PRECONDITION_FAILED, `PRECONDITION_FAILED - unknown delivery tag ${frame.deliveryTag}`);
      channel.unacked.delete(frame.deliveryTag);
      this.release(entry);
      if (entry.remote) return broker.link!.settleRemote(channel, [entry], 'ack', false);
      if (entry.queue.deleted) return;
      broker.queueProcess.removeStored(entry.queue, entry.message);
      broker.queueProcess.dispatch(entry.queue);
      return;
    }
    const entries = this.settle(channel, frame.deliveryTag, frame.multiple);
    if (entries === null) return this.error(channel, REPLY.PRECONDITION_FAILED, `PRECONDITION_FAILED - unknown delivery tag ${frame.deliveryTag}`);
    const touched = new Set<QueueState>();
    let remote: RemoteUnacked[] | null = null;
    for (const entry of entries) {
      if (entry.remote) {
        (remote ??= []).push(entry);
        continue;
      }
      if (entry.queue.deleted) continue;
      broker.queueProcess.removeStored(entry.queue, entry.message);
      touched.add(entry.queue);
    }
    for (const queue of touched) broker.queueProcess.dispatch(queue);
    if (remote !== null) broker.link!.settleRemote(channel, remote, 'ack', false);
  }

  /** basic.nack and basic.reject: requeued, or dead-lettered with reason rejected. */
  nack(channel: Channel, deliveryTag: number, multiple: boolean, requeue: boolean): void {
    const broker = this.broker;
    const entries = this.settle(channel, deliveryTag, multiple);
    if (entries === null) return this.error(channel, REPLY.PRECONDITION_FAILED, `PRECONDITION_FAILED - unknown delivery tag ${deliveryTag}`);
    const touched = new Set<QueueState>();
    let remote: RemoteUnacked[] | null = null;
    for (const entry of entries) {
      broker.stats.nacked++;
      if (entry.remote) {
        (remote ??= []).push(entry);
        continue;
      }
      const queue = entry.queue;
      if (queue.deleted) continue;
      if (requeue) {
        broker.queueProcess.requeue(queue, entry.message);
      } else {
        broker.queueProcess.removeStored(queue, entry.message);
        broker.deadLettering.deadLetter(queue, entry.message, 'rejected');
      }
      touched.add(queue);
    }
    for (const queue of touched) broker.queueProcess.dispatch(queue);
    if (remote !== null) broker.link!.settleRemote(channel, remote, 'nack', requeue);
    if (requeue) broker.changed('requeue');
  }

  /** Channel gone: its unacked deliveries are requeued (redelivered), its consumers cancelled. */
  close(channel: Channel): void {
    if (!channel.open) return;
    const broker = this.broker;
    channel.open = false;
    const touched = new Set<QueueState>();
    let remotes: Set<RemoteConsumer> | null = null;
    for (const entry of channel.unacked.values()) {
      if (entry.remote) {
        (remotes ??= new Set()).add(entry.remote); // the remote queue requeues them (link.channelClosed)
        continue;
      }
      if (entry.consumer !== null) entry.consumer.unacked--;
      entry.queue.unacked--;
      if (entry.queue.deleted) continue;
      broker.queueProcess.requeue(entry.queue, entry.message);
      touched.add(entry.queue);
    }
    channel.unacked.clear();
    for (const consumer of [...channel.consumers.values()]) broker.queueProcess.removeConsumer(consumer);
    for (const queue of touched) broker.queueProcess.dispatch(queue);
    if (channel.remoteConsumers !== undefined || remotes !== null) broker.link?.channelClosed(channel, remotes);
    broker.changed('channel closed');
  }

  /** A channel error: channel.close with the reply code, then the channel is gone. */
  error(channel: Channel, replyCode: number, replyText: string): void {
    notes.note(this.broker.ctx, 'channel-error', { conn: channel.conn.id, channel: channel.number, replyCode, replyText });
    this.broker.send(channel.conn, { type: 'channel.close', conn: channel.conn.id, channel: channel.number, replyCode, replyText });
    this.close(channel);
  }
}

/**
 * A set of ascending sequence numbers (a channel's unconfirmed publishes): added in increasing
 * order, removed mostly in order, iterated in order. A window of flags from the oldest one still
 * held instead of a hash set.
 */
export class AscendingSeqs {
  private held: boolean[] = [];
  /** The seq of held[0]. */
  private base = 0;
  private head = 0;
  private last = 0;
  /** How many are held. */
  size = 0;

  /** Adds a seq above every one added before. */
  add(seq: number): void {
    if (this.size > 0 && seq <= this.last) throw new Error(`seq ${seq} is not above ${this.last}`);
    if (this.size === 0) {
      this.held = [];
      this.base = seq;
      this.head = 0;
    }
    while (this.base + this.held.length < seq) this.held.push(false);
    this.held.push(true);
    this.last = seq;
    this.size++;
  }

  has(seq: number): boolean {
    const at = seq - this.base;
    return this.size > 0 && at >= this.head && at < this.held.length && this.held[at] === true;
  }

  delete(seq: number): boolean {
    if (!this.has(seq)) return false;
    const held = this.held;
    held[seq - this.base] = false;
    this.size--;
    while (this.head < held.length && !held[this.head]) this.head++;
    if (this.head > 1024 && this.head * 2 > held.length) {
      this.held = held.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
    return true;
  }

  /** How many held seqs are <= last. */
  countUpTo(last: number): number {
    if (this.size === 0) return 0;
    const held = this.held;
    const end = Math.min(last - this.base, held.length - 1);
    let n = 0;
    for (let at = this.head; at <= end; at++) if (held[at]) n++;
    return n;
  }

  *[Symbol.iterator](): IterableIterator<number> {
    if (this.size === 0) return;
    for (let at = this.head; at < this.held.length; at++) if (this.held[at]) yield at + this.base;
  }
}

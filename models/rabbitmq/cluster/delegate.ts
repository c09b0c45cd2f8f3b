import type { RabbitBroker } from '../broker/broker.js';
import { newChannel } from '../broker/channel.js';
import { FRAME_BYTES, type BasicDeliver, type ChannelClose, type DelegateMessage } from '../protocol.js';
import type { ClusterLink } from './link.js';

/**
 * Classic queues reached from another node, after RabbitMQ's delegate: the home node's side of
 * the `delegate.*` calls of cluster/link.ts, and the channel node's side of what comes back.
 *
 * On the queue's home node, a remote channel is a proxy connection and channel (never
 * heartbeat-checked: node monitoring covers them) that publishes, consumes, settles and closes
 * through the home's own channel code, so the queue sees one more local channel. Its deliveries
 * go back to the channel's node, which gives them its own delivery tags (relayDeliver).
 */
type Delegated<T extends DelegateMessage['type']> = Extract<DelegateMessage, { type: T }>;

export class Delegate {
  constructor(private readonly broker: RabbitBroker, private readonly link: ClusterLink) {}

  /** delegate.publish: into the local queue; confirmed to the channel's node (after the fsync when stored). */
  publish(from: string, msg: Delegated<'delegate.publish'>): void {
    const broker = this.broker;
    const queue = broker.queues.get(msg.queue);
    const remote = { node: from, conn: msg.conn, channel: msg.channel };
    if (queue === undefined) {
      if (msg.seq > 0) this.link.confirmRemote(remote, msg.seq, true);
      return;
    }
    const outcome = broker.queueProcess.enqueue(queue, msg.exchange, msg.routingKey, msg.content);
    if (msg.seq === 0) return;
    // A mirrored queue's leader: the delegate.confirm also waits for every mirror (link.confirmRemote holds it).
    if (queue.mirror !== undefined && (outcome === 'queued' || outcome === 'stored')) queue.mirror.claimRemote(remote, msg.seq);
    if (outcome === 'stored') broker.storeSync.afterSyncRemote(remote, msg.seq);
    else this.link.confirmRemote(remote, msg.seq, outcome === 'queued');
  }

  /** delegate.consume: a consumer on the proxy channel (opened now if needed) with the remote channel's prefetch. */
  consume(from: string, msg: Delegated<'delegate.consume'>): void {
    const broker = this.broker;
    let conn = broker.connections.get(msg.conn);
    if (conn === undefined) {
      conn = { id: msg.conn, client: from, vhost: msg.vhost, user: msg.user, heartbeat: 0, lastSeen: broker.ctx.trueNow(), lastCheck: broker.ctx.trueNow(), quietChecks: 0, channels: new Map(), open: true, flow: 'running', held: [] };
      broker.connections.set(conn.id, conn);
    }
    let ch = conn.channels.get(msg.channel);
    if (ch === undefined || !ch.open) {
      ch = newChannel(conn, msg.channel, msg.prefetch);
      conn.channels.set(msg.channel, ch);
    }
    ch.prefetch = msg.prefetch;
    broker.channels.consume(ch, { type: 'basic.consume', conn: conn.id, channel: ch.number, queue: msg.queue, consumerTag: msg.tag, noAck: msg.noAck });
  }

  /** delegate.settle: the remote consumer's acks and nacks, one delivery tag of the proxy channel each. */
  settle(msg: Delegated<'delegate.settle'>): void {
    const broker = this.broker;
    const ch = broker.connections.get(msg.conn)?.channels.get(msg.channel);
    if (ch === undefined || !ch.open) return;
    for (const tag of msg.tags) {
      if (msg.op === 'ack') broker.channels.ack(ch, { type: 'basic.ack', conn: msg.conn, channel: msg.channel, deliveryTag: tag, multiple: false });
      else broker.channels.nack(ch, tag, false, msg.requeue);
    }
  }

  /** delegate.close: the remote channel closed (or its node went down): the proxy closes, its unacked messages return. */
  close(msg: Delegated<'delegate.close'>): void {
    const broker = this.broker;
    const conn = broker.connections.get(msg.conn);
    const ch = conn?.channels.get(msg.channel);
    if (conn === undefined || ch === undefined) return;
    broker.channels.close(ch);
    conn.channels.delete(msg.channel);
  }

  /** delegate.cancel: basic.cancel of the remote consumer. */
  cancel(msg: Delegated<'delegate.cancel'>): void {
    const consumer = this.broker.connections.get(msg.conn)?.channels.get(msg.channel)?.consumers.get(msg.tag);
    if (consumer !== undefined) this.broker.queueProcess.removeConsumer(consumer);
  }

  /** On the channel's node: the home node closed our proxy channel (an error there): the client's channel closes with it. */
  proxyClosed(msg: ChannelClose): void {
    const ch = this.broker.connections.get(msg.conn)?.channels.get(msg.channel);
    if (ch !== undefined && ch.open) this.broker.channels.error(ch, msg.replyCode, msg.replyText);
  }

  /** On the channel's node: a delivery from a classic queue's home for a consumer here: our own delivery tag, then to the client. */
  relayDeliver(from: string, frame: BasicDeliver): void {
    const broker = this.broker;
    const conn = broker.connections.get(frame.conn);
    const ch = conn?.channels.get(frame.channel);
    const rc = ch?.open ? ch.remoteConsumers?.get(frame.consumerTag) : undefined;
    if (conn === undefined || ch === undefined || rc === undefined || rc.quorum || rc.node !== from) {
      this.link.toPeer(from, { type: 'delegate.close', conn: frame.conn, channel: frame.channel }, FRAME_BYTES);
      return;
    }
    const tag = ch.nextDeliveryTag++;
    if (!rc.noAck) ch.unacked.set(tag, { tag, remote: rc, id: frame.deliveryTag });
    broker.send(conn, { ...frame, deliveryTag: tag }, FRAME_BYTES + frame.content.bytes);
  }
}

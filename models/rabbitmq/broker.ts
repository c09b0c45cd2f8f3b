import { DiskFullError, type DiskFile } from '../../sim/disk.js';
import type { Timer } from '../../sim/kernel.js';
import type { Actor, Message, NodeContext } from '../../sim/node.js';
import type { Micros } from '../../sim/time.js';
import type {
  AmqpFrame, BasicAck, BasicConsume, BasicPublish, BasicReject, Content, Properties, XDeath,
} from './protocol.js';
import { FRAME_BYTES, REPLY } from './protocol.js';
import { AscendingSeqs, ReadyMessages, type QueuedMessage } from './queue.js';
import { predeclaredExchanges, Topology, vhostKey, type BindingDef, type ExchangeDef } from './routing.js';
import type { QueueArguments } from './schema.js';
import type { ClusterView, RabbitApp } from './cluster/node.js';
import { QueueStore } from './store.js';
import { ClusterLink } from './cluster/link.js';

/**
 * The RabbitMQ broker (the rabbit application of one node, rabbit-1 when alone): vhosts,
 * exchanges, bindings and the classic queues homed here, and the AMQP 0-9-1 server side of
 * connections and channels. In a cluster, or with quorum queues, `link` (cluster/link.ts) takes
 * every queue this node does not hold: classic queues on other nodes and quorum queues.
 *
 * Topology: declared at the first start from the scenario (notes `exchange.declare`,
 * `queue.declare`, `queue.bind`); the durable part is written to the `definitions` file, and a
 * restarted broker redeclares only what that file kept: transient exchanges and queues (and
 * exclusive queues) are gone, with their messages.
 *
 * Messages: a persistent (delivery-mode 2) message in a durable queue is appended to the queue's
 * store (store.ts: segment files `queue:<vhost>|<name>`, then `queue-segment:<n>:<vhost>|<name>`);
 * removing it (ack, expiry, dead-lettering, drop) appends an ack record, and a segment whose
 * messages have all left is deleted once durable. The store is fsynced in batches: the first unsynced write starts a timer of
 * `fsync.interval`, then one fsync covers everything written so far. A publisher confirm
 * (basic.ack) of a message stored by some queue waits for that fsync; otherwise it is sent at
 * once (transient messages, transient queues, unroutable messages after any basic.return).
 *
 * Delivery: each queue hands its ready head to its consumers in round-robin, skipping consumers
 * at their prefetch limit (basic.qos, per consumer); with no-ack the message is gone when sent.
 * With x-single-active-consumer only the earliest registered consumer still subscribed gets
 * messages (the next one takes over when it goes); an exclusive basic.consume is refused (403)
 * on a queue with consumers, and refuses every later one while it lasts.
 * Unacked messages belong to their channel; closing it (connection dead after the heartbeat
 * timeout, or a channel error) requeues them at their original position with redelivered set.
 *
 * Expiry is checked at the head of the queue only (per priority level), as classic queues do:
 * a message with a short TTL behind a long one waits. Dead-lettering (rejected, expired, maxlen)
 * republishes to the queue's x-dead-letter-exchange with its x-dead-letter-routing-key or the
 * message's own key, with the x-death header updated, and drops the expiration property.
 */

export interface RabbitStats {
  deadLettered: number;
  expired: number;
  returned: number;
  unroutable: number;
  nacked: number;
  requeued: number;
  confirmed: number;
  overflowDropped: number;
  rejectedPublishes: number;
  redelivered: number;
  queuesDeleted: number;
  /** x-single-active-consumer: a waiting consumer became the active one because the active one went away. */
  sacFailovers: number;
  /** Deliveries to consumers that became active by such a failover. */
  standbyDeliveries: number;
  /** basic.consume refused with ACCESS_REFUSED because of an exclusive consumer. */
  consumeRefused: number;
  /** Deliveries an idempotent consumer found already in its group's processed-ids table and did not process. */
  duplicatesSkipped: number;
}

export function emptyStats(): RabbitStats {
  return {
    deadLettered: 0, expired: 0, returned: 0, unroutable: 0, nacked: 0, requeued: 0, confirmed: 0,
    overflowDropped: 0, rejectedPublishes: 0, redelivered: 0, queuesDeleted: 0, sacFailovers: 0, standbyDeliveries: 0, consumeRefused: 0,
    duplicatesSkipped: 0,
  };
}

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
}

/** One set_permissions entry: regexes over resource names (an empty one grants nothing). */
export interface Permission {
  readonly vhost: string;
  readonly user: string;
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

export interface BrokerOptions {
  vhosts: readonly string[];
  /** Vhosts with a permission list; the others let every user do everything. */
  restrictedVhosts?: readonly string[];
  permissions?: readonly Permission[];
  exchanges: readonly ExchangeDef[];
  queues: readonly QueueDef[];
  bindings: readonly BindingDef[];
  /** Server heartbeat timeout (0: off). */
  heartbeat: Micros;
  fsyncInterval: Micros;
  stats: RabbitStats;
  /** Called with the live broker so tests can look inside. */
  onStart?: (broker: RabbitBroker) => void;
  /** In a cluster (cluster.brokers > 1, or quorum queues): the node's view of its peers and the quorum settings. */
  cluster?: ClusterView;
  quorum?: { electionTimeout: Micros; heartbeat: Micros; commandTimeout: Micros };
  /** A quorum queue member became leader (for the control-plane store). */
  onLeader?: (queue: string, leader: string, term: number) => void;
}

type DefinitionRecord =
  | { kind: 'exchange'; def: ExchangeDef }
  | { kind: 'queue'; def: QueueDef }
  | { kind: 'binding'; def: BindingDef }
  | { kind: 'queue.delete'; vhost: string; name: string };
interface DelayedMessage { id: number; vhost: string; exchange: string; routingKey: string; content: Content; dueAt: Micros }
type DelayedRecord = { op: 'put'; m: DelayedMessage } | { op: 'del'; id: number };

const RECORD_OVERHEAD_BYTES = 48;

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
}

interface Consumer {
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

export interface Unacked {
  readonly remote?: undefined;
  readonly tag: number;
  readonly queue: QueueState;
  readonly message: QueuedMessage;
  readonly consumer: Consumer;
}

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

export interface Connection {
  readonly id: string;
  readonly client: string;
  readonly vhost: string;
  readonly user: string;
  readonly heartbeat: Micros;
  lastSeen: Micros;
  readonly channels: Map<number, Channel>;
  open: boolean;
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

export class RabbitBroker implements Actor, RabbitApp {
  ctx!: NodeContext;
  readonly topology = new Topology();
  readonly queues = new Map<string, QueueState>();
  readonly connections = new Map<string, Connection>();
  private definitions!: DiskFile<DefinitionRecord>;
  private delayedFile!: DiskFile<DelayedRecord>;
  private readonly delayed = new Map<number, DelayedMessage>();
  private nextId = 1;
  private syncTimer: Timer | null = null;
  private syncing = false;
  private dirty = false;
  /** Confirms waiting for the next fsync, in publish order. */
  private syncWaiters: { channel: Channel; seq: number; remote?: { node: string; conn: string; channel: number } }[] = [];
  readonly stats: RabbitStats;
  private exists = (key: string): boolean => this.queues.has(key);
  /** Cluster and quorum queue machinery (null on a lone node without quorum queues: the fast path). */
  link: ClusterLink | null = null;

  constructor(private readonly options: BrokerOptions) {
    this.stats = options.stats;
  }

  start(ctx: NodeContext, restarted: boolean): void {
    this.ctx = ctx;
    this.definitions = ctx.disk.file<DefinitionRecord>('definitions');
    this.delayedFile = ctx.disk.file<DelayedRecord>('delayed');
    for (const vhost of this.options.vhosts) for (const def of predeclaredExchanges(vhost)) this.topology.addExchange(def);
    if (this.options.cluster !== undefined || this.options.queues.some((q) => q.quorum)) {
      const link = new ClusterLink(this, this.options);
      this.link = link;
      this.exists = (key) => this.queues.has(key) || link.exists(key);
    }
    if (restarted) this.recover();
    else this.declareAll();
    this.link?.start(restarted);
    this.options.onStart?.(this);
  }

  receive(from: string, message: Message): void {
    if (this.link !== null && this.link.isPeer(from)) return this.link.onPeer(from, message);
    const frame = message as AmqpFrame;
    if (frame.type === 'connection.open') return this.onConnectionOpen(from, frame.conn, frame.vhost, frame.user, frame.heartbeat);
    const conn = this.connections.get(frame.conn);
    if (!conn || !conn.open) {
      // The connection died (heartbeat timeout) or predates a restart: the TCP stack resets it.
      this.sendTo(from, { type: 'tcp.rst', conn: frame.conn }, FRAME_BYTES);
      return;
    }
    conn.lastSeen = this.ctx.trueNow();
    if (frame.type === 'heartbeat') {
      this.sendTo(conn.client, { type: 'heartbeat', conn: conn.id }, 8);
      return;
    }
    if (frame.type === 'channel.open') {
      const channel: Channel = {
        conn, number: frame.channel, open: true, confirm: false, publishSeq: 1, outstanding: new AscendingSeqs(), prefetch: 0,
        consumers: new Map(), unacked: new Map(), nextDeliveryTag: 1,
      };
      conn.channels.set(frame.channel, channel);
      this.send(conn, { type: 'channel.open-ok', conn: conn.id, channel: frame.channel });
      return;
    }
    if (!('channel' in frame)) return;
    const channel = conn.channels.get(frame.channel);
    if (!channel || !channel.open) return; // frames on a closed channel are discarded
    switch (frame.type) {
      case 'confirm.select':
        channel.confirm = true;
        this.send(conn, { type: 'confirm.select-ok', conn: conn.id, channel: channel.number });
        return;
      case 'basic.qos':
        channel.prefetch = frame.prefetchCount;
        this.send(conn, { type: 'basic.qos-ok', conn: conn.id, channel: channel.number });
        return;
      case 'basic.consume':
        return this.onConsume(channel, frame);
      case 'basic.cancel': {
        const consumer = channel.consumers.get(frame.consumerTag);
        if (consumer) this.removeConsumer(consumer);
        else if (channel.remoteConsumers?.has(frame.consumerTag)) this.link?.cancel(channel, frame.consumerTag);
        this.send(conn, { type: 'basic.cancel-ok', conn: conn.id, channel: channel.number, consumerTag: frame.consumerTag });
        return;
      }
      case 'basic.publish':
        return this.onPublish(channel, frame);
      case 'basic.ack':
        return this.onAck(channel, frame);
      case 'basic.nack':
        return this.onNack(channel, frame.deliveryTag, frame.multiple, frame.requeue);
      case 'basic.reject':
        return this.onNack(channel, (frame as BasicReject).deliveryTag, false, frame.requeue);
      default:
        this.ctx.note('unexpected-frame', { from, type: frame.type });
    }
  }

  onTimer(tag: string, data: unknown): void {
    switch (tag) {
      case 'sync':
        return this.onSyncTimer();
      case 'heartbeat-check':
        return this.checkHeartbeat(data as Connection);
      case 'expire': {
        const queue = data as QueueState;
        if (queue.deleted || this.queues.get(queue.key) !== queue) return;
        queue.expiryTimer = null;
        queue.expiryAt = Number.POSITIVE_INFINITY;
        this.dispatch(queue);
        return;
      }
      case 'queue-expires':
        return this.checkQueueExpires(data as QueueState);
      case 'delayed':
        return this.releaseDelayed(data as number);
      case 'link':
        return this.link?.onTimer(data);
    }
  }

  // ------------------------------------------------------------------ topology

  private declareAll(): void {
    const durable: DefinitionRecord[] = [];
    for (const def of this.options.exchanges) {
      this.topology.addExchange(def);
      this.ctx.note('exchange.declare', { vhost: def.vhost, exchange: def.name, type: def.type, durable: def.durable });
      if (def.durable) durable.push({ kind: 'exchange', def });
    }
    for (const def of this.options.queues) {
      if (this.link !== null && !this.link.declaresLocally(def)) {
        if (isDurableQueue(def)) durable.push({ kind: 'queue', def });
        continue;
      }
      this.declareQueue(def);
      this.ctx.note('queue.declare', { vhost: def.vhost, queue: def.name, durable: def.durable });
      if (isDurableQueue(def)) durable.push({ kind: 'queue', def });
    }
    for (const def of this.options.bindings) {
      this.topology.addBinding(def);
      this.ctx.note('queue.bind', { vhost: def.vhost, source: def.source, destination: def.destination, routingKey: def.routingKey });
      if (this.bindingIsDurable(def)) durable.push({ kind: 'binding', def });
    }
    for (const record of durable) this.definitions.append(record, 256);
    this.markDirty();
  }

  private bindingIsDurable(def: BindingDef): boolean {
    const source = this.topology.exchange(def.vhost, def.source);
    if (!source?.durable) return false;
    if (def.destinationType === 'exchange') return this.topology.exchange(def.vhost, def.destination)?.durable ?? false;
    const queue = this.options.queues.find((q) => q.vhost === def.vhost && q.name === def.destination);
    return queue !== undefined && isDurableQueue(queue);
  }

  private declareQueue(def: QueueDef): QueueState {
    const key = vhostKey(def.vhost, def.name);
    const maxPriority = def.args['x-max-priority'] ?? 0;
    const queue: QueueState = {
      key, def, ready: new ReadyMessages(maxPriority), maxPriority, single: def.args['x-single-active-consumer'] === true,
      store: isDurableQueue(def) ? new QueueStore(this.ctx.disk, key) : null,
      nextPos: 0, consumers: [], rr: 0, unacked: 0, expiryTimer: null, expiryAt: Number.POSITIVE_INFINITY,
      dispatching: false, lastUsed: this.ctx.trueNow(), hadConsumer: false, deleted: false,
    };
    this.queues.set(key, queue);
    this.armQueueExpires(queue);
    return queue;
  }

  private deleteQueue(queue: QueueState, why: string): void {
    queue.deleted = true;
    this.queues.delete(queue.key);
    this.topology.unbindQueue(queue.def.vhost, queue.def.name);
    this.ctx.cancelTimer(queue.expiryTimer);
    const dropped = queue.ready.clear().length;
    for (const consumer of [...queue.consumers]) consumer.channel.consumers.delete(consumer.tag);
    queue.consumers = [];
    if (queue.store) {
      queue.store.deleteAll();
      this.appendDefinition({ kind: 'queue.delete', vhost: queue.def.vhost, name: queue.def.name });
    }
    this.stats.queuesDeleted++;
    this.link?.queueDeleted(queue.key);
    this.ctx.note('queue.delete', { vhost: queue.def.vhost, queue: queue.def.name, why, dropped });
  }

  private appendDefinition(record: DefinitionRecord): void {
    try {
      this.definitions.append(record, 256);
      this.markDirty();
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      this.ctx.note('disk-full', { file: 'definitions' });
    }
  }

  /**
   * The final read: message ids still held in a queue, ready or delivered and not yet acked
   * (an unacked delivery comes back when its channel closes), so they count as backlog, not loss.
   */
  storedMessages(into: Set<string>): void {
    for (const queue of this.queues.values()) for (const message of queue.ready) into.add(message.content.properties.messageId);
    for (const conn of this.connections.values()) {
      for (const channel of conn.channels.values()) for (const entry of channel.unacked.values()) if (!entry.remote) into.add(entry.message.content.properties.messageId);
    }
    this.link?.storedMessages(into);
  }

  /** A restarted broker: durable definitions, then each durable queue's stored messages, then the delayed ones. */
  private recover(): void {
    const deleted = new Set<string>();
    const records = this.definitions.records;
    for (const record of records) if (record.kind === 'queue.delete') deleted.add(vhostKey(record.vhost, record.name));
    for (const record of records) {
      if (record.kind === 'exchange') this.topology.addExchange(record.def);
      else if (record.kind === 'queue' && !deleted.has(vhostKey(record.def.vhost, record.def.name)) && (this.link === null || this.link.declaresLocally(record.def))) this.declareQueue(record.def);
    }
    for (const record of records) {
      if (record.kind === 'binding' && (record.def.destinationType === 'exchange' || this.queues.has(vhostKey(record.def.vhost, record.def.destination))
        || (this.link?.known(vhostKey(record.def.vhost, record.def.destination)) ?? false))) {
        this.topology.addBinding(record.def);
      }
    }
    for (const queue of this.queues.values()) {
      const live = new Map<number, QueuedMessage>();
      const store = queue.store!;
      for (const record of store.recoverRecords()) {
        if (typeof record === 'number') live.delete(record);
        else live.set(record.id, record);
        this.nextId = Math.max(this.nextId, (typeof record === 'number' ? record : record.id) + 1);
      }
      store.recovered(live.values());
      // Whether a recovered message had been delivered is not known after a crash: it is
      // marked redelivered, so a consumer treats it as possibly seen.
      for (const m of live.values()) {
        queue.ready.insert({ ...m, redelivered: true });
        queue.nextPos = Math.max(queue.nextPos, m.pos + 1);
      }
      this.ctx.note('queue-recovered', { vhost: queue.def.vhost, queue: queue.def.name, messages: live.size });
      this.armExpiry(queue);
    }
    const pending = new Map<number, DelayedMessage>();
    for (const record of this.delayedFile.records) {
      if (record.op === 'put') pending.set(record.m.id, record.m);
      else pending.delete(record.id);
      this.nextId = Math.max(this.nextId, (record.op === 'put' ? record.m.id : record.id) + 1);
    }
    const now = this.ctx.trueNow();
    for (const m of pending.values()) {
      this.delayed.set(m.id, m);
      this.ctx.setTimer(Math.max(0, m.dueAt - now), 'delayed', m.id);
    }
    this.ctx.note('broker-recovered', { queues: this.queues.size, delayed: pending.size });
  }

  // ------------------------------------------------------------------ connections

  send(conn: Connection, frame: AmqpFrame, bytes = FRAME_BYTES): void {
    this.ctx.send(conn.client, frame, bytes);
  }

  private sendTo(node: string, frame: AmqpFrame, bytes: number): void {
    this.ctx.send(node, frame, bytes);
  }

  private onConnectionOpen(from: string, id: string, vhost: string, user: string, clientHeartbeat: Micros): void {
    let refusal: string | null = null;
    if (!this.options.vhosts.includes(vhost)) refusal = `NOT_ALLOWED - vhost ${vhost} not found`;
    else if (this.permission(vhost, user) === null) refusal = `NOT_ALLOWED - access to vhost '${vhost}' refused for user '${user}'`;
    if (refusal !== null) {
      this.ctx.note('connection-refused', { from, vhost, user, replyCode: REPLY.NOT_ALLOWED, replyText: refusal });
      this.sendTo(from, { type: 'connection.close', conn: id, replyCode: REPLY.NOT_ALLOWED, replyText: refusal }, FRAME_BYTES);
      return;
    }
    const server = this.options.heartbeat;
    // Negotiation: the lower of the two non-zero values; zero on one side means the other's.
    const heartbeat = server === 0 ? clientHeartbeat : clientHeartbeat === 0 ? server : Math.min(server, clientHeartbeat);
    const conn: Connection = { id, client: from, vhost, user, heartbeat, lastSeen: this.ctx.trueNow(), channels: new Map(), open: true };
    this.connections.set(id, conn);
    if (heartbeat > 0) this.ctx.setTimer(heartbeat, 'heartbeat-check', conn);
    this.send(conn, { type: 'connection.open-ok', conn: id, heartbeat });
  }

  /** The user's permissions in a vhost: null when refused, 'all' for an unrestricted vhost. */
  private permission(vhost: string, user: string): Permission | 'all' | null {
    const restricted = this.options.restrictedVhosts;
    if (restricted === undefined || !restricted.includes(vhost)) return 'all';
    return (this.options.permissions ?? []).find((p) => p.vhost === vhost && p.user === user) ?? null;
  }

  /** Does the connection's user have `kind` permission on the named resource? */
  allowed(conn: Connection, kind: 'configure' | 'write' | 'read', resource: string): boolean {
    const permission = this.permission(conn.vhost, conn.user);
    if (permission === 'all') return true;
    if (permission === null || permission[kind] === '') return false;
    return new RegExp(permission[kind]).test(resource);
  }

  private checkHeartbeat(conn: Connection): void {
    if (!conn.open) return;
    const silent = this.ctx.trueNow() - conn.lastSeen;
    if (silent >= conn.heartbeat) {
      this.ctx.note('missed-heartbeats', { conn: conn.id, client: conn.client, silentFor: silent });
      this.closeConnection(conn);
      return;
    }
    this.ctx.setTimer(conn.heartbeat - silent, 'heartbeat-check', conn);
  }

  closeConnection(conn: Connection): void {
    conn.open = false;
    for (const channel of conn.channels.values()) this.closeChannel(channel);
    this.connections.delete(conn.id);
  }

  /** Channel gone: its unacked deliveries are requeued (redelivered), its consumers cancelled. */
  closeChannel(channel: Channel): void {
    if (!channel.open) return;
    channel.open = false;
    const touched = new Set<QueueState>();
    let remotes: Set<RemoteConsumer> | null = null;
    for (const entry of channel.unacked.values()) {
      if (entry.remote) {
        (remotes ??= new Set()).add(entry.remote); // the remote queue requeues them (link.channelClosed)
        continue;
      }
      entry.consumer.unacked--;
      entry.queue.unacked--;
      if (entry.queue.deleted) continue;
      this.requeue(entry.queue, entry.message);
      touched.add(entry.queue);
    }
    channel.unacked.clear();
    for (const consumer of [...channel.consumers.values()]) this.removeConsumer(consumer);
    for (const queue of touched) this.dispatch(queue);
    if (channel.remoteConsumers !== undefined || remotes !== null) this.link?.channelClosed(channel, remotes);
  }

  channelError(channel: Channel, replyCode: number, replyText: string): void {
    this.ctx.note('channel-error', { conn: channel.conn.id, channel: channel.number, replyCode, replyText });
    this.send(channel.conn, { type: 'channel.close', conn: channel.conn.id, channel: channel.number, replyCode, replyText });
    this.closeChannel(channel);
  }

  // ------------------------------------------------------------------ consumers

  onConsume(channel: Channel, frame: BasicConsume): void {
    const queue = this.queues.get(vhostKey(channel.conn.vhost, frame.queue));
    if (!queue && this.link?.known(vhostKey(channel.conn.vhost, frame.queue))) {
      if (!this.allowed(channel.conn, 'read', frame.queue)) {
        return this.channelError(channel, REPLY.ACCESS_REFUSED, `ACCESS_REFUSED - access to queue '${frame.queue}' in vhost '${channel.conn.vhost}' refused for user '${channel.conn.user}'`);
      }
      return this.link.consume(channel, frame, vhostKey(channel.conn.vhost, frame.queue));
    }
    if (!queue) return this.channelError(channel, REPLY.NOT_FOUND, `NOT_FOUND - no queue '${frame.queue}' in vhost '${channel.conn.vhost}'`);
    if (!this.allowed(channel.conn, 'read', frame.queue)) {
      return this.channelError(channel, REPLY.ACCESS_REFUSED, `ACCESS_REFUSED - access to queue '${frame.queue}' in vhost '${channel.conn.vhost}' refused for user '${channel.conn.user}'`);
    }
    const exclusive = frame.exclusive === true;
    if (queue.consumers.length > 0 && (exclusive || queue.consumers.some((c) => c.exclusive))) {
      this.stats.consumeRefused++;
      return this.channelError(channel, REPLY.ACCESS_REFUSED, `ACCESS_REFUSED - queue '${frame.queue}' in vhost '${channel.conn.vhost}' in exclusive use`);
    }
    const consumer: Consumer = { tag: frame.consumerTag, channel, queue, noAck: frame.noAck, prefetch: channel.prefetch, exclusive, promoted: false, unacked: 0 };
    channel.consumers.set(consumer.tag, consumer);
    queue.consumers.push(consumer);
    if (queue.single) this.ctx.note(queue.consumers.length === 1 ? 'sac-active' : 'sac-waiting', { queue: queue.def.name, consumerTag: consumer.tag, client: channel.conn.client });
    queue.hadConsumer = true;
    queue.lastUsed = this.ctx.trueNow();
    this.send(channel.conn, { type: 'basic.consume-ok', conn: channel.conn.id, channel: channel.number, consumerTag: consumer.tag });
    this.dispatch(queue);
  }

  removeConsumer(consumer: Consumer): void {
    consumer.channel.consumers.delete(consumer.tag);
    const queue = consumer.queue;
    const at = queue.consumers.indexOf(consumer);
    if (at < 0) return;
    queue.consumers.splice(at, 1);
    if (queue.rr > at) queue.rr--;
    if (queue.single && at === 0 && queue.consumers.length > 0) {
      // The next registered consumer takes over (the unacked messages of a closed channel were requeued first).
      const next = queue.consumers[0]!;
      next.promoted = true;
      this.stats.sacFailovers++;
      this.ctx.note('sac-active', { queue: queue.def.name, consumerTag: next.tag, client: next.channel.conn.client, after: consumer.tag });
      this.dispatch(queue);
    }
    if (queue.consumers.length === 0) {
      queue.lastUsed = this.ctx.trueNow();
      if (queue.def.autoDelete && queue.hadConsumer && !queue.deleted) this.deleteQueue(queue, 'auto-delete');
      else this.armQueueExpires(queue);
    }
  }

  private armQueueExpires(queue: QueueState): void {
    const expires = queue.def.args['x-expires'];
    if (expires === undefined || queue.consumers.length > 0) return;
    this.ctx.setTimer(Math.max(0, queue.lastUsed + expires - this.ctx.trueNow()), 'queue-expires', queue);
  }

  private checkQueueExpires(queue: QueueState): void {
    const expires = queue.def.args['x-expires'];
    if (expires === undefined || queue.deleted || queue.consumers.length > 0) return;
    if (this.ctx.trueNow() - queue.lastUsed >= expires) this.deleteQueue(queue, 'x-expires');
    else this.armQueueExpires(queue);
  }

  // ------------------------------------------------------------------ publish

  private onPublish(channel: Channel, frame: BasicPublish): void {
    const seq = channel.confirm ? channel.publishSeq++ : 0;
    if (seq > 0) channel.outstanding.add(seq);
    const vhost = channel.conn.vhost;
    const exchange = this.topology.exchange(vhost, frame.exchange);
    if (!exchange) return this.channelError(channel, REPLY.NOT_FOUND, `NOT_FOUND - no exchange '${frame.exchange}' in vhost '${vhost}'`);
    if (!this.allowed(channel.conn, 'write', frame.exchange === '' ? 'amq.default' : frame.exchange)) {
      return this.channelError(channel, REPLY.ACCESS_REFUSED, `ACCESS_REFUSED - access to exchange '${frame.exchange === '' ? 'amq.default' : frame.exchange}' in vhost '${vhost}' refused for user '${channel.conn.user}'`);
    }
    if (exchange.internal) return this.channelError(channel, REPLY.ACCESS_REFUSED, `ACCESS_REFUSED - cannot publish to internal exchange '${frame.exchange}'`);
    const content = frame.content;
    const route = this.topology.route(vhost, frame.exchange, frame.routingKey, content.properties.headers, this.exists);
    let waitForSync = false;
    let rejected = false;
    let diskFull = false;
    if (route.delayedAt) {
      try {
        this.holdDelayed(vhost, route.delayedAt, frame.routingKey, content);
        waitForSync = true;
      } catch (error) {
        if (!(error instanceof DiskFullError)) throw error;
        diskFull = true;
      }
    } else if (route.queues.length === 0) {
      if (frame.mandatory) {
        this.stats.returned++;
        this.send(channel.conn, {
          type: 'basic.return', conn: channel.conn.id, channel: channel.number, replyCode: REPLY.NO_ROUTE, replyText: 'NO_ROUTE',
          exchange: frame.exchange, routingKey: frame.routingKey, content,
        }, FRAME_BYTES + content.bytes);
      } else {
        this.stats.unroutable++;
      }
    }
    let elsewhere = 0;
    let homes: string[] | null = null;
    for (const key of route.queues) {
      const local = this.queues.get(key);
      if (local === undefined) {
        // A queue served by another node (classic home) or a quorum queue: the link forwards it.
        elsewhere++;
        this.link!.publish(channel, seq, key, frame.exchange, frame.routingKey, content, (homes ??= []));
        continue;
      }
      const outcome = this.enqueue(local, frame.exchange, frame.routingKey, content);
      if (outcome === 'rejected') rejected = true;
      else if (outcome === 'stored') waitForSync = true;
      else if (outcome === 'disk-full') diskFull = true;
    }
    if (seq === 0) return;
    if (elsewhere > 0) return this.link!.awaitParts(channel, seq, elsewhere, waitForSync, rejected || diskFull, homes ?? []);
    if (rejected || diskFull) this.confirm(channel, [seq], false);
    else if (waitForSync) this.afterSync(channel, seq);
    else this.confirm(channel, [seq], true);
  }

  /**
   * Sends the confirms of `seqs` (ascending) on a channel: one basic.ack with multiple=true when
   * they are all the channel's oldest outstanding ones, otherwise one frame each.
   */
  confirm(channel: Channel, seqs: number[], ack: boolean): void {
    if (!channel.open) return;
    const conn = channel.conn;
    if (ack) this.stats.confirmed += seqs.length;
    const last = seqs[seqs.length - 1]!;
    let prefix = true;
    const covered = channel.outstanding.countUpTo(last);
    if (covered !== seqs.length) prefix = false;
    for (const s of seqs) channel.outstanding.delete(s);
    if (ack && prefix && seqs.length > 1) {
      this.send(conn, { type: 'basic.ack', conn: conn.id, channel: channel.number, deliveryTag: last, multiple: true });
      return;
    }
    for (const s of seqs) {
      if (ack) this.send(conn, { type: 'basic.ack', conn: conn.id, channel: channel.number, deliveryTag: s, multiple: false });
      else this.send(conn, { type: 'basic.nack', conn: conn.id, channel: channel.number, deliveryTag: s, multiple: false, requeue: false });
    }
  }

  /**
   * Puts a message into a queue: overflow first (reject-publish refuses it when the queue is
   * full), then the store for a persistent message in a durable queue, then the ready list,
   * then drop-head, then delivery.
   */
  enqueue(queue: QueueState, exchange: string, routingKey: string, content: Content): 'queued' | 'stored' | 'rejected' | 'disk-full' {
    const args = queue.def.args;
    const overflow = args['x-overflow'] ?? 'drop-head';
    const maxLength = args['x-max-length'];
    const maxBytes = args['x-max-length-bytes'];
    const now = this.ctx.trueNow();
    const props = content.properties;
    const priority = queue.maxPriority > 0 ? Math.min(props.priority ?? 0, queue.maxPriority) : 0;
    const queueTtl = args['x-message-ttl'];
    const ttl = queueTtl === undefined ? props.expiration : props.expiration === undefined ? queueTtl : Math.min(queueTtl, props.expiration);
    const stored = queue.store !== null && props.deliveryMode === 2;
    const message: QueuedMessage = {
      id: this.nextId++, pos: queue.nextPos++, exchange, routingKey, content, priority,
      expiresAt: ttl === undefined ? Number.POSITIVE_INFINITY : now + ttl, stored, redelivered: false,
    };
    if (overflow !== 'drop-head') {
      const full = (maxLength !== undefined && queue.ready.count >= maxLength)
        || (maxBytes !== undefined && queue.ready.bytes + content.bytes > maxBytes);
      if (full) {
        this.stats.rejectedPublishes++;
        this.ctx.note('overflow-reject', { queue: queue.def.name, msg: props.messageId, overflow });
        if (overflow === 'reject-publish-dlx') this.deadLetter(queue, message, 'maxlen');
        return 'rejected';
      }
    }
    if (stored) {
      try {
        queue.store!.publish(message, content.bytes + RECORD_OVERHEAD_BYTES);
      } catch (error) {
        if (!(error instanceof DiskFullError)) throw error;
        this.ctx.note('disk-full', { queue: queue.def.name, msg: props.messageId });
        return 'disk-full';
      }
      this.markDirty();
    }
    queue.ready.insert(message);
    if (overflow === 'drop-head') {
      while ((maxLength !== undefined && queue.ready.count > maxLength) || (maxBytes !== undefined && queue.ready.bytes > maxBytes)) {
        const head = queue.ready.shift()!;
        this.stats.overflowDropped++;
        this.removeStored(queue, head);
        this.ctx.note('overflow-drop-head', { queue: queue.def.name, msg: head.content.properties.messageId });
        this.deadLetter(queue, head, 'maxlen');
      }
    }
    this.dispatch(queue);
    return stored ? 'stored' : 'queued';
  }

  // ------------------------------------------------------------------ delivery

  /** Hands ready messages to consumers with room, round-robin, expiring heads first. */
  dispatch(queue: QueueState): void {
    if (queue.dispatching || queue.deleted) return;
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
    const channel = consumer.channel;
    const queue = consumer.queue;
    const deliveryTag = channel.nextDeliveryTag++;
    if (message.redelivered) this.stats.redelivered++;
    if (consumer.promoted) this.stats.standbyDeliveries++;
    this.send(channel.conn, {
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
    entry.consumer.unacked--;
    entry.queue.unacked--;
  }

  onAck(channel: Channel, frame: BasicAck): void {
    if (!frame.multiple) {
      // One delivery (the common case): as below, without the lists.
      const entry = channel.unacked.get(frame.deliveryTag);
      if (entry === undefined) return this.channelError(channel, REPLY.PRECONDITION_FAILED, `PRECONDITION_FAILED - unknown delivery tag ${frame.deliveryTag}`);
      channel.unacked.delete(frame.deliveryTag);
      this.release(entry);
      if (entry.remote) return this.link!.settleRemote(channel, [entry], 'ack', false);
      if (entry.queue.deleted) return;
      this.removeStored(entry.queue, entry.message);
      this.dispatch(entry.queue);
      return;
    }
    const entries = this.settle(channel, frame.deliveryTag, frame.multiple);
    if (entries === null) return this.channelError(channel, REPLY.PRECONDITION_FAILED, `PRECONDITION_FAILED - unknown delivery tag ${frame.deliveryTag}`);
    const touched = new Set<QueueState>();
    let remote: RemoteUnacked[] | null = null;
    for (const entry of entries) {
      if (entry.remote) {
        (remote ??= []).push(entry);
        continue;
      }
      if (entry.queue.deleted) continue;
      this.removeStored(entry.queue, entry.message);
      touched.add(entry.queue);
    }
    for (const queue of touched) this.dispatch(queue);
    if (remote !== null) this.link!.settleRemote(channel, remote, 'ack', false);
  }

  onNack(channel: Channel, deliveryTag: number, multiple: boolean, requeue: boolean): void {
    const entries = this.settle(channel, deliveryTag, multiple);
    if (entries === null) return this.channelError(channel, REPLY.PRECONDITION_FAILED, `PRECONDITION_FAILED - unknown delivery tag ${deliveryTag}`);
    const touched = new Set<QueueState>();
    let remote: RemoteUnacked[] | null = null;
    for (const entry of entries) {
      this.stats.nacked++;
      if (entry.remote) {
        (remote ??= []).push(entry);
        continue;
      }
      const queue = entry.queue;
      if (queue.deleted) continue;
      if (requeue) {
        this.requeue(queue, entry.message);
      } else {
        this.removeStored(queue, entry.message);
        this.deadLetter(queue, entry.message, 'rejected');
      }
      touched.add(queue);
    }
    for (const queue of touched) this.dispatch(queue);
    if (remote !== null) this.link!.settleRemote(channel, remote, 'nack', requeue);
  }

  private requeue(queue: QueueState, message: QueuedMessage): void {
    message.redelivered = true;
    queue.ready.insert(message);
    this.stats.requeued++;
  }

  // ------------------------------------------------------------------ expiry and dead letters

  private expireHeads(queue: QueueState): void {
    const now = this.ctx.trueNow();
    for (let m = queue.ready.shiftExpired(now); m !== undefined; m = queue.ready.shiftExpired(now)) {
      this.stats.expired++;
      this.removeStored(queue, m);
      this.deadLetter(queue, m, 'expired');
    }
  }

  /** One timer per queue at the earliest head expiry. */
  private armExpiry(queue: QueueState): void {
    if (queue.deleted) return;
    const next = queue.ready.nextHeadExpiry();
    if (next === queue.expiryAt) return;
    this.ctx.cancelTimer(queue.expiryTimer);
    queue.expiryTimer = null;
    queue.expiryAt = next;
    if (next !== Number.POSITIVE_INFINITY) queue.expiryTimer = this.ctx.setTimer(Math.max(0, next - this.ctx.trueNow()), 'expire', queue);
  }

  /**
   * Dead-letters a message that left `queue` (reason rejected, expired or maxlen) to the queue's
   * x-dead-letter-exchange, or drops it when the queue has none. The x-death entry for
   * (queue, reason) is incremented (and moved first) or added; the expiration property is
   * removed. A message that would come back to a queue it already died in, with no rejection in
   * its history (an automatic cycle), is dropped there, as RabbitMQ does.
   */
  deadLetter(queue: { readonly def: QueueDef }, message: Pick<QueuedMessage, 'exchange' | 'routingKey' | 'content'>, reason: XDeath['reason']): void {
    const dlx = queue.def.args['x-dead-letter-exchange'];
    if (dlx === undefined) return;
    this.stats.deadLettered++;
    const props = message.content.properties;
    const deaths = updateDeaths(props.xDeath, {
      queue: queue.def.name, reason, count: 1, exchange: message.exchange, 'routing-keys': [message.routingKey],
      time: this.ctx.trueNow(), ...(props.expiration !== undefined ? { 'original-expiration': props.expiration } : {}),
    });
    const { expiration: _expiration, ...kept } = props;
    const headers = { ...(props.headers ?? {}) };
    if (headers['x-first-death-queue'] === undefined) {
      headers['x-first-death-queue'] = queue.def.name;
      headers['x-first-death-reason'] = reason;
      headers['x-first-death-exchange'] = message.exchange;
    }
    const properties: Properties = { ...kept, headers, xDeath: deaths };
    const content: Content = { ...message.content, properties };
    const routingKey = queue.def.args['x-dead-letter-routing-key'] ?? message.routingKey;
    const vhost = queue.def.vhost;
    if (!this.topology.exchange(vhost, dlx)) {
      this.ctx.note('dead-letter-dropped', { queue: queue.def.name, msg: props.messageId, why: `no exchange '${dlx}'` });
      return;
    }
    const route = this.topology.route(vhost, dlx, routingKey, headers, this.exists);
    const rejectedBefore = deaths.some((d) => d.reason === 'rejected');
    let placed = 0;
    for (const key of route.queues) {
      const target = this.queues.get(key);
      const targetName = target !== undefined ? target.def.name : this.link!.nameOf(key);
      if (!rejectedBefore && deaths.some((d) => d.queue === targetName)) {
        this.ctx.note('dead-letter-cycle-dropped', { queue: targetName, msg: props.messageId });
        continue;
      }
      if (target !== undefined) this.enqueue(target, dlx, routingKey, content);
      else this.link!.publish(null, 0, key, dlx, routingKey, content, []);
      placed++;
    }
    if (route.delayedAt) this.holdDelayed(vhost, route.delayedAt, routingKey, content);
    else if (placed === 0) this.ctx.note('dead-letter-dropped', { queue: queue.def.name, msg: props.messageId, why: 'unroutable' });
    else this.ctx.note('dead-lettered', { queue: queue.def.name, msg: props.messageId, reason, dlx, routingKey });
  }

  /** Removing a stored message from its queue is an `ack` record in the store. */
  private removeStored(queue: QueueState, message: QueuedMessage): void {
    if (!message.stored || !queue.store || queue.deleted) return;
    try {
      queue.store.ack(message);
      this.markDirty();
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      this.ctx.note('disk-full', { queue: queue.def.name, ackOf: message.content.properties.messageId });
    }
  }

  // ------------------------------------------------------------------ delayed message exchange

  /** The x-delayed-message exchange keeps the message (on disk) for its x-delay in milliseconds. */
  private holdDelayed(vhost: string, exchange: ExchangeDef, routingKey: string, content: Content): void {
    const raw = content.properties.headers?.['x-delay'];
    const delayMs = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : 0;
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? Math.round(delayMs * 1000) : 0;
    const m: DelayedMessage = { id: this.nextId++, vhost, exchange: exchange.name, routingKey, content, dueAt: this.ctx.trueNow() + delay };
    this.delayedFile.append({ op: 'put', m }, content.bytes + RECORD_OVERHEAD_BYTES);
    this.markDirty();
    this.delayed.set(m.id, m);
    this.ctx.setTimer(delay, 'delayed', m.id);
  }

  private releaseDelayed(id: number): void {
    const m = this.delayed.get(id);
    if (!m) return;
    this.delayed.delete(id);
    try {
      this.delayedFile.append({ op: 'del', id }, 16);
      this.markDirty();
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
    }
    // Routed by x-delayed-type; the plugin does not support mandatory, so nothing is returned.
    const route = this.topology.route(m.vhost, m.exchange, m.routingKey, m.content.properties.headers, this.exists, true);
    if (route.queues.length === 0) {
      this.stats.unroutable++;
      this.ctx.note('delayed-unroutable', { exchange: m.exchange, msg: m.content.properties.messageId });
    }
    for (const key of route.queues) {
      const local = this.queues.get(key);
      if (local !== undefined) this.enqueue(local, m.exchange, m.routingKey, m.content);
      else this.link!.publish(null, 0, key, m.exchange, m.routingKey, m.content, []);
    }
  }

  // ------------------------------------------------------------------ fsync batching

  private markDirty(): void {
    this.dirty = true;
    this.scheduleSync();
  }

  afterSync(channel: Channel, seq: number, remote?: { node: string; conn: string; channel: number }): void {
    this.syncWaiters.push(remote === undefined ? { channel, seq } : { channel, seq, remote });
    this.scheduleSync();
  }

  private scheduleSync(): void {
    if (this.syncTimer !== null || this.syncing) return;
    this.syncTimer = this.ctx.setTimer(this.options.fsyncInterval, 'sync');
  }

  private onSyncTimer(): void {
    this.syncTimer = null;
    this.syncing = true;
    this.dirty = false;
    const batch = this.syncWaiters;
    this.syncWaiters = [];
    this.ctx.disk.fsync(() => {
      this.syncing = false;
      // One confirm frame per channel where possible (multiple=true).
      const byChannel = new Map<Channel, number[]>();
      for (const { channel, seq, remote } of batch) {
        if (remote !== undefined) {
          this.link!.confirmRemote(remote, seq, true);
          continue;
        }
        if (channel.pending?.has(seq)) {
          this.link!.partDone(channel, seq, true);
          continue;
        }
        let seqs = byChannel.get(channel);
        if (!seqs) byChannel.set(channel, (seqs = []));
        seqs.push(seq);
      }
      for (const [channel, seqs] of byChannel) this.confirm(channel, seqs, true);
      for (const queue of this.queues.values()) queue.store?.reclaim(queue.nextPos);
      if (this.dirty || this.syncWaiters.length > 0) this.scheduleSync();
    });
  }

  // ------------------------------------------------------------------ cluster (cluster/node.ts calls these)

  nodeDown(node: string): void {
    this.link?.nodeDown(node);
  }

  nodeUp(node: string): void {
    this.link?.nodeUp(node);
  }

  /** The application stops (pause_minority, autoheal): clients are told (320 CONNECTION_FORCED), quorum members stop. */
  shutdown(why: string): void {
    for (const conn of [...this.connections.values()]) {
      if (this.link?.isPeer(conn.client)) continue;
      this.send(conn, { type: 'connection.close', conn: conn.id, replyCode: REPLY.CONNECTION_FORCED, replyText: `CONNECTION_FORCED - broker forced connection closure with reason '${why}'` });
      this.closeConnection(conn);
    }
    this.link?.stop();
  }
}

export function isDurableQueue(def: QueueDef): boolean {
  return def.durable && !def.exclusive;
}

/** x-death: the (queue, reason) entry counted up and moved first, or a new entry first. */
export function updateDeaths(previous: readonly XDeath[] | undefined, entry: XDeath): XDeath[] {
  const list = previous ? [...previous] : [];
  const at = list.findIndex((d) => d.queue === entry.queue && d.reason === entry.reason);
  if (at >= 0) {
    const old = list[at]!;
    list.splice(at, 1);
    list.unshift({ ...old, count: old.count + 1 });
  } else {
    list.unshift(entry);
  }
  return list;
}

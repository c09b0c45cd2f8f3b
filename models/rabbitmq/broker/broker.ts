import type { CloseReason } from '../../../sim/connection.js';
import type { Actor, Message, NodeContext } from '../../../sim/node.js';
import type { Micros } from '../../../sim/time.js';
import { timersOf, unreachable, type TimerArgs } from '../../../sim/timers.js';
import type { ClusterView, RabbitApp } from '../cluster/node.js';
import { ClusterLink, type LinkTimer } from '../cluster/link.js';
import type { InvariantProbe } from '../invariants.js';
import { notes } from '../notes.js';
import { asAmqpFrame, asPeerMessage, FRAME_BYTES, REPLY, type AmqpFrame } from '../protocol.js';
import type { RabbitStats } from '../stats.js';
import type { MirrorView } from '../protocol.js';
import type { RabbitVersion } from '../version.js';
import { ChannelHandler, newChannel } from './channel.js';
import { ConnectionHandler, type Connection, type Permission } from './connection.js';
import { DeadLettering } from './dead-lettering.js';
import { DiskMonitor } from './disk-monitor.js';
import { ResourceAlarms } from './resource-alarms.js';
import { DelayedMessageExchange } from './delayed-message-exchange.js';
import { Definitions } from './definitions.js';
import { predeclaredExchanges, Topology, type BindingDef, type ExchangeDef } from './exchange-routing.js';
import { StoreSync } from './message-store.js';
import { QueueProcess, type QueueDef, type QueueState } from './queue-process.js';

/**
 * The RabbitMQ broker: the rabbit application of one node (rabbit-1 when alone), an actor made
 * of RabbitMQ's components, one file each beside this one:
 *
 * - connection.ts (rabbit_reader, rabbit_access_control): connection.open, vhosts and
 *   permissions, heartbeats.
 * - channel.ts (rabbit_channel): publish and routing, publisher confirms, basic.qos, consumers,
 *   basic.ack / nack / reject, unacked deliveries.
 * - queue-process.ts (rabbit_amqqueue_process) with ready-messages.ts: the classic queues homed
 *   here: enqueue and overflow, priorities, delivery to consumers, TTL at the head, x-expires.
 * - dead-lettering.ts (rabbit_dead_letter): x-dead-letter-exchange, x-death.
 * - exchange-routing.ts (rabbit_exchange and the exchange types; exchange-type-topic.ts).
 * - delayed-message-exchange.ts (the rabbitmq_delayed_message_exchange plugin).
 * - message-store.ts (the classic queue message store, and the fsync batching confirms wait for).
 * - definitions.ts (the metadata store): the topology declared and recovered.
 *
 * In a cluster, or with quorum queues, `link` (cluster/link.ts) takes every queue this node does
 * not hold: classic queues on other nodes and quorum queues (quorum/).
 */

export interface BrokerOptions {
  vhosts: readonly string[];
  /** Vhosts with a permission list; the others let every user do everything. */
  restrictedVhosts?: readonly string[];
  permissions?: readonly Permission[];
  exchanges: readonly ExchangeDef[];
  queues: readonly QueueDef[];
  bindings: readonly BindingDef[];
  /** The RabbitMQ version followed where versions differ (version.ts; default 4.0). */
  version?: RabbitVersion;
  /** Server heartbeat timeout (0: off). */
  heartbeat: Micros;
  fsyncInterval: Micros;
  stats: RabbitStats;
  /** Called with the live broker so tests can look inside. */
  onStart?: (broker: RabbitBroker) => void;
  /** In a cluster (cluster.brokers > 1, or quorum queues): the node's view of its peers and the quorum settings. */
  cluster?: ClusterView;
  quorum?: { electionTimeout: Micros; heartbeat: Micros; commandTimeout: Micros };
  /** net_ticktime (cluster only): how long a restarted node waits for peers it sees down before deciding who leads its mirrored queues. */
  netTicktime?: Micros;
  /** A mirrored classic queue's leader announced a view (for the control-plane store). */
  onMirrorView?: (queue: string, view: MirrorView) => void;
  /** The broker closed a dead client's connection (TCP closed, or silent past the heartbeat checks): for clientDropMsMax. */
  onClientDropped?: (client: string) => void;
  /** A quorum queue member became leader (for the control-plane store). */
  onLeader?: (queue: string, leader: string, term: number) => void;
  /** cluster.invariants: the checker, told after every step of this broker; absent, nothing is checked. */
  invariants?: InvariantProbe;
  /** disk_free_limit in bytes, with the disk monitor on (disk-monitor.ts); absent, no monitor runs. */
  diskFreeLimit?: number;
}

/** The broker's timers: tags as they appear in the trace. */
export type BrokerTimer =
  | { tag: 'sync'; data: undefined }
  | { tag: 'heartbeat-check'; data: Connection }
  | { tag: 'expire'; data: QueueState }
  | { tag: 'queue-expires'; data: QueueState }
  | { tag: 'delayed'; data: number }
  | { tag: 'disk-check'; data: undefined }
  | { tag: 'link'; data: LinkTimer };

export class RabbitBroker implements Actor, RabbitApp {
  ctx!: NodeContext;
  readonly topology = new Topology();
  /** The classic queues homed on this node. */
  readonly queues = new Map<string, QueueState>();
  readonly connections = new Map<string, Connection>();
  readonly stats: RabbitStats;
  readonly timers = timersOf<BrokerTimer>();
  /** Broker-wide ids of stored messages and delayed messages (store record ids). */
  nextId = 1;
  /** Does the queue exist for routing (the default exchange, bindings)? The link widens it to other nodes' queues. */
  exists = (key: string): boolean => this.queues.has(key);
  /** Cluster and quorum queue machinery (null on a lone node without quorum queues: the fast path). */
  link: ClusterLink | null = null;
  /** cluster.invariants: what changed the control plane in the current step (null: nothing). */
  private pendingChange: string | null = null;

  readonly connectionHandler = new ConnectionHandler(this);
  readonly channels = new ChannelHandler(this);
  readonly queueProcess = new QueueProcess(this);
  readonly deadLettering = new DeadLettering(this);
  readonly storeSync = new StoreSync(this);
  readonly alarms = new ResourceAlarms(this);
  private diskMonitor: DiskMonitor | null = null;
  definitions!: Definitions;
  delayedExchange!: DelayedMessageExchange;

  constructor(readonly options: BrokerOptions) {
    this.stats = options.stats;
  }

  start(ctx: NodeContext, restarted: boolean): void {
    this.ctx = ctx;
    this.definitions = new Definitions(this);
    this.delayedExchange = new DelayedMessageExchange(this);
    for (const vhost of this.options.vhosts) for (const def of predeclaredExchanges(vhost)) this.topology.addExchange(def);
    if (this.options.cluster !== undefined || this.options.queues.some((q) => q.quorum)) {
      const link = new ClusterLink(this, this.options, restarted);
      this.link = link;
      this.exists = (key) => this.queues.has(key) || link.exists(key);
    }
    if (restarted) this.recover();
    else this.definitions.declareAll();
    this.link?.start(restarted);
    if (this.options.diskFreeLimit !== undefined) {
      this.diskMonitor = new DiskMonitor(this, this.options.diskFreeLimit);
      this.diskMonitor.start();
    }
    this.options.onStart?.(this);
    this.changed(restarted ? 'recovery' : 'declaration');
    this.checkInvariants();
  }

  /** A client's TCP connection ended (sim/connection.ts): rabbit_reader sees the socket close and the AMQP connection goes at once. */
  onConnectionClosed(peer: string, reason: CloseReason): void {
    if (this.link?.isPeer(peer)) return; // distribution connections are the node's (cluster/node.ts)
    this.connectionHandler.tcpClosed(peer, reason);
    if (this.pendingChange !== null) this.checkInvariants();
  }

  receive(from: string, message: Message): void {
    if (this.link !== null && this.link.isPeer(from)) this.link.onPeer(from, asPeerMessage(message));
    else this.onFrame(from, asAmqpFrame(message));
    if (this.pendingChange !== null) this.checkInvariants();
  }

  /**
   * cluster.invariants: the control plane changed (`event`); the invariants are checked at the
   * end of this step, when the state is whole again. Without a checker, nothing happens.
   */
  changed(event: string): void {
    if (this.options.invariants !== undefined && this.pendingChange === null) this.pendingChange = event;
  }

  private checkInvariants(): void {
    const event = this.pendingChange;
    this.pendingChange = null;
    if (event !== null) this.options.invariants?.changed(this.ctx.name, event);
  }

  private onFrame(from: string, frame: AmqpFrame): void {
    if (frame.type === 'connection.open') return this.connectionHandler.open(from, frame.conn, frame.vhost, frame.user, frame.heartbeat);
    const conn = this.connections.get(frame.conn);
    if (!conn || !conn.open) {
      // The connection died (heartbeat timeout) or predates a restart: the TCP stack resets it.
      this.sendTo(from, { type: 'tcp.rst', conn: frame.conn }, FRAME_BYTES);
      return;
    }
    this.readFrame(conn, frame);
  }

  /** A frame on an open connection, read now unless a resource alarm holds it (resource-alarms.ts). */
  readFrame(conn: Connection, frame: AmqpFrame): void {
    if (this.alarms.holds(conn, frame)) return;
    const from = conn.client;
    conn.lastSeen = this.ctx.trueNow();
    switch (frame.type) {
      case 'heartbeat':
        this.sendTo(conn.client, { type: 'heartbeat', conn: conn.id }, 8);
        return;
      case 'channel.open': {
        const channel = newChannel(conn, frame.channel, 0);
        conn.channels.set(frame.channel, channel);
        this.changed('channel.open');
        this.send(conn, { type: 'channel.open-ok', conn: conn.id, channel: frame.channel });
        return;
      }
      case 'connection.close':
        // Closed by the client: every channel closes (unacked deliveries requeued, consumers
        // cancelled), then the connection. (connection.close-ok is not modelled.)
        this.connectionHandler.close(conn);
        return;
      // Connection-level frames a client does not send to the broker: ignored.
      case 'connection.open':
      case 'connection.open-ok':
      case 'connection.blocked':
      case 'connection.unblocked':
      case 'tcp.rst':
        return;
      default: {
        const channel = conn.channels.get(frame.channel);
        if (!channel || !channel.open) return; // frames on a closed channel are discarded
        return this.channels.onMethod(from, channel, frame);
      }
    }
  }

  onTimer(...[tag, data]: TimerArgs<BrokerTimer>): void {
    switch (tag) {
      case 'sync':
        this.storeSync.onSyncTimer();
        break;
      case 'heartbeat-check':
        this.connectionHandler.checkHeartbeat(data);
        break;
      case 'expire':
        this.queueProcess.onExpiryTimer(data);
        break;
      case 'queue-expires':
        this.queueProcess.checkQueueExpires(data);
        break;
      case 'delayed':
        this.delayedExchange.release(data);
        break;
      case 'disk-check':
        this.diskMonitor?.check();
        break;
      case 'link':
        this.link?.onTimer(data);
        break;
      default:
        return unreachable(tag, 'broker timer');
    }
    if (this.pendingChange !== null) this.checkInvariants();
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
    this.definitions.recover();
    for (const queue of this.queues.values()) this.queueProcess.recover(queue);
    const delayed = this.delayedExchange.recover();
    notes.note(this.ctx, 'broker-recovered', { queues: this.queues.size, delayed });
  }

  send(conn: Connection, frame: AmqpFrame, bytes = FRAME_BYTES): void {
    this.ctx.send(conn.client, frame, bytes);
  }

  sendTo(node: string, frame: AmqpFrame, bytes: number): void {
    this.ctx.send(node, frame, bytes);
  }

  // ------------------------------------------------------------------ cluster (cluster/node.ts calls these)

  /** `shutdown`: the node stopped in order (rabbitmqctl stop), not failed. */
  nodeDown(node: string, shutdown = false): void {
    this.alarms.nodeDown(node);
    this.link?.nodeDown(node, shutdown);
    this.changed(`nodedown ${node}`);
    this.checkInvariants();
  }

  nodeUp(node: string): void {
    this.alarms.nodeUp(node);
    this.link?.nodeUp(node);
    this.changed(`nodeup ${node}`);
    this.checkInvariants();
  }

  transferLeaderships(): number {
    return this.link?.transferLeaderships() ?? 0;
  }

  leadsAny(): boolean {
    return this.link?.leadsAny() ?? false;
  }

  /** A single node's `rabbitmqctl stop`: clients get connection.close (320 CONNECTION_FORCED), then the node exits. */
  stop(done: () => void): void {
    this.shutdown('shutdown');
    done();
  }

  /** The application stops (pause_minority, autoheal): clients are told (320 CONNECTION_FORCED), quorum members stop. */
  shutdown(why: string): void {
    for (const conn of [...this.connections.values()]) {
      if (this.link?.isPeer(conn.client)) continue;
      this.send(conn, { type: 'connection.close', conn: conn.id, replyCode: REPLY.CONNECTION_FORCED, replyText: `CONNECTION_FORCED - broker forced connection closure with reason '${why}'` });
      this.connectionHandler.close(conn);
    }
    this.link?.stop();
  }
}

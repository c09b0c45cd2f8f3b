import { RABBITMQ_DELIBERATE_BUGS } from '../deliberate-bugs.js';
import type { Timer } from '../../../sim/kernel.js';
import type { RandomStream } from '../../../sim/random.js';
import { unreachable } from '../../../sim/timers.js';
import type { BrokerOptions, RabbitBroker } from '../broker/broker.js';
import type { Channel, RemoteConsumer, RemoteUnacked } from '../broker/channel.js';
import type { RemoteChannel } from '../broker/message-store.js';
import type { QueueDef } from '../broker/queue-process.js';
import { notes } from '../notes.js';
import { type AlarmMessage, FRAME_BYTES, REPLY, type Content, type DelegateMessage, type PeerMessage } from '../protocol.js';
import { consumerKey, QuorumFifo, type ConsumerId, type Delivery, type FifoCommand, type FifoEffect } from '../quorum/fifo.js';
import { RaftMember, type RaftHost, type RaftRecord, type RaftRole } from '../quorum/raft.js';
import { BROKER_NODE, QUORUM_DEFAULTS } from '../schema.js';
import { Delegate } from './delegate.js';
import { DEFAULT_RABBIT_VERSION, defaultDeliveryLimit, returnsToBack } from '../version.js';
import { MirroredQueues } from '../mirrored/gm.js';

/**
 * What one broker node does for the cluster: queues served by other nodes and quorum queues.
 * The broker (broker/) keeps the AMQP side (connections, channels, delivery tags, confirms)
 * and its own classic queues; it hands this link every queue it does not hold itself.
 *
 * Classic queues live on their home node (the node that declared them, `node:` in the scenario,
 * default rabbit-1). A channel on another node reaches them over the network, as RabbitMQ's
 * channel processes reach queue processes through the delegate (the home node's side, and the
 * relaying of its deliveries, are cluster/delegate.ts):
 * - `delegate.publish` carries a routed message to the home node; its `delegate.confirm` (after
 *   the home's fsync for a persistent message in a durable queue) completes the publisher
 *   confirm, which waits for every queue the message went to. A home node seen down
 *   (net_ticktime) nacks what it had not confirmed, as a channel does when a queue process dies.
 * - `delegate.consume` subscribes on the home node on behalf of the channel (the home keeps a
 *   proxy channel, with the prefetch); its `basic.deliver`s come back to the channel's node, which
 *   gives them its own delivery tags; acks and nacks go back as `delegate.settle`, a closed
 *   channel as `delegate.close` (the home requeues its unacked messages), and a channel node seen
 *   down closes its proxies there too. A consumer whose queue's home goes down gets its channel
 *   closed (404, home node down or inaccessible); consuming while the home is down is refused so.
 *
 * Quorum queues: the members on this node (Raft in quorum/raft.ts, the queue's state machine in
 * quorum/fifo.ts), and the client side of every quorum queue for this node's channels, after
 * rabbit_fifo_client: commands (`ra.command`) go to the leader this node believes in (at first
 * the declaring node); a member that is not the leader forwards to the leader it knows; a command
 * without an answer for `quorum.command.timeout` is sent again to the next member. Enqueues carry
 * the channel's enqueuer id and sequence number, so a resent one is stored once; the leader
 * answers `ra.applied` once the enqueue is committed (fsynced on a majority) and applied, and
 * only then does the publisher get its basic.ack. Consumers are registered by a `checkout`
 * command (sent again every command timeout and when a peer comes up, so a consumer removed
 * while its node was unreachable comes back); deliveries (`ra.deliver`) come from the leader;
 * acks, nacks and cancels are `settle`, `return`, `discard`, `cancel` commands. A leader that
 * sees a node down proposes `down` for it (its consumers' messages return).
 */

export interface QuorumMember {
  readonly key: string;
  readonly def: QueueDef;
  readonly raft: RaftMember<FifoCommand>;
  readonly fifo: QuorumFifo;
}

interface PendingCommand {
  readonly key: string;
  readonly cmd: FifoCommand;
  sentAt: number;
  readonly confirm: { channel: Channel; seq: number } | null;
}

/**
 * A quorum member's timer. `cancelled`: a timer that fired while the node was paused is run when
 * it resumes, after what arrived during the pause; if that reset it (an append_entries from the
 * leader), it must not fire any more.
 */
interface RaftTimer { readonly t: 'raft'; readonly key: string; readonly kind: 'election' | 'heartbeat'; readonly member: QuorumMember; cancelled: boolean }

/** The link's timers, all under the broker's `link` tag: the command-timeout tick, and each quorum member's Raft timers. */
export type LinkTimer = { readonly t: 'tick' } | RaftTimer
  | { readonly t: 'mirror-join'; readonly incarnation: number };

export class ClusterLink {
  private readonly self: string;
  private readonly nodes: readonly string[];
  private readonly peers: Set<string>;
  private readonly records = new Map<string, QueueDef>();
  private readonly deletedElsewhere = new Set<string>();
  readonly members = new Map<string, QuorumMember>();
  private readonly leaderHint = new Map<string, string>();
  /** Per quorum queue: the highest leader term deliveries came from. */
  private readonly deliveryTerm = new Map<string, number>();
  private readonly pending = new Map<string, PendingCommand>();
  private nextReq = 0;
  private dlxSeq = 0;
  private incarnation = 0;
  private tickTimer: Timer | null = null;
  private stopped = false;
  private readonly commandTimeout: number;
  private readonly delegate: Delegate;
  /** Classic queue mirroring (RabbitMQ before 4.0): null when no queue is mirrored. */
  readonly mirrors: MirroredQueues | null;

  constructor(private readonly broker: RabbitBroker, private readonly options: BrokerOptions, private readonly restarted = false) {
    this.self = broker.ctx.name;
    this.nodes = options.cluster?.nodes ?? [this.self];
    this.peers = new Set(this.nodes.filter((n) => n !== this.self));
    for (const def of options.queues) {
      const key = `${def.vhost}|${def.name}`;
      this.records.set(key, def);
      if (def.quorum) this.leaderHint.set(key, def.members?.[0] ?? def.node ?? BROKER_NODE);
    }
    this.commandTimeout = options.quorum?.commandTimeout ?? QUORUM_DEFAULTS.commandTimeout;
    this.delegate = new Delegate(broker, this);
    const mirrors = new MirroredQueues(broker, this.self, this.nodes, (n) => this.isUp(n), this);
    this.mirrors = mirrors.active ? mirrors : null;
  }

  /** Where a classic queue is served: its home, or a mirrored queue's current leader (null: none). */
  private homeOf(key: string, def: QueueDef): string | null {
    if (this.mirrors?.isMirrored(key)) return this.mirrors.masterOf(key);
    return def.node ?? BROKER_NODE;
  }

  private get ctx() {
    return this.broker.ctx;
  }

  isPeer(node: string): boolean {
    return this.peers.has(node);
  }

  private isUp(node: string): boolean {
    return node === this.self || (this.options.cluster?.isUp(node) ?? true);
  }

  known(key: string): boolean {
    return this.records.has(key) && !this.deletedElsewhere.has(key);
  }

  nameOf(key: string): string {
    return this.records.get(key)?.name ?? key;
  }

  /** Routable from here: a quorum queue always (its members decide), a classic one while its home is up. */
  exists(key: string): boolean {
    const def = this.records.get(key);
    if (def === undefined || this.deletedElsewhere.has(key)) return false;
    if (def.quorum) return true;
    const home = this.homeOf(key, def);
    return home !== null && home !== this.self && this.isUp(home);
  }

  /**
   * Does this node hold the classic queue itself, declared at the first start or recovered at a
   * restart? A mirrored queue's initial leader declares it; at a restart a mirrored queue is
   * never recovered straight from disk: the node asks its peers first (mirrored/gm.ts).
   */
  declaresLocally(def: QueueDef): boolean {
    if (def.quorum) return false;
    if (def.mirror !== undefined && this.mirrors !== null) return !this.restarted && this.mirrors.leadsAtFirstStart(def);
    return (def.node ?? BROKER_NODE) === this.self;
  }

  start(restarted: boolean): void {
    this.incarnation = this.ctx.trueNow();
    for (const def of this.options.queues) {
      if (!def.quorum || !(def.members ?? []).includes(this.self)) continue;
      const key = `${def.vhost}|${def.name}`;
      this.startMember(key, def, restarted);
    }
    this.mirrors?.start(restarted);
    if (restarted && this.mirrors !== null) {
      // A restarted node waits this long for peers it sees down to come back and say who leads its mirrored queues.
      this.broker.timers.set(this.ctx, this.options.netTicktime ?? QUORUM_DEFAULTS.netTicktime, 'link', { t: 'mirror-join', incarnation: this.incarnation });
    }
    if (restarted) {
      // A transient classic queue homed here did not survive the restart: it is gone cluster-wide.
      for (const [key, def] of this.records) {
        if (!this.declaresLocally(def) || this.broker.queues.has(key)) continue;
        this.deletedElsewhere.add(key);
        this.queueDeleted(key);
      }
    }
    this.tickTimer = this.broker.timers.set(this.ctx, this.commandTimeout, 'link', { t: 'tick' });
  }

  /** `rabbitmqctl stop`: every quorum queue this node leads hands its leadership to a caught-up member. Returns how many were handed over. */
  transferLeaderships(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.raft.transferLeadership() !== null) n++;
    return n;
  }

  /** Whether a member on this node still leads its queue. */
  leadsAny(): boolean {
    for (const m of this.members.values()) if (m.raft.role === 'leader') return true;
    return false;
  }

  stop(): void {
    this.stopped = true;
    for (const m of this.members.values()) m.raft.stop();
    this.ctx.cancelTimer(this.tickTimer);
  }

  private startMember(key: string, def: QueueDef, restarted: boolean): void {
    const file = this.ctx.disk.file<RaftRecord<FifoCommand>>(`ra:${key}`);
    const random: RandomStream = this.ctx.random(`ra:${key}`);
    const version = this.options.version ?? DEFAULT_RABBIT_VERSION;
    const limit = def.args['x-delivery-limit'] ?? defaultDeliveryLimit(version);
    const fifo = new QuorumFifo(limit, def.args['x-dead-letter-exchange'] !== undefined, def.args['x-single-active-consumer'] === true, returnsToBack(version));
    let member!: QuorumMember;
    const host: RaftHost<FifoCommand> = {
      send: (to, message, bytes) => this.ctx.send(to, message, bytes),
      setTimer: (delay, kind) => {
        const data: RaftTimer = { t: 'raft', key, kind, member, cancelled: false };
        return { timer: this.broker.timers.set(this.ctx, delay, 'link', data), data };
      },
      cancelTimer: (handle) => {
        const h = handle as { timer: Timer; data: RaftTimer } | null;
        if (h === null) return;
        h.data.cancelled = true;
        this.ctx.cancelTimer(h.timer);
      },
      random: () => random.next(),
      file,
      fsync: (done) => this.ctx.disk.fsync(done),
      apply: (index, cmd, leader) => this.applied(member, index, cmd, leader),
      onRoleChange: (role, term, leader) => this.roleChanged(member, role, term, leader),
      note: (what, detail) => notes.note(this.ctx, what, detail),
      noop: () => ({ op: 'noop', leader: this.self }),
      bytes: (cmd) => (cmd.op === 'enqueue' ? cmd.content.bytes + 96 : 64),
    };
    const raft = new RaftMember<FifoCommand>(key, this.self, def.members ?? [this.self], {
      electionTimeout: this.options.quorum?.electionTimeout ?? QUORUM_DEFAULTS.electionTimeout,
      heartbeat: this.options.quorum?.heartbeat ?? QUORUM_DEFAULTS.heartbeat,
      maxBatch: 256,
    }, host);
    member = { key, def, raft, fifo };
    this.members.set(key, member);
    if (!restarted) notes.note(this.ctx, 'queue.declare', { vhost: def.vhost, queue: def.name, durable: true, type: 'quorum', members: (def.members ?? []).join(',') });
    raft.start(restarted, def.members?.[0] ?? null);
  }

  onTimer(d: LinkTimer): void {
    if (this.stopped) return;
    switch (d.t) {
      case 'raft':
        if (this.members.get(d.key) === d.member && !d.cancelled) d.member.raft.onTimer(d.kind);
        return;
      case 'tick':
        return this.tick();
      case 'mirror-join':
        if (d.incarnation === this.incarnation) this.mirrors?.joinTimedOut();
        return;
      default:
        return unreachable(d, 'link timer');
    }
  }

  /** Every command timeout: resend unanswered commands (to the next member), renew consumers' checkouts. */
  private tick(): void {
    const now = this.ctx.trueNow();
    const rotated = new Set<string>();
    for (const p of this.pending.values()) {
      if (now - p.sentAt < this.commandTimeout) continue;
      if (!rotated.has(p.key)) {
        rotated.add(p.key);
        const members = this.records.get(p.key)?.members ?? [];
        const at = members.indexOf(this.leaderHint.get(p.key) ?? '');
        if (members.length > 0) this.leaderHint.set(p.key, members[(at + 1) % members.length]!);
      }
      p.sentAt = now;
      this.sendCommand(p.key, p.cmd);
    }
    this.recheckout();
    this.tickTimer = this.broker.timers.set(this.ctx, this.commandTimeout, 'link', { t: 'tick' });
  }

  private recheckout(): void {
    for (const conn of this.broker.connections.values()) {
      for (const ch of conn.channels.values()) {
        if (!ch.open || ch.remoteConsumers === undefined) continue;
        for (const rc of ch.remoteConsumers.values()) {
          if (rc.quorum) this.sendCommand(rc.key, { op: 'checkout', cid: this.cid(rc), prefetch: rc.prefetch, noAck: rc.noAck });
        }
      }
    }
  }

  // ------------------------------------------------------------------ the broker's hooks

  /** Routes one publish to a queue this node does not hold; parts are counted by awaitParts. */
  publish(channel: Channel | null, seq: number, key: string, exchange: string, routingKey: string, content: Content, homes: string[]): void {
    const def = this.records.get(key)!;
    if (def.quorum) {
      let enqueuer: string;
      let n: number;
      if (channel !== null) {
        enqueuer = `${channel.conn.id}#${channel.number}`;
        n = channel.quorumSeq = (channel.quorumSeq ?? 0) + 1;
      } else {
        enqueuer = `${this.self}@${this.incarnation}`;
        n = ++this.dlxSeq;
      }
      const req = `${this.self}:${++this.nextReq}`;
      const cmd: FifoCommand = { op: 'enqueue', enqueuer, seq: n, exchange, routingKey, content, reply: { node: this.self, req } };
      this.pending.set(req, { key, cmd, sentAt: this.ctx.trueNow(), confirm: channel !== null && seq > 0 ? { channel, seq } : null });
      this.sendCommand(key, cmd);
      return;
    }
    const home = this.homeOf(key, def) ?? def.node ?? BROKER_NODE;
    if (channel !== null && seq > 0) homes.push(home);
    this.toPeer(home, {
      type: 'delegate.publish', queue: key, exchange, routingKey, content,
      conn: channel?.conn.id ?? '', channel: channel?.number ?? 0, seq: channel !== null ? seq : 0,
    }, FRAME_BYTES + content.bytes);
  }

  /** The confirm of `seq` waits for `parts` answers from elsewhere (and the local fsync when `sync`). */
  awaitParts(channel: Channel, seq: number, parts: number, sync: boolean, nack: boolean, homes: string[]): void {
    (channel.pending ??= new Map()).set(seq, { remaining: parts + (sync ? 1 : 0), nack, nodes: homes });
    if (sync) this.broker.storeSync.afterSync(channel, seq);
  }

  partDone(channel: Channel, seq: number, ack: boolean): void {
    const p = channel.pending?.get(seq);
    if (p === undefined) return;
    p.remaining--;
    if (!ack) p.nack = true;
    if (p.remaining > 0) return;
    channel.pending!.delete(seq);
    this.broker.channels.confirm(channel, [seq], !p.nack);
  }

  confirmRemote(remote: RemoteChannel, seq: number, ack: boolean): void {
    if (this.mirrors?.holdRemoteConfirm(remote, seq, ack)) return; // a mirrored queue's leader: the mirrors are still to ack
    this.toPeer(remote.node, { type: 'delegate.confirm', conn: remote.conn, channel: remote.channel, seq, ack }, FRAME_BYTES);
  }

  consume(channel: Channel, frame: { consumerTag: string; noAck: boolean; queue: string }, key: string): void {
    const def = this.records.get(key)!;
    const conn = channel.conn;
    const rc: RemoteConsumer = {
      tag: frame.consumerTag, channel, key, queue: def.name, quorum: def.quorum === true, node: this.homeOf(key, def) ?? def.node ?? BROKER_NODE,
      noAck: frame.noAck, prefetch: channel.prefetch,
    };
    if (!rc.quorum && (!this.isUp(rc.node) || rc.node === this.self)) {
      // (rc.node is this node only for a mirrored queue with no leader: none promoted, or this node still joining.)
      return this.broker.channels.error(channel, REPLY.NOT_FOUND,
        `NOT_FOUND - home node '${rc.node}' of durable queue '${def.name}' in vhost '${def.vhost}' is down or inaccessible`);
    }
    (channel.remoteConsumers ??= new Map()).set(rc.tag, rc);
    if (rc.quorum) this.sendReliable(key, (reply) => ({ op: 'checkout', cid: this.cid(rc), prefetch: rc.prefetch, noAck: rc.noAck, reply }));
    else {
      this.toPeer(rc.node, {
        type: 'delegate.consume', conn: conn.id, channel: channel.number, vhost: conn.vhost, user: conn.user, queue: def.name, tag: rc.tag,
        noAck: rc.noAck, prefetch: rc.prefetch,
      }, FRAME_BYTES);
    }
    this.broker.send(conn, { type: 'basic.consume-ok', conn: conn.id, channel: channel.number, consumerTag: rc.tag });
  }

  settleRemote(channel: Channel, entries: RemoteUnacked[], op: 'ack' | 'nack', requeue: boolean): void {
    const byConsumer = new Map<RemoteConsumer, number[]>();
    for (const e of entries) {
      let ids = byConsumer.get(e.remote);
      if (!ids) byConsumer.set(e.remote, (ids = []));
      ids.push(e.id);
    }
    for (const [rc, ids] of byConsumer) {
      if (rc.quorum) {
        const cid = this.cid(rc);
        this.sendCommand(rc.key, op === 'ack' ? { op: 'settle', cid, ids } : requeue ? { op: 'return', cid, ids } : { op: 'discard', cid, ids });
        if (op === 'nack' && requeue) this.broker.stats.requeued += ids.length;
      } else {
        this.toPeer(rc.node, { type: 'delegate.settle', conn: channel.conn.id, channel: channel.number, tags: ids, op, requeue }, FRAME_BYTES);
      }
    }
  }

  /** basic.cancel of a remote consumer: no more deliveries; what it holds unacked it may still ack. */
  cancel(channel: Channel, tag: string): void {
    const rc = channel.remoteConsumers!.get(tag)!;
    channel.remoteConsumers!.delete(tag);
    if (rc.quorum) this.sendReliable(rc.key, (reply) => ({ op: 'cancel', cid: this.cid(rc), keep: true, reply }));
    else this.toPeer(rc.node, { type: 'delegate.cancel', conn: channel.conn.id, channel: channel.number, tag }, FRAME_BYTES);
  }

  /** The channel closed: its remote consumers (and cancelled ones still holding unacked messages) go, their messages return. */
  channelClosed(channel: Channel, holding: ReadonlySet<RemoteConsumer> | null): void {
    const told = new Set<string>();
    const all = new Set<RemoteConsumer>(channel.remoteConsumers?.values() ?? []);
    for (const rc of holding ?? []) all.add(rc);
    for (const rc of all) {
      if (rc.quorum) this.sendReliable(rc.key, (reply) => ({ op: 'cancel', cid: this.cid(rc), reply }));
      else if (!told.has(rc.node)) {
        told.add(rc.node);
        this.toPeer(rc.node, { type: 'delegate.close', conn: channel.conn.id, channel: channel.number }, FRAME_BYTES);
      }
    }
    channel.remoteConsumers?.clear();
  }

  queueDeleted(key: string): void {
    for (const peer of this.peers) this.toPeer(peer, { type: 'delegate.queue_deleted', queue: key }, FRAME_BYTES);
  }

  storedMessages(into: Set<string>): void {
    this.mirrors?.messageIds(into);
    for (const m of this.members.values()) for (const message of m.fifo.messages()) into.add(message.content.properties.messageId);
  }

  nodeDown(node: string, shutdown = false): void {
    if (this.stopped) return;
    for (const conn of [...this.broker.connections.values()]) {
      if (conn.client === node) {
        this.broker.connectionHandler.close(conn);
        continue;
      }
      for (const ch of conn.channels.values()) {
        if (!ch.open) continue;
        if (ch.pending !== undefined) {
          for (const [seq, p] of [...ch.pending]) {
            for (let at = p.nodes.indexOf(node); at >= 0; at = p.nodes.indexOf(node)) {
              p.nodes.splice(at, 1);
              this.partDone(ch, seq, false);
            }
          }
        }
        const lost = ch.remoteConsumers === undefined ? undefined : [...ch.remoteConsumers.values()].find((rc) => !rc.quorum && rc.node === node);
        if (lost) {
          this.broker.channels.error(ch, REPLY.NOT_FOUND,
            `NOT_FOUND - home node '${node}' of durable queue '${lost.queue}' is down or inaccessible`);
        }
      }
    }
    for (const m of this.members.values()) {
      if (m.raft.role === 'leader') m.raft.propose({ op: 'down', node });
      else m.raft.leaderNodeDown(node);
    }
    this.mirrors?.nodeDown(node, shutdown);
  }

  nodeUp(node: string): void {
    if (this.stopped) return;
    this.mirrors?.nodeUp(node);
    this.recheckout();
  }

  toPeer(to: string, message: DelegateMessage | AlarmMessage, bytes: number): void {
    this.ctx.send(to, message, bytes);
  }

  private cid(rc: RemoteConsumer): ConsumerId {
    return { node: this.self, conn: rc.channel.conn.id, channel: rc.channel.number, tag: rc.tag };
  }

  private sendReliable(key: string, make: (reply: { node: string; req: string }) => FifoCommand): void {
    const req = `${this.self}:${++this.nextReq}`;
    const cmd = make({ node: this.self, req });
    this.pending.set(req, { key, cmd, sentAt: this.ctx.trueNow(), confirm: null });
    this.sendCommand(key, cmd);
  }

  private sendCommand(key: string, cmd: FifoCommand): void {
    const target = this.leaderHint.get(key) ?? this.records.get(key)?.members?.[0] ?? this.self;
    if (target === this.self) this.onCommand(key, cmd, false);
    else this.toPeer(target, { type: 'ra.command', queue: key, cmd, forwarded: false }, cmd.op === 'enqueue' ? cmd.content.bytes + FRAME_BYTES : FRAME_BYTES);
  }

  private onCommand(key: string, cmd: FifoCommand, forwarded: boolean): void {
    const m = this.members.get(key);
    if (m === undefined) return;
    if (m.raft.role === 'leader') {
      m.raft.propose(cmd);
      if (cmd.op === 'enqueue' && cmd.reply !== undefined && RABBITMQ_DELIBERATE_BUGS.on('quorum-confirms-before-majority')) {
        this.perform(m, { kind: 'applied', reply: cmd.reply, duplicate: false });
      }
      return;
    }
    const leader = m.raft.leader;
    if (!forwarded && leader !== null && leader !== this.self) {
      this.toPeer(leader, { type: 'ra.command', queue: key, cmd, forwarded: true }, cmd.op === 'enqueue' ? cmd.content.bytes + FRAME_BYTES : FRAME_BYTES);
    }
  }

  // ------------------------------------------------------------------ quorum members

  private applied(member: QuorumMember, index: number, cmd: FifoCommand, leader: boolean): void {
    const effects = member.fifo.apply(index, cmd);
    if (!leader) return;
    // Deliveries decided by entries of an earlier term were the earlier leader's to send (it may
    // have): this term's no-op returns whatever is checked out and delivers it again, redelivered.
    const fresh = index >= member.raft.leaderSince;
    for (const e of effects) if (fresh || e.kind !== 'deliver') this.perform(member, e);
  }

  private perform(member: QuorumMember, e: FifoEffect): void {
    switch (e.kind) {
      case 'applied':
        if (e.reply.node === this.self) this.onApplied(member.key, e.reply.req, this.self);
        else this.toPeer(e.reply.node, { type: 'ra.applied', queue: member.key, req: e.reply.req }, FRAME_BYTES);
        return;
      case 'deliver': {
        if (e.cid.node === this.self) this.onDeliver(member.key, member.raft.term, e.cid, e.deliveries, this.self);
        else {
          let bytes = FRAME_BYTES;
          for (const d of e.deliveries) bytes += d.message.content.bytes + FRAME_BYTES;
          this.toPeer(e.cid.node, { type: 'ra.deliver', queue: member.key, term: member.raft.term, cid: e.cid, deliveries: e.deliveries }, bytes);
        }
        return;
      }
      case 'dead-letter':
        if (e.reason === 'delivery_limit') notes.note(this.ctx, 'delivery-limit', { queue: member.def.name, msg: e.message.content.properties.messageId, deliveryCount: e.message.deliveryCount });
        this.broker.deadLettering.deadLetter(member, e.message, e.reason);
        return;
      case 'dropped':
        notes.note(this.ctx, 'delivery-limit', { queue: member.def.name, msg: e.message.content.properties.messageId, deliveryCount: e.message.deliveryCount, dropped: true });
        return;
      default:
        return unreachable(e, 'rabbit_fifo effect');
    }
  }

  private roleChanged(member: QuorumMember, role: RaftRole, term: number, leader: string | null): void {
    // A member learns the new leader first: what this node's channels sent to the old one goes again, now.
    if (leader !== null) this.onLeaderChange(member.key, leader);
    this.broker.changed(`ra ${role} of ${member.key}`);
    if (role !== 'leader') return;
    // rabbit_fifo's state_enter(leader): the clients hear of the new leader (leader_change) and
    // resend to it what they sent to the old one (the model tells every node of the cluster).
    for (const node of this.nodes) {
      if (node !== this.self && this.isUp(node)) this.toPeer(node, { type: 'ra.leader_change', queue: member.key, term }, FRAME_BYTES);
    }
    this.options.invariants?.leaderElected(member.key, this.self, term);
    this.options.onLeader?.(member.key, this.self, term);
    for (const node of this.nodes) if (!this.isUp(node)) member.raft.propose({ op: 'down', node });
  }

  /** The leader of queue `key` is `leader` now: commands of this node's clients that wait on another member go to it at once. */
  private onLeaderChange(key: string, leader: string): void {
    if (this.leaderHint.get(key) === leader) return;
    this.leaderHint.set(key, leader);
    const now = this.ctx.trueNow();
    for (const p of this.pending.values()) {
      if (p.key !== key) continue;
      p.sentAt = now;
      this.sendCommand(p.key, p.cmd);
    }
  }

  private onApplied(key: string, req: string, from: string): void {
    this.leaderHint.set(key, from);
    const p = this.pending.get(req);
    if (p === undefined) return;
    this.pending.delete(req);
    if (p.confirm !== null && p.confirm.channel.open) this.partDone(p.confirm.channel, p.confirm.seq, true);
  }

  private onDeliver(key: string, term: number, cid: ConsumerId, deliveries: readonly Delivery[], from: string): void {
    // A deposed leader's deliveries that arrive late (held up by a cut) are stale: the new
    // leader's no-op took those messages back and delivers them again (rabbit_fifo_client
    // likewise drops deliveries it has already moved past).
    if (term < (this.deliveryTerm.get(key) ?? 0)) return;
    this.deliveryTerm.set(key, term);
    this.leaderHint.set(key, from);
    const conn = this.broker.connections.get(cid.conn);
    const ch = conn?.channels.get(cid.channel);
    const rc = ch?.open ? ch.remoteConsumers?.get(cid.tag) : undefined;
    if (conn === undefined || ch === undefined || rc === undefined || !rc.quorum || rc.key !== key || consumerKey(this.cid(rc)) !== consumerKey(cid)) {
      // The consumer is gone (its channel closed, this node restarted): its messages go back.
      this.sendCommand(key, { op: 'cancel', cid });
      return;
    }
    for (const d of deliveries) {
      const m = d.message;
      const tag = ch.nextDeliveryTag++;
      if (m.redelivered) this.broker.stats.redelivered++;
      if (!rc.noAck) ch.unacked.set(tag, { tag, remote: rc, id: d.id });
      const content: Content = m.deliveryCount > 0
        ? { ...m.content, properties: { ...m.content.properties, headers: { ...(m.content.properties.headers ?? {}), 'x-delivery-count': m.deliveryCount } } }
        : m.content;
      this.broker.send(conn, {
        type: 'basic.deliver', conn: conn.id, channel: ch.number, consumerTag: rc.tag, deliveryTag: tag, redelivered: m.redelivered,
        exchange: m.exchange, routingKey: m.routingKey, queue: rc.queue, content,
      }, FRAME_BYTES + content.bytes);
    }
  }

  // ------------------------------------------------------------------ messages from peers

  /** rabbit_alarm: this node's resource alarm, to every other node. */
  broadcastAlarm(on: boolean): void {
    for (const peer of this.peers) this.sendAlarm(peer, on);
  }

  sendAlarm(peer: string, on: boolean): void {
    this.toPeer(peer, { type: 'rabbit_alarm', resource: 'disk', on }, FRAME_BYTES);
  }

  onPeer(from: string, msg: PeerMessage): void {
    if (this.stopped) return;
    switch (msg.type) {
      case 'rabbit_alarm':
        return this.broker.alarms.remote(from, msg.on);
      case 'ra.append_entries':
      case 'ra.append_entries_reply':
      case 'ra.request_vote':
      case 'ra.request_vote_reply':
      case 'ra.timeout_now':
        this.members.get(msg.queue)?.raft.receive(from, msg);
        return;
      case 'ra.command':
        return this.onCommand(msg.queue, msg.cmd, msg.forwarded);
      case 'ra.applied':
        return this.onApplied(msg.queue, msg.req, from);
      case 'ra.leader_change':
        return this.onLeaderChange(msg.queue, from);
      case 'ra.deliver':
        return this.onDeliver(msg.queue, msg.term, msg.cid, msg.deliveries, from);
      case 'delegate.publish':
        return this.delegate.publish(from, msg);
      case 'delegate.confirm': {
        const ch = this.broker.connections.get(msg.conn)?.channels.get(msg.channel);
        const p = ch?.pending?.get(msg.seq);
        if (ch === undefined || p === undefined) return;
        const at = p.nodes.indexOf(from);
        if (at < 0) return; // already nacked when `from` was seen down
        p.nodes.splice(at, 1);
        return this.partDone(ch, msg.seq, msg.ack);
      }
      case 'delegate.consume':
        return this.delegate.consume(from, msg);
      case 'delegate.settle':
        return this.delegate.settle(msg);
      case 'delegate.close':
        return this.delegate.close(msg);
      case 'delegate.cancel':
        return this.delegate.cancel(msg);
      case 'delegate.queue_deleted':
        this.deletedElsewhere.add(msg.queue);
        return;
      case 'basic.deliver':
        return this.delegate.relayDeliver(from, msg);
      case 'channel.close':
        return this.delegate.proxyClosed(msg);
      case 'basic.consume-ok':
      case 'basic.cancel-ok':
        return; // answers to the proxies' basic.consume / basic.cancel
      case 'gm.publish':
      case 'gm.ack':
      case 'gm.drop':
      case 'gm.view':
      case 'gm.join':
      case 'gm.join-reply':
      case 'sync_msgs':
      case 'sync_msgs-ok':
        this.mirrors?.onMessage(from, msg);
        return;
      default:
        return unreachable(msg, 'peer message');
    }
  }
}

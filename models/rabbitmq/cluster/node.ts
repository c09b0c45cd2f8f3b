import type { Actor, Message, NodeContext } from '../../../sim/node.js';
import type { Micros } from '../../../sim/time.js';
import { timersOf, unreachable, type TimerArgs } from '../../../sim/timers.js';
import { notes } from '../notes.js';
import { FRAME_BYTES, isDistAck, isDistClose, isNetTick, type DistAck, type DistClose, type NetTick, type TcpRst } from '../protocol.js';

/**
 * One RabbitMQ node of a cluster (rabbit-1..rabbit-N): the Erlang VM around the rabbit
 * application. The VM keeps running while the application (the broker: queues, connections,
 * quorum queue members) may be stopped and started again, which is what pause_minority and
 * autoheal do; a crash of the node (a fault) takes both.
 *
 * Node-to-node traffic is Erlang distribution: one TCP connection per pair of nodes, so a
 * message is not lost to a short network cut: it is retransmitted (after 200ms, then backing off
 * by doubling up to 30s while the peer stays silent, like TCP's retransmission timer) until the
 * peer acknowledges it, and only a connection torn down (the peer seen down) loses what was in
 * flight; while a peer is down, messages to it are sent once and lost if they do not arrive (the
 * connection attempt fails). The model numbers each message to a peer (`dseq`, per connection
 * `depoch`), drops duplicates on arrival and acknowledges with `dist.ack`.
 *
 * Peer liveness is Erlang's net ticktime (`net_ticktime`, default 60s): every net_ticktime/4
 * the node sends a `tick` to each peer, and a peer from which nothing (tick or other traffic)
 * arrived for net_ticktime (four tick periods) is down (`nodedown` note, reason
 * net_tick_timeout). Anything heard from a down peer brings it back up (`nodeup`); a peer that
 * comes back with a new incarnation (it restarted) was down in between. A peer seen down and
 * then up again without having restarted means there was a network partition
 * (`partition-detected`).
 *
 * `cluster_partition_handling`:
 * - `ignore` (default): nothing; both sides keep serving their clients (split brain for
 *   classic queues).
 * - `pause_minority`: a node that sees itself in a minority (the nodes it can reach, itself
 *   included, are no more than half the cluster) stops the rabbit application: client
 *   connections are closed (connection.close 320 CONNECTION_FORCED), new ones refused, its
 *   quorum queue members stop; ticks go on, and once it sees a majority again it starts the
 *   application afresh, as a restart (classic queues recover from disk).
 * - `autoheal`: when the partition heals, the nodes of the losing side restart the rabbit
 *   application (losing what a restart loses). The winner is the side with more nodes, ties to
 *   the side holding the lowest-named node (RabbitMQ picks the side with the most client
 *   connections first; the model does not count connections).
 */

export type PartitionHandling = 'ignore' | 'pause_minority' | 'autoheal';

/** How often a stopping node checks that its quorum leaderships were handed over, and how long it waits at most (model constants). */
const STOP_POLL: Micros = 10_000;
const STOP_TRANSFER_WAIT: Micros = 5_000_000;

export interface ClusterView {
  readonly self: string;
  readonly nodes: readonly string[];
  isUp(node: string): boolean;
}

/** What the node needs of the application it runs (RabbitBroker). */
export interface RabbitApp extends Actor {
  /** `shutdown`: the peer stopped in order (its distribution connections closed: dist.close), not failed. */
  nodeDown(node: string, shutdown?: boolean): void;
  nodeUp(node: string): void;
  /** The application is stopping (pause_minority, autoheal restart, rabbitmqctl stop): close connections, stop members. */
  shutdown(why: string): void;
  /** rabbitmqctl stop: hand every quorum queue leadership on this node to a caught-up member; how many were handed over. */
  transferLeaderships(): number;
  /** Whether a quorum queue member on this node still leads its queue. */
  leadsAny(): boolean;
}

/**
 * The node's timers: the net tick, the distribution retransmission and delayed-ack timers, and
 * the application's timers (`app`, tagged with the application's generation so a stopped
 * application's timers die with it; the application's own tag and data inside).
 */
type NodeTimer =
  | { tag: 'tick'; data: undefined }
  | { tag: 'dist-rto'; data: undefined }
  | { tag: 'dist-ack'; data: string }
  | { tag: 'app'; data: { readonly gen: number; readonly tag: string; readonly data: unknown } }
  | { tag: 'stop-wait'; data: number };
const timers = timersOf<NodeTimer>();

interface Peer {
  lastHeard: Micros;
  up: boolean;
  incarnation: Micros | null;
}

/** The sending side of the distribution connection to one peer. */
interface Outbound {
  epoch: number;
  next: number;
  /** Current retransmission timeout (doubles while unanswered) and when this peer's entries were last resent. */
  rto: Micros;
  lastResend: Micros;
  readonly unacked: Map<number, { wire: Message; bytes: number; sentAt: Micros }>;
}

/** The receiving side: what arrived of the peer's connection `epoch`. */
interface Inbound {
  epoch: number;
  upTo: number;
  readonly above: Set<number>;
  ackPending: boolean;
}

const RETRANSMIT: Micros = 200_000;
const MAX_RETRANSMIT: Micros = 30_000_000;
const ACK_DELAY: Micros = 20_000;

interface Wire { readonly dseq?: number; readonly depoch?: number }

export class RabbitNode implements Actor {
  private ctx!: NodeContext;
  private app: RabbitApp | null = null;
  private generation = 0;
  private incarnation: Micros = 0;
  private readonly peers = new Map<string, Peer>();
  private paused = false;
  private readonly outbound = new Map<string, Outbound>();
  private readonly inbound = new Map<string, Inbound>();
  private epochs = 0;
  private retransmitArmed = false;
  /** autoheal: this split's decision is taken (until every peer is back). */
  private autohealDecided = false;
  readonly view: ClusterView;

  constructor(
    private readonly nodes: readonly string[],
    private readonly netTicktime: Micros,
    private readonly handling: PartitionHandling,
    private readonly makeApp: (view: ClusterView) => RabbitApp,
    private readonly onApp?: (app: RabbitApp | null) => void,
  ) {
    const self = this;
    this.view = {
      get self() {
        return self.ctx.name;
      },
      nodes,
      isUp: (node) => node === self.ctx.name || (self.peers.get(node)?.up ?? false),
    };
  }

  get running(): boolean {
    return !this.paused;
  }

  start(ctx: NodeContext, restarted: boolean): void {
    this.ctx = ctx;
    this.incarnation = ctx.trueNow();
    for (const n of this.nodes) if (n !== ctx.name) this.peers.set(n, { lastHeard: ctx.trueNow(), up: true, incarnation: null });
    this.startApp(restarted);
    this.tick();
  }

  /** Starts a new generation of the application with a context that goes quiet when it ends. */
  private startApp(restarted: boolean): void {
    const gen = ++this.generation;
    const base = this.ctx;
    const node = this;
    const ctx: NodeContext = Object.assign(Object.create(base) as NodeContext, {
      send(to: string, message: Message, bytes?: number) {
        if (node.generation !== gen) return;
        if (node.peers.has(to)) node.distSend(to, message, bytes ?? 128);
        else base.send(to, message, bytes);
      },
      setTimer(delay: Micros, tag: string, data?: unknown) {
        return timers.set(base, delay, 'app', { gen, tag, data });
      },
      // Untyped on purpose: the application's notes are typed where it writes them (notes.ts).
      note(what: string, detail?: Record<string, unknown>) {
        if (node.generation === gen) base.note(what, detail);
      },
    });
    this.app = this.makeApp(this.view);
    this.app.start(ctx, restarted);
    this.onApp?.(this.app);
  }

  private stopApp(why: string): void {
    this.app?.shutdown(why);
    this.generation++;
    this.app = null;
    this.onApp?.(null);
  }

  receive(from: string, message: Message): void {
    const peer = this.peers.get(from);
    const tick = isNetTick(message);
    if (peer) this.heard(from, peer, tick ? message.incarnation : null);
    if (tick) return;
    if (peer) {
      if (isDistAck(message)) return this.onDistAck(from, message);
      if (isDistClose(message)) {
        if (peer.up) this.down(from, peer, 'connection_closed');
        return;
      }
      if (!this.distReceive(from, message)) return; // a duplicate
    }
    if (this.app) {
      this.app.receive(from, message);
      return;
    }
    // The application is stopped: the AMQP listener is closed, a client's segment gets a reset.
    if (!peer && 'conn' in message && typeof message.conn === 'string') {
      const rst: TcpRst = { type: 'tcp.rst', conn: message.conn };
      this.ctx.send(from, rst, FRAME_BYTES);
    }
  }

  onTimer(...[tag, data]: TimerArgs<NodeTimer>): void {
    switch (tag) {
      case 'tick':
        return this.tick();
      case 'dist-rto':
        return this.retransmit();
      case 'dist-ack':
        return this.sendAck(data);
      case 'app':
        if (data.gen === this.generation && this.app) this.app.onTimer?.(data.tag, data.data);
        return;
      case 'stop-wait':
        return this.stopWait(data);
      default:
        return unreachable(tag, 'node timer');
    }
  }

  /**
   * `rabbitmqctl stop`: the quorum queue leaders on this node hand over to caught-up members
   * (ra.timeout_now) and the node waits until none leads any more (at most STOP_TRANSFER_WAIT);
   * then the rabbit application stops (clients get connection.close 320 CONNECTION_FORCED, reason
   * 'shutdown'), the distribution connections close (the peers see it down at once, not
   * net_ticktime later) and the VM exits.
   */
  stop(done: () => void): void {
    notes.note(this.ctx, 'node-stopping', { node: this.ctx.name });
    this.stopDone = done;
    const handed = this.app?.transferLeaderships() ?? 0;
    if (handed === 0) return this.exit();
    timers.set(this.ctx, STOP_POLL, 'stop-wait', 0);
  }

  private stopDone: (() => void) | null = null;

  /** 'stop-wait': leaderships handed over (or the wait is over): exit. */
  private stopWait(waited: number): void {
    if (this.stopDone === null) return;
    if (this.app?.leadsAny() && (waited + 1) * STOP_POLL < STOP_TRANSFER_WAIT) {
      timers.set(this.ctx, STOP_POLL, 'stop-wait', waited + 1);
      return;
    }
    this.exit();
  }

  private exit(): void {
    const done = this.stopDone!;
    this.stopDone = null;
    this.stopApp('shutdown');
    const close: DistClose = { type: 'dist.close' };
    for (const [name, peer] of this.peers) if (peer.up) this.ctx.send(name, close, 16);
    done();
  }

  private heard(name: string, peer: Peer, incarnation: Micros | null): void {
    peer.lastHeard = this.ctx.trueNow();
    if (incarnation !== null && peer.incarnation !== null && incarnation !== peer.incarnation && peer.up) {
      // It restarted since we last heard it: it was down in between.
      peer.incarnation = incarnation;
      this.down(name, peer, 'restarted');
      this.up(name, peer, false);
      return;
    }
    const sameIncarnation = incarnation === null || peer.incarnation === null || incarnation === peer.incarnation;
    if (incarnation !== null) peer.incarnation = incarnation;
    if (!peer.up) this.up(name, peer, sameIncarnation);
  }

  private tick(): void {
    const now = this.ctx.trueNow();
    for (const [name, peer] of this.peers) {
      const tick: NetTick = { type: 'tick', incarnation: this.incarnation };
      this.ctx.send(name, tick, 16);
      if (peer.up && now - peer.lastHeard >= this.netTicktime) this.down(name, peer, 'net_tick_timeout');
    }
    timers.set(this.ctx, Math.max(1, Math.round(this.netTicktime / 4)), 'tick', undefined);
  }

  private down(name: string, peer: Peer, reason: string): void {
    peer.up = false;
    // The distribution connection is torn down: what was in flight on it is gone.
    this.outbound.delete(name);
    this.inbound.delete(name);
    notes.note(this.ctx, 'nodedown', { node: name, reason });
    this.app?.nodeDown(name, reason === 'connection_closed');
    if (this.handling === 'pause_minority' && !this.paused && !this.inMajority()) {
      this.paused = true;
      notes.note(this.ctx, 'pause_minority', { node: this.ctx.name, reachable: this.reachable().join(','), action: 'pause' });
      this.stopApp('pause_minority');
    }
  }

  private up(name: string, peer: Peer, partitioned: boolean): void {
    const downPeers = [...this.peers].filter(([, p]) => !p.up).map(([n]) => n);
    peer.up = true;
    notes.note(this.ctx, 'nodeup', { node: name });
    if (partitioned) notes.note(this.ctx, 'partition-detected', { node: this.ctx.name, peer: name });
    if (this.paused) {
      if (this.inMajority()) {
        this.paused = false;
        notes.note(this.ctx, 'pause_minority', { node: this.ctx.name, reachable: this.reachable().join(','), action: 'resume' });
        this.startApp(true);
        for (const [n, p] of this.peers) if (!p.up) this.app?.nodeDown(n);
      }
      return;
    }
    this.app?.nodeUp(name);
    const decided = this.autohealDecided;
    if (downPeers.length === 1) this.autohealDecided = false; // every peer is back: the episode is over
    if (this.handling === 'autoheal' && partitioned && this.app && !decided) {
      this.autohealDecided = downPeers.length > 1;
      // Sides of the split as this node saw it just before the heal.
      const mine = this.nodes.filter((n) => !downPeers.includes(n));
      const theirs = downPeers;
      const loses = mine.length < theirs.length || (mine.length === theirs.length && minName(theirs) < minName(mine));
      notes.note(this.ctx, 'autoheal', { node: this.ctx.name, winner: (loses ? theirs : mine).join(','), losers: (loses ? mine : theirs).join(',') });
      if (loses) {
        this.stopApp('autoheal');
        this.startApp(true);
        for (const [n, p] of this.peers) if (!p.up) this.app?.nodeDown(n);
      }
    }
  }

  // ------------------------------------------------------------------ distribution connections

  private distSend(to: string, message: Message, bytes: number): void {
    if (!this.peers.get(to)!.up) {
      this.ctx.send(to, message, bytes);
      return;
    }
    let out = this.outbound.get(to);
    if (!out) {
      out = { epoch: distEpochBase(this.incarnation) + ++this.epochs, next: 0, rto: RETRANSMIT, lastResend: this.ctx.trueNow(), unacked: new Map() };
      this.outbound.set(to, out);
    }
    const seq = ++out.next;
    const wire: Message & Wire = { ...message, dseq: seq, depoch: out.epoch };
    out.unacked.set(seq, { wire, bytes, sentAt: this.ctx.trueNow() });
    this.ctx.send(to, wire, bytes);
    if (!this.retransmitArmed) {
      this.retransmitArmed = true;
      timers.set(this.ctx, RETRANSMIT, 'dist-rto', undefined);
    }
  }

  private retransmit(): void {
    this.retransmitArmed = false;
    const now = this.ctx.trueNow();
    let waiting = false;
    for (const [to, out] of this.outbound) {
      if (out.unacked.size === 0) continue;
      waiting = true;
      if (now - out.lastResend < out.rto) continue;
      let resent = false;
      for (const entry of out.unacked.values()) {
        if (now - entry.sentAt < out.rto) continue;
        entry.sentAt = now;
        resent = true;
        this.ctx.send(to, entry.wire, entry.bytes);
      }
      if (resent) {
        out.lastResend = now;
        out.rto = Math.min(out.rto * 2, MAX_RETRANSMIT);
      }
    }
    if (waiting) {
      this.retransmitArmed = true;
      timers.set(this.ctx, RETRANSMIT, 'dist-rto', undefined);
    }
  }

  /** False for a message already received on this connection (a retransmission). */
  private distReceive(from: string, wire: Message & Wire): boolean {
    if (wire.dseq === undefined || wire.depoch === undefined) return true;
    let inb = this.inbound.get(from);
    if (inb && wire.depoch < inb.epoch) return false; // an older connection's straggler
    if (!inb || wire.depoch > inb.epoch) this.inbound.set(from, (inb = { epoch: wire.depoch, upTo: 0, above: new Set(), ackPending: false }));
    const seq = wire.dseq;
    if (seq <= inb.upTo || inb.above.has(seq)) {
      this.scheduleAck(from, inb);
      return false;
    }
    if (seq === inb.upTo + 1) {
      inb.upTo++;
      while (inb.above.delete(inb.upTo + 1)) inb.upTo++;
    } else {
      inb.above.add(seq);
    }
    this.scheduleAck(from, inb);
    return true;
  }

  private scheduleAck(from: string, inb: Inbound): void {
    if (inb.ackPending) return;
    inb.ackPending = true;
    timers.set(this.ctx, ACK_DELAY, 'dist-ack', from);
  }

  private sendAck(to: string): void {
    const inb = this.inbound.get(to);
    if (!inb) return;
    inb.ackPending = false;
    const ack: DistAck = { type: 'dist.ack', depoch: inb.epoch, upTo: inb.upTo };
    this.ctx.send(to, ack, 16);
  }

  private onDistAck(from: string, ack: DistAck): void {
    const out = this.outbound.get(from);
    if (!out || out.epoch !== ack.depoch) return;
    out.rto = RETRANSMIT;
    for (const seq of out.unacked.keys()) {
      if (seq > ack.upTo) break;
      out.unacked.delete(seq);
    }
  }

  private reachable(): string[] {
    return this.nodes.filter((n) => n === this.ctx.name || this.peers.get(n)?.up);
  }

  private inMajority(): boolean {
    return this.reachable().length * 2 > this.nodes.length;
  }
}

export function distEpochBase(incarnation: Micros): number {
  return incarnation * 1024;
}

function minName(names: readonly string[]): string {
  return [...names].sort()[0] ?? '';
}

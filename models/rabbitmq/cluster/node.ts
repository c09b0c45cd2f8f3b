import type { Actor, Message, NodeContext } from '../../../sim/node.js';
import type { Micros } from '../../../sim/time.js';
import { timersOf, unreachable, type TimerArgs } from '../../../sim/timers.js';
import { notes } from '../notes.js';
import type { CloseReason } from '../../../sim/connection.js';
import { FRAME_BYTES, isDistClose, isNetTick, type DistClose, type NetTick, type TcpRst } from '../protocol.js';

/**
 * One RabbitMQ node of a cluster (rabbit-1..rabbit-N): the Erlang VM around the rabbit
 * application. The VM keeps running while the application (the broker: queues, connections,
 * quorum queue members) may be stopped and started again, which is what pause_minority and
 * autoheal do; a crash of the node (a fault) takes both.
 *
 * Node-to-node traffic is Erlang distribution: one TCP connection per pair of nodes, a kernel
 * connection (sim/connection.ts), opened by the first message or tick to the peer. While it is
 * up its messages arrive in order and once, across short cuts (TCP retransmits); when it ends,
 * what was on it is lost. Peer liveness (rabbit_node_monitor over net_kernel):
 * - the connection ends (the peer's process was killed and its kernel reset the connection, it
 *   closed it, or TCP gave up): the peer is down at once (`nodedown`, reason connection_closed);
 * - silence (the peer's machine crashed, paused, or a partition cut the path): Erlang's net
 *   ticktime (`net_ticktime`, default 60s) sends a `tick` to each peer every net_ticktime/4, and a
 *   peer from which nothing arrived for net_ticktime (four tick periods) is down (reason
 *   net_tick_timeout); the node then closes its side of the connection.
 * Ticks go on to a peer seen down (each opens a new connection: refused while nothing listens,
 * retried through a partition), so a peer is up again (`nodeup`) as soon as anything arrives
 * from it; a peer that comes back with a new incarnation (it restarted) was down in between. A
 * peer seen down and then up again without having restarted means there was a network
 * partition (`partition-detected`). The application's messages to a peer seen down are sent only
 * on a connection that is open again: Erlang drops a message whose connection setup fails.
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
 * The node's timers: the net tick, and the application's timers (`app`, tagged with the application's generation so a stopped
 * application's timers die with it; the application's own tag and data inside).
 */
type NodeTimer =
  | { tag: 'tick'; data: undefined }
  | { tag: 'app'; data: { readonly gen: number; readonly tag: string; readonly data: unknown } }
  | { tag: 'stop-wait'; data: number };
const timers = timersOf<NodeTimer>();

interface Peer {
  lastHeard: Micros;
  up: boolean;
  incarnation: Micros | null;
}

export class RabbitNode implements Actor {
  private ctx!: NodeContext;
  private app: RabbitApp | null = null;
  private generation = 0;
  private incarnation: Micros = 0;
  private readonly peers = new Map<string, Peer>();
  private paused = false;
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
    if (peer && isDistClose(message)) {
      if (peer.up) this.down(from, peer, 'connection_closed', true);
      return;
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

  /**
   * A connection ended. To a peer: the distribution connection is gone, and with it the peer
   * (net_kernel's nodedown at once, not net_ticktime later). To a client: the application's.
   */
  onConnectionClosed(peer: string, reason: CloseReason): void {
    const p = this.peers.get(peer);
    if (p === undefined) {
      this.app?.onConnectionClosed?.(peer, reason);
      return;
    }
    // An older connection of a peer that talks to us on a newer one (both ends opened one after a cut) is nothing to go by.
    if (p.up && this.ctx.connection(peer) !== 'open') this.down(peer, p, 'connection_closed');
  }

  onTimer(...[tag, data]: TimerArgs<NodeTimer>): void {
    switch (tag) {
      case 'tick':
        return this.tick();
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
      this.ctx.connect(name);
      this.ctx.send(name, tick, 16);
      if (peer.up && now - peer.lastHeard >= this.netTicktime) {
        this.down(name, peer, 'net_tick_timeout');
        // net_kernel closes the silent connection; the next tick opens a new one.
        this.ctx.disconnect(name);
      }
    }
    timers.set(this.ctx, Math.max(1, Math.round(this.netTicktime / 4)), 'tick', undefined);
  }

  /** `shutdown`: the peer said it stops in order (dist.close) before closing its connections. */
  private down(name: string, peer: Peer, reason: string, shutdown = false): void {
    peer.up = false;
    notes.note(this.ctx, 'nodedown', { node: name, reason });
    this.app?.nodeDown(name, shutdown);
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

  /** An application message to a peer: on the distribution connection (opened if need be); to a peer seen down, only once that is open again. */
  private distSend(to: string, message: Message, bytes: number): void {
    if (!this.peers.get(to)!.up && this.ctx.connection(to) !== 'open') {
      this.ctx.connect(to);
      return;
    }
    this.ctx.connect(to);
    this.ctx.send(to, message, bytes);
  }

  private reachable(): string[] {
    return this.nodes.filter((n) => n === this.ctx.name || this.peers.get(n)?.up);
  }

  private inMajority(): boolean {
    return this.reachable().length * 2 > this.nodes.length;
  }
}

function minName(names: readonly string[]): string {
  return [...names].sort()[0] ?? '';
}

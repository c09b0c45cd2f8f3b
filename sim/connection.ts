import type { Kernel, Timer } from './kernel.js';
import type { Link, Network } from './network.js';
import type { Message } from './node.js';
import type { RandomStream } from './random.js';
import type { Micros } from './time.js';
import type { Trace, TraceKind } from './trace.js';

/**
 * Connections, as TCP gives them to the processes at both ends (Linux defaults).
 *
 * While a connection is up its messages arrive in order and once: a segment lost on the link
 * (the link's `loss`) or cut by a partition, or sent to a machine that is down, is retransmitted
 * after the retransmission timeout (200 ms minimum, doubling up to 120 s), and what was sent
 * after it waits behind it. Loss on a live link therefore shows as delay, never as a gap.
 *
 * How a connection ends is what each fault looks like from the other end:
 * - the peer's process is killed on a live machine: its kernel closes the socket and the peer
 *   sees the close (`reset`) one link latency later; anything sent to the dead process later
 *   is answered with RST as well;
 * - the peer stops in order (closes its sockets): `fin`, after the data already on the wire;
 * - the peer's machine crashes, its process pauses, or a partition cuts the path: silence. An
 *   idle connection notices nothing; a connection with data to send retransmits until the path
 *   comes back (the data then arrives late), until the restarted machine answers RST (`reset`),
 *   or until tcp_retries2 = 15 retransmissions (924.6 s) are used up (`timeout`). The protocols'
 *   own timeouts (request.timeout.ms, heartbeats) usually fire long before;
 * - connecting to a live machine where nothing listens: RST to the SYN (`refused`); to a machine
 *   that is down or cut off: the SYN is retried 1 s, 2 s, ... (tcp_syn_retries = 6, 127 s) and
 *   then `timeout`.
 *
 * One connection per pair of nodes: the one that calls `connect` opens it, the other end accepts,
 * and both send on it. A node's sends go on its connection to the peer when it has one (messages
 * sent while the handshake runs wait for it); without one they are datagrams on the link
 * (sim/network.ts), so models move onto connections one at a time.
 */

export type CloseReason = 'reset' | 'refused' | 'fin' | 'timeout';
export const CLOSE_REASONS: readonly CloseReason[] = ['reset', 'refused', 'fin', 'timeout'];

export type ConnectionState = 'none' | 'connecting' | 'open';

/** Linux TCP's timers (net.ipv4 defaults), in microseconds. */
export const TCP = {
  /** TCP_RTO_MIN: the retransmission timeout on a LAN, where the measured RTT is far below it. */
  rtoMin: 200_000,
  /** TCP_RTO_MAX. */
  rtoMax: 120_000_000,
  /** tcp_retries2 = 15: 200 ms doubling to 120 s, 16 timeouts in all = 924.6 s before ETIMEDOUT. */
  retriesTimeout: 924_600_000,
  /** The SYN's first retransmission timeout (TCP_TIMEOUT_INIT). */
  synRto: 1_000_000,
  /** tcp_syn_retries. */
  synRetries: 6,
} as const;

/** What the connections need from the world. */
export interface ConnectionHost {
  incarnation(node: number): number;
  /** The process exists (up or paused): its kernel holds its sockets and ACKs for it. */
  processAlive(node: number): boolean;
  /** The machine is up: its kernel answers (RST for a port no process listens on). */
  machineUp(node: number): boolean;
  deliver(from: number, to: number, message: Message): void;
  opened(node: number, incarnation: number, peer: number): void;
  closed(node: number, incarnation: number, peer: number, reason: CloseReason): void;
}

interface Segment {
  readonly conn: Connection;
  readonly dir: Direction;
  readonly message: Message;
  readonly typeId: number;
  readonly bytes: number;
  epoch: number;
}

interface Direction {
  /** Set right after the connection is built. */
  conn: Connection;
  readonly from: number;
  readonly to: number;
  readonly link: Link;
  /** Not yet on the wire: waiting for the handshake, or behind a segment being retransmitted. */
  queue: Segment[];
  /**
   * On the wire, in arrival order: `inflight[inflightHead..]`. Segments arrive in the order they
   * left, so an arrival takes the head by moving an index (a splice from the front per message
   * moved every segment behind it: 6% of a RabbitMQ benchmark's CPU profile).
   */
  inflight: Segment[];
  inflightHead: number;
  /** Bumped when what is on the wire is lost (cut, machine down): older arrivals are ignored. */
  epoch: number;
  rto: Micros;
  /** When the head segment was first lost; -1 while nothing is being retransmitted. */
  stalledSince: Micros;
  retransmit: Timer | null;
}

interface Connection {
  readonly id: number;
  /** The connecting side and the accepting side. */
  readonly a: number;
  readonly b: number;
  readonly incA: number;
  /** The accepting side's incarnation, known once it accepted (-1 before). */
  incB: number;
  state: 'connecting' | 'open' | 'closed';
  readonly ab: Direction;
  readonly ba: Direction;
  synTries: number;
  syn: Timer | null;
}

export class Connections {
  /** Each node's current connection to each peer, keyed by sideKey(node, peer). */
  private readonly sides = new Map<number, Connection>();
  private nextId = 1;
  private readonly sendKind: TraceKind;
  private readonly deliverKind: TraceKind;
  private readonly connectKind: TraceKind;
  private readonly openKind: TraceKind;
  private readonly closeKind: TraceKind;
  private readonly retransmitKind: TraceKind;
  private readonly reasonIds: Record<CloseReason, number>;
  private readonly closedDrop: number;
  private readonly arriveHandler = (segment: Segment) => this.arrive(segment);
  private readonly retransmitHandler = (dir: Direction) => this.onRetransmit(dir);
  private readonly synHandler = (conn: Connection) => this.sendSyn(conn);
  private readonly synArriveHandler = (conn: Connection) => this.synArrive(conn);
  private readonly synAckHandler = (conn: Connection) => this.synAckArrive(conn);
  private readonly endHandler = (end: { conn: Connection; node: number; reason: CloseReason }) => this.end(end.conn, end.node, end.reason);
  retransmissions = 0;

  constructor(
    private readonly kernel: Kernel,
    private readonly network: Network,
    private readonly trace: Trace,
    private readonly host: ConnectionHost,
  ) {
    this.sendKind = trace.kind('net.send', { from: 'node', to: 'node', type: 'name', bytes: 'int' });
    this.deliverKind = trace.kind('net.deliver', { from: 'node', to: 'node', type: 'name', bytes: 'int' });
    this.connectKind = trace.kind('conn.connect', { from: 'node', to: 'node' });
    this.openKind = trace.kind('conn.open', { from: 'node', to: 'node' });
    this.closeKind = trace.kind('conn.close', { node: 'node', peer: 'node', reason: 'name' });
    this.retransmitKind = trace.kind('net.retransmit', { from: 'node', to: 'node', type: 'name', rto: 'int' });
    this.reasonIds = { reset: trace.intern('reset'), refused: trace.intern('refused'), fin: trace.intern('fin'), timeout: trace.intern('timeout') };
    this.closedDrop = trace.intern('connection-closed');
    network.onCut = (from, to) => this.onCut(from, to);
  }

  /** The node's connection to the peer as the node sees it. */
  state(node: number, peer: number): ConnectionState {
    const conn = this.current(node, peer);
    if (!conn) return 'none';
    return conn.state === 'open' ? 'open' : 'connecting';
  }

  /** Opens a connection from node to peer unless the node has one (open or being opened). */
  connect(node: number, peer: number): void {
    if (this.current(node, peer)) return;
    const conn: Connection = {
      id: this.nextId++, a: node, b: peer, incA: this.host.incarnation(node), incB: -1, state: 'connecting',
      ab: this.direction(node, peer), ba: this.direction(peer, node), synTries: 0, syn: null,
    };
    conn.ab.conn = conn;
    conn.ba.conn = conn;
    this.sides.set(sideKey(node, peer), conn);
    this.trace.record(this.connectKind, this.kernel.now, node, node, peer);
    this.sendSyn(conn);
  }

  /**
   * Sends on the node's connection to `to`. Returns false when the node has no live connection
   * to it (the caller sends a datagram instead).
   */
  send(from: number, to: number, message: Message, bytes: number): boolean {
    const conn = this.current(from, to);
    if (!conn) return false;
    const dir = conn.a === from ? conn.ab : conn.ba;
    const typeId = this.trace.intern(message.type);
    this.network.sent++;
    this.trace.record(this.sendKind, this.kernel.now, from, from, to, typeId, bytes, message);
    dir.queue.push({ conn, dir, message, typeId, bytes, epoch: -1 });
    if (conn.state === 'open' && dir.retransmit === null) this.transmit(dir);
    return true;
  }

  /** The node closes its connection to the peer in order: the peer sees `fin` after what is on the wire. */
  disconnect(node: number, peer: number): void {
    const conn = this.current(node, peer);
    if (!conn) return;
    this.sides.delete(sideKey(node, peer));
    const dir = conn.a === node ? conn.ab : conn.ba;
    if (conn.state === 'connecting') return this.end(conn, -1, 'fin');
    this.notifyPeer(conn, dir, 'fin');
  }

  /**
   * The node's process ended on a live machine: killed (`reset`) or exited (`fin`). Its kernel
   * closes every socket, and each peer learns it one latency later (unless the path is cut: then
   * it learns when its own data reaches the machine and is answered with RST, or times out).
   */
  processEnded(node: number, incarnation: number, reason: 'reset' | 'fin'): void {
    for (const conn of this.connectionsOf(node, incarnation)) {
      const dir = conn.a === node ? conn.ab : conn.ba;
      this.sides.delete(sideKey(node, conn.a === node ? conn.b : conn.a));
      this.discard(dir, false);
      this.cancel(dir);
      if (conn.state === 'connecting' && conn.a === node) this.end(conn, -1, reason);
      else this.notifyPeer(conn, dir, reason);
    }
  }

  /**
   * The node's machine went down: nothing is said to anyone. What it had not sent is gone; what
   * was on the wire to it is lost, and its peers retransmit into the silence.
   */
  machineDown(node: number, incarnation: number): void {
    for (const conn of this.connectionsOf(node, incarnation)) {
      const out = conn.a === node ? conn.ab : conn.ba;
      this.discard(out, false);
      this.cancel(out);
      const inbound = conn.a === node ? conn.ba : conn.ab;
      if (onWire(inbound) > 0) this.lose(inbound);
    }
  }

  /**
   * A datagram from `from` reached `to`. If `to` still holds a connection to an earlier
   * incarnation of `from` (half-open since a crash), that socket is not the one a newer process
   * talks on: `to` stops answering into it (it would only be reset).
   */
  datagramArrived(from: number, to: number): void {
    const conn = this.sides.get(sideKey(to, from));
    if (conn === undefined || conn.state === 'closed') return;
    const peerIncarnation = conn.a === from ? conn.incA : conn.incB;
    if (peerIncarnation >= 0 && peerIncarnation !== this.host.incarnation(from)) this.end(conn, -1, 'reset');
  }

  // ---------------------------------------------------------------- handshake

  private sendSyn(conn: Connection): void {
    conn.syn = null;
    if (conn.state !== 'connecting') return;
    const link = conn.ab.link;
    if (link.cuts > 0 || !this.host.machineUp(conn.b) || (link.config.loss > 0 && link.random.chance(link.config.loss))) {
      // No SYN-ACK: retry with a doubling timeout, then give up.
      if (conn.synTries >= TCP.synRetries) return this.end(conn, conn.a, 'timeout');
      conn.syn = this.kernel.after(TCP.synRto * 2 ** conn.synTries, this.synHandler, conn, this.connectKind.id, conn.a);
      conn.synTries++;
      return;
    }
    this.kernel.at(this.kernel.now + Math.round(link.latency()), this.synArriveHandler, conn, this.connectKind.id, conn.b);
  }

  private synArrive(conn: Connection): void {
    if (conn.state !== 'connecting') return;
    const b = conn.b;
    if (!this.host.machineUp(b)) return this.retrySyn(conn);
    const back = conn.ba.link;
    if (back.cuts > 0) return this.retrySyn(conn);
    const delay = Math.round(back.latency());
    if (!this.host.processAlive(b)) {
      // Nothing listens on the port: the machine's kernel answers RST.
      this.kernel.at(this.kernel.now + delay, this.endHandler, { conn, node: conn.a, reason: 'refused' as const }, this.closeKind.id, conn.a);
      return;
    }
    conn.incB = this.host.incarnation(b);
    const previous = this.current(b, conn.a);
    // The incarnation of conn.a that b's own connection talks to; -1 while b's SYN is unanswered.
    const known = previous === undefined ? -1 : previous.a === conn.a ? previous.incA : previous.incB;
    if (!previous) this.sides.set(sideKey(b, conn.a), conn);
    else if (previous.state === 'connecting' && previous.a === b) {
      // Both ends connecting at once (Erlang distribution does): b takes a's connection and gives
      // up its own attempt; what it had queued there goes out on a's connection instead.
      for (const segment of previous.ab.queue) conn.ba.queue.push({ ...segment, conn, dir: conn.ba });
      previous.ab.queue = [];
      this.sides.set(sideKey(b, conn.a), conn);
      this.end(previous, -1, 'reset');
    } else if (known >= 0 && known !== conn.incA) {
      // The peer restarted and connects again: b's old socket to its earlier incarnation is dead,
      // which b learns now (its next write there would be answered with RST).
      this.sides.set(sideKey(b, conn.a), conn);
      this.end(previous, b, 'reset');
    }
    // else b's open connection to this same process of a: b keeps sending on it, a on this one.
    this.kernel.at(this.kernel.now + delay, this.synAckHandler, conn, this.openKind.id, conn.a);
  }

  private retrySyn(conn: Connection): void {
    if (conn.synTries >= TCP.synRetries) return this.end(conn, conn.a, 'timeout');
    conn.syn = this.kernel.after(TCP.synRto * 2 ** conn.synTries, this.synHandler, conn, this.connectKind.id, conn.a);
    conn.synTries++;
  }

  private synAckArrive(conn: Connection): void {
    if (conn.state !== 'connecting') return;
    conn.state = 'open';
    this.trace.record(this.openKind, this.kernel.now, conn.a, conn.a, conn.b);
    this.host.opened(conn.a, conn.incA, conn.b);
    if (conn.state !== 'open') return;
    if (conn.ab.queue.length > 0) this.transmit(conn.ab);
    if (conn.ba.queue.length > 0) this.transmit(conn.ba);
  }

  // ---------------------------------------------------------------- data

  /** Puts what is queued on the wire, up to the first segment the link loses (then retransmits). */
  private transmit(dir: Direction): void {
    const link = dir.link;
    if (link.cuts > 0 || !this.host.machineUp(dir.to)) return this.stall(dir);
    const kernel = this.kernel;
    const config = link.config;
    let departed = false;
    while (dir.queue.length > 0) {
      if (config.loss > 0 && link.random.chance(config.loss)) {
        // Segments got through before this one: their ACKs reset the retransmission timer.
        if (departed) {
          dir.stalledSince = -1;
          dir.rto = TCP.rtoMin;
        }
        return this.stall(dir);
      }
      const segment = dir.queue.shift()!;
      let departure = kernel.now;
      if (config.bandwidth !== Number.POSITIVE_INFINITY) {
        departure = Math.max(departure, link.busyUntil) + (segment.bytes * 1_000_000) / config.bandwidth;
        link.busyUntil = departure;
      }
      // In order: never before what went out earlier on this link (datagrams included).
      let arrival = Math.round(departure + link.latency());
      if (arrival < link.lastDelivery) arrival = link.lastDelivery;
      link.lastDelivery = arrival;
      segment.epoch = dir.epoch;
      departed = true;
      dir.inflight.push(segment);
      kernel.at(arrival, this.arriveHandler, segment, this.deliverKind.id, dir.to);
    }
    dir.stalledSince = -1;
    dir.rto = TCP.rtoMin;
  }

  /** The head segment was not acknowledged: retransmit it after the RTO, or give up. */
  private stall(dir: Direction): void {
    if (dir.retransmit !== null) return;
    const now = this.kernel.now;
    if (dir.stalledSince < 0) dir.stalledSince = now;
    if (now - dir.stalledSince >= TCP.retriesTimeout) {
      this.end(dir.conn, dir.from, 'timeout');
      return;
    }
    dir.retransmit = this.kernel.after(dir.rto, this.retransmitHandler, dir, this.retransmitKind.id, dir.from);
    dir.rto = Math.min(dir.rto * 2, TCP.rtoMax);
  }

  private onRetransmit(dir: Direction): void {
    dir.retransmit = null;
    const head = dir.queue[0];
    if (!head || head.conn.state !== 'open') return;
    this.retransmissions++;
    this.trace.record(this.retransmitKind, this.kernel.now, dir.from, dir.from, dir.to, head.typeId, dir.rto);
    this.transmit(dir);
  }

  /** What is on the wire in this direction is lost: it goes back to the head of the queue. */
  private lose(dir: Direction): void {
    dir.queue = wireSegments(dir).concat(dir.queue);
    dir.inflight = [];
    dir.inflightHead = 0;
    dir.epoch++;
    this.stall(dir);
  }

  private arrive(segment: Segment): void {
    const dir = segment.dir;
    if (segment.epoch !== dir.epoch) return;
    takeFromWire(dir, segment);
    const conn = segment.conn;
    const { from, to } = dir;
    if (conn.state === 'closed') return this.network.drop(from, to, segment.typeId, this.closedDrop);
    if (!this.host.machineUp(to)) {
      putBackOnWire(dir, segment);
      return this.lose(dir);
    }
    const expected = to === conn.a ? conn.incA : conn.incB;
    if (this.host.processAlive(to) && this.host.incarnation(to) === expected) {
      this.network.delivered++;
      this.trace.record(this.deliverKind, this.kernel.now, to, from, to, segment.typeId, segment.bytes);
      this.host.deliver(from, to, segment.message);
      return;
    }
    // The machine is up but the socket is gone (process killed or restarted): RST.
    this.network.drop(from, to, segment.typeId, this.reasonIds.reset);
    const back = to === conn.a ? conn.ab : conn.ba;
    if (back.link.cuts > 0) {
      putBackOnWire(dir, segment);
      return this.lose(dir);
    }
    this.kernel.at(this.kernel.now + Math.round(back.link.latency()), this.endHandler, { conn, node: from, reason: 'reset' as const }, this.closeKind.id, from);
  }

  // ---------------------------------------------------------------- closing

  /** Tells the peer of `dir.from` that the connection ended, behind what is already on the wire. */
  private notifyPeer(conn: Connection, dir: Direction, reason: CloseReason): void {
    const peer = dir.to;
    if (dir.link.cuts > 0 || !this.host.machineUp(peer)) return; // lost: the peer finds out by RST or timeout
    let at = this.kernel.now + Math.round(dir.link.latency());
    if (at < dir.link.lastDelivery) at = dir.link.lastDelivery;
    this.kernel.at(at, this.endHandler, { conn, node: peer, reason }, this.closeKind.id, peer);
  }

  /** The connection is over; `node` (or nobody, -1) is told why. */
  private end(conn: Connection, node: number, reason: CloseReason): void {
    if (conn.state === 'closed') return;
    conn.state = 'closed';
    this.cancel(conn.ab);
    this.cancel(conn.ba);
    this.kernel.cancel(conn.syn);
    this.discard(conn.ab, true);
    this.discard(conn.ba, true);
    if (this.sides.get(sideKey(conn.a, conn.b)) === conn) this.sides.delete(sideKey(conn.a, conn.b));
    if (this.sides.get(sideKey(conn.b, conn.a)) === conn) this.sides.delete(sideKey(conn.b, conn.a));
    if (node < 0) return;
    const peer = node === conn.a ? conn.b : conn.a;
    this.trace.record(this.closeKind, this.kernel.now, node, node, peer, this.reasonIds[reason]);
    this.host.closed(node, node === conn.a ? conn.incA : conn.incB, peer, reason);
  }

  /** Drops what the direction had not delivered (its queue; with `wire`, what is on the wire too), counted as network drops. */
  private discard(dir: Direction, wire: boolean): void {
    for (const segment of dir.queue) this.network.drop(dir.from, dir.to, segment.typeId, this.closedDrop);
    dir.queue = [];
    if (!wire) return;
    for (const segment of wireSegments(dir)) this.network.drop(dir.from, dir.to, segment.typeId, this.closedDrop);
    dir.inflight = [];
    dir.inflightHead = 0;
    dir.epoch++;
  }

  private cancel(dir: Direction): void {
    this.kernel.cancel(dir.retransmit);
    dir.retransmit = null;
    dir.stalledSince = -1;
    dir.rto = TCP.rtoMin;
  }

  private onCut(from: number, to: number): void {
    for (const key of [sideKey(from, to), sideKey(to, from)]) {
      const conn = this.sides.get(key);
      if (!conn || conn.state === 'closed') continue;
      const dir = conn.a === from ? conn.ab : conn.ba;
      if (onWire(dir) > 0) this.lose(dir);
    }
  }

  // ---------------------------------------------------------------- lookup

  /** The node's connection to the peer, if it is not closed and belongs to the node's current incarnation. */
  private current(node: number, peer: number): Connection | undefined {
    const key = sideKey(node, peer);
    const conn = this.sides.get(key);
    if (!conn) return undefined;
    const incarnation = node === conn.a ? conn.incA : conn.incB;
    if (conn.state === 'closed' || incarnation !== this.host.incarnation(node)) {
      this.sides.delete(key);
      return undefined;
    }
    return conn;
  }

  private connectionsOf(node: number, incarnation: number): Connection[] {
    const found: Connection[] = [];
    for (const conn of this.sides.values()) {
      if (conn.state === 'closed' || found.includes(conn)) continue;
      if ((conn.a === node && conn.incA === incarnation) || (conn.b === node && conn.incB === incarnation)) found.push(conn);
    }
    return found;
  }

  private direction(from: number, to: number): Direction {
    return { conn: null as unknown as Connection, from, to, link: this.network.link(from, to), queue: [], inflight: [], inflightHead: 0, epoch: 0, rto: TCP.rtoMin, stalledSince: -1, retransmit: null };
  }
}

/** Segments on the wire in this direction. */
function onWire(dir: Direction): number {
  return dir.inflight.length - dir.inflightHead;
}

/** The segments on the wire, in arrival order (a copy; for the rare paths that lose or drop them). */
function wireSegments(dir: Direction): Segment[] {
  return dir.inflightHead === 0 ? dir.inflight : dir.inflight.slice(dir.inflightHead);
}

/** Removes an arriving segment from the wire: in practice the head, since segments arrive in the order they left. */
function takeFromWire(dir: Direction, segment: Segment): void {
  const inflight = dir.inflight;
  const head = dir.inflightHead;
  if (inflight[head] === segment) {
    if (head + 1 === inflight.length) {
      inflight.length = 0;
      dir.inflightHead = 0;
    } else if (head >= 1024 && head * 2 >= inflight.length) {
      // Mostly consumed: drop the consumed prefix so the array does not grow with the run.
      dir.inflight = inflight.slice(head + 1);
      dir.inflightHead = 0;
    } else {
      inflight[head] = undefined as unknown as Segment;
      dir.inflightHead = head + 1;
    }
    return;
  }
  const index = inflight.indexOf(segment, head);
  if (index >= 0) inflight.splice(index, 1);
}

/** Puts a segment that could not be delivered back at the head of the wire (it is then lost with the rest). */
function putBackOnWire(dir: Direction, segment: Segment): void {
  const live = wireSegments(dir);
  dir.inflight = [segment].concat(live);
  dir.inflightHead = 0;
}

function sideKey(node: number, peer: number): number {
  return node * 0x100000 + peer;
}

/**
 * Exponential back-off with jitter, as the clients compute it between reconnects (Kafka's
 * ExponentialBackoff: initial * multiplier^attempts, capped at max, times a random factor in
 * [1 - jitter, 1 + jitter]). `attempts` counts failures before this one.
 */
export class ExponentialBackoff {
  constructor(
    readonly initial: Micros,
    readonly multiplier: number,
    readonly max: Micros,
    readonly jitter: number,
  ) {}

  backoff(attempts: number, random: RandomStream): Micros {
    if (this.initial >= this.max) return this.max;
    const term = Math.min(this.max, this.initial * this.multiplier ** attempts);
    const factor = this.jitter > 0 ? random.uniform(1 - this.jitter, 1 + this.jitter) : 1;
    return Math.round(term * factor);
  }
}

import type { CloseReason, ConnectionState } from './connection.js';
import type { Disk } from './disk.js';
import type { Timer } from './kernel.js';
import type { RandomStream } from './random.js';
import type { Micros } from './time.js';

/** A protocol message: `type` is the real protocol's name (`Produce`, `basic.publish`, `SEND_MESSAGE`). */
export interface Message {
  readonly type: string;
}

/**
 * What a node's code sees of the world. Nothing else reaches a node: time, randomness, the
 * network and the disk come through here, so a crash or a pause can take them away.
 */
export interface NodeContext {
  readonly name: string;
  readonly id: number;
  readonly roles: readonly string[];
  /** The node's local clock: virtual time plus its clock skew (a clock-skew fault moves it). */
  now(): Micros;
  /** Virtual time without skew, for trace records. */
  trueNow(): Micros;
  /**
   * Sends over the simulated network; `bytes` is the message's size on the wire. It goes on the
   * node's connection to `to` when there is one (sim/connection.ts: opened by this node with
   * `connect`, or accepted from the peer); otherwise it is a datagram (lost when the link loses it).
   */
  send(to: string, message: Message, bytes?: number): void;
  /** Opens a connection to `peer` (TCP handshake) unless one is open or opening; `onConnectionOpened` follows. */
  connect(peer: string): void;
  /** Closes the connection to `peer` in order (the peer sees `fin`); the next send opens a new one. */
  disconnect(peer: string): void;
  /** This node's connection to `peer`: none, connecting (handshake under way) or open. */
  connection(peer: string): ConnectionState;
  /** Calls the actor's `onTimer(tag, data)` after `delay`, unless cancelled or the node crashes first. */
  setTimer(delay: Micros, tag: string, data?: unknown): Timer;
  cancelTimer(timer: Timer | null | undefined): void;
  /** The node's own random stream, or a named sub-stream of it. */
  random(sub?: string): RandomStream;
  readonly disk: Disk;
  /** Writes a note into the trace (a model's semantic event: "isr-shrink", "leader-elected"...). */
  note(what: string, detail?: Record<string, unknown>): void;
  /**
   * The process ends itself at once (Java's `Runtime.halt`: Kafka after its last log directory
   * failed). A process death on a live machine: the page cache survives; nothing restarts it
   * but a `restart` fault or the liveness phase.
   */
  halt(): void;
}

/**
 * A node's behaviour: a state machine driven by messages and timers. A crash throws the actor
 * away; a restart builds a fresh one that must rebuild itself from `ctx.disk`.
 */
export interface Actor {
  /** Called when the node starts; `restarted` is true after a crash. */
  start(ctx: NodeContext, restarted: boolean): void;
  receive(from: string, message: Message): void;
  /** Typed per actor with `TimerArgs<K>` from sim/timers.ts. */
  onTimer?(tag: string, data: unknown): void;
  /**
   * The node's connection to `peer` ended: `reset` (the peer's process died on a live machine,
   * or the machine answered RST after a restart), `refused` (nothing listens there), `fin` (the
   * peer closed it in order), `timeout` (TCP gave up retransmitting or connecting). What was
   * sent on the connection and not answered is the actor's to fail, as the real client does.
   * A client calls `connect(peer)` before sending (it does nothing when connected already).
   */
  onConnectionClosed?(peer: string, reason: CloseReason): void;
  /** A connection this node opened with `connect` is established. */
  onConnectionOpened?(peer: string): void;
  /**
   * An operator's stop (SIGTERM, `systemctl stop`): the actor runs its real shutdown protocol
   * (Kafka's controlled shutdown, RabbitMQ's connection.close and leadership transfer,
   * RocketMQ's UNREGISTER_BROKER) with messages and timers as usual, and calls `done()` when
   * the process would exit. The world then takes the node down as a clean process exit on a
   * live machine (the page cache survives; an actor that flushes on shutdown fsyncs first).
   * An actor without `stop` exits at once. One that never calls `done` is killed after
   * STOP_TIMEOUT, as a service manager would.
   */
  stop?(done: () => void): void;
}

export type ActorFactory = () => Actor;

export type NodeStatus = 'up' | 'crashed' | 'paused';

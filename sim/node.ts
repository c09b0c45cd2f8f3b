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
  /** Sends over the simulated network; `bytes` is the message's size on the wire. */
  send(to: string, message: Message, bytes?: number): void;
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

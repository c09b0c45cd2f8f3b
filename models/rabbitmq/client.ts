import type { CloseReason } from '../../sim/connection.js';
import type { Timer } from '../../sim/kernel.js';
import type { Actor, Message, NodeContext } from '../../sim/node.js';
import type { Micros } from '../../sim/time.js';
import { timersOf, unreachable, type TimerArgs } from '../../sim/timers.js';
import type { Phase } from '../../sim/world.js';
import { notes } from './notes.js';
import { asAmqpFrame, FRAME_BYTES, type AmqpFrame, type ServerChannelMethod } from './protocol.js';
import { BROKER_NODE, RABBIT_DEFAULTS } from './schema.js';

/**
 * The client side of one AMQP connection with one channel, shared by producers and consumers:
 * connection.open (naming the vhost and the requested heartbeat) -> connection.open-ok (the
 * negotiated heartbeat) -> channel.open -> channel.open-ok -> the subclass's setup methods, each
 * sent when the previous one's -ok arrives (confirm.select, basic.qos, basic.consume) -> ready.
 *
 * The AMQP connection runs on a TCP connection (sim/connection.ts). When the TCP connection
 * closes - the node's process was killed (its kernel resets the connection: the client learns at
 * once), a connect is refused, or TCP gave up - the AMQP connection is dead. A node that went
 * silent (machine crash, partition, pause) is noticed only by heartbeats: frames go out every
 * heartbeat/2, the broker answers each, and a connection from which nothing was heard for a whole
 * heartbeat timeout is given up (the client closes its socket). A connection the broker resets
 * (tcp.rst after a restart) is dead too. The subclass is told, and the client reconnects, on a new
 * TCP connection, after RECONNECT_DELAY (the Java client's automatic recovery,
 * networkRecoveryInterval 5s). A channel.close from the broker (a channel
 * error) closes the channel only: a new one is opened after the same RECONNECT_DELAY.
 */

export const CONNECT_TIMEOUT: Micros = 10_000_000;

/**
 * The connection's timers (the data is the connection id they were set for); a subclass's own
 * timers are its own union, whose `onTimer` hands these to `onConnectionTimer`.
 */
export type ClientTimer =
  | { tag: 'connect-timeout'; data: string }
  | { tag: 'heartbeat'; data: string }
  | { tag: 'reopen-channel'; data: string }
  | { tag: 'reconnect'; data: undefined };
const timers = timersOf<ClientTimer>();

export abstract class AmqpClient implements Actor {
  protected ctx!: NodeContext;
  /** The connection in use (or being opened), and whether its channel is ready. */
  protected conn: string | null = null;
  protected channel = 0;
  protected ready = false;
  private connections = 0;
  private heartbeat: Micros;
  private lastHeard: Micros = 0;
  private steps: AmqpFrame[] = [];
  private heartbeatTimer: Timer | null = null;
  private reconnectTimer: Timer | null = null;
  /** The nodes to connect to (scenario `node:`), tried in turn on each reconnect; `broker` is the current one. */
  brokers: readonly string[] = [BROKER_NODE];
  protected broker: string = BROKER_NODE;

  constructor(protected readonly vhost: string, protected readonly user: string, requestedHeartbeat: Micros) {
    this.heartbeat = requestedHeartbeat;
  }

  start(ctx: NodeContext, restarted: boolean): void {
    this.ctx = ctx;
    this.begin(restarted);
  }

  /** Starts the client's work; the default connects at once. */
  protected begin(_restarted: boolean): void {
    this.connect();
  }

  abstract onPhase(phase: Phase): void;

  /** The methods to send after channel.open-ok, one at a time. */
  protected abstract setup(): AmqpFrame[];
  /** The channel is open and set up. */
  protected abstract onReady(): void;
  /** The connection or channel is gone: whatever was in flight on it will get no answer. */
  protected abstract onLost(why: string): void;
  /** A delivery, confirm, return or cancel-ok on the current channel. */
  protected abstract onFrame(frame: ServerChannelMethod): void;

  protected connect(): void {
    this.ctx.cancelTimer(this.reconnectTimer);
    this.reconnectTimer = null;
    this.broker = this.brokers[this.connections % this.brokers.length]!;
    const conn = `${this.ctx.name}/${this.ctx.trueNow()}/${++this.connections}`;
    this.conn = conn;
    this.ready = false;
    this.lastHeard = this.ctx.trueNow();
    this.sendFrame({ type: 'connection.open', conn, vhost: this.vhost, user: this.user, heartbeat: this.heartbeat });
    timers.set(this.ctx, CONNECT_TIMEOUT, 'connect-timeout', conn);
  }

  protected sendFrame(frame: AmqpFrame, bytes = FRAME_BYTES): void {
    this.ctx.connect(this.broker);
    this.ctx.send(this.broker, frame, bytes);
  }

  receive(_from: string, message: Message): void {
    const frame = asAmqpFrame(message);
    if (frame.conn !== this.conn) return; // a frame of an abandoned connection
    this.lastHeard = this.ctx.trueNow();
    switch (frame.type) {
      case 'connection.open-ok':
        if (frame.heartbeat > 0) {
          this.heartbeat = frame.heartbeat;
          this.heartbeatTimer = timers.set(this.ctx, this.heartbeat / 2, 'heartbeat', frame.conn);
        }
        this.openChannel();
        return;
      case 'channel.open-ok':
        if (frame.channel !== this.channel) return;
        this.steps = this.setup();
        this.nextStep();
        return;
      case 'confirm.select-ok':
      case 'basic.qos-ok':
      case 'basic.consume-ok':
        if (frame.channel !== this.channel) return;
        if (!this.ready) this.nextStep();
        return; // once ready, an -ok is nothing to the application
      case 'heartbeat':
        return;
      case 'tcp.rst':
        return this.lose('connection reset');
      case 'connection.close':
        notes.note(this.ctx, 'connection-closed', { conn: frame.conn, replyCode: frame.replyCode, replyText: frame.replyText });
        return this.lose(`connection.close ${frame.replyCode}`);
      case 'channel.close':
        if (frame.channel !== this.channel) return;
        notes.note(this.ctx, 'channel-closed', { conn: frame.conn, channel: frame.channel, replyCode: frame.replyCode, replyText: frame.replyText });
        this.ready = false;
        this.onLost(`channel.close ${frame.replyCode}`);
        // A new channel on the same connection, after the same pause as a reconnect.
        timers.set(this.ctx, RABBIT_DEFAULTS.reconnectDelay, 'reopen-channel', frame.conn);
        return;
      case 'basic.deliver':
      case 'basic.get-ok':
      case 'basic.get-empty':
      case 'basic.ack':
      case 'basic.nack':
      case 'basic.return':
      case 'basic.cancel-ok':
        if (frame.channel !== this.channel) return;
        this.onFrame(frame);
        return;
      // What a client sends and a broker never does.
      case 'connection.open':
      case 'channel.open':
      case 'confirm.select':
      case 'basic.qos':
      case 'basic.consume':
      case 'basic.cancel':
      case 'basic.publish':
      case 'basic.get':
      case 'basic.reject':
      // The model's clients never declare queues (the scenario does).
      case 'queue.declare':
      case 'queue.declare-ok':
        return;
      case 'connection.blocked':
        // amqplib emits 'blocked': the application's publishes keep going into the socket, where
        // they wait unread; the model's clients go on the same way.
        notes.note(this.ctx, 'client-blocked', { conn: frame.conn, reason: frame.reason });
        return;
      case 'connection.unblocked':
        return;
      default:
        return unreachable(frame, 'frame to a client');
    }
  }

  /** The TCP connection under the AMQP connection closed (or could not be opened). */
  onConnectionClosed(peer: string, reason: CloseReason): void {
    if (peer !== this.broker || this.conn === null) return;
    this.lose(`tcp ${reason}`);
  }

  /** The connection's timers; a subclass's onTimer passes them on here. */
  protected onConnectionTimer(...[tag, data]: TimerArgs<ClientTimer>): void {
    switch (tag) {
      case 'connect-timeout':
        if (data === this.conn && !this.ready) this.lose('connect timeout');
        return;
      case 'heartbeat':
        return this.onHeartbeatTimer(data);
      case 'reopen-channel':
        if (data === this.conn) this.openChannel();
        return;
      case 'reconnect':
        this.reconnectTimer = null;
        this.connect();
        return;
      default:
        return unreachable(tag, 'client timer');
    }
  }

  private openChannel(): void {
    this.channel++;
    this.sendFrame({ type: 'channel.open', conn: this.conn!, channel: this.channel });
  }

  private nextStep(): void {
    const step = this.steps.shift();
    if (step) {
      this.sendFrame(step);
      return;
    }
    this.ready = true;
    this.onReady();
  }

  private onHeartbeatTimer(conn: string): void {
    if (conn !== this.conn) return;
    const silent = this.ctx.trueNow() - this.lastHeard;
    if (silent >= this.heartbeat) {
      notes.note(this.ctx, 'missed-heartbeats', { conn, silentFor: silent });
      this.lose('heartbeat timeout');
      return;
    }
    this.sendFrame({ type: 'heartbeat', conn }, 8);
    this.heartbeatTimer = timers.set(this.ctx, this.heartbeat / 2, 'heartbeat', conn);
  }

  /** The connection is dead: tell the subclass, reconnect later. */
  protected lose(why: string): void {
    if (this.conn === null) return;
    notes.note(this.ctx, 'connection-lost', { conn: this.conn, why });
    // The client closes its socket (a no-op when TCP already closed it): the reconnect opens a new one.
    this.ctx.disconnect(this.broker);
    this.conn = null;
    this.ready = false;
    this.ctx.cancelTimer(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.onLost(why);
    this.reconnectTimer = timers.set(this.ctx, RABBIT_DEFAULTS.reconnectDelay, 'reconnect', undefined);
  }
}

import { notes } from '../notes.js';
import { FRAME_BYTES, type AmqpFrame } from '../protocol.js';
import type { RabbitBroker } from './broker.js';
import type { Connection } from './connection.js';

/**
 * rabbit_alarm and the reader's flow states: a resource alarm on any node of the cluster (here
 * the disk alarm) blocks every publishing connection on every node. A connection goes from
 * running to blocking when the alarm is set; at its next basic.publish it becomes blocked: the
 * broker sends connection.blocked and stops reading the socket (that publish and every later
 * frame wait, acks included — why publishers and consumers should not share a connection), and
 * heartbeat monitoring pauses. Connections that only consume stay in blocking and keep working.
 * When no alarm is left, blocked connections get connection.unblocked and the broker reads what
 * waited, in order. Publishes are delayed, never nacked, by an alarm.
 *
 * Alarms travel between nodes (remote alarms); a node that goes down takes its alarms with it,
 * and a node coming up learns the alarms in force.
 */
export class ResourceAlarms {
  /** Nodes with a disk alarm in force, this one included. */
  private readonly alarmed = new Set<string>();

  constructor(private readonly broker: RabbitBroker) {}

  get inForce(): boolean {
    return this.alarmed.size > 0;
  }

  /** This node's disk monitor set or cleared its alarm: apply it, and tell the other nodes. */
  setLocal(on: boolean): void {
    const self = this.broker.ctx.name;
    this.update(self, on);
    this.broker.link?.broadcastAlarm(on);
  }

  /** A peer's alarm (rabbit_alarm remote_conserve_resources). */
  remote(node: string, on: boolean): void {
    this.update(node, on);
  }

  nodeDown(node: string): void {
    this.update(node, false);
  }

  /** A node came up: it learns this node's alarm, if any. */
  nodeUp(node: string): void {
    if (this.alarmed.has(this.broker.ctx.name)) this.broker.link?.sendAlarm(node, true);
  }

  /** The flow state a new connection starts in. */
  initialFlow(): Connection['flow'] {
    return this.inForce ? 'blocking' : 'running';
  }

  /**
   * A frame arrived on an open connection: false when the reader takes it now; true when it
   * waits (the connection is blocked, or this publish blocks it).
   */
  holds(conn: Connection, frame: AmqpFrame): boolean {
    if (conn.flow === 'running') return false; // every frame, so the usual case first
    // The server's heartbeats go on while blocked (a process of their own): the client hears them.
    if (frame.type === 'heartbeat') return false;
    if (conn.flow === 'blocked') {
      conn.held.push(frame);
      return true;
    }
    if (conn.flow === 'blocking' && frame.type === 'basic.publish') {
      conn.flow = 'blocked';
      conn.held.push(frame);
      this.broker.stats.connectionsBlocked++;
      notes.note(this.broker.ctx, 'connection-blocked', { conn: conn.id, client: conn.client });
      this.broker.send(conn, { type: 'connection.blocked', conn: conn.id, reason: 'low on disk' }, FRAME_BYTES);
      return true;
    }
    return false;
  }

  private update(node: string, on: boolean): void {
    const before = this.inForce;
    if (on) this.alarmed.add(node);
    else this.alarmed.delete(node);
    if (before === this.inForce) return;
    if (this.inForce) {
      for (const conn of this.broker.connections.values()) if (conn.flow === 'running') conn.flow = 'blocking';
      return;
    }
    for (const conn of [...this.broker.connections.values()]) this.unblock(conn);
  }

  private unblock(conn: Connection): void {
    const wasBlocked = conn.flow === 'blocked';
    conn.flow = 'running';
    if (!wasBlocked) return;
    const held = conn.held;
    conn.held = [];
    conn.lastSeen = this.broker.ctx.trueNow(); // the heartbeat monitor resumes from now
    notes.note(this.broker.ctx, 'connection-unblocked', { conn: conn.id, client: conn.client, held: held.length });
    this.broker.send(conn, { type: 'connection.unblocked', conn: conn.id }, FRAME_BYTES);
    for (const frame of held) this.broker.readFrame(conn, frame);
  }
}

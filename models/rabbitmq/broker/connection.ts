import type { Micros } from '../../../sim/time.js';
import { notes } from '../notes.js';
import { FRAME_BYTES, REPLY, type AmqpFrame } from '../protocol.js';
import type { RabbitBroker } from './broker.js';
import type { Channel } from './channel.js';

/**
 * The broker's side of AMQP connections, after rabbit_reader (connection.open, heartbeat
 * negotiation and monitoring, closing) and rabbit_access_control (vhost access and the
 * configure/write/read permission regexes of set_permissions).
 *
 * Heartbeat: the lower of the client's and the server's non-zero values (zero on one side means
 * the other's). rabbit_heartbeat's receiver looks at the socket's received-bytes count every
 * heartbeat timeout and gives up at the second look in a row that finds it unchanged, so a
 * silent client (machine crashed, partitioned away) is dropped 2 to 3 timeouts after its last
 * frame (`missed-heartbeats`): its channels close and their unacked deliveries are requeued.
 * A client whose TCP connection ends (its process killed: its kernel resets the connection; or
 * it closed the socket) is dropped at once (`client-tcp-closed`): the reader sees the socket close.
 * However a connection goes, the queues it declared exclusive are deleted with it.
 */

/** One set_permissions entry: regexes over resource names (an empty one grants nothing). */
export interface Permission {
  readonly vhost: string;
  readonly user: string;
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

export interface Connection {
  readonly id: string;
  readonly client: string;
  readonly vhost: string;
  readonly user: string;
  readonly heartbeat: Micros;
  lastSeen: Micros;
  /** rabbit_heartbeat's receiver: when it last looked, and how many looks in a row found nothing new. */
  lastCheck: Micros;
  quietChecks: number;
  readonly channels: Map<number, Channel>;
  open: boolean;
  /** rabbit_reader's flow state under resource alarms (resource-alarms.ts). */
  flow: 'running' | 'blocking' | 'blocked';
  /** Frames not yet read because the connection is blocked, in arrival order. */
  held: AmqpFrame[];
}

export class ConnectionHandler {
  constructor(private readonly broker: RabbitBroker) {}

  open(from: string, id: string, vhost: string, user: string, clientHeartbeat: Micros): void {
    const broker = this.broker;
    const ctx = broker.ctx;
    let refusal: string | null = null;
    if (!broker.options.vhosts.includes(vhost)) refusal = `NOT_ALLOWED - vhost ${vhost} not found`;
    else if (this.permission(vhost, user) === null) refusal = `NOT_ALLOWED - access to vhost '${vhost}' refused for user '${user}'`;
    if (refusal !== null) {
      notes.note(ctx, 'connection-refused', { from, vhost, user, replyCode: REPLY.NOT_ALLOWED, replyText: refusal });
      broker.sendTo(from, { type: 'connection.close', conn: id, replyCode: REPLY.NOT_ALLOWED, replyText: refusal }, FRAME_BYTES);
      return;
    }
    const server = broker.options.heartbeat;
    // Negotiation: the lower of the two non-zero values; zero on one side means the other's.
    const heartbeat = server === 0 ? clientHeartbeat : clientHeartbeat === 0 ? server : Math.min(server, clientHeartbeat);
    const conn: Connection = { id, client: from, vhost, user, heartbeat, lastSeen: ctx.trueNow(), lastCheck: ctx.trueNow(), quietChecks: 0, channels: new Map(), open: true, flow: broker.alarms.initialFlow(), held: [] };
    broker.connections.set(id, conn);
    broker.changed('connection.open');
    if (heartbeat > 0) broker.timers.set(ctx, heartbeat, 'heartbeat-check', conn);
    broker.send(conn, { type: 'connection.open-ok', conn: id, heartbeat });
  }

  /** The user's permissions in a vhost: null when refused, 'all' for an unrestricted vhost. */
  permission(vhost: string, user: string): Permission | 'all' | null {
    const restricted = this.broker.options.restrictedVhosts;
    if (restricted === undefined || !restricted.includes(vhost)) return 'all';
    return (this.broker.options.permissions ?? []).find((p) => p.vhost === vhost && p.user === user) ?? null;
  }

  /** Does the connection's user have `kind` permission on the named resource? */
  allowed(conn: Connection, kind: 'configure' | 'write' | 'read', resource: string): boolean {
    const permission = this.permission(conn.vhost, conn.user);
    if (permission === 'all') return true;
    if (permission === null || permission[kind] === '') return false;
    return new RegExp(permission[kind]).test(resource);
  }

  /** rabbit_heartbeat's receiver, every heartbeat timeout: the second look in a row with nothing received closes the connection. */
  checkHeartbeat(conn: Connection): void {
    if (!conn.open) return;
    const ctx = this.broker.ctx;
    const now = ctx.trueNow();
    const heard = conn.lastSeen > conn.lastCheck;
    conn.lastCheck = now;
    if (conn.flow === 'blocked' || heard) {
      // A blocked connection is not read, so its heartbeats are not either: monitoring pauses
      // (rabbit_heartbeat:pause_monitor) and starts afresh when it is read again.
      conn.quietChecks = 0;
    } else if (++conn.quietChecks >= 2) {
      notes.note(ctx, 'missed-heartbeats', { conn: conn.id, client: conn.client, silentFor: now - conn.lastSeen });
      this.close(conn);
      this.broker.options.onClientDropped?.(conn.client);
      return;
    }
    this.broker.timers.set(ctx, conn.heartbeat, 'heartbeat-check', conn);
  }

  /** The client's TCP connection ended (reset by its killed process's kernel, closed by it, or given up by TCP): its AMQP connections close now. */
  tcpClosed(client: string, reason: string): void {
    for (const conn of [...this.broker.connections.values()]) {
      if (conn.client !== client || !conn.open) continue;
      notes.note(this.broker.ctx, 'client-tcp-closed', { conn: conn.id, client, reason });
      this.close(conn);
      this.broker.options.onClientDropped?.(client);
    }
  }

  close(conn: Connection): void {
    conn.open = false;
    for (const channel of conn.channels.values()) this.broker.channels.close(channel);
    // The queues it declared exclusive go with it (each queue process monitors its owner).
    for (const queue of [...this.broker.queues.values()]) if (queue.owner === conn.id) this.broker.queueProcess.delete(queue, 'exclusive-owner-closed');
    this.broker.connections.delete(conn.id);
    this.broker.changed('connection closed');
  }
}

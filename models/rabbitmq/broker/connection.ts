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
 * the other's). A connection from which nothing arrived for a whole heartbeat timeout is dead
 * (`missed-heartbeats`): its channels close and their unacked deliveries are requeued.
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
    const conn: Connection = { id, client: from, vhost, user, heartbeat, lastSeen: ctx.trueNow(), channels: new Map(), open: true, flow: broker.alarms.initialFlow(), held: [] };
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

  checkHeartbeat(conn: Connection): void {
    if (!conn.open) return;
    const ctx = this.broker.ctx;
    if (conn.flow === 'blocked') {
      // A blocked connection is not read, so its heartbeats are not either: monitoring pauses.
      this.broker.timers.set(ctx, conn.heartbeat, 'heartbeat-check', conn);
      return;
    }
    const silent = ctx.trueNow() - conn.lastSeen;
    if (silent >= conn.heartbeat) {
      notes.note(ctx, 'missed-heartbeats', { conn: conn.id, client: conn.client, silentFor: silent });
      this.close(conn);
      return;
    }
    this.broker.timers.set(ctx, conn.heartbeat - silent, 'heartbeat-check', conn);
  }

  close(conn: Connection): void {
    conn.open = false;
    for (const channel of conn.channels.values()) this.broker.channels.close(channel);
    this.broker.connections.delete(conn.id);
    this.broker.changed('connection closed');
  }
}

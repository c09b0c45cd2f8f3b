import type { Actor, NodeContext } from '../../sim/node.js';
import { timersOf, unreachable, type TimerArgs } from '../../sim/timers.js';
import { note } from './notes.js';
import type { StateStore } from '../../sim/state.js';
import type { Micros } from '../../sim/time.js';
import { sendTo, type PartitionState, type ZkAllocateProducerIds, type ZkCloseSession, type ZkConnect, type ZkCreateController, type ZkPing, type ZkSetPartitions } from './protocol.js';

/**
 * The ZooKeeper ensemble Kafka's ZooKeeper mode depends on, as one node `zookeeper`. It keeps
 * what Kafka keeps in znodes: broker registrations (ephemeral /brokers/ids/N, one per client
 * session), the controller (ephemeral /controller) and /controller_epoch, each partition's
 * leader/ISR state, and the producer-id block counter. A session that has not pinged for
 * `zookeeper.session.timeout.ms` expires: its ephemeral znodes are deleted and the watchers
 * are told (the controller gets the new broker list; every broker hears /controller deleted).
 *
 * ZooKeeper logs every write to disk before acknowledging it, so its data survives its own
 * crash (`ZkData` lives outside the actor); sessions get a fresh timeout when it comes back.
 */

/** What reaches the ZooKeeper node: the znode operations of Kafka's ZooKeeper client. */
export type ZkRequest = ZkConnect | ZkPing | ZkCreateController | ZkSetPartitions | ZkAllocateProducerIds | ZkCloseSession;

/** The session tracker's tick. */
export type ZooKeeperTimer = { tag: 'expire-check'; data: undefined };
const timers = timersOf<ZooKeeperTimer>();

export interface ZkSession {
  id: number;
  broker: string;
  lastPing: Micros;
}

/** What ZooKeeper holds durably. */
export interface ZkData {
  nextSession: number;
  /** Live sessions by id (ephemeral owners). */
  sessions: Map<number, ZkSession>;
  /** /brokers/ids/<broker> -> owning session. */
  brokers: Map<string, number>;
  /** /controller: broker and its session, or null. */
  controller: { broker: string; session: number } | null;
  controllerEpoch: number;
  /** Partition state znodes, keyed `${topic}-${partition}`, in topic creation order. */
  partitions: Map<string, PartitionState>;
  nextProducerId: number;
}

/** The control-plane view put into the trace (world.store('kafka', ...)). */
export interface KafkaControlState {
  controller: string | null;
  controllerEpoch: number;
  liveBrokers: string[];
  partitions: Record<string, { leader: string | null; leaderEpoch: number; isr: string[]; partitionEpoch: number }>;
}

export const PRODUCER_ID_BLOCK = 1000;

export class ZooKeeperNode implements Actor {
  private ctx!: NodeContext;

  constructor(
    private readonly data: ZkData,
    private readonly sessionTimeout: Micros,
    private readonly store: StateStore<KafkaControlState>,
    private readonly onOffline: () => void,
    /** A broker's session expired (for the failure-detection metric). */
    private readonly onSessionExpired?: (broker: string) => void,
  ) {}

  start(ctx: NodeContext, _restarted: boolean): void {
    this.ctx = ctx;
    const now = ctx.trueNow();
    for (const session of this.data.sessions.values()) session.lastPing = now;
    this.scheduleCheck();
  }

  receive(from: string, message: ZkRequest): void {
    switch (message.type) {
      case 'ZkConnect': return this.onConnect(from, message);
      case 'ZkPing': return this.onPing(from, message);
      case 'ZkCreateController': return this.onCreateController(from, message);
      case 'ZkSetPartitions': return this.onSetPartitions(from, message);
      case 'ZkAllocateProducerIds': return this.onAllocate(from, message);
      case 'ZkCloseSession': return this.closeSession(message.session);
      default: return unreachable(message, 'ZooKeeper request');
    }
  }

  onTimer(...[tag]: TimerArgs<ZooKeeperTimer>): void {
    switch (tag) {
      case 'expire-check':
        this.expireSessions();
        this.scheduleCheck();
        return;
      default: return unreachable(tag, 'ZooKeeper timer');
    }
  }

  private scheduleCheck(): void {
    // ZooKeeper's session tracker works in ticks; a tenth of the timeout is fine enough here.
    timers.set(this.ctx, Math.max(1_000, Math.floor(this.sessionTimeout / 10)), 'expire-check', undefined);
  }

  private onConnect(from: string, connect: ZkConnect): void {
    const data = this.data;
    const owner = data.brokers.get(connect.broker);
    if (owner !== undefined && data.sessions.has(owner)) {
      // The previous incarnation's ephemeral node is still there until its session expires.
      sendTo(this.ctx, from, { type: 'ZkConnectResponse', ok: false, session: -1, error: 'NODE_EXISTS' });
      return;
    }
    const id = data.nextSession++;
    data.sessions.set(id, { id, broker: connect.broker, lastPing: this.ctx.trueNow() });
    data.brokers.set(connect.broker, id);
    sendTo(this.ctx, from, { type: 'ZkConnectResponse', ok: true, session: id });
    note(this.ctx, 'zk-broker-registered', { broker: connect.broker, session: id });
    this.brokersChanged();
  }

  private onPing(from: string, ping: ZkPing): void {
    const session = this.data.sessions.get(ping.session);
    if (session) session.lastPing = this.ctx.trueNow();
    sendTo(this.ctx, from, { type: 'ZkPingResponse', session: ping.session, expired: session === undefined });
  }

  private onCreateController(from: string, create: ZkCreateController): void {
    const data = this.data;
    const live = data.sessions.has(create.session);
    if (data.controller === null && live) {
      data.controller = { broker: create.broker, session: create.session };
      data.controllerEpoch++;
      note(this.ctx, 'controller-elected', { controller: create.broker, epoch: data.controllerEpoch });
      this.store.update((s) => {
        s.controller = create.broker;
        s.controllerEpoch = data.controllerEpoch;
      }, 'controller elected');
    }
    const ok = live && data.controller?.broker === create.broker && data.controller.session === create.session;
    sendTo(this.ctx, from, {
      type: 'ZkCreateControllerResponse',
      ok,
      controller: data.controller?.broker ?? null,
      controllerEpoch: data.controllerEpoch,
      liveBrokers: ok ? this.liveBrokers() : [],
      partitions: ok ? [...data.partitions.values()] : [],
    });
  }

  private onSetPartitions(from: string, set: ZkSetPartitions): void {
    // The controller's writes are conditional on /controller_epoch: a deposed controller is fenced.
    if (set.controllerEpoch !== this.data.controllerEpoch) {
      note(this.ctx, 'zk-write-fenced', { controllerEpoch: set.controllerEpoch, current: this.data.controllerEpoch });
      sendTo(this.ctx, from, { type: 'ZkSetPartitionsResponse', id: set.id, ok: false });
      return;
    }
    sendTo(this.ctx, from, { type: 'ZkSetPartitionsResponse', id: set.id, ok: true });
    for (const state of set.partitions) this.data.partitions.set(`${state.topic}-${state.partition}`, state);
    this.store.update((s) => {
      for (const state of set.partitions) {
        s.partitions[`${state.topic}-${state.partition}`] = {
          leader: state.leader, leaderEpoch: state.leaderEpoch, isr: [...state.isr], partitionEpoch: state.partitionEpoch,
        };
      }
    }, 'partition state');
    this.onOffline();
  }

  private onAllocate(from: string, _alloc: ZkAllocateProducerIds): void {
    const first = this.data.nextProducerId;
    this.data.nextProducerId += PRODUCER_ID_BLOCK;
    sendTo(this.ctx, from, { type: 'ZkAllocateProducerIdsResponse', first, count: PRODUCER_ID_BLOCK });
  }

  private expireSessions(): void {
    const data = this.data;
    const now = this.ctx.trueNow();
    let changed = false;
    for (const session of [...data.sessions.values()]) {
      if (now - session.lastPing < this.sessionTimeout) continue;
      note(this.ctx, 'zk-session-expired', { broker: session.broker, session: session.id });
      this.onSessionExpired?.(session.broker);
      this.endSession(session.id, 'controller session expired');
      changed = true;
    }
    if (changed) this.brokersChanged();
  }

  /** A broker's clean exit closed its session: its ephemeral znodes go now, not a session timeout later. */
  private closeSession(id: number): void {
    const session = this.data.sessions.get(id);
    if (session === undefined) return;
    note(this.ctx, 'zk-session-closed', { broker: session.broker, session: id });
    this.endSession(id, 'controller session closed');
    this.brokersChanged();
  }

  private endSession(id: number, why: string): void {
    const data = this.data;
    const session = data.sessions.get(id)!;
    data.sessions.delete(id);
    if (data.brokers.get(session.broker) === id) data.brokers.delete(session.broker);
    if (data.controller?.session === id) {
      data.controller = null;
      this.store.update((s) => { s.controller = null; }, why);
      for (const other of data.sessions.values()) sendTo(this.ctx, other.broker, { type: 'ZkControllerChanged', controller: null });
    }
  }

  private liveBrokers(): string[] {
    return [...this.data.brokers.keys()].sort(compareBrokers);
  }

  /** The /brokers/ids children watch: the controller hears the new list. */
  private brokersChanged(): void {
    const live = this.liveBrokers();
    this.store.update((s) => { s.liveBrokers = live; }, 'brokers changed');
    const controller = this.data.controller;
    if (controller) sendTo(this.ctx, controller.broker, { type: 'ZkBrokersChanged', liveBrokers: live });
  }
}

/** broker-2 before broker-10. */
export function compareBrokers(a: string, b: string): number {
  return brokerNumber(a) - brokerNumber(b);
}

export function brokerNumber(name: string): number {
  return Number.parseInt(name.slice(name.lastIndexOf('-') + 1), 10);
}

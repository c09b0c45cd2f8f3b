import type { CloseReason } from '../../sim/connection.js';
import type { Actor, NodeContext } from '../../sim/node.js';
import type { StateStore } from '../../sim/state.js';
import type { Micros } from '../../sim/time.js';
import { timersOf, unreachable, type TimerArgs } from '../../sim/timers.js';
import { notes } from './notes.js';
import {
  HEADER_BYTES, type BrokerData, type GetRouteInfoByTopicRequest, type NamesrvInbound, type QueueData, type RegisterBrokerRequest, type TopicRouteData,
} from './protocol.js';
import { respond } from './remoting.js';
import type { ScanSchedule } from './version.js';

/**
 * A NameServer (NamesrvController + RouteInfoManager): a stateless route registry that never
 * talks to the other NameServers. Brokers send REGISTER_BROKER (with their topic configs) every
 * registerNameServerPeriod; a master's registration writes its topics' QueueData, a slave's only
 * adds its address. scanNotActiveBroker runs every 10 s (4.x; 5.x: every scanNotActiveBrokerInterval,
 * 5 s by default: version.ts) and drops a broker address not heard from for 120 s
 * (BROKER_CHANNEL_EXPIRED_TIME, a constant in both); when a broker group has no address left its QueueData
 * goes too. A broker whose channel closes (its process was killed: its kernel resets the
 * connection) is dropped at once (BrokerHousekeepingService.onChannelClose -> onChannelDestroy);
 * one that went silent (machine crash, partition) waits for the scan. Clients ask
 * GET_ROUTEINFO_BY_TOPIC. Everything is in memory: a restarted NameServer
 * knows nothing until the brokers register again.
 */

/** RouteInfoManager's BROKER_CHANNEL_EXPIRED_TIME (4.x) / DEFAULT_BROKER_CHANNEL_EXPIRED_TIME (5.x): not a setting. */
export const BROKER_CHANNEL_EXPIRED_TIME: Micros = 120_000_000;

/** The NameServer's one timer: scanNotActiveBroker. */
export type NamesrvTimer = { tag: 'scan'; data: undefined };
const timers = timersOf<NamesrvTimer>();

/** The control-plane view of one NameServer, mirrored into world.store for the trace. */
export interface NamesrvView {
  /** brokerName -> brokerId -> address. */
  brokers: Record<string, Record<string, string>>;
  /** topic -> brokerName -> [readQueueNums, writeQueueNums, perm]. */
  topics: Record<string, Record<string, [number, number, number]>>;
}

export interface NamesrvStats {
  brokersExpired: number;
  /** The longest a broker had been silent when a scan dropped it, in ms (120 s plus up to one scan interval). */
  brokerExpiredAfterMsMax: number;
  /** Brokers dropped because their channel closed (onChannelDestroy), not by the 120 s scan. */
  brokerChannelsClosed: number;
}

export class NameServer implements Actor {
  private ctx!: NodeContext;
  private readonly live = new Map<string, { lastUpdate: Micros; brokerName: string; brokerId: number }>();
  private readonly brokerAddrTable = new Map<string, Map<number, string>>();
  private readonly topicQueueTable = new Map<string, Map<string, QueueData>>();

  constructor(private readonly store: StateStore<NamesrvView>, private readonly stats: NamesrvStats, private readonly scan: ScanSchedule) {}

  start(ctx: NodeContext, restarted: boolean): void {
    this.ctx = ctx;
    if (restarted) this.store.update((d) => { d.brokers = {}; d.topics = {}; }, 'namesrv restarted (in-memory tables lost)');
    timers.set(ctx, this.scan.first, 'scan', undefined);
  }

  receive(from: string, message: NamesrvInbound): void {
    switch (message.type) {
      case 'REGISTER_BROKER':
        return this.register(from, message);
      case 'UNREGISTER_BROKER':
        if (this.live.has(message.brokerAddr)) notes.note(this.ctx, 'broker-unregistered', { broker: message.brokerAddr });
        return this.remove(message.brokerAddr, 'UNREGISTER_BROKER');
      case 'GET_ROUTEINFO_BY_TOPIC':
        return this.route(from, message);
      default:
        return unreachable(message, 'NameServer request');
    }
  }

  /** BrokerHousekeepingService.onChannelClose: a broker's channel is gone, and so is the broker. */
  onConnectionClosed(peer: string, reason: CloseReason): void {
    if (!this.live.has(peer)) return;
    this.stats.brokerChannelsClosed++;
    notes.note(this.ctx, 'broker-channel-closed', { broker: peer, reason });
    this.remove(peer, 'onChannelDestroy');
  }

  onTimer(...[tag]: TimerArgs<NamesrvTimer>): void {
    switch (tag) {
      case 'scan':
        return this.scanNotActiveBroker();
      default:
        return unreachable(tag, 'NameServer timer');
    }
  }

  /** Drops every broker not heard from for BROKER_CHANNEL_EXPIRED_TIME. */
  private scanNotActiveBroker(): void {
    const now = this.ctx.now();
    for (const [addr, info] of [...this.live]) {
      if (info.lastUpdate + BROKER_CHANNEL_EXPIRED_TIME < now) {
        this.stats.brokersExpired++;
        this.stats.brokerExpiredAfterMsMax = Math.max(this.stats.brokerExpiredAfterMsMax, Math.round((now - info.lastUpdate) / 1000));
        notes.note(this.ctx, 'broker-expired', { broker: addr, silentFor: now - info.lastUpdate });
        this.remove(addr, 'scanNotActiveBroker');
      }
    }
    timers.set(this.ctx, this.scan.every, 'scan', undefined);
  }

  private register(from: string, req: RegisterBrokerRequest): void {
    const isNew = !this.live.has(req.brokerAddr);
    this.live.set(req.brokerAddr, { lastUpdate: this.ctx.now(), brokerName: req.brokerName, brokerId: req.brokerId });
    let addrs = this.brokerAddrTable.get(req.brokerName);
    if (!addrs) {
      addrs = new Map();
      this.brokerAddrTable.set(req.brokerName, addrs);
    }
    // One record per address: a broker that changed its id (slave <-> master) loses its old entry.
    let movedFrom: number | undefined;
    for (const [id, a] of addrs) if (a === req.brokerAddr && id !== req.brokerId) movedFrom = id;
    if (movedFrom !== undefined) addrs.delete(movedFrom);
    const replaced = addrs.get(req.brokerId) !== req.brokerAddr;
    addrs.set(req.brokerId, req.brokerAddr);
    const changedTopics: string[] = [];
    if (req.brokerId === 0) {
      for (const [topic, config] of Object.entries(req.topics)) {
        let queues = this.topicQueueTable.get(topic);
        if (!queues) {
          queues = new Map();
          this.topicQueueTable.set(topic, queues);
        }
        const old = queues.get(req.brokerName);
        if (!old || old.readQueueNums !== config.readQueueNums || old.writeQueueNums !== config.writeQueueNums || old.perm !== config.perm) {
          queues.set(req.brokerName, { brokerName: req.brokerName, ...config });
          changedTopics.push(topic);
        }
      }
    }
    if (isNew || replaced || changedTopics.length > 0) {
      this.store.update((d) => {
        const group = (d.brokers[req.brokerName] ??= {});
        if (movedFrom !== undefined) delete group[String(movedFrom)];
        group[String(req.brokerId)] = req.brokerAddr;
        for (const topic of changedTopics) {
          const q = this.topicQueueTable.get(topic)!.get(req.brokerName)!;
          (d.topics[topic] ??= {})[req.brokerName] = [q.readQueueNums, q.writeQueueNums, q.perm];
        }
      }, `REGISTER_BROKER ${req.brokerAddr}`);
    }
    respond(this.ctx, from, req, 'SUCCESS');
  }

  /** RouteInfoManager.onChannelDestroy: forget an address; a group with none left loses its queues. */
  private remove(addr: string, why: string): void {
    const info = this.live.get(addr);
    if (!info) return;
    this.live.delete(addr);
    const addrs = this.brokerAddrTable.get(info.brokerName);
    // Only the entry still pointing at this address (another broker may have registered under that id since).
    let removedId: number | undefined;
    if (addrs) {
      for (const [id, a] of addrs) if (a === addr) removedId = id;
      if (removedId !== undefined) addrs.delete(removedId);
    }
    const groupGone = addrs !== undefined && addrs.size === 0;
    if (groupGone) {
      this.brokerAddrTable.delete(info.brokerName);
      for (const [topic, queues] of [...this.topicQueueTable]) {
        queues.delete(info.brokerName);
        if (queues.size === 0) this.topicQueueTable.delete(topic);
      }
    }
    this.store.update((d) => {
      const group = d.brokers[info.brokerName];
      if (group && removedId !== undefined) delete group[String(removedId)];
      if (groupGone) {
        delete d.brokers[info.brokerName];
        for (const topic of Object.keys(d.topics)) {
          delete d.topics[topic]![info.brokerName];
          if (Object.keys(d.topics[topic]!).length === 0) delete d.topics[topic];
        }
      }
    }, `${why} ${addr}`);
  }

  private route(from: string, req: GetRouteInfoByTopicRequest): void {
    const queues = this.topicQueueTable.get(req.topic);
    if (!queues || queues.size === 0) {
      respond(this.ctx, from, req, 'TOPIC_NOT_EXIST', { remark: `No topic route info in name server for the topic: ${req.topic}` });
      return;
    }
    const queueDatas = [...queues.values()].map((q) => ({ ...q })).sort((a, b) => (a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : 0));
    const brokerDatas: BrokerData[] = [];
    for (const q of queueDatas) {
      const addrs = this.brokerAddrTable.get(q.brokerName);
      if (!addrs) continue;
      const brokerAddrs: Record<number, string> = {};
      for (const [id, addr] of addrs) brokerAddrs[id] = addr;
      brokerDatas.push({ brokerName: q.brokerName, brokerAddrs });
    }
    const route: TopicRouteData = { queueDatas, brokerDatas };
    respond(this.ctx, from, req, 'SUCCESS', { route }, HEADER_BYTES + 64 * queueDatas.length);
  }
}

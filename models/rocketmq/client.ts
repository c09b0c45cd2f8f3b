import type { NodeContext } from '../../sim/node.js';
import type { Micros } from '../../sim/time.js';
import { HEADER_BYTES, PERM_READ, PERM_WRITE, type TopicRouteData } from './protocol.js';
import { notes } from './notes.js';
import type { Remoting } from './remoting.js';
import type { MessageQueue } from './allocate.js';

/**
 * The client side of routing (MQClientInstance): one NameServer at a time (picked at random at
 * start, the next one after a failed call), GET_ROUTEINFO_BY_TOPIC for every topic in use at
 * start and every pollNameServerInterval, and the broker address table built from the routes.
 * Between two polls a dead broker stays in the route: the stale-route window.
 */

/** getTopicRouteInfoFromNameServer's timeout. */
const ROUTE_TIMEOUT: Micros = 3_000_000;

export interface RouteListener {
  onRoute(topic: string, route: TopicRouteData): void;
  /** The NameServer answered TOPIC_NOT_EXIST (no broker has the topic). */
  onNoRoute?(topic: string): void;
}

export class RouteTable {
  private nsIndex = 0;
  readonly routes = new Map<string, TopicRouteData>();
  /** brokerName -> brokerId -> address, from the latest routes. */
  readonly brokerAddrs = new Map<string, Map<number, string>>();
  /** brokerName -> the master's address (brokerId 0), for master(): one lookup per send. Rebuilt with brokerAddrs. */
  private readonly masters = new Map<string, string>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly remoting: Remoting,
    private readonly nameServers: readonly string[],
    private readonly listener: RouteListener,
  ) {
    this.nsIndex = ctx.random('namesrv').int(nameServers.length);
  }

  /** Asks the current NameServer for a topic's route; on a timeout moves to the next NameServer. */
  update(topic: string): void {
    const ns = this.nameServers[this.nsIndex % this.nameServers.length]!;
    this.remoting.invoke(ns, 'GET_ROUTEINFO_BY_TOPIC', { topic }, HEADER_BYTES, ROUTE_TIMEOUT, (response) => {
      if (response === null) {
        // Move on from this NameServer (once, however many requests to it timed out).
        if (this.nameServers[this.nsIndex % this.nameServers.length] === ns) this.nsIndex++;
        notes.note(this.ctx, 'namesrv-unreachable', { namesrv: ns, topic });
        return;
      }
      if (response.code !== 'SUCCESS') {
        // TOPIC_NOT_EXIST: keep what we had
        this.listener.onNoRoute?.(topic);
        return;
      }
      const route = response.route!;
      this.routes.set(topic, route);
      this.rebuildAddrs();
      this.listener.onRoute(topic, route);
    });
  }

  private rebuildAddrs(): void {
    this.brokerAddrs.clear();
    this.masters.clear();
    for (const route of this.routes.values()) {
      for (const bd of route.brokerDatas) {
        const addrs = new Map<number, string>();
        for (const [id, addr] of Object.entries(bd.brokerAddrs)) addrs.set(Number(id), addr);
        this.brokerAddrs.set(bd.brokerName, addrs);
      }
    }
    for (const [brokerName, addrs] of this.brokerAddrs) {
      const master = addrs.get(0);
      if (master !== undefined) this.masters.set(brokerName, master);
    }
  }

  /** findBrokerAddressInPublish: the master's address, if the route has one. */
  master(brokerName: string): string | undefined {
    return this.masters.get(brokerName);
  }

  /** findBrokerAddressInSubscribe(brokerName, MASTER_ID, false): the master, else any slave. */
  forRead(brokerName: string): string | undefined {
    const addrs = this.brokerAddrs.get(brokerName);
    if (!addrs) return undefined;
    const master = addrs.get(0);
    if (master !== undefined) return master;
    for (const addr of addrs.values()) return addr;
    return undefined;
  }

  allAddrs(mastersOnly: boolean): string[] {
    const out: string[] = [];
    for (const addrs of this.brokerAddrs.values()) {
      for (const [id, addr] of addrs) if (!mastersOnly || id === 0) out.push(addr);
    }
    return out;
  }
}

/** topicRouteData2TopicPublishInfo: the writable queues of groups that have a master in the route. */
export function publishQueues(topic: string, route: TopicRouteData): MessageQueue[] {
  const out: MessageQueue[] = [];
  for (const qd of route.queueDatas) {
    if ((qd.perm & PERM_WRITE) === 0) continue;
    const bd = route.brokerDatas.find((b) => b.brokerName === qd.brokerName);
    if (!bd || bd.brokerAddrs[0] === undefined) continue;
    for (let i = 0; i < qd.writeQueueNums; i++) out.push({ topic, brokerName: qd.brokerName, queueId: i });
  }
  return out;
}

/** topicRouteData2TopicSubscribeInfo: every readable queue, master alive or not. */
export function subscribeQueues(topic: string, route: TopicRouteData): MessageQueue[] {
  const out: MessageQueue[] = [];
  for (const qd of route.queueDatas) {
    if ((qd.perm & PERM_READ) === 0) continue;
    for (let i = 0; i < qd.readQueueNums; i++) out.push({ topic, brokerName: qd.brokerName, queueId: i });
  }
  return out;
}

/** MessageQueue.compareTo: topic, then brokerName, then queueId. */
export function compareQueues(a: MessageQueue, b: MessageQueue): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  if (a.brokerName !== b.brokerName) return a.brokerName < b.brokerName ? -1 : 1;
  return a.queueId - b.queueId;
}

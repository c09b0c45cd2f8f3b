import type { Micros } from '../../sim/time.js';
import { kafkaView } from './kafka.js';
import { dataOf, emptySystemView, type ClientView, type ClusterView, type NodeInfo, type NodeStatus, type SystemView, type ViewInput } from './model.js';
import { rabbitmqView } from './rabbitmq.js';
import { rocketmqView } from './rocketmq.js';
import { resolveGroup } from './timeline.js';

/**
 * The cluster diagram's content at an instant: every node's status, the network partitions in
 * force, client-to-server traffic in the last second (in the direction messages flow), and the
 * system's own per-server state (drill/view/<system>.ts). Only records up to the instant are read.
 */

const COORDINATOR_ROLES = ['zookeeper', 'controller', 'namesrv'];
const TRAFFIC_WINDOW: Micros = 1_000_000;

const SYSTEMS: Record<string, (input: ViewInput) => SystemView> = {
  kafka: kafkaView,
  rabbitmq: rabbitmqView,
  rocketmq: rocketmqView,
  demo: demoView,
};

export function clusterView(input: ViewInput): ClusterView {
  const status = new Map<string, NodeStatus>(input.nodes.map((n) => [n.name, 'not started']));
  let groups: string[][] = [];
  const traffic = new Map<string, number>();
  for (const record of input.records) {
    if (record.t > input.time) break;
    switch (record.kind) {
      case 'node.start':
      case 'node.restart':
      case 'node.resume':
        status.set(record.node, 'up');
        break;
      case 'node.crash':
        status.set(record.node, 'down');
        break;
      case 'node.pause':
        status.set(record.node, 'paused');
        break;
      case 'fault': {
        const d = dataOf(record);
        if (d.kind === 'partition') groups = [...String(d.description).matchAll(/\[([^\]]*)\]/g)].map((m) => resolveGroup(m[1]!, input.nodes));
        if (d.kind === 'heal') groups = [];
        break;
      }
      case 'phase':
        groups = [];
        break;
      case 'net.deliver':
      case 'net.drop':
        // A packet for a node that is down is recorded delivered, then dropped: it does not count.
        if (record.t > input.time - TRAFFIC_WINDOW && (record.kind === 'net.deliver' || record.reason === 'node-down')) {
          const key = `${String(record.from)}>${String(record.to)}`;
          traffic.set(key, (traffic.get(key) ?? 0) + (record.kind === 'net.deliver' ? 1 : -1));
          if (traffic.get(key) === 0) traffic.delete(key);
        }
        break;
    }
  }
  const system = (SYSTEMS[input.system] ?? (() => emptySystemView()))(input);
  const isClient = (n: NodeInfo) => n.roles.some((r) => r === 'producer' || r === 'consumer' || r === 'callback-service');
  const isCoordinator = (n: NodeInfo) => n.roles.some((r) => COORDINATOR_ROLES.includes(r));
  const servers = input.nodes.filter((n) => !isClient(n) && !isCoordinator(n));
  const serverNames = new Set(servers.map((s) => s.name));
  const cutFrom = (name: string) => {
    const mine = groups.find((g) => g.includes(name));
    if (!mine) return [];
    return groups.filter((g) => g !== mine).flat().filter((n) => n !== name);
  };
  const client = (n: NodeInfo, kind: ClientView['kind']): ClientView => {
    const flows: ClientView['traffic'] = [];
    for (const server of serverNames) {
      const messages = kind === 'producer' ? traffic.get(`${n.name}>${server}`) : traffic.get(`${server}>${n.name}`);
      if (messages) flows.push({ server, messages });
    }
    const cut = cutFrom(n.name).some((other) => serverNames.has(other));
    return { name: n.name, status: status.get(n.name)!, kind, details: system.clientDetails.get(n.name) ?? [], traffic: flows, cut };
  };
  return {
    time: input.time,
    coordinators: input.nodes.filter(isCoordinator).map((n) => ({ name: n.name, status: status.get(n.name)!, note: system.coordinatorNotes.get(n.name) ?? '' })),
    servers: servers.map((n) => {
      const view = {
        name: n.name,
        status: status.get(n.name)!,
        badges: system.badges.get(n.name) ?? [],
        cutFrom: cutFrom(n.name),
        strips: system.strips.get(n.name) ?? [],
      };
      const empty = system.empty?.get(n.name);
      return empty ? { ...view, empty } : view;
    }),
    producers: input.nodes.filter((n) => n.roles.includes('producer')).map((n) => client(n, 'producer')),
    consumers: input.nodes.filter((n) => isClient(n) && !n.roles.includes('producer')).map((n) => client(n, 'consumer')),
    partitions: groups.length > 0 ? [groups.map((g) => g.join(', ')).join(' | ')] : [],
  };
}

/** The demo queue: one broker, its backlog. */
function demoView(input: ViewInput): SystemView {
  const view = emptySystemView();
  for (const node of input.nodes) {
    if (!node.roles.includes('broker')) continue;
    view.strips.set(node.name, [
      {
        label: 'queue',
        fields: [
          { label: 'backlog', value: String(input.gauges.backlog ?? 0), term: 'backlog' },
          { label: 'in flight', value: String(input.gauges.inflight ?? 0), term: 'in flight' },
        ],
      },
    ]);
  }
  return view;
}

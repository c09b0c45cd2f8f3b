import type { Micros } from '../../sim/time.js';
import { kafkaView } from './kafka.js';
import { NODE_STATUS_AFTER } from '../engine.js';
import { dataOf, emptySystemView, type ClientView, type ClusterView, type NodeInfo, type NodeStatus, type SystemView, type ViewInput } from './model.js';
import { rabbitmqView } from './rabbitmq.js';
import { rocketmqView } from './rocketmq.js';
import { resolveGroup } from './timeline.js';

/**
 * The cluster diagram's content at an instant: every node's status, the network partitions in
 * force, the messages each client sent or received in the last second (client history), and the
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
  const flows = new Map<string, { rate: number; acked: number; servers: Set<string> }>();
  for (const record of input.records) {
    if (record.t > input.time) break;
    switch (record.kind) {
      case 'node.start':
      case 'node.restart':
      case 'node.resume':
      case 'node.crash':
      case 'node.pause':
        status.set(record.node, NODE_STATUS_AFTER[record.kind]);
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
      case 'history': {
        // Messages per client in the last second: sends (and who acknowledged them), receives (and from whom).
        const d = dataOf(record);
        if (record.t <= input.time - TRAFFIC_WINDOW || typeof d.msg !== 'string') break;
        const flow = flows.get(record.node) ?? { rate: 0, acked: 0, servers: new Set<string>() };
        if (d.f === 'send' && d.type === 'invoke') flow.rate++;
        if (d.f === 'send' && d.type === 'ok') flow.acked++;
        if (d.f === 'receive' && d.type === 'ok') flow.rate++;
        if (((d.f === 'send' && d.type === 'ok') || (d.f === 'receive' && d.type === 'ok')) && typeof d.node === 'string') flow.servers.add(d.node);
        flows.set(record.node, flow);
        break;
      }
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
    const flow = flows.get(n.name);
    const cut = cutFrom(n.name).some((other) => serverNames.has(other));
    const view: ClientView = { name: n.name, status: status.get(n.name)!, kind, details: system.clientDetails.get(n.name) ?? [], rate: flow?.rate ?? 0, servers: [...(flow?.servers ?? [])].sort(), cut };
    if (kind === 'producer') view.acked = flow?.acked ?? 0;
    return view;
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

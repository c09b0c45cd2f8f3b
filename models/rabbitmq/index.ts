/**
 * The RabbitMQ model: builds the cluster a scenario describes. Broker nodes `rabbit-1..rabbit-N`
 * (cluster.brokers, default 1; role broker) speak AMQP 0-9-1 to producer and consumer nodes
 * (workload.ts). Where things are:
 *
 * - broker/: the rabbit application of a node, one file per RabbitMQ component (broker/broker.ts
 *   lists them: connection, channel, queue process, dead-lettering, exchange routing, message
 *   store, definitions, delayed message exchange).
 * - cluster/: node.ts (a cluster node: Erlang distribution, net_ticktime, partition handling),
 *   link.ts (queues served by other nodes and quorum queues), delegate.ts (a classic queue's home side).
 * - quorum/: raft.ts (Ra: elections, replication), fifo.ts (rabbit_fifo, the queue's state
 *   machine), leaders.ts (the quorum queues' control-plane store).
 * - mirrored/: classic queue mirroring before 4.0: misc.ts (placement, promotion), master.ts
 *   (the leader's gm and synchronisation), slave.ts (a mirror), gm.ts (a node's part: views,
 *   joining after a restart, promotion).
 * - producer.ts, consumer.ts, client.ts (the AMQP client), patterns/ (delayed confirmation).
 * - protocol.ts (every message on the wire), notes.ts (every trace note), invariants.ts
 *   (cluster.invariants), scenario.ts (the scenario's topology), schema.ts, drill.ts.
 *
 * A lone node (brokers 1) is the broker actor itself; in a cluster each node is a RabbitNode
 * running a broker.
 */
import { formatDuration } from '../../sim/time.js';
import type { World } from '../../sim/world.js';
import { LiveActors } from '../../sim/live-actors.js';
import type { ModelDefinition, ModelRun } from '../model.js';
import { RabbitBroker, type BrokerOptions } from './broker/broker.js';
import { vhostKey } from './broker/exchange-routing.js';
import { DISK_MONITOR } from './broker/disk-monitor.js';
import { RabbitNode, type PartitionHandling } from './cluster/node.js';
import { rabbitDrill } from './drill.js';
import { InvariantChecker } from './invariants.js';
import { DelayedConfirmationBuilder } from './patterns/delayed-confirmation.js';
import { QuorumLeaders } from './quorum/leaders.js';
import { MirrorViews } from './mirrored/views.js';
import { rabbitNodes, topologyOf, type RabbitScenario } from './scenario.js';
import { BROKER_NODE, QUORUM_DEFAULTS, RABBIT_DEFAULTS, rabbitParts } from './schema.js';
import { emptyStats } from './stats.js';
import { DEFAULT_RABBIT_VERSION } from './version.js';
import { addConsumers, addProducers } from './workload.js';
import { RABBITMQ_NOTES } from './notes.js';
import { RabbitFailureTimings } from './failure-timings.js';

export * from './public.js';
export { rabbitParts, BROKER_NODE } from './schema.js';
export { RabbitBroker } from './broker/broker.js';
export { emptyStats, type RabbitStats } from './stats.js';
export { updateDeaths } from './broker/dead-lettering.js';
export type { QueueDef } from './broker/queue-process.js';
export type { Permission } from './broker/connection.js';
export { Topology, headersMatch, vhostKey, predeclaredExchanges, type ExchangeDef, type BindingDef } from './broker/exchange-routing.js';
export { rabbitNodes, topologyOf, type RabbitScenario, type RabbitProducerSpec, type RabbitConsumerSpec } from './scenario.js';

export const rabbitmqModel: ModelDefinition<RabbitScenario> = {
  parts: rabbitParts,
  notes: RABBITMQ_NOTES,
  drill: rabbitDrill,
  build(world: World, scenario: RabbitScenario): ModelRun {
    const topology = topologyOf(scenario);
    const config = scenario.cluster?.config;
    const version = scenario.cluster?.version ?? DEFAULT_RABBIT_VERSION;
    const heartbeat = config?.heartbeat ?? RABBIT_DEFAULTS.heartbeat;
    const fsyncInterval = config?.['fsync.interval'] ?? RABBIT_DEFAULTS.fsyncInterval;
    // rabbit_disk_monitor, where a disk can fill (disk-monitor.ts says why only there).
    const diskCanFill = Number.isFinite(scenario.disk?.capacity ?? Number.POSITIVE_INFINITY) || (scenario.faults ?? []).some((f) => 'disk-full' in f);
    const diskMonitor: Pick<BrokerOptions, 'diskFreeLimit'> = diskCanFill ? { diskFreeLimit: config?.['disk_free_limit.absolute'] ?? DISK_MONITOR.defaultLimit } : {};
    const stats = emptyStats();
    const lines: string[] = [];
    const live = new LiveActors(world);
    const track = <A extends object>(name: string, actor: A): A => live.track(name, actor);
    const pattern = new DelayedConfirmationBuilder(topology);

    // The live brokers, by node (for gauges, the final read and the invariants).
    const nodes = rabbitNodes(scenario);
    const brokers = new Map<string, RabbitBroker>();
    world.onCrash((name) => {
      brokers.delete(name);
    });
    const onStart = (live: RabbitBroker) => {
      brokers.set(live.ctx.name, live);
    };
    const quorumQueues = topology.queues.filter((q) => q.quorum);
    const timings = new RabbitFailureTimings(world, stats);
    const onClientDropped = timings.clientDropped;
    const leaders = new QuorumLeaders(world, quorumQueues, brokers, timings);
    const onLeader = leaders.onLeader;
    const mirrorViews = new MirrorViews(world, topology.queues.filter((q) => q.mirror !== undefined));
    const onMirrorView = mirrorViews.onView;
    // Queue depths as gauges (sampled, shown by drills and reports; they do not enter the trace).
    for (const q of topology.queues) {
      const key = vhostKey(q.vhost, q.name);
      const label = q.vhost === RABBIT_DEFAULTS.vhost ? q.name : `${q.vhost}/${q.name}`;
      if (q.quorum) {
        world.metrics.gauge(`depth.${label}`, () => leaders.leaderMember(key)?.fifo.ready.count ?? 0);
        world.metrics.gauge(`unacked.${label}`, () => leaders.leaderMember(key)?.fifo.checkedOut ?? 0);
        continue;
      }
      const home = q.node ?? BROKER_NODE;
      // A mirrored queue moves with its leader: the largest copy among the live nodes (two under a split brain).
      const held = q.mirror === undefined
        ? () => brokers.get(home)?.queues.get(key)
        : () => [...brokers.values()].map((b) => b.queues.get(key)).reduce((a, b) => ((b?.ready.count ?? -1) > (a?.ready.count ?? -1) ? b : a), undefined);
      world.metrics.gauge(`depth.${label}`, () => held()?.ready.count ?? 0);
      world.metrics.gauge(`unacked.${label}`, () => held()?.unacked ?? 0);
    }
    // cluster.invariants: checked over every live broker after each control-plane change (invariants.ts).
    const checker = scenario.cluster?.invariants ? new InvariantChecker({
      now: () => world.kernel.now,
      brokers: () => [...brokers.values()].map((b) => ({ name: b.ctx.name, queues: b.queues, connections: b.connections, members: b.link?.members.values() ?? [] })),
    }) : undefined;
    const invariants: Pick<BrokerOptions, 'invariants'> = checker ? { invariants: checker } : {};
    const clustered = nodes.length > 1;
    const partitionHandling: PartitionHandling = config?.cluster_partition_handling ?? 'ignore';
    const netTicktime = config?.net_ticktime ?? QUORUM_DEFAULTS.netTicktime;
    const quorum = {
      electionTimeout: config?.['quorum.election.timeout'] ?? QUORUM_DEFAULTS.electionTimeout,
      heartbeat: config?.['quorum.heartbeat'] ?? QUORUM_DEFAULTS.heartbeat,
      commandTimeout: config?.['quorum.command.timeout'] ?? QUORUM_DEFAULTS.commandTimeout,
    };
    for (const name of nodes) {
      if (!clustered) {
        // One node: the broker is the node's actor (no net ticks), as before clustering existed.
        const options = { ...topology, version, heartbeat, fsyncInterval, stats, onStart, onClientDropped, ...(quorumQueues.length > 0 ? { quorum, onLeader } : {}), ...invariants, ...diskMonitor };
        world.addNode(name, () => new RabbitBroker(options), { roles: ['broker'] });
        continue;
      }
      world.addNode(name, () => new RabbitNode(nodes, netTicktime, partitionHandling, (view) => new RabbitBroker({
        ...topology, version, heartbeat, fsyncInterval, stats, onStart, onClientDropped, cluster: view, quorum, onLeader, onMirrorView, netTicktime, ...invariants, ...diskMonitor,
      }), (app) => {
        if (app === null) brokers.delete(name);
      }), { roles: ['broker'] });
    }
    leaders.registerSelector(world, mirrorViews.selector());
    lines.push(
      `broker${clustered ? 's' : ''} ${nodes.join(', ')}: vhosts ${topology.vhosts.join(', ')}; ${topology.exchanges.length} exchanges, ${topology.queues.length} queues, `
      + `${topology.bindings.length} bindings; heartbeat=${formatDuration(heartbeat)}, fsync every ${formatDuration(fsyncInterval)}`
      + (clustered ? `; cluster_partition_handling=${partitionHandling}, net_ticktime=${formatDuration(netTicktime)}` : '')
      + (checker ? ', invariants checked' : ''),
    );
    for (const q of topology.queues) {
      const args = Object.entries(q.args).map(([k, v]) => `${k}=${typeof v === 'number' && k.endsWith('ttl') || k === 'x-expires' ? formatDuration(v as number) : String(v)}`);
      const where = q.quorum ? ` on ${(q.members ?? []).join(', ')}` : clustered ? ` on ${q.node ?? BROKER_NODE}` : '';
      const m = q.mirror;
      const mirrored = m === undefined ? ''
        : `, mirrored by policy ${m.policy} (ha-mode ${m.mode}${m.params === undefined ? '' : ` ${Array.isArray(m.params) ? m.params.join(',') : String(m.params)}`}, ha-sync-mode ${m.syncMode}, ha-promote-on-failure ${m.promoteOnFailure}${m.syncMode === 'automatic' ? `, ha-sync-batch-size ${m.batchSize}` : ''})`;
      lines.push(`queue ${q.vhost === '/' ? '' : `${q.vhost}/`}${q.name}: ${q.durable ? 'durable' : 'transient'}${where}${mirrored}${args.length ? `, ${args.join(', ')}` : ''}`);
    }
    const clients = { world, scenario, stats, pattern, track };
    lines.push(...addProducers(clients), ...addConsumers(clients));
    lines.push(...pattern.addServices((name, factory) => world.addNode(name, () => track(name, factory()), { roles: ['callback-service'] }), heartbeat));

    return {
      describe: () => [...lines, ...leaders.describe(), ...mirrorViews.describe((key) => [...brokers.values()].filter((b) => b.link?.mirrors?.leads(key) === true).map((b) => b.ctx.name))],
      // invariantChecks only with cluster.invariants (how many times the invariants were checked).
      counts: () => ({ ...stats, ...pattern.stats, ...(checker ? { invariantChecks: checker.checks } : {}) }),
      retained: () => {
        const stored = new Set<string>();
        for (const b of brokers.values()) b.storedMessages(stored);
        return stored;
      },
    };
  },
};

/**
 * The Kafka model. Nodes:
 *
 * - `zookeeper` (role zookeeper; cluster.metadata: zookeeper, the default for cluster.version
 *   3.9; version 4.0 has no ZooKeeper, version.ts): broker sessions,
 *   /controller election, partition state znodes;
 * - or, with cluster.metadata: kraft, `controller-1..N` (role controller, cluster.controllers):
 *   the KRaft quorum (kraft/controller.ts), whose Raft leader is the active controller; brokers
 *   register, heartbeat and fetch __cluster_metadata (kraft/broker-client.ts);
 * - `broker-1..N` (role broker, broker/kafka-server.ts and its components under broker/):
 *   replicated partition logs, the controller when elected;
 * - one node per producer, named by its `id` (role producer);
 * - consumers (role consumer): `mode: assign` (default) one `${group}-c1` reading every partition
 *   of its topic by assign(); `mode: subscribe` `${group}-c1..c${count}`, members of consumer
 *   group `group` (consumer-coordinator.ts, membership.ts), coordinated by the leader of the group's `__consumer_offsets`
 *   partition (group-coordinator.ts). That internal topic (offsets.topic.num.partitions,
 *   offsets.topic.replication.factor capped by the broker count) is created, replicated like any
 *   topic, only when some consumer subscribes; group state is mirrored into
 *   world.store('kafka-groups'). Gauges `lag.<group>.<topic-partition>` (results.ts): high
 *   watermark minus the group's committed offset. A group may run a pattern instead of delivering records itself
 *   (patterns/: `delayScheduler`, `dispatch`), and its members may change their subscription,
 *   close and start again at given times (`steps`);
 * - `admin` (role admin), when the scenario has `admin:` steps: CreatePartitions to the controller
 *   (admin.ts).
 *
 * Replicas are assigned as Kafka's rack-unaware assignment does (replica-assignment.ts).
 *
 * Control-plane state (controller, controller epoch, live brokers, each partition's leader,
 * leader epoch, ISR and partition epoch) is mirrored from ZooKeeper into world.store('kafka'),
 * so every change is in the trace. Selectors (selectors.ts): `controller`,
 * `{ leader-of: <topic>-<partition> }`.
 *
 * This file only wires the nodes together; what each piece does is in the files named above,
 * the scenario's types and consumer checks in scenario.ts, the report lines in describe.ts.
 */
import { FailureTimings } from './failure-timings.js';
import { ConfigError, withPath } from '../../sim/scenario/config-error.js';
import type { History } from '../../sim/history.js';
import type { Phase, World } from '../../sim/world.js';
import type { ModelDefinition, ModelRun } from '../model.js';
import { KafkaBroker } from './broker/kafka-server.js';
import { KafkaConsumer } from './consumer.js';
import { KafkaProducer } from './producer.js';
import { kafkaParts, KAFKA_DEFAULTS, resolveBrokerConfig, resolveProducerConfig } from './schema.js';
import { newStats, type KafkaStats } from './stats.js';
import { ZooKeeperNode, type KafkaControlState, type ZkData } from './zookeeper.js';
import { KraftController, type RaftData } from './kraft/controller.js';
import { kraftPublisher } from './kraft/publisher.js';
import { InvariantChecker } from './invariants.js';
import type { GroupsState } from './group-coordinator.js';
import { KafkaAdmin } from './admin.js';
import { formatDuration } from '../../sim/time.js';
import { kafkaDrill } from './drill-aliases.js';
import { describeAdminStep, describeCluster, describeConsumers, describeProducer } from './describe.js';
import { assignReplicas, planTopics } from './replica-assignment.js';
import { checkConsumerSpec, type KafkaScenario } from './scenario.js';
import { registerSelectors } from './selectors.js';
import { KafkaResults, type ConsumerGroupPlan } from './results.js';
import { KAFKA_NOTES } from './notes.js';
import { PartitionOwnership } from './partition-ownership.js';
import { DEFAULT_KAFKA_VERSION, defaultMetadataMode, hasZooKeeper } from './version.js';

export { kafkaParts } from './schema.js';
export type { KafkaConsumerSpec, KafkaProducerSpec, KafkaScenario } from './scenario.js';
export { assignReplicas } from './replica-assignment.js';
export * from './public.js';

interface PhaseAware {
  onPhase(phase: Phase): void;
}

/** The handles a test needs into a built Kafka model. */
export interface KafkaModel extends ModelDefinition<KafkaScenario> {
  build(world: World, scenario: KafkaScenario): KafkaRun;
}

export interface KafkaRun extends ModelRun {
  stats: KafkaStats;
  state(): KafkaControlState;
  /** Consumer groups as their coordinators last published them. */
  groups(): GroupsState;
  /** A group's committed offsets ("topic-partition" -> offset), from its current coordinator. */
  committed(group: string): ReadonlyMap<string, number>;
  broker(name: string): KafkaBroker | undefined;
}

/** The Kafka model (its build returns a KafkaRun, a ModelRun with handles for tests). */
export const kafkaModel: KafkaModel = {
  parts: kafkaParts,
  notes: KAFKA_NOTES,
  drill: kafkaDrill,
  build(world: World, scenario: KafkaScenario): KafkaRun {
    const history: History = world.history;
    const config = resolveBrokerConfig(scenario.cluster?.config);
    const brokerCount = scenario.cluster?.brokers ?? KAFKA_DEFAULTS.brokers;
    const brokers = Array.from({ length: brokerCount }, (_, i) => `broker-${i + 1}`);
    const consumerSpecs = scenario.workload?.consumers ?? [];
    const groupsUsed = consumerSpecs.some((c) => c.mode === 'subscribe');
    const transactionsUsed = (scenario.workload?.producers ?? []).some((p) => p.config?.['transactional.id'] !== undefined)
      || (scenario.workload?.consumers ?? []).some((c) => c.pipeline?.['processing.guarantee'] === 'exactly_once_v2');
    const { topics, topicOf } = planTopics(scenario.topics ?? [{ name: 'orders' }], brokers, config, groupsUsed, transactionsUsed);

    const stats = newStats();
    const store = world.store<KafkaControlState>('kafka', { controller: null, controllerEpoch: 0, liveBrokers: [], partitions: {} });
    const groupStore = groupsUsed ? world.store<GroupsState>('kafka-groups', {}) : undefined;
    const countOffline = () => {
      let offline = 0;
      for (const p of Object.values(store.state.partitions)) if (p.leader === null) offline++;
      if (offline > stats.offlinePartitionsMax) stats.offlinePartitionsMax = offline;
    };
    const live = new Map<string, PhaseAware>();
    // Which live member holds which partition of each group: the unowned-time counts.
    const ownership = new PartitionOwnership(() => world.now);
    world.onCrash((name) => ownership.dropNode(name));
    const brokerActors = new Map<string, KafkaBroker>();

    // Failure detection and controller failover times, for every fault kind (failure-timings.ts).
    const timings = new FailureTimings(world, stats);
    const detected = timings.brokerDetected;
    store.onChange((state) => timings.controllerIs(state.controller));
    const replicasOf = new Map<string, readonly string[]>();
    for (const t of topics) t.partitions.forEach((replicas, p) => replicasOf.set(`${t.topic}-${p}`, replicas));
    // cluster.invariants: the replication invariants after every control-plane change (invariants.ts).
    const checker = scenario.cluster?.invariants ? new InvariantChecker({
      now: () => world.now,
      partitions: () => store.state.partitions,
      replicasOf: (p) => replicasOf.get(p) ?? [],
      isUp: (b) => world.node(b).status !== 'crashed' && brokerActors.has(b),
      replica: (b, p) => brokerActors.get(b)?.inspect(p),
      safe: (p) => config.leaderEpochs && !(topics.find((t) => t.topic === p.slice(0, p.lastIndexOf('-')))?.uncleanLeaderElection ?? config.uncleanLeaderElection),
    }, stats) : undefined;
    world.onCrash((name) => {
      if (!brokers.includes(name)) return;
      checker?.beforeCrash(name, [...replicasOf.keys()]);
    });
    world.onStart((name, restarted) => {
      if (restarted && brokers.includes(name)) checker?.afterRestart(name);
    });

    const version = scenario.cluster?.version ?? DEFAULT_KAFKA_VERSION;
    const metadataMode = scenario.cluster?.metadata ?? defaultMetadataMode(version);
    if (metadataMode === 'zookeeper' && !hasZooKeeper(version)) {
      throw ConfigError.at(['cluster', 'metadata'], `cluster.metadata zookeeper with cluster.version ${version}: Kafka 4 removed ZooKeeper mode (a 4.x cluster runs KRaft); use cluster.metadata: kraft, or cluster.version: "3.9"`);
    }
    if (metadataMode === 'kraft') {
      for (const key of ['controlled.shutdown.enable', 'controlled.shutdown.max.retries', 'controlled.shutdown.retry.backoff.ms'] as const) {
        if (scenario.cluster?.config?.[key] !== undefined) {
          throw ConfigError.at(['cluster', 'config', key], `${key} is a ZooKeeper-mode setting: KRaft brokers shut down through their heartbeat (wantShutDown), which this model does not yet have; remove it or use cluster.metadata: zookeeper`);
        }
      }
    }
    if (metadataMode !== 'kraft' && scenario.cluster?.controllers !== undefined) {
      throw ConfigError.at(['cluster', 'controllers'], 'cluster.controllers needs cluster.metadata: kraft (in ZooKeeper mode the controller is one of the brokers)');
    }
    // KRaft: dedicated controller nodes controller-1..N, or (combined mode, process.roles=broker,controller) the first N brokers.
    const combined = scenario.cluster?.combined ?? false;
    if (combined && metadataMode !== 'kraft') throw ConfigError.at(['cluster', 'combined'], 'cluster.combined needs cluster.metadata: kraft');
    const controllerCount = scenario.cluster?.controllers ?? Math.min(KAFKA_DEFAULTS.controllers, combined ? brokerCount : KAFKA_DEFAULTS.controllers);
    if (combined && controllerCount > brokerCount) throw ConfigError.at(['cluster', 'controllers'], `cluster.controllers ${controllerCount}: combined mode runs the controllers on the brokers, and there are only ${brokerCount}`);
    const voters = metadataMode !== 'kraft' ? []
      : combined ? brokers.slice(0, controllerCount)
      : Array.from({ length: controllerCount }, (_, i) => `controller-${i + 1}`);
    const hostedControllers = new Map<string, (shared: { leaderChanged(leader: string | null, epoch: number): void }) => KraftController>();
    if (metadataMode === 'kraft') {
      const publish = kraftPublisher(store, stats, {
        fenced: detected,
        // CreatePartitions committed: the topic's assignment grows (as the ZooKeeper controller's does).
        partitionCreated: (state) => {
          const t = topics.find((x) => x.topic === state.topic);
          if (t && state.partition === t.partitions.length) t.partitions.push([...state.replicas]);
        },
        after: (node) => {
        countOffline();
        checker?.changed(node, 'metadata records committed');
      } });
      for (const name of voters) {
        const data: RaftData = { log: [], epoch: 0, votedFor: null };
        const make = (shared?: { leaderChanged(leader: string | null, epoch: number): void }) => new KraftController(data, {
          voters, brokers, topics, config, stats,
          publish: (log, hw) => publish(name, log, hw),
          ...(shared ? { leaderChanged: shared.leaderChanged } : {}),
        });
        if (combined) hostedControllers.set(name, make);
        else world.addNode(name, () => make(), { roles: ['controller'] });
      }
    } else {
      const zkData: ZkData = {
        nextSession: 1, sessions: new Map(), brokers: new Map(), controller: null, controllerEpoch: 0, partitions: new Map(), nextProducerId: 0,
      };
      const afterWrite = checker ? () => {
        countOffline();
        checker.changed('zookeeper', 'partition state written');
      } : countOffline;
      world.addNode('zookeeper', () => new ZooKeeperNode(zkData, config.zkSessionTimeout, store, afterWrite, detected), { roles: ['zookeeper'] });
    }

    world.onCrash((name) => {
      live.delete(name);
      brokerActors.delete(name);
    });
    world.onPhase((phase) => {
      for (const actor of [...live.values()]) actor.onPhase(phase);
    });
    for (const name of brokers) {
      world.addNode(name, () => {
        const broker = new KafkaBroker({
          config, topics, stats, zk: 'zookeeper', ...(groupStore ? { groups: groupStore } : {}), ...(transactionsUsed ? { transactions: true } : {}),
          ...(metadataMode === 'kraft' ? { kraft: { voters, ...(hostedControllers.has(name) ? { controller: hostedControllers.get(name)! } : {}) } } : {}),
          ...(checker ? { invariants: checker } : {}),
        });
        brokerActors.set(name, broker);
        return broker;
      }, { roles: ['broker'] });
    }
    registerSelectors(world, store, topics);

    const lines = describeCluster({ brokerCount, metadataMode, combined, voters, config, invariants: checker !== undefined, topics });

    for (const [index, spec] of (scenario.workload?.producers ?? []).entries()) withPath(['workload', 'producers', index], () => {
      const topic = topicOf(spec.topic, `producer ${spec.id}`, ['topic']);
      const producerConfig = resolveProducerConfig(spec.config);
      const { id, topic: _t, config: _c, outbox, delay, transactions, ...plan } = spec;
      if (outbox) throw ConfigError.at(['outbox'], `producer ${id}: the outbox pattern is not modelled for kafka`);
      if (transactions && producerConfig.transactionalId === null) throw ConfigError.at(['transactions'], `producer ${id}: transactions needs config transactional.id (only a transactional producer has transactions)`);
      if (delay !== undefined) {
        const scheduler = consumerSpecs.find((c) => c.delayScheduler !== undefined && (c.topic ?? topics[0]!.topic) === topic.topic);
        if (!scheduler) throw new Error(`producer ${id}: delay needs a consumer group with delayScheduler reading its topic ${topic.topic} (Kafka has no delayed delivery of its own)`);
        if (scheduler.delayScheduler!.delay !== delay) {
          throw new Error(`producer ${id}: delay ${formatDuration(delay)} differs from the delayScheduler delay ${formatDuration(scheduler.delayScheduler!.delay)} of topic ${topic.topic} (one fixed delay per delay topic)`);
        }
      }
      const options = {
        plan, duration: scenario.duration, topic: topic.topic, partitions: topic.partitions.length, brokers, config: producerConfig, history, stats,
        ...(delay !== undefined ? { delay } : {}),
        ...(transactions ? { transactions: { records: transactions.records, abortEvery: transactions.abortEvery ?? 0 } } : {}),
      };
      world.addNode(id, () => {
        const actor = new KafkaProducer(options);
        live.set(id, actor);
        return actor;
      }, { roles: ['producer'] });
      lines.push(describeProducer(id, topic.topic, producerConfig));
    });

    const consumerGroups: ConsumerGroupPlan[] = [];
    for (const spec of consumerSpecs) {
      const { topic, group, mode, count, cconfig, commit, groupTopics, errorHandling } = withPath(['workload', 'consumers', consumerSpecs.indexOf(spec)], () => checkConsumerSpec(spec, scenario.duration, topicOf));
      const names: string[] = [];
      // Numbered across every consumer entry of the group, so members starting later (`start:`) get their own names.
      const first = consumerGroups.filter((g) => g.group === group).reduce((n, g) => n + g.names.length, 0);
      for (let i = first + 1; i <= first + count; i++) {
        const name = `${group}-c${i}`;
        names.push(name);
        const instanceId = spec.config?.['group.instance.id'];
        const options = {
          group, topic: topic.topic, partitions: topic.partitions.length, brokers, config: cconfig,
          processing: spec.processing, start: spec.start, stop: spec.stop, history, phase: () => world.phase,
          mode, commit, stats, ownership,
          ...(spec.processingMode ? { processingMode: spec.processingMode } : {}),
          ...(spec.workers ? { workers: spec.workers } : {}),
          ...(instanceId !== undefined ? { groupInstanceId: count > 1 ? `${instanceId}-${i - first}` : instanceId } : {}),
          ...(spec.delayScheduler ? { pattern: { delayScheduler: spec.delayScheduler } } : spec.dispatch ? { pattern: { dispatch: spec.dispatch } } : spec.pipeline ? { pattern: { pipeline: spec.pipeline } } : {}),
          ...(errorHandling ? { pattern: { errorHandling: { spec: errorHandling.spec, topic: topic.topic, failureRate: errorHandling.failureRate } } } : {}),
          ...(spec.steps ? { steps: spec.steps } : {}),
          ...(spec.topics ? { topics: spec.topics } : errorHandling && errorHandling.retryTopics.length > 0 ? { topics: [topic.topic, ...errorHandling.retryTopics] } : {}),
        };
        world.addNode(name, () => {
          const actor = new KafkaConsumer(options);
          live.set(name, actor);
          return actor;
        }, { roles: ['consumer'] });
      }
      consumerGroups.push({ group, topic, topics: groupTopics, mode, names, ...(cconfig.readCommitted ? { readCommitted: true } : {}) });
      lines.push(...describeConsumers(spec, { group, topic, groupTopics, mode, count, cconfig, commit, names, errorHandling }, config.offsetsTopicPartitions));
    }

    const results = new KafkaResults({
      world, store, topics, consumerGroups, stats,
      brokers: brokerActors,
      consumer: (name) => live.get(name),
      groupCoordinator: (group) => groupStore?.state[group]?.coordinator,
    });
    const committed = (group: string) => results.committed(group);
    for (const t of topics) results.addLagGauges(t);
    if (transactionsUsed) for (const t of topics) results.addLsoGauges(t);

    // Admin operations (CreatePartitions) at given times.
    const adminSteps = scenario.admin ?? [];
    if (adminSteps.length > 0) {
      const counts = new Map<string, number>();
      for (const step of [...adminSteps].sort((a, b) => a.at - b.at)) {
        const i = adminSteps.indexOf(step);
        if (step.at > scenario.duration) throw ConfigError.at(['admin', i, 'at'], `admin[${i}]: at ${formatDuration(step.at)} is after the scenario's duration`);
        if ('abortTransaction' in step) {
          const t = topicOf(step.abortTransaction.topic, `admin[${i}]`, ['admin', i, 'abortTransaction', 'topic']);
          const count = counts.get(t.topic) ?? t.partitions.length;
          if (step.abortTransaction.partition >= count) throw ConfigError.at(['admin', i, 'abortTransaction', 'partition'], `admin[${i}]: ${t.topic} has ${count} partitions (0..${count - 1})`);
          lines.push(`admin at ${formatDuration(step.at)}: kafka-transactions.sh abort of the open transaction on ${t.topic}-${step.abortTransaction.partition} (DescribeProducers, WriteTxnMarkers ABORT)`);
          continue;
        }
        const t = topicOf(step.addPartitions.topic, `admin[${i}]`, ['admin', i, 'addPartitions', 'topic']);
        const current = counts.get(t.topic) ?? t.partitions.length;
        if (step.addPartitions.count <= current) {
          throw ConfigError.at(['admin', i, 'addPartitions', 'count'], `admin[${i}]: addPartitions ${t.topic} to ${step.addPartitions.count}: the topic has ${current} partitions by then (a topic's partition count can only grow)`);
        }
        if (step.at > scenario.duration) throw ConfigError.at(['admin', i, 'at'], `admin[${i}]: at ${formatDuration(step.at)} is after the scenario's duration`);
        counts.set(t.topic, step.addPartitions.count);
        lines.push(describeAdminStep(step.at, t.topic, step.addPartitions.count));
      }
      world.addNode('admin', () => new KafkaAdmin({
        brokers, steps: adminSteps, stats,
        assignments: (name, count) => {
          const t = topicOf(name, 'admin');
          const current = t.partitions.length;
          // Kafka's rack-unaware assignment continued past the existing partitions.
          return { current, assignments: count > current ? assignReplicas(brokers, count, t.partitions[0]!.length).slice(current) : [] };
        },
        created: (name) => {
          const t = topicOf(name, 'admin');
          for (let p = 0; p < t.partitions.length; p++) replicasOf.set(`${t.topic}-${p}`, t.partitions[p]!);
          results.addLagGauges(t);
        },
      }), { roles: ['admin'] });
    }

    return {
      stats,
      describe: () => lines.slice(),
      counts: () => {
        ownership.report(stats);
        return { ...stats, unstablePartitionsAtEnd: results.unstablePartitions() };
      },
      state: () => store.state,
      groups: () => groupStore?.state ?? {},
      committed,
      retained: () => results.retained(),
      broker: (name) => brokerActors.get(name),
    };
  },
};

/**
 * The Kafka model. Nodes:
 *
 * - `zookeeper` (role zookeeper; cluster.metadata: zookeeper, the default): broker sessions,
 *   /controller election, partition state znodes;
 * - or, with cluster.metadata: kraft, `controller-1..N` (role controller, cluster.controllers):
 *   the KRaft quorum (kraft/controller.ts), whose Raft leader is the active controller; brokers
 *   register, heartbeat and fetch __cluster_metadata (kraft/broker-client.ts);
 * - `broker-1..N` (role broker): replicated partition logs, the controller when elected;
 * - one node per producer, named by its `id` (role producer);
 * - consumers (role consumer): `mode: assign` (default) one `${group}-c1` reading every partition
 *   of its topic by assign(); `mode: subscribe` `${group}-c1..c${count}`, members of consumer
 *   group `group` (membership.ts), coordinated by the leader of the group's `__consumer_offsets`
 *   partition (group-coordinator.ts). That internal topic (offsets.topic.num.partitions,
 *   offsets.topic.replication.factor capped by the broker count) is created, replicated like any
 *   topic, only when some consumer subscribes; group state is mirrored into
 *   world.store('kafka-groups'). Gauges `lag.<group>.<topic-partition>`: high watermark minus the
 *   group's committed offset. A group may run a pattern instead of delivering records itself
 *   (patterns/: `delayScheduler`, `dispatch`), and its members may change their subscription,
 *   close and start again at given times (`steps`);
 * - `admin` (role admin), when the scenario has `admin:` steps: CreatePartitions to the controller
 *   (admin.ts).
 *
 * Replicas are assigned as Kafka's rack-unaware assignment does, with its random start index and
 * shift fixed at 0 so runs are reproducible: partition p's first (preferred) replica is broker
 * (p mod N)+1, the others follow with Kafka's shifting.
 *
 * Control-plane state (controller, controller epoch, live brokers, each partition's leader,
 * leader epoch, ISR and partition epoch) is mirrored from ZooKeeper into world.store('kafka'),
 * so every change is in the trace. Selectors: `controller`, `{ leader-of: <topic>-<partition> }`.
 */
import type { History } from '../../sim/history.js';
import type { CommonConsumer, CommonProducer, CommonScenario } from '../../sim/scenario/schema.js';
import type { Phase, World } from '../../sim/world.js';
import type { ModelDefinition, ModelRun } from '../model.js';
import { KafkaBroker } from './broker/kafka-server.js';
import { KafkaConsumer } from './consumer.js';
import type { TopicAssignment } from './controller.js';
import { KafkaProducer } from './producer.js';
import {
  kafkaParts, KAFKA_DEFAULTS, resolveBrokerConfig, resolveConsumerConfig, resolveProducerConfig,
  type KafkaClusterConfig, type KafkaConsumerConfig, type KafkaProducerConfig, type KafkaTopicSpec,
} from './schema.js';
import { newStats, type KafkaStats } from './stats.js';
import { ZooKeeperNode, type KafkaControlState, type ZkData } from './zookeeper.js';
import { KraftController, type RaftData } from './kraft/controller.js';
import { kraftPublisher } from './kraft/publisher.js';
import { InvariantChecker } from './invariants.js';
import { OFFSETS_TOPIC, type GroupsState } from './group-coordinator.js';
import { coordinatorPartition } from './coordinator.js';
import type { CommitMode } from './consumer.js';
import type { DelaySchedulerSpec, DispatchSpec } from './patterns/index.js';
import { KafkaAdmin, type AdminStep } from './admin.js';
import { formatDuration } from '../../sim/time.js';

export { kafkaParts } from './schema.js';
export * from './public.js';

export interface KafkaProducerSpec extends CommonProducer {
  topic?: string;
  /** mqsim model key: the requested delivery delay (through a delay topic and a delay scheduler). */
  delay?: number;
  config?: KafkaProducerConfig;
}

export interface KafkaConsumerSpec extends CommonConsumer {
  topic?: string;
  /** subscribe mode: several topics at start. */
  topics?: string[];
  mode?: 'subscribe' | 'assign';
  processingMode?: 'sync' | 'async-pool';
  workers?: number;
  commit?: CommitMode;
  delayScheduler?: DelaySchedulerSpec;
  dispatch?: DispatchSpec;
  /** mqsim model key: subscription changes, close() and a new process at given times. */
  steps?: { at: number; subscribe?: string[]; close?: true; start?: true }[];
  config?: KafkaConsumerConfig;
}

export interface KafkaScenario extends CommonScenario {
  system: 'kafka';
  cluster?: { brokers?: number; metadata?: 'zookeeper' | 'kraft'; controllers?: number; combined?: boolean; invariants?: boolean; config?: KafkaClusterConfig };
  topics?: KafkaTopicSpec[];
  /** Admin client operations at given times (CreatePartitions). */
  admin?: AdminStep[];
  workload?: { producers?: KafkaProducerSpec[]; consumers?: KafkaConsumerSpec[] };
}

interface PhaseAware {
  onPhase(phase: Phase): void;
}

/** Kafka's replica assignment (AdminUtils / ReplicaAssignment, rack-unaware) with start index and shift 0. */
export function assignReplicas(brokers: readonly string[], partitions: number, replicationFactor: number): string[][] {
  const n = brokers.length;
  const out: string[][] = [];
  let shift = 0;
  for (let p = 0; p < partitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const first = p % n;
    const replicas = [brokers[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) replicas.push(brokers[(first + 1 + ((shift + j) % (n - 1))) % n]!);
    out.push(replicas);
  }
  return out;
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

const groupNote = (what: string) => (arg: string) => (arg ? `note ${what} group=${arg}` : `note ${what}`);
const partitionNote = (what: string) => (arg: string) => (arg ? `note ${what} partition=${arg}` : `note ${what}`);

/**
 * Drill aliases for consumer groups: conditions on the notes the coordinator and the members
 * write (group-rebalance, group-stable, group-member-removed, partitions-revoked,
 * coordinator-loaded), facts read from them. The group state itself is `state kafka-groups <group>`.
 */
const kafkaDrill = {
  conditions: {
    /** `group-rebalance [group]`: the coordinator starts a rebalance (PreparingRebalance). */
    'group-rebalance': groupNote('group-rebalance'),
    /** `group-stable [group]`: SyncGroup done, every member has its assignment. */
    'group-stable': groupNote('group-stable'),
    /** `member-removed [group]`: session timeout, LeaveGroup or rebalance timeout. */
    'member-removed': groupNote('group-member-removed'),
    'partitions-revoked': groupNote('partitions-revoked'),
    /** `coordinator-failover [group]`: a new coordinator loaded the group from __consumer_offsets. */
    'coordinator-failover': groupNote('coordinator-loaded'),
    /** `rebalance-starts [group]`: the issue's name for group-rebalance. */
    'rebalance-starts': groupNote('group-rebalance'),
    /** `consumer-crashed billing-c2`: the consumer node's crash. */
    'consumer-crashed': (arg: string) => `crash ${arg}`,
    /**
     * `leader-changed orders-0`: a broker took over as leader (became-leader, clean or unclean
     * election; the first leader at start-up counts too, so place it after an earlier step).
     */
    'leader-changed': partitionNote('became-leader'),
    /** `leader-elected orders-0`: the controller elected a leader from the ISR. */
    'leader-elected': partitionNote('leader-elected'),
    /** `unclean-election orders-0`: the controller elected a replica outside the ISR. */
    'unclean-election': partitionNote('unclean-leader-elected'),
    'partition-offline': partitionNote('partition-offline'),
    /** `isr-shrinks orders-0` / `isr-expands orders-0`: the leader changed the ISR. */
    'isr-shrinks': partitionNote('isr-shrink'),
    'isr-expands': partitionNote('isr-expand'),
    /** `log-truncated orders-0`: a replica cut records off its log (reason hw or leader-epoch). */
    'log-truncated': partitionNote('log-truncated'),
    /** `broker-failed [broker-1]`: the controller saw a broker's ZooKeeper session end. */
    'broker-failed': (arg: string) => (arg ? `note zk-session-expired broker=${arg}` : 'note zk-session-expired'),
    'controller-changed': () => 'note controller-elected',
    /** `broker-fenced [broker-1]`: KRaft, the active controller fenced a broker whose heartbeats stopped. */
    'broker-fenced': (arg: string) => (arg ? `note broker-fenced broker=${arg}` : 'note broker-fenced'),
    /** `controller-activated`: KRaft, a new Raft leader became the active controller. */
    'controller-activated': () => 'note became-controller',
    'produce-retry': partitionNote('produce-retry'),
    'max-poll-exceeded': groupNote('max-poll-interval-exceeded'),
    /** `static-member-replaced [group]`: a restarted static member (group.instance.id) took over its old member id, no rebalance. */
    'static-member-replaced': groupNote('group-static-member-replaced'),
    /** `instance-fenced [group]`: a consumer got FENCED_INSTANCE_ID and stopped. */
    'instance-fenced': groupNote('fenced-instance-id'),
    /** `subscription-changed [group]` / `metadata-changed [group]`: the rebalance triggers of a subscription or partition-count change. */
    'subscription-changed': groupNote('subscription-changed'),
    'metadata-changed': groupNote('group-metadata-changed'),
    /** `partitions-created`: the controller added partitions (CreatePartitions). */
    'partitions-created': () => 'note partitions-created',
    /** `partition-paused [group]`: the delay scheduler paused a partition whose head is not due. */
    'partition-paused': groupNote('partition-paused'),
  },
  facts: {
    /** `{{lag billing}}`: the group's lag summed over its partitions (high watermark minus committed offset) at the step. */
    lag: (arg: string) => `gauge-sum lag.${arg || 'billing'}.`,
    /** `{{leader orders-0}}`, `{{isr orders-0}}`, `{{leader-epoch orders-0}}`: the partition state at the step. */
    leader: (arg: string) => `state kafka partitions.${arg || 'orders-0'}.leader`,
    isr: (arg: string) => `state kafka partitions.${arg || 'orders-0'}.isr`,
    'leader-epoch': (arg: string) => `state kafka partitions.${arg || 'orders-0'}.leaderEpoch`,
    controller: () => 'state kafka controller',
    'live-brokers': () => 'state kafka liveBrokers',
    /** `{{group-state billing}}`, `{{generation billing}}`, `{{group-members billing}}`: from the kafka-groups store. */
    'group-state': (arg: string) => `state kafka-groups ${arg}.state`,
    generation: (arg: string) => `state kafka-groups ${arg}.generation`,
    'group-members': (arg: string) => `state kafka-groups ${arg}.members`,
    /** From the next (else last) note of its kind: the elected leader, the truncation. */
    'elected-leader': () => 'note leader-elected leader',
    'unclean-leader': () => 'note unclean-leader-elected leader',
    'new-leader-leo': () => 'note became-leader leo',
    'new-leader-hw': () => 'note became-leader hw',
    'truncated-records': () => 'note log-truncated removed',
    'truncated-to': () => 'note log-truncated to',
    'truncation-reason': () => 'note log-truncated reason',
    'recovered-leo': () => 'note log-recovered leo',
    'produce-error': () => 'note produce-retry error',
    /** `{{rebalance-reason}}`: why the next (else last) rebalance started. */
    'rebalance-reason': () => 'note group-rebalance reason',
    'removed-member': () => 'note group-member-removed member',
    'removed-why': () => 'note group-member-removed why',
    'stable-generation': () => 'note group-stable generation',
    /** `{{replaced-member}}` / `{{old-member}}`: the static member's new and old member ids. */
    'replaced-member': () => 'note group-static-member-replaced member',
    'old-member': () => 'note group-static-member-replaced oldMember',
    /** `{{paused-due-in}}`: how long (µs) the paused partition's head still had to wait. */
    'paused-due-in': () => 'note partition-paused dueIn',
  },
};

/** The Kafka model (its build returns a KafkaRun, a ModelRun with handles for tests). */
export const kafkaModel: KafkaModel = {
  parts: kafkaParts,
  drill: kafkaDrill,
  build(world: World, scenario: KafkaScenario): KafkaRun {
    const history: History = world.history;
    const config = resolveBrokerConfig(scenario.cluster?.config);
    const brokerCount = scenario.cluster?.brokers ?? KAFKA_DEFAULTS.brokers;
    const brokers = Array.from({ length: brokerCount }, (_, i) => `broker-${i + 1}`);
    const topicSpecs = scenario.topics ?? [{ name: 'orders' }];
    const topics: TopicAssignment[] = [];
    const seenTopics = new Set<string>();
    for (const spec of topicSpecs) {
      if (seenTopics.has(spec.name)) throw new Error(`topic ${spec.name} is defined twice`);
      seenTopics.add(spec.name);
      const rf = spec.replicationFactor ?? Math.min(3, brokerCount);
      if (rf > brokerCount) throw new Error(`topic ${spec.name}: replicationFactor ${rf} is larger than the ${brokerCount} brokers`);
      topics.push({
        topic: spec.name,
        partitions: assignReplicas(brokers, spec.partitions ?? 1, rf),
        minInsyncReplicas: spec.config?.['min.insync.replicas'] ?? config.minInsyncReplicas,
        uncleanLeaderElection: spec.config?.['unclean.leader.election.enable'] ?? config.uncleanLeaderElection,
      });
    }
    const consumerSpecs = scenario.workload?.consumers ?? [];
    const groupsUsed = consumerSpecs.some((c) => c.mode === 'subscribe');
    if (groupsUsed) {
      topics.push({
        topic: OFFSETS_TOPIC,
        partitions: assignReplicas(brokers, config.offsetsTopicPartitions, Math.min(config.offsetsTopicReplicationFactor, brokerCount)),
        minInsyncReplicas: config.minInsyncReplicas,
        uncleanLeaderElection: config.uncleanLeaderElection,
      });
    }
    const topicOf = (name: string | undefined, what: string): TopicAssignment => {
      if (name === undefined) return topics[0]!;
      const topic = topics.find((t) => t.topic === name && t.topic !== OFFSETS_TOPIC);
      if (!topic) throw new Error(`${what}: no topic named "${name}" (topics: ${topics.map((t) => t.topic).join(', ')})`);
      return topic;
    };

    const stats = newStats();
    const store = world.store<KafkaControlState>('kafka', { controller: null, controllerEpoch: 0, liveBrokers: [], partitions: {} });
    const groupStore = groupsUsed ? world.store<GroupsState>('kafka-groups', {}) : undefined;
    const countOffline = () => {
      let offline = 0;
      for (const p of Object.values(store.state.partitions)) if (p.leader === null) offline++;
      if (offline > stats.offlinePartitionsMax) stats.offlinePartitionsMax = offline;
    };
    const live = new Map<string, PhaseAware>();
    const brokerActors = new Map<string, KafkaBroker>();

    // Failure detection time: from a broker's crash to its session expiring (ZooKeeper) or its fencing (KRaft).
    const crashedAt = new Map<string, number>();
    const detected = (broker: string) => {
      const t = crashedAt.get(broker);
      if (t === undefined) return;
      crashedAt.delete(broker);
      stats.brokerFailureDetectionMsMax = Math.max(stats.brokerFailureDetectionMsMax, (world.now - t) / 1000);
    };
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
    // KRaft: from the active controller's crash to the next activation.
    let controllerCrash: { name: string; at: number } | null = null;
    world.onCrash((name) => {
      if (name === store.state.controller && voters.includes(name)) controllerCrash = { name, at: world.now };
      if (!brokers.includes(name)) return;
      crashedAt.set(name, world.now);
      checker?.beforeCrash(name, [...replicasOf.keys()]);
    });
    world.onStart((name, restarted) => {
      if (restarted && brokers.includes(name)) checker?.afterRestart(name);
    });

    const metadataMode = scenario.cluster?.metadata ?? 'zookeeper';
    if (metadataMode !== 'kraft' && scenario.cluster?.controllers !== undefined) {
      throw new Error('cluster.controllers needs cluster.metadata: kraft (in ZooKeeper mode the controller is one of the brokers)');
    }
    // KRaft: dedicated controller nodes controller-1..N, or (combined mode, process.roles=broker,controller) the first N brokers.
    const combined = scenario.cluster?.combined ?? false;
    if (combined && metadataMode !== 'kraft') throw new Error('cluster.combined needs cluster.metadata: kraft');
    const controllerCount = scenario.cluster?.controllers ?? Math.min(KAFKA_DEFAULTS.controllers, combined ? brokerCount : KAFKA_DEFAULTS.controllers);
    if (combined && controllerCount > brokerCount) throw new Error(`cluster.controllers ${controllerCount}: combined mode runs the controllers on the brokers, and there are only ${brokerCount}`);
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
        if (controllerCrash !== null && store.state.controller !== controllerCrash.name) {
          stats.controllerFailoverMsMax = Math.max(stats.controllerFailoverMsMax, (world.now - controllerCrash.at) / 1000);
          controllerCrash = null;
        }
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
          config, topics, stats, zk: 'zookeeper', ...(groupStore ? { groups: groupStore } : {}),
          ...(metadataMode === 'kraft' ? { kraft: { voters, ...(hostedControllers.has(name) ? { controller: hostedControllers.get(name)! } : {}) } } : {}),
          ...(checker ? { invariants: checker } : {}),
        });
        brokerActors.set(name, broker);
        return broker;
      }, { roles: ['broker'] });
    }
    world.registerSelector('controller', () => (store.state.controller ? [store.state.controller] : []));
    world.registerSelector('leader-of', (arg) => {
      if (arg === undefined) throw new Error('leader-of needs a partition, e.g. { leader-of: orders-0 }');
      const state = store.state.partitions[arg];
      if (state === undefined) {
        const dash = arg.lastIndexOf('-');
        const topic = topics.find((t) => t.topic === arg.slice(0, dash));
        const p = Number.parseInt(arg.slice(dash + 1), 10);
        if (!topic || !(p >= 0 && p < topic.partitions.length)) throw new Error(`leader-of: no partition "${arg}"`);
        return [topic.partitions[p]![0]!];
      }
      return state.leader === null ? [] : [state.leader];
    }, (arg) => {
      if (arg === undefined) return 'needs a partition, e.g. { leader-of: orders-0 }';
      const dash = arg.lastIndexOf('-');
      const name = arg.slice(0, dash);
      const topic = topics.find((t) => t.topic === name);
      const p = Number(arg.slice(dash + 1));
      if (dash > 0 && topic && Number.isInteger(p) && p >= 0 && p < topic.partitions.length) return null;
      return `no partition "${arg}" (partitions are <topic>-<n>: ${topics.filter((t) => !t.topic.startsWith('__')).map((t) => `${t.topic}-0..${t.partitions.length - 1}`).join(', ')})`;
    });

    const lines: string[] = [
      `cluster: ${brokerCount} brokers, metadata ${metadataMode === 'kraft' ? `kraft (${combined ? 'combined mode, ' : ''}controller.quorum.voters ${voters.join(',')}, broker.session.timeout.ms=${config.brokerSessionTimeout / 1000})` : `zookeeper (zookeeper.session.timeout.ms=${config.zkSessionTimeout / 1000})`}${checker ? ', invariants checked' : ''}, inter.broker.protocol.version=${config.ibp} (${config.leaderEpochs ? 'leader-epoch' : 'high-watermark'} truncation), `
      + `min.insync.replicas=${config.minInsyncReplicas}, unclean.leader.election.enable=${config.uncleanLeaderElection}, replica.lag.time.max.ms=${config.replicaLagTimeMax / 1000}`,
    ];
    for (const t of topics) {
      if (t.topic === OFFSETS_TOPIC) {
        lines.push(`topic ${OFFSETS_TOPIC} (internal): ${t.partitions.length} partitions, RF ${t.partitions[0]!.length}`);
        continue;
      }
      lines.push(`topic ${t.topic}: ${t.partitions.length} partitions, RF ${t.partitions[0]!.length}, replicas ${t.partitions.map((r, p) => `${p}:[${r.join(',')}]`).join(' ')}`);
    }

    for (const spec of scenario.workload?.producers ?? []) {
      const topic = topicOf(spec.topic, `producer ${spec.id}`);
      const producerConfig = resolveProducerConfig(spec.config);
      const { id, topic: _t, config: _c, outbox, delay, ...plan } = spec;
      if (outbox) throw new Error(`producer ${id}: the outbox pattern is not modelled for kafka`);
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
      };
      world.addNode(id, () => {
        const actor = new KafkaProducer(options);
        live.set(id, actor);
        return actor;
      }, { roles: ['producer'] });
      lines.push(`producer ${id} -> ${topic.topic}: acks=${producerConfig.acks}, enable.idempotence=${producerConfig.idempotence}, linger.ms=${producerConfig.linger / 1000}, max.in.flight=${producerConfig.maxInFlight}`);
    }

    const consumerGroups: { group: string; topic: TopicAssignment; topics: TopicAssignment[]; mode: 'subscribe' | 'assign'; names: string[] }[] = [];
    for (const spec of consumerSpecs) {
      if (spec.topics !== undefined && spec.topic !== undefined) throw new Error(`consumers ${spec.group ?? 'consumers'}: give topic or topics, not both`);
      const topic = topicOf(spec.topics?.[0] ?? spec.topic, 'consumer');
      const group = spec.group ?? 'consumers';
      const mode = spec.mode ?? 'assign';
      const count = spec.count ?? 1;
      const cconfig = resolveConsumerConfig(spec.config);
      if (mode === 'assign' && count > 1) throw new Error(`consumers ${group}: count > 1 needs mode: subscribe (an assign() consumer reads every partition)`);
      const commit: CommitMode = spec.commit ?? (cconfig.enableAutoCommit ? 'auto' : 'manual-sync-after');
      if (mode === 'subscribe') {
        if (commit === 'auto' && !cconfig.enableAutoCommit) throw new Error(`consumers ${group}: commit: auto needs enable.auto.commit: true`);
        if (commit !== 'auto' && cconfig.autoCommitExplicit && cconfig.enableAutoCommit) throw new Error(`consumers ${group}: commit: ${commit} needs enable.auto.commit: false`);
        if (spec.processingMode === 'async-pool' && (commit === 'manual-sync-after' || commit === 'manual-async-after')) {
          throw new Error(`consumers ${group}: async-pool with commit ${commit} is not modelled (use auto or manual-before)`);
        }
        if (cconfig.heartbeatInterval >= cconfig.sessionTimeout) throw new Error(`consumers ${group}: heartbeat.interval.ms must be lower than session.timeout.ms`);
      } else if (spec.commit !== undefined || spec.processingMode !== undefined || spec.config?.['group.instance.id'] !== undefined
        || spec.delayScheduler !== undefined || spec.dispatch !== undefined) {
        throw new Error(`consumers ${group}: commit, processingMode, group.instance.id, delayScheduler and dispatch need mode: subscribe`);
      }
      const groupTopics = [topic];
      if (spec.topics !== undefined) {
        if (mode !== 'subscribe') throw new Error(`consumers ${group}: topics (several) need mode: subscribe`);
        for (const t of spec.topics) {
          const assignment = topicOf(t, `consumers ${group}`);
          if (!groupTopics.includes(assignment)) groupTopics.push(assignment);
        }
      }
      if (spec.steps !== undefined) {
        if (mode !== 'subscribe') throw new Error(`consumers ${group}: steps (subscribe) need mode: subscribe`);
        let open = true;
        for (const step of [...spec.steps].sort((a, b) => a.at - b.at)) {
          if (step.at > scenario.duration) throw new Error(`consumers ${group}: a step at ${formatDuration(step.at)} is after the scenario's duration`);
          if (step.close) {
            if (!open) throw new Error(`consumers ${group}: close at ${formatDuration(step.at)} but the consumer is already closed`);
            open = false;
          }
          if (step.start) {
            if (open) throw new Error(`consumers ${group}: start at ${formatDuration(step.at)} needs a close before it (the consumer is running)`);
            open = true;
          }
          for (const t of step.subscribe ?? []) {
            const assignment = topicOf(t, `consumers ${group} steps`);
            if (!groupTopics.includes(assignment)) groupTopics.push(assignment);
          }
        }
      }
      if (spec.delayScheduler !== undefined || spec.dispatch !== undefined) {
        if (spec.steps !== undefined || spec.topics !== undefined) throw new Error(`consumers ${group}: delayScheduler and dispatch read one topic; steps and topics are not supported with them`);
        if (spec.delayScheduler !== undefined && spec.dispatch !== undefined) throw new Error(`consumers ${group}: delayScheduler and dispatch are two applications; give each its own group`);
        if (spec.processingMode === 'async-pool') throw new Error(`consumers ${group}: delayScheduler and dispatch run in the sync poll loop (processingMode: sync)`);
        const targets = spec.delayScheduler ? [spec.delayScheduler.target] : spec.dispatch!.targets;
        for (const t of targets) {
          if (t === topic.topic) throw new Error(`consumers ${group}: forwarding ${topic.topic} to itself`);
          topicOf(t, `consumers ${group}`);
        }
      }
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
          mode, commit, stats,
          ...(spec.processingMode ? { processingMode: spec.processingMode } : {}),
          ...(spec.workers ? { workers: spec.workers } : {}),
          ...(instanceId !== undefined ? { groupInstanceId: count > 1 ? `${instanceId}-${i - first}` : instanceId } : {}),
          ...(spec.delayScheduler ? { pattern: { delayScheduler: spec.delayScheduler } } : spec.dispatch ? { pattern: { dispatch: spec.dispatch } } : {}),
          ...(spec.steps ? { steps: spec.steps } : {}),
          ...(spec.topics ? { topics: spec.topics } : {}),
        };
        world.addNode(name, () => {
          const actor = new KafkaConsumer(options);
          live.set(name, actor);
          return actor;
        }, { roles: ['consumer'] });
      }
      consumerGroups.push({ group, topic, topics: groupTopics, mode, names });
      for (const step of spec.steps ?? []) {
        const what = step.subscribe ? `subscribe to ${step.subscribe.join(', ')}` : step.close ? 'close()' : 'start a new process';
        lines.push(`  at ${formatDuration(step.at)} ${names.join(', ')}: ${what}`);
      }
      if (mode === 'assign') {
        lines.push(`consumer ${names[0]} <- ${topic.topic}: assign() all ${topic.partitions.length} partitions, auto.offset.reset=${cconfig.autoOffsetReset}`);
      } else {
        lines.push(`consumer group ${group} (${names.join(', ')}) <- ${groupTopics.slice(0, spec.topics?.length ?? 1).map((t) => t.topic).join(', ')}: subscribe(), partition.assignment.strategy=${cconfig.strategy}, `
          + `coordinator partition ${OFFSETS_TOPIC}-${coordinatorPartition(group, config.offsetsTopicPartitions)}, `
          + `commit ${commit}, processing ${spec.processingMode ?? 'sync'}, `
          + `${spec.config?.['group.instance.id'] !== undefined ? `group.instance.id=${spec.config['group.instance.id']}${count > 1 ? '-<n>' : ''} (static), ` : ''}session.timeout.ms=${cconfig.sessionTimeout / 1000}, max.poll.interval.ms=${cconfig.maxPollInterval / 1000}, auto.offset.reset=${cconfig.autoOffsetReset}`);
        if (spec.delayScheduler) {
          lines.push(`  ${group} is a delay scheduler: each record due ${formatDuration(spec.delayScheduler.delay)} after its timestamp, then forwarded to ${spec.delayScheduler.target} (poll timeout ${formatDuration(spec.delayScheduler.pollTimeout ?? 1_000_000)}; pause and seek until due)`);
        }
        if (spec.dispatch) lines.push(`  ${group} is a dispatcher: every record re-produced to one of ${spec.dispatch.targets.join(', ')} by ${spec.dispatch.by ?? 'key'}`);
      }
    }

    const committed = (group: string): ReadonlyMap<string, number> => {
      const view = groupStore?.state[group];
      const broker = view ? brokerActors.get(view.coordinator) : undefined;
      return broker?.committedOffsets().get(group) ?? new Map();
    };
    const highWatermark = (tp: string): number => {
      const leader = store.state.partitions[tp]?.leader;
      const broker = leader ? brokerActors.get(leader) : undefined;
      return broker?.inspect(tp)?.hw ?? -1;
    };
    const lagGauge = (group: string, tp: string) => {
      world.metrics.gauge(`lag.${group}.${tp}`, () => {
        const hw = highWatermark(tp);
        if (hw < 0) return 0;
        const offset = committed(group).get(tp) ?? 0;
        const lag = Math.max(0, hw - offset);
        if (lag > stats.lagMax) stats.lagMax = lag;
        return lag;
      });
    };
    const lagGauges = new Set<string>();
    const addLagGauges = (t: TopicAssignment) => {
      for (const g of consumerGroups) {
        if (g.mode !== 'subscribe' || !g.topics.includes(t)) continue;
        for (let p = 0; p < t.partitions.length; p++) {
          const key = `${g.group}|${t.topic}-${p}`;
          if (lagGauges.has(key)) continue;
          lagGauges.add(key);
          lagGauge(g.group, `${t.topic}-${p}`);
        }
      }
    };
    for (const t of topics) addLagGauges(t);

    // Admin operations (CreatePartitions) at given times.
    const adminSteps = scenario.admin ?? [];
    if (adminSteps.length > 0) {
      const counts = new Map<string, number>();
      for (const [i, step] of [...adminSteps].sort((a, b) => a.at - b.at).entries()) {
        const t = topicOf(step.addPartitions.topic, `admin[${i}]`);
        const current = counts.get(t.topic) ?? t.partitions.length;
        if (step.addPartitions.count <= current) {
          throw new Error(`admin[${i}]: addPartitions ${t.topic} to ${step.addPartitions.count}: the topic has ${current} partitions by then (a topic's partition count can only grow)`);
        }
        if (step.at > scenario.duration) throw new Error(`admin[${i}]: at ${formatDuration(step.at)} is after the scenario's duration`);
        counts.set(t.topic, step.addPartitions.count);
        lines.push(`admin at ${formatDuration(step.at)}: CreatePartitions ${t.topic} to ${step.addPartitions.count} partitions`);
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
          addLagGauges(t);
        },
      }), { roles: ['admin'] });
    }

    /**
     * The final read: per partition, the records below the high watermark of its leader (or,
     * when offline, of the replica with the longest log) that some group reading the topic has
     * not consumed yet: past its committed offset (subscribe) or the consumer's fetch position
     * (assign). Topics nobody reads keep everything.
     */
    const retained = (): ReadonlySet<string> => {
      const out = new Set<string>();
      for (const t of topics) {
        if (t.topic === OFFSETS_TOPIC) continue;
        const readers = consumerGroups.filter((g) => g.topics.includes(t));
        for (let p = 0; p < t.partitions.length; p++) {
          const tp = `${t.topic}-${p}`;
          const leader = store.state.partitions[tp]?.leader ?? null;
          let source = leader ? brokerActors.get(leader)?.inspect(tp) : undefined;
          if (!source) {
            for (const b of brokerActors.values()) {
              const r = b.inspect(tp);
              if (r && (!source || r.leo > source.leo)) source = r;
            }
          }
          if (!source) continue;
          let from = readers.length === 0 ? 0 : Number.POSITIVE_INFINITY;
          for (const g of readers) {
            if (g.mode === 'subscribe') from = Math.min(from, committed(g.group).get(tp) ?? 0);
            else if (g.topic === t) for (const name of g.names) from = Math.min(from, (live.get(name) as KafkaConsumer | undefined)?.positionOf(p) ?? 0);
          }
          const start = Math.max(from, source.log.logStartOffset);
          for (const r of source.log.read(start, source.hw, Number.POSITIVE_INFINITY)) out.add(r.msg);
        }
      }
      return out;
    };

    return {
      stats,
      describe: () => lines.slice(),
      counts: () => ({ ...stats }),
      state: () => store.state,
      groups: () => groupStore?.state ?? {},
      committed,
      retained,
      broker: (name) => brokerActors.get(name),
    };
  },
};

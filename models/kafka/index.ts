/**
 * The Kafka model (ZooKeeper mode). Nodes:
 *
 * - `zookeeper` (role zookeeper): broker sessions, /controller election, partition state znodes;
 * - `broker-1..N` (role broker): replicated partition logs, the controller when elected;
 * - one node per producer, named by its `id` (role producer);
 * - `${group}-c1` per consumer (role consumer), reading every partition of its topic by assign().
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
import { KafkaBroker } from './broker.js';
import { KafkaConsumer } from './consumer.js';
import type { TopicAssignment } from './controller.js';
import { KafkaProducer } from './producer.js';
import {
  kafkaParts, KAFKA_DEFAULTS, resolveBrokerConfig, resolveConsumerConfig, resolveProducerConfig,
  type KafkaClusterConfig, type KafkaConsumerConfig, type KafkaProducerConfig, type KafkaTopicSpec,
} from './schema.js';
import { newStats, type KafkaStats } from './stats.js';
import { ZooKeeperNode, type KafkaControlState, type ZkData } from './zookeeper.js';

export { kafkaParts } from './schema.js';
export * from './public.js';

export interface KafkaProducerSpec extends CommonProducer {
  topic?: string;
  config?: KafkaProducerConfig;
}

export interface KafkaConsumerSpec extends CommonConsumer {
  topic?: string;
  config?: KafkaConsumerConfig;
}

export interface KafkaScenario extends CommonScenario {
  system: 'kafka';
  cluster?: { brokers?: number; metadata?: 'zookeeper' | 'kraft'; config?: KafkaClusterConfig };
  topics?: KafkaTopicSpec[];
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
  broker(name: string): KafkaBroker | undefined;
}

/** The Kafka model (its build returns a KafkaRun, a ModelRun with handles for tests). */
export const kafkaModel: KafkaModel = {
  parts: kafkaParts,
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
    const topicOf = (name: string | undefined, what: string): TopicAssignment => {
      if (name === undefined) return topics[0]!;
      const topic = topics.find((t) => t.topic === name);
      if (!topic) throw new Error(`${what}: no topic named "${name}" (topics: ${topics.map((t) => t.topic).join(', ')})`);
      return topic;
    };

    const stats = newStats();
    const store = world.store<KafkaControlState>('kafka', { controller: null, controllerEpoch: 0, liveBrokers: [], partitions: {} });
    const zkData: ZkData = {
      nextSession: 1, sessions: new Map(), brokers: new Map(), controller: null, controllerEpoch: 0, partitions: new Map(), nextProducerId: 0,
    };
    const countOffline = () => {
      let offline = 0;
      for (const p of Object.values(store.state.partitions)) if (p.leader === null) offline++;
      if (offline > stats.offlinePartitionsMax) stats.offlinePartitionsMax = offline;
    };
    world.addNode('zookeeper', () => new ZooKeeperNode(zkData, config.zkSessionTimeout, store, countOffline), { roles: ['zookeeper'] });

    const live = new Map<string, PhaseAware>();
    const brokerActors = new Map<string, KafkaBroker>();
    world.onCrash((name) => {
      live.delete(name);
      brokerActors.delete(name);
    });
    world.onPhase((phase) => {
      for (const actor of [...live.values()]) actor.onPhase(phase);
    });
    for (const name of brokers) {
      world.addNode(name, () => {
        const broker = new KafkaBroker({ config, topics, stats, zk: 'zookeeper' });
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
    });

    const lines: string[] = [
      `cluster: ${brokerCount} brokers, metadata zookeeper, inter.broker.protocol.version=${config.ibp} (${config.leaderEpochs ? 'leader-epoch' : 'high-watermark'} truncation), `
      + `min.insync.replicas=${config.minInsyncReplicas}, unclean.leader.election.enable=${config.uncleanLeaderElection}, replica.lag.time.max.ms=${config.replicaLagTimeMax / 1000}`,
    ];
    for (const t of topics) {
      lines.push(`topic ${t.topic}: ${t.partitions.length} partitions, RF ${t.partitions[0]!.length}, replicas ${t.partitions.map((r, p) => `${p}:[${r.join(',')}]`).join(' ')}`);
    }

    for (const spec of scenario.workload?.producers ?? []) {
      const topic = topicOf(spec.topic, `producer ${spec.id}`);
      const producerConfig = resolveProducerConfig(spec.config);
      const { id, topic: _t, config: _c, outbox, ...plan } = spec;
      if (outbox) throw new Error(`producer ${id}: the outbox pattern is not modelled for kafka`);
      const options = {
        plan, duration: scenario.duration, topic: topic.topic, partitions: topic.partitions.length, brokers, config: producerConfig, history, stats,
      };
      world.addNode(id, () => {
        const actor = new KafkaProducer(options);
        live.set(id, actor);
        return actor;
      }, { roles: ['producer'] });
      lines.push(`producer ${id} -> ${topic.topic}: acks=${producerConfig.acks}, enable.idempotence=${producerConfig.idempotence}, linger.ms=${producerConfig.linger / 1000}, max.in.flight=${producerConfig.maxInFlight}`);
    }

    for (const spec of scenario.workload?.consumers ?? []) {
      const topic = topicOf(spec.topic, 'consumer');
      const group = spec.group ?? 'consumers';
      if ((spec.count ?? 1) > 1) throw new Error(`consumers ${group}: count > 1 needs consumer groups, not modelled yet (an assign() consumer reads every partition)`);
      const name = `${group}-c1`;
      const options = {
        group, topic: topic.topic, partitions: topic.partitions.length, brokers, config: resolveConsumerConfig(spec.config),
        processing: spec.processing, start: spec.start, stop: spec.stop, history, phase: () => world.phase,
      };
      world.addNode(name, () => {
        const actor = new KafkaConsumer(options);
        live.set(name, actor);
        return actor;
      }, { roles: ['consumer'] });
      lines.push(`consumer ${name} <- ${topic.topic}: assign() all ${topic.partitions.length} partitions, auto.offset.reset=${options.config.autoOffsetReset}`);
    }

    return {
      stats,
      describe: () => lines.slice(),
      counts: () => ({ ...stats }),
      state: () => store.state,
      broker: (name) => brokerActors.get(name),
    };
  },
};

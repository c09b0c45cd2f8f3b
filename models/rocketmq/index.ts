/**
 * The RocketMQ model (4.x semantics; DLedger groups of 4.5+ with enableDLegerCommitLog): NameServers,
 * broker groups of a master and slaves, producers, push consumers and lite pull consumers
 * (consumerType: pull, lite-pull-consumer.ts), all actors speaking RocketMQ's remoting request codes.
 *
 * Nodes: `namesrv-1..N` (role namesrv); per broker group `broker-a`, `broker-b`, ...: the master
 * `broker-a-0` (brokerId 0) and slaves `broker-a-1`, ... (role broker; the master also has role
 * master, slaves role slave); one node per producer, named by its id (role producer); and
 * `${group}-c${i}` per consumer (role consumer). Selectors: `{ master-of: broker-a }`,
 * `{ slave-of: broker-a }` (with DLedger: the current leader, the other members; the static roles
 * master and slave are then not given).
 *
 * Control-plane state in the trace: each NameServer's route table (`namesrv-1`...), the
 * consumer groups each broker knows (`rocketmq.consumers`), the consumers' queue assignments
 * (`rocketmq.assignments`) and the DLedger leaders (`rocketmq.dledger`).
 */
import type { History } from '../../sim/history.js';
import type { StateStore } from '../../sim/state.js';
import { formatDuration } from '../../sim/time.js';
import type { ProducerPlanSpec } from '../../sim/workload.js';
import type { World } from '../../sim/world.js';
import { LiveActors } from '../../sim/live-actors.js';
import type { ModelDefinition, ModelRun } from '../model.js';
import { BrokerController, type BrokerOptions, type BrokerStats, type RetainedGroup } from './broker/broker-controller.js';
import { tagsCodeOf } from './broker/consume-queue.js';
import type { TopicConfig } from './broker/topic-config-manager.js';
import { RocketConsumer, type ConsumerOptions, type ConsumerStats } from './consumer.js';
import { rocketDrill } from './drill-aliases.js';
import { RocketInvariantChecker } from './invariants.js';
import { RocketLitePullConsumer } from './lite-pull-consumer.js';
import { NameServer, type NamesrvStats, type NamesrvView } from './namesrv.js';
import { CLIENT_START_DELAY, RocketProducer, type ProducerOptions, type ProducerStats, type TransactionSpec, type TxState } from './producer.js';
import { PERM_READ, PERM_WRITE } from './protocol.js';
import {
  LITE_PULL_ONLY_KEYS, resolveBrokerSettings, resolveConsumerSettings, resolveLitePullSettings, resolveProducerSettings, ROCKETMQ_DEFAULTS, rocketmqParts,
} from './schema.js';
import type { RocketScenario, RocketTopicSpec } from './scenario.js';
import { ROCKETMQ_NOTES } from './notes.js';
import { ConfigError } from '../../sim/scenario/config-error.js';
import { datagramEffectProblems } from '../../sim/scenario/tcp-only.js';
import { DEFAULT_ROCKET_VERSION, scanSchedule } from './version.js';

export * from './public.js';
export { rocketmqParts } from './schema.js';
export type { RocketClusterConfig, RocketConsumerConfig, RocketProducerConfig } from './schema.js';
export type { RocketConsumerSpec, RocketProducerSpec, RocketScenario, RocketTopicSpec } from './scenario.js';

/** A built RocketMQ model, with its control-plane stores for tests and reports. */
export interface RocketModelRun extends ModelRun {
  /** Each NameServer's route table (namesrv-1...), the brokers' consumer groups, the consumers' assignments. */
  readonly stores: {
    namesrv: Record<string, StateStore<NamesrvView>>;
    consumers: StateStore<Record<string, Record<string, string[]>>>;
    assignments: StateStore<Record<string, Record<string, string[]>>>;
  };
}

export const rocketmqModel: ModelDefinition<RocketScenario> = {
  parts: rocketmqParts,
  notes: ROCKETMQ_NOTES,
  drill: rocketDrill,
  build: (world, scenario) => buildRocketmq(world, scenario),
};

/** Adds the RocketMQ nodes of a validated scenario to `world`. */
export function buildRocketmq(world: World, scenario: RocketScenario): RocketModelRun {
  const history: History = world.history;
  const d = ROCKETMQ_DEFAULTS;
  const nsCount = scenario.cluster?.nameServers ?? d.nameServers;
  const version = scenario.cluster?.version ?? DEFAULT_ROCKET_VERSION;
  const scanInterval = scenario.cluster?.config?.scanNotActiveBrokerInterval;
  if (version === '4.9' && scanInterval !== undefined) {
    throw ConfigError.at(['cluster', 'config', 'scanNotActiveBrokerInterval'],
      `scanNotActiveBrokerInterval is a NamesrvConfig key of RocketMQ 5.x; 4.x scans every 10 s, fixed (cluster.version ${version}): set cluster.version "5.3", or drop the key`, ['5.3'], version);
  }
  const scan = scanSchedule(version, scanInterval);
  if (version === '4.9' && scenario.cluster?.config?.slaveReadEnable !== undefined) {
    throw ConfigError.at(['cluster', 'config', 'slaveReadEnable'],
      `slaveReadEnable in RocketMQ 4.x only lets a master point lagging consumers at a slave, which this model does not do; 5.x slaves refuse every pull without it (cluster.version ${version}): set cluster.version "5.3", or drop the key`, ['5.3'], version);
  }
  if (version === '4.9' && scenario.cluster?.config?.inSyncReplicas !== undefined) {
    throw ConfigError.at(['cluster', 'config', 'inSyncReplicas'],
      `inSyncReplicas is a MessageStoreConfig key of RocketMQ 5.x; 4.x's SYNC_MASTER always waits for one slave (cluster.version ${version}): set cluster.version "5.3", or drop the key`, ['5.3'], version);
  }
  // Every RocketMQ channel is a TCP connection: the datagram effects could change nothing.
  const datagram = datagramEffectProblems(scenario.network, 'RocketMQ', 'remoting between clients, brokers and NameServers, master-slave HA, DLedger RPC');
  if (datagram.length > 0) throw new ConfigError(datagram);
  const settings = resolveBrokerSettings(scenario.cluster?.config, version);
  const groupCount = scenario.cluster?.brokerGroups ?? d.brokerGroups;
  const slaves = scenario.cluster?.slavesPerGroup ?? d.slavesPerGroup;
  const brokerStats: BrokerStats = {
    flushDiskTimeouts: 0, flushSlaveTimeouts: 0, slaveNotAvailable: 0, retried: 0, deadLettered: 0, deadLetterAfterMsMax: 0, delayedDelivered: 0, commitLogFiles: 0, slavePulls: 0, slavePullsRejected: 0, tagFiltered: 0,
    transactionChecks: 0, transactionCommitted: 0, transactionRolledBack: 0, transactionDiscarded: 0, dledgerElections: 0,
  };
  const nsStats: NamesrvStats = { brokersExpired: 0, brokerExpiredAfterMsMax: 0, brokerChannelsClosed: 0 };
  const producerStats: ProducerStats = { sendRetries: 0, sendTimeouts: 0, staleRouteSends: 0, latencyFaultAvoided: 0 };
  const consumerStats: ConsumerStats = {
    rebalances: 0, queuesMovedOnRebalance: 0, flowControlledPulls: 0, pullCacheMax: 0, offsetResets: 0, duplicatesSkipped: 0, clientTagFiltered: 0, sendBackFailed: 0,
  };
  const lines: string[] = [];

  const live = new LiveActors(world);
  const track = <A extends object>(name: string, actor: A): A => live.track(name, actor);

  const nameServers: string[] = [];
  const namesrvStores: Record<string, StateStore<NamesrvView>> = {};
  for (let i = 1; i <= nsCount; i++) {
    const name = `namesrv-${i}`;
    nameServers.push(name);
    const store = world.store<NamesrvView>(name, { brokers: {}, topics: {} });
    namesrvStores[name] = store;
    world.addNode(name, () => track(name, new NameServer(store, nsStats, scan)), { roles: ['namesrv'] });
  }
  lines.push(`namesrv: ${nsCount} (${nameServers.join(', ')}), independent, scanNotActiveBroker every ${formatDuration(scan.every)} (RocketMQ ${version})`);

  const brokerNames = Array.from({ length: groupCount }, (_, i) => `broker-${String.fromCharCode(97 + i)}`);
  const topicSpecs: RocketTopicSpec[] = scenario.topics ?? [{ name: 'TopicTest' }];
  topicSpecs.forEach((t, i) => (t.brokerGroups ?? []).forEach((g, k) => {
    if (!brokerNames.includes(g)) throw ConfigError.at(['topics', i, 'brokerGroups', k], `topic ${t.name}: no broker group ${g} (groups: ${brokerNames.join(', ')})`, brokerNames, g);
  }));
  const groupsStore = world.store<Record<string, Record<string, string[]>>>('rocketmq.consumers', {});
  const assignments = world.store<Record<string, Record<string, string[]>>>('rocketmq.assignments', {});
  const leaders = world.store<Record<string, { leader: string; term: number }>>('rocketmq.dledger', {});
  const onLeader = (brokerName: string, node: string, term: number) => leaders.update((d) => {
    d[brokerName] = { leader: node, term };
  }, `${node} elected`);
  const membersOf = (brokerName: string): BrokerController[] => {
    const members: BrokerController[] = [];
    for (let id = 0; id <= slaves; id++) {
      const actor = live.get(`${brokerName}-${id}`);
      if (actor instanceof BrokerController) members.push(actor);
    }
    return members;
  };
  // cluster.invariants: the store and replication invariants after every broker step (invariants.ts).
  const checker = scenario.cluster?.invariants ? new RocketInvariantChecker({ now: () => world.now, groupMembers: membersOf }) : undefined;
  if (checker) {
    world.onStart((name, restarted) => {
      const actor = live.get(name);
      if (restarted && actor instanceof BrokerController) checker.afterRestart(actor);
    });
  }
  for (const brokerName of brokerNames) {
    const groupNodes = Array.from({ length: slaves + 1 }, (_, id) => `${brokerName}-${id}`);
    const topics: Record<string, TopicConfig> = {};
    for (const t of topicSpecs) {
      if (t.brokerGroups && !t.brokerGroups.includes(brokerName)) continue;
      topics[t.name] = { readQueueNums: t.readQueueNums ?? d.queueNums, writeQueueNums: t.writeQueueNums ?? d.queueNums, perm: PERM_READ | PERM_WRITE };
    }
    for (let id = 0; id <= slaves; id++) {
      const name = `${brokerName}-${id}`;
      const options: BrokerOptions = {
        settings, clusterName: 'DefaultCluster', brokerName, brokerId: id, master: `${brokerName}-0`, nameServers, topics,
        stats: brokerStats, groups: groupsStore, groupNodes, onLeader, ...(checker ? { invariants: checker } : {}),
      };
      world.addNode(name, () => track(name, new BrokerController(options)), { roles: settings.enableDLegerCommitLog ? ['broker'] : ['broker', id === 0 ? 'master' : 'slave'] });
    }
  }
  lines.push(
    `brokers: ${groupCount} group(s) x ${settings.enableDLegerCommitLog ? `DLedger group of ${slaves + 1}` : `(1 master + ${slaves} slave(s)), brokerRole=${settings.brokerRole}`}, flushDiskType=${settings.flushDiskType}, `
    + `mappedFileSizeCommitLog=${settings.mappedFileSizeCommitLog}, syncFlushTimeout=${formatDuration(settings.syncFlushTimeout)}${checker ? ', invariants checked' : ''}`,
  );
  for (const t of topicSpecs) {
    lines.push(`topic ${t.name}: read/write queues ${t.readQueueNums ?? d.queueNums}/${t.writeQueueNums ?? d.queueNums} on ${(t.brokerGroups ?? brokerNames).join(', ')}`);
  }
  const brokerGroupProblem = (selector: string, arg: string | undefined): string | null =>
    arg !== undefined && brokerNames.includes(arg) ? null : `needs a broker group (brokerName), e.g. { ${selector}: ${brokerNames[0]} }; groups: ${brokerNames.join(', ')}`;
  // The master of a group: brokerId 0, or with DLedger the leader now.
  world.registerSelector('master-of', (arg) => {
    if (!arg || !brokerNames.includes(arg)) return [];
    if (!settings.enableDLegerCommitLog) return [`${arg}-0`];
    const leader = leaders.state[arg];
    return leader ? [leader.leader] : [];
  }, (arg) => brokerGroupProblem('master-of', arg));
  // The slaves of a group (DLedger: the members other than the leader now).
  world.registerSelector('slave-of', (arg) => {
    if (!arg || !brokerNames.includes(arg)) return [];
    const members = Array.from({ length: slaves + 1 }, (_, i) => `${arg}-${i}`);
    if (!settings.enableDLegerCommitLog) return members.slice(1);
    const leader = leaders.state[arg]?.leader;
    return members.filter((m) => m !== leader);
  }, (arg) => brokerGroupProblem('slave-of', arg));

  const txDbs = new Map<string, Map<string, TxState>>();
  const isUp = (node: string) => world.hasNode(node) && world.node(node).status !== 'crashed';
  const defaultTopic = topicSpecs[0]!.name;
  for (const [index, spec] of (scenario.workload?.producers ?? []).entries()) {
    // A key the schema accepts must change the run or be refused: RocketMQ has no outbox here.
    if (spec.outbox !== undefined) throw ConfigError.at(['workload', 'producers', index, 'outbox'], `producer ${spec.id}: the outbox pattern is not modelled for rocketmq (a transactional producer is RocketMQ's way: transaction:)`);
    const config = resolveProducerSettings(spec.config);
    const plan: ProducerPlanSpec = {};
    if (spec.rate !== undefined) plan.rate = spec.rate;
    if (spec.count !== undefined) plan.count = spec.count;
    if (spec.keys !== undefined) plan.keys = spec.keys;
    if (spec.payload !== undefined) plan.payload = spec.payload;
    if (spec.start !== undefined) plan.start = spec.start;
    if (spec.stop !== undefined) plan.stop = spec.stop;
    const topic = spec.topic ?? defaultTopic;
    const delayLevels = spec.delayLevels ?? (spec.delayLevel !== undefined ? [spec.delayLevel] : undefined);
    let txDb = txDbs.get(config.producerGroup);
    if (!txDb) {
      txDb = new Map();
      txDbs.set(config.producerGroup, txDb);
    }
    const transaction: TransactionSpec | undefined = spec.transaction
      ? { commit: spec.transaction.commit ?? 1, unknown: spec.transaction.unknown ?? 0, checkUnknown: spec.transaction.checkUnknown ?? 0, duration: spec.transaction.duration ?? 0 }
      : undefined;
    const options: ProducerOptions = {
      plan, duration: scenario.duration, topic,
      // sendMessageInTransaction is a sync send.
      sendMode: transaction ? 'sync' : spec.sendMode ?? 'sync',
      tags: spec.tags, delayLevels, levelDelays: settings.delayLevels, orderly: spec.orderly ?? false, settings: config, nameServers,
      history, stats: producerStats, isUp, transaction, txDb,
    };
    world.addNode(spec.id, () => track(spec.id, new RocketProducer(options)), { roles: ['producer'] });
    lines.push(
      `producer ${spec.id} (${config.producerGroup}): -> ${topic}, ${transaction ? `transactional (commit ${transaction.commit}, unknown ${transaction.unknown})` : options.sendMode}${options.orderly ? ', orderly (hash of key)' : ''}`
      + `${delayLevels ? `, delay levels ${delayLevels.join(' ')}` : ''}, sendMsgTimeout=${formatDuration(config.sendMsgTimeout)}, `
      + `retryTimesWhenSendFailed=${config.retryTimesWhenSendFailed}, sendLatencyFaultEnable=${config.sendLatencyFaultEnable}`,
    );
  }

  const perGroup = new Map<string, number>();
  const retainedGroups: RetainedGroup[] = [];
  const consumersOf = new Map<string, string[]>();
  const clusteringGroups = new Set<string>();
  for (const [index, spec] of (scenario.workload?.consumers ?? []).entries()) {
    const isPull = spec.consumerType === 'pull';
    const config = resolveConsumerSettings(spec.config, isPull);
    const group = spec.group ?? d.consumerGroup;
    const what = `consumers ${group}`;
    // Each problem at its key inside this consumer entry.
    const at = (path: (string | number)[], message: string) => ConfigError.at(['workload', 'consumers', index, ...path], message);
    if (isPull) {
      if (spec.orderly) throw at(['orderly'], `${what}: orderly is a push consumer listener (MessageListenerOrderly); a pull consumer's application orders its own processing`);
      if ((spec.failureRate ?? 0) > 0) throw at(['failureRate'], `${what}: failureRate needs a push consumer (RECONSUME_LATER and send-back); a pull consumer has no consume status`);
      if (spec.mode === 'assign' && (spec.count ?? 1) > 1) throw at(['count'], `${what}: count > 1 needs mode: subscribe (an assign() consumer reads every queue)`);
      if (spec.config?.consumeThreadMin !== undefined) throw at(['config', 'consumeThreadMin'], `${what}: consumeThreadMin is a push consumer setting; a pull consumer processes with processingMode and workers`);
    } else {
      for (const key of ['mode', 'processingMode', 'workers', 'seek'] as const) {
        if (spec[key] !== undefined) throw at([key], `${what}: ${key} needs consumerType: pull`);
      }
      for (const key of LITE_PULL_ONLY_KEYS) {
        if (spec.config?.[key] !== undefined) throw at(['config', key], `${what}: config ${key} is a DefaultLitePullConsumer setting; it needs consumerType: pull`);
      }
    }
    if (spec.workers !== undefined && spec.processingMode !== 'async-pool') throw at(['workers'], `${what}: workers needs processingMode: async-pool`);
    // Clients start CLIENT_START_DELAY after the cluster: an earlier start would silently be that one,
    // and a stop before it would never happen (the consumer would run to the end).
    const earliest = formatDuration(CLIENT_START_DELAY);
    if (spec.start !== undefined && spec.start < CLIENT_START_DELAY) throw at(['start'], `${what}: start ${formatDuration(spec.start)} is before RocketMQ clients start (${earliest} after the cluster); use at least ${earliest}`);
    if (spec.stop !== undefined && spec.stop <= Math.max(spec.start ?? 0, CLIENT_START_DELAY)) {
      throw at(['stop'], `${what}: stop ${formatDuration(spec.stop)} is not after the consumer starts (${formatDuration(Math.max(spec.start ?? 0, CLIENT_START_DELAY))}); a consumer that never runs is not in the scenario`);
    }
    const lite = isPull ? resolveLitePullSettings(spec.config, spec) : undefined;
    const topic = spec.topic ?? defaultTopic;
    const subscription = spec.subscription ?? '*';
    const count = spec.count ?? 1;
    const first = (perGroup.get(group) ?? 0) + 1;
    perGroup.set(group, first - 1 + count);
    // The processed-ids table: shared by a clustering group; each broadcasting consumer must process every message, so has its own.
    const broadcasting = config.messageModel === 'BROADCASTING';
    const groupDedupe = spec.idempotent && !broadcasting ? new Set<string>() : null;
    const names: string[] = consumersOf.get(group) ?? [];
    consumersOf.set(group, names);
    for (let i = first; i < first + count; i++) {
      const name = `${group}-c${i}`;
      names.push(name);
      const dedupe = spec.idempotent && broadcasting ? new Set<string>() : groupDedupe;
      const options: ConsumerOptions = {
        group, topic, subscription, settings: config, nameServers, history, stats: consumerStats,
        processing: spec.processing, failureRate: spec.failureRate ?? 0, dedupe, start: spec.start, stop: spec.stop,
        phase: () => world.phase, assignments, orderly: spec.orderly ?? false,
      };
      if (lite !== undefined) {
        const pullOptions = { ...options, pull: lite };
        world.addNode(name, () => track(name, new RocketLitePullConsumer(pullOptions)), { roles: ['consumer'] });
      } else world.addNode(name, () => track(name, new RocketConsumer(options)), { roles: ['consumer'] });
    }
    const tags = subscription.trim() === '*' ? null : subscription.split('||').map((t) => tagsCodeOf(t.trim()));
    const entry: RetainedGroup = { group, topic, tagsCodes: tags };
    if (config.messageModel === 'BROADCASTING') {
      entry.offsetOf = (brokerName, t, queueId) => {
        let min: number | undefined;
        for (const n of names) {
          const actor = live.get(n);
          const offset = actor instanceof RocketConsumer ? actor.localOffset(`${brokerName}:${t}:${queueId}`) ?? 0 : 0;
          min = min === undefined ? offset : Math.min(min, offset);
        }
        return min;
      };
    }
    else clusteringGroups.add(group);
    retainedGroups.push(entry);
    if (lite !== undefined) {
      lines.push(
        `consumers ${group}: ${count} x DefaultLitePullConsumer <- ${topic} (${subscription}), ${config.messageModel}, ${lite.mode}${lite.mode === 'subscribe' ? ` (${config.allocateMessageQueueStrategy})` : ''}, `
        + `pullBatchSize=${config.pullBatchSize}, autoCommit=${lite.autoCommit}${lite.autoCommit ? ` every ${formatDuration(lite.autoCommitInterval)}` : ' (commitSync after each batch)'}, `
        + `processing ${lite.processingMode === 'sync' ? 'sync in the poll loop' : `async-pool of ${lite.workers}`}${spec.idempotent ? ', idempotent' : ''}`,
      );
    } else {
      lines.push(
        `consumers ${group}: ${count} x <- ${topic} (${subscription}), ${config.messageModel}, ${spec.orderly ? 'orderly' : 'concurrently'}, ${config.allocateMessageQueueStrategy}, `
        + `maxReconsumeTimes=${config.maxReconsumeTimes}${spec.idempotent ? ', idempotent' : ''}`,
      );
    }
  }

  return {
    stores: { namesrv: namesrvStores, consumers: groupsStore, assignments },
    describe: () => lines.slice(),
    counts: () => {
      // Consumers of a clustering group owning no queue of their topic at the end (more consumers than queues).
      let idleConsumers = 0;
      for (const [group, names] of consumersOf) {
        if (!clusteringGroups.has(group)) continue;
        for (const name of names) {
          const actor = live.get(name);
          if (actor instanceof RocketConsumer && actor.running && actor.ownedTopicQueues() === 0) idleConsumers++;
        }
      }
      return { ...brokerStats, ...nsStats, ...producerStats, ...consumerStats, idleConsumers };
    },
    retained: () => {
      const stored = new Set<string>();
      // Per group, what its master holds (DLedger: its leader); with the master down, its first live slave.
      for (const brokerName of brokerNames) {
        const members = membersOf(brokerName);
        const source = members.find((b) => b.acceptsWrites) ?? members[0];
        source?.retained(stored, retainedGroups);
      }
      return stored;
    },
  };
}

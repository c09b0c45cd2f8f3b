import { z } from 'zod';
import type { ModelScenarioParts } from '../../sim/scenario/schema.js';
import { BOUNDS } from '../../sim/scenario/bounds.js';
import { duration, nodeCount, nonNegativeInt, partitionCount, positiveInt, probability, size } from '../../sim/scenario/fields.js';
import type { Micros } from '../../sim/time.js';
import type { AllocateStrategy } from './allocate.js';
import { DEFAULT_DELAY_LEVELS } from './delay-levels.js';
import { ROCKET_VERSIONS, SCAN_NOT_ACTIVE_BROKER_INTERVAL_5X, type RocketVersion } from './version.js';

/**
 * The RocketMQ (4.x) part of the scenario schema. Config keys are RocketMQ's own names
 * (BrokerConfig, MessageStoreConfig, DefaultMQProducer, DefaultMQPushConsumer / ClientConfig)
 * with their values in RocketMQ's units (milliseconds, bytes); defaults are applied in code
 * (ROCKETMQ_DEFAULTS) so a scenario only writes what it changes.
 */

const MS = 1000;

export const ROCKETMQ_DEFAULTS = {
  nameServers: 2,
  brokerGroups: 2,
  slavesPerGroup: 1,
  // BrokerConfig / MessageStoreConfig
  brokerRole: 'ASYNC_MASTER' as 'ASYNC_MASTER' | 'SYNC_MASTER',
  flushDiskType: 'ASYNC_FLUSH' as 'ASYNC_FLUSH' | 'SYNC_FLUSH',
  mappedFileSizeCommitLog: 1024 * 1024 * 1024,
  flushIntervalCommitLog: 500,
  flushCommitLogLeastPages: 4,
  flushCommitLogThoroughInterval: 10_000,
  flushIntervalConsumeQueue: 1000,
  syncFlushTimeout: 5000,
  slaveTimeout: 3000,
  inSyncReplicas: 1,
  slaveReadEnable: false,
  haSendHeartbeatInterval: 5000,
  haHousekeepingInterval: 20_000,
  haSlaveFallbehindMax: 256 * 1024 * 1024,
  messageDelayLevel: '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h',
  registerNameServerPeriod: 30_000,
  flushConsumerOffsetInterval: 5000,
  flushDelayOffsetInterval: 10_000,
  channelExpiredTimeout: 120_000,
  longPollingEnable: true,
  notifyConsumerIdsChangedEnable: true,
  transactionCheckInterval: 60_000,
  transactionCheckMax: 15,
  transactionTimeOut: 6000,
  enableDLegerCommitLog: false,
  // topics
  queueNums: 4,
  // DefaultMQProducer / ClientConfig
  producerGroup: 'DEFAULT_PRODUCER',
  sendMsgTimeout: 3000,
  retryTimesWhenSendFailed: 2,
  retryAnotherBrokerWhenNotStoreOK: false,
  sendLatencyFaultEnable: false,
  pollNameServerInterval: 30_000,
  heartbeatBrokerInterval: 30_000,
  // DefaultMQPushConsumer
  consumerGroup: 'DEFAULT_CONSUMER',
  messageModel: 'CLUSTERING' as 'CLUSTERING' | 'BROADCASTING',
  allocateMessageQueueStrategy: 'averagely' as AllocateStrategy,
  maxReconsumeTimes: 16,
  pullBatchSize: 32,
  consumeThreadMin: 20,
  pullThresholdForQueue: 1000,
  persistConsumerOffsetInterval: 5000,
  rebalanceWaitInterval: 20_000,
  // DefaultLitePullConsumer (4.6+)
  litePullBatchSize: 10,
  autoCommit: true,
  autoCommitIntervalMillis: 5000,
  pollTimeoutMillis: 5000,
  pullThresholdForAll: 10_000,
  consumeMaxSpan: 2000,
  brokerSuspendMaxTimeMillis: 20_000,
  consumerTimeoutMillisWhenSuspend: 30_000,
  pullTimeDelayMillsWhenException: 1000,
  litePullWorkers: 4,
} as const;

const ms = (description: string) => nonNegativeInt.optional().meta({ description: `${description} In milliseconds.` });

const delayLevelText = z.string().regex(/^\s*\d+[smhd](\s+\d+[smhd])*\s*$/, 'space-separated levels such as "1s 5s 10s 30s 1m", each a number and a unit s, m, h or d');

export const rocketmqClusterConfig = z.strictObject({
  brokerRole: z.enum(['ASYNC_MASTER', 'SYNC_MASTER']).optional().meta({
    description: 'Role of every group\'s master (slaves are SLAVE): ASYNC_MASTER (default) answers SEND_OK without waiting for a slave; '
      + 'SYNC_MASTER waits until a slave has the message (FLUSH_SLAVE_TIMEOUT after syncFlushTimeout, SLAVE_NOT_AVAILABLE with no slave).',
  }),
  flushDiskType: z.enum(['ASYNC_FLUSH', 'SYNC_FLUSH']).optional().meta({
    description: 'ASYNC_FLUSH (default): the commit log is fsynced by a background service every flushIntervalCommitLog, the answer does not wait; '
      + 'SYNC_FLUSH: group commit, the answer waits for the fsync (FLUSH_DISK_TIMEOUT after syncFlushTimeout).',
  }),
  mappedFileSizeCommitLog: size.optional().meta({ description: 'Size of one commit log mapped file (default 1GiB); a message that does not fit starts the next file.' }),
  flushIntervalCommitLog: ms('How often the async flush service runs (default 500).'),
  flushCommitLogLeastPages: nonNegativeInt.optional().meta({ description: 'The async flush service fsyncs only when this many 4 KiB pages are dirty (default 4), or after flushCommitLogThoroughInterval.' }),
  flushCommitLogThoroughInterval: ms('The async flush service fsyncs whatever is dirty at least this often (default 10000).'),
  flushIntervalConsumeQueue: ms('How often consume queues are fsynced (default 1000); a crash rebuilds them from the commit log.'),
  syncFlushTimeout: ms('How long a SYNC_FLUSH write waits for its fsync before answering FLUSH_DISK_TIMEOUT (default 5000); with DLedger, how long a write waits for a majority.'),
  slaveTimeout: ms('How long a SYNC_MASTER write waits for its slave(s) before answering FLUSH_SLAVE_TIMEOUT (default 3000; RocketMQ 4.9 and 5.x).'),
  inSyncReplicas: positiveInt.optional().meta({
    description: 'RocketMQ 5.x only (cluster.version "5.3"): replicas, the master included, that must have a SYNC_MASTER write before SEND_OK (default 1: '
      + '5.x\'s SYNC_MASTER then waits for no slave; 2: for one slave, FLUSH_SLAVE_TIMEOUT after slaveTimeout). 4.x\'s SYNC_MASTER always waits for one slave, '
      + 'and answers SLAVE_NOT_AVAILABLE at once when none is connected and close enough.',
  }),
  haSendHeartbeatInterval: ms('How often a slave reports its commit log offset to its master when idle (default 5000).'),
  haHousekeepingInterval: ms('A master considers a slave gone after this long without a report (default 20000).'),
  haSlaveFallbehindMax: size.optional().meta({ description: 'A SYNC_MASTER answers SLAVE_NOT_AVAILABLE when its slave is this far behind (default 256MiB).' }),
  messageDelayLevel: delayLevelText.optional().meta({ description: `The delay levels, level 1 first (default "${ROCKETMQ_DEFAULTS.messageDelayLevel}").` }),
  registerNameServerPeriod: ms('How often a broker sends REGISTER_BROKER to every NameServer (default 30000).'),
  flushConsumerOffsetInterval: ms('How often a broker writes consumerOffset.json (default 5000); a broker crash forgets commits since.'),
  flushDelayOffsetInterval: ms('How often a broker writes delayOffset.json (default 10000).'),
  channelExpiredTimeout: ms('A broker drops a client it has not heard from (HEART_BEAT) for this long (default 120000).'),
  longPollingEnable: z.boolean().optional().meta({ description: 'Hold a PULL_MESSAGE that finds nothing for up to 15 s and answer when a message arrives (default true).' }),
  notifyConsumerIdsChangedEnable: z.boolean().optional().meta({ description: 'Send NOTIFY_CONSUMER_IDS_CHANGED to a group\'s consumers when its membership changes (default true).' }),
  transactionCheckInterval: ms('How often the broker checks unresolved half messages with CHECK_TRANSACTION_STATE (default 60000).'),
  transactionCheckMax: nonNegativeInt.optional().meta({ description: 'Checks of one half message before it is discarded (default 15).' }),
  transactionTimeOut: ms('A half message younger than this is not checked yet (default 6000).'),
  scanNotActiveBrokerInterval: positiveInt.optional().meta({
    description: `NamesrvConfig (namesrv.conf), RocketMQ 5.x only (cluster.version "5.3"): how often each NameServer runs scanNotActiveBroker, which drops a broker not heard from for 120 s (default ${SCAN_NOT_ACTIVE_BROKER_INTERVAL_5X}; `
      + '4.x scans every 10 s, not settable). In milliseconds.',
  }),
  slaveReadEnable: z.boolean().optional().meta({
    description: 'RocketMQ 5.x only (cluster.version "5.3"): a slave serves PULL_MESSAGE only when true (default false: it answers SYSTEM_BUSY, so consumers of a group whose master is down read nothing). '
      + '4.x slaves always serve pulls.',
  }),
  enableDLegerCommitLog: z.boolean().optional().meta({
    description: 'DLedger (4.5+): each broker group is a Raft group (1 + slavesPerGroup members; 3 is usual) that elects its master; '
      + 'SEND_OK once a majority has the message, consumers see only committed messages, a new master is elected when the leader dies (default false).',
  }),
});

const topicName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'letters, digits, "_" and "-"');

const rocketmqTopic = z.strictObject({
  name: topicName,
  readQueueNums: partitionCount.optional().meta({ description: 'Queues consumers read, per broker group (default 4).' }),
  writeQueueNums: partitionCount.optional().meta({ description: 'Queues producers write, per broker group (default 4).' }),
  brokerGroups: z.array(z.string()).min(1).optional().meta({ description: 'brokerNames holding the topic (default: every group).' }),
});

export const rocketmqProducerConfig = z.strictObject({
  producerGroup: z.string().optional().meta({ description: 'The producer group (default DEFAULT_PRODUCER).' }),
  sendMsgTimeout: ms('Time budget of one send, all retries included (default 3000).'),
  retryTimesWhenSendFailed: nonNegativeInt.optional().meta({ description: 'Extra attempts of a sync send on another queue, preferring another broker (default 2).' }),
  retryAnotherBrokerWhenNotStoreOK: z.boolean().optional().meta({ description: 'Retry a sync send answered FLUSH_DISK_TIMEOUT / FLUSH_SLAVE_TIMEOUT / SLAVE_NOT_AVAILABLE (default false).' }),
  sendLatencyFaultEnable: z.boolean().optional().meta({ description: 'Avoid a broker for a while after a slow or failed send (MQFaultStrategy; default false).' }),
  pollNameServerInterval: ms('How often the client refreshes routes (GET_ROUTEINFO_BY_TOPIC; default 30000).'),
  heartbeatBrokerInterval: ms('How often the client sends HEART_BEAT to brokers (default 30000).'),
});

export const rocketmqConsumerConfig = z.strictObject({
  messageModel: z.enum(['CLUSTERING', 'BROADCASTING']).optional().meta({ description: 'CLUSTERING (default): each message to one consumer of the group; BROADCASTING: to every consumer, offsets kept by the client.' }),
  allocateMessageQueueStrategy: z.enum(['averagely', 'averagely-by-circle', 'consistent-hash']).optional().meta({
    description: 'Rebalance strategy: AllocateMessageQueueAveragely (default), AllocateMessageQueueAveragelyByCircle, AllocateMessageQueueConsistentHash.',
  }),
  maxReconsumeTimes: z.number().int().min(-1).optional().meta({ description: 'Failed consumptions sent back before the message goes to %DLQ%<group> (default -1, meaning 16).' }),
  pullBatchSize: positiveInt.optional().meta({ description: 'Messages asked for in one PULL_MESSAGE (default 32 for the push consumer, 10 for the lite pull consumer).' }),
  consumeThreadMin: positiveInt.optional().meta({ description: 'Consume threads of the push consumer (default 20).' }),
  pullThresholdForQueue: positiveInt.optional().meta({ description: 'Cached messages per queue above which pulling pauses 50 ms (default 1000).' }),
  persistConsumerOffsetInterval: ms('How often offsets are committed (UPDATE_CONSUMER_OFFSET, or the local file when broadcasting; default 5000).'),
  'rocketmq.client.rebalance.waitInterval': ms('How often the consumer rebalances on its own (default 20000).'),
  pollNameServerInterval: ms('How often the client refreshes routes (default 30000).'),
  heartbeatBrokerInterval: ms('How often the client sends HEART_BEAT to every broker (default 30000).'),
  // DefaultLitePullConsumer only (consumerType: pull)
  autoCommit: z.boolean().optional().meta({
    description: 'Pull consumer: each poll() commits, at most every autoCommitIntervalMillis, the offsets after the messages earlier polls returned, processed or not (default true); '
      + 'false: the application calls commitSync() after processing each batch.',
  }),
  autoCommitIntervalMillis: ms('Pull consumer: the least time between two auto-commits (default 5000).'),
  pollTimeoutMillis: ms('Pull consumer: how long poll() waits for messages before returning an empty list (default 5000).'),
  pullThresholdForAll: positiveInt.optional().meta({ description: 'Pull consumer: pull tasks pause 50 ms while (cached batches x pullBatchSize) exceeds this (default 10000).' }),
  consumeMaxSpan: positiveInt.optional().meta({ description: 'Pull consumer: a queue\'s pull task pauses 50 ms while its cached messages span more offsets than this (default 2000).' }),
  brokerSuspendMaxTimeMillis: ms('Pull consumer: how long the broker holds a PULL_MESSAGE that finds nothing (default 20000).'),
  consumerTimeoutMillisWhenSuspend: ms('Pull consumer: the client timeout of such a PULL_MESSAGE (default 30000).'),
  pullTimeDelayMillsWhenException: ms('Pull consumer: the pause of a pull task after a failed PULL_MESSAGE (default 1000).'),
});

/** The config keys only a DefaultLitePullConsumer has. */
export const LITE_PULL_ONLY_KEYS = [
  'autoCommit', 'autoCommitIntervalMillis', 'pollTimeoutMillis', 'pullThresholdForAll', 'consumeMaxSpan',
  'brokerSuspendMaxTimeMillis', 'consumerTimeoutMillisWhenSuspend', 'pullTimeDelayMillsWhenException',
] as const;

export const rocketmqParts: ModelScenarioParts = {
  // Measured over the shipped scenarios: median events per delivery; background timers per node-second.
  cost: { eventsPerDelivery: 6.5, idleEventsPerNodeSecond: 10 },
  system: 'rocketmq',
  description:
    'RocketMQ 4.x: NameServers, broker groups (master brokerId 0 and slaves) with a commit log and consume queues, '
    + 'sync/async flush and replication, producers (sync, async, one-way; retries, latency fault tolerance, hash selector), '
    + 'push consumers (long polling, rebalance, clustering/broadcasting, offsets) and lite pull consumers (poll, autoCommit, assign), retries with delay levels and %DLQ%.',
  clusterConfig: rocketmqClusterConfig,
  clusterFields: {
    version: z.enum(ROCKET_VERSIONS).optional().meta({
      description: 'mqsim model key: the RocketMQ version the model follows where 4.x and 5.x differ in what users see (default "4.9"). '
        + '4.9: the NameServer scans for expired brokers every 10 s, fixed; a SYNC_MASTER waits for one slave and answers SLAVE_NOT_AVAILABLE when none is fit; slaves serve pulls. '
        + '5.3: the scan runs every scanNotActiveBrokerInterval (5 s); a SYNC_MASTER waits for inSyncReplicas - 1 slaves (none by default), never SLAVE_NOT_AVAILABLE; '
        + 'slaves refuse pulls unless slaveReadEnable.',
    }),
    nameServers: nodeCount.optional().meta({ description: 'NameServers namesrv-1..N (default 2); they never talk to each other.' }),
    brokerGroups: positiveInt.max(26).optional().meta({ description: 'Broker groups broker-a, broker-b, ... (default 2); the master of broker-a is node broker-a-0.' }),
    slavesPerGroup: nonNegativeInt.optional().meta({ description: 'Slaves per group, nodes broker-a-1... (default 1).' }),
    invariants: z.boolean().optional().meta({
      description: 'mqsim model key: check the store and replication invariants (flushed <= written offset, confirm offset and consume queue entries within the commit log, '
        + 'consumer offsets within their consume queue, a slave never ahead of its master) after every broker step, stopping the run at the first violation (default false).',
    }),
  },
  sections: {
    topics: z.array(rocketmqTopic).min(1)
      .refine((topics) => topics.reduce((n, t) => n + Math.max(t.readQueueNums ?? 4, t.writeQueueNums ?? 4), 0) <= BOUNDS.partitions, `at most ${BOUNDS.partitions.toLocaleString('en-US')} queues per broker group, over all topics`)
      .optional().meta({ description: 'Topics created on the brokers at start (default one topic "TopicTest").' }),
  },
  producerFields: {
    topic: topicName.optional().meta({ description: 'Topic sent to (default the first topic).' }),
    sendMode: z.enum(['sync', 'async', 'oneway']).optional().meta({ description: 'sync (default: one send at a time, waits for the answer), async (callback), oneway (no answer, no retry).' }),
    tags: z.array(z.string().regex(/^[^|\s]+$/)).min(1).optional().meta({ description: 'Tags to put on messages, one picked at random per message (default none).' }),
    delayLevel: positiveInt.optional().meta({ description: 'Delay level of every message (1 = the first of messageDelayLevel); the requested delay is recorded.' }),
    delayLevels: z.array(positiveInt).min(1).optional().meta({ description: 'Delay levels to cycle through, message by message.' }),
    orderly: z.boolean().optional().meta({ description: 'Pick the queue with SelectMessageQueueByHash on the message key (ordered messages; no retry).' }),
    transaction: z.strictObject({
      commit: probability.optional().meta({ description: 'Share of local transactions that commit; the rest roll back (default 1).' }),
      unknown: probability.optional().meta({ description: 'Share answered UNKNOW at first (the broker checks back later; default 0).' }),
      checkUnknown: probability.optional().meta({ description: 'Share of check-backs answered UNKNOW again (default 0).' }),
      duration: duration.optional().meta({ description: 'How long the local transaction runs between the half message and END_TRANSACTION (default 0ms).' }),
    }).optional().meta({ description: 'Send transactional messages (TransactionMQProducer): half message, local transaction, END_TRANSACTION, check-back.' }),
  },
  producerConfig: rocketmqProducerConfig,
  consumerFields: {
    topic: topicName.optional().meta({ description: 'Topic subscribed (default the first topic).' }),
    subscription: z.string().optional().meta({ description: 'Tag expression: "*" (default) or "TagA || TagB".' }),
    orderly: z.boolean().optional().meta({ description: 'MessageListenerOrderly: lock each queue at the broker (LOCK_BATCH_MQ), consume it one message at a time, retry a failure locally after 1 s (default false: concurrently).' }),
    consumerType: z.enum(['push', 'pull']).optional().meta({
      description: 'push (default): DefaultMQPushConsumer, a listener called by consume threads, offsets committed by the client after consumption. '
        + 'pull: DefaultLitePullConsumer (4.6+): pull tasks prefetch into a client cache, the application calls poll() (pullBatchSize messages from one queue), processes them and polls again; offsets per autoCommit.',
    }),
    mode: z.enum(['subscribe', 'assign']).optional().meta({
      description: 'Pull consumer: subscribe (default): a member of the group, queues allocated by rebalance; assign: assign() every queue of the topic, no rebalance (one consumer only).',
    }),
    processingMode: z.enum(['sync', 'async-pool']).optional().meta({
      description: 'mqsim model key, pull consumer: how the application handles what poll() returns. sync (default): processes the batch in the poll loop, then polls again; '
        + 'async-pool: hands the messages to a worker pool and polls again at once (auto-commit may then commit messages not yet processed).',
    }),
    workers: positiveInt.optional().meta({ description: 'mqsim model key: worker threads of an async-pool (default 4).' }),
    seek: z.array(z.strictObject({
      at: duration,
      offset: z.union([nonNegativeInt, z.enum(['begin', 'end'])]).meta({ description: 'An offset, begin (seekToBegin: the queue\'s min offset) or end (seekToEnd: its max offset).' }),
    })).min(1).optional().meta({
      description: 'Pull consumer: at each time, the application calls seek() on every queue assigned to it then: its cached messages are dropped and the next poll() returns messages from that offset '
        + '(checked against GET_MIN_OFFSET / GET_MAX_OFFSET; out of range: refused, as RocketMQ\'s "Seek offset illegal").',
    }),
  },
  consumerConfig: rocketmqConsumerConfig,
  metrics: [
    'sendRetries', 'sendTimeouts', 'flushDiskTimeouts', 'flushSlaveTimeouts', 'slaveNotAvailable', 'staleRouteSends', 'latencyFaultAvoided',
    'retried', 'deadLettered', 'deadLetterAfterMsMax', 'rebalances', 'queuesMovedOnRebalance', 'brokersExpired', 'brokerExpiredAfterMsMax', 'brokerChannelsClosed', 'slavePulls', 'slavePullsRejected', 'offsetResets', 'delayedDelivered',
    'duplicatesSkipped', 'commitLogFiles', 'tagFiltered', 'clientTagFiltered', 'idleConsumers', 'sendBackFailed',
    'transactionChecks', 'transactionCommitted', 'transactionRolledBack', 'transactionDiscarded', 'dledgerElections',
    'flowControlledPulls', 'pullCacheMax',
  ],
};

export type RocketClusterConfig = z.output<typeof rocketmqClusterConfig>;
export type RocketProducerConfig = z.output<typeof rocketmqProducerConfig>;
export type RocketConsumerConfig = z.output<typeof rocketmqConsumerConfig>;

export interface BrokerSettings {
  /** The RocketMQ version followed where 4.x and 5.x differ (version.ts). */
  version: RocketVersion;
  brokerRole: 'ASYNC_MASTER' | 'SYNC_MASTER';
  flushDiskType: 'ASYNC_FLUSH' | 'SYNC_FLUSH';
  mappedFileSizeCommitLog: number;
  flushIntervalCommitLog: Micros;
  flushCommitLogLeastPages: number;
  flushCommitLogThoroughInterval: Micros;
  flushIntervalConsumeQueue: Micros;
  syncFlushTimeout: Micros;
  slaveTimeout: Micros;
  inSyncReplicas: number;
  slaveReadEnable: boolean;
  haSendHeartbeatInterval: Micros;
  haHousekeepingInterval: Micros;
  haSlaveFallbehindMax: number;
  /** Delay of each level in microseconds, level 1 first. */
  delayLevels: number[];
  registerNameServerPeriod: Micros;
  flushConsumerOffsetInterval: Micros;
  flushDelayOffsetInterval: Micros;
  channelExpiredTimeout: Micros;
  longPollingEnable: boolean;
  notifyConsumerIdsChangedEnable: boolean;
  transactionCheckInterval: Micros;
  transactionCheckMax: number;
  transactionTimeOut: Micros;
  enableDLegerCommitLog: boolean;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** messageDelayLevel text -> delays in microseconds. */
export function parseDelayLevels(text: string): number[] {
  return text.trim().split(/\s+/).map((level) => Number(level.slice(0, -1)) * UNIT_MS[level.slice(-1)]! * MS);
}

export function resolveBrokerSettings(c: RocketClusterConfig | undefined, version: RocketVersion): BrokerSettings {
  const d = ROCKETMQ_DEFAULTS;
  return {
    version,
    brokerRole: c?.brokerRole ?? d.brokerRole,
    flushDiskType: c?.flushDiskType ?? d.flushDiskType,
    mappedFileSizeCommitLog: c?.mappedFileSizeCommitLog ?? d.mappedFileSizeCommitLog,
    flushIntervalCommitLog: (c?.flushIntervalCommitLog ?? d.flushIntervalCommitLog) * MS,
    flushCommitLogLeastPages: c?.flushCommitLogLeastPages ?? d.flushCommitLogLeastPages,
    flushCommitLogThoroughInterval: (c?.flushCommitLogThoroughInterval ?? d.flushCommitLogThoroughInterval) * MS,
    flushIntervalConsumeQueue: (c?.flushIntervalConsumeQueue ?? d.flushIntervalConsumeQueue) * MS,
    syncFlushTimeout: (c?.syncFlushTimeout ?? d.syncFlushTimeout) * MS,
    slaveTimeout: (c?.slaveTimeout ?? d.slaveTimeout) * MS,
    inSyncReplicas: c?.inSyncReplicas ?? d.inSyncReplicas,
    slaveReadEnable: c?.slaveReadEnable ?? d.slaveReadEnable,
    haSendHeartbeatInterval: (c?.haSendHeartbeatInterval ?? d.haSendHeartbeatInterval) * MS,
    haHousekeepingInterval: (c?.haHousekeepingInterval ?? d.haHousekeepingInterval) * MS,
    haSlaveFallbehindMax: c?.haSlaveFallbehindMax ?? d.haSlaveFallbehindMax,
    delayLevels: c?.messageDelayLevel !== undefined ? parseDelayLevels(c.messageDelayLevel) : DEFAULT_DELAY_LEVELS.map((v) => v * MS),
    registerNameServerPeriod: (c?.registerNameServerPeriod ?? d.registerNameServerPeriod) * MS,
    flushConsumerOffsetInterval: (c?.flushConsumerOffsetInterval ?? d.flushConsumerOffsetInterval) * MS,
    flushDelayOffsetInterval: (c?.flushDelayOffsetInterval ?? d.flushDelayOffsetInterval) * MS,
    channelExpiredTimeout: (c?.channelExpiredTimeout ?? d.channelExpiredTimeout) * MS,
    longPollingEnable: c?.longPollingEnable ?? d.longPollingEnable,
    notifyConsumerIdsChangedEnable: c?.notifyConsumerIdsChangedEnable ?? d.notifyConsumerIdsChangedEnable,
    transactionCheckInterval: (c?.transactionCheckInterval ?? d.transactionCheckInterval) * MS,
    transactionCheckMax: c?.transactionCheckMax ?? d.transactionCheckMax,
    transactionTimeOut: (c?.transactionTimeOut ?? d.transactionTimeOut) * MS,
    enableDLegerCommitLog: c?.enableDLegerCommitLog ?? d.enableDLegerCommitLog,
  };
}

export interface ProducerSettings {
  producerGroup: string;
  sendMsgTimeout: Micros;
  retryTimesWhenSendFailed: number;
  retryAnotherBrokerWhenNotStoreOK: boolean;
  sendLatencyFaultEnable: boolean;
  pollNameServerInterval: Micros;
  heartbeatBrokerInterval: Micros;
}

export function resolveProducerSettings(c: RocketProducerConfig | undefined): ProducerSettings {
  const d = ROCKETMQ_DEFAULTS;
  return {
    producerGroup: c?.producerGroup ?? d.producerGroup,
    sendMsgTimeout: (c?.sendMsgTimeout ?? d.sendMsgTimeout) * MS,
    retryTimesWhenSendFailed: c?.retryTimesWhenSendFailed ?? d.retryTimesWhenSendFailed,
    retryAnotherBrokerWhenNotStoreOK: c?.retryAnotherBrokerWhenNotStoreOK ?? d.retryAnotherBrokerWhenNotStoreOK,
    sendLatencyFaultEnable: c?.sendLatencyFaultEnable ?? d.sendLatencyFaultEnable,
    pollNameServerInterval: (c?.pollNameServerInterval ?? d.pollNameServerInterval) * MS,
    heartbeatBrokerInterval: (c?.heartbeatBrokerInterval ?? d.heartbeatBrokerInterval) * MS,
  };
}

export interface ConsumerSettings {
  messageModel: 'CLUSTERING' | 'BROADCASTING';
  allocateMessageQueueStrategy: AllocateStrategy;
  maxReconsumeTimes: number;
  pullBatchSize: number;
  consumeThreadMin: number;
  pullThresholdForQueue: number;
  persistConsumerOffsetInterval: Micros;
  rebalanceWaitInterval: Micros;
  pollNameServerInterval: Micros;
  heartbeatBrokerInterval: Micros;
}

export function resolveConsumerSettings(c: RocketConsumerConfig | undefined, pull = false): ConsumerSettings {
  const d = ROCKETMQ_DEFAULTS;
  const max = c?.maxReconsumeTimes ?? -1;
  return {
    messageModel: c?.messageModel ?? d.messageModel,
    allocateMessageQueueStrategy: c?.allocateMessageQueueStrategy ?? d.allocateMessageQueueStrategy,
    maxReconsumeTimes: max === -1 ? d.maxReconsumeTimes : max,
    pullBatchSize: c?.pullBatchSize ?? (pull ? d.litePullBatchSize : d.pullBatchSize),
    consumeThreadMin: c?.consumeThreadMin ?? d.consumeThreadMin,
    pullThresholdForQueue: c?.pullThresholdForQueue ?? d.pullThresholdForQueue,
    persistConsumerOffsetInterval: (c?.persistConsumerOffsetInterval ?? d.persistConsumerOffsetInterval) * MS,
    rebalanceWaitInterval: (c?.['rocketmq.client.rebalance.waitInterval'] ?? d.rebalanceWaitInterval) * MS,
    pollNameServerInterval: (c?.pollNameServerInterval ?? d.pollNameServerInterval) * MS,
    heartbeatBrokerInterval: (c?.heartbeatBrokerInterval ?? d.heartbeatBrokerInterval) * MS,
  };
}

/** What a DefaultLitePullConsumer does beyond ConsumerSettings (times in microseconds). */
export interface LitePullSettings {
  mode: 'subscribe' | 'assign';
  /** The application's seek() calls: when, and to what offset of every assigned queue. */
  seeks: { at: Micros; offset: number | 'begin' | 'end' }[];
  processingMode: 'sync' | 'async-pool';
  workers: number;
  autoCommit: boolean;
  autoCommitInterval: Micros;
  pollTimeout: Micros;
  pullThresholdForAll: number;
  consumeMaxSpan: number;
  brokerSuspendMaxTime: Micros;
  consumerTimeoutWhenSuspend: Micros;
  pullTimeDelayWhenException: Micros;
}

export function resolveLitePullSettings(
  c: RocketConsumerConfig | undefined,
  spec: {
    mode?: 'subscribe' | 'assign' | undefined; processingMode?: 'sync' | 'async-pool' | undefined; workers?: number | undefined;
    seek?: { at: Micros; offset: number | 'begin' | 'end' }[] | undefined;
  },
): LitePullSettings {
  const d = ROCKETMQ_DEFAULTS;
  return {
    seeks: spec.seek ?? [],
    mode: spec.mode ?? 'subscribe',
    processingMode: spec.processingMode ?? 'sync',
    workers: spec.workers ?? d.litePullWorkers,
    autoCommit: c?.autoCommit ?? d.autoCommit,
    autoCommitInterval: (c?.autoCommitIntervalMillis ?? d.autoCommitIntervalMillis) * MS,
    pollTimeout: (c?.pollTimeoutMillis ?? d.pollTimeoutMillis) * MS,
    pullThresholdForAll: c?.pullThresholdForAll ?? d.pullThresholdForAll,
    consumeMaxSpan: c?.consumeMaxSpan ?? d.consumeMaxSpan,
    brokerSuspendMaxTime: (c?.brokerSuspendMaxTimeMillis ?? d.brokerSuspendMaxTimeMillis) * MS,
    consumerTimeoutWhenSuspend: (c?.consumerTimeoutMillisWhenSuspend ?? d.consumerTimeoutMillisWhenSuspend) * MS,
    pullTimeDelayWhenException: (c?.pullTimeDelayMillsWhenException ?? d.pullTimeDelayMillsWhenException) * MS,
  };
}

import { z } from 'zod';
import type { ModelScenarioParts } from '../../sim/scenario/schema.js';
import { BOUNDS } from '../../sim/scenario/bounds.js';
import { duration, nodeCount, nonNegativeInt, partitionCount, positiveInt } from '../../sim/scenario/fields.js';
import type { Micros } from '../../sim/time.js';
import type { AssignmentStrategy } from './assignors/index.js';
import { SERVER_ASSIGNORS, type ServerAssignorName } from './consumer-group/assignors.js';
import { KAFKA_VERSIONS } from './version.js';

/**
 * Kafka's part of the scenario schema. Config keys are Kafka's own names, with Kafka's units
 * (`*.ms` keys are integer milliseconds, `*.bytes` integer bytes) and Kafka's defaults (3.x),
 * applied in code by the resolve* functions so the JSON Schema shows every key as optional.
 */

const ms = (description: string) => z.number().int().min(0).optional().meta({ description });
const bytes = (description: string) => z.number().int().min(1).optional().meta({ description });
/** Long.MAX_VALUE: never. */
const LONG_MAX = Number.POSITIVE_INFINITY;

export const KAFKA_DEFAULTS = {
  brokers: 3,
  'unclean.leader.election.enable': false,
  'min.insync.replicas': 1,
  'replica.lag.time.max.ms': 30_000,
  'replica.fetch.wait.max.ms': 500,
  'replica.fetch.max.bytes': 1_048_576,
  'replica.fetch.backoff.ms': 1_000,
  'replica.socket.timeout.ms': 30_000,
  'replica.high.watermark.checkpoint.interval.ms': 5_000,
  'zookeeper.session.timeout.ms': 18_000,
  'controller.socket.timeout.ms': 30_000,
  'controlled.shutdown.enable': true,
  'controlled.shutdown.max.retries': 3,
  'controlled.shutdown.retry.backoff.ms': 5_000,
  // KRaft (KIP-595, KIP-631)
  controllers: 3,
  'controller.quorum.election.timeout.ms': 1_000,
  'controller.quorum.fetch.timeout.ms': 2_000,
  'controller.quorum.election.backoff.max.ms': 1_000,
  'controller.quorum.request.timeout.ms': 2_000,
  'broker.heartbeat.interval.ms': 2_000,
  'broker.session.timeout.ms': 9_000,
  'inter.broker.protocol.version': '3.7',
  'auto.leader.rebalance.enable': true,
  'leader.imbalance.check.interval.seconds': 300,
  'leader.imbalance.per.broker.percentage': 10,
  'log.segment.bytes': 1_073_741_824,
  'index.interval.bytes': 4_096,
  'log.flush.interval.messages': LONG_MAX,
  'log.retention.ms': 604_800_000,
  'log.retention.bytes': -1,
  'log.retention.check.interval.ms': 300_000,
  'offsets.topic.num.partitions': 50,
  'offsets.topic.replication.factor': 3,
  'offsets.commit.timeout.ms': 5_000,
  'group.initial.rebalance.delay.ms': 3_000,
  // KIP-848, the consumer group protocol (Kafka 4.x)
  'group.consumer.heartbeat.interval.ms': 5_000,
  'group.consumer.session.timeout.ms': 45_000,
  'group.consumer.assignors': ['uniform', 'range'] as ServerAssignorName[],
  'transaction.state.log.num.partitions': 50,
  'transaction.state.log.replication.factor': 3,
  'transaction.max.timeout.ms': 900_000,
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': 10_000,
  'transactional.id.expiration.ms': 604_800_000,
  'transaction.remove.expired.transaction.cleanup.interval.ms': 3_600_000,
  'transaction.partition.verification.enable': true,
  // producer
  acks: 'all' as Acks,
  retries: 2_147_483_647,
  'delivery.timeout.ms': 120_000,
  'request.timeout.ms': 30_000,
  'retry.backoff.ms': 100,
  'reconnect.backoff.ms': 50,
  'reconnect.backoff.max.ms': 1_000,
  'max.in.flight.requests.per.connection': 5,
  'linger.ms': 0,
  'batch.size': 16_384,
  'transaction.timeout.ms': 60_000,
  // consumer
  'fetch.max.wait.ms': 500,
  'fetch.min.bytes': 1,
  'max.partition.fetch.bytes': 1_048_576,
  'auto.offset.reset': 'latest' as 'earliest' | 'latest',
  'enable.auto.commit': true,
  'auto.commit.interval.ms': 5_000,
  'session.timeout.ms': 45_000,
  'heartbeat.interval.ms': 3_000,
  'max.poll.interval.ms': 300_000,
  'max.poll.records': 500,
  'partition.assignment.strategy': 'range' as AssignmentStrategy,
} as const;

export type Acks = '0' | '1' | 'all';

const IBP = /^(0\.(8|9|10|11)(\.\d+){0,2}|[1-9]\d*\.\d+(\.\d+)?(-IV\d+)?)$/;

export const kafkaClusterConfig = z.strictObject({
  'unclean.leader.election.enable': z.boolean().optional().meta({
    description: 'Elect a replica outside the ISR when no ISR member is alive (default false: the partition stays offline; true: acknowledged records can be lost).',
  }),
  'min.insync.replicas': positiveInt.optional().meta({
    description: 'With acks=all, the fewest in-sync replicas a write needs; with fewer the leader answers NOT_ENOUGH_REPLICAS (default 1).',
  }),
  'replica.lag.time.max.ms': ms('A follower that has not caught up to the leader\'s log end for this long is removed from the ISR (default 30000).'),
  'replica.fetch.wait.max.ms': ms('How long a leader holds a follower\'s Fetch when there is nothing new (long poll; default 500).'),
  'replica.fetch.max.bytes': bytes('The most bytes a follower fetches per partition in one Fetch (default 1048576).'),
  'replica.fetch.backoff.ms': ms('How long a follower waits after a failed Fetch (default 1000).'),
  'replica.socket.timeout.ms': ms('How long a follower waits for a FetchResponse before sending the Fetch again (default 30000).'),
  'replica.high.watermark.checkpoint.interval.ms': ms('How often each broker writes its high watermarks to replication-offset-checkpoint (default 5000).'),
  'zookeeper.session.timeout.ms': ms('A broker whose ZooKeeper session has not heartbeated for this long is dead: its ephemeral nodes go (default 18000).'),
  'controller.socket.timeout.ms': ms('How long the controller waits for a broker to answer LeaderAndIsr / UpdateMetadata before sending it again (default 30000).'),
  'controlled.shutdown.enable': z.boolean().optional().meta({ description: 'ZooKeeper mode: on an operator\'s stop the broker first asks the controller (ControlledShutdown) to move its partition leaderships to other in-sync replicas, so producers see a metadata refresh instead of an outage; false: it just exits and the controller acts when its session goes (default true). KRaft brokers always shut down through their heartbeat (wantShutDown).' }),
  'controlled.shutdown.max.retries': nonNegativeInt.optional().meta({ description: 'How many times a ControlledShutdown that left partitions behind (or got no answer) is sent again before the broker exits anyway (default 3).' }),
  'controlled.shutdown.retry.backoff.ms': ms('The wait between ControlledShutdown attempts (default 5000).'),
  'controller.quorum.election.timeout.ms': ms('KRaft: a voter that hears from no leader for this long (randomised between 1x and 2x) starts an election; a candidate that has not won by then backs off and tries again (default 1000).'),
  'controller.quorum.fetch.timeout.ms': ms('KRaft: a follower voter that gets no Fetch response from the leader for this long starts an election; a leader not fetched from by a majority for 1.5x this resigns (default 2000).'),
  'controller.quorum.election.backoff.max.ms': ms('KRaft: the longest random backoff before a candidate that lost an election tries again (default 1000).'),
  'controller.quorum.request.timeout.ms': ms('KRaft: how long a quorum request (Fetch of __cluster_metadata, BeginQuorumEpoch, BrokerRegistration) waits for an answer before it is sent again or elsewhere (default 2000).'),
  'broker.heartbeat.interval.ms': ms('KRaft: how often a broker sends BrokerHeartbeat to the active controller (default 2000).'),
  'broker.session.timeout.ms': ms('KRaft: a broker without a heartbeat for this long is fenced by the active controller: out of every ISR, its leaderships moved (default 9000).'),
  'inter.broker.protocol.version': z.string().regex(IBP, 'expected a Kafka version such as 0.10.2, 0.11.0, 2.8, 3.7').optional().meta({
    description: 'Inter-broker protocol version (default 3.7). Below 0.11.0 followers truncate to their high watermark when they become followers (the pre-KIP-101 behaviour); from 0.11.0 on they truncate by leader epoch (OffsetsForLeaderEpoch).',
  }),
  'auto.leader.rebalance.enable': z.boolean().optional().meta({
    description: 'The controller periodically moves leadership back to each partition\'s preferred (first) replica when it is alive and in the ISR (default true).',
  }),
  'leader.imbalance.check.interval.seconds': positiveInt.optional().meta({ description: 'How often the controller checks leader imbalance (default 300).' }),
  'leader.imbalance.per.broker.percentage': z.number().int().min(0).max(100).optional().meta({
    description: 'A broker\'s partitions are moved back to it when more than this percentage of those it prefers are led elsewhere (default 10).',
  }),
  'log.segment.bytes': bytes('Size at which a partition\'s active segment is rolled (default 1073741824).'),
  'index.interval.bytes': bytes('An offset index entry is written every this many bytes of log (default 4096).'),
  'log.flush.interval.messages': positiveInt.optional().meta({
    description: 'fsync a partition log every this many appended records (default Long.MAX_VALUE: never; rely on the page cache and OS writeback).',
  }),
  'log.retention.ms': z.number().int().min(-1).optional().meta({ description: 'Delete closed segments whose newest record is older than this (default 604800000 = 7 days; -1 no limit).' }),
  'log.retention.bytes': z.number().int().min(-1).optional().meta({ description: 'Delete the oldest closed segments while a partition is larger than this (default -1: no limit).' }),
  'log.retention.check.interval.ms': ms('How often retention is checked (default 300000).'),
  'offsets.topic.num.partitions': partitionCount.optional().meta({
    description: 'Partitions of the internal __consumer_offsets topic (default 50); a group\'s coordinator is the leader of partition abs(groupId.hashCode()) % this. The topic is created when a scenario uses consumer groups.',
  }),
  'offsets.topic.replication.factor': positiveInt.optional().meta({ description: 'Replication factor of __consumer_offsets (default 3, capped here by the broker count).' }),
  'offsets.commit.timeout.ms': ms('How long the coordinator waits for an OffsetCommit to reach every ISR member of its __consumer_offsets partition (default 5000).'),
  'group.initial.rebalance.delay.ms': ms('How long the coordinator waits for more members before the first rebalance of an empty group (default 3000).'),
  'transaction.state.log.num.partitions': partitionCount.optional().meta({
    description: 'Partitions of the internal __transaction_state topic (default 50); a transactional.id\'s coordinator is the leader of partition abs(transactionalId.hashCode()) % this. The topic is created when a producer sets transactional.id.',
  }),
  'transaction.state.log.replication.factor': positiveInt.optional().meta({ description: 'Replication factor of __transaction_state (default 3, capped here by the broker count).' }),
  'transaction.max.timeout.ms': z.number().int().min(1).optional().meta({ description: 'The largest transaction.timeout.ms a producer may ask for; InitProducerId with more is refused with INVALID_TRANSACTION_TIMEOUT (default 900000).' }),
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': z.number().int().min(1).optional().meta({
    description: 'How often the transaction coordinator aborts transactions open longer than their transaction.timeout.ms (default 10000).',
  }),
  'transactional.id.expiration.ms': z.number().int().min(1).optional().meta({
    description: 'How long the transaction coordinator keeps a transactional.id with no transaction open and no update (default 604800000, 7 days); then it writes a tombstone to __transaction_state and forgets it: the next InitProducerId for that id gets a new producer id, and an old instance\'s requests get INVALID_PRODUCER_ID_MAPPING.',
  }),
  'transaction.remove.expired.transaction.cleanup.interval.ms': z.number().int().min(1).optional().meta({
    description: 'How often the transaction coordinator looks for transactional.ids to expire (default 3600000).',
  }),
  'transaction.partition.verification.enable': z.boolean().optional().meta({
    description: 'KIP-890 (Kafka 3.6+): a partition leader asks the transaction coordinator whether a transactional Produce\'s partition is in an ongoing transaction of that producer epoch before appending, and refuses it (INVALID_TXN_STATE) if not, so a late Produce cannot open a hanging transaction (default true; takes effect only with inter.broker.protocol.version >= 3.6).',
  }),
  'group.consumer.heartbeat.interval.ms': z.number().int().min(1).optional().meta({
    description: 'Consumer group protocol (KIP-848, group.protocol=consumer): how often members send ConsumerGroupHeartbeat; the coordinator sends it to them in every response (default 5000).',
  }),
  'group.consumer.session.timeout.ms': z.number().int().min(1).optional().meta({
    description: 'Consumer group protocol (KIP-848): a member without a heartbeat for this long is fenced and its partitions reassigned (default 45000). The client\'s session.timeout.ms does not apply to such groups.',
  }),
  'group.consumer.assignors': z.array(z.enum(SERVER_ASSIGNORS)).min(1).optional().meta({
    description: 'Consumer group protocol (KIP-848): the server-side assignors, the first being the default (default [uniform, range]). uniform spreads partitions evenly and sticks to current owners; range gives each member consecutive ranges per topic (co-partitioning). A member may ask for one with group.remote.assignor.',
  }),
}).superRefine((c, ctx) => {
  const hb = c['group.consumer.heartbeat.interval.ms'] ?? 5_000;
  const session = c['group.consumer.session.timeout.ms'] ?? 45_000;
  if (hb >= session) ctx.addIssue({ code: 'custom', path: ['group.consumer.heartbeat.interval.ms'], message: `group.consumer.heartbeat.interval.ms (${hb}) must be lower than group.consumer.session.timeout.ms (${session})` });
});

const topicName = z.string().regex(/^[A-Za-z0-9._-]+$/, 'a topic name uses letters, digits, ".", "_" and "-"');

export const kafkaTopic = z.strictObject({
  name: topicName,
  partitions: partitionCount.optional().meta({ description: 'Number of partitions (default 1).' }),
  replicationFactor: positiveInt.optional().meta({ description: 'Replicas per partition (default min(3, brokers)).' }),
  config: z.strictObject({
    'min.insync.replicas': positiveInt.optional().meta({ description: 'Topic override of min.insync.replicas.' }),
    'unclean.leader.election.enable': z.boolean().optional().meta({ description: 'Topic override of unclean.leader.election.enable.' }),
  }).optional(),
});

const acks = z.union([z.literal('0'), z.literal('1'), z.literal('all'), z.literal('-1'), z.literal(0), z.literal(1), z.literal(-1)], {
  error: 'expected acks "0", "1" or "all" (-1 is all)',
}).transform((v): Acks => (v === 'all' || v === '-1' || v === -1 ? 'all' : v === 0 || v === '0' ? '0' : '1'));

export const kafkaProducerConfig = z.strictObject({
  acks: acks.optional().meta({ description: 'Acknowledgements the producer waits for: "0" none, "1" the leader\'s, "all" every ISR member\'s (default all).' }),
  retries: z.number().int().min(0).optional().meta({ description: 'How many times a failed batch is resent (default 2147483647, bounded by delivery.timeout.ms).' }),
  'delivery.timeout.ms': ms('Upper bound on the time from send() to success or failure, retries included (default 120000).'),
  'request.timeout.ms': ms('How long the producer waits for a ProduceResponse (default 30000); the leader waits as long for acks=all.'),
  'retry.backoff.ms': ms('Wait before resending a failed batch (default 100).'),
  'max.in.flight.requests.per.connection': positiveInt.optional().meta({ description: 'Unanswered Produce requests per broker (default 5; at most 5 with idempotence).' }),
  'linger.ms': ms('How long a batch waits for more records before it is sent (default 0).'),
  'batch.size': bytes('Bytes at which a partition\'s batch is full and sent (default 16384).'),
  'metadata.max.age.ms': ms('How often the producer refreshes metadata even without an error (default 300000).'),
  'reconnect.backoff.ms': ms('Wait before connecting again to a broker whose connection closed or was refused (default 50); doubles with each failure, with 20% jitter.'),
  'reconnect.backoff.max.ms': ms('The most the reconnect back-off grows to (default 1000).'),
  'enable.idempotence': z.boolean().optional().meta({
    description: 'Producer id and per-partition sequence numbers so the leader drops a resent batch it already has (default true when acks=all, retries > 0 and max.in.flight <= 5, as in Kafka 3.x; requires acks=all).',
  }),
  'transactional.id': z.string().regex(/^[A-Za-z0-9._-]+$/, 'a transactional.id uses letters, digits, ".", "_" and "-"').optional().meta({
    description: 'Makes the producer transactional (KIP-98): initTransactions() finds the coordinator of this id and gets its producer id with a bumped epoch (fencing any older instance); records are written in transactions (mqsim key `transactions` says how many records each holds and which the application aborts). Requires enable.idempotence (acks=all, max.in.flight.requests.per.connection <= 5). Default: none.',
  }),
  'transaction.timeout.ms': z.number().int().min(1).optional().meta({
    description: 'How long a transaction may stay open before the coordinator aborts it and bumps the epoch (the producer is then fenced); at most the broker\'s transaction.max.timeout.ms (default 60000).',
  }),
}).superRefine((c, ctx) => {
  if (c['transactional.id'] !== undefined && c['enable.idempotence'] === false) {
    ctx.addIssue({ code: 'custom', path: ['enable.idempotence'], message: 'transactional.id requires enable.idempotence=true (Kafka: "Cannot set a transactional.id without also enabling idempotence")' });
  }
  if (c['transactional.id'] !== undefined && c.acks !== undefined && c.acks !== 'all') {
    ctx.addIssue({ code: 'custom', path: ['acks'], message: 'transactional.id requires acks=all (idempotence does)' });
  }
  if (c['transactional.id'] !== undefined && (c['max.in.flight.requests.per.connection'] ?? 5) > 5) {
    ctx.addIssue({ code: 'custom', path: ['max.in.flight.requests.per.connection'], message: 'transactional.id requires max.in.flight.requests.per.connection <= 5 (idempotence does)' });
  }
  if (c['transactional.id'] === undefined && c['transaction.timeout.ms'] !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['transaction.timeout.ms'], message: 'transaction.timeout.ms needs transactional.id (only a transactional producer has transactions)' });
  }
  if (c['enable.idempotence'] === true && c.acks !== undefined && c.acks !== 'all') {
    ctx.addIssue({ code: 'custom', path: ['enable.idempotence'], message: 'enable.idempotence=true requires acks=all (Kafka refuses this config)' });
  }
  if (c['enable.idempotence'] === true && (c['max.in.flight.requests.per.connection'] ?? 5) > 5) {
    ctx.addIssue({ code: 'custom', path: ['max.in.flight.requests.per.connection'], message: 'enable.idempotence=true requires max.in.flight.requests.per.connection <= 5' });
  }
});

export const kafkaConsumerConfig = z.strictObject({
  'fetch.max.wait.ms': ms('How long the leader holds a consumer Fetch when nothing new is below the high watermark (default 500).'),
  'fetch.min.bytes': bytes('The least data the leader answers a Fetch with: it holds the Fetch, up to fetch.max.wait.ms, until this many bytes can be read (default 1: as soon as there is a record). Kafka counts the bytes over all partitions of a request; here each partition\'s Fetch counts its own.'),
  'max.partition.fetch.bytes': bytes('The most bytes fetched per partition in one Fetch (default 1048576).'),
  'auto.offset.reset': z.enum(['earliest', 'latest']).optional().meta({ description: 'Where a consumer without a position starts: earliest (log start) or latest (high watermark; default).' }),
  'request.timeout.ms': ms('How long the consumer waits for a response (default 30000).'),
  'retry.backoff.ms': ms('Wait before retrying after an error (default 100).'),
  'enable.auto.commit': z.boolean().optional().meta({
    description: 'Commit, inside poll() once auto.commit.interval.ms has passed, the offsets of the records returned by earlier polls (default true).',
  }),
  'auto.commit.interval.ms': ms('How often poll() auto-commits (default 5000).'),
  'session.timeout.ms': ms('A member whose heartbeats stop for this long is removed by the coordinator, which rebalances the group (default 45000).'),
  'heartbeat.interval.ms': ms('How often the heartbeat thread sends Heartbeat to the coordinator (default 3000).'),
  'max.poll.interval.ms': ms('A member that does not call poll() for this long leaves the group (KIP-62; default 300000); also its rebalance timeout.'),
  'max.poll.records': positiveInt.optional().meta({ description: 'The most records one poll() returns (default 500).' }),
  'metadata.max.age.ms': ms('How often the consumer refreshes metadata even without an error (default 300000); the group leader notices added partitions then.'),
  'reconnect.backoff.ms': ms('Wait before connecting again to a broker whose connection closed or was refused (default 50); doubles with each failure, with 20% jitter.'),
  'reconnect.backoff.max.ms': ms('The most the reconnect back-off grows to (default 1000).'),
  'group.instance.id': z.string().regex(/^[A-Za-z0-9._-]+$/, 'a group.instance.id uses letters, digits, ".", "_" and "-"').optional().meta({
    description: 'Static membership (KIP-345, subscribe mode): the member keeps this identity across restarts, sends no LeaveGroup on close, and a restart within session.timeout.ms gets its partitions back without a rebalance. With count > 1 each member gets "<id>-<n>" (n = 1..count); two processes with the same id fence each other (FENCED_INSTANCE_ID). Default: none (a dynamic member).',
  }),
  'group.protocol': z.enum(['classic', 'consumer']).optional().meta({
    description: 'The group protocol (subscribe mode): classic (default in Kafka 4.x clients: JoinGroup/SyncGroup/Heartbeat, client-side assignors) or consumer (KIP-848: ConsumerGroupHeartbeat, member and group epochs, server-side assignors, incremental reconciliation, no group-wide rebalance). With consumer, session.timeout.ms, heartbeat.interval.ms and partition.assignment.strategy are refused as Kafka refuses them: the broker\'s group.consumer.* configs rule.',
  }),
  'group.remote.assignor': z.enum(SERVER_ASSIGNORS).optional().meta({
    description: 'group.protocol=consumer: the server-side assignor this member asks for (default none: the first of the broker\'s group.consumer.assignors).',
  }),
  'isolation.level': z.enum(['read_uncommitted', 'read_committed']).optional().meta({
    description: 'read_uncommitted (default): fetch up to the high watermark, records of open and aborted transactions included; read_committed: fetch up to the last stable offset and drop the records of aborted transactions (the FetchResponse lists them).',
  }),
  'partition.assignment.strategy': z.enum(['range', 'roundrobin', 'sticky', 'cooperative-sticky']).optional().meta({
    description: 'The assignor the group uses (default range: Kafka 3.x lists [range, cooperative-sticky] and a group uses the first one every member supports, which is range). cooperative-sticky selects the incremental cooperative protocol (KIP-429).',
  }),
});

const metadataMode = z.enum(['zookeeper', 'kraft'], { error: 'expected cluster.metadata zookeeper or kraft' });

export const kafkaParts: ModelScenarioParts = {
  // Measured over the shipped scenarios: median events per delivery; background timers per node-second.
  cost: { eventsPerDelivery: 8.5, idleEventsPerNodeSecond: 20 },
  system: 'kafka',
  description:
    'Apache Kafka: brokers with replicated partition logs; cluster metadata in ZooKeeper (a session/ephemeral-node controller election) '
    + 'or KRaft (a Raft quorum of controllers, brokers registering, heartbeating and fetching the __cluster_metadata log); '
    + 'the controller electing leaders from the ISR, idempotent producers with acks 0/1/all, consumer groups (coordinator on __consumer_offsets, JoinGroup/SyncGroup rebalances, committed offsets) and assign()-mode consumers.',
  clusterConfig: kafkaClusterConfig,
  clusterFields: {
    brokers: nodeCount.optional().meta({ description: 'Number of brokers, named broker-1..broker-N (default 3).' }),
    version: z.enum(KAFKA_VERSIONS, { error: `expected cluster.version ${KAFKA_VERSIONS.map((v) => `"${v}"`).join(' or ')}` }).optional().meta({
      description: 'mqsim model key: the Kafka version the model follows where versions differ in what users see (default "3.9"). "3.9": ZooKeeper mode is there and is the default metadata mode; "4.0": Kafka 4 removed ZooKeeper, so the cluster runs KRaft and cluster.metadata: zookeeper is refused.',
    }),
    metadata: metadataMode.optional().meta({
      description: 'Cluster metadata mode: zookeeper (default with cluster.version 3.9; refused with 4.0: a `zookeeper` node, the controller elected by the ephemeral /controller znode) or kraft (KIP-500: dedicated controller nodes controller-1..N form a Raft quorum, KIP-595, whose leader is the active controller; brokers register and heartbeat, KIP-631, and learn metadata by fetching __cluster_metadata).',
    }),
    controllers: nodeCount.optional().meta({
      description: 'KRaft: the controller quorum voters (controller.quorum.voters), dedicated controller nodes named controller-1..controller-N (default 3; a majority must be up to elect a leader or commit a metadata record). Only with metadata: kraft.',
    }),
    combined: z.boolean().optional().meta({
      description: 'KRaft combined mode (process.roles=broker,controller on the first `controllers` brokers, which then are the quorum voters; default false: dedicated controller nodes controller-1..N). A combined node\'s crash takes a broker and a voter down together. Only with metadata: kraft.',
    }),
    invariants: z.boolean().optional().meta({
      description: 'mqsim model key: check the replication invariants (leader in ISR, strong ISR, no committed record lost, log matching, consumers below the high watermark) after every control-plane change, stopping the run at the first violation (default false).',
    }),
  },
  sections: {
    topics: z.array(kafkaTopic).min(1)
      .refine((topics) => topics.reduce((n, t) => n + (t.partitions ?? 1), 0) <= BOUNDS.partitions, `at most ${BOUNDS.partitions.toLocaleString('en-US')} partitions in the cluster, over all topics`)
      .optional().meta({ description: 'Topics created at start (default one topic "orders" with 1 partition).' }),
    admin: z.array(z.union([z.strictObject({
      at: duration,
      addPartitions: z.strictObject({
        topic: topicName,
        count: partitionCount.meta({ description: 'The new partition count (must be larger than the current one).' }),
      }).meta({ description: 'CreatePartitions (kafka-topics --alter --partitions N) to the controller: the topic grows to `count` partitions.' }),
    }), z.strictObject({
      at: duration,
      abortTransaction: z.strictObject({
        topic: topicName,
        partition: z.number().int().min(0).meta({ description: 'The partition whose open transaction is aborted.' }),
      }).meta({ description: 'kafka-transactions.sh find-hanging then abort (KIP-664): DescribeProducers to the partition\'s leader, then WriteTxnMarkers with an ABORT marker for the producer whose open transaction starts first (the one holding the LSO).' }),
    })], { error: 'expected an admin step: { at: 10s, addPartitions: { topic: orders, count: 6 } } or { at: 30s, abortTransaction: { topic: orders, partition: 2 } }' })).optional().meta({
      description: 'Admin client operations at given times, e.g. { at: 10s, addPartitions: { topic: orders, count: 6 } } (ZooKeeper mode) or { at: 30s, abortTransaction: { topic: orders, partition: 2 } }. Producers keep the partition count they started with; consumer group leaders notice the change on their next metadata refresh (metadata.max.age.ms) and rebalance.',
    }),
  },
  producerFields: {
    topic: topicName.optional().meta({ description: 'Topic the producer writes to (default the first topic).' }),
    delay: duration.optional().meta({
      description: 'mqsim model key: the delivery delay the application wants (Kafka has none built in). The producer writes to its topic, a delay topic that a consumer group with `delayScheduler: { delay: <the same>, target: ... }` forwards when due; the delay is recorded with each send so delay accuracy is measured.',
    }),
    transactions: z.strictObject({
      records: positiveInt.meta({ description: 'Records per transaction: the application calls beginTransaction(), sends this many records, then commitTransaction().' }),
      abortEvery: positiveInt.optional().meta({ description: 'The application calls abortTransaction() instead of committing every n-th transaction (default never).' }),
    }).optional().meta({
      description: 'mqsim model key (needs config transactional.id): how the application groups its records into transactions. Default with transactional.id: one record per transaction, all committed.',
    }),
  },
  producerConfig: kafkaProducerConfig,
  consumerFields: {
    topic: topicName.optional().meta({ description: 'Topic the consumer reads (default the first topic).' }),
    topics: z.array(topicName).min(1).optional().meta({ description: 'subscribe mode: subscribe(topics) to several topics at start (instead of topic); the assignor spreads their partitions over the group.' }),
    mode: z.enum(['subscribe', 'assign']).optional().meta({
      description: 'subscribe: a consumer group member (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, committed offsets, rebalances); assign (default, one consumer only): assign() every partition, no group membership, never rebalances.',
    }),
    processingMode: z.enum(['sync', 'async-pool']).optional().meta({
      description: 'mqsim model key, not a Kafka config: how the application handles what poll() returns. sync (default): processes each record in the poll loop, then polls again; async-pool: hands records to a worker pool and polls again at once (auto-commit may then commit records not yet processed).',
    }),
    workers: positiveInt.optional().meta({ description: 'mqsim model key: worker threads of an async-pool (default 4).' }),
    commit: z.enum(['auto', 'manual-sync-after', 'manual-async-after', 'manual-before']).optional().meta({
      description: 'mqsim model key, the application\'s commit pattern (subscribe mode): auto (enable.auto.commit; the default unless enable.auto.commit is false); manual-sync-after: commitSync() after processing each poll\'s records (the default when enable.auto.commit is false); manual-async-after: commitAsync() after processing; manual-before: commitSync() of what poll() returned before processing it. The manual modes need enable.auto.commit: false.',
    }),
    steps: z.array(z.union([
      z.strictObject({
        at: duration,
        subscribe: z.array(topicName).min(1).meta({ description: 'consumer.subscribe(topics): the new subscription; the member rejoins with the new topics in its JoinGroup metadata and the group rebalances.' }),
      }),
      z.strictObject({
        at: duration,
        close: z.literal(true).meta({ description: 'consumer.close(): the loop finishes its batch and its commit, auto-commit commits synchronously, a dynamic member sends LeaveGroup (a static one does not), the process exits.' }),
      }),
      z.strictObject({
        at: duration,
        start: z.literal(true).meta({ description: 'A new process of the same consumer (same name, same group.instance.id) starts after a close and subscribes: a rolling restart.' }),
      }),
    ], { error: 'expected a consumer step: { at: 10s, subscribe: [orders, payments] }, { at: 20s, close: true } or { at: 25s, start: true }' })).optional().meta({
      description: 'mqsim model key (subscribe mode): what the application does at given times, applied to every consumer of the entry: subscribe to other topics, close() the consumer, start a new process (close then start = a rolling restart).',
    }),
    delayScheduler: z.strictObject({
      delay: duration.meta({ description: 'How long every record of the delay topic waits: due at its timestamp (CreateTime) plus this.' }),
      target: topicName.meta({ description: 'The topic due records are forwarded to (same key).' }),
      pollTimeout: duration.optional().meta({ description: 'The scheduler loop\'s poll(Duration) timeout (default 1s): how often it checks whether a paused partition\'s head is due, hence how late a message may leave.' }),
    }).optional().meta({
      description: 'mqsim model key (subscribe mode), the seed article\'s Kafka delay recipe: this group reads a delay topic and forwards each record to `target` once due, pausing a partition (consumer.pause + seek) while its head is not due; forward, flush, commitSync: at-least-once. Its own receives are not deliveries: the target topic\'s consumers deliver.',
    }),
    errorHandling: z.union([
      z.strictObject({
        mode: z.literal('blocking').meta({ description: 'Retry in place (Spring Kafka DefaultErrorHandler with a FixedBackOff): the partition is sought back to the failed record, which is processed again after the back-off; records behind it wait.' }),
        attempts: positiveInt.optional().meta({ description: 'Attempts in all, the first included (Spring: FixedBackOff maxAttempts + 1; default 10).' }),
        backoff: duration.optional().meta({ description: 'Wait before each new attempt (Spring: FixedBackOff interval; default 0s).' }),
        dlt: z.boolean().optional().meta({ description: 'After the last attempt, produce the record to <topic>-dlt (DeadLetterPublishingRecoverer); false (default): log it and skip it, its offset committed past.' }),
      }),
      z.strictObject({
        mode: z.literal('retry-topics').meta({ description: 'Non-blocking retries (Spring Kafka @RetryableTopic): a failed record goes to <topic>-retry-<backoff> and the partition goes on; the group also reads each retry topic, holding a record until its timestamp plus that back-off.' }),
        backoff: z.array(duration).min(1).max(10).meta({ description: 'One retry topic per back-off, in order, e.g. [5s, 30s]: topics orders-retry-5s, orders-retry-30s (declare them under topics:). Attempts = 1 + their number.' }),
        dlt: z.boolean().optional().meta({ description: 'After the last retry topic, produce the record to <topic>-dlt (default true: Spring\'s DltStrategy ALWAYS_RETRY_ON_ERROR); false: NO_DLT, the record is dropped.' }),
      }),
    ], { error: 'expected errorHandling { mode: blocking, attempts, backoff, dlt } or { mode: retry-topics, backoff: [5s, 30s], dlt }' }).optional().meta({
      description: 'mqsim model key (subscribe mode), in Spring for Apache Kafka\'s vocabulary: what the application does when processing a record fails (failureRate). Kafka itself neither redelivers nor dead-letters. Without it, a consumer with failureRate gets Spring\'s default error handler: 10 attempts in place, no back-off, then the record is logged and skipped.',
    }),
    pipeline: z.strictObject({
      output: topicName.meta({ description: 'The topic each record read is written to (same key, same message id).' }),
      'processing.guarantee': z.enum(['at_least_once', 'exactly_once_v2']).optional().meta({
        description: 'Kafka Streams\' processing.guarantee. at_least_once (default): produce, flush(), then commitSync() the consumed offsets. exactly_once_v2 (KIP-447): one transactional producer per instance (transactional.id <consumer>-txn); each poll\'s records and the consumed offsets (sendOffsetsToTransaction with the consumer\'s group metadata) are committed in one transaction; the consumer reads read_committed.',
      }),
      'enable.idempotence': z.boolean().optional().meta({ description: 'The instances\' producers\' enable.idempotence (default true, the Kafka 3.x producer default; always true with exactly_once_v2): a batch resent after a lost response is not written twice. It does not stop a record processed again after a crash from being written again.' }),
      'transaction.timeout.ms': positiveInt.optional().meta({ description: 'exactly_once_v2: transaction.timeout.ms of the instances\' producers (Kafka Streams\' default 10000): how long a crashed instance\'s open transaction holds the output\'s LSO before its coordinator aborts it.' }),
    }).optional().meta({
      description: 'mqsim model key (subscribe mode): the consume-transform-produce application (a one-processor Kafka Streams topology): this group reads its topic and writes each record to `output`. As Kafka Streams, it sets enable.auto.commit=false (and isolation.level=read_committed with exactly_once_v2). Its own receives are not deliveries: the output topic\'s consumers deliver.',
    }),
    dispatch: z.strictObject({
      targets: z.array(topicName).min(1).meta({ description: 'The N topics records are fanned out to, each read by its own group.' }),
      by: z.enum(['key', 'round-robin']).optional().meta({ description: 'key (default): topic toPositive(murmur2(key)) % N, per-key order kept; round-robin: in turn.' }),
    }).optional().meta({
      description: 'mqsim model key (subscribe mode), the seed article\'s backlog cure: this group re-produces every record it reads to one of `targets` (forward, flush, commitSync: at-least-once), multiplying the consumers that can work in parallel. Its own receives are not deliveries.',
    }),
  },
  consumerConfig: kafkaConsumerConfig,
  metrics: [
    'leaderElections', 'uncleanElections', 'controllerElections', 'isrShrinks', 'isrExpands', 'truncatedRecords',
    'notEnoughReplicas', 'offlinePartitionsMax', 'producerRetries', 'duplicateBatches', 'segmentsRolled', 'segmentsDeleted',
    'rebalances', 'membersRemoved', 'sessionTimeouts', 'maxPollLeaves', 'offsetCommits', 'coordinatorLoads', 'idleConsumersMax', 'revocations',
    'brokerFencings', 'brokerFailureDetectionMsMax', 'controllerFailoverMsMax', 'metadataRecordsTruncated', 'invariantChecks',
    'staticMemberReplacements', 'fencedInstanceRequests', 'generationMax', 'lagMax', 'partitionsAdded',
    'recordsToAddedPartitions', 'partitionsMovedOnRebalance', 'coordinatorMoves', 'ackLatencyMsMax',
    'retried', 'deadLettered', 'recordsSkipped', 'fencedMemberEpochs', 'partitionsUnownedMs', 'partitionsUnownedMax', 'partitionUnownedMsMax', 'partitionUnownedMsTotal', 'partitionUnownedMsMean',
    'transactionsCommitted', 'transactionsAborted', 'transactionsTimedOut', 'transactionsFenced', 'fencedProduceRequests',
    'fencedTxnRequests', 'transactionalIdsExpired', 'txnOffsetCommitsFenced', 'unstableOffsetFetches', 'transactionsAbortedByAdmin', 'unverifiedTxnProduces', 'unstablePartitionsAtEnd', 'lsoStuckMsMax',
  ],
};

export type KafkaClusterConfig = z.output<typeof kafkaClusterConfig>;
export type KafkaTopicSpec = z.output<typeof kafkaTopic>;
export type KafkaProducerConfig = z.output<typeof kafkaProducerConfig>;
export type KafkaConsumerConfig = z.output<typeof kafkaConsumerConfig>;

const MS = 1_000;

export interface BrokerConfig {
  uncleanLeaderElection: boolean;
  minInsyncReplicas: number;
  replicaLagTimeMax: Micros;
  replicaFetchWaitMax: Micros;
  replicaFetchMaxBytes: number;
  replicaFetchBackoff: Micros;
  replicaSocketTimeout: Micros;
  hwCheckpointInterval: Micros;
  zkSessionTimeout: Micros;
  controllerSocketTimeout: Micros;
  controlledShutdown: boolean;
  controlledShutdownMaxRetries: number;
  controlledShutdownRetryBackoff: Micros;
  quorumElectionTimeout: Micros;
  quorumFetchTimeout: Micros;
  quorumElectionBackoffMax: Micros;
  quorumRequestTimeout: Micros;
  brokerHeartbeatInterval: Micros;
  brokerSessionTimeout: Micros;
  ibp: string;
  /** True when inter.broker.protocol.version >= 0.11.0 (KIP-101 leader epochs). */
  leaderEpochs: boolean;
  autoLeaderRebalance: boolean;
  leaderImbalanceCheckInterval: Micros;
  leaderImbalancePercentage: number;
  segmentBytes: number;
  indexIntervalBytes: number;
  flushMessages: number;
  retentionMs: number;
  retentionBytes: number;
  retentionCheckInterval: Micros;
  offsetsTopicPartitions: number;
  offsetsTopicReplicationFactor: number;
  offsetsCommitTimeout: Micros;
  groupInitialRebalanceDelay: Micros;
  consumerHeartbeatInterval: Micros;
  consumerSessionTimeout: Micros;
  consumerAssignors: readonly ServerAssignorName[];
  transactionStatePartitions: number;
  transactionStateReplicationFactor: number;
  transactionMaxTimeoutMs: number;
  transactionAbortTimedOutInterval: Micros;
  transactionalIdExpiration: Micros;
  transactionRemoveExpiredInterval: Micros;
  /** KIP-890 partition verification: transaction.partition.verification.enable and an inter.broker.protocol.version >= 3.6. */
  transactionPartitionVerification: boolean;
}

/** Whether a version string is at least major.minor. */
export function ibpAtLeast(version: string, major: number, minor: number): boolean {
  const [ma, mi] = version.split('.').map((p) => Number.parseInt(p, 10));
  if (ma === undefined || Number.isNaN(ma)) return true;
  return ma > major || (ma === major && (mi ?? 0) >= minor);
}

/** Whether a version string is at least 0.11.0 (leader-epoch truncation). */
export function ibpHasLeaderEpochs(version: string): boolean {
  const [major, minor] = version.split('.').map((p) => Number.parseInt(p, 10));
  if (major === undefined || Number.isNaN(major)) return true;
  if (major >= 1) return true;
  return (minor ?? 0) >= 11;
}

export function resolveBrokerConfig(c: KafkaClusterConfig | undefined): BrokerConfig {
  const d = KAFKA_DEFAULTS;
  const ibp = c?.['inter.broker.protocol.version'] ?? d['inter.broker.protocol.version'];
  return {
    uncleanLeaderElection: c?.['unclean.leader.election.enable'] ?? d['unclean.leader.election.enable'],
    minInsyncReplicas: c?.['min.insync.replicas'] ?? d['min.insync.replicas'],
    replicaLagTimeMax: (c?.['replica.lag.time.max.ms'] ?? d['replica.lag.time.max.ms']) * MS,
    replicaFetchWaitMax: (c?.['replica.fetch.wait.max.ms'] ?? d['replica.fetch.wait.max.ms']) * MS,
    replicaFetchMaxBytes: c?.['replica.fetch.max.bytes'] ?? d['replica.fetch.max.bytes'],
    replicaFetchBackoff: (c?.['replica.fetch.backoff.ms'] ?? d['replica.fetch.backoff.ms']) * MS,
    replicaSocketTimeout: (c?.['replica.socket.timeout.ms'] ?? d['replica.socket.timeout.ms']) * MS,
    hwCheckpointInterval: (c?.['replica.high.watermark.checkpoint.interval.ms'] ?? d['replica.high.watermark.checkpoint.interval.ms']) * MS,
    zkSessionTimeout: (c?.['zookeeper.session.timeout.ms'] ?? d['zookeeper.session.timeout.ms']) * MS,
    controllerSocketTimeout: (c?.['controller.socket.timeout.ms'] ?? d['controller.socket.timeout.ms']) * MS,
    controlledShutdown: c?.['controlled.shutdown.enable'] ?? d['controlled.shutdown.enable'],
    controlledShutdownMaxRetries: c?.['controlled.shutdown.max.retries'] ?? d['controlled.shutdown.max.retries'],
    controlledShutdownRetryBackoff: (c?.['controlled.shutdown.retry.backoff.ms'] ?? d['controlled.shutdown.retry.backoff.ms']) * MS,
    quorumElectionTimeout: (c?.['controller.quorum.election.timeout.ms'] ?? d['controller.quorum.election.timeout.ms']) * MS,
    quorumFetchTimeout: (c?.['controller.quorum.fetch.timeout.ms'] ?? d['controller.quorum.fetch.timeout.ms']) * MS,
    quorumElectionBackoffMax: (c?.['controller.quorum.election.backoff.max.ms'] ?? d['controller.quorum.election.backoff.max.ms']) * MS,
    quorumRequestTimeout: (c?.['controller.quorum.request.timeout.ms'] ?? d['controller.quorum.request.timeout.ms']) * MS,
    brokerHeartbeatInterval: (c?.['broker.heartbeat.interval.ms'] ?? d['broker.heartbeat.interval.ms']) * MS,
    brokerSessionTimeout: (c?.['broker.session.timeout.ms'] ?? d['broker.session.timeout.ms']) * MS,
    ibp,
    leaderEpochs: ibpHasLeaderEpochs(ibp),
    autoLeaderRebalance: c?.['auto.leader.rebalance.enable'] ?? d['auto.leader.rebalance.enable'],
    leaderImbalanceCheckInterval: (c?.['leader.imbalance.check.interval.seconds'] ?? d['leader.imbalance.check.interval.seconds']) * 1_000_000,
    leaderImbalancePercentage: c?.['leader.imbalance.per.broker.percentage'] ?? d['leader.imbalance.per.broker.percentage'],
    segmentBytes: c?.['log.segment.bytes'] ?? d['log.segment.bytes'],
    indexIntervalBytes: c?.['index.interval.bytes'] ?? d['index.interval.bytes'],
    flushMessages: c?.['log.flush.interval.messages'] ?? d['log.flush.interval.messages'],
    retentionMs: c?.['log.retention.ms'] ?? d['log.retention.ms'],
    retentionBytes: c?.['log.retention.bytes'] ?? d['log.retention.bytes'],
    retentionCheckInterval: (c?.['log.retention.check.interval.ms'] ?? d['log.retention.check.interval.ms']) * MS,
    offsetsTopicPartitions: c?.['offsets.topic.num.partitions'] ?? d['offsets.topic.num.partitions'],
    offsetsTopicReplicationFactor: c?.['offsets.topic.replication.factor'] ?? d['offsets.topic.replication.factor'],
    offsetsCommitTimeout: (c?.['offsets.commit.timeout.ms'] ?? d['offsets.commit.timeout.ms']) * MS,
    groupInitialRebalanceDelay: (c?.['group.initial.rebalance.delay.ms'] ?? d['group.initial.rebalance.delay.ms']) * MS,
    consumerHeartbeatInterval: (c?.['group.consumer.heartbeat.interval.ms'] ?? d['group.consumer.heartbeat.interval.ms']) * MS,
    consumerSessionTimeout: (c?.['group.consumer.session.timeout.ms'] ?? d['group.consumer.session.timeout.ms']) * MS,
    consumerAssignors: c?.['group.consumer.assignors'] ?? d['group.consumer.assignors'],
    transactionStatePartitions: c?.['transaction.state.log.num.partitions'] ?? d['transaction.state.log.num.partitions'],
    transactionStateReplicationFactor: c?.['transaction.state.log.replication.factor'] ?? d['transaction.state.log.replication.factor'],
    transactionMaxTimeoutMs: c?.['transaction.max.timeout.ms'] ?? d['transaction.max.timeout.ms'],
    transactionAbortTimedOutInterval: (c?.['transaction.abort.timed.out.transaction.cleanup.interval.ms'] ?? d['transaction.abort.timed.out.transaction.cleanup.interval.ms']) * MS,
    transactionalIdExpiration: (c?.['transactional.id.expiration.ms'] ?? d['transactional.id.expiration.ms']) * MS,
    transactionRemoveExpiredInterval: (c?.['transaction.remove.expired.transaction.cleanup.interval.ms'] ?? d['transaction.remove.expired.transaction.cleanup.interval.ms']) * MS,
    transactionPartitionVerification: (c?.['transaction.partition.verification.enable'] ?? d['transaction.partition.verification.enable']) && ibpAtLeast(ibp, 3, 6),
  };
}

export interface ProducerConfig {
  acks: Acks;
  retries: number;
  deliveryTimeout: Micros;
  requestTimeout: Micros;
  retryBackoff: Micros;
  maxInFlight: number;
  linger: Micros;
  batchSize: number;
  idempotence: boolean;
  metadataMaxAge: Micros;
  /** transactional.id (null: not transactional) and transaction.timeout.ms. */
  transactionalId: string | null;
  transactionTimeoutMs: number;
  reconnectBackoff: Micros;
  reconnectBackoffMax: Micros;
}

export function resolveProducerConfig(c: KafkaProducerConfig | undefined): ProducerConfig {
  const d = KAFKA_DEFAULTS;
  const acksValue = c?.acks ?? d.acks;
  const retries = c?.retries ?? d.retries;
  const maxInFlight = c?.['max.in.flight.requests.per.connection'] ?? d['max.in.flight.requests.per.connection'];
  // Kafka 3.x: idempotence is on by default unless the other settings conflict with it.
  // A transactional producer is idempotent (the schema refuses enable.idempotence=false with transactional.id).
  const idempotence = c?.['enable.idempotence'] ?? (c?.['transactional.id'] !== undefined || (acksValue === 'all' && retries > 0 && maxInFlight <= 5));
  return {
    acks: acksValue,
    retries,
    deliveryTimeout: (c?.['delivery.timeout.ms'] ?? d['delivery.timeout.ms']) * MS,
    requestTimeout: (c?.['request.timeout.ms'] ?? d['request.timeout.ms']) * MS,
    retryBackoff: (c?.['retry.backoff.ms'] ?? d['retry.backoff.ms']) * MS,
    maxInFlight,
    linger: (c?.['linger.ms'] ?? d['linger.ms']) * MS,
    batchSize: c?.['batch.size'] ?? d['batch.size'],
    idempotence,
    metadataMaxAge: (c?.['metadata.max.age.ms'] ?? 300_000) * MS,
    transactionalId: c?.['transactional.id'] ?? null,
    transactionTimeoutMs: c?.['transaction.timeout.ms'] ?? d['transaction.timeout.ms'],
    reconnectBackoff: (c?.['reconnect.backoff.ms'] ?? d['reconnect.backoff.ms']) * MS,
    reconnectBackoffMax: (c?.['reconnect.backoff.max.ms'] ?? d['reconnect.backoff.max.ms']) * MS,
  };
}

export interface ConsumerConfig {
  fetchMaxWait: Micros;
  fetchMinBytes: number;
  maxPartitionFetchBytes: number;
  autoOffsetReset: 'earliest' | 'latest';
  requestTimeout: Micros;
  retryBackoff: Micros;
  enableAutoCommit: boolean;
  /** Whether enable.auto.commit was set explicitly. */
  autoCommitExplicit: boolean;
  autoCommitInterval: Micros;
  sessionTimeout: Micros;
  heartbeatInterval: Micros;
  maxPollInterval: Micros;
  maxPollRecords: number;
  strategy: AssignmentStrategy;
  metadataMaxAge: Micros;
  groupProtocol: 'classic' | 'consumer';
  remoteAssignor: ServerAssignorName | null;
  readCommitted: boolean;
  reconnectBackoff: Micros;
  reconnectBackoffMax: Micros;
}

export function resolveConsumerConfig(c: KafkaConsumerConfig | undefined): ConsumerConfig {
  const d = KAFKA_DEFAULTS;
  return {
    fetchMaxWait: (c?.['fetch.max.wait.ms'] ?? d['fetch.max.wait.ms']) * MS,
    fetchMinBytes: c?.['fetch.min.bytes'] ?? d['fetch.min.bytes'],
    maxPartitionFetchBytes: c?.['max.partition.fetch.bytes'] ?? d['max.partition.fetch.bytes'],
    autoOffsetReset: c?.['auto.offset.reset'] ?? d['auto.offset.reset'],
    requestTimeout: (c?.['request.timeout.ms'] ?? 30_000) * MS,
    retryBackoff: (c?.['retry.backoff.ms'] ?? 100) * MS,
    enableAutoCommit: c?.['enable.auto.commit'] ?? d['enable.auto.commit'],
    autoCommitExplicit: c?.['enable.auto.commit'] !== undefined,
    autoCommitInterval: (c?.['auto.commit.interval.ms'] ?? d['auto.commit.interval.ms']) * MS,
    sessionTimeout: (c?.['session.timeout.ms'] ?? d['session.timeout.ms']) * MS,
    heartbeatInterval: (c?.['heartbeat.interval.ms'] ?? d['heartbeat.interval.ms']) * MS,
    maxPollInterval: (c?.['max.poll.interval.ms'] ?? d['max.poll.interval.ms']) * MS,
    maxPollRecords: c?.['max.poll.records'] ?? d['max.poll.records'],
    strategy: c?.['partition.assignment.strategy'] ?? d['partition.assignment.strategy'],
    metadataMaxAge: (c?.['metadata.max.age.ms'] ?? 300_000) * MS,
    groupProtocol: c?.['group.protocol'] ?? 'classic',
    remoteAssignor: c?.['group.remote.assignor'] ?? null,
    readCommitted: c?.['isolation.level'] === 'read_committed',
    reconnectBackoff: (c?.['reconnect.backoff.ms'] ?? d['reconnect.backoff.ms']) * MS,
    reconnectBackoffMax: (c?.['reconnect.backoff.max.ms'] ?? d['reconnect.backoff.max.ms']) * MS,
  };
}

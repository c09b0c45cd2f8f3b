import { z } from 'zod';
import type { ModelScenarioParts } from '../../sim/scenario/schema.js';
import { duration, nodeCount, nonNegativeInt, positiveInt, size } from '../../sim/scenario/fields.js';
import type { Micros } from '../../sim/time.js';
import { RABBIT_VERSIONS } from './version.js';

/**
 * RabbitMQ's part of the scenario schema: the topology (vhosts, exchanges, queues, bindings)
 * with AMQP 0-9-1 / RabbitMQ argument names, the producers' publish properties and the
 * clients' config. Defaults are applied in code (RABBIT_DEFAULTS) and stated in each key's
 * description; the schema itself fills in nothing.
 */

export const BROKER_NODE = 'rabbit-1';

/**
 * Quorum queue and cluster defaults (the x-delivery-limit default depends on the version: version.ts). Timing of Ra (election, heartbeat) and of the
 * client's command resend are model parameters, not rabbitmq.conf keys.
 */
export const QUORUM_DEFAULTS = {
  /** Replicas: up to three, one per node. */
  initialGroupSize: 3,
  electionTimeout: 1_000_000 as Micros,
  heartbeat: 250_000 as Micros,
  commandTimeout: 5_000_000 as Micros,
  netTicktime: 60_000_000 as Micros,
} as const;

export const RABBIT_DEFAULTS = {
  vhost: '/',
  user: 'guest',
  heartbeat: 60_000_000 as Micros,
  fsyncInterval: 200_000 as Micros,
  confirmTimeout: 30_000_000 as Micros,
  reconnectDelay: 5_000_000 as Micros,
  prefetch: 0,
  exchangeDurable: false,
} as const;

const entityName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'use letters, digits, ".", "_", ":" and "-" (no spaces)');
const vhostName = z.string().min(1).meta({ description: 'A virtual host name (default "/").' });
const headerValue = z.union([z.string(), z.number(), z.boolean()]);

export const EXCHANGE_TYPES = ['direct', 'fanout', 'topic', 'headers', 'x-delayed-message'] as const;
export type ExchangeType = (typeof EXCHANGE_TYPES)[number];
export const ROUTING_TYPES = ['direct', 'fanout', 'topic', 'headers'] as const;
export type RoutingType = (typeof ROUTING_TYPES)[number];

const exchange = z.strictObject({
  name: entityName,
  type: z.enum(EXCHANGE_TYPES).meta({ description: 'direct, fanout, topic, headers, or x-delayed-message (the delayed message exchange plugin; route by arguments.x-delayed-type).' }),
  vhost: vhostName.optional(),
  durable: z.boolean().optional().meta({ description: 'Survives a broker restart (default false, as exchange.declare).' }),
  internal: z.boolean().optional().meta({ description: 'Clients cannot publish to it, only other exchanges (default false).' }),
  arguments: z.strictObject({
    'alternate-exchange': z.string().optional().meta({ description: 'Where messages this exchange cannot route go (the AE).' }),
    'x-delayed-type': z.enum(ROUTING_TYPES).optional().meta({ description: 'For x-delayed-message: how to route once the x-delay has passed (required there).' }),
  }).optional(),
});

const queueArguments = z.strictObject({
  'x-message-ttl': duration.optional().meta({ description: 'Per-queue message TTL. Classic queues drop (or dead-letter) expired messages only at the head.' }),
  'x-expires': duration.optional().meta({ description: 'Queue TTL: the queue is deleted after being unused (no consumers, not redeclared) this long.' }),
  'x-dead-letter-exchange': z.string().optional().meta({ description: 'Exchange for dead-lettered messages (rejected/nacked without requeue, expired, overflow). "" is the default exchange.' }),
  'x-dead-letter-routing-key': z.string().optional().meta({ description: 'Routing key for dead-lettered messages (default: the message\'s own routing key).' }),
  'x-max-length': nonNegativeInt.optional().meta({ description: 'Most ready messages the queue keeps (no limit by default).' }),
  'x-max-length-bytes': size.optional().meta({ description: 'Most bytes of ready message bodies the queue keeps (no limit by default).' }),
  'x-overflow': z.enum(['drop-head', 'reject-publish', 'reject-publish-dlx']).optional().meta({ description: 'What a full queue does: drop-head (default: drop or dead-letter the oldest), reject-publish (nack the publisher), reject-publish-dlx (nack and dead-letter).' }),
  'x-max-priority': z.number().int().min(1).max(255).optional().meta({ description: 'Makes a priority queue with priorities 0..x-max-priority (RabbitMQ recommends at most 10).' }),
  'x-single-active-consumer': z.boolean().optional().meta({ description: 'Single active consumer: only one consumer (the earliest registered still subscribed) gets messages; when it is cancelled or its channel closes, the next registered one takes over and gets the requeued unacked messages (default false).' }),
  'x-queue-type': z.enum(['classic', 'quorum']).optional().meta({ description: 'classic (default) or quorum: a durable queue replicated by Raft over x-quorum-initial-group-size nodes; publishes are confirmed once a majority has fsynced them; must be durable, not exclusive, not auto-delete.' }),
  'x-quorum-initial-group-size': positiveInt.optional().meta({ description: 'Quorum queues: how many nodes hold a replica, from the declaring node on (default: up to three, one per node).' }),
  'x-delivery-limit': z.number().int().min(-1).optional().meta({ description: 'Quorum queues: a message returned (nack/reject with requeue, consumer gone, leader change) more times than this is dead-lettered (reason delivery_limit) or dropped; the count is the x-delivery-count header (default: 20 since RabbitMQ 4.0, no limit in 3.10, after cluster.version; -1: no limit).' }),
});

const queue = z.strictObject({
  name: entityName,
  vhost: vhostName.optional(),
  durable: z.boolean().meta({ description: 'The queue (and its persistent messages) survives a broker restart.' }),
  exclusive: z.boolean().optional().meta({ description: 'Owned by one connection; never survives a restart (default false).' }),
  autoDelete: z.boolean().optional().meta({ description: 'Deleted when its last consumer goes away (default false).' }),
  arguments: queueArguments.optional(),
  node: z.string().optional().meta({ description: 'The node that declares the queue (its client was connected there): a classic queue lives there (its home), a quorum queue\'s replicas start there (default rabbit-1).' }),
}).superRefine((q, ctx) => {
  if (q.arguments?.['x-queue-type'] !== 'quorum') {
    for (const key of ['x-quorum-initial-group-size', 'x-delivery-limit'] as const) {
      if (q.arguments?.[key] !== undefined) ctx.addIssue({ code: 'custom', path: ['arguments', key], message: `${key} applies to quorum queues only (x-queue-type: quorum)` });
    }
    return;
  }
  // As RabbitMQ answers queue.declare: 406 PRECONDITION_FAILED for what a quorum queue cannot be.
  if (!q.durable) ctx.addIssue({ code: 'custom', path: ['durable'], message: 'a quorum queue must be durable (PRECONDITION_FAILED - invalid property \'non-durable\' for queue)' });
  if (q.exclusive) ctx.addIssue({ code: 'custom', path: ['exclusive'], message: 'a quorum queue cannot be exclusive (PRECONDITION_FAILED - invalid property \'exclusive-owner\' for queue)' });
  if (q.autoDelete) ctx.addIssue({ code: 'custom', path: ['autoDelete'], message: 'a quorum queue cannot be auto-delete (PRECONDITION_FAILED - invalid property \'auto-delete\' for queue)' });
  for (const key of ['x-message-ttl', 'x-expires', 'x-max-length', 'x-max-length-bytes', 'x-overflow', 'x-max-priority'] as const) {
    if (q.arguments?.[key] !== undefined) ctx.addIssue({ code: 'custom', path: ['arguments', key], message: `${key} is not modelled for quorum queues yet` });
  }
});

const binding = z.strictObject({
  vhost: vhostName.optional(),
  exchange: z.string().meta({ description: 'The source exchange.' }),
  queue: z.string().optional().meta({ description: 'The destination queue.' }),
  toExchange: z.string().optional().meta({ description: 'The destination exchange (an exchange-to-exchange binding).' }),
  routingKey: z.string().optional().meta({ description: 'The binding key (default ""). For topic: words split by ".", "*" one word, "#" zero or more.' }),
  arguments: z.record(z.string(), headerValue).optional().meta({ description: 'For headers exchanges: x-match (all, default, or any) and the header values to match.' }),
}).refine((b) => (b.queue === undefined) !== (b.toExchange === undefined), { message: 'a binding names exactly one destination: queue or toExchange' });

const permission = z.strictObject({
  user: z.string().min(1),
  configure: z.string().optional().meta({ description: 'Refused: the regex of resource names the user may declare or delete. The scenario declares the topology (as an administrator loads definitions) and no modelled client declares or deletes anything, so it could change no run.' }),
  write: z.string().optional().meta({ description: 'Regex of exchange names the user may publish to (default "": none; the default exchange is "amq.default").' }),
  read: z.string().optional().meta({ description: 'Regex of queue names the user may consume from (default "": none).' }),
}).superRefine((p, ctx) => {
  // A key the schema takes must change the run (issue #15): no client here issues queue.declare or exchange.declare.
  if (p.configure !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['configure'], message: 'configure is not modelled: the scenario declares every queue and exchange and no client declares or deletes one, so the configure permission would change nothing; leave it out (write and read are checked)' });
  }
});

const vhost = z.strictObject({
  name: vhostName,
  permissions: z.array(permission).optional().meta({
    description: 'Who may use this vhost (set_permissions). When omitted, every user has ".*" for configure, write and read.',
  }),
});

/**
 * A policy (rabbitmqctl set_policy NAME PATTERN DEFINITION --apply-to ...) carrying the classic
 * queue mirroring keys (RabbitMQ before 4.0; models/rabbitmq/mirrored/). Only the ha-* keys are
 * modelled as policy keys; other queue settings are queue arguments.
 */
export const HA_MODES = ['all', 'exactly', 'nodes'] as const;
export type HaMode = (typeof HA_MODES)[number];
const haDefinition = z.strictObject({
  'ha-mode': z.enum(HA_MODES).meta({ description: 'Where the queue is mirrored: all (every node), exactly (ha-params replicas, leader included), nodes (the nodes named in ha-params).' }),
  'ha-params': z.union([positiveInt, z.array(z.string().min(1)).min(1)], { error: 'expected a count (ha-mode exactly) or a list of node names (ha-mode nodes)' }).optional().meta({ description: 'ha-mode exactly: the number of replicas (leader plus mirrors); ha-mode nodes: the node names (rabbit-1...). Not used with all.' }),
  'ha-sync-mode': z.enum(['manual', 'automatic']).optional().meta({ description: 'manual (default): a new mirror gets only new messages and is unsynchronised until the older ones are consumed; automatic: the leader synchronises a new mirror at once, blocking the queue while it does.' }),
  'ha-sync-batch-size': positiveInt.optional().meta({ description: 'Messages per synchronisation batch (default: mirroring_sync_batch_size, 4096).' }),
  'ha-promote-on-failure': z.enum(['always', 'when-synced']).optional().meta({ description: 'When the leader\'s node fails: always (default) promote the oldest mirror, synchronised or not; when-synced: only if it is synchronised, else the queue is unavailable until the leader comes back.' }),
  'ha-promote-on-shutdown': z.enum(['always', 'when-synced']).optional().meta({ description: 'When the leader\'s node is stopped in order (the `stop` fault: rabbitmqctl stop): when-synced (default) promotes the oldest mirror only if it is synchronised, else the queue is unavailable until the leader comes back; always promotes it anyway.' }),
}).superRefine((d, ctx) => {
  const params = d['ha-params'];
  if (d['ha-mode'] === 'all' && params !== undefined) ctx.addIssue({ code: 'custom', path: ['ha-params'], message: 'ha-mode all takes no ha-params' });
  if (d['ha-mode'] === 'exactly' && typeof params !== 'number') ctx.addIssue({ code: 'custom', path: ['ha-params'], message: 'ha-mode exactly needs ha-params: a count of replicas (leader plus mirrors), e.g. 2' });
  if (d['ha-mode'] === 'nodes' && !Array.isArray(params)) ctx.addIssue({ code: 'custom', path: ['ha-params'], message: 'ha-mode nodes needs ha-params: a list of node names, e.g. [rabbit-1, rabbit-2]' });
});

const policy = z.strictObject({
  name: z.string().min(1).meta({ description: 'The policy name (set_policy NAME).' }),
  pattern: z.string().meta({ description: 'Regex of the queue names the policy applies to (matched against the whole name as RabbitMQ does: unanchored, so use ^...$).' }),
  vhost: vhostName.optional(),
  'apply-to': z.enum(['all', 'queues', 'exchanges', 'classic_queues', 'quorum_queues']).optional().meta({ description: 'What the policy applies to (default all): all, queues or classic_queues reach classic queues, which are the only ones mirroring applies to; exchanges or quorum_queues (3.12+ names) reach none of them.' }),
  priority: z.number().int().optional().meta({ description: 'Of several matching policies the one with the highest priority applies (default 0).' }),
  definition: haDefinition,
});

export const rabbitClusterConfig = z.strictObject({
  heartbeat: duration.optional().meta({ description: 'The server\'s heartbeat timeout (rabbitmq.conf heartbeat, default 60s); the lower of client and server values is used.' }),
  cluster_partition_handling: z.enum(['ignore', 'pause_minority', 'autoheal']).optional().meta({ description: 'What nodes do about a network partition (rabbitmq.conf cluster_partition_handling): ignore (default: both sides keep serving), pause_minority (nodes that see no majority stop serving until they do), autoheal (on heal, the losing side restarts).' }),
  net_ticktime: duration.optional().meta({ description: 'Erlang\'s net ticktime (kernel net_ticktime, default 60s): nodes tick each other every net_ticktime/4 and a peer silent for net_ticktime is down.' }),
  'quorum.election.timeout': duration.optional().meta({ description: 'Model parameter: a quorum queue follower that hears no leader for a random time in [t, 2t) starts an election (default 1s).' }),
  'quorum.heartbeat': duration.optional().meta({ description: 'Model parameter: how often a quorum queue leader sends append_entries to idle followers (default 250ms).' }),
  'quorum.command.timeout': duration.optional().meta({ description: 'Model parameter: a channel resends a quorum queue command (enqueue, checkout) unanswered this long, to the next member (default 5s).' }),
  'disk_free_limit.absolute': size.optional().meta({ description: 'rabbitmq.conf disk_free_limit.absolute (default 50MB, 50,000,000 bytes): below this much free disk space the disk alarm blocks every publishing connection of the cluster (connection.blocked) until space returns. The monitor runs where a disk can fill: a finite disk.capacity or a disk-full fault.' }),
  'fsync.interval': duration.optional().meta({ description: 'Model parameter, not a rabbitmq.conf key: the message store fsyncs persistent messages in batches this far apart (default 200ms); confirms of persistent messages in durable queues wait for it.' }),
});

export const rabbitProducerConfig = z.strictObject({
  confirm: z.boolean().optional().meta({ description: 'Put the channel in confirm mode (confirm.select) and wait for basic.ack/basic.nack (default false: ok when published).' }),
  'confirm.timeout': duration.optional().meta({ description: 'Client side: how long to wait for a confirm before the outcome is unknown (or the outbox resends) (default 30s).' }),
  heartbeat: duration.optional().meta({ description: 'The client\'s requested heartbeat timeout (default 60s).' }),
});

export const rabbitConsumerConfig = z.strictObject({
  autoAck: z.boolean().optional().meta({ description: 'basic.consume no-ack: a message counts as delivered when sent (lost if the consumer dies) (default false: manual ack).' }),
  prefetch: nonNegativeInt.optional().meta({ description: 'basic.qos prefetch-count: the most unacked deliveries per consumer (default 0: unlimited).' }),
  heartbeat: duration.optional().meta({ description: 'The client\'s requested heartbeat timeout (default 60s); a dead consumer is noticed after it.' }),
  requeue: z.boolean().optional().meta({ description: 'On a processing failure (failureRate): requeue (true, default) or dead-letter/drop (false).' }),
  reject: z.boolean().optional().meta({ description: 'On a processing failure use basic.reject instead of basic.nack (default false).' }),
  exclusive: z.boolean().optional().meta({ description: 'basic.consume exclusive: be the only consumer of the queue. Refused with ACCESS_REFUSED (403, channel closed) when the queue has another consumer; while it is subscribed every other basic.consume is refused. The client retries on a new channel every 5s (default false).' }),
  ackEvery: positiveInt.optional().meta({ description: 'Ack with multiple=true after every n messages (default 1: one basic.ack per message).' }),
});

/** The delayed-confirmation pattern on a producer (models/rabbitmq/patterns/delayed-confirmation.ts). */
const delayedConfirmation = z.strictObject({
  checkExchange: z.string().optional().meta({ description: 'Exchange the delayed check message is published to (default "": the default exchange).' }),
  checkRoutingKey: z.string().meta({ description: 'Routing key of the check message: e.g. a queue with x-message-ttl and an x-dead-letter-exchange that routes to the callback queue.' }),
  checkDelay: duration.meta({ description: 'How long after the main message the check should reach the callback service.' }),
  checkDelayBy: z.enum(['expiration', 'x-delay', 'queue-ttl']).optional().meta({ description: 'How the delay is asked for: expiration (per-message TTL + DLX, default), x-delay (an x-delayed-message exchange), queue-ttl (the check queue\'s own x-message-ttl; checkDelay only documents it).' }),
  checkPersistent: z.boolean().optional().meta({ description: 'Publish check messages with delivery-mode 2 (default: as the main message).' }),
  callbackQueue: z.string().meta({ description: 'The queue the callback service consumes: confirmations and the delayed check messages end up there.' }),
  maxResends: positiveInt.optional().meta({ description: 'Resend requests per message before the callback service gives up (default 3).' }),
  service: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/).optional().meta({ description: 'Node name of the callback service (default "<producer id>-callback"; producers naming the same service share it).' }),
}).meta({
  description: 'Model pattern, not a RabbitMQ key: the delayed-confirmation (二次确认) pattern. The producer keeps each message, publishes it and a delayed check message; consumers with confirmTo publish a confirmation after processing; the callback service asks the producer to resend a message whose check arrives unconfirmed.',
});

const confirmTo = z.strictObject({
  exchange: z.string().optional().meta({ description: 'Exchange for the confirmation (default "").' }),
  routingKey: z.string().meta({ description: 'Routing key of the confirmation (with the default exchange: the callback queue\'s name).' }),
  persistent: z.boolean().optional().meta({ description: 'Publish the confirmation with delivery-mode 2 (default false).' }),
}).meta({ description: 'Model pattern: after processing a message, publish a confirmation (correlation-id = its message id) for the delayed-confirmation callback service.' });

export const rabbitParts: ModelScenarioParts = {
  // Measured over the shipped scenarios: median events per delivery; background timers per node-second.
  cost: { eventsPerDelivery: 4.6, idleEventsPerNodeSecond: 10 },
  system: 'rabbitmq',
  description:
    'RabbitMQ (AMQP 0-9-1) on a cluster of nodes rabbit-1..N (cluster.brokers, default 1): vhosts, exchanges (direct, fanout, topic, headers, '
    + 'default, x-delayed-message), classic queues on their home node with TTL, dead-lettering, max-length overflow and priority, '
    + 'quorum queues (Raft over up to three nodes: confirms after a majority fsync, leader election, x-delivery-limit), '
    + 'classic mirrored queues before 4.0 (policies with ha-mode, ha-params, ha-sync-mode, ha-promote-on-failure), '
    + 'publisher confirms, mandatory returns, manual/auto ack, prefetch, durability across a broker restart, '
    + 'net_ticktime node monitoring and cluster_partition_handling ignore, pause_minority, autoheal.',
  clusterConfig: rabbitClusterConfig,
  clusterFields: {
    version: z.enum(RABBIT_VERSIONS).optional().meta({ description: 'mqsim model key: the RabbitMQ version the model follows where versions differ in what users see (3.10: a quorum queue has no x-delivery-limit by default and puts a requeued message at the back; 4.0: delivery limit 20, a requeued message back near the head) (default "4.0").' }),
    brokers: nodeCount.optional().meta({ description: 'Number of RabbitMQ nodes in the cluster, named rabbit-1..rabbit-N (default 1).' }),
    invariants: z.boolean().optional().meta({
      description: 'mqsim model key: check the RabbitMQ invariants (one quorum queue leader per term, quorum members agreeing at each applied index, no message both ready and unacked, a delivery unacked on one channel only, ready counts and message stores matching the queues, confirms only after the fsync that made their messages durable) after every control-plane change, stopping the run at the first violation (default false).',
    }),
  },
  sections: {
    vhosts: z.array(vhost).optional().meta({ description: 'Virtual hosts (default: just "/").' }),
    exchanges: z.array(exchange).optional(),
    queues: z.array(queue).optional(),
    bindings: z.array(binding).optional(),
    policies: z.array(policy).optional().meta({ description: 'Policies (rabbitmqctl set_policy): classic queue mirroring with ha-mode, ha-params, ha-sync-mode, ha-sync-batch-size, ha-promote-on-failure. RabbitMQ before 4.0 only (cluster.version 3.10): 4.0 removed mirroring.' }),
  },
  producerFields: {
    vhost: vhostName.optional(),
    user: z.string().min(1).optional().meta({ description: 'The user the connection authenticates as (default guest).' }),
    node: z.union([z.string(), z.array(z.string()).min(1)], { error: 'expected a node name (rabbit-1) or a list of them' }).optional().meta({ description: 'The node(s) the client connects to: one name, or a list tried in turn on each reconnect (default rabbit-1).' }),
    exchange: z.string().optional().meta({ description: 'The exchange to publish to (default "": the default exchange, routing key = queue name).' }),
    routingKey: z.string().optional().meta({ description: 'The routing key; "{key}" is replaced by the workload key (default: the workload key, else "").' }),
    mandatory: z.boolean().optional().meta({ description: 'Unroutable messages come back with basic.return (312 NO_ROUTE) (default false: dropped silently).' }),
    persistent: z.boolean().optional().meta({ description: 'delivery-mode 2: written to disk in durable queues (default false: transient).' }),
    expiration: duration.optional().meta({ description: 'Per-message TTL (the expiration property).' }),
    priority: z.union([nonNegativeInt, z.array(nonNegativeInt).min(1)]).optional().meta({ description: 'The priority property: a number, or a list to pick from at random per message.' }),
    headers: z.record(z.string(), headerValue).optional().meta({ description: 'Message headers.' }),
    delay: duration.optional().meta({ description: 'A requested delivery delay, recorded on each send so delay accuracy is measured; sent as the x-delay header unless delayBy says otherwise.' }),
    delayBy: z.enum(['x-delay', 'expiration', 'queue-ttl']).optional().meta({ description: 'How the delay is asked for: x-delay header (default, for x-delayed-message), expiration (per-message TTL + DLX), queue-ttl (only recorded: the queue\'s x-message-ttl + DLX delays).' }),
    delayedConfirmation: delayedConfirmation.optional(),
  },
  producerConfig: rabbitProducerConfig,
  consumerFields: {
    vhost: vhostName.optional(),
    user: z.string().min(1).optional().meta({ description: 'The user the connection authenticates as (default guest).' }),
    node: z.union([z.string(), z.array(z.string()).min(1)], { error: 'expected a node name (rabbit-1) or a list of them' }).optional().meta({ description: 'The node(s) the client connects to: one name, or a list tried in turn on each reconnect (default rabbit-1).' }),
    queue: z.string().meta({ description: 'The queue to consume from (basic.consume).' }),
    confirmTo: confirmTo.optional(),
  },
  consumerConfig: rabbitConsumerConfig,
  metrics: ['deadLettered', 'expired', 'returned', 'unroutable', 'nacked', 'requeued', 'confirmed', 'overflowDropped', 'rejectedPublishes', 'redelivered', 'queuesDeleted', 'sacFailovers', 'standbyDeliveries', 'consumeRefused', 'duplicatesSkipped', 'connectionsBlocked',
    // Classic queue mirroring (mirrored/).
    'mirrorPromotions', 'unsyncedPromotions', 'promotionsRefused', 'mirrorSyncs', 'syncBlockedMsMax',
    // Failure timings (failure-timings.ts).
    'leaderFailoverMsMax', 'clientDropMsMax',
    // The delayed-confirmation pattern (PATTERN_METRICS in patterns/delayed-confirmation.ts).
    'checksSent', 'confirmationsSent', 'confirmationsRecorded', 'checksPassed', 'checksUnconfirmed', 'resendRequests', 'resends', 'checksGaveUp'],
};

export type ExchangeSpec = z.output<typeof exchange>;
export type QueueSpec = z.output<typeof queue>;
export type BindingSpec = z.output<typeof binding>;
export type QueueArguments = z.output<typeof queueArguments>;
export type RabbitClusterConfig = z.output<typeof rabbitClusterConfig>;
export type RabbitProducerConfig = z.output<typeof rabbitProducerConfig>;
export type RabbitConsumerConfig = z.output<typeof rabbitConsumerConfig>;
export type HeaderValue = z.output<typeof headerValue>;
export type DelayedConfirmationSpec = z.output<typeof delayedConfirmation>;
export type ConfirmToSpec = z.output<typeof confirmTo>;
export type VhostSpec = z.output<typeof vhost>;
export type PolicySpec = z.output<typeof policy>;
export type PermissionSpec = z.output<typeof permission>;

import { GROUP_PROBES } from './group-probes.js';
import type { RocketProbe, RocketStep, Strategy } from './probe.js';

/**
 * The RocketMQ probes. Each uses topics and groups of its own, so probes never see each other's
 * messages on the one broker they share. Ids are stable: recordings and DIVERGENCES.md name
 * probes by them. Waits are wall-clock time on the real side and virtual time in the model; the
 * rebalance waits leave the real consumers time to see each other (heartbeats and
 * NOTIFY_CONSUMER_IDS_CHANGED), the delay waits are the delay levels of ROCKETMQ_BROKER_CONFIG.
 */

const allocation = (id: string, strategy: Strategy, consumers: number, queues: number): RocketProbe => ({
  id,
  about: `${consumers} consumers of a clustering group with ${strategy} over ${queues} queues: each consumer's queues after rebalance`,
  topics: [{ name: `T_${id.replace(/-/g, '_')}`, queues }],
  steps: [
    { consume: 'g', topic: `T_${id.replace(/-/g, '_')}`, count: consumers, strategy, fromWhere: 'CONSUME_FROM_FIRST_OFFSET' },
    { wait: 5000 },
    { assignments: `T_${id.replace(/-/g, '_')}` },
  ],
  outcome: ['assignments'],
});

const topic = (id: string) => `T_${id.replace(/-/g, '_')}`;

/** Consumers first (so they are there from offset 0), then sends, then time to deliver. */
const sendAndConsume = (id: string, send: Omit<Extract<RocketStep, { send: string }>, 'topic'>, consumers: Omit<Extract<RocketStep, { consume: string }>, 'topic'>[], wait: number): RocketStep[] => [
  ...consumers.map((c) => ({ ...c, topic: topic(id) })),
  { wait: 4000 },
  { ...send, topic: topic(id) },
  { wait },
];

/**
 * A consumer that always answers RECONSUME_LATER. It learns the route of %RETRY%<group> (made by
 * its first HEART_BEAT) within a second (pollNameServerInterval 1000) but takes the queue only at
 * its next rebalance (every 20 s), so the messages are sent 22 s after it starts: every retry
 * then waits only its delay level.
 */
const retryScript = (id: string, maxReconsumeTimes: number, wait: number): RocketStep[] => [
  { consume: 'failing', topic: topic(id), count: 1, fail: true, maxReconsumeTimes, pollNameServerInterval: 1000 },
  { wait: 22_000 },
  { send: 'p1', topic: topic(id), count: 2 },
  { wait },
  { dlq: 'failing' },
];

export const ROCKETMQ_PROBES: readonly RocketProbe[] = [
  // ---------------------------------------------------------------- rebalance: the real strategies
  allocation('alloc-averagely-3c-8q', 'averagely', 3, 8),
  allocation('alloc-averagely-5c-4q', 'averagely', 5, 4),
  allocation('alloc-averagely-4c-10q', 'averagely', 4, 10),
  allocation('alloc-by-circle-3c-8q', 'averagely-by-circle', 3, 8),
  allocation('alloc-by-circle-4c-10q', 'averagely-by-circle', 4, 10),
  allocation('alloc-consistent-hash-3c-8q', 'consistent-hash', 3, 8),
  allocation('alloc-consistent-hash-4c-16q', 'consistent-hash', 4, 16),
  // ---------------------------------------------------------------- producer: queue choice and send results
  {
    id: 'send-round-robin',
    about: 'sync sends without a selector: SEND_OK, successive queues one apart (round robin from a random start), offsets 0 and 1 per queue',
    topics: [{ name: topic('send-round-robin'), queues: 4 }],
    steps: [{ send: 'p1', topic: topic('send-round-robin'), count: 8 }],
    outcome: ['sendResults', 'queueSteps', 'queueOffsets'],
  },
  {
    id: 'selector-by-hash-4q',
    about: 'SelectMessageQueueByHash on the message key: the queue of each of 10 keys among 4 queues',
    topics: [{ name: topic('selector-by-hash-4q'), queues: 4 }],
    steps: [{ send: 'p1', topic: topic('selector-by-hash-4q'), count: 60, keys: 10, selectByHash: true }],
    outcome: ['queueByKey', 'sendResults'],
  },
  {
    id: 'selector-by-hash-7q',
    about: 'SelectMessageQueueByHash on the message key: the queue of each of 12 keys among 7 queues',
    topics: [{ name: topic('selector-by-hash-7q'), queues: 7 }],
    steps: [{ send: 'p1', topic: topic('selector-by-hash-7q'), count: 80, keys: 12, selectByHash: true }],
    outcome: ['queueByKey', 'sendResults'],
  },
  {
    id: 'send-topic-not-exist',
    about: 'a sync send to a topic no broker has (autoCreateTopicEnable=false): the send fails, by name',
    topics: [{ name: topic('send-topic-not-exist'), queues: 4 }],
    steps: [{ send: 'p1', topic: 'NoSuchTopicAnywhere', count: 1 }],
    outcome: ['sendResults'],
  },
  // ---------------------------------------------------------------- tags
  {
    id: 'tags-or-expression',
    about: 'tags TagA, TagB, TagC in turn; "TagA || TagB" gets two thirds, "*" gets all',
    topics: [{ name: topic('tags-or-expression'), queues: 4 }],
    steps: sendAndConsume('tags-or-expression', { send: 'p1', count: 9, tags: ['TagA', 'TagB', 'TagC'] },
      [{ consume: 'billing', count: 1, subscription: 'TagA || TagB' }, { consume: 'audit', count: 1, subscription: '*' }], 4000),
    outcome: ['delivered'],
  },
  {
    id: 'tags-single-tag',
    about: 'subscription "TagC" of messages tagged TagA, TagB, TagC in turn: only the TagC ones',
    topics: [{ name: topic('tags-single-tag'), queues: 4 }],
    steps: sendAndConsume('tags-single-tag', { send: 'p1', count: 6, tags: ['TagA', 'TagB', 'TagC'] }, [{ consume: 'onlyc', count: 1, subscription: 'TagC' }], 4000),
    outcome: ['delivered'],
  },
  {
    id: 'tags-untagged-messages',
    about: 'messages with no tag: "*" gets them, "TagA" gets none',
    topics: [{ name: topic('tags-untagged-messages'), queues: 4 }],
    steps: sendAndConsume('tags-untagged-messages', { send: 'p1', count: 4 }, [{ consume: 'all', count: 1 }, { consume: 'taga', count: 1, subscription: 'TagA' }], 4000),
    outcome: ['delivered'],
  },
  // ---------------------------------------------------------------- delay levels
  {
    id: 'delay-levels',
    about: 'delay levels 1, 2, 3 and 18 (1s, 2s, 3s, 4s in this broker\'s messageDelayLevel): send to delivery in whole seconds',
    topics: [{ name: topic('delay-levels'), queues: 4 }],
    steps: sendAndConsume('delay-levels', { send: 'p1', count: 4, delayLevels: [1, 2, 3, 18] }, [{ consume: 'g', count: 1 }], 7000),
    outcome: ['delivered', 'delays', 'sendResults'],
  },
  {
    id: 'delay-level-above-max',
    about: 'delay level 25 of 18 levels: the broker uses the last level (4s here)',
    topics: [{ name: topic('delay-level-above-max'), queues: 4 }],
    steps: sendAndConsume('delay-level-above-max', { send: 'p1', count: 2, delayLevels: [25] }, [{ consume: 'g', count: 1 }], 7000),
    outcome: ['delivered', 'delays'],
  },
  // ---------------------------------------------------------------- retries and %DLQ%
  {
    id: 'retry-to-dlq-max2',
    about: 'RECONSUME_LATER every time, maxReconsumeTimes 2: retried through %RETRY%<group> at delay levels 3 and 4 (3s, 1s here), then %DLQ%<group> with reconsumeTimes 3',
    topics: [{ name: topic('retry-to-dlq-max2'), queues: 4 }],
    steps: retryScript('retry-to-dlq-max2', 2, 8000),
    outcome: ['deliveryCounts', 'reconsumeTimes', 'retryDelays', 'dlq'],
  },
  {
    id: 'retry-max0-straight-to-dlq',
    about: 'maxReconsumeTimes 0: the first RECONSUME_LATER sends the message to %DLQ%<group>, no retry',
    topics: [{ name: topic('retry-max0-straight-to-dlq'), queues: 4 }],
    steps: retryScript('retry-max0-straight-to-dlq', 0, 6000),
    outcome: ['deliveryCounts', 'reconsumeTimes', 'retryDelays', 'dlq'],
  },
  {
    id: 'dlq-absent-without-failures',
    about: '%DLQ%<group> of a group that never failed a message: not there',
    topics: [{ name: topic('dlq-absent-without-failures'), queues: 4 }],
    steps: [...sendAndConsume('dlq-absent-without-failures', { send: 'p1', count: 2 }, [{ consume: 'fine', count: 1 }], 3000), { dlq: 'fine' }],
    outcome: ['deliveryCounts', 'dlq'],
  },
  // ---------------------------------------------------------------- transactions
  {
    id: 'tx-commit',
    about: 'half message, local transaction COMMIT_MESSAGE after 800ms: delivered about 1s after the send (the half message is invisible until then), never checked back',
    topics: [{ name: topic('tx-commit'), queues: 4 }],
    steps: [{ consume: 'g', topic: topic('tx-commit'), count: 1 }, { wait: 4000 }, { transaction: 'tx1', topic: topic('tx-commit'), count: 2, local: 'COMMIT_MESSAGE', check: 'COMMIT_MESSAGE', localMs: 800 }, { wait: 9000 }],
    outcome: ['delivered', 'delays', 'checks', 'localStates'],
  },
  {
    id: 'tx-rollback',
    about: 'local transaction ROLLBACK_MESSAGE: the half message is never delivered, never checked back',
    topics: [{ name: topic('tx-rollback'), queues: 4 }],
    steps: [{ consume: 'g', topic: topic('tx-rollback'), count: 1 }, { wait: 4000 }, { transaction: 'tx1', topic: topic('tx-rollback'), count: 2, local: 'ROLLBACK_MESSAGE', check: 'ROLLBACK_MESSAGE', localMs: 0 }, { wait: 9000 }],
    outcome: ['delivered', 'checks', 'localStates'],
  },
  {
    id: 'tx-unknown-check-commit',
    about: 'local transaction UNKNOW: the broker checks back (every transactionCheckInterval, 1s here, once the half message is transactionTimeOut, 6s, old), the check answers COMMIT_MESSAGE, the message is delivered',
    topics: [{ name: topic('tx-unknown-check-commit'), queues: 4 }],
    steps: [{ consume: 'g', topic: topic('tx-unknown-check-commit'), count: 1 }, { wait: 4000 }, { transaction: 'tx1', topic: topic('tx-unknown-check-commit'), count: 2, local: 'UNKNOW', check: 'COMMIT_MESSAGE', localMs: 0 }, { wait: 10000 }],
    outcome: ['delivered', 'checks', 'localStates'],
  },
  {
    id: 'tx-unknown-check-rollback',
    about: 'local transaction UNKNOW, the check-back answers ROLLBACK_MESSAGE: never delivered',
    topics: [{ name: topic('tx-unknown-check-rollback'), queues: 4 }],
    steps: [{ consume: 'g', topic: topic('tx-unknown-check-rollback'), count: 1 }, { wait: 4000 }, { transaction: 'tx1', topic: topic('tx-unknown-check-rollback'), count: 2, local: 'UNKNOW', check: 'ROLLBACK_MESSAGE', localMs: 0 }, { wait: 10000 }],
    outcome: ['delivered', 'checks', 'localStates'],
  },
  // ---------------------------------------------------------------- consumer start positions, models
  {
    id: 'new-group-last-offset',
    about: 'a new group with CONSUME_FROM_LAST_OFFSET after 5 messages were sent (queues never consumed, min offset 0, still in memory): it gets the old messages',
    topics: [{ name: topic('new-group-last-offset'), queues: 4 }],
    steps: [{ send: 'p1', topic: topic('new-group-last-offset'), count: 5 }, { wait: 1000 }, { consume: 'late', topic: topic('new-group-last-offset'), count: 1, fromWhere: 'CONSUME_FROM_LAST_OFFSET' }, { wait: 6000 }],
    outcome: ['delivered'],
  },
  {
    id: 'new-group-first-offset',
    about: 'a new group with CONSUME_FROM_FIRST_OFFSET after 5 messages were sent: it gets them all',
    topics: [{ name: topic('new-group-first-offset'), queues: 4 }],
    steps: [{ send: 'p1', topic: topic('new-group-first-offset'), count: 5 }, { wait: 1000 }, { consume: 'late', topic: topic('new-group-first-offset'), count: 1, fromWhere: 'CONSUME_FROM_FIRST_OFFSET' }, { wait: 6000 }],
    outcome: ['delivered'],
  },
  {
    id: 'broadcasting',
    about: 'BROADCASTING: each of 3 consumers of one group gets every one of 8 messages',
    topics: [{ name: topic('broadcasting'), queues: 4 }],
    steps: sendAndConsume('broadcasting', { send: 'p1', count: 8 }, [{ consume: 'bc', count: 3, messageModel: 'BROADCASTING', fromWhere: 'CONSUME_FROM_FIRST_OFFSET' }], 4000),
    outcome: ['deliveryCounts', 'perConsumer'],
  },
  {
    id: 'clustering',
    about: 'CLUSTERING: 2 consumers share 4 queues; 8 messages round robin, each consumer gets the 4 of its 2 queues, each message once',
    topics: [{ name: topic('clustering'), queues: 4 }],
    steps: sendAndConsume('clustering', { send: 'p1', count: 8 }, [{ consume: 'cl', count: 2, fromWhere: 'CONSUME_FROM_FIRST_OFFSET' }], 4000),
    outcome: ['deliveryCounts', 'perConsumer'],
  },
  // ---------------------------------------------------------------- broker faults and routes
  {
    id: 'kill9-async-flush-keeps-messages',
    about: 'ASYNC_FLUSH, 20 messages SEND_OK, kill -9 of the broker at once, restart: a new group reads all 20 (the page cache outlives the process)',
    topics: [{ name: topic('kill9-async-flush-keeps-messages'), queues: 4 }],
    steps: [
      { send: 'p1', topic: topic('kill9-async-flush-keeps-messages'), count: 20 },
      { broker: 'kill9' }, { broker: 'restart' },
      { consume: 'after', topic: topic('kill9-async-flush-keeps-messages'), count: 1, fromWhere: 'CONSUME_FROM_FIRST_OFFSET' }, { wait: 8000 },
    ],
    outcome: ['sendResults', 'delivered'],
  },
  {
    id: 'route-after-clean-stop',
    about: 'the broker stops cleanly (shutdown hook: UNREGISTER_BROKER): the NameServer has no route for its topic at once; after a start it has again',
    topics: [{ name: topic('route-after-clean-stop'), queues: 4 }],
    steps: [
      { route: topic('route-after-clean-stop') }, { broker: 'stop' }, { route: topic('route-after-clean-stop') }, { broker: 'start' }, { route: topic('route-after-clean-stop') },
    ],
    outcome: ['routes'],
  },
  {
    id: 'route-after-kill9',
    about: 'kill -9 of the broker: its connection to the NameServer closes, so the route goes at once (not after 120 s)',
    topics: [{ name: topic('route-after-kill9'), queues: 4 }],
    steps: [{ route: topic('route-after-kill9') }, { broker: 'kill9' }, { wait: 1000 }, { route: topic('route-after-kill9') }, { broker: 'restart' }, { route: topic('route-after-kill9') }],
    outcome: ['routes'],
  },
  {
    id: 'route-while-paused',
    about: 'SIGSTOP of the broker (silent: the connection stays open): the NameServer keeps the route for the 120 s of brokerChannelExpiredTime',
    topics: [{ name: topic('route-while-paused'), queues: 4 }],
    steps: [{ route: topic('route-while-paused') }, { broker: 'pause' }, { wait: 5000 }, { route: topic('route-while-paused') }, { broker: 'resume' }, { wait: 1000 }, { route: topic('route-while-paused') }],
    outcome: ['routes'],
  },
  // ---------------------------------------------------------------- a master and its slave (group-probes.ts)
  ...GROUP_PROBES,
];

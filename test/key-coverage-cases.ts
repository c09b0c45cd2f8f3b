/**
 * The key-coverage table (issue #15): data for test/key-coverage-suite.ts, which runs it per
 * system from test/unit/key-coverage-<system>.test.ts.
 *
 * For every system, every key its scenario schema accepts must be one of:
 * - covered generically: booleans (true against false), enums (every member against every
 *   other), numbers, durations and sizes (the default read from the key's description against a
 *   tenth of it) set in the system's small base scenario, the runs giving different trace hashes
 *   or results;
 * - covered by a CASE below: a base fragment that makes the key matter (a fault, a mode, a
 *   backlog) and the values to try, with a comment saying why where it is not plain;
 * - set on its own by a caught mutant of a shipped scenario (test/scenarios/mutations.test.ts);
 * - `rejected` for the system (refused at the key, exit 2);
 * - listed in DOC_ONLY or OTHER_COMMANDS with the reason it cannot change a run, or in UNPROVEN
 *   (debt: read by the model, no case found yet).
 * A key that is none of these fails the test with the line to add.
 */

export type Json = Record<string, unknown>;

export interface KeyCase {
  /**
   * A shipped scenario (under scenarios/) to start from instead of the system's base, where the
   * key already matters; its expect:, mutations: and other commands' sections are dropped.
   */
  from?: string;
  /** Merged into the base (the system's, or `from`) for every run of this key: what makes the key matter. */
  base?: Json;
  /** Then written into it: slash-separated path (numbers index arrays) -> value, e.g. 'workload/producers/0/keys'. */
  set?: Record<string, unknown>;
  /** The values written at the key, one run each; every run must differ from every other. */
  values?: unknown[];
  /**
   * Instead of values: scenario fragments merged into the base, one run each (for a key whose
   * only value is a literal, such as `heal: true`, compared with the scenario without it).
   */
  fragments?: Json[];
  /** Instead of values: `set` maps, one run each (written into the base after `set`). */
  sets?: Record<string, unknown>[];
  /**
   * The key is rejected for this system (it validates, but the model refuses it where it is set,
   * exit 2): every run must be refused at this key (`outbox` for outbox/resendAfter).
   */
  rejected?: string;
  /** Some runs are refused at load on purpose (a budget below the scenario's cost): the refusal is that run's outcome. */
  refuses?: boolean;
}

const common = (system: string, extra: Json): Json => ({ name: 'key-coverage', system, seed: 1, ...extra });

/** One small base scenario per system: a producer, a consumer, a fault, a few seconds. */
export const BASES: Record<string, Json> = {
  demo: common('demo', {
    duration: '4s',
    drain: '4s',
    workload: {
      producers: [{ id: 'p1', rate: '50/s', config: { retries: 1 } }],
      consumers: [{ group: 'workers', count: 2, processing: '15ms' }],
    },
    faults: [{ at: '2s', crash: 'broker' }, { at: '2500ms', restart: 'broker' }],
  }),
  kafka: common('kafka', {
    duration: '5s',
    drain: '5s',
    cluster: { brokers: 3, config: { 'group.initial.rebalance.delay.ms': 0 } },
    topics: [{ name: 'orders', partitions: 2, replicationFactor: 3 }],
    network: { latency: '2ms' },
    workload: {
      producers: [{ id: 'p1', topic: 'orders', rate: '50/s', keys: 10 }],
      consumers: [{ group: 'g1', topic: 'orders', mode: 'subscribe', count: 2, processing: '2ms', config: { 'auto.offset.reset': 'earliest' } }],
    },
    faults: [{ at: '2s', crash: { 'leader-of': 'orders-0' } }],
  }),
  rabbitmq: common('rabbitmq', {
    duration: '4s',
    drain: '4s',
    queues: [{ name: 'jobs', durable: true }],
    workload: {
      producers: [{ id: 'p1', rate: '50/s', routingKey: 'jobs', persistent: true, config: { confirm: true } }],
      consumers: [{ queue: 'jobs', processing: '4ms', config: { prefetch: 10 } }],
    },
    faults: [{ at: '2s', kill: 'jobs-c1', for: '1s' }],
  }),
  rocketmq: common('rocketmq', {
    duration: '4s',
    drain: '4s',
    cluster: { brokerGroups: 2, slavesPerGroup: 1 },
    network: { latency: '1ms' },
    workload: {
      producers: [{ id: 'p1', rate: '50/s', keys: 10 }],
      consumers: [{ group: 'billing', count: 2, processing: '5ms' }],
    },
    faults: [{ at: '2s', crash: { 'master-of': 'broker-a' } }],
  }),
};

/** Keys that cannot change a run, each with why. */
export const DOC_ONLY: Record<string, string> = {
  name: 'the scenario\'s name: reports and messages show it; a run does not depend on it',
  description: 'prose for readers and reports',
  system: 'selects the schema and model; not a setting within a system',
};

/**
 * Keys the model reads (the comment says where) for which no case has been found yet that makes
 * them change a small run. Debt, not coverage: the test lists each as a todo, and fails when one
 * is no longer in the schema or gets a case. Empty it, do not grow it.
 */
export const UNPROVEN: Record<string, Record<string, string>> = {
  kafka: {
    'cluster/config/replica.fetch.backoff.ms': 'broker/replica-fetcher.ts backoffFetch, after a FetchResponse with an error; the leader changes tried (kill, stop, pause) reach the followers through LeaderAndIsr before a second fetch',
    'cluster/config/offsets.commit.timeout.ms': 'broker/replica-manager.ts appendAsLeader of an OffsetCommit; needs the followers of the group coordinator\'s __consumer_offsets partition silent while it stays up, and no fault selector names them',
  },
};

/**
 * Top-level sections that `mqsim run` does not read: other commands own them and their tests
 * cover them (sim/scenario/sections.ts registers them). Every key under them is allow-listed.
 */
export const OTHER_COMMANDS: Record<string, string> = {
  explore: 'mqsim check: the fault and workload search space (test/unit/check.test.ts)',
  property: 'mqsim check: the properties a search asserts (test/unit/check.test.ts)',
  drill: 'mqsim drill: the classroom steps and questions (test/unit/drill.test.ts)',
  mutations: 'mqsim mutate: the scenario\'s mutants (test/scenarios/mutations.test.ts)',
};

const latency = (form: Json): KeyCase['base'] => ({ network: { latency: form } });

/** Keys every system has (the kernel's network, disk, workload, limits), with no node names. */
const EVERY_SYSTEM: Record<string, KeyCase> = {
  // The faults of the bases are at 2s: a duration below would refuse them.
  duration: { values: ['3s', '5s'] },
  // Distributions: their keys are walked once, here (test/key-coverage.ts).
  'network/latency': { values: ['1ms', '5ms'] },
  'network/latency{constant}/constant': { base: latency({ constant: '1ms' }), values: ['1ms', '5ms'] },
  'network/latency{uniform}/uniform': { base: latency({ uniform: ['1ms', '2ms'] }), values: [['1ms', '2ms'], ['1ms', '9ms']] },
  'network/latency{exponential}/exponential': { base: latency({ exponential: '2ms' }), values: ['1ms', '5ms'] },
  'network/latency{exponential}/exponential{mean}/mean': { base: latency({ exponential: { mean: '2ms' } }), values: ['1ms', '5ms'] },
  'network/latency{normal}/normal/mean': { base: latency({ normal: { mean: '3ms', stddev: '1ms' } }), values: ['2ms', '4ms'] },
  'network/latency{normal}/normal/stddev': { base: latency({ normal: { mean: '3ms', stddev: '1ms' } }), values: ['100us', '1ms'] },
  // min clips the draws: 2.5ms cuts the lower half of N(3ms, 1ms), 1us nothing.
  'network/latency{normal}/normal/min': { base: latency({ normal: { mean: '3ms', stddev: '1ms' } }), values: ['1us', '2500us'] },
  'network/latency{lognormal}/lognormal/median': { base: latency({ lognormal: { median: '2ms', sigma: 0.5 } }), values: ['1ms', '3ms'] },
  'network/latency{lognormal}/lognormal/sigma': { base: latency({ lognormal: { median: '2ms', sigma: 0.5 } }), values: [0.2, 1] },
  'network/latency{pareto}/pareto/scale': { base: latency({ pareto: { scale: '1ms', shape: 1.5 } }), values: ['1ms', '2ms'] },
  'network/latency{pareto}/pareto/shape': { base: latency({ pareto: { scale: '1ms', shape: 1.5 } }), values: [1.2, 3] },
  'network/latency{weighted}/weighted[]/value': { base: latency({ weighted: [{ value: '1ms', weight: 1 }, { value: '5ms', weight: 1 }] }), values: ['1ms', '2ms'] },
  'network/latency{weighted}/weighted[]/weight': { base: latency({ weighted: [{ value: '1ms', weight: 1 }, { value: '5ms', weight: 1 }] }), values: [1, 5] },
  'network/loss': { values: [0, 0.05] },
  'network/duplicate': { values: [0, 0.05] },
  // Reordering shows only where latency varies.
  'network/reorder': { base: latency({ uniform: ['1ms', '5ms'] }), values: [0, 0.05] },
  'network/bandwidth': { values: ['100KB/s', '10MB/s'] },
  'disk/fsync': { values: ['1ms', '20ms'] },
  'disk/flush': { values: ['os', 'every-write'] },
  'workload/producers[]/id': { values: ['p1', 'p9'] },
  'workload/producers[]/keys': { values: [1, 10] },
  'workload/producers[]/keys{count}/count': { set: { 'workload/producers/0/keys': { count: 10 } }, values: [1, 10] },
  'workload/producers[]/keys{count}/zipf': { set: { 'workload/producers/0/keys': { count: 10 } }, values: [0.5, 2] },
  'workload/producers[]/payload': { values: ['100B', '10KB'] },
  'workload/producers[]/outbox/resendAfter': { values: ['500ms', '2s'] },
  'workload/producers[]/outbox/maxAttempts': { set: { 'workload/producers/0/outbox': { resendAfter: '500ms' } }, values: [1, 5] },
  'workload/consumers[]/processing': { values: ['1ms', '30ms'] },
  'workload/consumers[]/failureRate': { values: [0, 0.3] },
  // Comparisons that hold and do not: the result's expectations and verdict differ.
  'expect{*}': { fragments: [{ expect: { sent: '>= 0' } }, { expect: { sent: '< 0' } }] },
  // A budget the run reaches stops it (exit 2); a large one does not.
  'limits/maxEvents': { values: [1_000, 100_000_000] },
  // Below the cost estimate the scenario is refused; above it, it runs.
  'limits/maxMessages': { values: [10, 1_000_000], refuses: true },
};

/**
 * The fault steps and per-link network keys, which name nodes: `a` and `b` are two nodes of the
 * system's base, `c` a third; `disk` a node whose disk the run uses; `unflushed` a fragment
 * under which a machine crash loses what its page cache held.
 */
function nodeCases(n: { a: string; b: string; c: string; disk: string; unflushed?: Json; link?: [string, string, string] }): Record<string, KeyCase> {
  const [from, to, other] = n.link ?? [n.a, n.b, n.c];
  const at = (step: Json) => ({ base: { faults: [step] }, values: ['1s', '3s'] });
  const who = (kind: string, extra: Json = {}) => ({ base: { faults: [{ at: '2s', [kind]: n.a, ...extra }] }, values: [n.a, n.b] });
  const links = (link: Json) => ({ base: { network: { links: [{ from: [from], to: [to], ...link }] } } });
  return {
    'network/links[]/from': { ...links({ latency: '20ms' }), values: [[from], [other]] },
    'network/links[]/to': { ...links({ latency: '20ms' }), values: [[to], [other]] },
    'network/links[]/latency': { ...links({}), values: ['1ms', '20ms'] },
    'network/links[]/loss': { ...links({}), values: [0, 0.2] },
    'network/links[]/duplicate': { ...links({}), values: [0, 0.2] },
    'network/links[]/reorder': { ...links({ latency: { uniform: ['1ms', '9ms'] } }), values: [0, 0.2] },
    'network/links[]/bandwidth': { ...links({}), values: ['10KB/s', '10MB/s'] },
    'faults[]{crash}/at': at({ at: '2s', crash: n.a }),
    'faults[]{crash}/crash': who('crash'),
    // A machine crash drops the page cache unless keepPageCache; restarted, the node has only what was flushed.
    'faults[]{crash}/keepPageCache': { base: { ...n.unflushed, faults: [{ at: '2s', crash: n.disk }, { at: '2500ms', restart: n.disk }] }, values: [true, false] },
    // The crashed machine boots again after `for`.
    'faults[]{crash}/for': { base: { faults: [{ at: '2s', crash: n.a, for: '1s' }] }, values: ['500ms', '1500ms'] },
    // Both crashed at 1s: which one comes back, and when.
    'faults[]{restart}/at': { base: { faults: [{ at: '2s', restart: n.a }, { at: '1s', crash: n.a }] }, values: ['1500ms', '3s'] },
    'faults[]{restart}/restart': { base: { faults: [{ at: '2s', restart: n.a }, { at: '1s', crash: n.a }, { at: '1s', crash: n.b }] }, values: [n.a, n.b] },
    'faults[]{kill}/at': at({ at: '2s', kill: n.a, for: '1s' }),
    'faults[]{kill}/kill': who('kill', { for: '1s' }),
    'faults[]{kill}/for': { base: { faults: [{ at: '2s', kill: n.a, for: '1s' }] }, values: ['500ms', '1500ms'] },
    'faults[]{stop}/at': at({ at: '2s', stop: n.a }),
    'faults[]{stop}/stop': who('stop'),
    'faults[]{stop}/for': { base: { faults: [{ at: '2s', stop: n.a, for: '1s' }] }, values: ['500ms', '1500ms'] },
    'faults[]{pause}/at': at({ at: '2s', pause: n.a, for: '1s' }),
    'faults[]{pause}/pause': who('pause', { for: '1s' }),
    'faults[]{pause}/for': { base: { faults: [{ at: '2s', pause: n.a, for: '1s' }] }, values: ['500ms', '1500ms'] },
    'faults[]{resume}/at': { base: { faults: [{ at: '3s', resume: n.a }, { at: '1s', pause: n.a }] }, values: ['1500ms', '3s'] },
    'faults[]{resume}/resume': { base: { faults: [{ at: '3s', resume: n.a }, { at: '1s', pause: n.a }, { at: '1s', pause: n.b }] }, values: [n.a, n.b] },
    'faults[]{partition}/at': at({ at: '2s', partition: [[n.a], [n.b, n.c]] }),
    'faults[]{partition}/partition': { base: { faults: [{ at: '2s', partition: [[n.a], [n.b, n.c]] }] }, values: [[[n.a], [n.b, n.c]], [[n.b], [n.a, n.c]]] },
    'faults[]{partition}/partition{from}/from[]': { base: { faults: [{ at: '2s', partition: { from: [n.a], to: [n.b] } }] }, values: [n.a, n.c] },
    'faults[]{partition}/partition{from}/to[]': { base: { faults: [{ at: '2s', partition: { from: [n.a], to: [n.b] } }] }, values: [n.b, n.c] },
    'faults[]{heal}/at': { base: { faults: [{ at: '2s', heal: true }, { at: '1s', partition: [[n.a], [n.b, n.c]] }] }, values: ['1500ms', '3s'] },
    // heal: true is its only value: the run with it against the one without.
    'faults[]{heal}/heal': {
      fragments: [
        { faults: [{ at: '1s', partition: [[n.a], [n.b, n.c]] }, { at: '2s', heal: true }] },
        { faults: [{ at: '1s', partition: [[n.a], [n.b, n.c]] }] },
      ],
    },
    'faults[]{slow-disk}/at': at({ at: '2s', 'slow-disk': n.disk, factor: 50 }),
    'faults[]{slow-disk}/slow-disk': { base: { faults: [{ at: '2s', 'slow-disk': n.disk, factor: 50 }] }, values: [n.disk, n.b] },
    'faults[]{slow-disk}/factor': { base: { faults: [{ at: '1s', 'slow-disk': n.disk, factor: 50 }] }, values: [2, 200] },
    'faults[]{slow-disk}/for': { base: { faults: [{ at: '1s', 'slow-disk': n.disk, factor: 200, for: '1s' }] }, values: ['500ms', '2s'] },
    'faults[]{disk-full}/at': at({ at: '2s', 'disk-full': n.disk }),
    'faults[]{disk-full}/disk-full': { base: { faults: [{ at: '2s', 'disk-full': n.disk }] }, values: [n.disk, n.b] },
    'faults[]{disk-full}/for': { base: { faults: [{ at: '1s', 'disk-full': n.disk, for: '1s' }] }, values: ['500ms', '2s'] },
    'faults[]{clock-skew}/at': at({ at: '2s', 'clock-skew': n.a, offset: '10s' }),
    'faults[]{clock-skew}/clock-skew': { base: { faults: [{ at: '1s', 'clock-skew': n.a, offset: '10s' }] }, values: [n.a, n.b] },
    'faults[]{clock-skew}/offset': { base: { faults: [{ at: '1s', 'clock-skew': n.a, offset: '10s' }] }, values: ['-10s', '10s'] },
  };
}

const kafkaConfig = (config: Json): Json => ({ cluster: { config } });
/** KRaft with the active controller's machine crashing at 2s: the quorum's timeouts decide what follows. */
const KRAFT_CONTROLLER_CRASH: Json = { cluster: { metadata: 'kraft' }, faults: [{ at: '2s', crash: 'controller' }] };
/** A broker of a KRaft cluster crashing: the controller fences it after broker.session.timeout.ms. */
const KRAFT_BROKER_CRASH: Json = { cluster: { metadata: 'kraft' }, faults: [{ at: '1s', crash: 'broker-1' }] };
/** Small segments, retention checked every second: segments roll and are deleted within the run. */
const KAFKA_RETENTION: Json = kafkaConfig({ 'log.segment.bytes': 4096, 'log.retention.check.interval.ms': 500, 'log.retention.ms': 1000 });
/** A transactional producer: five records a transaction. */
const KAFKA_TXN = { 'workload/producers/0/config': { 'transactional.id': 'tx-1' }, 'workload/producers/0/transactions': { records: 5 } };
/** The consumer group protocol (KIP-848). */
const KAFKA_KIP848 = { 'workload/consumers/0/config': { 'auto.offset.reset': 'earliest', 'group.protocol': 'consumer' } };
/** The preferred leader comes back at 2s: who leads afterwards depends on auto leader rebalancing. */
const KAFKA_PREFERRED_BACK: Json = { faults: [{ at: '1s', kill: 'broker-1', for: '1s' }] };
/** A killed broker's ZooKeeper session outlives its connection (18s by default): 1s here, so leaderships move within the run. */
const ZK_SESSION_1S = { 'zookeeper.session.timeout.ms': 1000 };
const KAFKA_TWO_TOPICS = { topics: [{ name: 'orders', partitions: 2, replicationFactor: 3 }, { name: 'payments', partitions: 2, replicationFactor: 3 }] };

const KAFKA: Record<string, KeyCase> = {
  // Datagram effects need datagram traffic: brokers, replica fetchers and clients are on TCP
  // connections; KRaft's broker heartbeats to the controllers are not (yet).
  'network/links[]/duplicate': { base: { cluster: { metadata: 'kraft' }, network: { links: [{ from: ['broker-1'], to: ['controller-1'] }] } }, values: [0, 0.2] },
  'network/links[]/reorder': { base: { cluster: { metadata: 'kraft' }, network: { links: [{ from: ['broker-1'], to: ['controller-1'], latency: { uniform: ['1ms', '9ms'] } }] } }, values: [0, 0.2] },
  // ZooKeeper-mode cluster keys that KRaft needs.
  'cluster/controllers': { base: KRAFT_CONTROLLER_CRASH, values: [1, 3] },
  'cluster/combined': { base: KRAFT_BROKER_CRASH, values: [true, false] },
  // Follower fetches: at most this many bytes a partition; 2000 bytes is two records of 1 KB.
  'cluster/config/replica.fetch.max.bytes': { set: { 'workload/producers/0/payload': '1KB', 'workload/producers/0/rate': '500/s' }, values: [1_048_576, 2000] },
  // The followers' fetches fail when the leader's machine dies: they wait this long before the next.
  // A paused broker does not answer the controller's LeaderAndIsr after the leader crash.
  // The controller is paused while broker-2 stops: its ControlledShutdown goes unanswered for this long, then is sent again.
  'cluster/config/controller.socket.timeout.ms': { base: { faults: [{ at: '1s', pause: 'controller', for: '3s' }, { at: '1500ms', stop: 'broker-2', for: '1s' }] }, values: [300, 30000] },
  'cluster/config/controlled.shutdown.enable': { base: { faults: [{ at: '2s', stop: 'broker-1', for: '1s' }] }, values: [true, false] },
  // A ControlledShutdown the controller cannot complete (the other replicas are paused, so out of reach) is retried.
  // Replication factor 1: a stopping broker's partitions cannot move, so its ControlledShutdown leaves them behind and is retried.
  'cluster/config/controlled.shutdown.max.retries': { base: { topics: [{ name: 'orders', partitions: 3, replicationFactor: 1 }], faults: [{ at: '1s', stop: 'broker-1', for: '3s' }] }, values: [0, 3] },
  'cluster/config/controlled.shutdown.retry.backoff.ms': { base: { topics: [{ name: 'orders', partitions: 3, replicationFactor: 1 }], faults: [{ at: '1s', stop: 'broker-1', for: '3s' }] }, values: [100, 5000] },
  'cluster/config/controller.quorum.election.timeout.ms': { base: KRAFT_CONTROLLER_CRASH, values: [300, 2000] },
  'cluster/config/controller.quorum.fetch.timeout.ms': { base: KRAFT_CONTROLLER_CRASH, values: [800, 3000] },
  'cluster/config/controller.quorum.election.backoff.max.ms': { base: { cluster: { metadata: 'kraft', controllers: 3 }, faults: [{ at: '2s', crash: 'controller' }, { at: '2s', partition: [['controller-1'], ['controller-2'], ['controller-3']] }, { at: '3s', heal: true }] }, values: [50, 2000] },
  'cluster/config/controller.quorum.request.timeout.ms': { base: KRAFT_CONTROLLER_CRASH, values: [300, 4000] },
  'cluster/config/broker.heartbeat.interval.ms': { base: KRAFT_BROKER_CRASH, values: [500, 2000] },
  'cluster/config/broker.session.timeout.ms': { base: KRAFT_BROKER_CRASH, values: [3000, 9000] },
  'cluster/config/auto.leader.rebalance.enable': { base: { ...KAFKA_PREFERRED_BACK, ...kafkaConfig({ ...ZK_SESSION_1S, 'leader.imbalance.check.interval.seconds': 1 }) }, values: [true, false] },
  'cluster/config/leader.imbalance.check.interval.seconds': { base: { ...KAFKA_PREFERRED_BACK, ...kafkaConfig(ZK_SESSION_1S) }, values: [1, 300] },
  // broker-1's preferred partitions are all led elsewhere (100%): rebalanced above 0%, not above 100%.
  'cluster/config/leader.imbalance.per.broker.percentage': { base: { ...KAFKA_PREFERRED_BACK, ...kafkaConfig({ ...ZK_SESSION_1S, 'leader.imbalance.check.interval.seconds': 1 }) }, values: [0, 100] },
  // Index entries take disk space: a nearly full disk fills sooner with an entry every record.
  'cluster/config/index.interval.bytes': { base: { disk: { capacity: '150KB' } }, set: { 'workload/producers/0/payload': '1KB', 'workload/producers/0/rate': '100/s' }, values: [100, 4096] },
  'cluster/config/log.retention.ms': { base: KAFKA_RETENTION, values: [1000, 604_800_000] },
  'cluster/config/log.retention.bytes': { base: KAFKA_RETENTION, values: [-1, 5000] },
  'cluster/config/log.retention.check.interval.ms': { base: KAFKA_RETENTION, values: [500, 300_000] },
  // Capped by the broker count: 1 against 3.
  'cluster/config/offsets.topic.replication.factor': { values: [1, 3] },
  // The followers of __consumer_offsets paused: a commit waits for them until the timeout.
  'cluster/config/transaction.state.log.num.partitions': { set: KAFKA_TXN, values: [1, 50] },
  'cluster/config/transaction.state.log.replication.factor': { set: KAFKA_TXN, values: [1, 3] },
  // Below the producer's transaction.timeout.ms (60000) InitProducerId is refused.
  'cluster/config/transaction.max.timeout.ms': { set: KAFKA_TXN, values: [1000, 900_000] },
  'cluster/config/transaction.abort.timed.out.transaction.cleanup.interval.ms': { from: 'kafka/txn-timeout-abort.yaml', values: [1000, 10_000] },
  'cluster/config/transaction.partition.verification.enable': { from: 'kafka/txn-hanging-transaction-kip890.yaml', values: [true, false] },
  'cluster/config/group.consumer.heartbeat.interval.ms': { set: KAFKA_KIP848, values: [500, 5000] },
  // A member's machine crashes at 1s: fenced after the session timeout.
  'cluster/config/group.consumer.session.timeout.ms': { base: { ...kafkaConfig({ 'group.consumer.heartbeat.interval.ms': 500 }), faults: [{ at: '1s', crash: 'g1-c1' }] }, set: KAFKA_KIP848, values: [2000, 45_000] },
  // Two topics of two partitions, two members: range co-partitions, uniform spreads.
  'cluster/config/group.consumer.assignors': { base: KAFKA_TWO_TOPICS, set: { ...KAFKA_KIP848, 'workload/consumers/0/topics': ['orders', 'payments'], 'workload/consumers/0/topic': undefined }, values: [['uniform'], ['range']] },
  'workload/consumers[]/config/group.remote.assignor': { base: KAFKA_TWO_TOPICS, set: { ...KAFKA_KIP848, 'workload/consumers/0/topics': ['orders', 'payments'], 'workload/consumers/0/topic': undefined }, values: ['uniform', 'range'] },
  'topics[]/name': { base: { faults: [] }, set: { 'workload/producers/0/topic': undefined, 'workload/consumers/0/topic': undefined }, values: ['orders', 'payments'] },
  'topics[]/replicationFactor': { values: [1, 3] },
  // The only other replica is down when the leader crashes: an unclean election or none.
  // The follower is out of the ISR (killed for 2s, lag 300ms) when the leader is killed; back at 3s, it is the only replica.
  'topics[]/config/unclean.leader.election.enable': {
    base: { ...kafkaConfig({ ...ZK_SESSION_1S, 'replica.lag.time.max.ms': 300 }), topics: [{ name: 'orders', partitions: 1, replicationFactor: 2 }], faults: [{ at: '1s', kill: 'broker-2', for: '2s' }, { at: '2s', kill: 'broker-1', for: '10s' }] },
    values: [true, false],
  },
  'admin[]{addPartitions}/at': { base: { admin: [{ at: '2s', addPartitions: { topic: 'orders', count: 4 } }] }, set: { 'workload/consumers/0/config/metadata.max.age.ms': 500 }, values: ['1s', '3s'] },
  'admin[]{addPartitions}/addPartitions/topic': { base: { ...KAFKA_TWO_TOPICS, admin: [{ at: '2s', addPartitions: { topic: 'orders', count: 4 } }] }, values: ['orders', 'payments'] },
  'admin[]{addPartitions}/addPartitions/count': { base: { admin: [{ at: '2s', addPartitions: { topic: 'orders', count: 4 } }] }, set: { 'workload/consumers/0/config/metadata.max.age.ms': 500 }, values: [3, 6] },
  // kafka-transactions.sh abort of the hanging transaction: earlier frees the stuck LSO sooner.
  'admin[]{abortTransaction}/at': { from: 'kafka/txn-hanging-transaction-admin-abort.yaml', values: ['25s', '35s'] },
  // An abort on another topic's partition leaves orders-2's hanging transaction where it is.
  'admin[]{abortTransaction}/abortTransaction/topic': {
    from: 'kafka/txn-hanging-transaction-admin-abort.yaml',
    base: { topics: [{ name: 'orders', partitions: 3, replicationFactor: 3 }, { name: 'audit', partitions: 3, replicationFactor: 3 }] },
    values: ['orders', 'audit'],
  },
  // The pipeline writes to another topic: the read_committed reader of output sees nothing.
  'workload/consumers[]/pipeline/output': {
    from: 'kafka/eos-pipeline-instance-crash.yaml',
    base: { topics: [{ name: 'input', partitions: 3, replicationFactor: 3 }, { name: 'output', partitions: 3, replicationFactor: 3 }, { name: 'elsewhere', partitions: 3, replicationFactor: 3 }] },
    values: ['output', 'elsewhere'],
  },
  // At least once, the pipeline's producer retries: idempotence drops the resent batches.
  'workload/consumers[]/pipeline/enable.idempotence': { from: 'kafka/eos-pipeline-instance-crash.yaml', set: { 'workload/consumers/0/pipeline/processing.guarantee': 'at_least_once' }, values: [true, false] },
  // Idle ids expire at the next cleanup: every second against every hour.
  'cluster/config/transaction.remove.expired.transaction.cleanup.interval.ms': { from: 'kafka/txn-transactional-id-expired.yaml', values: [1000, 3_600_000] },
  'workload/producers[]/topic': { base: KAFKA_TWO_TOPICS, values: ['orders', 'payments'] },
  // With the delay recorded, delay accuracy is measured; without it, not.
  'workload/producers[]/delay': { from: 'kafka/delay-topic-scheduler.yaml', base: { duration: '12s', drain: '5s' }, sets: [{ 'workload/producers/0/delay': '10s' }, { 'workload/producers/0/delay': undefined }] },
  'workload/consumers[]/delayScheduler/delay': {
    from: 'kafka/delay-topic-scheduler.yaml', base: { duration: '12s', drain: '5s' },
    sets: [{ 'workload/producers/0/delay': '10s', 'workload/consumers/0/delayScheduler/delay': '10s' }, { 'workload/producers/0/delay': '2s', 'workload/consumers/0/delayScheduler/delay': '2s' }],
  },
  'workload/consumers[]/delayScheduler/target': {
    from: 'kafka/delay-topic-scheduler.yaml', base: { duration: '12s', drain: '5s' }, set: { 'topics/2': { name: 'orders-b', partitions: 1, replicationFactor: 3 } }, values: ['orders', 'orders-b'],
  },
  'workload/consumers[]/dispatch/targets': { from: 'kafka/dispatcher-fan-out.yaml', base: { duration: '4s', drain: '4s' }, values: [['orders.0', 'orders.1', 'orders.2', 'orders.3'], ['orders.0', 'orders.1']] },
  // Spring's blocking retries (DefaultErrorHandler) of a consumer failing one record in five.
  'workload/consumers[]/errorHandling{mode=blocking}/mode': { set: { 'workload/consumers/0/failureRate': 0.2 }, sets: [{ 'workload/consumers/0/errorHandling': { mode: 'blocking', attempts: 2 } }, { 'workload/consumers/0/errorHandling': undefined }] },
  'workload/consumers[]/errorHandling{mode=blocking}/attempts': { set: { 'workload/consumers/0/failureRate': 0.2, 'workload/consumers/0/errorHandling': { mode: 'blocking' } }, values: [1, 5] },
  'workload/consumers[]/errorHandling{mode=blocking}/backoff': { set: { 'workload/consumers/0/failureRate': 0.2, 'workload/consumers/0/errorHandling': { mode: 'blocking' } }, values: ['0s', '100ms'] },
  'workload/consumers[]/errorHandling{mode=blocking}/dlt': {
    base: { topics: [{ name: 'orders', partitions: 2, replicationFactor: 3 }, { name: 'orders-dlt', partitions: 1, replicationFactor: 3 }] },
    set: { 'workload/consumers/0/failureRate': 0.2, 'workload/consumers/0/errorHandling': { mode: 'blocking', attempts: 2 } }, values: [true, false],
  },
  'workload/consumers[]/errorHandling{mode=retry-topics}/mode': { from: 'kafka/consumer-retry-topics.yaml', base: { duration: '10s', drain: '10s' }, sets: [{}, { 'workload/consumers/0/errorHandling': undefined }] },
  // One retry topic of 1s: its name follows the back-off, so the scenario declares it.
  'workload/consumers[]/errorHandling{mode=retry-topics}/backoff': {
    from: 'kafka/consumer-retry-topics.yaml', base: { duration: '10s', drain: '10s' }, set: { 'topics/4': { name: 'orders-retry-1s', partitions: 1, replicationFactor: 3 } }, values: [['5s', '30s'], ['1s']],
  },
  'workload/consumers[]/errorHandling{mode=retry-topics}/dlt': { from: 'kafka/consumer-retry-topics.yaml', base: { duration: '10s', drain: '40s' }, values: [true, false] },
  // Not modelled for Kafka: refused at the producer or consumer that sets it.
  'workload/producers[]/outbox/resendAfter': { rejected: 'outbox', values: ['1s'] },
  'workload/producers[]/outbox/maxAttempts': { rejected: 'outbox', set: { 'workload/producers/0/outbox': { resendAfter: '1s' } }, values: [3] },
  'workload/consumers[]/idempotent': { rejected: 'idempotent', values: [true] },
  // 2000 bytes a partition is one record of 1 KB a Fetch.
  'workload/consumers[]/config/max.partition.fetch.bytes': { set: { 'workload/producers/0/payload': '1KB', 'workload/producers/0/rate': '300/s' }, values: [1_048_576, 2000] },
  // A backlog (slow processing): a poll returns up to this many records.
  'workload/consumers[]/config/max.poll.records': { set: { 'workload/consumers/0/processing': '30ms' }, values: [500, 2] },
  'workload/producers[]/transactions/records': { set: KAFKA_TXN, values: [1, 5] },
  'workload/producers[]/transactions/abortEvery': { set: KAFKA_TXN, values: [2, 5] },
  'workload/producers[]/config/transaction.timeout.ms': { set: KAFKA_TXN, values: [1000, 60_000] },
  // The leader's machine crashes: unanswered batches are retried (or fail at once), until delivery.timeout.ms.
  'workload/producers[]/config/retries': { values: [0, 5] },
  'workload/producers[]/config/delivery.timeout.ms': { base: { faults: [{ at: '1s', crash: 'broker-1' }, { at: '1s', crash: 'broker-2' }] }, set: { 'workload/producers/0/config/request.timeout.ms': 500 }, values: [1000, 120_000] },
  'workload/producers[]/config/metadata.max.age.ms': { values: [500, 300_000] },
  // Killed (connections refused) for 3s: the reconnect back-off grows to its max.
  'workload/producers[]/config/reconnect.backoff.max.ms': { base: { faults: [{ at: '1s', kill: 'broker-1', for: '3s' }] }, values: [100, 1000] },
  'workload/consumers[]/config/reconnect.backoff.max.ms': { base: { faults: [{ at: '1s', kill: 'broker-1', for: '3s' }] }, values: [100, 1000] },
  'workload/consumers[]/config/metadata.max.age.ms': { values: [500, 300_000] },
  'workload/consumers[]/group': { values: ['g1', 'g2'] },
  'workload/consumers[]/topic': { base: KAFKA_TWO_TOPICS, set: { 'workload/producers/1': { id: 'p2', topic: 'payments', rate: '10/s' } }, values: ['orders', 'payments'] },
  'workload/consumers[]/topics': { base: KAFKA_TWO_TOPICS, set: { 'workload/producers/1': { id: 'p2', topic: 'payments', rate: '10/s' }, 'workload/consumers/0/topic': undefined }, values: [['orders'], ['orders', 'payments']] },
  'workload/consumers[]/workers': { set: { 'workload/consumers/0/processingMode': 'async-pool', 'workload/consumers/0/processing': '30ms' }, values: [1, 4] },
  'workload/consumers[]/steps[]{subscribe}/at': { base: KAFKA_TWO_TOPICS, set: { 'workload/consumers/0/steps': [{ at: '2s', subscribe: ['payments'] }] }, values: ['1s', '3s'] },
  'workload/consumers[]/steps[]{subscribe}/subscribe': { base: KAFKA_TWO_TOPICS, set: { 'workload/consumers/0/steps': [{ at: '2s', subscribe: ['payments'] }] }, values: [['payments'], ['orders', 'payments']] },
  'workload/consumers[]/steps[]{close}/at': { set: { 'workload/consumers/0/steps': [{ at: '2s', close: true }] }, values: ['1s', '3s'] },
  // close: true and start: true are their keys' only values: the run with the step against the run without.
  'workload/consumers[]/steps[]{close}/close': { sets: [{ 'workload/consumers/0/steps': [{ at: '2s', close: true }] }, {}] },
  'workload/consumers[]/steps[]{start}/at': { set: { 'workload/consumers/0/steps': [{ at: '2s', start: true }, { at: '1s', close: true }] }, values: ['2s', '3s'] },
  'workload/consumers[]/steps[]{start}/start': {
    sets: [{ 'workload/consumers/0/steps': [{ at: '1s', close: true }, { at: '2s', start: true }] }, { 'workload/consumers/0/steps': [{ at: '1s', close: true }] }],
  },
};

/** RabbitMQ: a cluster of three with the queue `jobs` a quorum queue. */
const RABBIT_QUORUM: Json = { cluster: { brokers: 3 }, queues: [{ name: 'jobs', durable: true, arguments: { 'x-queue-type': 'quorum' } }], faults: [] };
/** RabbitMQ 3.10, three nodes, `jobs` mirrored everywhere by the policy ha; its leader's node crashes at 2s (noticed within net_ticktime 2s). */
const RABBIT_MIRRORED: Json = {
  cluster: { brokers: 3, version: '3.10', config: { net_ticktime: '2s' } },
  policies: [{ name: 'ha', pattern: '^jobs$', definition: { 'ha-mode': 'all' } }],
  queues: [{ name: 'jobs', durable: true, node: 'rabbit-1' }],
  faults: [{ at: '2s', crash: 'rabbit-1' }],
};
const RABBIT_CONSUMER_NODES = { 'workload/consumers/0/node': ['rabbit-1', 'rabbit-2'], 'workload/producers/0/node': ['rabbit-1', 'rabbit-2'] };
/** Publishing through the direct exchange ex, bound to jobs. */
const RABBIT_EXCHANGE: Json = {
  exchanges: [{ name: 'ex', type: 'direct' }, { name: 'ex2', type: 'fanout' }],
  queues: [{ name: 'jobs', durable: true }, { name: 'spare', durable: true }],
  bindings: [{ exchange: 'ex', queue: 'jobs', routingKey: 'jobs' }, { exchange: 'ex2', queue: 'jobs' }],
};
/** A second vhost v2 with its own jobs queue. */
const RABBIT_VHOSTS: Json = { vhosts: [{ name: '/' }, { name: 'v2' }], queues: [{ name: 'jobs', durable: true }, { name: 'jobs', vhost: 'v2', durable: true }] };
const RABBIT_DLX = {
  queues: [{ name: 'jobs', durable: true, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dead' } }, { name: 'dead', durable: true }],
};
const RABBIT_FAILING = { 'workload/consumers/0/failureRate': 0.3, 'workload/consumers/0/config/requeue': false };

/** A consumer that requeues one delivery in three: requeued messages come back behind later ones. */
const RABBIT_REQUEUEING = { 'workload/consumers/0/failureRate': 0.3, 'workload/consumers/0/config/requeue': true };

const RABBITMQ: Record<string, KeyCase> = {
  // Datagram effects: RabbitMQ has no datagram traffic, so they are refused where written.
  'network/duplicate': { rejected: 'duplicate', values: [0.05] },
  'network/reorder': { rejected: 'reorder', values: [0.05] },
  'network/links[]/duplicate': { rejected: 'duplicate', base: { network: { links: [{ from: ['p1'], to: ['rabbit-1'] }] } }, values: [0.2] },
  'network/links[]/reorder': { rejected: 'reorder', base: { network: { links: [{ from: ['p1'], to: ['rabbit-1'] }] } }, values: [0.2] },
  // Keys matter to the per-key order checker: requeues reorder one key more than ten.
  'workload/producers[]/keys': { set: RABBIT_REQUEUEING, values: [1, 10] },
  'workload/producers[]/keys{count}/count': { set: { ...RABBIT_REQUEUEING, 'workload/producers/0/keys': { count: 10 } }, values: [1, 10] },
  'workload/producers[]/keys{count}/zipf': { set: { ...RABBIT_REQUEUEING, 'workload/producers/0/keys': { count: 10 } }, values: [0.5, 2] },
  // 3.10 puts a requeued quorum-queue message at the back and has no delivery limit; 4.0 does both otherwise.
  'cluster/version': { base: RABBIT_QUORUM, set: { 'workload/consumers/0/failureRate': 0.3, 'workload/consumers/0/processing': '30ms' }, values: ['3.10', '4.0'] },
  // The producer stops at 1s: idle followers get the leader's heartbeats.
  'cluster/config/quorum.heartbeat': { base: RABBIT_QUORUM, set: { 'workload/producers/0/stop': '1s' }, values: ['100ms', '250ms'] },
  // The quorum leader's node crashes: commands to it go unanswered until this timeout, then to the next member.
  'cluster/config/quorum.command.timeout': { base: { ...RABBIT_QUORUM, faults: [{ at: '2s', crash: 'rabbit-1' }] }, values: ['1s', '5s'] },
  // 10 KB messages fill a 2 MB disk: the alarm sets in when free space falls below the limit.
  'cluster/config/disk_free_limit.absolute': { base: { disk: { capacity: '2MB' } }, set: { 'workload/producers/0/payload': '10KB' }, values: ['100KB', '1500KB'] },
  // The producer publishes into v2 when it exists; renamed, v2 is gone and the producer refused.
  'vhosts[]/name': { base: { ...RABBIT_VHOSTS, vhosts: [{ name: 'v2' }, { name: '/' }], queues: [{ name: 'jobs', durable: true }] }, values: ['v2', 'v3'], refuses: true },
  // Permissions on v2: the producer's user may write or not.
  'vhosts[]/permissions[]/user': { base: { ...RABBIT_VHOSTS, vhosts: [{ name: 'v2', permissions: [{ user: 'guest', write: '.*', read: '.*' }] }, { name: '/' }] }, set: { 'workload/producers/0/vhost': 'v2', 'workload/consumers/0/vhost': 'v2' }, values: ['guest', 'other'] },
  // No client declares or deletes anything: refused (models/rabbitmq/schema.ts).
  'vhosts[]/permissions[]/configure': { base: { ...RABBIT_VHOSTS, vhosts: [{ name: 'v2', permissions: [{ user: 'guest', write: '.*', read: '.*' }] }, { name: '/' }] }, rejected: 'configure', values: ['.*'] },
  'vhosts[]/permissions[]/write': { base: { ...RABBIT_VHOSTS, vhosts: [{ name: 'v2', permissions: [{ user: 'guest', write: '.*', read: '.*' }] }, { name: '/' }] }, set: { 'workload/producers/0/vhost': 'v2', 'workload/consumers/0/vhost': 'v2' }, values: ['.*', ''] },
  'vhosts[]/permissions[]/read': { base: { ...RABBIT_VHOSTS, vhosts: [{ name: 'v2', permissions: [{ user: 'guest', write: '.*', read: '.*' }] }, { name: '/' }] }, set: { 'workload/producers/0/vhost': 'v2', 'workload/consumers/0/vhost': 'v2' }, values: ['.*', ''] },
  // Renaming or moving the exchange the producer names leaves the producer without it: refused.
  'exchanges[]/name': { base: RABBIT_EXCHANGE, set: { 'workload/producers/0/exchange': 'ex' }, values: ['ex', 'ex3'], refuses: true },
  'exchanges[]/vhost': { base: { ...RABBIT_EXCHANGE, vhosts: [{ name: '/' }, { name: 'v2' }] }, set: { 'workload/producers/0/exchange': 'ex', 'bindings/0/exchange': 'ex2' }, values: ['/', 'v2'], refuses: true },
  // The broker restarts at 2s: a transient exchange is gone, publishes to it fail.
  'exchanges[]/durable': { base: { ...RABBIT_EXCHANGE, faults: [{ at: '1s', crash: 'rabbit-1' }, { at: '1500ms', restart: 'rabbit-1' }] }, set: { 'workload/producers/0/exchange': 'ex' }, values: [true, false] },
  'exchanges[]/internal': { base: RABBIT_EXCHANGE, set: { 'workload/producers/0/exchange': 'ex' }, values: [true, false] },
  'exchanges[]/arguments/alternate-exchange': { from: 'rabbitmq/alternate-exchange.yaml', values: ['unrouted', 'regional'] },
  // A delayed exchange routing, once due, as direct (key jobs only) or fanout (every bound queue).
  'exchanges[]/arguments/x-delayed-type': {
    base: { ...RABBIT_EXCHANGE, exchanges: [{ name: 'ex', type: 'x-delayed-message', arguments: { 'x-delayed-type': 'direct' } }, { name: 'ex2', type: 'fanout' }], bindings: [{ exchange: 'ex', queue: 'jobs', routingKey: 'jobs' }, { exchange: 'ex', queue: 'spare', routingKey: 'other' }] },
    set: { 'workload/producers/0/exchange': 'ex', 'workload/producers/0/delay': '100ms' },
    values: ['direct', 'fanout'],
  },
  'queues[]/name': { base: { queues: [{ name: 'spare', durable: true }, { name: 'jobs', durable: true }] }, values: ['spare', 'spare2'] },
  'queues[]/vhost': { base: { vhosts: [{ name: '/' }, { name: 'v2' }], queues: [{ name: 'jobs', durable: true }, { name: 'jobs', vhost: 'v2', durable: true }] }, set: { 'queues/1/vhost': undefined, 'queues/0/name': 'other' }, values: ['/', 'v2'] },
  // The consumer stops at 2s: an auto-delete queue goes with its last consumer.
  'queues[]/autoDelete': { base: { faults: [] }, set: { 'workload/consumers/0/stop': '2s' }, values: [true, false] },
  // An unused queue expires.
  'queues[]/arguments/x-expires': { base: { queues: [{ name: 'idle', durable: true, arguments: { 'x-expires': '1s' } }, { name: 'jobs', durable: true }] }, values: ['1s', '10s'] },
  'queues[]/arguments/x-dead-letter-exchange': { base: { ...RABBIT_DLX, exchanges: [{ name: 'dlx', type: 'fanout' }], bindings: [{ exchange: 'dlx', queue: 'dead' }] }, set: { ...RABBIT_FAILING, 'queues/0/arguments/x-dead-letter-routing-key': 'nowhere' }, values: ['', 'dlx'] },
  'queues[]/arguments/x-dead-letter-routing-key': { base: RABBIT_DLX, set: RABBIT_FAILING, values: ['dead', 'nowhere'] },
  'queues[]/arguments/x-quorum-initial-group-size': { base: RABBIT_QUORUM, values: [1, 3] },
  'queues[]/node': { base: { cluster: { brokers: 2 } }, set: RABBIT_CONSUMER_NODES, values: ['rabbit-1', 'rabbit-2'] },
  'bindings[]/vhost': { base: { ...RABBIT_EXCHANGE, vhosts: [{ name: '/' }, { name: 'v2' }], exchanges: [{ name: 'ex', type: 'direct' }, { name: 'ex', type: 'direct', vhost: 'v2' }, { name: 'ex2', type: 'fanout' }], queues: [{ name: 'jobs', durable: true }, { name: 'jobs', vhost: 'v2', durable: true }, { name: 'spare', durable: true }] }, set: { 'workload/producers/0/exchange': 'ex' }, values: ['/', 'v2'] },
  'bindings[]/exchange': { base: RABBIT_EXCHANGE, set: { 'workload/producers/0/exchange': 'ex' }, values: ['ex', 'ex2'] },
  'bindings[]/queue': { base: RABBIT_EXCHANGE, set: { 'workload/producers/0/exchange': 'ex' }, values: ['jobs', 'spare'] },
  // ex routes to ex2 (an exchange-to-exchange binding), which routes to jobs; or to ex itself, which does not.
  'bindings[]/toExchange': { base: { ...RABBIT_EXCHANGE, exchanges: [{ name: 'ex', type: 'direct' }, { name: 'ex2', type: 'fanout' }, { name: 'ex3', type: 'fanout' }], bindings: [{ exchange: 'ex', toExchange: 'ex2', routingKey: 'jobs' }, { exchange: 'ex2', queue: 'jobs' }] }, set: { 'workload/producers/0/exchange': 'ex' }, values: ['ex2', 'ex3'] },
  'bindings[]/arguments{*}': { from: 'rabbitmq/headers-routing.yaml', sets: [{ 'bindings/0/arguments/type': 'report' }, { 'bindings/0/arguments/type': 'log' }] },
  'policies[]/name': { base: { ...RABBIT_MIRRORED, policies: [{ name: 'ha', pattern: '^jobs$', definition: { 'ha-mode': 'all' } }, { name: 'hb', pattern: '^jobs$', definition: { 'ha-mode': 'exactly', 'ha-params': 2 } }] }, values: ['ha', 'hc'] },
  'policies[]/pattern': { base: RABBIT_MIRRORED, values: ['^jobs$', '^other$'] },
  'policies[]/vhost': { base: { ...RABBIT_MIRRORED, vhosts: [{ name: '/' }, { name: 'v2' }] }, values: ['/', 'v2'] },
  'policies[]/apply-to': { base: RABBIT_MIRRORED, values: ['all', 'exchanges'] },
  'policies[]/priority': { base: { ...RABBIT_MIRRORED, policies: [{ name: 'ha', pattern: '^jobs$', definition: { 'ha-mode': 'all' } }, { name: 'hb', pattern: '^jobs$', priority: 1, definition: { 'ha-mode': 'nodes', 'ha-params': ['rabbit-1'] } }] }, values: [0, 5] },
  'policies[]/definition/ha-mode': { base: RABBIT_MIRRORED, sets: [{ 'policies/0/definition': { 'ha-mode': 'all' } }, { 'policies/0/definition': { 'ha-mode': 'exactly', 'ha-params': 1 } }] },
  'policies[]/definition/ha-params': { base: RABBIT_MIRRORED, set: { 'policies/0/definition/ha-mode': 'exactly' }, values: [1, 3] },
  'workload/producers[]/vhost': { base: RABBIT_VHOSTS, values: ['/', 'v2'] },
  'workload/producers[]/node': { base: { cluster: { brokers: 2 } }, values: ['rabbit-1', 'rabbit-2'] },
  'workload/producers[]/exchange': { base: RABBIT_EXCHANGE, values: ['', 'ex2'] },
  'workload/producers[]/routingKey': { base: RABBIT_EXCHANGE, values: ['jobs', 'spare'] },
  // A slow consumer: messages wait, and a short TTL expires them.
  'workload/producers[]/expiration': { set: { 'workload/consumers/0/processing': '50ms' }, values: ['10ms', '10s'] },
  'workload/producers[]/priority': { base: { queues: [{ name: 'jobs', durable: true, arguments: { 'x-max-priority': 10 } }] }, set: { 'workload/consumers/0/processing': '50ms' }, values: [1, [1, 9]] },
  'workload/producers[]/headers{*}': { from: 'rabbitmq/headers-routing.yaml', sets: [{ 'workload/producers/0/headers/type': 'report' }, { 'workload/producers/0/headers/type': 'log' }] },
  // A slow consumer: a 1s per-message TTL (expiration) expires waiting messages, an x-delay header on a plain exchange does nothing.
  'workload/producers[]/delayBy': { set: { 'workload/producers/0/delay': '1s', 'workload/consumers/0/processing': '50ms' }, values: ['x-delay', 'expiration'] },
  // The broker's machine crashes at 1s: confirms stop coming, and the wait for them ends after this.
  'workload/producers[]/config/confirm.timeout': { base: { faults: [{ at: '1s', crash: 'rabbit-1' }] }, values: ['300ms', '30s'] },
  ...Object.fromEntries(Object.entries({
    checkExchange: ['', 'amq.direct'],
    checkRoutingKey: ['check.delay', 'orders'],
    checkDelay: ['1s', '3s'],
    checkDelayBy: ['expiration', 'queue-ttl'],
    checkPersistent: [true, false],
    callbackQueue: ['callback', 'orders'],
    maxResends: [1, 5],
    service: ['svc-a', 'svc-b'],
  }).map(([key, values]) => [`workload/producers[]/delayedConfirmation/${key}`, {
    // Check messages delayed by a per-message TTL into the callback queue, with a consumer killed at 5s.
    from: 'rabbitmq/delayed-confirmation-consumer-crash.yaml', base: { duration: '8s', drain: '10s' }, set: { 'workload/producers/0/delayedConfirmation/checkDelayBy': 'expiration' }, values,
  }])),
  ...Object.fromEntries(Object.entries({ exchange: ['', 'amq.direct'], routingKey: ['callback', 'orders'], persistent: [true, false] }).map(([key, values]) => [`workload/consumers[]/confirmTo/${key}`, {
    from: 'rabbitmq/delayed-confirmation-consumer-crash.yaml', base: { duration: '8s', drain: '10s' }, values,
  }])),
  'workload/consumers[]/group': { base: { faults: [] }, values: ['a', 'b'] },
  'workload/consumers[]/vhost': { base: RABBIT_VHOSTS, values: ['/', 'v2'] },
  'workload/consumers[]/user': { base: { ...RABBIT_VHOSTS, vhosts: [{ name: 'v2', permissions: [{ user: 'guest', write: '.*', read: '.*' }] }, { name: '/' }] }, set: { 'workload/producers/0/vhost': 'v2', 'workload/consumers/0/vhost': 'v2' }, values: ['guest', 'nobody'] },
  'workload/consumers[]/node': { base: { cluster: { brokers: 2 } }, values: ['rabbit-1', 'rabbit-2'] },
  'workload/consumers[]/queue': { base: { queues: [{ name: 'jobs', durable: true }, { name: 'spare', durable: true }], faults: [] }, values: ['jobs', 'spare'] },
  'workload/consumers[]/config/reject': { set: RABBIT_FAILING, values: [true, false] },
  'workload/producers[]/user': { base: { ...RABBIT_VHOSTS, vhosts: [{ name: 'v2', permissions: [{ user: 'guest', write: '.*', read: '.*' }] }, { name: '/' }] }, set: { 'workload/producers/0/vhost': 'v2', 'workload/consumers/0/vhost': 'v2' }, values: ['guest', 'nobody'] },
};

const ROCKET_PULL = { 'workload/consumers/0/consumerType': 'pull' };
/** A backlog: the consumer handles 20 messages a second of 200. */
const ROCKET_BACKLOG = { 'workload/producers/0/rate': '200/s', 'workload/consumers/0/processing': '50ms' };
const ROCKET_TXN = { 'workload/producers/0/transaction': { unknown: 1 } };
const rocketConfig = (config: Json): Json => ({ cluster: { config } });

const ROCKETMQ: Record<string, KeyCase> = {
  // Datagram effects: every RocketMQ channel is on TCP (remoting, HA, DLedger): refused where written.
  'network/duplicate': { rejected: 'duplicate', values: [0.05] },
  'network/reorder': { rejected: 'reorder', values: [0.05] },
  'network/links[]/duplicate': { rejected: 'duplicate', base: { network: { links: [{ from: ['broker-a-0'], to: ['broker-a-1'] }] } }, values: [0.2] },
  'network/links[]/reorder': { rejected: 'reorder', base: { network: { links: [{ from: ['broker-a-0'], to: ['broker-a-1'] }] } }, values: [0.2] },
  // 5.x only: a crashed broker is dropped 120 s after its last heartbeat, at the next scan.
  'cluster/config/scanNotActiveBrokerInterval': { from: 'rocketmq/namesrv-scan-interval.yaml', values: [5000, 60_000] },
  'cluster/config/messageDelayLevel': { set: { 'workload/producers/0/delayLevel': 1 }, values: ['1s 5s', '2s 5s'] },
  // A SYNC_MASTER whose slave crashed: it answers SLAVE_NOT_AVAILABLE once it considers the slave gone.
  'cluster/config/haHousekeepingInterval': { base: { ...rocketConfig({ brokerRole: 'SYNC_MASTER' }), faults: [{ at: '1s', crash: 'broker-a-1' }] }, values: [1000, 20_000] },
  // A paused slave falls behind its SYNC_MASTER.
  'cluster/config/haSlaveFallbehindMax': { base: { ...rocketConfig({ brokerRole: 'SYNC_MASTER' }), faults: [{ at: '1s', pause: 'broker-a-1', for: '2s' }] }, set: { 'workload/producers/0/payload': '10KB' }, values: ['1KiB', '1GiB'] },
  // A consumer's machine dies: the broker drops its channel after this long without a heartbeat.
  // billing-c1's machine dies at 20s: the broker drops it (and rebalances the group) once this has passed, checked every 10s.
  'cluster/config/channelExpiredTimeout': { from: 'rocketmq/consumer-crash-duplicates.yaml', base: { duration: '25s', drain: '30s', faults: [{ at: '20s', crash: 'billing-c1' }] }, values: [10_000, 120_000] },
  // Every local transaction answers UNKNOW: the broker checks half messages older than this.
  'cluster/config/transactionTimeOut': { base: rocketConfig({ transactionCheckInterval: 500 }), set: ROCKET_TXN, values: [100, 6000] },
  'workload/producers[]/transaction/checkUnknown': { base: rocketConfig({ transactionCheckInterval: 500, transactionTimeOut: 100 }), set: ROCKET_TXN, values: [0, 1] },
  'topics[]/name': { base: { topics: [{ name: 'TopicTest' }, { name: 'Other' }] }, values: ['TopicTest', 'Third'] },
  'topics[]/readQueueNums': { base: { topics: [{ name: 'TopicTest' }] }, values: [1, 4] },
  'topics[]/writeQueueNums': { base: { topics: [{ name: 'TopicTest' }] }, values: [1, 4] },
  'topics[]/brokerGroups': { base: { topics: [{ name: 'TopicTest' }] }, values: [['broker-a'], ['broker-a', 'broker-b']] },
  'workload/producers[]/outbox/resendAfter': { rejected: 'outbox', values: ['1s'] },
  'workload/producers[]/outbox/maxAttempts': { rejected: 'outbox', set: { 'workload/producers/0/outbox': { resendAfter: '1s' } }, values: [3] },
  'workload/producers[]/topic': { base: { topics: [{ name: 'TopicTest' }, { name: 'Other' }] }, values: ['TopicTest', 'Other'] },
  'workload/producers[]/tags': { set: { 'workload/consumers/0/subscription': 'A' }, values: [['A'], ['B']] },
  'workload/consumers[]/subscription': { set: { 'workload/producers/0/tags': ['A', 'B'] }, values: ['*', 'A'] },
  'workload/consumers[]/topic': { base: { topics: [{ name: 'TopicTest' }, { name: 'Other' }] }, values: ['TopicTest', 'Other'] },
  'workload/consumers[]/group': { base: { faults: [] }, values: ['g1', 'g2'] },
  // Clients start 1s after the cluster (models/rocketmq/producer.ts, CLIENT_START_DELAY): earlier is refused.
  'workload/consumers[]/start': { values: ['1500ms', '3s'] },
  'workload/consumers[]/stop': { values: ['1500ms', '3s'] },
  'workload/consumers[]/processingMode': { set: { ...ROCKET_PULL, ...ROCKET_BACKLOG }, values: ['sync', 'async-pool'] },
  'workload/consumers[]/workers': { set: { ...ROCKET_PULL, ...ROCKET_BACKLOG, 'workload/consumers/0/processingMode': 'async-pool' }, values: [1, 4] },
  'workload/consumers[]/seek[]/at': { set: { ...ROCKET_PULL, 'workload/consumers/0/seek': [{ at: '2s', offset: 'begin' }] }, values: ['2s', '3s'] },
  'workload/consumers[]/seek[]/offset': { set: { ...ROCKET_PULL, 'workload/consumers/0/seek': [{ at: '3s', offset: 'begin' }] }, values: ['begin', 'end'] },
  // The client's cache is capped at 10 messages a queue, so messages wait at the broker and each pull takes up to a batch.
  'workload/consumers[]/config/pullBatchSize': { set: { ...ROCKET_BACKLOG, 'workload/consumers/0/config/pullThresholdForQueue': 10, 'workload/consumers/0/config/consumeThreadMin': 1 }, values: [32, 3] },
  'workload/producers[]/transaction/commit': { set: { 'workload/producers/0/transaction': {} }, values: [0, 1] },
  // Every local transaction answers UNKNOW: the broker checks back with a producer of the half message's group.
  'workload/producers[]/config/producerGroup': { base: rocketConfig({ transactionCheckInterval: 500, transactionTimeOut: 100 }), set: ROCKET_TXN, values: ['DEFAULT_PRODUCER', 'orders'] },
  'workload/consumers[]/config/pullThresholdForQueue': { set: { ...ROCKET_BACKLOG, 'workload/consumers/0/config/consumeThreadMin': 1 }, values: [1000, 10] },
  'workload/producers[]/delayLevels': { values: [[1], [1, 2]] },
  ...Object.fromEntries(([
    ['autoCommit', [true, false]], ['autoCommitIntervalMillis', [500, 5000]], ['pollTimeoutMillis', [10, 5000]], ['pullThresholdForAll', [10, 10_000]],
    ['consumeMaxSpan', [5, 2000]], ['brokerSuspendMaxTimeMillis', [100, 20_000]], ['consumerTimeoutMillisWhenSuspend', [200, 30_000]], ['pullTimeDelayMillsWhenException', [100, 3000]],
  ] as const).map(([key, values]) => [`workload/consumers[]/config/${key}`, { set: { ...ROCKET_PULL, ...ROCKET_BACKLOG }, values: [...values] }])),
};

/** Per system: key label -> case. Keys of every system go under '*'. */
export const CASES: Record<string, Record<string, KeyCase>> = {
  '*': EVERY_SYSTEM,
  demo: {
    'workload/producers[]/queue': { values: ['jobs', 'other'] },
    'workload/consumers[]/queue': { values: ['jobs', 'other'] },
    'workload/consumers[]/group': { values: ['workers', 'pool'] },
    ...nodeCases({ a: 'broker', b: 'workers-c1', c: 'p1', disk: 'broker', unflushed: { cluster: { config: { 'ack.after': 'receive' } } } }),
  },
  kafka: {
    ...nodeCases({ a: 'broker-1', b: 'broker-2', c: 'broker-3', disk: 'broker-1' }),
    ...KAFKA,
  },
  rabbitmq: {
    ...nodeCases({ a: 'rabbit-1', b: 'jobs-c1', c: 'p1', disk: 'rabbit-1', unflushed: { cluster: { config: { 'fsync.interval': '2s' } } } }),
    ...RABBITMQ,
  },
  rocketmq: {
    // Master to slave: the HA transfer, which carries the commit log (a link between masters carries nothing).
    ...nodeCases({ a: 'broker-a-0', b: 'broker-b-0', c: 'broker-a-1', disk: 'broker-a-0', link: ['broker-a-0', 'broker-a-1', 'broker-b-0'] }),
    ...ROCKETMQ,
  },
};

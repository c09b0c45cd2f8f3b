/**
 * The key-coverage table (issue #15): data for test/unit/key-coverage.test.ts.
 *
 * For every system, every key its scenario schema accepts must be one of:
 * - covered generically: booleans (true against false), enums (every member against every
 *   other), numbers, durations and sizes (the default read from the key's description against a
 *   tenth of it) set in the system's small base scenario, each run giving a different trace hash
 *   or result;
 * - covered by a CASE below: a base fragment that makes the key matter (a fault, a mode, a
 *   workload) and the values to try, each with a comment saying why;
 * - allow-listed in DOC_ONLY, with the reason it cannot change a run.
 * A key that is none of these fails the test with the line to add.
 */

export type Json = Record<string, unknown>;

export interface KeyCase {
  /** Merged into the system's base scenario for every run of this key: what makes the key matter. */
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
    network: { latency: { uniform: ['1ms', '3ms'] } },
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
    network: { latency: { uniform: ['500us', '2ms'] } },
    workload: {
      producers: [{ id: 'p1', rate: '50/s', keys: 10 }],
      consumers: [{ group: 'billing', count: 2, processing: '5ms' }],
    },
    faults: [{ at: '2s', crash: { 'master-of': 'broker-a' } }],
  }),
};

/**
 * Keys that cannot change a run, each with why. Whole sections read by other commands are
 * listed key by key, so a key added to them is noticed here too.
 */
export const DOC_ONLY: Record<string, string> = {
  name: 'the scenario\'s name: reports and messages show it; a run does not depend on it',
  description: 'prose for readers and reports',
  system: 'selects the schema and model; not a setting within a system',
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
  'network/reorder': { values: [0, 0.05] },
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
function nodeCases(n: { a: string; b: string; c: string; disk: string; unflushed?: Json }): Record<string, KeyCase> {
  const at = (step: Json) => ({ base: { faults: [step] }, values: ['1s', '3s'] });
  const who = (kind: string, extra: Json = {}) => ({ base: { faults: [{ at: '2s', [kind]: n.a, ...extra }] }, values: [n.a, n.b] });
  const links = (link: Json) => ({ base: { network: { links: [{ from: [n.a], to: [n.b], ...link }] } } });
  return {
    'network/links[]/from': { ...links({ latency: '20ms' }), values: [[n.a], [n.c]] },
    'network/links[]/to': { ...links({ latency: '20ms' }), values: [[n.b], [n.c]] },
    'network/links[]/latency': { ...links({}), values: ['1ms', '20ms'] },
    'network/links[]/loss': { ...links({}), values: [0, 0.2] },
    'network/links[]/duplicate': { ...links({}), values: [0, 0.2] },
    'network/links[]/reorder': { ...links({}), values: [0, 0.2] },
    'network/links[]/bandwidth': { ...links({}), values: ['10KB/s', '10MB/s'] },
    'faults[]{crash}/at': at({ at: '2s', crash: n.a }),
    'faults[]{crash}/crash': who('crash'),
    // A machine crash drops the page cache unless keepPageCache; restarted, the node has only what was flushed.
    'faults[]{crash}/keepPageCache': { base: { ...n.unflushed, faults: [{ at: '2s', crash: n.disk }, { at: '2500ms', restart: n.disk }] }, values: [true, false] },
    // Both crashed at 1s: which one comes back, and when.
    'faults[]{restart}/at': { base: { faults: [{ at: '2s', restart: n.a }, { at: '1s', crash: n.a }] }, values: ['1500ms', '3s'] },
    'faults[]{restart}/restart': { base: { faults: [{ at: '2s', restart: n.a }, { at: '1s', crash: n.a }, { at: '1s', crash: n.b }] }, values: [n.a, n.b] },
    'faults[]{kill}/at': at({ at: '2s', kill: n.a, for: '1s' }),
    'faults[]{kill}/kill': who('kill', { for: '1s' }),
    'faults[]{kill}/for': { base: { faults: [{ at: '2s', kill: n.a, for: '1s' }] }, values: ['500ms', '1500ms'] },
    // A killed process's machine keeps its page cache unless keepPageCache: false.
    'faults[]{kill}/keepPageCache': { base: { ...n.unflushed, faults: [{ at: '2s', kill: n.disk, for: '500ms' }] }, values: [true, false] },
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

/** Per system: key label -> case. Keys of every system go under '*'. */
export const CASES: Record<string, Record<string, KeyCase>> = {
  '*': EVERY_SYSTEM,
  demo: {
    ...nodeCases({ a: 'broker', b: 'workers-c1', c: 'p1', disk: 'broker', unflushed: { cluster: { config: { 'ack.after': 'receive' } } } }),
  },
  kafka: {
    ...nodeCases({ a: 'broker-1', b: 'broker-2', c: 'broker-3', disk: 'broker-1' }),
  },
  rabbitmq: {
    ...nodeCases({ a: 'rabbit-1', b: 'jobs-c1', c: 'p1', disk: 'rabbit-1' }),
  },
  rocketmq: {
    ...nodeCases({ a: 'broker-a-0', b: 'broker-b-0', c: 'broker-a-1', disk: 'broker-a-0' }),
  },
};

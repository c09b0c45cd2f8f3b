import type { KafkaProbe, KafkaStep } from './probe.js';

/**
 * The Kafka probes. Client-side probes run on one combined-mode node; replication probes on a
 * dedicated controller and three brokers, each topic with explicit replicas [1, 2, 3] (broker 1
 * the preferred leader, as the model's own assignment puts it). Timings that depend on a
 * timeout are compared within a stated tolerance.
 */

/** Thousands of keys of several shapes: ASCII, digits, Cyrillic, CJK with an emoji, and the empty key. */
export function probeKeys(): string[] {
  const keys: string[] = [''];
  for (let i = 0; i < 2000; i++) {
    switch (i % 4) {
      case 0: keys.push(`order-${i}`); break;
      case 1: keys.push(String((i * 2654435761) % 1_000_000_007)); break;
      case 2: keys.push(`ключ-${i}`); break;
      default: keys.push(`用户${i}🙂`);
    }
  }
  return keys;
}

const partitionerProbe = (n: number): KafkaProbe => ({
  id: `partitioner-keys-${n}-partitions`,
  about: `default partitioner: the partition of 2001 keys (ASCII, digits, Cyrillic, CJK + emoji, empty) on a ${n}-partition topic`,
  cluster: 'single',
  topics: [{ name: `keys-${n}`, partitions: n }],
  // Not idempotent: only the partition of each key matters here, not the producer's sequence bookkeeping.
  steps: [{ op: 'keys', producer: 'pk', topic: `keys-${n}`, label: `p${n}`, keys: probeKeys(), config: { acks: '1', 'enable.idempotence': false, 'linger.ms': 5 } }],
});

const member = (name: string, topics: string[], strategy: string, extra: Record<string, string | number | boolean> = {}): KafkaStep => ({
  op: 'join', member: name, group: 'g', topics, config: { 'partition.assignment.strategy': strategy, ...extra },
});

const ASSIGNORS: Record<string, string> = {
  range: 'org.apache.kafka.clients.consumer.RangeAssignor',
  roundrobin: 'org.apache.kafka.clients.consumer.RoundRobinAssignor',
  sticky: 'org.apache.kafka.clients.consumer.StickyAssignor',
  'cooperative-sticky': 'org.apache.kafka.clients.consumer.CooperativeStickyAssignor',
};

/** Three members join a group on topics a (5 partitions) and b (3); then g-c2 leaves (close). */
const leaveProbe = (strategy: string): KafkaProbe => ({
  id: `${strategy}-join-then-leave`,
  about: `${strategy}: three members subscribe to a (5 partitions) and b (3); then g-c2 closes and leaves`,
  cluster: 'single',
  assignments: strategy.includes('sticky') ? 'shape' : 'exact',
  topics: [{ name: 'a', partitions: 5 }, { name: 'b', partitions: 3 }],
  steps: [
    member('g-c1', ['a', 'b'], ASSIGNORS[strategy]!),
    member('g-c2', ['a', 'b'], ASSIGNORS[strategy]!),
    member('g-c3', ['a', 'b'], ASSIGNORS[strategy]!),
    { op: 'await-stable', label: 'joined', partitions: 8 },
    { op: 'close', member: 'g-c2' },
    { op: 'await-stable', label: 'after-leave', partitions: 8 },
  ],
});

/** Two members, then a third joins. */
const joinProbe = (strategy: string): KafkaProbe => ({
  id: `${strategy}-third-member-joins`,
  about: `${strategy}: two members own a (5 partitions) and b (3); a third joins`,
  cluster: 'single',
  assignments: strategy.includes('sticky') ? 'shape' : 'exact',
  topics: [{ name: 'a', partitions: 5 }, { name: 'b', partitions: 3 }],
  steps: [
    member('g-c1', ['a', 'b'], ASSIGNORS[strategy]!),
    member('g-c2', ['a', 'b'], ASSIGNORS[strategy]!),
    { op: 'await-stable', label: 'two', partitions: 8 },
    member('g-c3', ['a', 'b'], ASSIGNORS[strategy]!),
    { op: 'await-stable', label: 'three', partitions: 8, withinMs: 30_000 },
  ],
});

/** Members subscribed to different topics. */
const unevenProbe = (strategy: string): KafkaProbe => ({
  id: `${strategy}-uneven-subscriptions`,
  about: `${strategy}: g-c1 subscribes to a (5 partitions) and b (3), g-c2 to a only, g-c3 to b only`,
  cluster: 'single',
  topics: [{ name: 'a', partitions: 5 }, { name: 'b', partitions: 3 }],
  steps: [
    member('g-c1', ['a', 'b'], ASSIGNORS[strategy]!),
    member('g-c2', ['a'], ASSIGNORS[strategy]!),
    member('g-c3', ['b'], ASSIGNORS[strategy]!),
    { op: 'await-stable', label: 'joined', partitions: 8 },
  ],
});

const R3 = [[1, 2, 3]];

/** A transactional producer's config: its transactional.id (the harness prefixes it per run). */
const tx = (id: string, extra: Record<string, string | number | boolean> = {}) => ({ 'transactional.id': id, ...extra });

/**
 * Transactions (KIP-98) on the single node: what read_committed and read_uncommitted readers see
 * and where their end offsets are (a transaction's COMMIT / ABORT marker takes an offset), the
 * last stable offset held by an open transaction, a second instance fencing the first, the
 * coordinator aborting a transaction open past transaction.timeout.ms, and a transaction over two
 * partitions seen all at once. Every producer is its own application (one transactional.id each,
 * except the fencing probe's two instances).
 */
const TXN_PROBES: readonly KafkaProbe[] = [
  {
    id: 'txn-read-committed-skips-aborted',
    about: 'a committed, an aborted and a committed transaction (2, 2, 1 records): read_committed skips the aborted records, read_uncommitted returns them; each marker takes an offset',
    cluster: 'single',
    topics: [{ name: 't', partitions: 1 }],
    steps: [
      { op: 'txn', label: 'first', producer: 'ta', topic: 't', count: 2, end: 'commit', config: tx('ta') },
      { op: 'txn', label: 'second', producer: 'tb', topic: 't', count: 2, end: 'abort', config: tx('tb') },
      { op: 'txn', label: 'third', producer: 'tc', topic: 't', count: 1, end: 'commit', config: tx('tc') },
      { op: 'offsets', label: 'read_committed', topic: 't', isolation: 'read_committed' },
      { op: 'offsets', label: 'read_uncommitted', topic: 't', isolation: 'read_uncommitted' },
      { op: 'read', label: 'read_committed', topic: 't', isolation: 'read_committed' },
      { op: 'read', label: 'read_uncommitted', topic: 't', isolation: 'read_uncommitted' },
    ],
  },
  {
    id: 'txn-open-holds-last-stable-offset',
    about: 'an open transaction (2 records) then 2 plain records: read_committed ends at the last stable offset (the open transaction\'s first) and reads nothing, read_uncommitted reads all 4; after the commit read_committed reads all',
    cluster: 'single',
    topics: [{ name: 't', partitions: 1 }],
    steps: [
      { op: 'txn', label: 'open', producer: 'to', topic: 't', count: 2, end: 'open', config: tx('to') },
      { op: 'produce', producer: 'p1', topic: 't', count: 2 },
      { op: 'flush' },
      { op: 'offsets', label: 'open-read_committed', topic: 't', isolation: 'read_committed' },
      { op: 'offsets', label: 'open-read_uncommitted', topic: 't', isolation: 'read_uncommitted' },
      { op: 'read', label: 'open-read_committed', topic: 't', isolation: 'read_committed' },
      { op: 'read', label: 'open-read_uncommitted', topic: 't', isolation: 'read_uncommitted' },
      { op: 'txn-end', label: 'commit', producer: 'to', topic: 't', count: 1, end: 'commit' },
      { op: 'offsets', label: 'committed-read_committed', topic: 't', isolation: 'read_committed' },
      { op: 'read', label: 'committed-read_committed', topic: 't', isolation: 'read_committed' },
    ],
  },
  {
    id: 'txn-zombie-fenced',
    about: 'z1 leaves a transaction open; z2 with the same transactional.id calls initTransactions (fencing z1, aborting its transaction) and commits one; z1 then sends and commits: refused',
    cluster: 'single',
    topics: [{ name: 't', partitions: 1 }],
    steps: [
      { op: 'txn', label: 'z1-open', producer: 'z1', topic: 't', count: 2, end: 'open', config: tx('z') },
      { op: 'txn', label: 'z2', producer: 'z2', topic: 't', count: 1, end: 'commit', config: tx('z') },
      { op: 'txn-end', label: 'z1-commit', producer: 'z1', topic: 't', count: 1, end: 'commit' },
      { op: 'read', label: 'read_committed', topic: 't', isolation: 'read_committed' },
      { op: 'read', label: 'read_uncommitted', topic: 't', isolation: 'read_uncommitted' },
    ],
  },
  {
    id: 'txn-timeout-coordinator-aborts',
    about: 'transaction.timeout.ms 2000 and a transaction left open: the coordinator aborts it (checked every second here), the last stable offset moves past the ABORT marker; the producer\'s later send and commit are refused',
    cluster: 'single',
    topics: [{ name: 't', partitions: 1 }],
    steps: [
      { op: 'txn', label: 'open', producer: 'tt', topic: 't', count: 2, end: 'open', config: tx('tt', { 'transaction.timeout.ms': 2_000 }) },
      { op: 'wait', ms: 5_000 },
      { op: 'offsets', label: 'after-timeout-read_committed', topic: 't', isolation: 'read_committed' },
      { op: 'txn-end', label: 'late-commit', producer: 'tt', topic: 't', count: 1, end: 'commit' },
      { op: 'read', label: 'read_committed', topic: 't', isolation: 'read_committed' },
      { op: 'read', label: 'read_uncommitted', topic: 't', isolation: 'read_uncommitted' },
    ],
  },
  {
    id: 'txn-two-partitions-atomic',
    about: 'a transaction over two partitions (4 records, alternating): while open read_committed sees none of it on either partition (both end at offset 0), after one more record and the commit all of it (ids only: the fifth record\'s partition is the partitioner\'s)',
    cluster: 'single',
    topics: [{ name: 't', partitions: 2 }],
    steps: [
      { op: 'txn', label: 'open', producer: 'ts', topic: 't', count: 4, end: 'open', spread: true, config: tx('ts') },
      { op: 'offsets', label: 'open-read_committed', topic: 't', isolation: 'read_committed' },
      { op: 'offsets', label: 'open-read_uncommitted', topic: 't', isolation: 'read_uncommitted' },
      { op: 'read', label: 'open-read_committed', topic: 't', isolation: 'read_committed', ids: true },
      { op: 'read', label: 'open-read_uncommitted', topic: 't', isolation: 'read_uncommitted', ids: true },
      // One more record, then the commit (the model's paused application ends its transaction when its next record is due).
      { op: 'txn-end', label: 'commit', producer: 'ts', topic: 't', count: 1, end: 'commit' },
      { op: 'read', label: 'committed-read_committed', topic: 't', isolation: 'read_committed', ids: true },
    ],
  },
];
/** Long enough for the controller to fence a killed broker (broker.session.timeout.ms 9000) and act on it. */
const FENCED = 12_000;

/**
 * Only an out-of-sync replica left: broker 3 killed before 3 acks=all records, then 1 and 2 killed
 * and 3 restarted. `dead`: how long until the cluster has acted on a killed broker (KRaft: fenced
 * after broker.session.timeout.ms; ZooKeeper mode: its session expired).
 */
export const uncleanProbe = (unclean: boolean, dead: number, metadata: 'kraft' | 'zookeeper' = 'kraft'): KafkaProbe => ({
  id: `${metadata === 'zookeeper' ? 'zk-' : ''}unclean-election-${unclean ? 'enabled-loses' : 'disabled-offline'}`,
  about: `only an out-of-sync replica left (broker 3, killed before 3 acks=all records): unclean.leader.election.enable=${unclean}`,
  cluster: 'cluster',
  ...(metadata === 'zookeeper' ? { metadata } : {}),
  topics: [{ name: 'u', replicas: R3, config: { 'unclean.leader.election.enable': unclean } }],
  steps: [
    { op: 'fault', action: 'kill', brokers: [3] },
    { op: 'wait', ms: dead },
    { op: 'produce', producer: 'p1', topic: 'u', count: 3, config: { acks: 'all' } },
    { op: 'flush' },
    { op: 'fault', action: 'kill', brokers: [1, 2] },
    { op: 'fault', action: 'restart', brokers: [3] },
    { op: 'wait', ms: dead },
    { op: 'produce', producer: 'p2', topic: 'u', count: 1, config: { acks: '1', 'delivery.timeout.ms': 15_000, 'request.timeout.ms': 2_000 } },
    { op: 'flush', modelMs: 16_000 },
    { op: 'read', label: 'broker-3-alone', topic: 'u' },
    { op: 'fault', action: 'restart', brokers: [1, 2] },
    { op: 'wait', ms: dead },
    { op: 'read', label: 'all-back', topic: 'u' },
  ],
});

export const KAFKA_PROBES: readonly KafkaProbe[] = [
  ...[2, 3, 6, 12, 50].map(partitionerProbe),
  ...TXN_PROBES,
  leaveProbe('range'),
  leaveProbe('roundrobin'),
  leaveProbe('sticky'),
  leaveProbe('cooperative-sticky'),
  joinProbe('range'),
  joinProbe('sticky'),
  joinProbe('cooperative-sticky'),
  unevenProbe('range'),
  unevenProbe('roundrobin'),
  {
    id: 'range-more-members-than-partitions',
    about: 'range: three members on a 2-partition topic: one stays idle',
    cluster: 'single',
    topics: [{ name: 'a', partitions: 2 }],
    steps: [
      member('g-c1', ['a'], ASSIGNORS.range!),
      member('g-c2', ['a'], ASSIGNORS.range!),
      member('g-c3', ['a'], ASSIGNORS.range!),
      { op: 'await-stable', label: 'joined', partitions: 2 },
    ],
  },
  {
    id: 'auto-offset-reset-earliest',
    about: 'a new group with auto.offset.reset=earliest reads the records written before it joined',
    cluster: 'single',
    topics: [{ name: 't', partitions: 1 }],
    steps: [
      { op: 'produce', producer: 'p1', topic: 't', count: 5 },
      { op: 'flush' },
      { op: 'join', member: 'g-c1', group: 'g', topics: ['t'], config: { 'auto.offset.reset': 'earliest' } },
      { op: 'await-stable', label: 'joined', partitions: 1 },
      { op: 'wait', ms: 1500 },
      { op: 'received', member: 'g-c1', label: 'g-c1' },
    ],
  },
  {
    id: 'auto-offset-reset-latest',
    about: 'a new group with auto.offset.reset=latest (the default) skips what was written before it joined',
    cluster: 'single',
    topics: [{ name: 't', partitions: 1 }],
    steps: [
      { op: 'produce', producer: 'p1', topic: 't', count: 5 },
      { op: 'flush' },
      { op: 'join', member: 'g-c1', group: 'g', topics: ['t'] },
      { op: 'await-stable', label: 'joined', partitions: 1 },
      { op: 'wait', ms: 1000 },
      { op: 'produce', producer: 'p2', topic: 't', count: 3 },
      { op: 'flush' },
      { op: 'wait', ms: 1500 },
      { op: 'received', member: 'g-c1', label: 'g-c1' },
    ],
  },
  {
    id: 'committed-offset-wins-over-reset',
    about: 'commitSync after each poll, close; a new member of the group resumes at the committed offset, not at auto.offset.reset=earliest',
    cluster: 'single',
    topics: [{ name: 't', partitions: 1 }],
    steps: [
      { op: 'produce', producer: 'p1', topic: 't', count: 5 },
      { op: 'flush' },
      { op: 'join', member: 'g-c1', group: 'g', topics: ['t'], commit: true, config: { 'auto.offset.reset': 'earliest', 'enable.auto.commit': false } },
      { op: 'await-stable', label: 'first', partitions: 1 },
      { op: 'wait', ms: 1500 },
      { op: 'close', member: 'g-c1' },
      { op: 'produce', producer: 'p2', topic: 't', count: 3 },
      { op: 'flush' },
      { op: 'join', member: 'g-c2', group: 'g', topics: ['t'], commit: true, config: { 'auto.offset.reset': 'earliest', 'enable.auto.commit': false } },
      { op: 'await-stable', label: 'second', partitions: 1 },
      { op: 'wait', ms: 1500 },
      { op: 'received', member: 'g-c1', label: 'g-c1' },
      { op: 'received', member: 'g-c2', label: 'g-c2' },
    ],
  },
  {
    id: 'auto-commit-on-close',
    about: 'enable.auto.commit (default): close() commits what was polled, so the next member of the group starts after it',
    cluster: 'single',
    topics: [{ name: 't', partitions: 1 }],
    steps: [
      { op: 'produce', producer: 'p1', topic: 't', count: 5 },
      { op: 'flush' },
      { op: 'join', member: 'g-c1', group: 'g', topics: ['t'], config: { 'auto.offset.reset': 'earliest' } },
      { op: 'await-stable', label: 'first', partitions: 1 },
      { op: 'wait', ms: 1500 },
      { op: 'close', member: 'g-c1' },
      { op: 'produce', producer: 'p2', topic: 't', count: 3 },
      { op: 'flush' },
      { op: 'join', member: 'g-c2', group: 'g', topics: ['t'], config: { 'auto.offset.reset': 'earliest' } },
      { op: 'await-stable', label: 'second', partitions: 1 },
      { op: 'wait', ms: 1500 },
      { op: 'received', member: 'g-c2', label: 'g-c2' },
    ],
  },
  {
    id: 'consumer-killed-without-leaving',
    about: 'kill -9 of a member\'s process: its partitions stay unowned until session.timeout.ms (10 s) expires, then the survivor gets them',
    cluster: 'single',
    topics: [{ name: 't', partitions: 4 }],
    steps: [
      { op: 'join', member: 'g-c1', group: 'g', topics: ['t'], config: { 'session.timeout.ms': 10_000, 'heartbeat.interval.ms': 1_000 } },
      { op: 'join', member: 'g-c2', group: 'g', topics: ['t'], process: true, config: { 'session.timeout.ms': 10_000, 'heartbeat.interval.ms': 1_000 } },
      { op: 'await-stable', label: 'joined', partitions: 4, withinMs: 3_000 },
      { op: 'kill-member', member: 'g-c2' },
      { op: 'await-stable', label: 'after-kill', partitions: 4, timed: { around: 11_000, tolerance: 3_000 }, withinMs: 20_000 },
    ],
  },
  {
    id: 'consumer-close-leaves-at-once',
    about: 'close() of a dynamic member sends LeaveGroup: the survivor gets its partitions at once, not after session.timeout.ms',
    cluster: 'single',
    topics: [{ name: 't', partitions: 4 }],
    steps: [
      { op: 'join', member: 'g-c1', group: 'g', topics: ['t'], config: { 'session.timeout.ms': 10_000, 'heartbeat.interval.ms': 1_000 } },
      { op: 'join', member: 'g-c2', group: 'g', topics: ['t'], process: true, config: { 'session.timeout.ms': 10_000, 'heartbeat.interval.ms': 1_000 } },
      { op: 'await-stable', label: 'joined', partitions: 4, withinMs: 3_000 },
      { op: 'close', member: 'g-c2' },
      { op: 'await-stable', label: 'after-close', partitions: 4, timed: { around: 1_500, tolerance: 1_500 }, withinMs: 20_000 },
    ],
  },
  {
    id: 'static-member-restart',
    about: 'static membership (group.instance.id): a member killed and started again within session.timeout.ms gets its partitions back, no rebalance',
    cluster: 'single',
    topics: [{ name: 't', partitions: 4 }],
    steps: [
      { op: 'join', member: 'g-c1', group: 'g', topics: ['t'], config: { 'group.instance.id': 'i1', 'session.timeout.ms': 10_000, 'heartbeat.interval.ms': 1_000 } },
      { op: 'join', member: 'g-c2', group: 'g', topics: ['t'], process: true, config: { 'group.instance.id': 'i2', 'session.timeout.ms': 10_000, 'heartbeat.interval.ms': 1_000 } },
      { op: 'await-stable', label: 'joined', partitions: 4, withinMs: 3_000 },
      { op: 'kill-member', member: 'g-c2' },
      { op: 'wait', ms: 2_000 },
      { op: 'join', member: 'g-c2', group: 'g', topics: ['t'], process: true, config: { 'group.instance.id': 'i2', 'session.timeout.ms': 10_000, 'heartbeat.interval.ms': 1_000 } },
      { op: 'await-stable', label: 'after-restart', partitions: 4, withinMs: 5_000 },
    ],
  },
  {
    id: 'min-insync-not-enough-replicas',
    about: 'two of three brokers killed: acks=all is refused with NOT_ENOUGH_REPLICAS under min.insync.replicas=2, accepted under 1; acks=1 is accepted',
    cluster: 'cluster',
    topics: [
      { name: 'm2', replicas: R3, config: { 'min.insync.replicas': 2 } },
      { name: 'm1', replicas: R3, config: { 'min.insync.replicas': 1 } },
    ],
    steps: [
      { op: 'fault', action: 'kill', brokers: [2, 3] },
      { op: 'wait', ms: FENCED },
      { op: 'produce', producer: 'pall', topic: 'm2', count: 1, config: { acks: 'all', retries: 0 } },
      { op: 'produce', producer: 'pone', topic: 'm2', count: 1, config: { acks: '1', retries: 0 } },
      { op: 'produce', producer: 'pmin1', topic: 'm1', count: 1, config: { acks: 'all', retries: 0 } },
      { op: 'flush' },
      { op: 'fault', action: 'restart', brokers: [2, 3] },
    ],
  },
  ...[false, true].map((unclean) => uncleanProbe(unclean, FENCED)),
  // request.timeout.ms 5000 (default 30000): a request in flight to the killed leader is given up sooner.
  ...([['acks-1', { acks: '1', 'enable.idempotence': false, 'request.timeout.ms': 5_000 }], ['acks-all-idempotent', { acks: 'all', 'enable.idempotence': true, 'request.timeout.ms': 5_000 }]] as const).map(([name, config]): KafkaProbe => ({
    id: `leader-kill-${name}`,
    about: `followers paused (SIGSTOP), 3 records sent with ${name}, the leader killed (kill -9), followers resumed: the new leader comes from the ISR; then the old leader restarts, truncates to the new leader's epoch, and leads alone once the others are killed`,
    cluster: 'cluster',
    topics: [{ name: 'k', replicas: R3 }],
    steps: [
      { op: 'produce', producer: 'p0', topic: 'k', count: 2, config: { acks: 'all' } },
      { op: 'flush' },
      // p1 has the topic's metadata (leader: broker 1) before the followers stop answering.
      { op: 'open', producer: 'p1', topic: 'k', config },
      { op: 'wait', ms: 500 },
      { op: 'fault', action: 'pause', brokers: [2, 3] },
      // Longer than replica.fetch.wait.max.ms (500): no follower Fetch is parked at the leader,
      // which would answer it with the new records into the paused follower's socket.
      { op: 'wait', ms: 1_000 },
      { op: 'produce', producer: 'p1', topic: 'k', count: 3 },
      { op: 'wait', ms: 500 },
      { op: 'fault', action: 'kill', brokers: [1] },
      { op: 'fault', action: 'resume', brokers: [2, 3] },
      { op: 'flush', modelMs: FENCED },
      { op: 'wait', ms: FENCED },
      { op: 'read', label: 'after-failover', topic: 'k' },
      { op: 'fault', action: 'restart', brokers: [1] },
      { op: 'wait', ms: FENCED },
      { op: 'read', label: 'old-leader-back', topic: 'k' },
      // Broker 1 is back in the ISR: with 2 and 3 gone it leads, and its log shows what it kept.
      { op: 'fault', action: 'kill', brokers: [2, 3] },
      { op: 'wait', ms: FENCED },
      { op: 'read', label: 'old-leader-alone', topic: 'k' },
      { op: 'fault', action: 'restart', brokers: [2, 3] },
    ],
  })),
  {
    id: 'leader-epoch-truncation-divergent-log',
    about: 'two replicas (1 leads, 2 follows), min.insync.replicas 1: the follower paused (SIGSTOP), 3 acks=1 records only the leader has (offsets 2-4), the leader killed, the follower resumed and elected (epoch 1, its log ends at 2); 2 new records take offsets 2-3 there; the old leader restarts, asks the new leader for its epoch-0 end offset (2), truncates its 3 records and fetches the new ones: alone, it serves those',
    cluster: 'cluster',
    topics: [{ name: 'e', replicas: [[1, 2]], config: { 'min.insync.replicas': 1 } }],
    steps: [
      { op: 'produce', producer: 'p0', topic: 'e', count: 2, config: { acks: 'all' } },
      { op: 'flush' },
      // p1 has the topic's metadata (leader: broker 1) before the follower stops answering.
      { op: 'open', producer: 'p1', topic: 'e', config: { acks: '1', 'enable.idempotence': false, 'request.timeout.ms': 5_000 } },
      { op: 'wait', ms: 500 },
      { op: 'fault', action: 'pause', brokers: [2] },
      // Longer than replica.fetch.wait.max.ms (500): no follower Fetch is parked at the leader.
      { op: 'wait', ms: 1_000 },
      { op: 'produce', producer: 'p1', topic: 'e', count: 3 },
      { op: 'flush' },
      { op: 'fault', action: 'kill', brokers: [1] },
      { op: 'fault', action: 'resume', brokers: [2] },
      { op: 'wait', ms: FENCED },
      { op: 'produce', producer: 'p2', topic: 'e', count: 2, config: { acks: 'all' } },
      { op: 'flush' },
      { op: 'offsets', label: 'new-leader', topic: 'e', isolation: 'read_uncommitted' },
      { op: 'read', label: 'new-leader', topic: 'e' },
      { op: 'fault', action: 'restart', brokers: [1] },
      { op: 'wait', ms: FENCED },
      { op: 'read', label: 'old-leader-back', topic: 'e' },
      // Broker 1 caught up and is in the ISR again: with 2 gone it leads, and its log shows what it kept.
      { op: 'fault', action: 'kill', brokers: [2] },
      { op: 'wait', ms: FENCED },
      { op: 'offsets', label: 'old-leader-alone', topic: 'e', isolation: 'read_uncommitted' },
      { op: 'read', label: 'old-leader-alone', topic: 'e' },
      { op: 'fault', action: 'restart', brokers: [2] },
    ],
  },
];

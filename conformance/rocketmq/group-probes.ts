import type { GroupSpec, RocketProbe, RocketStep } from './probe.js';

/**
 * Probes on a master/slave broker group (group.ts: broker-a-0 the master, broker-a-1 its slave,
 * a NameServer of their own, the probes' topics in both stores from the start). Probes of one
 * GroupSpec are next to each other, and those that kill a broker come last in their group: the
 * harness starts a group afresh only when the spec changes, and restarts a killed broker before
 * the next probe of the same group.
 *
 * What 5.3.3 does here differs from 4.x (models/rocketmq/version.ts): its SYNC_MASTER waits for
 * inSyncReplicas - 1 slaves (default 1: none), and its slaves refuse pulls unless slaveReadEnable.
 */

const topic = (id: string) => `T_${id.replace(/-/g, '_')}`;
/** 5.x defaults: inSyncReplicas 1, slaveReadEnable false. */
const SYNC: GroupSpec = { brokerRole: 'SYNC_MASTER' };
/** A DLedger group of three: the members elect the master (the role in broker.conf does not matter). */
const DLEDGER: GroupSpec = { brokerRole: 'SYNC_MASTER', dledger: true };
/** A SYNC_MASTER that waits for its slave, and a slave that serves pulls. */
const SYNC2: GroupSpec = { brokerRole: 'SYNC_MASTER', inSyncReplicas: 2, slaveReadEnable: true };

const sends = (id: string, producer: string, count: number, extra: Partial<Extract<RocketStep, { send: string }>> = {}): RocketStep =>
  ({ send: producer, topic: topic(id), count, ...extra });
const consume = (id: string, group: string): RocketStep =>
  ({ consume: group, topic: topic(id), count: 1, fromWhere: 'CONSUME_FROM_FIRST_OFFSET' });

export const GROUP_PROBES: readonly RocketProbe[] = [
  {
    id: 'sync-master-with-slave',
    about: 'SYNC_MASTER (5.x defaults) with its slave up: SEND_OK',
    group: SYNC,
    topics: [{ name: topic('sync-master-with-slave'), queues: 4 }],
    steps: [sends('sync-master-with-slave', 'p1', 5)],
    outcome: ['sendResults'],
  },
  {
    id: 'master-kill9-slave-refuses-pulls',
    about: 'kill -9 of the master (slave up, slaveReadEnable false): a send fails (no master in the route: NOT_FOUND_TOPIC_EXCEPTION); '
      + 'a new group gets the queues but nothing, the slave refuses its pulls; after the master restarts a new group reads all 10 and the one sent since',
    group: SYNC,
    topics: [{ name: topic('master-kill9-slave-refuses-pulls'), queues: 4 }],
    steps: [
      sends('master-kill9-slave-refuses-pulls', 'p1', 10), { wait: 2000 },
      { broker: 'kill9', node: 'broker-a-0' }, { wait: 1000 },
      sends('master-kill9-slave-refuses-pulls', 'p2', 1),
      consume('master-kill9-slave-refuses-pulls', 'whileDown'), { wait: 6000 },
      { broker: 'restart', node: 'broker-a-0' },
      sends('master-kill9-slave-refuses-pulls', 'p3', 1),
      consume('master-kill9-slave-refuses-pulls', 'afterRestart'), { wait: 6000 },
    ],
    outcome: ['sendResults', 'deliveryCounts'],
  },
  {
    id: 'sync-master-slave-killed',
    about: 'SYNC_MASTER (5.x defaults: inSyncReplicas 1) whose slave was killed (kill -9): SEND_OK at once; a 4.x SYNC_MASTER answers SLAVE_NOT_AVAILABLE',
    group: SYNC,
    topics: [{ name: topic('sync-master-slave-killed'), queues: 4 }],
    steps: [{ broker: 'kill9', node: 'broker-a-1' }, { wait: 2000 }, sends('sync-master-slave-killed', 'p1', 3)],
    outcome: ['sendResults'],
  },
  {
    id: 'sync-master-insync2-with-slave',
    about: 'SYNC_MASTER with inSyncReplicas 2 and its slave up: each send waits for the slave, SEND_OK',
    group: SYNC2,
    topics: [{ name: topic('sync-master-insync2-with-slave'), queues: 4 }],
    steps: [sends('sync-master-insync2-with-slave', 'p1', 5)],
    outcome: ['sendResults'],
  },
  {
    id: 'slave-restart-catches-up',
    about: 'inSyncReplicas 2, the slave killed: 3 sends wait slaveTimeout (3 s) each and answer FLUSH_SLAVE_TIMEOUT (stored on the master; 5.x never answers SLAVE_NOT_AVAILABLE); '
      + 'the slave restarts and copies them; after kill -9 of the master a new group reads all 3 from the slave (slaveReadEnable)',
    group: SYNC2,
    topics: [{ name: topic('slave-restart-catches-up'), queues: 4 }],
    steps: [
      { broker: 'kill9', node: 'broker-a-1' }, { wait: 1000 },
      sends('slave-restart-catches-up', 'p1', 3, { sendMsgTimeout: 10_000, takes: 9500 }),
      { broker: 'restart', node: 'broker-a-1' }, { wait: 2000 },
      { broker: 'kill9', node: 'broker-a-0' }, { wait: 1000 },
      consume('slave-restart-catches-up', 'reader'), { wait: 6000 },
    ],
    outcome: ['sendResults', 'deliveryCounts'],
  },
  {
    id: 'dledger-leader-kill9-failover',
    about: 'DLedger group of three: 10 messages SEND_OK (each on a majority), kill -9 of the leader: another member is elected and registers as brokerId 0 '
      + '(after 3 missed heartbeats of 2 s and a vote), sends go on, a new group reads all of them; the old leader restarts and rejoins as a follower',
    group: DLEDGER,
    topics: [{ name: topic('dledger-leader-kill9-failover'), queues: 4 }],
    steps: [
      { cluster: 'now' },
      sends('dledger-leader-kill9-failover', 'p1', 10),
      { broker: 'kill9', node: 'leader' },
      { cluster: 'new-leader', takes: 10_000 },
      sends('dledger-leader-kill9-failover', 'p2', 2),
      consume('dledger-leader-kill9-failover', 'reader'), { wait: 5000 },
      { broker: 'restart', node: 'killed' },
      { cluster: 'now' },
    ],
    outcome: ['sendResults', 'deliveryCounts', 'cluster'],
  },
];

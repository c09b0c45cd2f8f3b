import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JVM_FLAGS, portOpen, sleep } from './broker.js';
import { classpath, runDriver } from './driver.js';
import { GROUP_PROBES } from './group-probes.js';
import { ROCKETMQ_BROKER_CONFIG, type GroupSpec } from './probe.js';

/**
 * A real broker group for the probes that need one (a master and a slave, or a DLedger group of
 * three): its own NameServer
 * (127.0.0.1:19877) and broker group `broker-a` of a master (brokerId 0, node broker-a-0,
 * :20921) and a slave (brokerId 1, brokerRole SLAVE, node broker-a-1, :20931), the master's
 * brokerRole from the probe (ASYNC_MASTER or SYNC_MASTER). Ports are 10 apart: a broker also
 * listens on listenPort - 2 (fastListenPort) and listenPort + 1 (the HA port its slave connects
 * to). Small heaps, 64 MiB commit-log files, stores in a temp folder kept across a broker's
 * kill -9 and restart, the probes' topics in both stores from the start. With `dledger` the
 * group is broker-a-0..2, DLedger members n0..n2 (enableDLegerCommitLog, dLegerPeers on
 * 127.0.0.1:40911-40913), which elect the master. One group runs at a
 * time; a probe with another GroupSpec gets a fresh one.
 */

export const GROUP_NAMESRV_PORT = 19877;
const ALL_NODES = ['broker-a-0', 'broker-a-1', 'broker-a-2'] as const;
export type GroupNode = (typeof ALL_NODES)[number];
const PORT: Record<GroupNode, number> = { 'broker-a-0': 20921, 'broker-a-1': 20931, 'broker-a-2': 20941 };
/** A DLedger member's own port for its peers (dLegerPeers), per node. */
const DLEDGER_PORT: Record<GroupNode, number> = { 'broker-a-0': 40911, 'broker-a-1': 40912, 'broker-a-2': 40913 };
const DLEDGER_PEERS = ALL_NODES.map((n, i) => `n${i}-127.0.0.1:${DLEDGER_PORT[n]}`).join(';');

/** The nodes of a group: a master and a slave, or with dledger three DLedger members n0, n1, n2. */
export function groupNodes(spec: GroupSpec): GroupNode[] {
  return spec.dledger ? [...ALL_NODES] : ['broker-a-0', 'broker-a-1'];
}

/** The node a broker address (127.0.0.1:port) belongs to. */
export function nodeAt(addr: string): GroupNode | undefined {
  return ALL_NODES.find((n) => addr.endsWith(`:${PORT[n]}`));
}

export interface RocketGroupControl {
  readonly url: string;
  readonly spec: GroupSpec;
  kill9(node: GroupNode): Promise<void>;
  /** Start a broker that is down, on the store it had; up once the NameServer has its address. */
  start(node: GroupNode): Promise<void>;
  stopGracefully(node: GroupNode): Promise<void>;
  pause(node: GroupNode): Promise<void>;
  resume(node: GroupNode): Promise<void>;
  /** Every broker that is down started again (between probes). */
  ensureUp(): Promise<void>;
  stop(): Promise<void>;
}

const alive = (p: ChildProcess | undefined) => p !== undefined && p.exitCode === null && p.signalCode === null;

async function exited(p: ChildProcess, limitMs: number): Promise<boolean> {
  for (let waited = 0; waited < limitMs && alive(p); waited += 50) await sleep(50);
  return !alive(p);
}

/** The harness's own topic, to learn that a SYNC_MASTER's slave is in sync before a probe sends. */
const WARMUP_TOPIC = 'mqsim-ha-warmup';

export async function startRocketGroup(spec: GroupSpec): Promise<RocketGroupControl> {
  const cp = classpath();
  const NODES = groupNodes(spec);
  for (const port of [GROUP_NAMESRV_PORT, ...NODES.map((n) => PORT[n])]) {
    if (await portOpen(port)) throw new Error(`port ${port} on 127.0.0.1 is taken: another RocketMQ running? stop it first`);
  }
  const home = mkdtempSync(join(tmpdir(), 'mqsim-rocketmq-group-'));
  // With inSyncReplicas 2 every send waits for the slave: a topic of the harness's own lets it
  // wait until one send comes back SEND_OK (the slave's HAClient connected and caught up) before
  // a probe sends, however long the slave's first connection takes on a loaded machine.
  const waitsForSlave = !spec.dledger && (spec.inSyncReplicas ?? 1) >= 2;
  const warmupTopics = waitsForSlave ? [{ name: WARMUP_TOPIC, queues: 1 }] : [];
  const topicTable = Object.fromEntries([...GROUP_PROBES.filter((p) => JSON.stringify(p.group) === JSON.stringify(spec)).flatMap((p) => p.topics), ...warmupTopics].map((t) => [t.name, {
    topicName: t.name, readQueueNums: t.queues, writeQueueNums: t.queues, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false, attributes: {},
  }]));
  const url = `127.0.0.1:${GROUP_NAMESRV_PORT}`;
  writeFileSync(join(home, 'namesrv.conf'), `listenPort=${GROUP_NAMESRV_PORT}\nbindAddress=127.0.0.1\n`);
  NODES.forEach((node, id) => {
    const store = join(home, node);
    mkdirSync(store);
    const config: Record<string, string | number | boolean> = {
      brokerClusterName: 'DefaultCluster', brokerName: 'broker-a', brokerId: id, brokerIP1: '127.0.0.1', bindAddress: '127.0.0.1',
      namesrvAddr: url, listenPort: PORT[node], haListenPort: PORT[node] + 1, storePathRootDir: store, storePathCommitLog: join(store, 'commitlog'),
      mappedFileSizeCommitLog: 64 * 1024 * 1024, mappedFileSizeConsumeQueue: 300_000,
      brokerRole: id === 0 ? spec.brokerRole : 'SLAVE', flushDiskType: spec.flushDiskType ?? 'ASYNC_FLUSH',
      // DLedger: the group elects its master (brokerId and brokerRole follow the election).
      ...(spec.dledger ? { enableDLegerCommitLog: true, dLegerGroup: 'broker-a', dLegerPeers: DLEDGER_PEERS, dLegerSelfId: `n${id}` } : {}),
      autoCreateTopicEnable: false, autoCreateSubscriptionGroup: true, ...ROCKETMQ_BROKER_CONFIG,
      ...(spec.inSyncReplicas !== undefined ? { inSyncReplicas: spec.inSyncReplicas } : {}),
      ...(spec.slaveReadEnable !== undefined ? { slaveReadEnable: spec.slaveReadEnable } : {}),
    };
    writeFileSync(join(home, `${node}.conf`), Object.entries(config).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    // The topics of every probe of this group, in both brokers' topics.json before they start: a
    // real slave learns a topic made later only at its next SlaveSynchronize (10 s after start,
    // then every 60 s in 5.x), and a topic it does not know it cannot serve.
    mkdirSync(join(store, 'config'));
    writeFileSync(join(store, 'config', 'topics.json'), JSON.stringify({ topicConfigTable: topicTable, dataVersion: { counter: 1, timestamp: 0, stateVersion: 0 } }));
  });
  const env: NodeJS.ProcessEnv = { ...process.env, ROCKETMQ_HOME: home };
  const launch = (main: string, name: string): ChildProcess => {
    const fd = openSync(join(home, `${name}.out`), 'a');
    try {
      return spawn('java', [...JVM_FLAGS, `-Duser.home=${home}`, '-cp', cp, main, '-c', join(home, `${name}.conf`)], { env, stdio: ['ignore', fd, fd], cwd: home });
    } finally {
      closeSync(fd);
    }
  };
  const procs = new Map<string, ChildProcess>();
  const waitPort = async (port: number, name: string) => {
    for (let waited = 0; waited < 90_000; waited += 200) {
      const p = procs.get(name)!;
      if (!alive(p)) {
        const out = readFileSync(join(home, `${name}.out`), 'utf8').split('\n').filter((l) => !l.includes('|-INFO') && !l.includes('|-WARN'));
        throw new Error(`${name} exited (code ${p.exitCode}, signal ${p.signalCode}):\n${out.slice(-15).join('\n')}`);
      }
      if (await portOpen(port)) return;
      await sleep(200);
    }
    throw new Error(`${name} did not listen on 127.0.0.1:${port} within 90 s`);
  };
  const start = async (node: GroupNode) => {
    procs.set(node, launch('org.apache.rocketmq.broker.BrokerStartup', node));
    await waitPort(PORT[node], node);
    // Up: registered (a DLedger member under the id its role gives it: wait for its address).
    const result = await runDriver(url, [spec.dledger ? { op: 'waitAddr', brokerName: 'broker-a', addr: `127.0.0.1:${PORT[node]}` } : { op: 'waitBroker', brokerName: 'broker-a', brokerId: NODES.indexOf(node) }]);
    if (result.failure !== undefined) throw new Error(`${node}: ${result.failure}`);
    // A slave's HAClient learns its master's HA address from its registration's answer; a first
    // attempt before that waits 5 s for the next: give it the time to connect and catch up.
    if (!spec.dledger && node === 'broker-a-1') await sleep(6000);
    if (waitsForSlave && node === 'broker-a-1' && alive(procs.get('broker-a-0'))) await slaveInSync();
  };
  let warmups = 0;
  const slaveInSync = async () => {
    for (const started = Date.now(); Date.now() - started < 90_000;) {
      const id = `warmup-${++warmups}`;
      const result = await runDriver(url, [{ op: 'send', id: 'warmup', group: 'PG_mqsim_warmup', topic: WARMUP_TOPIC, ids: [id], selectByHash: false, sendMsgTimeout: 10_000 }], 'warmup');
      if (result.sends.some((s) => s.status === 'SEND_OK')) return;
      await sleep(1000);
    }
    throw new Error('the slave did not catch up with its SYNC_MASTER within 90 s (no SEND_OK with inSyncReplicas 2)');
  };
  // The group's stores are thrown away: kill -9 every process at once (a clean stop of three
  // DLedger members one after the other took 48 s).
  const stopAll = async () => {
    const running = [...procs.values()].filter(alive);
    for (const p of running) p.kill('SIGKILL');
    await Promise.all(running.map((p) => exited(p, 10_000)));
    rmSync(home, { recursive: true, force: true });
  };
  const leftovers = () => {
    for (const p of procs.values()) if (alive(p)) p.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  };
  try {
    procs.set('namesrv', launch('org.apache.rocketmq.namesrv.NamesrvStartup', 'namesrv'));
    await waitPort(GROUP_NAMESRV_PORT, 'namesrv');
    // Both at once (the slave finds its master's HA address in its registration's answer, and retries until then).
    await Promise.all(NODES.map((n) => start(n)));
    // A DLedger group is up once it has elected a leader, which registers as brokerId 0.
    if (spec.dledger) {
      const result = await runDriver(url, [{ op: 'waitBroker', brokerName: 'broker-a', brokerId: 0 }]);
      if (result.failure !== undefined) throw new Error(`no DLedger leader: ${result.failure}`);
    }
  } catch (error) {
    leftovers();
    throw error;
  }
  process.once('exit', leftovers);
  const proc = (node: GroupNode) => procs.get(node)!;
  return {
    url,
    spec,
    async kill9(node) {
      if (alive(proc(node))) proc(node).kill('SIGKILL');
      if (!(await exited(proc(node), 10_000))) throw new Error(`${node} did not exit after kill -9`);
    },
    start,
    async stopGracefully(node) {
      proc(node).kill('SIGTERM');
      if (!(await exited(proc(node), 30_000))) {
        proc(node).kill('SIGKILL');
        await exited(proc(node), 10_000);
      }
    },
    async pause(node) {
      proc(node).kill('SIGSTOP');
    },
    async resume(node) {
      proc(node).kill('SIGCONT');
    },
    async ensureUp() {
      let restarted = false;
      for (const node of NODES) {
        proc(node).kill('SIGCONT');
        if (!alive(proc(node))) {
          await start(node);
          restarted = true;
        }
      }
      // A restarted master: its slave reconnects on its own schedule; wait until it is in sync.
      if (restarted && waitsForSlave) await slaveInSync();
    },
    async stop() {
      process.off('exit', leftovers);
      await stopAll();
    },
  };
}

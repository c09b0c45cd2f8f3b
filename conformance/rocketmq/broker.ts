import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classpath, pinnedRocketmqVersion, runDriver } from './driver.js';
import { startRocketGroup, type RocketGroupControl } from './group.js';
import { ROCKETMQ_BROKER_CONFIG, type GroupSpec } from './probe.js';

/**
 * A real Apache RocketMQ for the conformance probes: the NameServer
 * (org.apache.rocketmq.namesrv.NamesrvStartup) and one master broker `broker-a`
 * (org.apache.rocketmq.broker.BrokerStartup -c broker.conf) from the Maven Central jars that
 * conformance/rocketmq/java/pom.xml pins (`mvn -q -f conformance/rocketmq/java/pom.xml package
 * dependency:copy-dependencies`), run with `java -cp` on loopback ports, small heaps, a 64 MiB
 * commit-log file and a store in a temp folder that is thrown away afterwards. Faults the probes
 * use: kill -9 and restart of the broker on the same store, a clean stop (SIGTERM: the shutdown
 * hook unregisters from the NameServer) and start, SIGSTOP / SIGCONT. Everything is stopped by
 * the pids we started.
 */

export const NAMESRV_PORT = 19876;
export const BROKER_PORT = 20911;

/** What the probes may do to the harness's own broker. */
export interface RocketBrokerControl {
  killAndRestart(): Promise<void>;
  kill9(): Promise<void>;
  /** Clean stop (SIGTERM): the broker's shutdown unregisters it from the NameServer. */
  stopBroker(): Promise<void>;
  startBroker(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /**
   * The master/slave group (group.ts) a probe with `group` runs on, all its brokers up; started
   * on first use, started afresh when the probe asks for another master role; stopped with the rest.
   */
  group(spec: GroupSpec): Promise<RocketGroupControl>;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export const JVM_FLAGS = ['-Xms128m', '-Xmx384m', '-XX:MaxDirectMemorySize=256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];

export async function startRocketBroker(): Promise<{ url: string; version: string; stop(): Promise<void> } & RocketBrokerControl> {
  const cp = classpath();
  const version = pinnedRocketmqVersion();
  if (spawnSync('java', ['-version']).status !== 0) throw new Error('java not found: install a JDK 17 (apt-get install -y openjdk-17-jdk-headless)');
  for (const port of [NAMESRV_PORT, BROKER_PORT]) {
    if (await portOpen(port)) throw new Error(`port ${port} on 127.0.0.1 is taken: another RocketMQ running? stop it first`);
  }
  const home = mkdtempSync(join(tmpdir(), 'mqsim-rocketmq-'));
  const store = join(home, 'store');
  mkdirSync(store);
  writeFileSync(join(home, 'namesrv.conf'), `listenPort=${NAMESRV_PORT}\nbindAddress=127.0.0.1\n`);
  const config: Record<string, string | number | boolean> = {
    brokerClusterName: 'DefaultCluster', brokerName: 'broker-a', brokerId: 0, brokerIP1: '127.0.0.1', bindAddress: '127.0.0.1',
    namesrvAddr: `127.0.0.1:${NAMESRV_PORT}`, listenPort: BROKER_PORT, storePathRootDir: store, storePathCommitLog: join(store, 'commitlog'),
    mappedFileSizeCommitLog: 64 * 1024 * 1024, mappedFileSizeConsumeQueue: 300_000, brokerRole: 'ASYNC_MASTER', flushDiskType: 'ASYNC_FLUSH',
    // Off: the broker would otherwise make a topic on first send (the probes create theirs).
    autoCreateTopicEnable: false, autoCreateSubscriptionGroup: true, ...ROCKETMQ_BROKER_CONFIG,
  };
  writeFileSync(join(home, 'broker.conf'), Object.entries(config).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const env: NodeJS.ProcessEnv = { ...process.env, ROCKETMQ_HOME: home };
  // Each process's console output goes to a file in the temp folder (the last lines are shown if it fails to start).
  const launch = (main: string, conf: string, log: string): ChildProcess => {
    const fd = openSync(join(home, log), 'a');
    try {
      return spawn('java', [...JVM_FLAGS, `-Duser.home=${home}`, '-cp', cp, main, '-c', join(home, conf)], { env, stdio: ['ignore', fd, fd], cwd: home });
    } finally {
      closeSync(fd);
    }
  };
  const namesrv = launch('org.apache.rocketmq.namesrv.NamesrvStartup', 'namesrv.conf', 'namesrv.out');
  const launchBroker = (): ChildProcess => launch('org.apache.rocketmq.broker.BrokerStartup', 'broker.conf', 'broker.out');
  let broker = launchBroker();
  const alive = (p: ChildProcess) => p.exitCode === null && p.signalCode === null;
  const waitPort = async (port: number, p: ChildProcess, what: string) => {
    for (let waited = 0; waited < 60_000; waited += 200) {
      if (!alive(p)) {
        const out = readFileSync(join(home, what === 'broker' ? 'broker.out' : 'namesrv.out'), 'utf8').split('\n').filter((l) => !l.includes('|-INFO') && !l.includes('|-WARN'));
        throw new Error(`${what} exited (code ${p.exitCode}, signal ${p.signalCode}):\n${out.slice(-15).join('\n')}`);
      }
      if (await portOpen(port)) return;
      await sleep(200);
    }
    throw new Error(`${what} did not listen on 127.0.0.1:${port} within 60 s`);
  };
  const exited = async (p: ChildProcess, limitMs: number) => {
    for (let waited = 0; waited < limitMs && alive(p); waited += 50) await sleep(50);
    return !alive(p);
  };
  // Up: listening, and registered with the NameServer (its first REGISTER_BROKER goes out at start).
  const waitBroker = async () => {
    await waitPort(BROKER_PORT, broker, 'broker');
    const result = await runDriver(`127.0.0.1:${NAMESRV_PORT}`, [{ op: 'waitRegistered' }]);
    if (result.failure !== undefined) throw new Error(`broker: ${result.failure}`);
  };
  const leftovers = () => {
    for (const p of [broker, namesrv]) if (alive(p)) p.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await waitPort(NAMESRV_PORT, namesrv, 'NameServer');
    await waitBroker();
  } catch (error) {
    leftovers();
    throw error;
  }
  const interrupted = () => process.exit(130);
  process.once('exit', leftovers);
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const kill9 = async () => {
    if (alive(broker)) broker.kill('SIGKILL');
    if (!(await exited(broker, 10_000))) throw new Error('broker did not exit after kill -9');
  };
  const startBroker = async () => {
    broker = launchBroker();
    await waitBroker();
  };
  let group: RocketGroupControl | undefined;
  return {
    url: `127.0.0.1:${NAMESRV_PORT}`,
    version,
    kill9,
    startBroker,
    async killAndRestart() {
      await kill9();
      await startBroker();
    },
    async stopBroker() {
      broker.kill('SIGTERM');
      if (!(await exited(broker, 30_000))) {
        broker.kill('SIGKILL');
        await exited(broker, 10_000);
      }
    },
    async pause() {
      broker.kill('SIGSTOP');
    },
    async resume() {
      broker.kill('SIGCONT');
    },
    async group(spec) {
      if (group !== undefined && JSON.stringify(group.spec) === JSON.stringify(spec)) {
        await group.ensureUp();
        return group;
      }
      await group?.stop();
      group = undefined;
      group = await startRocketGroup(spec);
      return group;
    },
    async stop() {
      await group?.stop();
      process.off('exit', leftovers);
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
      for (const p of [broker, namesrv]) {
        if (!alive(p)) continue;
        p.kill('SIGCONT');
        p.kill('SIGTERM');
        if (!(await exited(p, 15_000))) {
          p.kill('SIGKILL');
          await exited(p, 5_000);
        }
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}

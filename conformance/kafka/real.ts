import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { BrokerControl } from '../systems.js';
import { kafkaClasspath, logTail, startCluster, startSingle, type KafkaCluster, type KafkaFlavour } from './broker.js';
import { startZkCluster } from './broker-zk.js';
import { emptyObserved, type KafkaProbe, type Observed } from './probe.js';

/**
 * A probe against real Kafka: the Java driver (conformance/kafka/java/Driver.java, the real
 * kafka-clients) runs the probe's steps and prints what it saw; when a step is a broker fault it
 * prints the step and waits, and we kill -9 / restart / SIGSTOP / SIGCONT the broker process by
 * its pid, then answer "ok".
 *
 * The harness's own brokers (KafkaHarness) start once per run and are shared by every probe
 * (each probe has its own topics and groups): the single combined-mode node for client-side
 * probes, then, when the first replication probe comes, the single node is stopped and the
 * controller with three brokers is started. After each probe every broker is brought back up.
 */

/** kill -9, an operator's stop (SIGTERM, until it exits), restart, SIGSTOP, SIGCONT. */
export type FaultAction = 'kill' | 'stop' | 'restart' | 'pause' | 'resume';

export interface KafkaBrokerControl extends BrokerControl {
  /** The bootstrap servers of the kind of cluster a probe needs, started on first use. */
  bootstrapFor(kind: KafkaProbe['cluster']): Promise<string>;
  fault(action: FaultAction, brokers: number[]): Promise<void>;
  /** Every broker of the current cluster running and not paused, all registered. */
  heal(): Promise<void>;
}

/** How each kind of cluster is started (ZooKeeper mode has only the three-broker cluster). */
type Starters = Partial<Record<KafkaProbe['cluster'], () => Promise<KafkaCluster>>>;

export class KafkaHarness implements KafkaBrokerControl {
  private current: { kind: KafkaProbe['cluster']; cluster: KafkaCluster } | null = null;

  constructor(private readonly first: KafkaCluster, firstKind: KafkaProbe['cluster'] = 'single',
    private readonly starters: Starters = { single: startSingle, cluster: startCluster }) {
    this.current = { kind: firstKind, cluster: first };
  }

  get url(): string {
    return `kafka://${this.first.bootstrap}`;
  }

  async bootstrapFor(kind: KafkaProbe['cluster']): Promise<string> {
    if (this.current?.kind !== kind) {
      const start = this.starters[kind];
      if (start === undefined) throw new Error(`this harness has no ${kind} cluster`);
      await this.current?.cluster.stop();
      this.current = null;
      this.current = { kind, cluster: await start() };
    }
    return this.current.cluster.bootstrap;
  }

  private get cluster(): KafkaCluster {
    if (this.current === null) throw new Error('no kafka cluster running');
    return this.current.cluster;
  }

  async fault(action: FaultAction, brokers: number[]): Promise<void> {
    for (const id of brokers) {
      const node = this.cluster.node(id);
      if (action === 'kill') await node.kill();
      else if (action === 'stop') await node.stop();
      else if (action === 'restart') {
        if (node.proc === null) node.start();
      } else if (action === 'pause') node.pause();
      else node.resume();
    }
  }

  async heal(): Promise<void> {
    let restarted = false;
    for (const node of this.cluster.nodes) {
      if (node.paused) node.resume();
      if (node.proc === null) {
        node.start();
        restarted = true;
      }
    }
    if (restarted || this.current?.kind === 'cluster') await this.cluster.waitReady(this.current?.kind === 'cluster' ? 3 : 1);
  }

  /** The flavour of Kafka this harness runs (the driver is compiled against the same jars). */
  get flavour(): KafkaFlavour {
    return this.first.flavour;
  }

  /** kill -9 and restart of the single node (the interface every system's control has). */
  async killAndRestart(): Promise<void> {
    await this.fault('kill', [1]);
    await this.fault('restart', [1]);
    await this.cluster.waitReady(1);
  }

  async stop(): Promise<void> {
    await this.current?.cluster.stop();
    this.current = null;
  }

  logTail(id: number): string {
    return this.current ? logTail(this.current.cluster, id) : '';
  }
}

export async function startKafkaHarness(): Promise<KafkaHarness> {
  return new KafkaHarness(await startSingle());
}

/** ZooKeeper mode (Kafka 3.9.1): ZooKeeper and three brokers, shared by every probe of the run. */
export async function startZkHarness(): Promise<KafkaHarness> {
  return new KafkaHarness(await startZkCluster(), 'cluster', { cluster: startZkCluster });
}

/**
 * The brokers are shared by every probe of a run (and a user's own broker by runs): the driver
 * gets topic and group names with a prefix unique to the run and the probe, and the prefix is
 * taken off what it observed.
 */
const RUN = Date.now().toString(36);
/** Runs of each probe so far: a probe run again (the retry of one that differed from its recording) gets fresh topics, groups and transactional ids. */
const attempts = new Map<string, number>();
const PROBE_TIMEOUT_MS = 180_000;

function prefixed(probe: KafkaProbe, prefix: string): { topics: KafkaProbe['topics']; steps: KafkaProbe['steps'] } {
  return {
    topics: probe.topics.map((t) => ({ ...t, name: prefix + t.name })),
    steps: probe.steps.map((s) => ({
      ...s,
      ...('topic' in s ? { topic: prefix + s.topic } : {}),
      ...('topics' in s ? { topics: s.topics.map((t) => prefix + t) } : {}),
      ...('group' in s ? { group: prefix + s.group } : {}),
      // A transactional.id is the broker's too: a run's ids are its own.
      ...('config' in s && s.config?.['transactional.id'] !== undefined ? { config: { ...s.config, 'transactional.id': prefix + String(s.config['transactional.id']) } } : {}),
    }) as KafkaProbe['steps'][number]),
  };
}

function unprefixed(observed: Observed, prefix: string): Observed {
  const strip = (text: string) => (text.startsWith(prefix) ? text.slice(prefix.length) : text);
  const assignments: Observed['assignments'] = {};
  for (const [label, value] of Object.entries(observed.assignments)) {
    assignments[label] = typeof value === 'string' ? value
      : Object.fromEntries(Object.entries(value).map(([m, v]) => [m, Array.isArray(v) ? v.map(strip) : v]));
  }
  return { ...observed, assignments };
}

/** One probe through the driver against `bootstrap`; faults through `control` (required when the probe has any). */
export async function runProbeOnRealKafka(bootstrap: string, probe: KafkaProbe, control?: KafkaBrokerControl): Promise<Observed> {
  const servers = control ? await control.bootstrapFor(probe.cluster) : bootstrap.replace(/^kafka:\/\//, '');
  const flavour: KafkaFlavour = probe.metadata ?? 'kraft';
  const driver = spawn('java', ['-Xmx192m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Dorg.slf4j.simpleLogger.defaultLogLevel=error',
    '-cp', kafkaClasspath(flavour), 'Driver', 'probe', servers], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  driver.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => driver.once('exit', (code) => resolve(code)));
  // A probe that hangs (a client stuck on a broker that never answers) ends as an error, not a stuck run.
  const timeout = setTimeout(() => {
    stderr += `\nprobe ${probe.id} still running after ${PROBE_TIMEOUT_MS / 1000}s: killed`;
    driver.kill('SIGKILL');
  }, PROBE_TIMEOUT_MS);
  const attempt = attempts.get(probe.id) ?? 0;
  attempts.set(probe.id, attempt + 1);
  const prefix = `mqsim-${RUN}${attempt > 0 ? `-${attempt}` : ''}-${probe.id}.`;
  driver.stdin.write(`${JSON.stringify(prefixed(probe, prefix))}\n`);
  let observed: Observed | null = null;
  const lines = createInterface({ input: driver.stdout });
  try {
    for await (const line of lines) {
      const message = JSON.parse(line) as { observed?: Partial<Observed>; op?: string; action?: FaultAction; brokers?: number[] };
      if (message.observed) {
        observed = unprefixed({ ...emptyObserved(), ...message.observed }, prefix);
      } else if (message.op === 'fault') {
        if (control === undefined) throw new Error(`probe ${probe.id} has a broker fault: it runs only on the harness's own brokers`);
        await control.fault(message.action!, message.brokers!);
        driver.stdin.write('ok\n');
      }
    }
  } catch (error) {
    driver.kill('SIGKILL');
    throw error;
  } finally {
    const code = await exited;
    clearTimeout(timeout);
    if (control) await control.heal();
    if (observed === null) throw new Error(`kafka driver for ${probe.id} ended (exit ${code}) without an outcome:\n${stderr}`);
  }
  return observed;
}

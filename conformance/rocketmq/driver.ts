import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The Java side: where the pinned jars and the probe driver are (conformance/rocketmq/java,
 * built by `mvn -q -f conformance/rocketmq/java/pom.xml package dependency:copy-dependencies`),
 * and one run of the driver (java/src/mqsim/Driver.java) in a JVM of its own.
 */

const JAVA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'conformance', 'rocketmq', 'java');

export function classpath(): string {
  const lib = join(JAVA_DIR, 'target', 'lib');
  if (!existsSync(join(JAVA_DIR, 'target', 'classes', 'mqsim', 'Driver.class')) || !existsSync(lib)) {
    throw new Error('RocketMQ jars not there: run `mvn -q -f conformance/rocketmq/java/pom.xml package dependency:copy-dependencies` (needs Maven and JDK 17)');
  }
  return `${join(JAVA_DIR, 'target', 'classes')}:${join(lib, '*')}`;
}

/** The pinned RocketMQ version: the rocketmq-broker jar's. */
export function pinnedRocketmqVersion(): string {
  const lib = join(JAVA_DIR, 'target', 'lib');
  const jar = existsSync(lib) ? readdirSync(lib).find((f) => /^rocketmq-broker-\d.*\.jar$/.test(f)) : undefined;
  if (jar === undefined) throw new Error('rocketmq-broker jar not found in conformance/rocketmq/java/target/lib');
  return jar.slice('rocketmq-broker-'.length, -'.jar'.length);
}

const DRIVER_HEAP = '-Xmx256m';

export type DriverStep = Record<string, unknown>;

export interface DriverResult {
  failure?: string;
  sends: { id: string; at: number; key?: string; status?: string; error?: string; queueId?: number; queueOffset?: number; local?: string }[];
  deliveries: { consumer: string; group: string; id: string; queueId: number; reconsumeTimes: number; at: number }[];
  checks: { id: string; at: number }[];
  assignments: Record<string, number[]>;
  routes: { brokers?: string[]; error?: string }[];
  dlq: Record<string, { messages?: string[]; error?: string }>;
  /** The `version` step: brokerVersionDesc of each broker (V5_3_3). */
  versions: string[];
  /** The `cluster` and `waitLeaderNot` steps: a group's addresses by brokerId, and when. */
  clusters?: { at: number; addrs: Record<string, string> }[];
}

export function runDriver(url: string, steps: DriverStep[], run = ''): Promise<DriverResult> {
  const home = mkdtempSync(join(tmpdir(), 'mqsim-rocketmq-driver-'));
  return new Promise<DriverResult>((resolve, reject) => {
    // user.home: the client's logs and a broadcasting consumer's local offsets, thrown away after.
    const child = spawn('java', [DRIVER_HEAP, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Duser.home=${home}`, `-Drocketmq.client.localOffsetStoreDir=${join(home, 'offsets')}`, '-cp', classpath(), 'mqsim.Driver'],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => {
      rmSync(home, { recursive: true, force: true });
      const line = stdout.split('\n').find((l) => l.startsWith('MQSIM-RESULT '));
      if (line === undefined) reject(new Error(`the RocketMQ driver printed no result: ${stderr.slice(-2000)}`));
      else resolve(JSON.parse(line.slice('MQSIM-RESULT '.length)) as DriverResult);
    });
    child.stdin.end(JSON.stringify({ namesrv: url, steps, run }));
  });
}


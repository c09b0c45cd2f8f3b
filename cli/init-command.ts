import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { bundledScenariosDir, type CliIo } from './commands.js';
import { EXIT, UsageError } from './exit.js';
import { checkOutputFile, writeOutput } from './outputs.js';

/**
 * `mqsim init [kafka|rabbitmq|rocketmq|demo]`: a commented starter scenario, written to
 * `<system>.mqsim.yaml` (the name editors match to mqsim's JSON Schema) or `--out FILE`
 * (`--out -` prints it). Each starter validates and runs as it is (a test runs them all), and
 * says in comments what to change first.
 */

const HEADER = (system: string) => `# An mqsim scenario (${system}). Run it:      npx mqsim run FILE
# Check it without running:                  npx mqsim validate --verbose FILE
# See it with every default filled in:       npx mqsim explain FILE
# Every key is documented in the JSON Schema (your editor reads the line above, or: npx mqsim schema).
`;

const COMMON_TAIL = `
# The nemesis: the same fault vocabulary for every system. Targets are node names, random-<role>,
# all-<role>, or a model's selectors. Kinds: crash, restart, kill (crash + restart after for:),
# pause/resume, partition, heal, slow-disk, disk-full, clock-skew.
faults:
`;

export const STARTERS: Record<string, string> = {
  kafka: `name: my-kafka-scenario
description: Three brokers, one replicated topic, a producer and a consumer group; the leader of orders-0 crashes.
system: kafka
seed: 1                 # the same seed gives the same run, event for event
duration: 30s           # safety phase: the workload runs and the faults fire
drain: 30s              # liveness phase: faults healed, nodes restarted, producers stopped
cluster:
  brokers: 3
  # Broker configs under their real names and defaults (e.g. min.insync.replicas: 1,
  # unclean.leader.election.enable: false, replica.lag.time.max.ms: 30000).
  config: { min.insync.replicas: 2 }
topics:
  - { name: orders, partitions: 3, replicationFactor: 3 }
network:
  latency: { uniform: [1ms, 3ms] }
workload:
  producers:
    # Producer configs: acks (0, 1, all), enable.idempotence, linger.ms, batch.size, retries...
    - { id: p1, topic: orders, rate: 200/s, keys: 50, config: { acks: all } }
  consumers:
    # mode: subscribe joins a consumer group (JoinGroup/SyncGroup); the default assign() reads every partition.
    - { group: billing, topic: orders, count: 2, mode: subscribe, processing: 2ms, config: { auto.offset.reset: earliest } }
${COMMON_TAIL}  - { at: 10s, crash: { leader-of: orders-0 } }
  - { at: 20s, restart: broker-1 }
# What must hold: counts by name, or dotted metrics (latency.p99: "< 50ms"). mqsim validate lists them.
expect:
  lostAcked: 0
`,
  rabbitmq: `name: my-rabbitmq-scenario
description: A durable queue with publisher confirms and manual acks; the consumer is killed and comes back.
system: rabbitmq
seed: 1                 # the same seed gives the same run, event for event
duration: 20s           # safety phase: the workload runs and the faults fire
drain: 30s              # liveness phase: faults healed, nodes restarted, producers stopped
# Queues with their x-arguments: x-message-ttl, x-dead-letter-exchange, x-max-length,
# x-queue-type: quorum (with cluster: { brokers: 3 }), ...
queues:
  - { name: jobs, durable: true }
workload:
  producers:
    # confirm: true is confirm.select (publisher confirms); persistent: true is delivery mode 2.
    - { id: p1, rate: 100/s, routingKey: jobs, persistent: true, config: { confirm: true } }
  consumers:
    # Manual acks with basic.qos prefetch; autoAck: true acks on delivery (and loses on a crash).
    - { queue: jobs, processing: 10ms, config: { prefetch: 20, heartbeat: 10s } }
${COMMON_TAIL}  - { at: 5s, kill: jobs-c1, for: 2s }
# What must hold: counts by name, or dotted metrics (latency.p99: "< 50ms"). mqsim validate lists them.
expect:
  lostAcked: 0
  duplicateDeliveries: "> 0"   # at-least-once: what the killed consumer held comes again
`,
  rocketmq: `name: my-rocketmq-scenario
description: Two broker groups with a slave each, a producer and a clustering consumer group; a master crashes.
system: rocketmq
seed: 1                 # the same seed gives the same run, event for event
duration: 30s           # safety phase: the workload runs and the faults fire
drain: 30s              # liveness phase: faults healed, nodes restarted, producers stopped
cluster:
  brokerGroups: 2
  slavesPerGroup: 1
  # Broker configs under their real names: flushDiskType (ASYNC_FLUSH, SYNC_FLUSH),
  # brokerRole (ASYNC_MASTER, SYNC_MASTER), ...
  config: { flushDiskType: SYNC_FLUSH, brokerRole: SYNC_MASTER }
network:
  latency: { uniform: [500us, 2ms] }
workload:
  producers:
    - { id: p1, rate: 200/s, keys: 20 }
  consumers:
    - { group: billing, count: 2 }
${COMMON_TAIL}  - { at: 10s, kill: broker-a-0, for: 5s }
# What must hold: counts by name, or dotted metrics (latency.p99: "< 50ms"). mqsim validate lists them.
expect:
  lostAcked: 0
`,
  demo: `name: my-demo-scenario
description: mqsim's small store-and-forward queue (not a real MQ); the broker acks before fsync and crashes.
system: demo
seed: 1                 # the same seed gives the same run, event for event
duration: 20s           # safety phase: the workload runs and the faults fire
drain: 30s              # liveness phase: faults healed, nodes restarted, producers stopped
cluster:
  config: { ack.after: receive }    # receive (page cache) or fsync
network:
  latency: { uniform: [500us, 2ms] }
workload:
  producers:
    - { id: p1, rate: 100/s, keys: 10 }
  consumers:
    - { group: workers, count: 1, processing: 20ms }
${COMMON_TAIL}  - { at: 10s, crash: broker, for: 3s }
# What must hold: counts by name, or dotted metrics (latency.p99: "< 50ms"). mqsim validate lists them.
expect:
  lostAcked: "> 0"
`,
};

export function starterScenario(system: string, schemaPath: string): string {
  const body = STARTERS[system];
  if (body === undefined) throw new UsageError(`init: no starter for "${system}"; choose one of ${Object.keys(STARTERS).join(', ')}`);
  return `# yaml-language-server: $schema=${schemaPath}\n${HEADER(system)}${body}`;
}

export function initCommand(system: string | undefined, options: { out?: string; force?: boolean }, io: CliIo): number {
  const chosen = system ?? 'kafka';
  if (STARTERS[chosen] === undefined) {
    io.stderr(`mqsim init: no starter for "${chosen}"; choose one of ${Object.keys(STARTERS).join(', ')}\n`);
    return EXIT.usage;
  }
  const out = options.out ?? `${chosen}.mqsim.yaml`;
  if (out === '-') {
    io.stdout(starterScenario(chosen, join(bundledScenariosDir(), 'mqsim.schema.json')));
    return EXIT.ok;
  }
  checkOutputFile('--out', out, io.cwd);
  const path = resolve(io.cwd, out);
  if (existsSync(path) && !options.force) {
    io.stderr(`mqsim init: ${out} exists; give another --out, or --force to overwrite it\n`);
    return EXIT.usage;
  }
  const schema = relative(dirname(path), join(bundledScenariosDir(), 'mqsim.schema.json'));
  writeOutput(out, path, starterScenario(chosen, schema));
  io.stdout(`wrote ${out}: a ${chosen} scenario to edit; run it with  npx mqsim run ${out}\n`);
  return EXIT.ok;
}

import { formatDuration } from '../../sim/time.js';
import { coordinatorPartition } from './coordinator.js';
import type { TopicAssignment } from './controller.js';
import { OFFSETS_TOPIC } from './group-coordinator.js';
import { TRANSACTION_STATE_TOPIC } from './coordinator/transaction/transaction-coordinator.js';
import type { ConsumerSpecPlan, KafkaConsumerSpec } from './scenario.js';
import type { BrokerConfig, ProducerConfig } from './schema.js';

/** The Kafka model's `describe()` lines for the human report: what was built, with the real config names. */

export function describeCluster(c: {
  brokerCount: number; metadataMode: 'zookeeper' | 'kraft'; combined: boolean; voters: readonly string[];
  config: BrokerConfig; invariants: boolean; topics: readonly TopicAssignment[];
}): string[] {
  const { config } = c;
  const lines = [
    `cluster: ${c.brokerCount} brokers, metadata ${c.metadataMode === 'kraft' ? `kraft (${c.combined ? 'combined mode, ' : ''}controller.quorum.voters ${c.voters.join(',')}, broker.session.timeout.ms=${config.brokerSessionTimeout / 1000})` : `zookeeper (zookeeper.session.timeout.ms=${config.zkSessionTimeout / 1000})`}${c.invariants ? ', invariants checked' : ''}, inter.broker.protocol.version=${config.ibp} (${config.leaderEpochs ? 'leader-epoch' : 'high-watermark'} truncation), `
    + `min.insync.replicas=${config.minInsyncReplicas}, unclean.leader.election.enable=${config.uncleanLeaderElection}, replica.lag.time.max.ms=${config.replicaLagTimeMax / 1000}`,
  ];
  for (const t of c.topics) {
    if (t.topic === OFFSETS_TOPIC || t.topic === TRANSACTION_STATE_TOPIC) {
      lines.push(`topic ${t.topic} (internal): ${plural(t.partitions.length, 'partition')}, RF ${t.partitions[0]!.length}`);
      continue;
    }
    lines.push(`topic ${t.topic}: ${plural(t.partitions.length, 'partition')}, RF ${t.partitions[0]!.length}, replicas ${t.partitions.map((r, p) => `${p}:[${r.join(',')}]`).join(' ')}`);
  }
  return lines;
}

export function describeProducer(id: string, topic: string, producerConfig: ProducerConfig): string {
  const txn = producerConfig.transactionalId === null ? '' : `, transactional.id=${producerConfig.transactionalId}, transaction.timeout.ms=${producerConfig.transactionTimeoutMs}`;
  return `producer ${id} -> ${topic}: acks=${producerConfig.acks}, enable.idempotence=${producerConfig.idempotence}, linger.ms=${producerConfig.linger / 1000}, max.in.flight=${producerConfig.maxInFlight}${txn}`;
}

export function describeConsumers(spec: KafkaConsumerSpec, plan: ConsumerSpecPlan & { names: readonly string[] }, offsetsTopicPartitions: number): string[] {
  const { group, topic, groupTopics, mode, count, cconfig, commit, names } = plan;
  const lines: string[] = [];
  for (const step of spec.steps ?? []) {
    const what = step.subscribe ? `subscribe to ${step.subscribe.join(', ')}` : step.close ? 'close()' : 'start a new process';
    lines.push(`  at ${formatDuration(step.at)} ${names.join(', ')}: ${what}`);
  }
  if (mode === 'assign') {
    lines.push(`consumer ${names[0]} <- ${topic.topic}: assign() all ${plural(topic.partitions.length, 'partition')}, auto.offset.reset=${cconfig.autoOffsetReset}`);
    return lines;
  }
  lines.push(`consumer group ${group} (${names.join(', ')}) <- ${groupTopics.slice(0, spec.topics?.length ?? 1).map((t) => t.topic).join(', ')}: subscribe(), partition.assignment.strategy=${cconfig.strategy}, `
    + `coordinator partition ${OFFSETS_TOPIC}-${coordinatorPartition(group, offsetsTopicPartitions)}, `
    + `commit ${commit}, processing ${spec.processingMode ?? 'sync'}, `
    + `${spec.config?.['group.instance.id'] !== undefined ? `group.instance.id=${spec.config['group.instance.id']}${count > 1 ? '-<n>' : ''} (static), ` : ''}session.timeout.ms=${cconfig.sessionTimeout / 1000}, max.poll.interval.ms=${cconfig.maxPollInterval / 1000}, auto.offset.reset=${cconfig.autoOffsetReset}`);
  if (spec.delayScheduler) {
    lines.push(`  ${group} is a delay scheduler: each record due ${formatDuration(spec.delayScheduler.delay)} after its timestamp, then forwarded to ${spec.delayScheduler.target} (poll timeout ${formatDuration(spec.delayScheduler.pollTimeout ?? 1_000_000)}; pause and seek until due)`);
  }
  if (spec.dispatch) lines.push(`  ${group} is a dispatcher: every record re-produced to one of ${spec.dispatch.targets.join(', ')} by ${spec.dispatch.by ?? 'key'}`);
  if (spec.pipeline) {
    const p = spec.pipeline;
    lines.push((p['processing.guarantee'] ?? 'at_least_once') === 'exactly_once_v2'
      ? `  ${group} is a pipeline to ${p.output}, processing.guarantee=exactly_once_v2: each poll's records and offsets in one transaction (transactional.id <consumer>-txn, transaction.timeout.ms=${p['transaction.timeout.ms'] ?? 10_000}, isolation.level=read_committed); the commit line above does not apply`
      : `  ${group} is a pipeline to ${p.output}, processing.guarantee=at_least_once: produce (enable.idempotence=${p['enable.idempotence'] ?? true}), flush, commitSync`);
  }
  if (cconfig.groupProtocol === 'consumer') {
    lines.push(`  ${group} uses group.protocol=consumer (KIP-848): ConsumerGroupHeartbeat, server-side assignor ${cconfig.remoteAssignor ?? 'the broker default'}; the session.timeout.ms above does not apply (group.consumer.session.timeout.ms does)`);
  }
  const handling = plan.errorHandling;
  if (handling) {
    const s = handling.spec;
    const end = (s.mode === 'retry-topics' ? s.dlt !== false : s.dlt === true) ? `then ${topic.topic}-dlt` : s.mode === 'retry-topics' ? 'then dropped (no DLT)' : 'then logged and skipped';
    lines.push(s.mode === 'blocking'
      ? `  ${group} fails ${handling.failureRate * 100}% of processings; error handler: blocking retries in place, ${s.attempts ?? 10} attempts, back-off ${formatDuration(s.backoff ?? 0)}, ${end}${spec.errorHandling === undefined ? " (Spring Kafka's default)" : ''}`
      : `  ${group} fails ${handling.failureRate * 100}% of processings; retry topics ${handling.retryTopics.join(', ')} (non-blocking), ${end}`);
  }
  return lines;
}

export function describeAdminStep(at: number, topic: string, count: number): string {
  return `admin at ${formatDuration(at)}: CreatePartitions ${topic} to ${plural(count, 'partition')}`;
}

/** `1 partition`, `6 partitions`. */
function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

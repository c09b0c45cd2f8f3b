import type { CommonConsumer, CommonProducer, CommonScenario } from '../../sim/scenario/schema.js';
import { ConfigError, type ConfigPath } from '../../sim/scenario/config-error.js';
import { formatDuration } from '../../sim/time.js';
import type { AdminStep } from './admin.js';
import type { CommitMode } from './consumer.js';
import type { TopicAssignment } from './controller.js';
import type { DelaySchedulerSpec, DispatchSpec, ErrorHandlingSpec, PipelineSpec } from './patterns/index.js';
import { errorHandlingTopics, SPRING_DEFAULT } from './patterns/error-handler.js';
import type { KafkaVersion } from './version.js';
import { resolveConsumerConfig, type KafkaClusterConfig, type KafkaConsumerConfig, type KafkaProducerConfig, type KafkaTopicSpec, type ConsumerConfig as ResolvedConsumerConfig } from './schema.js';

/**
 * A Kafka scenario as the model reads it (the schema, schema.ts, validated its shape), and the
 * checks of a consumer entry that need more than the schema: combinations of mode, commit,
 * processing, patterns and steps the model does not run.
 */

export interface KafkaProducerSpec extends CommonProducer {
  topic?: string;
  /** mqsim model key: the requested delivery delay (through a delay topic and a delay scheduler). */
  delay?: number;
  config?: KafkaProducerConfig;
  /** mqsim key (with transactional.id): records per transaction, and every n-th transaction aborted by the application. */
  transactions?: { records: number; abortEvery?: number };
}

export interface KafkaConsumerSpec extends CommonConsumer {
  topic?: string;
  /** subscribe mode: several topics at start. */
  topics?: string[];
  mode?: 'subscribe' | 'assign';
  processingMode?: 'sync' | 'async-pool';
  workers?: number;
  commit?: CommitMode;
  delayScheduler?: DelaySchedulerSpec;
  dispatch?: DispatchSpec;
  /** mqsim model key: the consume-transform-produce application (processing.guarantee). */
  pipeline?: PipelineSpec;
  /** mqsim model key: what the application does when processing fails (Spring Kafka's error handlers). */
  errorHandling?: ErrorHandlingSpec;
  /** mqsim model key: subscription changes, close() and a new process at given times. */
  steps?: { at: number; subscribe?: string[]; close?: true; start?: true }[];
  config?: KafkaConsumerConfig;
}

export interface KafkaScenario extends CommonScenario {
  system: 'kafka';
  cluster?: { brokers?: number; version?: KafkaVersion; metadata?: 'zookeeper' | 'kraft'; controllers?: number; combined?: boolean; invariants?: boolean; config?: KafkaClusterConfig };
  topics?: KafkaTopicSpec[];
  /** Admin client operations at given times (CreatePartitions). */
  admin?: AdminStep[];
  workload?: { producers?: KafkaProducerSpec[]; consumers?: KafkaConsumerSpec[] };
}

/** A consumer entry, checked, with what the model builds from it. */
export interface ConsumerSpecPlan {
  topic: TopicAssignment;
  group: string;
  mode: 'subscribe' | 'assign';
  count: number;
  cconfig: ResolvedConsumerConfig;
  commit: CommitMode;
  /** Every topic the group may read (its subscription, its steps' subscriptions). */
  groupTopics: TopicAssignment[];
  /** failureRate or errorHandling: the error handling the application runs, with the topics it also reads. */
  errorHandling: { spec: ErrorHandlingSpec; failureRate: number; retryTopics: string[] } | null;
}

/** Checks a consumer entry; throws with the group's name when it asks for what is not modelled. */
export function checkConsumerSpec(spec: KafkaConsumerSpec, duration: number, topicOf: (name: string | undefined, what: string, path?: ConfigPath) => TopicAssignment): ConsumerSpecPlan {
  // A key the schema accepts must change the run or be refused.
  if (spec.idempotent) throw ConfigError.at(['idempotent'], `consumers ${spec.group ?? 'consumers'}: an idempotent consumer (a store of processed ids) is not modelled for kafka yet`);
  if (spec.topics !== undefined && spec.topic !== undefined) throw ConfigError.at(['topics'], `consumers ${spec.group ?? 'consumers'}: give topic or topics, not both`);
  const topic = topicOf(spec.topics?.[0] ?? spec.topic, 'consumer', spec.topics !== undefined ? ['topics', 0] : ['topic']);
  const group = spec.group ?? 'consumers';
  const mode = spec.mode ?? 'assign';
  const count = spec.count ?? 1;
  const cconfig = resolveConsumerConfig(spec.config);
  if (spec.pipeline !== undefined) {
    // Kafka Streams overrides these consumer configs: it commits itself, and reads committed data under exactly-once.
    if (cconfig.autoCommitExplicit && cconfig.enableAutoCommit) throw ConfigError.at(['config', 'enable.auto.commit'], `consumers ${group}: a pipeline commits itself (Kafka Streams sets enable.auto.commit=false)`);
    if (spec.commit !== undefined) throw ConfigError.at(['commit'], `consumers ${group}: a pipeline commits as its processing.guarantee says; commit is not used with it`);
    cconfig.enableAutoCommit = false;
    if (spec.pipeline['processing.guarantee'] === 'exactly_once_v2') {
      if (cconfig.groupProtocol === 'consumer') throw ConfigError.at(['config', 'group.protocol'], `consumers ${group}: exactly_once_v2 with group.protocol=consumer is not modelled (its TxnOffsetCommit is checked against member epochs)`);
      if (spec.pipeline['enable.idempotence'] === false) throw ConfigError.at(['pipeline', 'enable.idempotence'], `consumers ${group}: exactly_once_v2 needs an idempotent producer (a transactional producer is idempotent)`);
      if (spec.config?.['isolation.level'] === 'read_uncommitted') throw ConfigError.at(['config', 'isolation.level'], `consumers ${group}: exactly_once_v2 reads with isolation.level=read_committed (Kafka Streams sets it)`);
      cconfig.readCommitted = true;
    }
  }
  if (mode === 'assign' && count > 1) throw new Error(`consumers ${group}: count > 1 needs mode: subscribe (an assign() consumer reads every partition)`);
  const commit: CommitMode = spec.commit ?? (cconfig.enableAutoCommit ? 'auto' : 'manual-sync-after');
  if (mode === 'subscribe') {
    if (commit === 'auto' && !cconfig.enableAutoCommit) throw new Error(`consumers ${group}: commit: auto needs enable.auto.commit: true`);
    if (commit !== 'auto' && cconfig.autoCommitExplicit && cconfig.enableAutoCommit) throw new Error(`consumers ${group}: commit: ${commit} needs enable.auto.commit: false`);
    if (spec.processingMode === 'async-pool' && (commit === 'manual-sync-after' || commit === 'manual-async-after')) {
      throw new Error(`consumers ${group}: async-pool with commit ${commit} is not modelled (use auto or manual-before)`);
    }
    if (cconfig.groupProtocol === 'consumer') {
      // Kafka's consumer refuses these with group.protocol=consumer: the broker's group.consumer.* configs rule.
      for (const key of ['session.timeout.ms', 'heartbeat.interval.ms', 'partition.assignment.strategy'] as const) {
        if (spec.config?.[key] !== undefined) throw ConfigError.at(['config', key], `consumers ${group}: ${key} is not supported with group.protocol=consumer (the coordinator's group.consumer.* broker configs and group.remote.assignor apply)`);
      }
    } else {
      if (cconfig.remoteAssignor !== null) throw ConfigError.at(['config', 'group.remote.assignor'], `consumers ${group}: group.remote.assignor needs group.protocol: consumer`);
      if (cconfig.heartbeatInterval >= cconfig.sessionTimeout) throw new Error(`consumers ${group}: heartbeat.interval.ms must be lower than session.timeout.ms`);
    }
  } else if (spec.commit !== undefined || spec.processingMode !== undefined || spec.config?.['group.instance.id'] !== undefined
    || spec.config?.['group.protocol'] !== undefined || spec.config?.['group.remote.assignor'] !== undefined
    || spec.delayScheduler !== undefined || spec.dispatch !== undefined || spec.pipeline !== undefined) {
    throw new Error(`consumers ${group}: commit, processingMode, group.instance.id, group.protocol, group.remote.assignor, delayScheduler, dispatch and pipeline need mode: subscribe`);
  }
  const groupTopics = [topic];
  if (spec.topics !== undefined) {
    if (mode !== 'subscribe') throw new Error(`consumers ${group}: topics (several) need mode: subscribe`);
    for (const [k, t] of spec.topics.entries()) {
      const assignment = topicOf(t, `consumers ${group}`, ['topics', k]);
      if (!groupTopics.includes(assignment)) groupTopics.push(assignment);
    }
  }
  if (spec.steps !== undefined) {
    if (mode !== 'subscribe') throw new Error(`consumers ${group}: steps (subscribe) need mode: subscribe`);
    let open = true;
    for (const step of [...spec.steps].sort((a, b) => a.at - b.at)) {
      if (step.at > duration) throw new Error(`consumers ${group}: a step at ${formatDuration(step.at)} is after the scenario's duration`);
      if (step.close) {
        if (!open) throw new Error(`consumers ${group}: close at ${formatDuration(step.at)} but the consumer is already closed`);
        open = false;
      }
      if (step.start) {
        if (open) throw new Error(`consumers ${group}: start at ${formatDuration(step.at)} needs a close before it (the consumer is running)`);
        open = true;
      }
      for (const [k, t] of (step.subscribe ?? []).entries()) {
        const assignment = topicOf(t, `consumers ${group} steps`, ['steps', spec.steps.indexOf(step), 'subscribe', k]);
        if (!groupTopics.includes(assignment)) groupTopics.push(assignment);
      }
    }
  }
  if (spec.delayScheduler !== undefined || spec.dispatch !== undefined || spec.pipeline !== undefined) {
    if (spec.steps !== undefined || spec.topics !== undefined) throw new Error(`consumers ${group}: delayScheduler, dispatch and pipeline read one topic; steps and topics are not supported with them`);
    if ([spec.delayScheduler, spec.dispatch, spec.pipeline].filter((x) => x !== undefined).length > 1) throw new Error(`consumers ${group}: delayScheduler, dispatch and pipeline are different applications; give each its own group`);
    if (spec.processingMode === 'async-pool') throw new Error(`consumers ${group}: delayScheduler, dispatch and pipeline run in the sync poll loop (processingMode: sync)`);
    const targets = spec.delayScheduler ? [spec.delayScheduler.target] : spec.pipeline ? [spec.pipeline.output] : spec.dispatch!.targets;
    for (const [k, t] of targets.entries()) {
      const path = spec.delayScheduler ? ['delayScheduler', 'target'] : spec.pipeline ? ['pipeline', 'output'] : ['dispatch', 'targets', k];
      if (t === topic.topic) throw ConfigError.at(path, `consumers ${group}: forwarding ${topic.topic} to itself`);
      topicOf(t, `consumers ${group}`, path);
    }
  }
  let errorHandling: ConsumerSpecPlan['errorHandling'] = null;
  const failureRate = spec.failureRate ?? 0;
  if (failureRate > 0 || spec.errorHandling !== undefined) {
    const what = spec.errorHandling !== undefined ? 'errorHandling' : 'failureRate';
    const path = [what];
    if (mode !== 'subscribe') throw ConfigError.at(path, `consumers ${group}: ${what} needs mode: subscribe (the error handling of a consumer group's application)`);
    if (spec.delayScheduler !== undefined || spec.dispatch !== undefined || spec.pipeline !== undefined) throw ConfigError.at(path, `consumers ${group}: ${what} with delayScheduler, dispatch or pipeline is not modelled (their loop forwards every record)`);
    if (spec.processingMode === 'async-pool') throw ConfigError.at(path, `consumers ${group}: ${what} runs in the sync poll loop (processingMode: sync), as Spring's listener container does`);
    if (spec.topics !== undefined || spec.steps?.some((s) => s.subscribe !== undefined)) throw ConfigError.at(path, `consumers ${group}: ${what} with several topics or subscription changes is not modelled`);
    const handling = spec.errorHandling ?? SPRING_DEFAULT;
    const topics = errorHandlingTopics(topic.topic, handling);
    for (const t of [...topics.retry, ...(topics.dlt !== null ? [topics.dlt] : [])]) {
      const assignment = topicOf(t, `consumers ${group} errorHandling (declare it under topics:)`, ['errorHandling']);
      if (topics.retry.includes(t) && !groupTopics.includes(assignment)) groupTopics.push(assignment);
    }
    errorHandling = { spec: handling, failureRate, retryTopics: topics.retry };
  }
  return { topic, group, mode, count, cconfig, commit, groupTopics, errorHandling };
}

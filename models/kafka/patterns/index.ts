import type { NodeContext } from '../../../sim/node.js';
import type { Micros } from '../../../sim/time.js';
import type { PartitionCursor, Work } from '../consumer.js';
import { DelayScheduler, type DelaySchedulerSpec } from './delay-scheduler.js';
import { Dispatcher, type DispatchSpec } from './dispatcher.js';
import { Forwarder, type ForwarderConfig } from './forwarder.js';
import { ErrorHandler, type ErrorHandlingSpec } from './error-handler.js';
import { Pipeline, type PipelineSpec, type TransactionalLoop } from './pipeline.js';
import type { History } from '../../../sim/history.js';
import type { KafkaStats } from '../stats.js';

export type { DelaySchedulerSpec } from './delay-scheduler.js';
export type { DispatchSpec } from './dispatcher.js';
export type { ErrorHandlingSpec } from './error-handler.js';
export type { PipelineSpec } from './pipeline.js';

/**
 * Patterns from the seed article that a consumer group's application runs instead of delivering
 * records itself: the delay scheduler (a delay topic forwarded to the real topic when due) and
 * the dispatcher (one topic fanned out to N topics). Both consume in the sync poll loop, forward
 * with their own producer (Forwarder), flush, then commit: at-least-once. And the application's
 * handling of failed processing (error-handler.ts: blocking retries, retry topics, a dead-letter
 * topic), which delivers what it processes and forwards what failed.
 */
export interface RecordPattern {
  readonly forwarder: Forwarder;
  /**
   * A record poll() returned, after its processing time: forward it, or (the scheduler) report
   * the time it is due at when it is not due yet; the loop then pauses and seeks its partition.
   */
  handle(item: Work, now: Micros): 'forwarded' | 'delivered' | Micros;
  /** poll(Duration) timeout of the application's loop (0: the loop blocks until records come). */
  readonly pollTimeout: Micros;
  /** Partitions paused until due (the scheduler), resumed by the loop. */
  readonly paused: Set<PartitionCursor>;
  /** exactly_once_v2 (pipeline.ts): the loop runs each poll's records in a transaction. */
  readonly transactional?: TransactionalLoop | null;
  describe(): string;
}

export interface PatternSpec {
  delayScheduler?: DelaySchedulerSpec;
  dispatch?: DispatchSpec;
  /** failureRate > 0 or errorHandling: how the application handles a failed processing. */
  errorHandling?: { spec: ErrorHandlingSpec; topic: string; failureRate: number };
  pipeline?: PipelineSpec;
}

export function makePattern(spec: PatternSpec, ctx: NodeContext, config: ForwarderConfig, stats?: KafkaStats, history?: History): RecordPattern | null {
  if (spec.pipeline) {
    const transactional = spec.pipeline['processing.guarantee'] === 'exactly_once_v2';
    const idempotent = spec.pipeline['enable.idempotence'] ?? true;
    const forwarder = new Forwarder(ctx, transactional ? { ...config, transactionalId: `${ctx.name}-txn` } : { ...config, idempotent });
    return new Pipeline(spec.pipeline, forwarder, { ctx, history: history!, brokers: config.brokers, requestTimeout: config.requestTimeout, retryBackoff: config.retryBackoff });
  }
  if (spec.delayScheduler) return new DelayScheduler(spec.delayScheduler, new Forwarder(ctx, config));
  if (spec.dispatch) return new Dispatcher(spec.dispatch, new Forwarder(ctx, config));
  if (spec.errorHandling) {
    const e = spec.errorHandling;
    return new ErrorHandler(e.spec, e.topic, e.failureRate, ctx.random('failures'), ctx, stats, new Forwarder(ctx, config));
  }
  return null;
}

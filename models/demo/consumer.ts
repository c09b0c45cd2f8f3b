import type { Timer } from '../../sim/kernel.js';
import type { History, NewHistoryOp } from '../../sim/history.js';
import type { Actor, Message, NodeContext } from '../../sim/node.js';
import { sampler, type Distribution, type Sampler } from '../../sim/random.js';
import type { Micros } from '../../sim/time.js';
import type { Phase } from '../../sim/world.js';
import { HEADER_BYTES, type Ack, type Delivery, type Fetch, type FetchResponse } from './protocol.js';
import type { ResolvedConsumerConfig } from './schema.js';
import { notes } from './notes.js';

/**
 * The demo consumer: a pull loop. It sends a Fetch; an empty FetchResponse makes it wait
 * `poll.interval`, a non-empty one is handled message by message, in order, and the next Fetch
 * goes out as soon as the batch is done. Handling a message records a history `receive` ok (it
 * reached the application), then processes it for a `processing` sample; a processing failure
 * (`failureRate`) sends no Ack, so the broker's visibility timeout redelivers it. The Ack goes
 * after processing (at-least-once: a crash mid-processing redelivers, a duplicate) or, with
 * `ack: before-processing`, before it (at-most-once: a crash loses the work). An Ack is fire and
 * forget, recorded as `ack` ok when sent.
 *
 * A Fetch unanswered after FETCH_TIMEOUT (broker down, partition) is abandoned and the consumer
 * fetches again; a late response to it is ignored, and its deliveries come back after the
 * visibility timeout. An `idempotent` consumer skips the processing of a message id it already
 * processed (remembered in memory only), but still records the receive.
 *
 * `start` delays the first Fetch; after `stop` the consumer fetches no more, until the liveness
 * phase, when every consumer consumes again so the drain shows what was really lost. A
 * restarted consumer starts over with an empty memory.
 */

/** How long a Fetch may stay unanswered before the consumer gives up on it and fetches again. */
export const FETCH_TIMEOUT: Micros = 5_000_000;

export interface ConsumerOptions {
  group: string;
  queue: string;
  config: ResolvedConsumerConfig;
  processing: Distribution | undefined;
  failureRate: number;
  idempotent: boolean;
  start: Micros | undefined;
  stop: Micros | undefined;
  history: History;
  /** The world's phase now. */
  phase: () => Phase;
}

interface Processing {
  delivery: Delivery;
  /** An idempotent consumer's repeat: not processed again, just acked. */
  skipped: boolean;
}

export class DemoConsumer implements Actor {
  private ctx!: NodeContext;
  private processing!: Sampler;
  private failures!: ReturnType<NodeContext['random']>;
  private fetchId = 0;
  /** The Fetch being waited for (0: none). */
  private awaiting = 0;
  private fetchTimer: Timer | null = null;
  private pollTimer: Timer | null = null;
  private batch: readonly Delivery[] = [];
  private next = 0;
  /** Not fetching: before `start` or after `stop`. */
  private idle = false;
  private readonly processed = new Set<string>();

  constructor(private readonly options: ConsumerOptions) {}

  start(ctx: NodeContext, _restarted: boolean): void {
    this.ctx = ctx;
    this.processing = sampler(this.options.processing ?? { constant: 0 }, ctx.random('processing'));
    this.failures = ctx.random('failure');
    const start = this.options.start ?? 0;
    const now = ctx.trueNow();
    if (start > now && this.options.phase() === 'safety') this.pollTimer = ctx.setTimer(start - now, 'poll');
    else this.poll();
  }

  onPhase(phase: Phase): void {
    if (phase === 'liveness' && this.idle) {
      this.ctx.cancelTimer(this.pollTimer);
      this.pollTimer = null;
      this.idle = false;
      this.poll();
    }
  }

  receive(_from: string, message: Message): void {
    if (message.type === 'FetchResponse') this.onFetchResponse(message as FetchResponse);
  }

  onTimer(tag: string, data: unknown): void {
    switch (tag) {
      case 'poll':
        this.pollTimer = null;
        this.poll();
        break;
      case 'fetch-timeout':
        if (data === this.awaiting) {
          this.fetchTimer = null;
          this.awaiting = 0;
          notes.note(this.ctx, 'fetch-timeout', { fetchId: data });
          this.poll();
        }
        break;
      case 'processed':
        this.onProcessed(data as Processing);
        break;
    }
  }

  private poll(): void {
    const stop = this.options.stop;
    if (stop !== undefined && this.ctx.trueNow() >= stop && this.options.phase() === 'safety') {
      this.idle = true;
      return;
    }
    this.idle = false;
    const fetch: Fetch = { type: 'Fetch', queue: this.options.queue, fetchId: ++this.fetchId };
    this.awaiting = fetch.fetchId;
    this.ctx.send('broker', fetch, HEADER_BYTES);
    this.fetchTimer = this.ctx.setTimer(FETCH_TIMEOUT, 'fetch-timeout', fetch.fetchId);
  }

  private onFetchResponse(response: FetchResponse): void {
    if (response.fetchId !== this.awaiting) {
      notes.note(this.ctx, 'late-fetch-response', { fetchId: response.fetchId, deliveries: response.deliveries.length });
      return;
    }
    this.ctx.cancelTimer(this.fetchTimer);
    this.fetchTimer = null;
    this.awaiting = 0;
    if (response.deliveries.length === 0) {
      this.pollTimer = this.ctx.setTimer(this.options.config.pollInterval, 'poll');
      return;
    }
    this.batch = response.deliveries;
    this.next = 0;
    this.handleNext();
  }

  /** Hands the next message of the batch to the application, or fetches again when done. */
  private handleNext(): void {
    if (this.next >= this.batch.length) {
      this.batch = [];
      this.poll();
      return;
    }
    const delivery = this.batch[this.next++]!;
    const { group, queue } = this.options;
    const op: NewHistoryOp = {
      time: this.ctx.trueNow(), process: this.ctx.name, type: 'ok', f: 'receive', msg: delivery.msg, queue,
      offset: delivery.offset, group, node: 'broker', redelivered: delivery.redelivered,
    };
    if (delivery.key !== undefined) op.key = delivery.key;
    this.options.history.record(op);
    if (this.options.config.ack === 'before-processing') this.ack(delivery);
    const skip = this.options.idempotent && this.processed.has(delivery.msg);
    const work: Processing = { delivery, skipped: skip };
    this.ctx.setTimer(skip ? 0 : Math.max(0, Math.round(this.processing())), 'processed', work);
  }

  private onProcessed({ delivery, skipped }: Processing): void {
    const failed = !skipped && this.options.failureRate > 0 && this.failures.chance(this.options.failureRate);
    if (failed) {
      notes.note(this.ctx, 'processing-failed', { msg: delivery.msg, offset: delivery.offset });
    } else {
      if (this.options.idempotent) this.processed.add(delivery.msg);
      if (this.options.config.ack === 'after-processing') this.ack(delivery);
    }
    this.handleNext();
  }

  private ack(delivery: Delivery): void {
    const { group, queue } = this.options;
    const ack: Ack = { type: 'Ack', queue, offset: delivery.offset, tag: delivery.tag };
    this.ctx.send('broker', ack, HEADER_BYTES);
    const op: NewHistoryOp = {
      time: this.ctx.trueNow(), process: this.ctx.name, type: 'ok', f: 'ack', msg: delivery.msg, queue,
      offset: delivery.offset, group, node: 'broker',
    };
    if (delivery.key !== undefined) op.key = delivery.key;
    this.options.history.record(op);
  }
}

import type { Actor, NodeContext } from '../../sim/node.js';
import { timersOf, unreachable, type TimerArgs } from '../../sim/timers.js';
import { note } from './notes.js';
import type { Micros } from '../../sim/time.js';
import { sendTo, HEADER_BYTES, type CreatePartitionsResponse, type DescribeProducersResponse, type MetadataResponse, type WriteTxnMarkersResponse } from './protocol.js';
import type { KafkaStats } from './stats.js';
import { TransactionsAdmin, type AbortTransactionStep, type TransactionsAdminTimer } from './admin-transactions.js';

/**
 * An admin client (Admin.createPartitions, what `kafka-topics --alter --partitions N` does) run
 * by the scenario's `admin:` steps. At each step's time it sends CreatePartitions with the new
 * partitions' replica assignment to a broker; a broker that is not the controller answers
 * NOT_CONTROLLER and the client tries the next one (the Java admin client finds the controller
 * through Metadata). The controller creates the partitions and tells the brokers; clients learn
 * the new partition count from their next Metadata (consumers: metadata.max.age.ms), and a
 * consumer group's leader that sees a subscribed topic grow rejoins, so the group rebalances.
 * An `abortTransaction` step is kafka-transactions.sh's find-hanging and abort (admin-transactions.ts).
 */
export interface AddPartitionsStep {
  at: Micros;
  addPartitions: { topic: string; count: number };
}
export type AdminStep = AddPartitionsStep | AbortTransactionStep;

export interface AdminOptions {
  brokers: readonly string[];
  steps: readonly AdminStep[];
  stats: KafkaStats;
  /** The replica lists of partitions [current, count) of `topic` (the assignment the request carries). */
  assignments(topic: string, count: number): { current: number; assignments: string[][] };
  /** The topic now has `to` partitions (was `from`). */
  created(topic: string, from: number, to: number): void;
}

const REQUEST_TIMEOUT: Micros = 5_000_000;

/** The admin client's timers. */
export type AdminTimer =
  | { tag: 'admin-step'; data: AdminStep }
  | { tag: 'admin-retry'; data: Pending }
  | { tag: 'admin-timeout'; data: Pending }
  | TransactionsAdminTimer;
const timers = timersOf<AdminTimer>();

interface Pending {
  step: AddPartitionsStep;
  id: number;
  broker: number;
  attempts: number;
  current: number;
}

export class KafkaAdmin implements Actor {
  private ctx!: NodeContext;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly transactions: TransactionsAdmin;

  constructor(private readonly options: AdminOptions) {
    this.transactions = new TransactionsAdmin(() => this.ctx, options.brokers, options.stats);
  }

  start(ctx: NodeContext, _restarted: boolean): void {
    this.ctx = ctx;
    const now = ctx.trueNow();
    for (const step of this.options.steps) if (step.at >= now) timers.set(ctx, step.at - now, 'admin-step', step);
  }

  receive(_from: string, response: CreatePartitionsResponse | MetadataResponse | DescribeProducersResponse | WriteTxnMarkersResponse): void {
    switch (response.type) {
      case 'CreatePartitionsResponse': return this.onCreatePartitionsResponse(response);
      case 'MetadataResponse': case 'DescribeProducersResponse': case 'WriteTxnMarkersResponse':
        this.transactions.receive(response);
        return;
      default: return unreachable(response, 'admin message');
    }
  }

  private onCreatePartitionsResponse(response: CreatePartitionsResponse): void {
    const pending = this.pending.get(response.id);
    if (!pending) return;
    this.pending.delete(response.id);
    const { topic, count } = pending.step.addPartitions;
    if (response.error === 'NONE') {
      this.options.stats.partitionsAdded += count - pending.current;
      note(this.ctx, 'admin-partitions-created', { topic, from: pending.current, to: count });
      this.options.created(topic, pending.current, count);
      return;
    }
    if (response.error === 'NOT_CONTROLLER' && pending.attempts < 10 * this.options.brokers.length) {
      timers.set(this.ctx, 100_000, 'admin-retry', { ...pending, broker: pending.broker + 1 });
      return;
    }
    note(this.ctx, 'admin-create-partitions-failed', { topic, count, error: response.error, ...(response.message ? { message: response.message } : {}) });
  }

  onTimer(...[tag, data]: TimerArgs<AdminTimer>): void {
    switch (tag) {
      case 'admin-step':
        if ('abortTransaction' in data) return this.transactions.start(data);
        return this.send(data, 0, 0);
      case 'admin-txn-next': return this.transactions.onTimer(data);
      case 'admin-retry': {
        const p = data;
        return this.send(p.step, p.broker, p.attempts);
      }
      case 'admin-timeout': {
        const p = data;
        if (!this.pending.has(p.id)) return;
        this.pending.delete(p.id);
        return this.send(p.step, p.broker + 1, p.attempts);
      }
      default: return unreachable(tag, 'admin timer');
    }
  }

  private send(step: AddPartitionsStep, broker: number, attempts: number): void {
    const { topic, count } = step.addPartitions;
    const { current, assignments } = this.options.assignments(topic, count);
    const id = this.nextId++;
    const pending: Pending = { step, id, broker, attempts: attempts + 1, current };
    this.pending.set(id, pending);
    const to = this.options.brokers[broker % this.options.brokers.length]!;
    sendTo(this.ctx, to, { type: 'CreatePartitions', topic, count, assignments, id }, HEADER_BYTES + 32 * assignments.length);
    timers.set(this.ctx, REQUEST_TIMEOUT, 'admin-timeout', pending);
  }
}

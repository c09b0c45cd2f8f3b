import type { NodeContext } from '../../../../sim/node.js';
import { timersOf } from '../../../../sim/timers.js';
import type { Micros } from '../../../../sim/time.js';
import { note } from '../../notes.js';
import { sendTo, HEADER_BYTES, type KafkaError, type WriteTxnMarkers, type WriteTxnMarkersResponse } from '../../protocol.js';

/**
 * The transaction coordinator's marker channel (Kafka's TransactionMarkerChannelManager): once a
 * transaction is in PrepareCommit or PrepareAbort, a WriteTxnMarkers request goes to the leader
 * of each of its partitions, grouped by broker; a partition whose leader answers with an error,
 * is unknown or does not answer within the request timeout is retried after a backoff with the
 * leader looked up again, until every partition has its marker. Then `done` runs (the
 * coordinator writes CompleteCommit / CompleteAbort).
 */

/** Kafka's request.timeout.ms default for the coordinator's inter-broker requests. */
export const MARKER_REQUEST_TIMEOUT: Micros = 30_000_000;
/** Backoff before a partition's marker is sent again (retry.backoff.ms). */
export const MARKER_RETRY_BACKOFF: Micros = 100_000;

export interface MarkerJob {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  committed: boolean;
  coordinatorEpoch: number;
  /** Partitions still without their marker. */
  remaining: Set<string>;
  /** The job is abandoned (the coordinator lost the transaction's partition). */
  cancelled: boolean;
  done: () => void;
}

export type MarkerTimer =
  | { tag: 'txn-marker-retry'; data: MarkerJob }
  | { tag: 'txn-marker-timeout'; data: number };
export const markerTimers = timersOf<MarkerTimer>();

export class TransactionMarkerChannelManager {
  private readonly inflight = new Map<number, { job: MarkerJob; partitions: string[] }>();
  private nextId = 1;

  /** `leaderOf` is the broker's metadata cache: a partition's leader, null when offline or unknown. */
  constructor(private readonly ctx: NodeContext, private readonly leaderOf: (partition: string) => string | null) {}

  /** Starts writing the markers of a transaction in Prepare*. */
  start(job: MarkerJob): void {
    if (job.remaining.size === 0) return job.done();
    this.send(job);
  }

  private send(job: MarkerJob): void {
    if (job.cancelled) return;
    const byBroker = new Map<string, string[]>();
    let unknown = false;
    for (const partition of job.remaining) {
      const leader = this.leaderOf(partition);
      if (leader === null) {
        unknown = true;
        continue;
      }
      let list = byBroker.get(leader);
      if (!list) byBroker.set(leader, (list = []));
      list.push(partition);
    }
    for (const [broker, partitions] of byBroker) {
      const id = this.nextId++;
      this.inflight.set(id, { job, partitions });
      const request: WriteTxnMarkers = {
        type: 'WriteTxnMarkers', producerId: job.producerId, producerEpoch: job.producerEpoch, committed: job.committed,
        coordinatorEpoch: job.coordinatorEpoch, partitions, id,
      };
      sendTo(this.ctx, broker, request, HEADER_BYTES + 16 * partitions.length);
      markerTimers.set(this.ctx, MARKER_REQUEST_TIMEOUT, 'txn-marker-timeout', id);
    }
    if (unknown) markerTimers.set(this.ctx, MARKER_RETRY_BACKOFF, 'txn-marker-retry', job);
  }

  onResponse(response: WriteTxnMarkersResponse): void {
    const entry = this.inflight.get(response.id);
    if (!entry) return;
    this.inflight.delete(response.id);
    const { job } = entry;
    if (job.cancelled) return;
    let failed: KafkaError | null = null;
    for (const { partition, error } of response.errors) {
      if (error === 'NONE') job.remaining.delete(partition);
      else failed = error;
    }
    if (job.remaining.size === 0) return job.done();
    if (failed !== null) {
      note(this.ctx, 'txn-marker-retry', { transactionalId: job.transactionalId, error: failed, remaining: job.remaining.size });
      markerTimers.set(this.ctx, MARKER_RETRY_BACKOFF, 'txn-marker-retry', job);
    }
  }

  onTimer(...[tag, data]: [tag: 'txn-marker-retry', data: MarkerJob] | [tag: 'txn-marker-timeout', data: number]): void {
    if (tag === 'txn-marker-retry') {
      this.send(data);
      return;
    }
    const entry = this.inflight.get(data);
    if (!entry) return;
    this.inflight.delete(data);
    if (entry.job.cancelled) return;
    note(this.ctx, 'txn-marker-retry', { transactionalId: entry.job.transactionalId, error: 'REQUEST_TIMED_OUT', remaining: entry.job.remaining.size });
    this.send(entry.job);
  }
}

import type { NodeContext } from '../../../sim/node.js';
import { OFFSETS_TOPIC } from '../group-coordinator.js';
import { sendTo, HEADER_BYTES, type FindCoordinator, type MetadataRequest, type PartitionState, type UpdateMetadata } from '../protocol.js';

/**
 * The broker's metadata cache (Kafka's MetadataCache): every partition's leader as the
 * controller last told it (UpdateMetadata in ZooKeeper mode, metadata records in KRaft mode),
 * and which broker is the controller at which epoch. It answers clients' Metadata and
 * FindCoordinator (the leader of the group's __consumer_offsets partition).
 */
export class MetadataCache {
  private readonly partitions = new Map<string, PartitionState>();
  /** The controller as this broker knows it (null: unknown). */
  controller: string | null = null;
  /** The highest controller epoch seen; older controllers' requests are refused. */
  controllerEpoch = 0;

  constructor(private readonly ctx: () => NodeContext) {}

  /** KRaft: partition states from committed metadata records. */
  update(states: readonly PartitionState[]): void {
    for (const s of states) this.partitions.set(`${s.topic}-${s.partition}`, s);
  }

  onUpdateMetadata(from: string, request: UpdateMetadata): void {
    if (request.controllerEpoch >= this.controllerEpoch) {
      this.controllerEpoch = request.controllerEpoch;
      this.controller = request.controller;
      for (const s of request.partitions) {
        const key = `${s.topic}-${s.partition}`;
        const known = this.partitions.get(key);
        if (!known || s.leaderEpoch > known.leaderEpoch || (s.leaderEpoch === known.leaderEpoch && s.partitionEpoch >= known.partitionEpoch)) this.partitions.set(key, s);
      }
    }
    sendTo(this.ctx(), from, { type: 'UpdateMetadataResponse', correlationId: request.correlationId, error: 'NONE' });
  }

  /** A topic's partition count as this broker knows it (0: unknown topic). */
  partitionCount(topic: string): number {
    let count = 0;
    for (const s of this.partitions.values()) if (s.topic === topic) count++;
    return count;
  }

  onMetadata(from: string, request: MetadataRequest): void {
    const partitions = [];
    for (const s of this.partitions.values()) {
      if (s.topic === request.topic) partitions.push({ partition: s.partition, leader: s.leader, leaderEpoch: s.leaderEpoch });
    }
    sendTo(this.ctx(), from, {
      type: 'MetadataResponse', topic: request.topic, id: request.id,
      error: partitions.length === 0 ? 'UNKNOWN_TOPIC_OR_PARTITION' : 'NONE', partitions,
    }, HEADER_BYTES + 16 * partitions.length);
  }

  /** A partition's leader as this broker knows it ("topic-partition"; null: offline or unknown). */
  leaderOf(key: string): string | null {
    return this.partitions.get(key)?.leader ?? null;
  }

  /** FindCoordinator: the leader of __consumer_offsets-`partition` (or __transaction_state-`partition` for keyType TRANSACTION) (-1 when this broker coordinates no groups). */
  onFindCoordinator(from: string, request: FindCoordinator, partition: number, topic = OFFSETS_TOPIC): void {
    const state = this.partitions.get(`${topic}-${partition}`);
    const coordinator = state?.leader ?? null;
    sendTo(this.ctx(), from, {
      type: 'FindCoordinatorResponse', id: request.id, error: coordinator === null ? 'COORDINATOR_NOT_AVAILABLE' : 'NONE', coordinator,
    }, HEADER_BYTES);
  }
}

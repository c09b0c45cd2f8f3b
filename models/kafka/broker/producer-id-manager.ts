import type { NodeContext } from '../../../sim/node.js';
import { sendTo, HEADER_BYTES, type InitProducerId } from '../protocol.js';

/**
 * The broker's producer id manager (Kafka's ProducerIdManager behind InitProducerId): hands out
 * producer ids from a block it got from ZooKeeper (/latest_producer_id_block) or, in KRaft mode,
 * from the controller (AllocateProducerIds); requests that come while no block is left wait for
 * the next one.
 */
export class ProducerIdManager {
  private block: { next: number; end: number } | null = null;
  private waiters: ((producerId: number) => void)[] = [];
  private requested = false;

  /** `requestBlock` asks ZooKeeper or the controller for a block; the answer comes to `onBlock`. */
  constructor(private readonly ctx: () => NodeContext, private readonly requestBlock: () => void) {}

  /** InitProducerId of an idempotent (not transactional) producer: a new producer id, epoch 0. */
  onInitProducerId(from: string, request: InitProducerId): void {
    this.allocate((producerId) => {
      sendTo(this.ctx(), from, { type: 'InitProducerIdResponse', id: request.id, error: 'NONE', producerId, producerEpoch: 0 }, HEADER_BYTES);
    });
  }

  /** The next producer id, now or once a block arrives (also used by the transaction coordinator). */
  allocate(done: (producerId: number) => void): void {
    if (this.block && this.block.next < this.block.end) {
      done(this.block.next++);
      return;
    }
    this.waiters.push(done);
    if (!this.requested) {
      this.requested = true;
      this.requestBlock();
    }
  }

  onBlock(first: number, count: number): void {
    this.requested = false;
    this.block = { next: first, end: first + count };
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) this.allocate(w);
  }
}

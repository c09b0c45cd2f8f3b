import type { DiskFile } from '../../../sim/disk.js';
import { HEADER_BYTES, type GetAllConsumerOffsetRequest, type QueryConsumerOffsetRequest, type ResponseTo, type UpdateConsumerOffsetRequest } from '../protocol.js';
import { respond } from '../remoting.js';
import type { BrokerController } from './broker-controller.js';

/**
 * ConsumerOffsetManager: each group's committed offset per topic-queue, in memory and in
 * config/consumerOffset.json (written every flushConsumerOffsetInterval). Offsets come from
 * UPDATE_CONSUMER_OFFSET and from the commit offset a pull carries; QUERY_CONSUMER_OFFSET reads
 * them. A slave copies its master's table (and the delay offsets) every 10 s with
 * GET_ALL_CONSUMER_OFFSET (SlaveSynchronize).
 */

/** The offset table's key, `topic@group@queueId` (as ConsumerOffsetManager's TOPIC_GROUP_SEPARATOR makes it). */
export function offsetKey(group: string, topic: string, queueId: number): string {
  return `${topic}@${group}@${queueId}`;
}

export class ConsumerOffsetManager {
  readonly table = new Map<string, number>();
  private file!: DiskFile<[string, number][]>;

  constructor(private readonly b: BrokerController) {}

  open(): void {
    this.file = this.b.ctx.disk.file('config/consumerOffset.json');
  }

  /** After a restart: the table consumerOffset.json kept. */
  recover(): void {
    const offsets = this.file.records[this.file.length - 1];
    if (offsets) for (const [k, v] of offsets) this.table.set(k, v);
  }

  get(key: string): number | undefined {
    return this.table.get(key);
  }

  commit(key: string, offset: number): void {
    this.table.set(key, offset);
  }

  onUpdate(from: string, m: UpdateConsumerOffsetRequest): void {
    this.table.set(offsetKey(m.group, m.topic, m.queueId), m.offset);
    respond(this.b.ctx, from, m, 'SUCCESS');
  }

  onQuery(from: string, m: QueryConsumerOffsetRequest): void {
    const offset = this.table.get(offsetKey(m.group, m.topic, m.queueId));
    // ConsumerManageProcessor: no committed offset and the queue's first message still in memory -> 0.
    respond(this.b.ctx, from, m, 'SUCCESS', { offset: offset ?? 0 });
  }

  /** GET_ALL_CONSUMER_OFFSET (from a slave): the table and the delay offsets. */
  onGetAll(from: string, m: GetAllConsumerOffsetRequest): void {
    respond(this.b.ctx, from, m, 'SUCCESS', { offsets: [...this.table], delayOffsets: this.b.schedule.offsets.slice() }, HEADER_BYTES + 40 * this.table.size);
  }

  /** SlaveSynchronize: a slave asks its master for the tables. */
  syncFromMaster(master: string): void {
    const request: GetAllConsumerOffsetRequest = { type: 'GET_ALL_CONSUMER_OFFSET', opaque: 1 };
    this.b.ctx.send(master, request, HEADER_BYTES);
  }

  /** SlaveSynchronize's answer: the master's consumer offsets and delay offsets replace this slave's. */
  onSyncResponse(m: ResponseTo<'GET_ALL_CONSUMER_OFFSET'>): void {
    if (this.b.isMaster || !m.offsets) return;
    this.table.clear();
    for (const [k, v] of m.offsets) this.table.set(k, v);
    if (m.delayOffsets) this.b.schedule.offsets = m.delayOffsets.slice();
  }

  persist(): void {
    if (this.table.size === 0) return;
    this.b.writeConfig(this.file, [...this.table], 40 * this.table.size);
  }
}

import type { Disk, DiskFile } from '../../../sim/disk.js';
import type { Micros } from '../../../sim/time.js';
import type { StoredMessage } from '../protocol.js';
import { ConsumeQueue, tagsCodeOf, type CqEntry } from './consume-queue.js';

/**
 * A broker's message store (DefaultMessageStore): one commit log for every topic, made of mapped
 * files of a fixed size named by their first physical offset (20 digits), and one ConsumeQueue
 * per topic-queue (consume-queue.ts) written by the dispatcher (ReputMessageService) right behind
 * the commit log. A queue offset is an index in a ConsumeQueue. How a put waits for the flush and
 * the slaves is commit-log.ts; the flush services are flush-service.ts.
 *
 * Recovery after a crash keeps what the disk kept: the commit log up to its first missing record;
 * consume queue entries pointing past the recovered commit log are truncated, and commit log
 * records missing from their consume queue are dispatched again.
 */

/** A message's fixed header in the commit log (total size, magic, CRC, flags, offsets, times, hosts...). */
const MSG_HEADER_BYTES = 91;

export function messageBytes(topic: string, body: number, tags: string | undefined, key: string | undefined): number {
  return MSG_HEADER_BYTES + body + topic.length + 20 + (tags?.length ?? 0) + (key?.length ?? 0);
}

export function commitLogFileName(start: number): string {
  return `commitlog/${String(start).padStart(20, '0')}`;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export type NewMessage = Omit<StoredMessage, 'phy' | 'size' | 'queueOffset' | 'storeTime' | 'tagsCode'> & { tagsCode?: number };

export class MessageStore {
  /** Every commit log record in offset order, blanks (end-of-file fillers) included. */
  readonly records: StoredMessage[] = [];
  readonly files: { start: number; file: DiskFile<StoredMessage> }[] = [];
  readonly queues = new Map<string, ConsumeQueue>();
  maxPhy = 0;
  /** Called after a new consume queue entry (long polling wakes up on it). */
  onDispatch: ((cq: ConsumeQueue) => void) | null = null;
  /**
   * Consume queue entries are written only up to a confirmed point (dispatchUpTo), so consumers
   * never see a message the store may still drop. DLedger: committed records (a new leader may
   * drop the rest). SYNC_FLUSH: fsynced records (ReputMessageService stops at
   * CommitLog.getConfirmOffset(), which is the flushed position under SYNC_FLUSH unless
   * readUnCommitted). `dispatched` indexes the next record.
   */
  deferDispatch = false;
  dispatched = 0;

  constructor(private readonly disk: Disk, private readonly fileSize: number) {}

  static key(topic: string, queueId: number): string {
    return `${topic}/${queueId}`;
  }

  queue(topic: string, queueId: number): ConsumeQueue {
    let byId = this.byTopic.get(topic);
    if (!byId) {
      byId = [];
      this.byTopic.set(topic, byId);
    }
    let cq = byId[queueId];
    if (!cq) {
      cq = new ConsumeQueue(topic, queueId, this.disk.file<CqEntry>(`consumequeue/${topic}/${queueId}`));
      this.queues.set(MessageStore.key(topic, queueId), cq);
      byId[queueId] = cq;
    }
    return cq;
  }

  /** The same consume queues by topic then queue id (no key string per lookup). */
  private readonly byTopic = new Map<string, ConsumeQueue[]>();

  findQueue(topic: string, queueId: number): ConsumeQueue | undefined {
    return this.byTopic.get(topic)?.[queueId];
  }

  /** Appends a new message (master): assigns its physical and queue offsets; throws DiskFullError. */
  append(m: NewMessage, now: number): StoredMessage {
    const cq = this.queue(m.topic, m.queueId);
    const record = this.newRecord(cq, m.msg, m.key, m.tags, m.tagsCode ?? tagsCodeOf(m.tags), m.body, m.bornTime, m.reconsumeTimes, now);
    if (m.realTopic !== undefined) record.realTopic = m.realTopic;
    if (m.realQueueId !== undefined) record.realQueueId = m.realQueueId;
    if (m.delayLevel !== undefined) record.delayLevel = m.delayLevel;
    if (m.retryTopic !== undefined) record.retryTopic = m.retryTopic;
    if (m.producerGroup !== undefined) record.producerGroup = m.producerGroup;
    if (m.checkTimes !== undefined) record.checkTimes = m.checkTimes;
    if (m.term !== undefined) record.term = m.term;
    this.write(record);
    if (!this.deferDispatch) this.dispatch(record, cq);
    return record;
  }

  /**
   * append for a plain message (no delay, transaction or DLedger term; never redelivered): the
   * producer's SEND_MESSAGE path, without a NewMessage object per message. Same record as append.
   */
  appendPlain(topic: string, queueId: number, msg: string, key: string | undefined, tags: string | undefined, body: number, bornTime: Micros, now: number): StoredMessage {
    const cq = this.queue(topic, queueId);
    const record = this.newRecord(cq, msg, key, tags, tagsCodeOf(tags), body, bornTime, 0, now);
    this.write(record);
    if (!this.deferDispatch) this.dispatch(record, cq);
    return record;
  }

  /** Sizes the record, assigns its offsets (rolling to a new mapped file when it does not fit) and builds it. */
  private newRecord(
    cq: ConsumeQueue, msg: string, key: string | undefined, tags: string | undefined, tagsCode: number, body: number, bornTime: Micros, reconsumeTimes: number, now: number,
  ): Mutable<StoredMessage> {
    const topic = cq.topic;
    const size = messageBytes(topic, body, tags, key);
    const queueOffset = this.deferDispatch ? this.nextQueueOffset(topic, cq.queueId) : cq.length;
    this.roll(size);
    // The fields every record has, in one order: one object shape for plain messages (this runs per
    // message, and the store keeps every record, so the rare fields are only added when present).
    return {
      phy: this.maxPhy, size, topic, queueId: cq.queueId, queueOffset, msg, key, tags,
      tagsCode, body, bornTime, storeTime: now, reconsumeTimes,
    };
  }

  /** Appends a record replicated from the master (slave): same offsets as on the master. */
  appendReplica(record: StoredMessage): void {
    if (record.blank) {
      this.write(record);
      this.files.push({ start: this.maxPhy, file: this.disk.file<StoredMessage>(commitLogFileName(this.maxPhy)) });
      return;
    }
    if (this.files.length === 0) this.files.push({ start: 0, file: this.disk.file<StoredMessage>(commitLogFileName(0)) });
    this.write(record);
    if (!this.deferDispatch) this.dispatch(record);
  }

  /** The next queue offset of a topic-queue, counting records appended but not dispatched yet. */
  nextQueueOffset(topic: string, queueId: number): number {
    let next = this.queue(topic, queueId).length;
    for (let i = this.dispatched; i < this.records.length; i++) {
      const r = this.records[i]!;
      if (!r.blank && r.topic === topic && r.queueId === queueId) next = Math.max(next, r.queueOffset + 1);
    }
    return next;
  }

  /** Writes the consume queue entries of every record ending at or before `phy`. */
  dispatchUpTo(phy: number): void {
    const records = this.records;
    while (this.dispatched < records.length && records[this.dispatched]!.phy + records[this.dispatched]!.size <= phy) {
      const record = records[this.dispatched++]!;
      if (!record.blank) this.dispatch(record);
    }
  }

  /** Drops every record from `phy` on (a DLedger follower's tail that the leader does not have), with their consume queue entries. */
  truncateTo(phy: number): number {
    const from = this.indexAt(phy);
    const dropped = this.records.length - from;
    if (dropped <= 0) return 0;
    this.records.length = from;
    while (this.files.length > 0) {
      const last = this.files[this.files.length - 1]!;
      if (last.start >= phy && this.files.length > 1) {
        this.disk.deleteFile(last.file.name);
        this.files.pop();
        continue;
      }
      let keep = 0;
      while (keep < last.file.records.length && last.file.records[keep]!.phy < phy) keep++;
      last.file.truncate(keep);
      break;
    }
    this.maxPhy = phy;
    if (this.dispatched > from) this.dispatched = from;
    // truncateDirtyLogicFiles: consume queue entries of the dropped records go too (as at recovery).
    for (const cq of this.queues.values()) {
      const entries = cq.file.records;
      let keep = entries.length;
      while (keep > 0 && entries[keep - 1]!.phy >= phy) keep--;
      if (keep < entries.length) cq.file.truncate(keep);
    }
    return dropped;
  }

  /** Starts a new mapped file when the message does not fit: the rest of the file is a blank. */
  private roll(size: number): void {
    if (this.files.length === 0) {
      this.files.push({ start: 0, file: this.disk.file<StoredMessage>(commitLogFileName(0)) });
      return;
    }
    const current = this.files[this.files.length - 1]!;
    const free = current.start + this.fileSize - this.maxPhy;
    if (size <= free) return;
    if (free > 0) {
      const blank: StoredMessage = {
        phy: this.maxPhy, size: free, topic: '', queueId: 0, queueOffset: -1, msg: '', key: undefined, tags: undefined,
        tagsCode: 0, body: 0, bornTime: 0, storeTime: 0, reconsumeTimes: 0, blank: true,
      };
      this.write(blank);
    }
    this.files.push({ start: this.maxPhy, file: this.disk.file<StoredMessage>(commitLogFileName(this.maxPhy)) });
  }

  private write(record: StoredMessage): void {
    this.files[this.files.length - 1]!.file.append(record, record.size);
    this.records.push(record);
    this.maxPhy = record.phy + record.size;
  }

  private dispatch(record: StoredMessage, cq = this.queue(record.topic, record.queueId)): void {
    if (cq.length !== record.queueOffset) return; // already there (recovery) or a gap: never both
    // The entry is the record itself, read only as a CqEntry (phy, size, tagsCode): no object per entry.
    cq.append(record);
    this.onDispatch?.(cq);
  }

  /** The message at a physical offset (binary search), or undefined. */
  lookup(phy: number): StoredMessage | undefined {
    const records = this.records;
    let lo = 0;
    let hi = records.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const p = records[mid]!.phy;
      if (p === phy) return records[mid];
      if (p < phy) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Index in `records` of the first record at or after `phy`. */
  indexAt(phy: number): number {
    const records = this.records;
    let lo = 0;
    let hi = records.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (records[mid]!.phy < phy) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  commitLogFiles(): DiskFile<StoredMessage>[] {
    return this.files.map((f) => f.file);
  }

  consumeQueueFiles(): DiskFile<CqEntry>[] {
    return [...this.queues.values()].map((q) => q.file);
  }

  /**
   * Rebuilds the store from what the disk kept (after a restart). Returns what recovery did.
   * `waitForCommit` (DLedger): records missing from their consume queue stay undispatched until
   * the leader confirms them; otherwise every recovered record is on disk and is dispatched.
   */
  recover(waitForCommit = this.deferDispatch): { records: number; truncatedCq: number; redispatched: number } {
    const names = this.disk.fileNames();
    const logs = names.filter((n) => n.startsWith('commitlog/')).sort();
    let expected = 0;
    let broken = false;
    for (const name of logs) {
      const start = Number(name.slice('commitlog/'.length));
      if (broken || start !== expected) {
        this.disk.deleteFile(name);
        continue;
      }
      const file = this.disk.file<StoredMessage>(name);
      this.files.push({ start, file });
      for (const record of file.records) {
        this.records.push(record);
        expected = record.phy + record.size;
      }
      if (expected !== start + this.fileSize) broken = true; // the tail of this file was lost: later files cannot follow
    }
    this.maxPhy = expected;
    let truncatedCq = 0;
    for (const name of names) {
      if (!name.startsWith('consumequeue/')) continue;
      const [, topic, queueId] = name.split('/');
      const cq = this.queue(topic!, Number(queueId));
      const entries = cq.file.records;
      let keep = entries.length;
      while (keep > 0 && entries[keep - 1]!.phy >= this.maxPhy) keep--;
      truncatedCq += entries.length - keep;
      cq.file.truncate(keep);
    }
    let redispatched = 0;
    if (waitForCommit) {
      // DLedger: only what the consume queues kept is known committed; the rest waits for the leader.
      this.dispatched = this.records.length;
      for (let i = 0; i < this.records.length; i++) {
        const record = this.records[i]!;
        if (!record.blank && this.queue(record.topic, record.queueId).length <= record.queueOffset) {
          this.dispatched = i;
          break;
        }
      }
      return { records: this.records.length, truncatedCq, redispatched };
    }
    for (const record of this.records) {
      if (record.blank) continue;
      const cq = this.queue(record.topic, record.queueId);
      if (cq.length === record.queueOffset) {
        this.dispatch(record);
        redispatched++;
      }
    }
    this.dispatched = this.records.length;
    return { records: this.records.length, truncatedCq, redispatched };
  }
}

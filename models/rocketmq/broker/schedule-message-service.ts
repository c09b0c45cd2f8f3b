import type { DiskFile } from '../../../sim/disk.js';
import type { Micros } from '../../../sim/time.js';
import { timersOf } from '../../../sim/timers.js';
import { SCHEDULE_TOPIC } from '../protocol.js';
import type { BrokerController, BrokerTimer } from './broker-controller.js';
import { ignorePut } from './commit-log.js';
import type { ConsumeQueue } from './consume-queue.js';
import type { NewMessage } from './message-store.js';

/**
 * ScheduleMessageService (delay levels, master only): a message with a delay level is stored in
 * SCHEDULE_TOPIC_XXXX, queue level-1, its tag code the delivery time; per level a timer moves due
 * messages to their real topic and queue, and the progress per level (delayOffset.json) is
 * written every flushDelayOffsetInterval. A slave copies its master's delay offsets with the
 * consumer offsets (SlaveSynchronize).
 */

const FIRST_DELAY_TIME: Micros = 1_000_000;
const timers = timersOf<BrokerTimer>();

export class ScheduleMessageService {
  /** Per level, the next offset in its SCHEDULE_TOPIC_XXXX queue to deliver. */
  offsets: number[] = [];
  /** Delay levels whose queue was empty at the last look (woken by the next dispatch). */
  private idleLevels: boolean[] = [];
  private file!: DiskFile<number[]>;

  constructor(private readonly b: BrokerController) {}

  open(): void {
    const levels = this.b.o.settings.delayLevels;
    this.file = this.b.ctx.disk.file('config/delayOffset.json');
    this.offsets = levels.map(() => 0);
    this.idleLevels = levels.map(() => false);
  }

  /** After a restart: the progress delayOffset.json kept. */
  recover(): void {
    const delay = this.file.records[this.file.length - 1];
    if (delay) for (let i = 0; i < delay.length && i < this.offsets.length; i++) this.offsets[i] = delay[i]!;
  }

  /** On becoming the master: a timer per level (epoch: the mastership they belong to). */
  start(epoch: number): void {
    const s = this.b.o.settings;
    timers.set(this.b.ctx, s.flushDelayOffsetInterval, 'persist-delay', epoch);
    this.idleLevels = s.delayLevels.map(() => false);
    for (let level = 0; level < s.delayLevels.length; level++) timers.set(this.b.ctx, FIRST_DELAY_TIME, 'schedule', { level, epoch });
  }

  persist(): void {
    this.b.writeConfig(this.file, this.offsets.slice(), 8 * this.offsets.length);
  }

  /** A message with a delay level goes to SCHEDULE_TOPIC_XXXX queue level-1, due at now + delay. */
  delayed(m: NewMessage, delayLevel: number): NewMessage {
    if (delayLevel <= 0) return m;
    const levels = this.b.o.settings.delayLevels;
    const level = Math.min(delayLevel, levels.length);
    return { ...m, topic: SCHEDULE_TOPIC, queueId: level - 1, realTopic: m.topic, realQueueId: m.queueId, delayLevel: level, tagsCode: this.b.ctx.now() + levels[level - 1]! };
  }

  /** DeliverDelayedMessageTimerTask: puts every due message of the level into its real topic. */
  deliver(level: number): void {
    const b = this.b;
    if (!b.isMaster) return;
    const cq = b.store.findQueue(SCHEDULE_TOPIC, level);
    const now = b.ctx.now();
    let offset = this.offsets[level]!;
    while (cq && offset < cq.length) {
      const entry = cq.file.records[offset]!;
      if (entry.tagsCode > now) {
        this.offsets[level] = offset;
        timers.set(b.ctx, entry.tagsCode - now, 'schedule', { level, epoch: b.masterEpoch });
        return;
      }
      const stored = b.store.lookup(entry.phy);
      offset++;
      if (!stored || stored.realTopic === undefined) continue;
      const real: NewMessage = {
        topic: stored.realTopic, queueId: stored.realQueueId!, msg: stored.msg, key: stored.key, tags: stored.tags, body: stored.body,
        bornTime: stored.bornTime, reconsumeTimes: stored.reconsumeTimes,
        ...(stored.retryTopic !== undefined ? { retryTopic: stored.retryTopic } : {}),
      };
      b.o.stats.delayedDelivered++;
      b.commitLog.put(real, ignorePut, undefined);
    }
    this.offsets[level] = offset;
    // Empty: RocketMQ looks again every DELAY_FOR_A_WHILE (100 ms). Every delay is longer than that,
    // so waking up when the next message of this level is dispatched delivers at the same instant.
    this.idleLevels[level] = true;
  }

  /** A new SCHEDULE_TOPIC_XXXX entry: an idle level's timer is set for it. */
  onDispatch(cq: ConsumeQueue): void {
    const b = this.b;
    if (!b.isMaster || !this.idleLevels[cq.queueId]) return;
    this.idleLevels[cq.queueId] = false;
    const due = cq.file.records[cq.length - 1]!.tagsCode;
    timers.set(b.ctx, Math.max(0, due - b.ctx.now()), 'schedule', { level: cq.queueId, epoch: b.masterEpoch });
  }
}

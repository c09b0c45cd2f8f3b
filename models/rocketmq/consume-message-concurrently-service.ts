import type { Micros } from '../../sim/time.js';
import { timersOf } from '../../sim/timers.js';
import type { ConsumerTimer, RocketConsumer } from './consumer.js';
import { notes } from './notes.js';
import type { Task } from './process-queue.js';
import { HEADER_BYTES } from './protocol.js';

/**
 * ConsumeMessageConcurrentlyService (MessageListenerConcurrently): pulled messages wait in the
 * consume thread pool's queue and run on up to consumeThreadMin threads, any order across a
 * queue. A finished message leaves its process queue (the committed offset moves up to the
 * lowest one still in process). A failed one (RECONSUME_LATER) is sent back with
 * CONSUMER_SEND_MSG_BACK (delay level 0: the broker picks 3 + reconsumeTimes); if that fails it is
 * consumed again here after 5 s. A broadcasting consumer drops failed messages.
 */

const CONSUME_LATER: Micros = 5_000_000;
const SEND_BACK_TIMEOUT: Micros = 5_000_000;
const timers = timersOf<ConsumerTimer>();

export class ConsumeMessageConcurrentlyService {
  /** The thread pool's queue, FIFO from taskHead. */
  private readonly tasks: Task[] = [];
  private taskHead = 0;
  private busyThreads = 0;

  constructor(private readonly c: RocketConsumer) {}

  /** Messages just pulled (or consumed later) join the queue. */
  submit(task: Task): void {
    this.tasks.push(task);
  }

  runTasks(): void {
    const c = this.c;
    while (this.busyThreads < c.o.settings.consumeThreadMin && this.taskHead < this.tasks.length) {
      const task = this.tasks[this.taskHead++]!;
      if (this.taskHead > 1024 && this.taskHead * 2 > this.tasks.length) {
        // The consume thread pool's queue, FIFO: drop the consumed head now and then rather than shift() per task.
        this.tasks.splice(0, this.taskHead);
        this.taskHead = 0;
      }
      if (task.pq.dropped) continue;
      this.busyThreads++;
      const dedupe = c.o.dedupe;
      // An idempotent consumer records when its local transaction ends (onConsumed); others when handed the message.
      if (dedupe === null) c.recordConsume(task.pq, task.m, task.addr, 'receive');
      task.skipped = dedupe !== null && dedupe.has(task.m.msg);
      timers.set(c.ctx, task.skipped ? 0 : Math.max(0, Math.round(c.processing())), 'consumed', task);
    }
  }

  onConsumed(task: Task): void {
    const c = this.c;
    const { pq, m } = task;
    const failed = !task.skipped && c.o.failureRate > 0 && c.failures.chance(c.o.failureRate);
    if (c.o.dedupe !== null) c.commitIdempotent(task, c.o.dedupe, failed);
    if (pq.dropped || !c.running) {
      // processConsumeResult is skipped for a dropped queue: the new owner consumes it again.
      this.threadDone();
      return;
    }
    if (!failed || !c.clustering) {
      if (failed) notes.note(c.ctx, 'broadcast-consume-failed-dropped', { msg: m.msg });
      c.finish(pq, m);
      this.threadDone();
      return;
    }
    const addr = c.routes.master(pq.mq.brokerName);
    if (addr === undefined) {
      this.consumeLater(task);
      return;
    }
    c.remoting.invoke(addr, 'CONSUMER_SEND_MSG_BACK', {
      group: c.o.group, phy: m.phy, originMsgId: m.msg, maxReconsumeTimes: c.o.settings.maxReconsumeTimes, delayLevel: 0,
    }, HEADER_BYTES, SEND_BACK_TIMEOUT, (response) => {
      if (response !== null && response.code === 'SUCCESS') {
        if (!pq.dropped) c.finish(pq, m);
        this.threadDone();
      } else this.consumeLater(task);
    });
  }

  private consumeLater(task: Task): void {
    const c = this.c;
    c.o.stats.sendBackFailed++;
    notes.note(c.ctx, 'send-back-failed-consume-later', { msg: task.m.msg });
    const again: Task = { ...task, m: { ...task.m, reconsumeTimes: task.m.reconsumeTimes + 1 }, skipped: false };
    task.pq.msgs.set(again.m.queueOffset, again.m);
    timers.set(c.ctx, CONSUME_LATER, 'consume-later', again);
    this.threadDone();
  }

  private threadDone(): void {
    this.busyThreads--;
    this.runTasks();
  }
}

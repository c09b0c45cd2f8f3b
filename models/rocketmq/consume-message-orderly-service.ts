import { timersOf } from '../../sim/timers.js';
import type { ConsumerTimer, RocketConsumer } from './consumer.js';
import { HEADER_BYTES } from './protocol.js';
import type { ProcessQueue, Task } from './process-queue.js';
import type { Micros } from '../../sim/time.js';

/**
 * ConsumeMessageOrderlyService (MessageListenerOrderly): a push consumer that consumes each queue
 * one message at a time, in offset order, and only while it holds the queue's lock on the broker.
 *
 * - LOCK_BATCH_MQ when a rebalance gives it a queue (no lock: it does not take the queue) and for
 *   every owned queue every 20 s (lockAll); a lock confirmed more than 30 s ago is not trusted.
 * - A queue it cannot consume now is tried again after 100 ms (3 s after a refusal).
 * - A failed message (SUSPEND_CURRENT_QUEUE_A_MOMENT) is consumed again after 1 s, the queue
 *   suspended meanwhile; a success commits the queue's offset past it.
 * - A queue dropped by a rebalance is unlocked (UNLOCK_BATCH_MQ) once its message in process is done.
 */

/** ConsumeMessageOrderlyService: lockAll every 20 s; a client-side lock older than 30 s is not trusted. */
export const REBALANCE_LOCK_INTERVAL: Micros = 20_000_000;
const REBALANCE_LOCK_MAX_LIVE_TIME: Micros = 30_000_000;
const SUSPEND_CURRENT_QUEUE_TIME: Micros = 1_000_000;
const TRY_LOCK_LATER: Micros = 100_000;
const TRY_LOCK_FAILED_LATER: Micros = 3_000_000;
const RPC_TIMEOUT: Micros = 3_000_000;
const timers = timersOf<ConsumerTimer>();

export class ConsumeMessageOrderlyService {
  constructor(private readonly c: RocketConsumer) {}

  /** LOCK_BATCH_MQ for some queues of one broker group each; `then` runs after the answers. */
  lock(pqs: ProcessQueue[], then: () => void): void {
    const c = this.c;
    const byBroker = new Map<string, ProcessQueue[]>();
    for (const pq of pqs) {
      const list = byBroker.get(pq.mq.brokerName) ?? [];
      list.push(pq);
      byBroker.set(pq.mq.brokerName, list);
    }
    let waiting = byBroker.size;
    if (waiting === 0) then();
    for (const [brokerName, list] of byBroker) {
      const addr = c.routes.master(brokerName);
      const done = () => {
        if (--waiting === 0) then();
      };
      if (addr === undefined) {
        for (const pq of list) pq.locked = false;
        done();
        continue;
      }
      const mqs = list.map((pq) => ({ topic: pq.mq.topic, queueId: pq.mq.queueId }));
      c.remoting.invoke(addr, 'LOCK_BATCH_MQ', { group: c.o.group, clientId: c.clientId, mqs }, HEADER_BYTES, RPC_TIMEOUT, (response) => {
        const ok = new Set((response?.lockOKMQSet ?? []).map((q) => `${q.topic}/${q.queueId}`));
        const now = c.ctx.trueNow();
        for (const pq of list) {
          const locked = ok.has(`${pq.mq.topic}/${pq.mq.queueId}`);
          pq.locked = locked;
          if (locked) pq.lockedAt = now;
        }
        done();
      });
    }
  }

  lockAll(): void {
    const c = this.c;
    const pqs = [...c.pqs.values()];
    this.lock(pqs, () => {
      for (const pq of pqs) this.consumeOrderly(pq);
    });
  }

  unlock(pq: ProcessQueue): void {
    const c = this.c;
    const addr = c.routes.master(pq.mq.brokerName);
    if (addr !== undefined) c.remoting.oneway(addr, 'UNLOCK_BATCH_MQ', { group: c.o.group, clientId: c.clientId, mqs: [{ topic: pq.mq.topic, queueId: pq.mq.queueId }] });
  }

  /** One message at a time per queue, in offset order, only while the queue's lock is fresh. */
  consumeOrderly(pq: ProcessQueue, addr?: string): void {
    const c = this.c;
    if (pq.dropped || pq.consuming || pq.pending.length === 0 || !c.running) return;
    if (c.clustering && (!pq.locked || c.ctx.trueNow() - pq.lockedAt > REBALANCE_LOCK_MAX_LIVE_TIME)) {
      if (!pq.lockRetry) {
        pq.lockRetry = true;
        timers.set(c.ctx, TRY_LOCK_LATER, 'orderly-lock-later', pq);
      }
      return;
    }
    const m = pq.pending[0]!;
    pq.consuming = true;
    const node = addr ?? c.routes.forRead(pq.mq.brokerName) ?? '';
    if (c.o.dedupe === null) c.recordConsume(pq, m, node, 'receive');
    const skipped = c.o.dedupe !== null && c.o.dedupe.has(m.msg);
    const task: Task = { pq, m, skipped, addr: node };
    timers.set(c.ctx, skipped ? 0 : Math.max(0, Math.round(c.processing())), 'orderly-consumed', task);
  }

  /** The suspended queue's failed message is consumed again. */
  onResume(pq: ProcessQueue): void {
    pq.consuming = false;
    this.consumeOrderly(pq);
  }

  /** tryLockLaterAndReconsume: lock the queue again, then consume it (3 s after a refusal). */
  onLockLater(pq: ProcessQueue): void {
    if (pq.dropped) return;
    this.lock([pq], () => {
      if (pq.locked || pq.dropped) {
        pq.lockRetry = false;
        this.consumeOrderly(pq);
      } else timers.set(this.c.ctx, TRY_LOCK_FAILED_LATER, 'orderly-lock-later', pq); // tryLockLaterAndReconsume: 3 s after a refusal
    });
  }

  /** SUCCESS commits the queue's offset; SUSPEND_CURRENT_QUEUE_A_MOMENT retries the same message after 1 s. */
  onConsumed(task: Task): void {
    const c = this.c;
    const { pq, m } = task;
    const failed = !task.skipped && c.o.failureRate > 0 && c.failures.chance(c.o.failureRate);
    if (c.o.dedupe !== null) c.commitIdempotent(task, c.o.dedupe, failed);
    if (pq.dropped || !c.running) {
      pq.consuming = false;
      if (pq.dropped && c.clustering) this.unlock(pq);
      return;
    }
    if (failed) {
      pq.pending[0] = { ...m, reconsumeTimes: m.reconsumeTimes + 1 };
      timers.set(c.ctx, SUSPEND_CURRENT_QUEUE_TIME, 'orderly-resume', pq);
      return;
    }
    pq.pending.shift();
    c.finish(pq, m);
    pq.consuming = false;
    this.consumeOrderly(pq);
  }
}

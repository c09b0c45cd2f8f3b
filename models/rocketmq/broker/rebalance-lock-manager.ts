import type { Micros } from '../../../sim/time.js';
import { notes } from '../notes.js';
import type { LockBatchRequest, MqRef } from '../protocol.js';
import { respond } from '../remoting.js';
import type { BrokerController } from './broker-controller.js';
import { offsetKey } from './consumer-offset-manager.js';

/**
 * RebalanceLockManager (orderly consumers, masters only): LOCK_BATCH_MQ locks each queue that is
 * free, expired (60 s, rocketmq.broker.rebalance.lockMaxLiveTime) or already the caller's, and
 * answers with the queues the caller holds; UNLOCK_BATCH_MQ releases the caller's locks.
 */

const LOCK_MAX_LIVE_TIME: Micros = 60_000_000;

export class RebalanceLockManager {
  /** (group, queue) -> the client holding it and when it last locked it. */
  private readonly locks = new Map<string, { clientId: string; lastUpdate: Micros }>();

  constructor(private readonly b: BrokerController) {}

  onLock(from: string, m: LockBatchRequest): void {
    const b = this.b;
    if (!b.isMaster) {
      respond(b.ctx, from, m, 'SUCCESS', { lockOKMQSet: [] });
      return;
    }
    const now = b.ctx.now();
    const ok: MqRef[] = [];
    for (const mq of m.mqs) {
      const key = offsetKey(m.group, mq.topic, mq.queueId);
      const held = this.locks.get(key);
      if (!held || held.clientId === m.clientId || now - held.lastUpdate > LOCK_MAX_LIVE_TIME) {
        if (held && held.clientId !== m.clientId) notes.note(b.ctx, 'mq-lock-expired', { queue: key, from: held.clientId, to: m.clientId });
        this.locks.set(key, { clientId: m.clientId, lastUpdate: now });
        ok.push(mq);
      }
    }
    respond(b.ctx, from, m, 'SUCCESS', { lockOKMQSet: ok });
  }

  onUnlock(from: string, m: LockBatchRequest): void {
    for (const mq of m.mqs) {
      const key = offsetKey(m.group, mq.topic, mq.queueId);
      if (this.locks.get(key)?.clientId === m.clientId) this.locks.delete(key);
    }
    respond(this.b.ctx, from, m, 'SUCCESS');
  }
}

import type { Timer } from '../../../sim/kernel.js';
import { timersOf } from '../../../sim/timers.js';
import type { PullMessageRequest } from '../protocol.js';
import type { BrokerController, BrokerTimer } from './broker-controller.js';
import type { ConsumeQueue } from './consume-queue.js';

/**
 * PullRequestHoldService (long polling, longPollingEnable): a pull that finds nothing new is held
 * per consume queue until a message is dispatched to that queue (notifyMessageArriving) or the
 * request's suspend time passes; either way the pull is then processed again, without holding
 * (pull-message-processor.ts).
 */

export interface HeldPull {
  from: string;
  req: PullMessageRequest;
  timer: Timer;
}

const timers = timersOf<BrokerTimer>();

export class PullRequestHoldService {
  private readonly held = new Map<ConsumeQueue, HeldPull[]>();

  constructor(private readonly b: BrokerController) {}

  /** suspendPullRequest: until a message arrives in `cq` or suspendTimeoutMillis passes. */
  hold(cq: ConsumeQueue, from: string, req: PullMessageRequest): void {
    const held: HeldPull = { from, req, timer: null as unknown as Timer };
    held.timer = timers.set(this.b.ctx, req.suspendTimeoutMillis, 'hold-timeout', held);
    let list = this.held.get(cq);
    if (!list) {
      list = [];
      this.held.set(cq, list);
    }
    list.push(held);
  }

  /** The suspend time passed: the pull is answered with what there is now. */
  onTimeout(held: HeldPull): void {
    const b = this.b;
    const cq = b.store.queue(held.req.topic, held.req.queueId);
    const list = this.held.get(cq);
    const at = list ? list.indexOf(held) : -1;
    if (at >= 0) {
      list!.splice(at, 1);
      b.pulls.process(held.from, held.req, false);
    }
  }

  /** notifyMessageArriving: every held pull of this queue is answered now. */
  notifyMessageArriving(cq: ConsumeQueue): void {
    const list = this.held.get(cq);
    if (!list || list.length === 0) return;
    this.held.delete(cq);
    for (const held of list) {
      this.b.ctx.cancelTimer(held.timer);
      this.b.pulls.process(held.from, held.req, false);
    }
  }
}

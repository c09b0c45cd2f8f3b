import { notes } from '../notes.js';
import { DLQ_PREFIX, PERM_READ, PERM_WRITE, RETRY_PREFIX, type ConsumerSendMsgBackRequest } from '../protocol.js';
import { respond } from '../remoting.js';
import type { BrokerController } from './broker-controller.js';
import type { NewMessage } from './message-store.js';

/**
 * CONSUMER_SEND_MSG_BACK (SendMessageProcessor.consumerSendMsgBack): a message the consumer failed
 * goes to %RETRY%<group> (created then) through the delay level 3 + reconsumeTimes (or the level
 * the consumer asked for), with reconsumeTimes + 1 and the original topic kept (RETRY_TOPIC); once
 * reconsumeTimes reaches maxReconsumeTimes (or the level is negative) it goes to %DLQ%<group>
 * instead (created then, write-only: nobody consumes it).
 */
export class SendMessageBack {
  constructor(private readonly b: BrokerController) {}

  onSendBack(from: string, m: ConsumerSendMsgBackRequest): void {
    const b = this.b;
    if (!b.isMaster) {
      respond(b.ctx, from, m, 'SERVICE_NOT_AVAILABLE', { remark: 'slave' });
      return;
    }
    const original = b.store.lookup(m.phy);
    if (!original || original.msg !== m.originMsgId) {
      respond(b.ctx, from, m, 'SYSTEM_ERROR', { remark: `look message by offset failed, ${m.phy}` });
      return;
    }
    const retryTopic = RETRY_PREFIX + m.group;
    b.topicConfigs.create(retryTopic, { readQueueNums: 1, writeQueueNums: 1, perm: PERM_READ | PERM_WRITE });
    const base = {
      msg: original.msg, key: original.key, tags: original.tags, body: original.body, bornTime: original.bornTime,
      reconsumeTimes: original.reconsumeTimes + 1, retryTopic: original.retryTopic ?? original.topic,
    };
    let message: NewMessage;
    if (original.reconsumeTimes >= m.maxReconsumeTimes || m.delayLevel < 0) {
      const dlq = DLQ_PREFIX + m.group;
      b.topicConfigs.create(dlq, { readQueueNums: 1, writeQueueNums: 1, perm: PERM_WRITE });
      message = { ...base, topic: dlq, queueId: 0 };
      b.o.stats.deadLettered++;
      b.o.stats.deadLetterAfterMsMax = Math.max(b.o.stats.deadLetterAfterMsMax, Math.round((b.ctx.trueNow() - original.bornTime) / 1000));
      notes.note(b.ctx, 'dead-lettered', { msg: original.msg, group: m.group, reconsumeTimes: original.reconsumeTimes });
    } else {
      const level = m.delayLevel === 0 ? 3 + original.reconsumeTimes : m.delayLevel;
      message = b.schedule.delayed({ ...base, topic: retryTopic, queueId: 0 }, level);
      b.o.stats.retried++;
    }
    b.commitLog.put(message, (_, code) => respond(b.ctx, from, m, code === 'SERVICE_NOT_AVAILABLE' ? code : 'SUCCESS'), undefined);
  }
}

import { PERM_WRITE, TRANS_HALF_TOPIC, type PutCode, type SendMessageRequest, type StoredMessage } from '../protocol.js';
import { respond } from '../remoting.js';
import type { BrokerController } from './broker-controller.js';
import type { NewMessage } from './message-store.js';

/**
 * SendMessageProcessor: SEND_MESSAGE on the master (a slave answers SERVICE_NOT_AVAILABLE). The
 * topic must exist, be writable and have the queue; a plain message goes into its topic, a
 * delayed one into SCHEDULE_TOPIC_XXXX (schedule-message-service.ts), a transactional one into
 * RMQ_SYS_TRANS_HALF_TOPIC as a half message (transactional-message-check-service.ts). The answer
 * waits as the commit log's put says (commit-log.ts).
 */

interface SendContext {
  from: string;
  req: SendMessageRequest;
}

export class SendMessageProcessor {
  constructor(private readonly b: BrokerController) {}

  onSend(from: string, req: SendMessageRequest): void {
    const b = this.b;
    if (!b.isMaster) {
      respond(b.ctx, from, req, 'SERVICE_NOT_AVAILABLE', { remark: `the broker[${b.ctx.name}] is a slave, sending message is forbidden` });
      return;
    }
    const config = b.topicConfigs.get(req.topic);
    if (!config) {
      respond(b.ctx, from, req, 'TOPIC_NOT_EXIST', { remark: `topic[${req.topic}] not exist` });
      return;
    }
    if ((config.perm & PERM_WRITE) === 0) {
      respond(b.ctx, from, req, 'NO_PERMISSION', { remark: `the topic[${req.topic}] sending message is forbidden` });
      return;
    }
    if (req.queueId < 0 || req.queueId >= config.writeQueueNums) {
      respond(b.ctx, from, req, 'SYSTEM_ERROR', { remark: `queueId ${req.queueId} is illegal` });
      return;
    }
    if (!req.transactional && req.delayLevel <= 0 && b.dledger === null) {
      // The common case: a plain message straight into its topic, without a NewMessage per message.
      b.commitLog.putPlain(req, this.sendStored, { from, req });
      return;
    }
    const message: NewMessage = {
      topic: req.topic, queueId: req.queueId, msg: req.msg, key: req.key, tags: req.tags, body: req.body,
      bornTime: req.bornTime, reconsumeTimes: 0,
    };
    const toStore = req.transactional
      ? { ...message, topic: TRANS_HALF_TOPIC, queueId: 0, realTopic: req.topic, realQueueId: req.queueId, producerGroup: req.producerGroup, checkTimes: 0 }
      : b.schedule.delayed(message, req.delayLevel);
    b.commitLog.put(toStore, this.sendStored, { from, req });
  }

  /** SEND_MESSAGE's answer once the message is stored (and flushed / replicated as configured). */
  private readonly sendStored = (to: SendContext, code: PutCode, stored: StoredMessage | null): void => {
    const req = to.req;
    // type, opaque and code (set by respond) are in the literal: no properties added to the object later.
    respond(this.b.ctx, to.from, req, code, stored
      ? {
        type: 'RESPONSE', opaque: req.opaque, code, brokerName: this.b.o.brokerName, queueId: req.queueId, queueOffset: stored.queueOffset,
        delayed: req.delayLevel > 0 || req.transactional === true, phy: stored.phy,
      }
      : { remark: 'put failed' });
  };
}

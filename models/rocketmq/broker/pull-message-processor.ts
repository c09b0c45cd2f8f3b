import { PERM_READ, HEADER_BYTES, type PulledMessage, type PullMessageRequest } from '../protocol.js';
import { respond } from '../remoting.js';
import type { BrokerController } from './broker-controller.js';
import { offsetKey } from './consumer-offset-manager.js';

/**
 * PullMessageProcessor: PULL_MESSAGE reads a consume queue from the requested offset, skips
 * entries whose tag hash code is not subscribed (at most 800 entries scanned per pull), and
 * answers SUCCESS with the messages, PULL_RETRY_IMMEDIATELY when everything scanned was filtered,
 * PULL_OFFSET_MOVED (master) for an offset past the queue's end, or, at the end, holds the
 * request (long polling, pull-request-hold-service.ts) or answers PULL_NOT_FOUND. The commit
 * offset a pull carries is stored on the master (consumer-offset-manager.ts). A 5.x slave
 * rejects every pull unless slaveReadEnable (SYSTEM_BUSY); a 4.x slave serves them.
 */

const MAX_FILTER_ENTRIES = 800;

export class PullMessageProcessor {
  constructor(private readonly b: BrokerController) {}

  process(from: string, req: PullMessageRequest, allowSuspend: boolean): void {
    const b = this.b;
    if (!b.isMaster && b.o.settings.version === '5.3' && !b.o.settings.slaveReadEnable) {
      // 5.x PullMessageProcessor.rejectRequest: a slave serves no pulls unless slaveReadEnable; the
      // remoting layer answers SYSTEM_BUSY and the consumer tries again after 3 s (4.x slaves serve them).
      b.o.stats.slavePullsRejected++;
      respond(b.ctx, from, req, 'SYSTEM_BUSY', { remark: '[REJECTREQUEST]system busy, start flow control for a while' });
      return;
    }
    if (allowSuspend && !b.isMaster) b.o.stats.slavePulls++;
    if (req.commitOffset >= 0 && b.isMaster) b.offsets.commit(offsetKey(req.group, req.topic, req.queueId), req.commitOffset);
    const config = b.topicConfigs.get(req.topic);
    if (config && (config.perm & PERM_READ) === 0) {
      respond(b.ctx, from, req, 'NO_PERMISSION', { remark: `the topic[${req.topic}] pulling message is forbidden` });
      return;
    }
    const cq = b.store.queue(req.topic, req.queueId);
    const max = cq.length;
    const base = { nextBeginOffset: req.queueOffset, minOffset: 0, maxOffset: max, brokerId: b.o.brokerId };
    if (req.queueOffset > max) {
      if (b.isMaster) respond(b.ctx, from, req, 'PULL_OFFSET_MOVED', { ...base, nextBeginOffset: max });
      else respond(b.ctx, from, req, 'PULL_RETRY_IMMEDIATELY', base);
      return;
    }
    if (req.queueOffset === max) {
      if (allowSuspend && b.o.settings.longPollingEnable) {
        b.holds.hold(cq, from, req);
        return;
      }
      respond(b.ctx, from, req, 'PULL_NOT_FOUND', base);
      return;
    }
    const entries = cq.file.records;
    const found: PulledMessage[] = [];
    const codes = req.tagsCodes;
    let bytes = HEADER_BYTES;
    let i = req.queueOffset;
    for (let scanned = 0; i < max && found.length < req.maxMsgNums && scanned < MAX_FILTER_ENTRIES; i++, scanned++) {
      const entry = entries[i]!;
      if (codes !== null && !codes.includes(entry.tagsCode)) {
        b.o.stats.tagFiltered++;
        continue;
      }
      const m = b.store.lookup(entry.phy);
      if (!m) continue;
      // A stored message is immutable: it goes out as the pulled message itself.
      found.push(m);
      bytes += m.size;
    }
    if (found.length === 0) {
      base.nextBeginOffset = i;
      respond(b.ctx, from, req, 'PULL_RETRY_IMMEDIATELY', base);
      return;
    }
    respond(b.ctx, from, req, 'SUCCESS', {
      type: 'RESPONSE', opaque: req.opaque, code: 'SUCCESS', nextBeginOffset: i, minOffset: 0, maxOffset: max, brokerId: b.o.brokerId, messages: found,
    }, bytes);
  }
}

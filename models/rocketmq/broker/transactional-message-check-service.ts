import { notes } from '../notes.js';
import {
  HEADER_BYTES, TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC,
  type CheckTransactionStateRequest, type EndTransactionRequest, type StoredMessage,
} from '../protocol.js';
import type { BrokerController } from './broker-controller.js';
import { ignorePut } from './commit-log.js';
import { offsetKey } from './consumer-offset-manager.js';
import type { NewMessage } from './message-store.js';

/**
 * Transactional messages on the broker (master only): a half message is stored in
 * RMQ_SYS_TRANS_HALF_TOPIC (send-message-processor.ts).
 *
 * - END_TRANSACTION (EndTransactionProcessor): COMMIT_MESSAGE puts the half message into its real
 *   topic, ROLLBACK_MESSAGE drops it; either way an op message in RMQ_SYS_TRANS_OP_HALF_TOPIC marks
 *   it done. UNKNOW leaves it to the check.
 * - TransactionalMessageCheckService, every transactionCheckInterval: half messages older than
 *   transactionTimeOut and not resolved are checked back (CHECK_TRANSACTION_STATE to a producer
 *   of their group) and written again at the end of the half queue with one more check; after
 *   transactionCheckMax checks a half message is discarded. The check's progress in the half
 *   queue is the offset of the system group CID_RMQ_SYS_TRANS.
 */

/** The system consumer group whose offset is the transaction check's progress in the half queue. */
const CID_SYS_RMQ_TRANS = 'CID_RMQ_SYS_TRANS';

export class TransactionalMessageCheckService {
  /** Transactions (by message id) committed or rolled back: their op messages are in RMQ_SYS_TRANS_OP_HALF_TOPIC. */
  private readonly resolved = new Set<string>();

  constructor(private readonly b: BrokerController) {}

  /** After a restart: the op messages say which half messages are done. */
  recover(): void {
    const store = this.b.store;
    const ops = store.findQueue(TRANS_OP_HALF_TOPIC, 0);
    if (ops) for (const entry of ops.file.records) this.resolved.add(store.lookup(entry.phy)?.msg ?? '');
  }

  /** END_TRANSACTION: commit or roll back the half message, with its op message. */
  onEndTransaction(m: EndTransactionRequest): void {
    const b = this.b;
    if (!b.isMaster || m.commitOrRollback === 'UNKNOW' || this.resolved.has(m.msg)) return;
    const half = b.store.lookup(m.phy);
    if (!half || half.msg !== m.msg || half.realTopic === undefined) {
      notes.note(b.ctx, 'end-transaction-no-half', { msg: m.msg, phy: m.phy });
      return;
    }
    this.resolved.add(m.msg);
    if (m.commitOrRollback === 'COMMIT_MESSAGE') {
      b.o.stats.transactionCommitted++;
      b.commitLog.put({
        topic: half.realTopic, queueId: half.realQueueId!, msg: half.msg, key: half.key, tags: half.tags, body: half.body,
        bornTime: half.bornTime, reconsumeTimes: 0,
      }, ignorePut, undefined);
    } else b.o.stats.transactionRolledBack++;
    b.commitLog.put({ topic: TRANS_OP_HALF_TOPIC, queueId: 0, msg: half.msg, key: undefined, tags: 'd', body: 8, bornTime: half.bornTime, reconsumeTimes: 0 }, ignorePut, undefined);
    notes.note(b.ctx, m.commitOrRollback === 'COMMIT_MESSAGE' ? 'transaction-committed' : 'transaction-rolled-back', { msg: m.msg, fromCheck: m.fromTransactionCheck });
  }

  /** One run of the check (every transactionCheckInterval). */
  check(): void {
    const b = this.b;
    const store = b.store;
    const cq = store.findQueue(TRANS_HALF_TOPIC, 0);
    if (!cq) return;
    const key = offsetKey(CID_SYS_RMQ_TRANS, TRANS_HALF_TOPIC, 0);
    const end = cq.length;
    const now = b.ctx.now();
    const s = b.o.settings;
    let offset = b.offsets.get(key) ?? 0;
    for (; offset < end; offset++) {
      const half = store.lookup(cq.file.records[offset]!.phy);
      if (!half || this.resolved.has(half.msg)) continue;
      if (now - half.bornTime < s.transactionTimeOut) break;
      const checkTimes = half.checkTimes ?? 0;
      if (checkTimes >= s.transactionCheckMax) {
        this.resolved.add(half.msg);
        b.o.stats.transactionDiscarded++;
        notes.note(b.ctx, 'transaction-discarded', { msg: half.msg, checks: checkTimes });
        continue;
      }
      const renewed: NewMessage = { ...stripStored(half), checkTimes: checkTimes + 1 };
      const records = store.records;
      const before = records.length;
      b.commitLog.put(renewed, ignorePut, undefined);
      const copy = records.length > before ? records[records.length - 1]! : undefined;
      const producer = b.clients.liveProducer(half.producerGroup ?? '');
      if (producer === undefined || copy === undefined || copy.msg !== half.msg) continue;
      b.o.stats.transactionChecks++;
      const request: CheckTransactionStateRequest = {
        type: 'CHECK_TRANSACTION_STATE', opaque: 0, msg: half.msg, phy: copy.phy, producerGroup: half.producerGroup, brokerName: b.o.brokerName,
      };
      b.ctx.send(producer, request, HEADER_BYTES + half.body);
    }
    b.offsets.commit(key, offset);
  }
}

function stripStored(m: StoredMessage): NewMessage {
  const { phy: _phy, size: _size, queueOffset: _queueOffset, storeTime: _storeTime, ...rest } = m;
  return rest;
}

import { ROCKETMQ_DELIBERATE_BUGS } from '../deliberate-bugs.js';
import { DiskFullError } from '../../../sim/disk.js';
import { notes } from '../notes.js';
import type { PutCode, SendMessageRequest, StoredMessage } from '../protocol.js';
import type { BrokerController } from './broker-controller.js';
import type { NewMessage } from './message-store.js';

/**
 * The CommitLog's put path (CommitLog.putMessage / asyncPutMessage): append the record to the
 * commit log (message-store.ts), then wait as the broker is configured before answering:
 *
 * - flushDiskType SYNC_FLUSH: handleDiskFlush hands the put to GroupCommitService (flush-service.ts)
 *   and answers once the record is fsynced, or FLUSH_DISK_TIMEOUT after syncFlushTimeout.
 *   ASYNC_FLUSH answers at once; FlushRealTimeService flushes later.
 * - brokerRole SYNC_MASTER, 4.x: handleHA waits for a slave to report the record
 *   (GroupTransferService, ha-service.ts): FLUSH_SLAVE_TIMEOUT after slaveTimeout (4.9; 4.5
 *   waited syncFlushTimeout), SLAVE_NOT_AVAILABLE when no slave is connected and close enough.
 *   5.x: it waits for inSyncReplicas - 1 slaves, so not at all by default (inSyncReplicas 1),
 *   FLUSH_SLAVE_TIMEOUT after slaveTimeout, never SLAVE_NOT_AVAILABLE. ASYNC_MASTER answers
 *   without waiting.
 * - DLedger (enableDLegerCommitLog): SEND_OK once a majority of the group has the entry (dledger.ts).
 *
 * The message stays stored whatever the answer.
 */

/** What put calls once the message is stored as configured (SEND_OK or why not), with the argument given to put. */
export type PutDone<A> = (arg: A, code: PutCode, stored: StoredMessage | null) => void;
export const ignorePut: PutDone<undefined> = () => undefined;

export class CommitLog {
  constructor(private readonly b: BrokerController) {}

  /**
   * Appends, then waits as flushDiskType and brokerRole say; `done` gets SUCCESS (SEND_OK),
   * FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE or SERVICE_NOT_AVAILABLE (disk full).
   */
  put<A>(m: NewMessage, done: PutDone<A>, arg: A): void {
    const b = this.b;
    let stored: StoredMessage;
    const files = b.store.files.length;
    try {
      stored = b.store.append(b.dledger !== null ? { ...m, term: b.dledger.term } : m, b.ctx.now());
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      notes.note(b.ctx, 'disk-full', { topic: m.topic, msg: m.msg });
      done(arg, 'SERVICE_NOT_AVAILABLE', null);
      return;
    }
    this.stored(files, stored, done, arg);
  }

  /** put for a plain SEND_MESSAGE (not transactional, no delay level, not DLedger): appendPlain, then as put. */
  putPlain<A>(req: SendMessageRequest, done: PutDone<A>, arg: A): void {
    const b = this.b;
    let stored: StoredMessage;
    const files = b.store.files.length;
    try {
      stored = b.store.appendPlain(req.topic, req.queueId, req.msg, req.key, req.tags, req.body, req.bornTime, b.ctx.now());
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      notes.note(b.ctx, 'disk-full', { topic: req.topic, msg: req.msg });
      done(arg, 'SERVICE_NOT_AVAILABLE', null);
      return;
    }
    this.stored(files, stored, done, arg);
  }

  /** put's rest once the record is appended: a new mapped file's note, replication, and the flush / replication wait. */
  private stored<A>(files: number, stored: StoredMessage, done: PutDone<A>, arg: A): void {
    const b = this.b;
    if (b.store.files.length !== files) {
      b.o.stats.commitLogFiles++;
      notes.note(b.ctx, 'commitlog-new-mapped-file', { file: b.store.files[b.store.files.length - 1]!.start });
    }
    b.ha.pushToSlaves();
    if (b.o.settings.flushDiskType === 'SYNC_FLUSH') {
      b.flush.waitForFlush(stored.phy + stored.size, (flushed) => this.afterFlush(flushed, stored, done, arg));
      b.flush.groupCommit();
    } else {
      this.afterFlush(true, stored, done, arg);
    }
  }

  /** After the flush (or at once with ASYNC_FLUSH): the replication wait brokerRole / DLedger asks for, then `done`. */
  private afterFlush<A>(flushed: boolean, stored: StoredMessage, done: PutDone<A>, arg: A): void {
    const b = this.b;
    if (!flushed) {
      b.o.stats.flushDiskTimeouts++;
      done(arg, 'FLUSH_DISK_TIMEOUT', stored);
      return;
    }
    const end = stored.phy + stored.size;
    if (b.dledger !== null) {
      // DLedger: SEND_OK once a majority of the group has the entry (it is then committed).
      b.ha.waitForTransfer(end, (ok) => {
        if (!ok) b.o.stats.flushSlaveTimeouts++;
        done(arg, ok ? 'SUCCESS' : 'FLUSH_SLAVE_TIMEOUT', stored);
      }, b.o.settings.syncFlushTimeout);
      b.dledger.advanceCommit();
      return;
    }
    if (b.o.settings.brokerRole !== 'SYNC_MASTER' || ROCKETMQ_DELIBERATE_BUGS.on('sync-master-ignores-slave')) {
      done(arg, 'SUCCESS', stored);
      return;
    }
    const replicaDone = (ok: boolean) => {
      if (!ok) b.o.stats.flushSlaveTimeouts++;
      done(arg, ok ? 'SUCCESS' : 'FLUSH_SLAVE_TIMEOUT', stored);
    };
    if (b.o.settings.version === '5.3') {
      // 5.x handleHA: wait for inSyncReplicas - 1 slaves (none by default), never SLAVE_NOT_AVAILABLE.
      const slaves = b.o.settings.inSyncReplicas - 1;
      if (slaves <= 0) {
        done(arg, 'SUCCESS', stored);
        return;
      }
      b.ha.waitForTransfer(end, replicaDone, b.o.settings.slaveTimeout, slaves);
      b.ha.resolve();
      return;
    }
    if (!b.ha.slaveOk(end)) {
      b.o.stats.slaveNotAvailable++;
      done(arg, 'SLAVE_NOT_AVAILABLE', stored);
      return;
    }
    b.ha.waitForTransfer(end, replicaDone, b.o.settings.slaveTimeout);
    b.ha.resolve();
  }
}

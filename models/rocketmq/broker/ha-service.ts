import type { CloseReason } from '../../../sim/connection.js';
import { DiskFullError } from '../../../sim/disk.js';
import type { Micros } from '../../../sim/time.js';
import { timersOf } from '../../../sim/timers.js';
import { notes } from '../notes.js';
import { HEADER_BYTES, type HaReportOffset, type HaTransfer } from '../protocol.js';
import type { BrokerController, BrokerTimer } from './broker-controller.js';
import type { Waiter } from './flush-service.js';

/**
 * Master-slave replication (HAService), for groups without DLedger:
 *
 * - Master side: one HAConnection per slave. Its WriteSocketService pushes the commit log
 *   (HA_TRANSFER) from the offset the slave last reported, at most haTransferBatchSize (32 KiB)
 *   at a time, one transfer in flight until the slave reports it; its ReadSocketService takes the
 *   slave's HA_REPORT_OFFSET (its ack).
 * - GroupTransferService: a SYNC_MASTER put waits until a slave (5.x: inSyncReplicas - 1 slaves)
 *   has reported an offset at or past it (FLUSH_SLAVE_TIMEOUT after slaveTimeout); 4.x answers
 *   SLAVE_NOT_AVAILABLE when no slave reported within haHousekeepingInterval or the best one is
 *   haSlaveFallbehindMax behind (isSlaveOK); commit-log.ts decides which.
 *   With DLedger the same waiters wait for the group's commit point (dledger.ts).
 * - Slave side (HAClient): appends what the master sends at the same offsets and reports its end,
 *   at once and every haSendHeartbeatInterval; data from any other offset than its end is a
 *   mismatch: it reconnects (a new session) and reports again. A slave never takes writes.
 * - The HA channel is a TCP connection the slave opens to its master (connectMaster). A slave
 *   process killed on a live machine resets it: the master's HAConnection ends at once
 *   (removeConnection), so with no slave left isSlaveOK is false and SYNC_MASTER puts get
 *   SLAVE_NOT_AVAILABLE. A slave whose machine crashed, paused or was cut off is silence: its
 *   HAConnection lasts until haHousekeepingInterval passed without a report, and puts meanwhile
 *   wait syncFlushTimeout for FLUSH_SLAVE_TIMEOUT. A slave whose channel closed opens a new one
 *   (a new session) on its next report.
 */

interface SlaveState {
  session: number;
  ack: number;
  pushedTo: number;
  lastReport: Micros;
  /** A transfer not yet acknowledged by a report: the next one waits (TCP's window, simplified). */
  inFlight: boolean;
  /** Index in the commit log's records of pushedTo (a hint, checked before use). */
  pushedIndex: number;
}

export const HA_TRANSFER_BATCH_SIZE = 32 * 1024;
const timers = timersOf<BrokerTimer>();

export class HAService {
  private readonly slaves = new Map<string, SlaveState>();
  /** The same slaves, in the map's order, as two arrays (pushToSlaves runs per message). */
  private readonly slaveNames: string[] = [];
  private readonly slaveStates: SlaveState[] = [];
  /** GroupTransferService's waiting puts. */
  private waiters: Waiter[] = [];
  /** HAClient: this slave's connection to its master (a new one after a mismatch). */
  private session = 0;

  constructor(private readonly b: BrokerController) {}

  start(): void {
    this.session = this.b.ctx.trueNow();
  }

  /** The slaves' acks, for the invariants: slave node -> the offset it reported. */
  slaveAcks(): ReadonlyMap<string, { readonly ack: number }> {
    return this.slaves;
  }

  /** A put waiting for `slaves` slaves (DLedger: the commit point) to have `end`, for at most `timeout`. */
  waitForTransfer(end: number, done: (ok: boolean) => void, timeout: Micros, slaves = 1): void {
    const waiter: Waiter = { end, done, timer: null, slaves };
    waiter.timer = timers.set(this.b.ctx, timeout, 'ha-timeout', waiter);
    this.waiters.push(waiter);
  }

  /** syncFlushTimeout passed before a slave (DLedger: a majority) had the message: FLUSH_SLAVE_TIMEOUT. */
  onTimeout(waiter: Waiter): void {
    const at = this.waiters.indexOf(waiter);
    if (at >= 0) {
      this.waiters.splice(at, 1);
      waiter.done(false);
    }
  }

  /** isSlaveOK: a slave reported lately and is not haSlaveFallbehindMax behind `end`. */
  slaveOk(end: number): boolean {
    const b = this.b;
    const now = b.ctx.trueNow();
    for (const slave of this.slaves.values()) {
      if (now - slave.lastReport <= b.o.settings.haHousekeepingInterval && end - slave.ack < b.o.settings.haSlaveFallbehindMax) return true;
    }
    return false;
  }

  /** ReadSocketService: a slave's HA_REPORT_OFFSET (a new session starts a new HAConnection). */
  onReport(from: string, report: HaReportOffset): void {
    const b = this.b;
    if (!b.isMaster) return;
    let slave = this.slaves.get(from);
    if (!slave || slave.session !== report.session) {
      slave = { session: report.session, ack: report.offset, pushedTo: report.offset, lastReport: 0, inFlight: false, pushedIndex: 0 };
      if (!this.slaves.has(from)) this.slaveNames.push(from);
      this.slaves.set(from, slave);
      this.slaveStates[this.slaveNames.indexOf(from)] = slave;
      notes.note(b.ctx, 'ha-slave-connected', { slave: from, offset: report.offset, masterOffset: b.store.maxPhy });
    }
    slave.ack = Math.max(slave.ack, report.offset);
    slave.lastReport = b.ctx.trueNow();
    if (report.offset >= slave.pushedTo) slave.inFlight = false;
    this.resolve();
    this.push(from, slave);
  }

  /** GroupTransferService: answers the puts the slaves (DLedger: the commit point) now cover. */
  resolve(): void {
    if (this.waiters.length === 0) return;
    const b = this.b;
    let best = -1;
    if (b.dledger !== null) best = b.dledger.commitPhy;
    else for (const slave of this.slaves.values()) best = Math.max(best, slave.ack);
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.end <= best && (b.dledger !== null || (w.slaves ?? 1) <= 1 || this.slavesAt(w.end) >= w.slaves!)) {
        b.ctx.cancelTimer(w.timer);
        w.done(true);
      } else still.push(w);
    }
    this.waiters = still;
  }

  /** How many slaves have reported `end` (5.x GroupTransferService counting acks for inSyncReplicas). */
  private slavesAt(end: number): number {
    let n = 0;
    for (const slave of this.slaves.values()) if (slave.ack >= end) n++;
    return n;
  }

  /** After an append: every slave heard from lately gets what it misses (DLedger: every peer). */
  pushToSlaves(): void {
    const b = this.b;
    if (b.dledger !== null) {
      b.dledger.pushAll();
      return;
    }
    const now = b.ctx.trueNow();
    // Runs per message: the slaves in the map's order, from arrays (no iterator and entry per message).
    const names = this.slaveNames;
    for (let i = 0; i < names.length; i++) {
      const slave = this.slaveStates[i]!;
      if (now - slave.lastReport <= b.o.settings.haHousekeepingInterval) this.push(names[i]!, slave);
    }
  }

  /**
   * WriteSocketService: sends the commit log from where the slave is, at most haTransferBatchSize
   * (32 KiB) at a time, one transfer in flight until the slave reports it.
   */
  private push(name: string, slave: SlaveState): void {
    const store = this.b.store;
    if (slave.inFlight || slave.pushedTo >= store.maxPhy) return;
    const hint = slave.pushedIndex;
    const from = store.records[hint]?.phy === slave.pushedTo ? hint : store.indexAt(slave.pushedTo);
    const all = store.records;
    const first = all[from];
    if (!first || first.phy !== slave.pushedTo) return; // the slave's offset is not a record boundary here: replication stalls
    let to = from;
    let bytes = 0;
    while (to < all.length && (to === from || bytes + all[to]!.size <= HA_TRANSFER_BATCH_SIZE)) bytes += all[to++]!.size;
    const records = all.slice(from, to);
    const transfer: HaTransfer = { type: 'HA_TRANSFER', from: slave.pushedTo, records };
    this.b.ctx.send(name, transfer, HEADER_BYTES + bytes);
    slave.pushedTo = first.phy + bytes;
    slave.pushedIndex = to;
    slave.inFlight = true;
  }

  /** HAClient.reportSlaveMaxOffset, on the channel to the master (connectMaster opens it when there is none). */
  reportOffset(): void {
    const report: HaReportOffset = { type: 'HA_REPORT_OFFSET', offset: this.b.store.maxPhy, session: this.session };
    this.b.ctx.connect(this.b.o.master);
    this.b.ctx.send(this.b.o.master, report, 16);
  }

  /**
   * The channel to `peer` closed (reset, fin, refused or TCP's timeout). Master: that slave's
   * HAConnection ends (removeConnection) and what it had in flight is gone. Slave: HAClient's
   * closeMaster; the next report (haSendHeartbeatInterval, the real client's 5 s wait before it
   * connects again) opens a new channel, which the master serves with a new HAConnection.
   */
  onChannelClosed(peer: string, reason: CloseReason): void {
    const b = this.b;
    if (b.dledger !== null) return;
    if (b.isMaster) {
      const at = this.slaveNames.indexOf(peer);
      if (at < 0) return;
      this.slaves.delete(peer);
      this.slaveNames.splice(at, 1);
      this.slaveStates.splice(at, 1);
      notes.note(b.ctx, 'ha-slave-disconnected', { slave: peer, reason });
    } else if (peer === b.o.master) {
      this.session++;
    }
  }

  /** HAClient: the master's data, appended at the same offsets (a SYNC_FLUSH slave then flushes it). */
  onTransfer(t: HaTransfer): void {
    const b = this.b;
    if (b.isMaster) return;
    if (t.from !== b.store.maxPhy) {
      // HAClient: "master pushed offset not equal the max phy offset in slave" -> reconnect.
      notes.note(b.ctx, 'ha-offset-mismatch', { pushed: t.from, slave: b.store.maxPhy });
      this.session++;
      this.reportOffset();
      return;
    }
    try {
      for (const record of t.records) b.store.appendReplica(record);
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      notes.note(b.ctx, 'disk-full', { replica: true });
    }
    this.reportOffset();
    if (b.store.deferDispatch) b.flush.slaveFlush();
  }
}

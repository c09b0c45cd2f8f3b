import type { Micros } from '../../../sim/time.js';
import { notes } from '../notes.js';
import type { RabbitBroker } from './broker.js';

/**
 * rabbit_disk_monitor: checks the node's free disk space and raises the disk resource alarm when
 * it is below `disk_free_limit` (50,000,000 bytes by default), clears it when it is back above.
 * The check interval assumes the disk fills at 250 MB/s: twice the time that would take to eat
 * the space left above the limit, between 100 ms and 10 s; 10 s while alarmed. So a disk far
 * from full is looked at every 10 s, one close to the limit every few hundred milliseconds.
 *
 * In the model the monitor runs where a disk can fill (a finite `disk.capacity`, or a
 * `disk-full` fault in the scenario): on an unbounded disk it could never alarm, and its timer
 * would only add events to runs that cannot differ.
 */
export const DISK_MONITOR = {
  defaultLimit: 50_000_000,
  minInterval: 100_000 as Micros,
  maxInterval: 10_000_000 as Micros,
  /** Bytes per microsecond: 250 MB/s. */
  fastRate: 250,
} as const;

export class DiskMonitor {
  private alarmed = false;

  constructor(private readonly broker: RabbitBroker, private readonly limit: number) {}

  start(): void {
    this.check();
  }

  /** One check: free space against the limit, alarm set or cleared on a change, next check scheduled. */
  check(): void {
    const broker = this.broker;
    const free = broker.ctx.disk.free;
    const alarmed = free < this.limit;
    if (alarmed !== this.alarmed) {
      this.alarmed = alarmed;
      notes.note(broker.ctx, alarmed ? 'disk-alarm-set' : 'disk-alarm-cleared', { free: Number.isFinite(free) ? free : -1, limit: this.limit });
      broker.alarms.setLocal(alarmed);
    }
    broker.timers.set(broker.ctx, this.interval(free), 'disk-check', undefined);
  }

  private interval(free: number): Micros {
    if (this.alarmed) return DISK_MONITOR.maxInterval;
    const ideal = (2 * (free - this.limit)) / DISK_MONITOR.fastRate;
    return Math.trunc(Math.max(DISK_MONITOR.minInterval, Math.min(DISK_MONITOR.maxInterval, ideal)));
  }
}

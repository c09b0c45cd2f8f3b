import { describe, expect, it } from 'vitest';
import { DiskFullError } from '../../sim/disk.js';
import type { Actor, Message, NodeContext } from '../../sim/node.js';
import { World, type DiskConfig } from '../../sim/world.js';

/** A node that appends one record every 100ms and fsyncs every `fsyncEvery` records. */
class Writer implements Actor {
  private ctx!: NodeContext;
  constructor(private readonly fsyncEvery: number, private readonly restarts: { restarted: boolean; durable: number[] }[]) {}
  start(ctx: NodeContext, restarted: boolean): void {
    this.ctx = ctx;
    const file = ctx.disk.file<number>('log');
    this.restarts.push({ restarted, durable: [...file.records] });
    ctx.setTimer(100_000, 'write');
  }
  receive(_from: string, _message: Message): void {}
  onTimer(): void {
    const file = this.ctx.disk.file<number>('log');
    const next = file.length;
    try {
      file.append(next, 100);
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      this.ctx.note('disk-full');
    }
    if (this.fsyncEvery > 0 && file.length % this.fsyncEvery === 0) this.ctx.disk.fsync();
    this.ctx.setTimer(100_000, 'write');
  }
}

function run(fsyncEvery: number, disk: Partial<DiskConfig>, crashAt: number) {
  const world = new World({ seed: 1, disk: { fsyncLatency: { constant: 1_000 }, ...disk } });
  const starts: { restarted: boolean; durable: number[] }[] = [];
  world.addNode('w', () => new Writer(fsyncEvery, starts), { roles: ['broker'] });
  world.run({ duration: crashAt + 1_000_000, drain: 0, faults: [{ at: crashAt, crash: 'w' }, { at: crashAt + 500_000, restart: 'w' }] });
  return { world, starts };
}

describe('disk', () => {
  it('fsynced data survives a crash and unfsynced data does not', () => {
    // 25 writes by 2.55s (at 0.1s ... 2.5s); fsync after every 10th: records 0..19 durable.
    const { starts } = run(10, { policy: { kind: 'interval', every: 3_600_000_000 } }, 2_550_000);
    expect(starts.map((s) => s.restarted)).toEqual([false, true]);
    expect(starts[1]!.durable).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('an fsync still in flight at the crash does not make its data durable', () => {
    // The fsync for records 0..9 starts at 1.0s and takes 1ms; crash at 1.0005s.
    const { starts } = run(10, { policy: { kind: 'interval', every: 3_600_000_000 } }, 1_000_500);
    expect(starts[1]!.durable).toEqual([]);
  });

  it('write-through keeps every write', () => {
    const { starts } = run(0, { policy: { kind: 'every-write' } }, 2_550_000);
    expect(starts[1]!.durable.length).toBe(25);
  });

  it('the OS flusher writes back pages dirty for 30s, every 5s', () => {
    const { starts } = run(0, { policy: { kind: 'os', writebackEvery: 5_000_000, expireAfter: 30_000_000 } }, 40_050_000);
    // Marks are taken at each 5s tick; a mark becomes durable 30s later: at 40s the 10s mark.
    // The tick at 10s runs before the write due at 10s (scheduled earlier), so the mark holds 99 records.
    expect(starts[1]!.durable.length).toBe(99);
  });

  it('a kill (the process dies, the machine stays up) keeps unflushed writes in the page cache', () => {
    const world = new World({ seed: 1, disk: { policy: { kind: 'interval', every: 3_600_000_000 } } });
    const starts: { restarted: boolean; durable: number[] }[] = [];
    world.addNode('w', () => new Writer(0, starts));
    world.run({ duration: 3_000_000, drain: 0, faults: [{ at: 2_550_000, kill: 'w', for: 100_000 }] });
    expect(starts[1]!.durable.length).toBe(25);
  });

  it('a machine crash while its killed process is down loses the writes the kill left in the page cache', () => {
    const world = new World({ seed: 1, disk: { policy: { kind: 'interval', every: 3_600_000_000 } } });
    const starts: { restarted: boolean; durable: number[] }[] = [];
    world.addNode('w', () => new Writer(0, starts));
    world.run({ duration: 3_000_000, drain: 0, faults: [{ at: 2_550_000, kill: 'w', for: 200_000 }, { at: 2_600_000, crash: 'w' }] });
    expect(starts[1]!.durable.length).toBe(0);
  });

  it('the OS keeps writing back a killed process\'s dirty pages while its machine is up', () => {
    // Flushed every second: 20 records at 2 s; the kill at 2.55 s leaves 25 in the page cache,
    // the flush at 3 s writes them (the machine is up), and the machine crash at 4 s loses none.
    const world = new World({ seed: 1, disk: { policy: { kind: 'interval', every: 1_000_000 } } });
    const starts: { restarted: boolean; durable: number[] }[] = [];
    world.addNode('w', () => new Writer(0, starts));
    world.run({ duration: 6_000_000, drain: 0, faults: [{ at: 2_550_000, kill: 'w', for: 3_000_000 }, { at: 4_000_000, crash: 'w' }] });
    expect(starts[1]!.durable.length).toBe(25);
  });

  it('a full disk makes writes fail with DiskFullError, and they resume when it clears', () => {
    const world = new World({ seed: 1, disk: { policy: { kind: 'every-write' } } });
    const starts: { restarted: boolean; durable: number[] }[] = [];
    world.addNode('w', () => new Writer(0, starts));
    world.run({ duration: 3_000_000, drain: 0, faults: [{ at: 1_050_000, 'disk-full': 'w', for: 1_000_000 }] });
    const file = world.node('w').disk.file<number>('log');
    // Writes at 1.1s ... 2.0s fail (10 of them); 30 attempts in all by 3.0s.
    expect(file.length).toBe(20);
  });

  it('a slow disk makes fsync take longer', () => {
    const world = new World({ seed: 1, disk: { fsyncLatency: { constant: 1_000 } } });
    const done: number[] = [];
    world.addNode('w', () => ({
      start(ctx: NodeContext) {
        ctx.setTimer(2_000_000, 'sync');
      },
      receive() {},
      onTimer() {
        const ctx = world.node('w').context!;
        const started = ctx.trueNow();
        ctx.disk.fsync(() => done.push(ctx.trueNow() - started));
      },
    }));
    world.run({ duration: 3_000_000, drain: 0, faults: [{ at: 1_000_000, 'slow-disk': 'w', factor: 50 }] });
    expect(done).toEqual([50_000]);
  });

  it('capacity limits what fits', () => {
    const world = new World({ seed: 1, disk: { capacity: 1_000 } });
    world.addNode('w', () => ({ start() {}, receive() {} }));
    const disk = world.node('w').disk;
    const file = disk.file<string>('f');
    file.append('a', 600);
    expect(() => file.append('b', 600)).toThrow(DiskFullError);
    file.truncate(0);
    expect(disk.used).toBe(0);
    file.append('c', 1_000);
    expect(disk.free).toBe(0);
  });
});

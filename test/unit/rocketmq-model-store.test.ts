import { describe, expect, it } from 'vitest';
import { Disk } from '../../sim/disk.js';
import { CQ_ENTRY_BYTES } from '../../models/rocketmq/broker/consume-queue.js';
import { MessageStore, commitLogFileName } from '../../models/rocketmq/broker/message-store.js';
import { javaStringHashCode } from '../../models/rocketmq/queue-selector.js';
import { runRocket } from '../rocketmq-helpers.js';

/** The broker's store: commit log mapped files, consume queues, recovery; flush types against a crash. */

function disk(): Disk {
  const d = new Disk({ fsyncLatency: () => 1000, policy: { kind: 'os', writebackEvery: 5_000_000, expireAfter: 30_000_000 }, capacity: Number.POSITIVE_INFINITY });
  const pending: (() => void)[] = [];
  d.attach({ nodeName: 'broker-a-0', now: () => 0, schedule: (_delay, fn) => pending.push(fn) });
  return d;
}

const msg = (i: number, queueId = i % 2, tags: string | undefined = 'TagA') => ({
  topic: 'orders', queueId, msg: `p1-${i}`, key: undefined, tags, body: 200, bornTime: 0, reconsumeTimes: 0,
});

describe('rocketmq store: commit log and consume queues', () => {
  it('appends every topic to one commit log and gives each topic-queue its own offsets', () => {
    const store = new MessageStore(disk(), 1 << 30);
    const a = store.append(msg(0, 0), 0);
    const b = store.append({ ...msg(1, 0), topic: 'payments' }, 0);
    const c = store.append(msg(2, 0), 0);
    expect([a.phy, b.phy, c.phy]).toEqual([0, a.size, a.size + b.size]);
    expect([a.queueOffset, b.queueOffset, c.queueOffset]).toEqual([0, 0, 1]);
    const cq = store.findQueue('orders', 0)!;
    expect(cq.file.records.map((e) => e.phy)).toEqual([a.phy, c.phy]);
    expect(cq.file.bytes).toBe(2 * CQ_ENTRY_BYTES);
    expect(cq.file.records[0]!.tagsCode).toBe(javaStringHashCode('TagA'));
    expect(store.lookup(c.phy)).toBe(c);
  });

  it('rolls to a new mapped file named by its start offset when a message does not fit, padding the old one', () => {
    const store = new MessageStore(disk(), 1000);
    const sizes: number[] = [];
    for (let i = 0; i < 8; i++) sizes.push(store.append(msg(i), 0).size);
    const size = sizes[0]!;
    const perFile = Math.floor(1000 / size);
    expect(store.files.map((f) => f.start)).toEqual([0, 1000, 2000].slice(0, Math.ceil(8 / perFile)));
    expect(store.files[1]!.file.name).toBe(commitLogFileName(1000));
    expect(commitLogFileName(1000)).toBe('commitlog/00000000000000001000');
    // The first file is full: messages plus the blank filler.
    expect(store.files[0]!.file.bytes).toBe(1000);
    expect(store.records.filter((r) => r.blank).length).toBe(store.files.length - 1);
  });

  it('recovery keeps the durable commit log, truncates consume queue entries past it and re-dispatches the missing ones', () => {
    const d = disk();
    const store = new MessageStore(d, 1 << 30);
    for (let i = 0; i < 6; i++) store.append(msg(i), 0);
    // Commit log durable up to 4 messages, consume queue 0 durable with all its 3 entries, queue 1 with none.
    const log = store.files[0]!.file;
    log.markDurable(4);
    store.findQueue('orders', 0)!.file.markDurable(3);
    d.crash(false);
    const again = new MessageStore(d, 1 << 30);
    const result = again.recover();
    expect(result.records).toBe(4);
    expect(again.findQueue('orders', 0)!.length).toBe(2); // p1-4 pointed past the commit log
    expect(again.findQueue('orders', 1)!.length).toBe(2); // rebuilt from the commit log
    expect(result.truncatedCq).toBe(1);
    expect(result.redispatched).toBe(2);
    expect(again.maxPhy).toBe(again.records[3]!.phy + again.records[3]!.size);
  });
});

describe('rocketmq flush: SYNC_FLUSH versus ASYNC_FLUSH across a machine crash', () => {
  const crash = (flushDiskType: string) => runRocket({
    duration: '20s', drain: '20s',
    cluster: { brokerGroups: 1, slavesPerGroup: 0, config: { flushDiskType } },
    workload: { producers: [{ id: 'p1', rate: '200/s' }], consumers: [{ group: 'g', start: '15s' }] },
    faults: [{ at: '8s', crash: 'broker-a-0', for: '2s' }],
  });

  it('ASYNC_FLUSH loses SEND_OK messages of the unflushed tail', () => {
    const { counts } = crash('ASYNC_FLUSH');
    expect(counts['lostAcked']).toBeGreaterThan(0);
    expect(counts['lostAcked']).toBeLessThan(200); // at most about 500 ms of messages
  });

  it('SYNC_FLUSH loses none', () => {
    const { counts } = crash('SYNC_FLUSH');
    expect(counts['acked']).toBeGreaterThan(3000);
    expect(counts['lostAcked']).toBe(0);
  });

  it('SYNC_FLUSH answers FLUSH_DISK_TIMEOUT after syncFlushTimeout on a stalled disk; the client records info', () => {
    const { counts, world } = runRocket({
      duration: '20s', drain: '20s', disk: { fsync: '1ms' },
      cluster: { brokerGroups: 1, slavesPerGroup: 0, config: { flushDiskType: 'SYNC_FLUSH', syncFlushTimeout: 2000 } },
      workload: { producers: [{ id: 'p1', rate: '10/s', sendMode: 'async' }], consumers: [{ group: 'g' }] },
      faults: [{ at: '5s', 'slow-disk': 'broker-a-0', factor: 5000, for: '5s' }],
    }, 1, true);
    expect(counts['flushDiskTimeouts']).toBeGreaterThan(0);
    const infos = world.history.ops.filter((o) => o.f === 'send' && o.type === 'info');
    expect(infos.length).toBe(counts['flushDiskTimeouts']);
    expect(new Set(infos.map((o) => o.error))).toEqual(new Set(['FLUSH_DISK_TIMEOUT']));
    expect(counts['lostAcked']).toBe(0);
  });
});

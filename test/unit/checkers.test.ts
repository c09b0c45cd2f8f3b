import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { History, parseMessageId, messageId, type HistoryOp, type NewHistoryOp } from '../../sim/history.js';
import { CheckerSuite, IntervalSet, type CheckReport } from '../../sim/checkers/index.js';

// ---- history builders ---------------------------------------------------------------------------

type Extra = Partial<Omit<HistoryOp, 'index' | 'time' | 'process' | 'type' | 'f' | 'msg'>>;

const producerOf = (msg: string): string => parseMessageId(msg).producer;

const invoke = (time: number, msg: string, extra: Extra = {}): NewHistoryOp => ({ time, process: producerOf(msg), type: 'invoke', f: 'send', msg, ...extra });
const ok = (time: number, msg: string, extra: Extra = {}): NewHistoryOp => ({ time, process: producerOf(msg), type: 'ok', f: 'send', msg, ...extra });
const fail = (time: number, msg: string, extra: Extra = {}): NewHistoryOp => ({ time, process: producerOf(msg), type: 'fail', f: 'send', msg, ...extra });
const info = (time: number, msg: string, extra: Extra = {}): NewHistoryOp => ({ time, process: producerOf(msg), type: 'info', f: 'send', msg, ...extra });
/** Invoke and ok of one send. */
const sent = (time: number, msg: string, extra: Extra = {}): NewHistoryOp[] => [invoke(time, msg, extra), ok(time + 1, msg, extra)];
const recv = (time: number, process: string, msg: string, extra: Extra = {}): NewHistoryOp => ({ time, process, type: 'ok', f: 'receive', msg, ...extra });
const assign = (time: number, process: string, queues: string[]): NewHistoryOp => ({ time, process, type: 'ok', f: 'assign', queues });

function check(ops: NewHistoryOp[], endTime = 1_000_000_000): CheckReport {
  const history = new History();
  const suite = new CheckerSuite(history);
  for (const op of ops) history.record({ ...op });
  return suite.finish(endTime);
}

// ---- message ids and the History ----------------------------------------------------------------

describe('message ids', () => {
  it('split at the last dash', () => {
    expect(parseMessageId('p1-17')).toEqual({ producer: 'p1', seq: 17 });
    expect(parseMessageId('billing-p2-0')).toEqual({ producer: 'billing-p2', seq: 0 });
    expect(parseMessageId(messageId('a-b-c', 123456))).toEqual({ producer: 'a-b-c', seq: 123456 });
  });

  it('reject ids that do not follow the convention', () => {
    for (const bad of ['p1', 'p1-', 'p1-x', '-3', 'p1-1.5', 'p1-+2', 'p1- 2']) {
      expect(() => parseMessageId(bad), bad).toThrow(/not "<producer>-<seq>"/);
    }
  });

  it('a malformed id in the history stops the checkers with the id named', () => {
    expect(() => check([invoke(0, 'p1-1'), recv(1, 'c1', 'oops')])).toThrow(/"oops"/);
  });
});

describe('History', () => {
  it('assigns indices, feeds listeners, and keeps ops only when asked', () => {
    const streamed = new History();
    const seen: number[] = [];
    const stop = streamed.subscribe((op) => seen.push(op.index));
    streamed.record({ index: 99, time: 0, process: 'p1', type: 'invoke', f: 'send', msg: 'p1-0' });
    streamed.record({ time: 5, process: 'p1', type: 'ok', f: 'send', msg: 'p1-0' });
    stop();
    streamed.record({ time: 6, process: 'p1', type: 'invoke', f: 'send', msg: 'p1-1' });
    expect(seen).toEqual([0, 1]);
    expect(streamed.ops).toEqual([]);
    expect(streamed.length).toBe(3);

    const kept = History.from([invoke(0, 'p1-0'), ok(3, 'p1-0')]);
    expect(kept.ops.map((op) => [op.index, op.type])).toEqual([[0, 'invoke'], [1, 'ok']]);
  });

  it('a suite subscribed to a history sees its ops; detach stops it', () => {
    const history = new History();
    const suite = new CheckerSuite(history);
    history.record(invoke(0, 'p1-0'));
    suite.detach();
    history.record(invoke(1, 'p1-1'));
    expect(suite.finish(10).counts.sent).toBe(1);
  });
});

// ---- IntervalSet --------------------------------------------------------------------------------

describe('IntervalSet', () => {
  it('adds, merges neighbours and answers membership', () => {
    const set = new IntervalSet();
    expect(set.add(5)).toBe(true);
    expect(set.add(5)).toBe(false);
    set.add(7);
    expect(set.intervals()).toEqual([[5, 5], [7, 7]]);
    set.add(6); // bridges the two
    expect(set.intervals()).toEqual([[5, 7]]);
    set.add(8); // extends the last (fast path)
    set.add(1);
    set.add(3);
    expect(set.intervals()).toEqual([[1, 1], [3, 3], [5, 8]]);
    expect([0, 1, 2, 3, 4, 5, 8, 9].map((v) => set.has(v))).toEqual([false, true, false, true, false, true, true, false]);
    expect(set.size).toBe(6);
  });

  it('adds ranges and finds the first member in a range', () => {
    const set = new IntervalSet();
    set.addRange(10, 20);
    set.addRange(30, 40);
    set.addRange(0, 2);
    expect(set.firstIn(3, 9)).toBeUndefined();
    expect(set.firstIn(3, 10)).toBe(10);
    expect(set.firstIn(21, 35)).toBe(30);
    expect(set.firstAtOrAfter(15)).toBe(15);
    set.addRange(19, 31); // swallows the gap between the two
    expect(set.intervals()).toEqual([[0, 2], [10, 40]]);
    expect(set.size).toBe(3 + 31);
    set.addRange(5, 4); // empty
    expect(set.size).toBe(34);
  });

  it('agrees with a plain Set on random operations', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 60 }).map((v) => [v, v] as const), fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 8 })).map(([a, n]) => [a, a + n] as const)), { maxLength: 60 }),
        (ranges) => {
          const set = new IntervalSet();
          const model = new Set<number>();
          for (const [from, to] of ranges) {
            if (from === to) expect(set.add(from)).toBe(!model.has(from));
            else set.addRange(from, to);
            for (let v = from; v <= to; v++) model.add(v);
          }
          for (let v = -1; v <= 70; v++) expect(set.has(v)).toBe(model.has(v));
          expect(set.size).toBe(model.size);
          const intervals = set.intervals();
          for (let i = 1; i < intervals.length; i++) expect(intervals[i]![0]).toBeGreaterThan(intervals[i - 1]![1] + 1);
        },
      ),
    );
  });
});

// ---- lost writes and unseen messages ------------------------------------------------------------

describe('lost and unseen', () => {
  it('counts acked-but-never-delivered exactly, and unknown/pending as unseen only', () => {
    const report = check([
      ...sent(1_000, 'p1-0', { queue: 'orders-0', offset: 0, node: 'broker-1' }),
      ...sent(2_000, 'p1-1', { queue: 'orders-0', offset: 1, node: 'broker-1' }),
      invoke(3_000, 'p1-2'),
      ok(10_203_000, 'p1-2', { queue: 'orders-1', offset: 7, node: 'broker-2' }),
      ...sent(4_000, 'p1-3'),
      invoke(5_000, 'p1-4'),
      info(6_000, 'p1-4', { error: 'request timed out' }),
      invoke(7_000, 'p1-5'), // never answered
      invoke(8_000, 'p1-6'),
      fail(9_000, 'p1-6', { error: 'NOT_ENOUGH_REPLICAS' }), // failed and never delivered: fine
      recv(20_000_000, 'c1', 'p1-0'),
      recv(20_000_001, 'c1', 'p1-3'),
    ]);
    expect(report.counts.lostAcked).toBe(2);
    expect(report.counts.unseen).toBe(4); // p1-1, p1-2 (acked), p1-4 (info), p1-5 (pending)
    expect(report.counts.failedButDelivered).toBe(0);
    expect(report.counts.unknownDelivered).toBe(0);
    expect(report.anomalies['lost-write'].examples.map((e) => e.msg)).toEqual(['p1-1', 'p1-2']);
    const p12 = report.anomalies['lost-write'].examples[1]!;
    expect(p12.description).toBe('p1-2 acked at 10.203s by broker-2 to orders-1 offset 7, never delivered');
    expect(p12.ops).toEqual([4, 5]);
    expect(p12.time).toBe(10_203_000);
    expect(report.anomalies.unseen.examples.map((e) => e.msg)).toEqual(['p1-1', 'p1-2', 'p1-4', 'p1-5']);
    expect(report.anomalies.unseen.examples[2]!.description).toBe('p1-4 outcome unknown at 0.006s (request timed out), never delivered');
    expect(report.anomalies.unseen.examples[3]!.description).toBe('p1-5 sent at 0.007s, still awaiting its outcome at 1000.000s, never delivered');
  });

  it('a delivery seen before the send ok is not lost', () => {
    const report = check([invoke(0, 'p1-0'), recv(5, 'c1', 'p1-0'), ok(9, 'p1-0')]);
    expect(report.counts).toMatchObject({ acked: 1, delivered: 1, lostAcked: 0, unseen: 0 });
    expect(report.backlog).toMatchObject({ max: 0, final: 0 });
  });

  it('counts failed-but-delivered and unknown-delivered in either order', () => {
    const report = check([
      invoke(0, 'p1-0'),
      fail(1, 'p1-0'),
      recv(2, 'c1', 'p1-0'), // failed, then delivered
      invoke(3, 'p1-1'),
      recv(4, 'c1', 'p1-1'),
      fail(5, 'p1-1'), // delivered, then the producer hears it failed
      invoke(6, 'p1-2'),
      info(7, 'p1-2'),
      recv(8, 'c1', 'p1-2'), // unknown, then delivered
      invoke(9, 'p1-3'),
      recv(10, 'c1', 'p1-3'),
      info(11, 'p1-3'), // delivered, then timed out
      invoke(12, 'p1-4'),
      info(13, 'p1-4'),
      ok(14, 'p1-4'), // retried and acked: no longer unknown
      recv(15, 'c1', 'p1-4'),
      recv(16, 'c1', 'p1-0'), // a duplicate is not a second failed-but-delivered
    ]);
    expect(report.counts).toMatchObject({
      sent: 5,
      acked: 1,
      failed: 2,
      unknown: 3,
      delivered: 5,
      deliveries: 6,
      failedButDelivered: 2,
      unknownDelivered: 2,
      lostAcked: 0,
      unseen: 0,
      duplicateDeliveries: 1,
    });
  });

  it('lists undelivered messages of several producers in the order they first appeared, whatever the seqs', () => {
    const report = check([
      invoke(0, 'p2-7'),
      invoke(1, 'billing-p1-3'),
      ok(2, 'billing-p1-0'), // an ok without its invoke
      invoke(3, 'p2-1'), // a lower seq after a higher one of the same producer
      ok(4, 'p2-7'),
      ok(5, 'billing-p1-3'),
      ok(6, 'p2-1'),
      recv(7, 'c1', 'billing-p1-3'),
    ]);
    expect(report.counts.lostAcked).toBe(3);
    expect(report.anomalies['lost-write'].examples.map((e) => e.msg)).toEqual(['p2-7', 'billing-p1-0', 'p2-1']);
  });

  it('keeps at most 5 examples but counts all', () => {
    const ops: NewHistoryOp[] = [];
    for (let i = 0; i < 12; i++) ops.push(...sent(i * 10, `p1-${i}`));
    const report = check(ops);
    expect(report.counts.lostAcked).toBe(12);
    expect(report.anomalies['lost-write'].examples.map((e) => e.msg)).toEqual(['p1-0', 'p1-1', 'p1-2', 'p1-3', 'p1-4']);
  });
});

// ---- duplicates ---------------------------------------------------------------------------------

describe('duplicates', () => {
  it('counts extra deliveries per group and duplicated (message, group) pairs', () => {
    const report = check([
      ...sent(0, 'p1-0'),
      ...sent(0, 'p1-1'),
      ...sent(0, 'billing-p2-0'),
      recv(10, 'a1', 'p1-0', { group: 'A' }),
      recv(11, 'a2', 'p1-0', { group: 'A', redelivered: true }),
      recv(12, 'a1', 'p1-0', { group: 'A' }), // 3 times to A: 2 extra
      recv(13, 'b1', 'p1-0', { group: 'B' }),
      recv(14, 'b1', 'p1-0', { group: 'B' }), // twice to B: 1 extra
      recv(15, 'c1', 'p1-0', { group: 'C' }), // once to C: fine
      recv(16, 'a1', 'p1-1', { group: 'A' }),
      recv(17, 'b1', 'p1-1', { group: 'B' }), // once to each group: fine
      recv(18, 'x1', 'billing-p2-0', { queue: 'q.billing' }), // no group: the queue is the group
      recv(19, 'x2', 'billing-p2-0', { queue: 'q.billing', offset: 4 }),
      recv(20, 'y1', 'billing-p2-0', { queue: 'q.audit' }),
    ]);
    expect(report.counts.duplicateDeliveries).toBe(4);
    expect(report.counts.duplicatedMessages).toBe(3);
    expect(report.counts.delivered).toBe(3);
    expect(report.counts.deliveries).toBe(11);
    expect(report.anomalies.duplicate.count).toBe(4);
    const examples = report.anomalies.duplicate.examples;
    expect(examples.map((e) => [e.msg, e.ops[0]])).toEqual([['p1-0', 7], ['p1-0', 10], ['billing-p2-0', 15]]);
    expect(examples[0]!.description).toBe('p1-0 delivered a second time to group A at 0.000s (to a2, marked redelivered)');
    expect(examples[2]!.description).toBe('billing-p2-0 delivered a second time to group q.billing at 0.000s (to x2 from q.billing offset 4)');
  });
});

// ---- order --------------------------------------------------------------------------------------

describe('per-key order', () => {
  const sendAll = (msgs: string[]): NewHistoryOp[] => msgs.flatMap((msg, i) => sent(i, msg));

  it('counts each message first-delivered after a later seq of the same producer and key', () => {
    const report = check([
      ...sendAll(['p1-0', 'p1-1', 'p1-2', 'p1-3', 'p1-4', 'p1-5', 'p1-6', 'p1-7', 'p2-0', 'p2-1']),
      // key k1: 0, 2, 1, 3 -> p1-1 is late (1 reorder)
      recv(100, 'c1', 'p1-0', { key: 'k1' }),
      recv(101, 'c1', 'p1-2', { key: 'k1' }),
      recv(102, 'c1', 'p1-1', { key: 'k1' }),
      recv(103, 'c1', 'p1-3', { key: 'k1' }),
      // key k2: 7, 4, 5, 6 -> three late messages (3 reorders)
      recv(104, 'c2', 'p1-7', { key: 'k2' }),
      recv(105, 'c2', 'p1-4', { key: 'k2' }),
      recv(106, 'c2', 'p1-5', { key: 'k2' }),
      recv(107, 'c2', 'p1-6', { key: 'k2' }),
      // other producer, same key: independent (no reorder across producers)
      recv(108, 'c1', 'p2-1', { key: 'k1' }),
      recv(109, 'c1', 'p2-0', { key: 'k3' }),
      // a redelivery of an old message is a duplicate, not a reorder
      recv(110, 'c1', 'p1-0', { key: 'k1' }),
    ]);
    expect(report.counts.reorders).toBe(4);
    expect(report.counts.duplicateDeliveries).toBe(1);
    const first = report.anomalies.reorder.examples[0]!;
    expect(first.msg).toBe('p1-1');
    expect(first.key).toBe('k1');
    expect(first.ops).toEqual([21, 22]);
    expect(first.description).toBe('p1-1 (key k1) delivered to group (none) at 0.000s after p1-2, which was sent later');
  });

  it('judges each group on its own', () => {
    const report = check([
      ...sendAll(['p1-0', 'p1-1']),
      recv(10, 'a1', 'p1-1', { key: 'k', group: 'A' }),
      recv(11, 'a1', 'p1-0', { key: 'k', group: 'A' }), // reorder in A
      recv(12, 'b1', 'p1-0', { key: 'k', group: 'B' }),
      recv(13, 'b1', 'p1-1', { key: 'k', group: 'B' }), // in order in B
    ]);
    expect(report.counts.reorders).toBe(1);
    expect(report.anomalies.reorder.examples[0]!.description).toContain('group A');
  });
});

// ---- poll order ---------------------------------------------------------------------------------

describe('poll order', () => {
  it('counts poll-skips only over offsets known to exist, judged at finish', () => {
    const report = check([
      ok(1, 'p1-3', { queue: 'q', offset: 3 }), // offset 3 exists (a send ok reported it)
      assign(9, 'c1', ['q', 'r']), // c1 owns q and r; c2 owns nothing and is not judged
      recv(10, 'c1', 'p1-0', { queue: 'q', offset: 0 }),
      recv(11, 'c1', 'p1-1', { queue: 'q', offset: 1 }),
      recv(12, 'c1', 'p1-2', { queue: 'q', offset: 2 }),
      recv(13, 'c1', 'p1-5', { queue: 'q', offset: 5 }), // skips 3 (exists) and 4 (unknown): 1 skip
      recv(14, 'c1', 'p1-8', { queue: 'q', offset: 8 }), // skips 6..7: 7 is learnt later, below
      recv(15, 'c1', 'p1-10', { queue: 'q', offset: 10 }), // skips 9, never known: a gap, not a skip
      recv(16, 'c2', 'p1-7', { queue: 'q', offset: 7 }),
      recv(17, 'c1', 'x-0', { queue: 'r', offset: 0 }),
      recv(18, 'c1', 'x-1', { queue: 'r', offset: 2 }), // offset 1 of r never known
    ]);
    expect(report.counts.pollSkips).toBe(2);
    expect(report.counts.nonmonotonicPolls).toBe(0);
    const examples = report.anomalies['poll-skip'].examples;
    expect(examples.map((e) => e.ops)).toEqual([[4, 5], [5, 6]]);
    expect(examples[0]!.description).toBe('c1 received q offset 5 at 0.000s right after offset 2, skipping offsets 3..4 (offset 3 exists)');
    expect(examples[1]!.description).toBe('c1 received q offset 8 at 0.000s right after offset 5, skipping offsets 6..7 (offset 7 exists)');
  });

  it('counts nonmonotonic polls per (process, queue), reset by assign', () => {
    const report = check([
      assign(9, 'c1', ['q', 'r']),
      assign(9, 'c2', ['q']),
      recv(10, 'c1', 'p1-5', { queue: 'q', offset: 5 }),
      recv(11, 'c1', 'p1-5', { queue: 'q', offset: 5 }), // repeat: nonmonotonic
      recv(12, 'c1', 'p1-4', { queue: 'q', offset: 4 }), // back: nonmonotonic
      recv(13, 'c1', 'p1-5', { queue: 'q', offset: 5 }),
      recv(14, 'c2', 'p1-0', { queue: 'q', offset: 0 }), // another process: its own cursor
      recv(15, 'c1', 'x-0', { queue: 'r', offset: 0 }), // another queue: its own cursor
      assign(16, 'c1', ['q']),
      recv(17, 'c1', 'p1-2', { queue: 'q', offset: 2 }), // after a rebalance: fine
      recv(18, 'c1', 'p1-3', { queue: 'q', offset: 3 }),
      recv(19, 'c1', 'p1-1', { queue: 'q', offset: 1 }), // back again: nonmonotonic
      recv(20, 'c1', 'q-9', { queue: 'q' }), // no offset (a RabbitMQ queue): not judged
    ]);
    expect(report.counts.nonmonotonicPolls).toBe(3);
    expect(report.counts.pollSkips).toBe(0);
    const examples = report.anomalies['nonmonotonic-poll'].examples;
    expect(examples.map((e) => e.ops)).toEqual([[2, 3], [3, 4], [10, 11]]);
    expect(examples[1]!.description).toBe('c1 received q offset 4 at 0.000s after offset 5');
  });
});

describe('poll order on shared queues', () => {
  it('does not judge a process that owns no queue (competing consumers see gaps by design)', () => {
    const report = check([
      recv(10, 'c1', 'p1-0', { queue: 'q', offset: 0 }),
      recv(11, 'c2', 'p1-1', { queue: 'q', offset: 1 }),
      recv(12, 'c1', 'p1-2', { queue: 'q', offset: 2 }), // skips 1, taken by c2: fine
      recv(13, 'c1', 'p1-1', { queue: 'q', offset: 1 }), // a redelivery going back: fine too
    ]);
    expect(report.counts.pollSkips).toBe(0);
    expect(report.counts.nonmonotonicPolls).toBe(0);
  });
});

describe('nonmonotonic sends', () => {
  it('counts send-ok offsets that do not increase per (process, queue)', () => {
    const report = check([
      ok(1, 'p1-0', { queue: 'q', offset: 0 }),
      ok(2, 'p1-1', { queue: 'q', offset: 1 }),
      ok(3, 'p1-2', { queue: 'q', offset: 1 }), // repeat
      ok(4, 'p1-3', { queue: 'q', offset: 0 }), // back
      ok(5, 'p1-4', { queue: 'q', offset: 2 }),
      ok(6, 'p1-5', { queue: 'r', offset: 0 }), // another queue
      ok(7, 'p2-0', { queue: 'q', offset: 0 }), // another producer
      ok(8, 'p1-6', { queue: 'q' }), // no offset: not judged
    ]);
    expect(report.counts.nonmonotonicSends).toBe(2);
    const examples = report.anomalies['nonmonotonic-send'].examples;
    expect(examples.map((e) => e.ops)).toEqual([[1, 2], [2, 3]]);
    expect(examples[1]!.description).toBe("p1-3 of p1 acked at 0.000s with q offset 0, not after the previous ack's offset 1");
  });
});

// ---- latency, delay, backlog --------------------------------------------------------------------

describe('latency', () => {
  it('measures send invoke to first receive by anyone', () => {
    const ops: NewHistoryOp[] = [];
    // latencies 10, 20, ..., 1000 us (all below 2048, where the histogram is exact)
    for (let i = 1; i <= 100; i++) {
      ops.push(invoke(i * 10_000, `p1-${i}`), ok(i * 10_000 + 5, `p1-${i}`), recv(i * 10_000 + i * 10, 'c1', `p1-${i}`));
      ops.push(recv(i * 10_000 + 5_000, 'c2', `p1-${i}`, { group: 'other' })); // later deliveries do not count
    }
    const latency = check(ops).latency;
    expect(latency).toEqual({ count: 100, mean: 505, p50: 500, p90: 900, p99: 990, p999: 1000, max: 1000 });
  });

  it('handles latencies of hours, to 3 significant digits', () => {
    const twoHours = 7_200_000_000;
    const latency = check([invoke(0, 'p1-0'), recv(twoHours, 'c1', 'p1-0'), invoke(0, 'p1-1'), recv(1_234_567, 'c1', 'p1-1')]).latency;
    expect(latency.max).toBe(twoHours);
    expect(latency.p99).toBe(twoHours); // capped at the exact max
    expect(Math.abs(latency.p50 - 1_234_567) / 1_234_567).toBeLessThan(0.001);
    expect(latency.mean).toBe((twoHours + 1_234_567) / 2);
  });

  it('is all zeros with no deliveries', () => {
    expect(check([]).latency).toEqual({ count: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
  });
});

describe('delay accuracy', () => {
  it('reports relative error, early deliveries and the worst examples', () => {
    const report = check([
      invoke(0, 'p1-0', { delay: 1_000 }),
      recv(1_000, 'c1', 'p1-0'), // on time: error 0
      invoke(0, 'p1-1', { delay: 1_000 }),
      recv(1_500, 'c1', 'p1-1'), // +50%
      invoke(0, 'p1-2', { delay: 1_000 }),
      recv(900, 'c1', 'p1-2', { queue: 'delay-q' }), // -10%: early
      invoke(0, 'p1-3', { delay: 1_000 }),
      recv(2_000, 'c1', 'p1-3'), // +100%
      invoke(0, 'p1-4'),
      recv(5_000, 'c1', 'p1-4'), // no delay requested: not judged
    ]);
    const delay = report.delay;
    expect(delay.count).toBe(4);
    expect(delay.early).toBe(1);
    expect(delay.max).toBe(1);
    expect(delay.min).toBe(-0.1);
    expect(delay.p50).toBe(0);
    expect(delay.p99).toBe(1);
    expect(delay.worst.map((e) => e.msg)).toEqual(['p1-3', 'p1-1', 'p1-2']);
    expect(delay.worst[2]!.description).toBe('p1-2 sent by p1 with a 1ms delay, delivered to c1 after 900us at 0.001s (10% early)');
    expect(delay.worst[2]!.ops).toEqual([4, 5]);
    expect(delay.worst[2]!.queue).toBe('delay-q');
  });

  it('takes the requested delay from the send ok too, and handles hours', () => {
    const report = check([invoke(0, 'p1-0'), ok(10, 'p1-0', { delay: 3_600_000_000 }), recv(7_200_000_000, 'c1', 'p1-0')]);
    expect(report.delay).toMatchObject({ count: 1, early: 0, max: 1, min: 1, p50: 1, p99: 1 });
    expect(report.delay.worst[0]!.description).toBe('p1-0 sent by p1 with a 1h delay, delivered to c1 after 2h at 7200.000s (100% late)');
  });
});

describe('backlog', () => {
  it('tracks acked-or-unknown undelivered messages, its max at every change, and samples', () => {
    const history = new History();
    const suite = new CheckerSuite(history);
    const record = (ops: NewHistoryOp[]) => ops.forEach((op) => history.record(op));
    record([...sent(0, 'p1-0'), ...sent(0, 'p1-1'), ...sent(0, 'p1-2')]);
    suite.sample(100);
    record([invoke(150, 'p1-3'), info(160, 'p1-3')]); // unknown counts: backlog 4 (the max, never sampled)
    record([recv(200, 'c1', 'p1-0'), recv(201, 'c1', 'p1-1'), recv(202, 'c2', 'p1-1')]);
    suite.sample(300);
    record([invoke(310, 'p1-4')]); // pending: not backlog yet
    record([invoke(320, 'p1-5'), ok(330, 'p1-5'), fail(340, 'p1-5')]); // contradictory fail: leaves the backlog
    record([recv(400, 'c1', 'p1-3')]);
    suite.sample(500);
    const report = suite.finish(600);
    expect(report.backlog).toEqual({
      max: 4,
      final: 1,
      series: [
        { time: 100, backlog: 3 },
        { time: 300, backlog: 2 },
        { time: 500, backlog: 1 },
      ],
    });
    expect(suite.currentBacklog).toBe(1);
  });
});

describe('CheckerSuite', () => {
  it('counts sends and deliveries, and reports every anomaly', () => {
    const report = check([
      ...sent(0, 'p1-0'),
      invoke(1, 'p1-1'),
      fail(2, 'p1-1'),
      invoke(3, 'p1-2'),
      info(4, 'p1-2'),
      { time: 5, process: 'c1', type: 'invoke', f: 'receive' }, // ignored
      recv(6, 'c1', 'p1-0'),
      recv(7, 'c1', 'p1-0'),
      { time: 8, process: 'c1', type: 'ok', f: 'commit', queue: 'q', offset: 1 },
      { time: 9, process: 'c1', type: 'ok', f: 'ack', msg: 'p1-0' },
    ]);
    expect(report.counts).toEqual({
      sent: 3,
      acked: 1,
      failed: 1,
      unknown: 1,
      delivered: 1,
      deliveries: 2,
      lostAcked: 0,
      unseen: 1,
      stillQueued: 0,
      duplicateDeliveries: 1,
      duplicatedMessages: 1,
      reorders: 0,
      pollSkips: 0,
      nonmonotonicPolls: 0,
      nonmonotonicSends: 0,
      failedButDelivered: 0,
      unknownDelivered: 0,
      abortedReads: 0,
      nonAtomicReads: 0,
    });
    expect(Object.keys(report.anomalies)).toEqual(['lost-write', 'duplicate', 'poll-skip', 'nonmonotonic-poll', 'nonmonotonic-send', 'reorder', 'unseen', 'aborted-read', 'non-atomic-read']);
  });

  it('the final read: acked, undelivered messages still stored are backlog (stillQueued), the others lost', () => {
    const suite = new CheckerSuite();
    for (const op of History.from([...sent(0, 'p1-0'), ...sent(1, 'p1-1'), ...sent(2, 'p1-2'), recv(5, 'c1', 'p1-0')]).ops) suite.observe(op);
    const withoutRead = suite.finish(10);
    expect([withoutRead.counts.lostAcked, withoutRead.counts.stillQueued, withoutRead.counts.unseen]).toEqual([2, 0, 2]);
    const withRead = suite.finish(10, new Set(['p1-2']));
    expect([withRead.counts.lostAcked, withRead.counts.stillQueued, withRead.counts.unseen]).toEqual([1, 1, 2]);
    expect(withRead.anomalies['lost-write'].examples.map((e) => e.msg)).toEqual(['p1-1']);
    expect(withRead.anomalies.unseen.examples[1]!.description).toMatch(/p1-2 .* never delivered \(still queued at the end\)$/);
  });

  it('counts the acked backlog apart from sends of unknown outcome', () => {
    const suite = new CheckerSuite();
    const ops = History.from([
      ...sent(0, 'p1-0'), // acked
      invoke(1, 'p1-1'), info(2, 'p1-1'), // unknown
      invoke(3, 'p1-2'), info(4, 'p1-2'), ok(5, 'p1-2'), // unknown, then acked after all
      invoke(6, 'p1-3'), ok(7, 'p1-3'), fail(8, 'p1-3'), // acked then failed: out
    ]).ops;
    const seen: number[] = [];
    for (const op of ops) {
      suite.observe(op);
      seen.push(suite.ackedBacklog);
    }
    expect(seen).toEqual([0, 1, 1, 1, 1, 1, 2, 2, 3, 2]);
    expect(suite.currentBacklog).toBe(3);
    suite.observe({ ...recv(9, 'c1', 'p1-2'), index: 99 });
    expect(suite.ackedBacklog).toBe(1);
  });

  it('finish is repeatable and the report is deterministic', () => {
    const ops = [...sent(0, 'p1-0'), ...sent(0, 'p1-1'), recv(5, 'c1', 'p1-1', { key: 'k' }), recv(6, 'c1', 'p1-0', { key: 'k' })];
    const history = History.from(ops);
    const suite = new CheckerSuite();
    for (const op of history.ops) suite.observe(op);
    const first = suite.finish(10);
    expect(suite.finish(10)).toEqual(first);
    expect(check(ops, 10)).toEqual(first);
    expect(first.counts.reorders).toBe(1);
  });
});

// ---- properties ---------------------------------------------------------------------------------

/** A small deterministic shuffle (the property's order comes from fast-check's seed). */
function shuffle<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0 || 1;
  for (let i = items.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

describe('properties', () => {
  const GROUPS = ['A', 'B', 'C'];
  const messageSpec = fc.record({
    producer: fc.constantFrom('p1', 'billing-p2', 'p-3'),
    acked: fc.boolean(), // else the send's outcome is unknown (info)
    copies: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: GROUPS.length, maxLength: GROUPS.length }),
    dropped: fc.boolean(),
  });

  it('duplicates = sum(k - 1), lostAcked = acked among the dropped, unseen = dropped', () => {
    fc.assert(
      fc.property(fc.array(messageSpec, { maxLength: 40 }), fc.integer(), fc.boolean(), (specs, seed, dropSome) => {
        const nextSeq = new Map<string, number>();
        const invokes: NewHistoryOp[] = [];
        const rest: NewHistoryOp[] = [];
        let expectedDuplicates = 0;
        let expectedPairs = 0;
        let expectedLost = 0;
        let expectedUnseen = 0;
        let expectedDelivered = 0;
        for (const spec of specs) {
          const seq = nextSeq.get(spec.producer) ?? 0;
          nextSeq.set(spec.producer, seq + 1);
          const msg = `${spec.producer}-${seq}`;
          invokes.push(invoke(0, msg));
          rest.push(spec.acked ? ok(1, msg) : info(1, msg));
          if (dropSome && spec.dropped) {
            expectedUnseen++;
            if (spec.acked) expectedLost++;
            continue;
          }
          expectedDelivered++;
          spec.copies.forEach((k, g) => {
            for (let i = 0; i < k; i++) rest.push(recv(2, `${GROUPS[g]}-c1`, msg, { group: GROUPS[g]! }));
            expectedDuplicates += k - 1;
            if (k > 1) expectedPairs++;
          });
        }
        // Outcomes and deliveries interleave freely: an ok may be recorded after a delivery.
        const report = check([...invokes, ...shuffle(rest, seed)]);
        expect(report.counts.duplicateDeliveries).toBe(expectedDuplicates);
        expect(report.counts.duplicatedMessages).toBe(expectedPairs);
        expect(report.counts.lostAcked).toBe(expectedLost);
        expect(report.counts.unseen).toBe(expectedUnseen);
        expect(report.counts.delivered).toBe(expectedDelivered);
        expect(report.counts.reorders).toBe(0); // no keys
        expect(report.backlog.final).toBe(expectedUnseen);
        expect(report.latency.count).toBe(expectedDelivered);
      }),
    );
  });

  it('per-key reorders equal the late messages of a shuffled delivery order', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('k1', 'k2', 'k3'), { maxLength: 40 }), fc.integer(), (keys, seed) => {
        const sends = keys.flatMap((_, seq) => sent(seq, `p1-${seq}`));
        const order = shuffle(keys.map((key, seq) => ({ key, seq })), seed);
        // Reference: a message is late when a higher seq with its key came before it.
        const maxSeen = new Map<string, number>();
        let expected = 0;
        for (const { key, seq } of order) {
          if ((maxSeen.get(key) ?? -1) > seq) expected++;
          else maxSeen.set(key, seq);
        }
        const report = check([...sends, ...order.map(({ key, seq }, i) => recv(1_000 + i, 'c1', `p1-${seq}`, { key }))]);
        expect(report.counts.reorders).toBe(expected);
      }),
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consistentHashKey, messageQueueToString } from '../../models/rocketmq/allocate.js';
import { allocateMessageQueues, type AllocateStrategy, type MessageQueue } from '../../models/rocketmq/public.js';

const STRATEGIES: readonly AllocateStrategy[] = ['averagely', 'averagely-by-circle', 'consistent-hash'];

function queues(count: number, topic = 'topic', brokerName = 'brokerName'): MessageQueue[] {
  return Array.from({ length: count }, (_, queueId) => ({ topic, brokerName, queueId }));
}

function cids(count: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

/** Every client's share, as queue ids, keyed by client id. */
function shares(
  strategy: AllocateStrategy,
  mqAll: readonly MessageQueue[],
  cidAll: readonly string[],
  virtualNodeCnt?: number,
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const currentCid of cidAll) {
    const input = { consumerGroup: 'group', currentCid, mqAll, cidAll, ...(virtualNodeCnt === undefined ? {} : { virtualNodeCnt }) };
    out.set(currentCid, allocateMessageQueues(strategy, input).map((mq) => mq.queueId));
  }
  return out;
}

/** queue id -> the client that took it. */
function owners(share: Map<string, number[]>): Map<number, string> {
  const out = new Map<number, string>();
  for (const [cid, ids] of share) for (const id of ids) out.set(id, cid);
  return out;
}

describe('allocateMessageQueues: averagely', () => {
  it('gives 8 queues to 3 consumers as contiguous blocks of 3, 3, 2', () => {
    expect([...shares('averagely', queues(8), cids(3, 'c')).values()]).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7],
    ]);
  });

  it("gives 10 queues to 4 consumers as 3, 3, 2, 2 (RocketMQ's AllocateMessageQueueAveragelyTest)", () => {
    expect([...shares('averagely', queues(10), cids(4, 'CID_PREFIX')).values()]).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7],
      [8, 9],
    ]);
  });

  it('leaves the consumers beyond the queue count idle', () => {
    expect([...shares('averagely', queues(2), cids(4, 'c')).values()]).toEqual([[0], [1], [], []]);
    expect([...shares('averagely', queues(3), cids(3, 'c')).values()]).toEqual([[0], [1], [2]]);
  });

  it('uses the lists in the order given (sorting is the caller’s job)', () => {
    const share = shares('averagely', queues(4), ['z', 'a']);
    expect(share.get('z')).toEqual([0, 1]);
    expect(share.get('a')).toEqual([2, 3]);
  });

  it('returns the queue objects themselves', () => {
    const mqAll = queues(3);
    const [first] = allocateMessageQueues('averagely', { consumerGroup: 'g', currentCid: 'c0', mqAll, cidAll: ['c0'] });
    expect(first).toBe(mqAll[0]);
  });
});

describe('allocateMessageQueues: averagely-by-circle', () => {
  it('deals 8 queues to 3 consumers round robin: every 3rd queue', () => {
    expect([...shares('averagely-by-circle', queues(8), cids(3, 'c')).values()]).toEqual([
      [0, 3, 6],
      [1, 4, 7],
      [2, 5],
    ]);
  });

  it("deals 10 queues to 4 consumers as RocketMQ's AllocateMessageQueueAveragelyByCircleTest expects", () => {
    expect([...shares('averagely-by-circle', queues(10), cids(4, 'CID_PREFIX')).values()]).toEqual([
      [0, 4, 8],
      [1, 5, 9],
      [2, 6],
      [3, 7],
    ]);
  });

  it('leaves the consumers beyond the queue count idle', () => {
    expect([...shares('averagely-by-circle', queues(2), cids(4, 'c')).values()]).toEqual([[0], [1], [], []]);
  });
});

describe('allocateMessageQueues: consistent-hash', () => {
  it("hashes like ConsistentHashRouter's MD5Hash: the digest's first 4 bytes, big-endian, unsigned", () => {
    // Values computed with the JDK (MessageDigest MD5 over String.getBytes(), first four bytes
    // folded into a long).
    expect(consistentHashKey('CID-0-0')).toBe(1900518137);
    expect(consistentHashKey('CID-0-9')).toBe(3805469345);
    expect(consistentHashKey('')).toBe(3558706393);
    expect(consistentHashKey('caf\u00e9')).toBe(118587364);
    // An unpaired surrogate is written as '?' by Java's encoder.
    expect(consistentHashKey('\uD800x')).toBe(1795076976);
    expect(consistentHashKey('?x')).toBe(1795076976);
    const mq = { topic: 'topic_test', brokerName: 'brokerName', queueId: 0 };
    expect(messageQueueToString(mq)).toBe('MessageQueue [topic=topic_test, brokerName=brokerName, queueId=0]');
    expect(consistentHashKey(messageQueueToString(mq))).toBe(2171879703);
  });

  it('allocates exactly as a JDK TreeMap ring of the same keys does', () => {
    // Expected shares computed with the JDK: TreeMap<Long, cid> of `${cid}-${i}` points, each
    // queue routed by MessageQueue.toString() to the first point at or after its hash.
    const mqAll = queues(6, 'topic_test');
    expect(Object.fromEntries(shares('consistent-hash', mqAll, ['CID-0', 'CID-1', 'CID-2']))).toEqual({
      'CID-0': [1],
      'CID-1': [2],
      'CID-2': [0, 3, 4, 5],
    });
    expect(Object.fromEntries(shares('consistent-hash', mqAll, ['CID-1', 'CID-2']))).toEqual({
      'CID-1': [1, 2],
      'CID-2': [0, 3, 4, 5],
    });
    const clients = ['192.168.0.1@1', '192.168.0.2@1', '192.168.0.3@1'];
    expect(Object.fromEntries(shares('consistent-hash', queues(8, 'TopicTest', 'broker-a'), clients))).toEqual({
      '192.168.0.1@1': [2, 5, 6],
      '192.168.0.2@1': [1, 7],
      '192.168.0.3@1': [0, 3, 4],
    });
    expect(Object.fromEntries(shares('consistent-hash', queues(20, 'topic_test'), cids(4, 'CID-'), 3))).toEqual({
      'CID-0': [3, 5, 8, 18, 19],
      'CID-1': [2, 12],
      'CID-2': [4, 14, 16],
      'CID-3': [0, 1, 6, 7, 9, 10, 11, 13, 15, 17],
    });
  });

  it('moves only the leaving consumer’s queues, and only to the joining one', () => {
    const mqAll = queues(20, 'topic_test');
    const before = owners(shares('consistent-hash', mqAll, cids(5, 'CID-')));
    const left = owners(shares('consistent-hash', mqAll, cids(5, 'CID-').slice(1)));
    for (const [queueId, owner] of before) if (owner !== 'CID-0') expect(left.get(queueId)).toBe(owner);
    const joined = owners(shares('consistent-hash', mqAll, [...cids(5, 'CID-').slice(1), 'CID-NEW']));
    for (const [queueId, owner] of joined) if (owner !== 'CID-NEW') expect(owner).toBe(left.get(queueId));
  });

  it('gives nothing to anyone with no virtual nodes, and rejects a negative count', () => {
    const input = { consumerGroup: 'g', currentCid: 'c0', mqAll: queues(4), cidAll: ['c0'], virtualNodeCnt: 0 };
    expect(allocateMessageQueues('consistent-hash', input)).toEqual([]);
    expect(() => allocateMessageQueues('consistent-hash', { ...input, virtualNodeCnt: -1 })).toThrow(
      'illegal virtualNodeCnt :-1',
    );
  });

  it('numbers a repeated client id’s second set of points after its first', () => {
    // JDK-computed: CID-0 listed twice with 2 virtual nodes owns points CID-0-0 .. CID-0-3.
    expect(Object.fromEntries(shares('consistent-hash', queues(6, 'topic_test'), ['CID-0', 'CID-0', 'CID-1'], 2))).toEqual({
      'CID-0': [0, 3, 5],
      'CID-1': [1, 2, 4],
    });
  });
});

describe('allocateMessageQueues: bad input', () => {
  const good = { consumerGroup: 'g', currentCid: 'c0', mqAll: queues(3), cidAll: ['c0', 'c1'] };

  it.each(STRATEGIES)("throws RocketMQ's messages (%s)", (strategy) => {
    expect(() => allocateMessageQueues(strategy, { ...good, currentCid: '' })).toThrow('currentCID is empty');
    expect(() => allocateMessageQueues(strategy, { ...good, mqAll: [] })).toThrow('mqAll is null or mqAll empty');
    expect(() => allocateMessageQueues(strategy, { ...good, cidAll: [] })).toThrow('cidAll is null or cidAll empty');
    // The checks run in that order.
    expect(() => allocateMessageQueues(strategy, { ...good, currentCid: '', mqAll: [], cidAll: [] })).toThrow(
      'currentCID is empty',
    );
    expect(() => allocateMessageQueues(strategy, { ...good, mqAll: [], cidAll: [] })).toThrow('mqAll is null or mqAll empty');
  });

  it.each(STRATEGIES)('gives nothing to a client not in cidAll (%s)', (strategy) => {
    expect(allocateMessageQueues(strategy, { ...good, currentCid: 'stranger' })).toEqual([]);
  });
});

describe('allocateMessageQueues: properties', () => {
  const group = fc.record({
    queueCount: fc.integer({ min: 1, max: 40 }),
    clients: fc.uniqueArray(fc.stringMatching(/^[0-9a-z@.:-]{1,12}$/), { minLength: 1, maxLength: 12 }),
  });

  it.each(STRATEGIES)('gives each queue to exactly one client (%s)', (strategy) => {
    fc.assert(
      fc.property(group, ({ queueCount, clients }) => {
        const mqAll = queues(queueCount, 'T', 'broker-a');
        const taken = [...shares(strategy, mqAll, clients).values()].flat().sort((a, b) => a - b);
        expect(taken).toEqual(mqAll.map((mq) => mq.queueId));
      }),
      { numRuns: 150 },
    );
  });

  it.each(['averagely', 'averagely-by-circle'] as const)('keeps shares within one of each other (%s)', (strategy) => {
    fc.assert(
      fc.property(group, ({ queueCount, clients }) => {
        const sizes = [...shares(strategy, queues(queueCount), clients).values()].map((s) => s.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('consistent-hash: a leaving client’s queues are the only ones that move', () => {
    fc.assert(
      fc.property(group, fc.nat(), ({ queueCount, clients }, pick) => {
        fc.pre(clients.length >= 2);
        const mqAll = queues(queueCount, 'T', 'broker-a');
        const gone = clients[pick % clients.length]!;
        const before = owners(shares('consistent-hash', mqAll, clients));
        const after = owners(shares('consistent-hash', mqAll, clients.filter((c) => c !== gone)));
        for (const [queueId, owner] of before) if (owner !== gone) expect(after.get(queueId)).toBe(owner);
      }),
      { numRuns: 100 },
    );
  });
});

import { describe, expect, test } from 'vitest';
import { coordinatorPartition } from '../../models/kafka/coordinator.js';
import { readTransactionLog, encodeMetadata, encodeTombstone } from '../../models/kafka/coordinator/transaction/transaction-state-manager.js';
import { addPending, applyCommit, completeTxn, hasPending, replayTxnOffsets, type PendingTxnOffsets } from '../../models/kafka/group-txn-offsets.js';
import type { LogRecord } from '../../models/kafka/protocol.js';
import { at, earliest, runKafka } from '../kafka-helpers.js';

/** Kafka exactly-once (KIP-98, KIP-447, KIP-664): transactional offset commits, the exactly_once_v2 pipeline, transactional.id expiry. */

let offset = 0;
const record = (msg: string, pid = -1): LogRecord => ({ offset: offset++, epoch: 0, msg, key: 'k', bytes: 10, pid, seq: -1, batchFirst: -1, last: true, time: 0 });
const marker = (pid: number, control: 'COMMIT' | 'ABORT'): LogRecord => ({ offset: offset++, epoch: 0, msg: '', key: undefined, bytes: 6, pid, seq: -1, batchFirst: -1, last: true, time: 0, producerEpoch: 0, control });

describe('transactional offsets on the group coordinator', () => {
  test('pending per producer id: COMMIT makes them the committed offsets, ABORT drops them', () => {
    const pending: PendingTxnOffsets = new Map();
    const committed = { offsets: new Map<string, number>([['in-0', 5]]), order: new Map<string, number>([['in-0', 1]]) };
    addPending(pending, 7, [{ partition: 'in-0', offset: 10 }, { partition: 'in-1', offset: 3 }], 2);
    addPending(pending, 8, [{ partition: 'in-2', offset: 4 }], 3);
    expect(hasPending(pending, 'in-0')).toBe(true);
    expect(completeTxn(pending, committed, 8, false)).toBe(0);
    expect(hasPending(pending, 'in-2')).toBe(false);
    expect(committed.offsets.get('in-0')).toBe(5);
    expect(completeTxn(pending, committed, 7, true)).toBe(2);
    expect([...committed.offsets]).toEqual([['in-0', 10], ['in-1', 3]]);
    expect(hasPending(pending, 'in-0')).toBe(false);
  });

  test('a COMMIT does not undo a plain commit written after the transactional offset', () => {
    const pending: PendingTxnOffsets = new Map();
    const committed = { offsets: new Map<string, number>(), order: new Map<string, number>() };
    addPending(pending, 7, [{ partition: 'in-0', offset: 10 }], 4);
    applyCommit(committed, [{ partition: 'in-0', offset: 12 }], 5);
    expect(completeTxn(pending, committed, 7, true)).toBe(0);
    expect(committed.offsets.get('in-0')).toBe(12);
  });

  test('a coordinator that loads the partition replays transactional offsets and markers in log order', () => {
    offset = 0;
    const records = [
      record('O|g|in-0|1'),
      record('T|g|in-0|5|7', 7),
      record('T|g|in-1|9|8', 8),
      record('O|g|in-1|2'), // a plain commit written after 8's transactional offset for in-1
      marker(7, 'COMMIT'),
      record('T|g|in-2|4|9', 9),
      marker(9, 'ABORT'),
      record('T|g|in-3|6|10', 10),
      record('O|g|in-3|8'), // newer than 10's offset: 10's COMMIT leaves it
      marker(10, 'COMMIT'),
    ];
    const offsets = new Map<string, Map<string, number>>([['g', new Map([['in-0', 1], ['in-1', 2], ['in-3', 8]])]]);
    const { pending } = replayTxnOffsets(records, offsets);
    expect([...offsets.get('g')!].sort()).toEqual([['in-0', 5], ['in-1', 2], ['in-3', 8]]);
    expect([...pending.get('g')!.keys()]).toEqual([8]);
    expect(hasPending(pending.get('g')!, 'in-1')).toBe(true);
  });

  test('an expired transactional.id\'s tombstone removes it when __transaction_state is read back', () => {
    offset = 0;
    const meta = { transactionalId: 'tx', producerId: 3, producerEpoch: 1, timeoutMs: 10_000, state: 'CompleteCommit' as const, partitions: [], startTime: 0 };
    const write = (kv: { key: string; msg: string }): LogRecord => ({ ...record(kv.msg), key: kv.key });
    expect(readTransactionLog([write(encodeMetadata(meta))]).has('tx')).toBe(true);
    expect(readTransactionLog([write(encodeMetadata(meta)), write(encodeTombstone('tx'))]).has('tx')).toBe(false);
  });
});

const pipelineRun = (guarantee: 'exactly_once_v2' | 'at_least_once') => ({
  duration: '6s', drain: '10s',
  cluster: { brokers: 3, config: { 'transaction.state.log.num.partitions': 1, 'offsets.topic.num.partitions': 3 } },
  topics: [{ name: 'input', partitions: 2, replicationFactor: 3 }, { name: 'output', partitions: 2, replicationFactor: 3 }],
  network: { latency: { uniform: ['1ms', '3ms'] } },
  workload: {
    producers: [{ id: 'p1', topic: 'input', rate: '100/s', count: 300, keys: 20 }],
    consumers: [
      { group: 'pipeline', topic: 'input', mode: 'subscribe', count: 2, processing: '2ms', pipeline: { output: 'output', 'processing.guarantee': guarantee }, config: earliest },
      { group: 'audit', topic: 'output', config: { ...earliest, 'isolation.level': 'read_committed' } },
    ],
  },
});

describe('exactly_once_v2 pipeline', () => {
  test('offsets go through the transaction: the group\'s committed offsets reach the end of input, every record is in output once', () => {
    const { model, world } = runKafka(pipelineRun('exactly_once_v2'));
    const committed = model.committed('pipeline');
    expect((committed.get('input-0') ?? 0) + (committed.get('input-1') ?? 0)).toBe(300);
    // No plain OffsetCommit: the offsets became committed through COMMIT markers on __consumer_offsets.
    const sends = world.history.ops.filter((op) => op.f === 'send' && op.type === 'ok').length;
    expect(sends).toBe(300);
    const audit = world.history.ops.filter((op) => op.f === 'receive' && op.group === 'audit');
    expect(audit).toHaveLength(300);
    expect(new Set(audit.map((op) => op.msg)).size).toBe(300);
    expect(model.stats.transactionsCommitted).toBeGreaterThan(0);
    // Each committed pipeline transaction wrote output records and the group's offsets: markers on both.
    const pipelineTxns = world.history.ops.filter((op) => op.f === 'txn' && op.type === 'ok' && op.process.startsWith('pipeline-'));
    expect(pipelineTxns.length).toBe(model.stats.transactionsCommitted);
  });

  test('at_least_once commits with OffsetCommit after flush: the same records reach output, no transaction', () => {
    const { model, world } = runKafka(pipelineRun('at_least_once'));
    expect(model.stats.transactionsCommitted).toBe(0);
    const committed = model.committed('pipeline');
    expect((committed.get('input-0') ?? 0) + (committed.get('input-1') ?? 0)).toBe(300);
    expect(world.history.ops.filter((op) => op.f === 'receive' && op.group === 'audit')).toHaveLength(300);
  });
});

describe('TxnOffsetCommit fencing (KIP-447) and require_stable (UNSTABLE_OFFSET_COMMIT)', () => {
  test('an older generation and an unknown member are refused; a pending offset holds a new owner\'s OffsetFetch until its COMMIT marker', () => {
    const offsetsPartition = coordinatorPartition('g', 3);
    let coordinator = '';
    const { model, world } = runKafka({
      duration: '12s', drain: '5s',
      cluster: { brokers: 3, config: { 'transaction.state.log.num.partitions': 1, 'offsets.topic.num.partitions': 3 } },
      topics: [{ name: 'orders', partitions: 2, replicationFactor: 3 }],
      network: { latency: { uniform: ['1ms', '3ms'] } },
      workload: {
        producers: [{ id: 'p1', topic: 'orders', rate: '50/s', keys: 20 }],
        consumers: [
          { group: 'g', topic: 'orders', mode: 'subscribe', config: { ...earliest, 'enable.auto.commit': false } },
          { group: 'g', topic: 'orders', mode: 'subscribe', start: '6s', config: { ...earliest, 'enable.auto.commit': false } },
        ],
      },
    }, {
      probe: (world, model) => {
        at(world, 4_000_000, () => {
          const view = model.groups()['g']!;
          coordinator = view.coordinator;
          const member = Object.keys(view.members)[0]!;
          const broker = model.broker(coordinator)!;
          const base = { type: 'TxnOffsetCommit' as const, transactionalId: 'zombie-tx', groupId: 'g', producerId: 999, producerEpoch: 0, groupInstanceId: null, offsets: [{ partition: 'orders-0', offset: 3 }] };
          // A zombie of an older generation, and a member the group does not have: refused.
          broker.receive('g-c1', { ...base, generationId: view.generation - 1, memberId: member, id: 1 });
          broker.receive('g-c1', { ...base, generationId: view.generation, memberId: 'gone-1', id: 2 });
          // The current member: written, pending for producer 999 (whose transaction never ends here).
          broker.receive('g-c1', { ...base, generationId: view.generation, memberId: member, id: 3 });
        });
        // After the second consumer joined (6 s) and was refused orders-0's offset for a while:
        // the transaction's COMMIT marker on the group's __consumer_offsets partition.
        at(world, 9_000_000, () => {
          const leader = model.state().partitions[`__consumer_offsets-${offsetsPartition}`]!.leader!;
          model.broker(leader)!.receive('broker-1', { type: 'WriteTxnMarkers', producerId: 999, producerEpoch: 0, committed: true, coordinatorEpoch: 0, partitions: [`__consumer_offsets-${offsetsPartition}`], id: 77 });
        });
      },
    });
    expect(coordinator).not.toBe('');
    expect(model.stats.txnOffsetCommitsFenced).toBe(2);
    expect(model.stats.unstableOffsetFetches).toBeGreaterThan(0);
    // Whoever owns orders-0 after the rebalance (6 s) is told UNSTABLE_OFFSET_COMMIT and reads
    // nothing from it until the COMMIT marker (9 s); then it starts from the committed offset,
    // which is the members' own later OffsetCommit (newer than the transactional one).
    const orders0 = world.history.ops.filter((op) => op.f === 'receive' && op.queue === 'orders-0');
    expect(orders0.filter((op) => op.time > 6_500_000 && op.time < 9_000_000)).toHaveLength(0);
    const resumed = orders0.filter((op) => op.time > 9_000_000);
    expect(resumed.length).toBeGreaterThan(0);
    const before = orders0.filter((op) => op.time < 9_000_000);
    expect(resumed[0]!.offset).toBeGreaterThan(3);
    expect(resumed[0]!.offset).toBeLessThanOrEqual(before[before.length - 1]!.offset! + 1);
  });
});

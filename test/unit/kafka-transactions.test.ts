import { describe, expect, test } from 'vitest';
import { TransactionIndex } from '../../models/kafka/broker/transaction-index.js';
import { ProducerStateManager } from '../../models/kafka/broker/producer-state-manager.js';
import { AbortedFilter } from '../../models/kafka/consumer.js';
import { readTransactionLog, validTransition } from '../../models/kafka/coordinator/transaction/transaction-state-manager.js';
import { TRANSACTION_STATE_TOPIC } from '../../models/kafka/coordinator/transaction/transaction-coordinator.js';
import type { LogRecord } from '../../models/kafka/protocol.js';
import { CheckerSuite } from '../../sim/checkers/index.js';
import { History, type HistoryOp, type NewHistoryOp } from '../../sim/history.js';
import { at, earliest, runKafka } from '../kafka-helpers.js';

/** Kafka transactions (KIP-98, KIP-890): markers, LSO, read_committed, the coordinator, fencing, the aborted-read checker. */

let offset = 0;
const data = (pid: number, txn = true, epoch = 0): LogRecord => ({
  offset: offset++, epoch: 0, msg: `m${offset}`, key: undefined, bytes: 10, pid, seq: offset, batchFirst: offset, last: true, time: 0,
  producerEpoch: epoch, ...(txn ? { txn: true as const } : {}),
});
const marker = (pid: number, control: 'COMMIT' | 'ABORT', epoch = 0): LogRecord => ({
  offset: offset++, epoch: 0, msg: '', key: undefined, bytes: 6, pid, seq: -1, batchFirst: -1, last: true, time: 0, producerEpoch: epoch, control,
});

describe('transaction index and last stable offset', () => {
  test('an open transaction holds the first unstable offset; its marker releases it; an ABORT enters the aborted index', () => {
    offset = 0;
    const index = new TransactionIndex();
    const records = [data(1), data(2), data(1), marker(1, 'ABORT'), data(-1, false), marker(2, 'COMMIT')];
    const unstable: number[] = [];
    for (const r of records) {
      index.update(r);
      unstable.push(index.firstUnstableOffset);
    }
    expect(unstable).toEqual([0, 0, 0, 1, 1, Number.POSITIVE_INFINITY]);
    expect(index.aborted).toEqual([{ producerId: 1, firstOffset: 0, lastOffset: 3 }]);
    expect(index.abortedIn(0, 6)).toEqual([{ producerId: 1, firstOffset: 0 }]);
    expect(index.abortedIn(4, 6)).toEqual([]);
  });
});

describe('producer state: epochs', () => {
  test('a batch from an older epoch is fenced; a marker with a newer epoch bumps it; a new epoch starts at sequence 0', () => {
    const state = new ProducerStateManager();
    state.update({ ...data(7, true, 0), seq: 0, batchFirst: 0 });
    expect(state.check(7, 1, 1, 0)).toEqual({ kind: 'append' });
    state.update(marker(7, 'ABORT', 1));
    expect(state.check(7, 1, 1, 0)).toEqual({ kind: 'fenced', currentEpoch: 1 });
    expect(state.check(7, 0, 0, 1)).toEqual({ kind: 'append' });
    expect(state.check(7, 0, 0, 2)).toEqual({ kind: 'append' });
    expect(state.check(7, 3, 3, 2).kind).toBe('out-of-order');
  });
});

describe('read_committed filtering (AbortedFilter)', () => {
  test('records of an aborted transaction are dropped, the same producer\'s later committed ones kept', () => {
    offset = 0;
    const records = [data(1), data(2), data(1), marker(1, 'ABORT'), data(1), data(2), marker(1, 'COMMIT'), marker(2, 'COMMIT')];
    const filter = new AbortedFilter([{ producerId: 1, firstOffset: 0 }]);
    const kept = records.filter((r) => !filter.skip(r) && r.control === undefined).map((r) => r.offset);
    expect(kept).toEqual([1, 4, 5]);
  });
});

describe('coordinator state log', () => {
  test('valid transitions follow TransactionState: Ongoing -> PrepareCommit -> CompleteCommit, never Empty -> PrepareCommit', () => {
    expect(validTransition('Ongoing', 'PrepareCommit')).toBe(true);
    expect(validTransition('PrepareCommit', 'CompleteCommit')).toBe(true);
    expect(validTransition('CompleteAbort', 'Ongoing')).toBe(true);
    expect(validTransition('Empty', 'PrepareCommit')).toBe(false);
    expect(validTransition('PrepareAbort', 'CompleteCommit')).toBe(false);
  });

  test('every state is written to __transaction_state before the coordinator acts: PrepareCommit precedes the markers, CompleteCommit follows them', () => {
    const { model, world } = runKafka({
      duration: '3s', drain: '5s',
      cluster: { brokers: 3, config: { 'transaction.state.log.num.partitions': 1 } },
      topics: [{ name: 'orders', partitions: 2, replicationFactor: 3 }],
      network: { latency: { uniform: ['1ms', '3ms'] } },
      workload: {
        producers: [{ id: 'p1', topic: 'orders', rate: '50/s', count: 20, keys: 10, transactions: { records: 10 }, config: { 'transactional.id': 'tx' } }],
        consumers: [{ group: 'g', topic: 'orders', config: { ...earliest, 'isolation.level': 'read_committed' } }],
      },
    });
    const leader = model.state().partitions[`${TRANSACTION_STATE_TOPIC}-0`]!.leader!;
    const log = model.broker(leader)!.inspect(`${TRANSACTION_STATE_TOPIC}-0`)!.log;
    const records = log.read(log.logStartOffset, log.logEndOffset, Number.POSITIVE_INFINITY);
    const states = records.map((r) => (JSON.parse(r.msg) as { state: string }).state);
    expect(states.filter((s, i) => s !== states[i - 1])).toEqual(['Empty', 'Ongoing', 'PrepareCommit', 'CompleteCommit', 'Ongoing', 'PrepareCommit', 'CompleteCommit']);
    expect(readTransactionLog(records).get('tx')!.state).toBe('CompleteCommit');
    // The markers: one COMMIT per partition per transaction, between PrepareCommit and CompleteCommit.
    for (const p of [0, 1]) {
      const l = model.broker(model.state().partitions[`orders-${p}`]!.leader!)!.inspect(`orders-${p}`)!.log;
      expect(l.read(0, l.logEndOffset, Number.POSITIVE_INFINITY).filter((r) => r.control === 'COMMIT')).toHaveLength(2);
    }
    expect(world.history.ops.filter((op) => op.f === 'txn' && op.type === 'ok')).toHaveLength(2);
  });
});

describe('LSO in a run', () => {
  test('while a transaction is open the LSO stays at its first record; read_committed reads nothing past it, read_uncommitted does', () => {
    const seen: { lso: number; hw: number }[] = [];
    const { world } = runKafka({
      duration: '10s', drain: '5s',
      cluster: { brokers: 3, config: { 'transaction.state.log.num.partitions': 1 } },
      topics: [{ name: 'orders', partitions: 1, replicationFactor: 3 }],
      network: { latency: { uniform: ['1ms', '3ms'] } },
      workload: {
        // 50 records in one transaction: open from 0 s to about 1 s.
        producers: [{ id: 'p1', topic: 'orders', rate: '50/s', count: 50, transactions: { records: 50 }, config: { 'transactional.id': 'tx' } }],
        consumers: [
          { group: 'committed', topic: 'orders', config: { ...earliest, 'isolation.level': 'read_committed' } },
          { group: 'uncommitted', topic: 'orders', config: earliest },
        ],
      },
    }, {
      probe: (world, model) => at(world, 600_000, () => {
        const leader = model.state().partitions['orders-0']!.leader!;
        const r = model.broker(leader)!.inspect('orders-0')!;
        seen.push({ lso: r.lso, hw: r.hw });
      }),
    });
    expect(seen[0]!.lso).toBe(0);
    expect(seen[0]!.hw).toBeGreaterThan(10);
    const receives = (group: string) => world.history.ops.filter((op) => op.f === 'receive' && op.group === group);
    expect(receives('uncommitted').filter((op) => op.time < 600_000).length).toBeGreaterThan(10);
    expect(receives('committed').filter((op) => op.time < 600_000)).toHaveLength(0);
    expect(receives('committed')).toHaveLength(50);
  });
});

describe('aborted-read checker', () => {
  const ops = (list: NewHistoryOp[]): HistoryOp[] => History.from(list).ops;
  const judge = (list: NewHistoryOp[]) => {
    const suite = new CheckerSuite();
    for (const op of ops(list)) suite.observe(op);
    return suite.finish(10_000_000);
  };
  const send = (type: 'invoke' | 'ok' | 'fail', msg: string, time: number): NewHistoryOp => ({ time, process: 'p1', type, f: 'send', msg, queue: 'q-0', txn: 'tx.1' });
  const receive = (msg: string, time: number): NewHistoryOp => ({ time, process: 'c1', type: 'ok', f: 'receive', msg, queue: 'q-0', offset: 0, group: 'g' });

  test('a receive of an aborted transaction\'s record counts, whether it comes before or after the abort', () => {
    const report = judge([send('invoke', 'p1-0', 0), send('invoke', 'p1-1', 1), receive('p1-0', 2), send('fail', 'p1-0', 3), send('fail', 'p1-1', 3), receive('p1-1', 4)]);
    expect(report.counts.abortedReads).toBe(2);
    expect(report.anomalies['aborted-read'].examples[0]!.description).toContain('of transaction tx.1');
  });

  test('non-atomic read: a group that read part of a committed transaction and never the rest', () => {
    const ok = (msg: string): NewHistoryOp => ({ time: 5, process: 'p1', type: 'ok', f: 'send', msg, queue: 'q-0', txn: 'tx.1' });
    const partial = judge([send('invoke', 'p1-0', 0), send('invoke', 'p1-1', 1), receive('p1-0', 2), ok('p1-0'), ok('p1-1')]);
    expect(partial.counts.nonAtomicReads).toBe(1);
    expect(partial.anomalies['non-atomic-read'].examples[0]!.description).toContain('read 1 of the 2 records of transaction tx.1');
    const whole = judge([send('invoke', 'p1-0', 0), send('invoke', 'p1-1', 1), receive('p1-0', 2), ok('p1-0'), ok('p1-1'), receive('p1-1', 6)]);
    expect(whole.counts.nonAtomicReads).toBe(0);
  });

  test('receives of committed records do not count', () => {
    const report = judge([send('invoke', 'p1-0', 0), receive('p1-0', 2), send('ok', 'p1-0', 3)]);
    expect(report.counts.abortedReads).toBe(0);
  });
});

describe('lag of a read_committed group', () => {
  test('is measured against the LSO: an open transaction is not lag for read_committed, it is for read_uncommitted', () => {
    const { result } = runKafka({
      duration: '8s', drain: '15s',
      cluster: { brokers: 3, config: { 'transaction.state.log.num.partitions': 1, 'offsets.topic.num.partitions': 1, 'group.initial.rebalance.delay.ms': 0 } },
      topics: [{ name: 'orders', partitions: 1, replicationFactor: 3 }],
      network: { latency: { uniform: ['1ms', '3ms'] } },
      workload: {
        // One transaction of 500 records at 100/s: open from 0 s to about 5 s.
        producers: [{ id: 'p1', topic: 'orders', rate: '100/s', count: 500, transactions: { records: 500 }, config: { 'transactional.id': 'tx' } }],
        consumers: [
          { group: 'rc', topic: 'orders', mode: 'subscribe', config: { ...earliest, 'isolation.level': 'read_committed', 'auto.commit.interval.ms': 500 } },
          { group: 'ru', topic: 'orders', mode: 'subscribe', processing: '20ms', config: { ...earliest, 'auto.commit.interval.ms': 500 } },
        ],
      },
    });
    const during = (name: string) => result.series[name]!.filter((p) => p.time > 2_000_000 && p.time < 4_500_000).map((p) => p.value);
    expect(during('lag.rc.orders-0').length).toBeGreaterThan(0);
    expect(Math.max(...during('lag.rc.orders-0'))).toBe(0);
    expect(Math.max(...during('lag.ru.orders-0'))).toBeGreaterThan(50);
  });
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckerSuite } from '../../sim/checkers/index.js';
import { History, type HistoryOp, type NewHistoryOp } from '../../sim/history.js';
import { EdnSyntaxError, kw, Keyword, readEdnAll, writeEdn } from '../../reports/edn.js';
import { fromJepsenHistory, jepsenHistoryEdn, jepsenHistoryJson, readJepsenEdn, toJepsenHistory, type JepsenOp } from '../../reports/jepsen-history.js';
import { mqsim } from '../cli-helpers.js';

function judge(ops: readonly NewHistoryOp[]) {
  const history = new History();
  const suite = new CheckerSuite(history);
  for (const op of ops) history.record({ ...op });
  return suite.finish(10_000_000).counts;
}

/**
 * A history with a lost write (p1-1: acked at offset 1, never delivered) and a duplicate (p1-0
 * delivered twice to the group), plus a failed send (p1-2) and one of unknown outcome (p1-3), two
 * sends of p1 in flight at once.
 */
const LOST_AND_DUPLICATE: NewHistoryOp[] = [
  { time: 0, process: 'p1', type: 'invoke', f: 'send', msg: 'p1-0', queue: 'orders-0', key: 'a' },
  { time: 5, process: 'p1', type: 'invoke', f: 'send', msg: 'p1-1', queue: 'orders-0', key: 'b' },
  { time: 10, process: 'p1', type: 'ok', f: 'send', msg: 'p1-0', queue: 'orders-0', offset: 0 },
  { time: 12, process: 'p1', type: 'ok', f: 'send', msg: 'p1-1', queue: 'orders-0', offset: 1 },
  { time: 20, process: 'p1', type: 'invoke', f: 'send', msg: 'p1-2', queue: 'orders-1' },
  { time: 25, process: 'p1', type: 'fail', f: 'send', msg: 'p1-2', queue: 'orders-1', error: 'NOT_LEADER' },
  { time: 30, process: 'p1', type: 'invoke', f: 'send', msg: 'p1-3', queue: 'orders-1' },
  { time: 40, process: 'p1', type: 'info', f: 'send', msg: 'p1-3', queue: 'orders-1', error: 'timeout' },
  { time: 50, process: 'c1', type: 'ok', f: 'receive', msg: 'p1-0', queue: 'orders-0', offset: 0, group: 'g' },
  { time: 60, process: 'c1', type: 'ok', f: 'receive', msg: 'p1-0', queue: 'orders-0', offset: 0, group: 'g', redelivered: true },
  { time: 70, process: 'p1', type: 'invoke', f: 'send', msg: 'p1-4', queue: 'orders-1' },
  { time: 80, process: 'p1', type: 'ok', f: 'send', msg: 'p1-4', queue: 'orders-1', offset: 0 },
  { time: 90, process: 'c1', type: 'ok', f: 'receive', msg: 'p1-4', queue: 'orders-1', offset: 0, group: 'g' },
];

function kept(ops: NewHistoryOp[]): HistoryOp[] {
  return History.from(ops).ops;
}

describe('EDN', () => {
  it('writes and reads back nil, booleans, numbers, strings with escapes, keywords, vectors, maps, sets', () => {
    const value = new Map<unknown, unknown>([
      [kw('type'), kw('ok')],
      [kw('value'), [[kw('send'), 3, [17, 42]], [kw('poll'), new Map([[0, [[1, 2]]]])]]],
      [kw('s'), 'a "quoted"\n\\ \u0001 é'],
      [kw('n'), null],
      [kw('b'), false],
      [kw('f'), 1.5],
      [kw('set'), new Set([1, 2])],
    ]);
    const text = writeEdn(value as never);
    expect(text).toContain(':type :ok');
    expect(text).toContain('[:send 3 [17 42]]');
    const [back] = readEdnAll(text);
    expect(back).toEqual(value);
    expect((back as Map<unknown, unknown>).get(kw('type'))).toBe(kw('ok'));
  });

  it('reads comments, commas, discards, lists and tagged literals as Jepsen writes them', () => {
    const values = readEdnAll('; a comment\n{:a 1, :b (1 2) #_ :gone :c #inst "2024-01-01"}\n[1N -2 3.0e1]');
    expect(values).toHaveLength(2);
    const map = values[0] as Map<unknown, unknown>;
    expect(map.get(kw('b'))).toEqual([1, 2]);
    expect(map.get(kw('c'))).toBe('2024-01-01');
    expect(values[1]).toEqual([1n, -2, 30]);
    expect(kw('x')).toBeInstanceOf(Keyword);
  });

  it('refuses broken input with the line and column', () => {
    expect(() => readEdnAll('{:a 1\n :b')).toThrow(EdnSyntaxError);
    expect(() => readEdnAll('[1 2')).toThrow(/missing \]/);
    expect(() => readEdnAll('{:a}')).toThrow(/1:1: a map needs an even number/);
    expect(() => readEdnAll('"abc')).toThrow(/unterminated string/);
  });
});

describe('the Jepsen Kafka history', () => {
  it('writes sends and polls as jepsen.tests.kafka does, with processes that are single-threaded and never reused after :info', () => {
    const jepsen = toJepsenHistory(kept(LOST_AND_DUPLICATE));
    expect(jepsen.keys).toEqual(['orders-0', 'orders-1']);
    expect(jepsen.values).toEqual(['p1-0', 'p1-1', 'p1-2', 'p1-3', 'p1-4']);
    const ops = jepsen.ops;
    // Two sends in flight at once: two processes.
    expect(ops[0]).toMatchObject({ type: 'invoke', f: 'send', process: 0, time: 0, value: [['send', 0, 0]], msg: 'p1-0' });
    expect(ops[1]).toMatchObject({ type: 'invoke', f: 'send', process: 1, time: 5000, value: [['send', 0, 1]] });
    expect(ops[2]).toMatchObject({ type: 'ok', process: 0, value: [['send', 0, [0, 0]]] });
    expect(ops[3]).toMatchObject({ type: 'ok', process: 1, value: [['send', 0, [1, 1]]] });
    expect(ops[5]).toMatchObject({ type: 'fail', f: 'send', value: [['send', 1, 2]], error: 'NOT_LEADER' });
    const info = ops.find((o) => o.type === 'info')!;
    expect(info).toMatchObject({ f: 'send', value: [['send', 1, 3]], error: 'timeout' });
    // The process that ended :info is crashed: later ops of p1 use other numbers.
    const later = ops.filter((o) => o.index > info.index && o.client === 'p1').map((o) => o.process);
    expect(later.length).toBeGreaterThan(0);
    expect(later).not.toContain(info.process);
    // Every process alternates invoke, completion.
    const open = new Map<number, JepsenOp>();
    for (const op of ops) {
      if (op.type === 'invoke') {
        expect(open.has(op.process)).toBe(false);
        open.set(op.process, op);
      } else {
        expect(open.get(op.process)?.f).toBe(op.f);
        open.delete(op.process);
      }
    }
    // A delivery is a poll: invoke [[:poll]], ok [[:poll {k [[offset v]]}]].
    const polls = ops.filter((o) => o.f === 'poll');
    expect(polls).toHaveLength(6);
    expect(polls[0]).toMatchObject({ type: 'invoke', value: [['poll']], client: 'c1', group: 'g' });
    expect(polls[1]!.value).toEqual([['poll', new Map([[0, [[0, 0]]]])]]);
    expect(ops.map((o) => o.index)).toEqual(ops.map((_, i) => i));
    expect(ops.map((o) => o.time)).toEqual([...ops.map((o) => o.time)].sort((a, b) => a - b));
  });

  it('round-trips through EDN and JSON: the lost write and the duplicate are found again by the same checkers', () => {
    const original = judge(LOST_AND_DUPLICATE);
    expect(original.lostAcked).toBe(1);
    expect(original.duplicateDeliveries).toBe(1);
    const jepsen = toJepsenHistory(kept(LOST_AND_DUPLICATE));
    const edn = jepsenHistoryEdn(jepsen);
    expect(edn.split('\n')[0]).toBe('{:index 0, :type :invoke, :f :send, :process 0, :time 0, :value [[:send 0 0]], :client "p1", :msg "p1-0", :queue "orders-0"}');
    const fromEdn = readJepsenEdn(edn);
    expect(fromEdn).toEqual(jepsen.ops);
    const fromJson = (JSON.parse(jepsenHistoryJson(jepsen)) as JepsenOp[]).map((op) => ({
      ...op,
      value: op.value.map((m) => (m[0] === 'poll' && m.length === 2 ? ['poll', new Map(Object.entries(m[1]).map(([k, v]) => [Number(k), v]))] : m)),
    }));
    expect(fromJson).toEqual(jepsen.ops);
    const back = judge(fromJepsenHistory(fromEdn));
    for (const count of ['lostAcked', 'duplicateDeliveries', 'sent', 'acked', 'failed', 'unknown', 'delivered', 'unseen'] as const) {
      expect(back[count], count).toBe(original[count]);
    }
    // The lost write is an acked send whose value no poll returns; the duplicate, a value polled twice.
    const polled = fromEdn.filter((o) => o.f === 'poll' && o.type === 'ok').flatMap((o) => o.value.flatMap((m) => (m.length === 2 ? [...m[1].values()].flat().map((p) => p[1]) : [])));
    expect(polled.filter((v) => v === 0)).toHaveLength(2);
    expect(polled).not.toContain(1);
  });

  it('mqsim run --history writes EDN or JSON by extension; other extensions are refused before the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqsim-history-'));
    const scenario = 'scenarios/demo/ack-before-fsync-crash.yaml';
    const edn = await mqsim(['run', scenario, '--history', join(dir, 'h.edn'), '--quiet']);
    expect(edn.code).toBe(0);
    expect(edn.stderr).toMatch(/wrote .*h\.edn \(\d+ ops/);
    const ops = readJepsenEdn(readFileSync(join(dir, 'h.edn'), 'utf8'));
    const json = await mqsim(['run', scenario, '--history', join(dir, 'h.json'), '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).history).toBeUndefined();
    expect((JSON.parse(readFileSync(join(dir, 'h.json'), 'utf8')) as unknown[]).length).toBe(ops.length);
    // The scenario loses acked writes: the exported history shows them to any reader.
    const counts = judge(fromJepsenHistory(ops));
    expect(counts.lostAcked).toBe(JSON.parse(json.stdout).counts.lostAcked);
    expect(counts.lostAcked).toBeGreaterThan(0);
    const bad = await mqsim(['run', scenario, '--history', join(dir, 'h.txt')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--history .*h\.txt: name a \.edn file/);
    const two = await mqsim(['run', scenario, scenario, '--history', join(dir, 'h.edn')]);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/--history writes one file/);
  });
});

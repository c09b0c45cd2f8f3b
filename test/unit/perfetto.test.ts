import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadScenario } from '../../models/scenario.js';
import { simulate } from '../../models/simulate.js';
import { PerfettoTraceSink, requestCategory } from '../../reports/perfetto.js';
import { mqsim } from '../cli-helpers.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

/**
 * The Trace Event Format (the JSON Object Format with `traceEvents`), as chrome://tracing and
 * Perfetto's JSON importer read it: every event has name, ph, pid, tid, ts (microseconds);
 * complete events (X) a non-negative dur; instant events (i) a scope g/p/t; counters (C) numeric
 * args; metadata (M) one of the metadata names with its argument.
 */
const base = { name: z.string().min(1), cat: z.string().optional(), pid: z.number().int().min(0), tid: z.number().int().min(0), ts: z.number().min(0), args: z.record(z.string(), z.unknown()).optional() };
const traceEvent = z.discriminatedUnion('ph', [
  z.strictObject({ ...base, ph: z.literal('X'), dur: z.number().min(0) }),
  z.strictObject({ ...base, ph: z.literal('B') }),
  z.strictObject({ ...base, ph: z.literal('E') }),
  z.strictObject({ ...base, ph: z.literal('i'), s: z.enum(['g', 'p', 't']) }),
  z.strictObject({ ...base, ph: z.literal('C'), args: z.record(z.string(), z.number()) }),
  z.strictObject({
    ...base,
    ph: z.literal('M'),
    name: z.enum(['process_name', 'process_sort_index', 'thread_name', 'thread_sort_index', 'process_labels']),
    args: z.union([z.strictObject({ name: z.string().min(1) }), z.strictObject({ sort_index: z.number().int() }), z.strictObject({ labels: z.string() })]),
  }),
]);
const traceFile = z.object({ traceEvents: z.array(traceEvent).min(1), displayTimeUnit: z.enum(['ms', 'ns']).optional(), otherData: z.record(z.string(), z.unknown()).optional() });
type TraceEvent = z.infer<typeof traceEvent>;
type Slice = Extract<TraceEvent, { ph: 'X' }>;
const isSlice = (e: TraceEvent): e is Slice => e.ph === 'X';

/** Complete events on one thread must nest (chrome://tracing and Perfetto drop or misdraw partial overlaps). */
function overlaps(events: TraceEvent[]): string[] {
  const byThread = new Map<string, { ts: number; end: number; name: string }[]>();
  for (const e of events) {
    if (e.ph !== 'X') continue;
    const key = `${e.pid}/${e.tid}`;
    if (!byThread.has(key)) byThread.set(key, []);
    byThread.get(key)!.push({ ts: e.ts, end: e.ts + e.dur, name: e.name });
  }
  const bad: string[] = [];
  for (const [key, slices] of byThread) {
    slices.sort((a, b) => a.ts - b.ts || b.end - a.end);
    const stack: { end: number }[] = [];
    for (const s of slices) {
      while (stack.length > 0 && stack.at(-1)!.end <= s.ts) stack.pop();
      if (stack.length > 0 && s.end > stack.at(-1)!.end) bad.push(`${key} ${s.name} at ${s.ts}`);
      stack.push(s);
    }
  }
  return bad;
}

function perfettoOf(file: string): { events: TraceEvent[]; text: string } {
  const chunks: string[] = [];
  const sink = new PerfettoTraceSink((t) => chunks.push(t), { scenario: file });
  const result = simulate(loadScenario(resolve(ROOT, file)), { traceSink: sink });
  sink.finish(result);
  const text = chunks.join('');
  return { events: traceFile.parse(JSON.parse(text)).traceEvents, text };
}

describe('--perfetto: the run as Trace Event Format JSON', () => {
  const { events } = perfettoOf('scenarios/kafka/acks-1-leader-failover.yaml');
  const processes = new Map(events.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => [e.pid, (e.args as { name: string }).name]));
  const threads = new Map(events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [`${e.pid}/${e.tid}`, (e.args as { name: string }).name]));

  it('validates against the trace-event format, every slice nesting on its thread', () => {
    expect(events.length).toBeGreaterThan(1000);
    expect(overlaps(events)).toEqual([]);
    // Every pid and tid used is named.
    for (const e of events) {
      expect(processes.has(e.pid), `pid ${e.pid}`).toBe(true);
      if (e.ph === 'X' || e.ph === 'i') expect(threads.has(`${e.pid}/${e.tid}`), `tid ${e.pid}/${e.tid}`).toBe(true);
    }
  });

  it('one process per node and client, one track per partition, request slices with ids and messages', () => {
    expect([...processes.values()]).toEqual(expect.arrayContaining(['faults', 'cluster', 'zookeeper', 'broker-1', 'broker-2', 'broker-3', 'p1', 'billing-c1']));
    const pidOf = (name: string) => [...processes].find(([, n]) => n === name)![0];
    const produce = events.filter(isSlice).filter((e) => e.name === 'Produce' && e.pid === pidOf('p1'));
    expect(produce.length).toBeGreaterThan(100);
    expect(produce[0]!.cat).toBe('produce');
    expect(produce[0]!.args).toMatchObject({ from: 'p1', to: 'broker-1', msgs: expect.arrayContaining(['p1-0']) });
    expect(threads.get(`${produce[0]!.pid}/${produce[0]!.tid}`)).toMatch(/^orders-0( #\d+)?$/);
    expect(produce[0]!.dur).toBeGreaterThan(0);
    const categories = new Set(events.filter((e) => e.ph === 'X').map((e) => e.cat));
    for (const c of ['produce', 'fetch', 'replication']) expect(categories).toContain(c);
    // A replica's Fetch is replication, a consumer's is a fetch.
    expect(events.find((e) => e.name === 'Fetch' && e.pid === pidOf('broker-2'))!.cat).toBe('replication');
    expect(events.find((e) => e.name === 'Fetch' && e.pid === pidOf('billing-c1'))!.cat).toBe('fetch');
  });

  it('faults as global instants and shaded spans; counters for in-flight, LEO - HW and the sampled series', () => {
    const faults = events.filter((e) => e.ph === 'i' && e.s === 'g' && e.cat === 'fault').map((e) => e.name);
    expect(faults).toEqual(expect.arrayContaining(['partition [broker-1] | [broker-2, broker-3]', 'crash leader-of orders-0']));
    const spans = events.filter(isSlice).filter((e) => e.cat === 'fault');
    expect(spans.map((e) => e.name).sort()).toEqual(['crashed', 'partition']);
    const crashed = spans.find((e) => e.name === 'crashed')!;
    expect(processes.get(crashed.pid)).toBe('broker-1');
    expect(crashed.ts).toBe(10_000_000);
    expect(crashed.dur).toBe(30_000_000);
    const counters = new Set(events.filter((e) => e.ph === 'C').map((e) => `${processes.get(e.pid)}:${e.name}`));
    for (const c of ['p1:in-flight sends', 'cluster:backlog', 'cluster:inflight']) expect(counters).toContain(c);
    expect([...counters].some((c) => /^broker-\d:LEO-HW orders-0$/.test(c))).toBe(true);
    // Dropped requests end at the drop and say so: the leader's FetchResponses held up by the partition
    // (retransmitted by TCP) die with its connections when its machine crashes.
    expect(events.some((e) => e.ph === 'X' && (e.args as { dropped?: string } | undefined)?.dropped === 'connection-closed')).toBe(true);
  });

  it('classifies requests of every system', () => {
    expect(requestCategory('basic.deliver', undefined)).toBe('deliver');
    expect(requestCategory('basic.ack', undefined)).toBe('ack');
    expect(requestCategory('basic.publish', undefined)).toBe('produce');
    expect(requestCategory('SEND_MESSAGE', undefined)).toBe('produce');
    expect(requestCategory('PULL_MESSAGE', undefined)).toBe('fetch');
    expect(requestCategory('OffsetCommit', undefined)).toBe('ack');
    expect(requestCategory('Fetch', { replica: 'broker-2' })).toBe('replication');
    expect(requestCategory('JoinGroup', {})).toBe('control');
  });

  it('RabbitMQ and RocketMQ runs validate too, and the CLI writes the file without changing the run', async () => {
    for (const file of ['scenarios/rabbitmq/manual-ack-consumer-crash.yaml', 'scenarios/rocketmq/async-flush-crash-loses-acked.yaml']) {
      const { events: e } = perfettoOf(file);
      expect(overlaps(e)).toEqual([]);
      expect(e.some((x) => x.ph === 'X' && x.cat === 'deliver') || e.some((x) => x.ph === 'X' && x.cat === 'fetch')).toBe(true);
    }
    const dir = mkdtempSync(join(tmpdir(), 'mqsim-perfetto-'));
    const plain = await mqsim(['run', 'scenarios/demo/ack-before-fsync-crash.yaml', '--json']);
    const out = join(dir, 'sub', 'run.json');
    const traced = await mqsim(['run', 'scenarios/demo/ack-before-fsync-crash.yaml', '--json', '--perfetto', out]);
    expect(traced.code).toBe(plain.code);
    expect(JSON.parse(traced.stdout).traceHash).toBe(JSON.parse(plain.stdout).traceHash);
    expect(traceFile.safeParse(JSON.parse(readFileSync(out, 'utf8'))).success).toBe(true);
    const folder = await mqsim(['run', 'scenarios/demo/ack-before-fsync-crash.yaml', '--perfetto', dir]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/--perfetto .*: is a folder/);
  });
});

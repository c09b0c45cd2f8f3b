import type { RunResult } from '../sim/result.js';
import type { TraceRecord, TraceSink } from '../sim/trace.js';

/**
 * A run as Chrome / Perfetto trace-event JSON (`mqsim run FILE --perfetto run.json`), for
 * ui.perfetto.dev and chrome://tracing. The Trace Event Format
 * (https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU), as used here:
 *
 * - one process (`pid`) per node and client, named by `process_name` metadata (`ph: 'M'`), plus
 *   `faults` (the nemesis, phases) and `cluster` (control-plane changes, run-wide counters);
 * - inside a process, one track (`tid`, named by `thread_name`) per partition or queue the
 *   request is about (`orders-0`, `jobs`), else per peer (`-> broker-1`); concurrent requests on a
 *   track take extra lanes (`orders-0 #2`) so complete slices never overlap on one thread;
 * - a request is a complete slice (`ph: 'X'`, `ts` and `dur` in microseconds of virtual time) on
 *   the sender, from `net.send` to `net.deliver` (sends and deliveries of one link, type matched
 *   in order: links are FIFO unless the scenario reorders), with its category (produce, fetch,
 *   replication, deliver, ack, control), ids and message ids in `args`; a dropped message ends
 *   its slice at the drop (`args.dropped`), a duplicate arrives as an instant event;
 * - faults are global instant events (`ph: 'i', s: 'g'`) and shaded spans: `crashed` and
 *   `paused` slices on the node's `status` track, `partition` slices on the `faults` process;
 * - counters (`ph: 'C'`): in-flight sends per producer, LEO - HW per partition on its leader
 *   (from FetchResponse), and the run's sampled series (backlog, in-flight, lag, nodes up).
 *
 * The sink streams: it holds only requests in flight, so a long run's file is written as it runs.
 */

type Phase = 'X' | 'i' | 'C' | 'M' | 'B' | 'E';

export interface TraceEvent {
  name: string;
  cat?: string;
  ph: Phase;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: 'g' | 'p' | 't';
  args?: Record<string, unknown>;
}

interface Lane {
  tid: number;
  busy: boolean;
}

interface Pending {
  ts: number;
  pid: number;
  lane: Lane;
  name: string;
  cat: string;
  args: Record<string, unknown>;
}

/** The request's category, from its protocol name (Kafka, AMQP, RocketMQ, the demo). */
export function requestCategory(type: string, payload: Record<string, unknown> | undefined): string {
  const t = type.toLowerCase();
  if (/deliver|push|get-ok|get_ok/.test(t)) return 'deliver';
  if (/^fetch/.test(t) && typeof payload?.replica === 'string') return 'replication';
  if (/replicat|append_entries|appendentries|ha_|hatransfer|raft/.test(t)) return 'replication';
  if (/fetch|pull|poll|get/.test(t)) return 'fetch';
  if (/produce|publish|send_message|sendmessage|^send/.test(t)) return 'produce';
  if (/ack|commit|confirm|settle|reject|nack/.test(t)) return 'ack';
  return 'control';
}

const ID_FIELDS = ['id', 'correlationId', 'deliveryTag', 'opaque', 'requestId', 'seq', 'sequence', 'offset', 'baseOffset', 'queueOffset'];
const MAX_MSGS = 20;

/** The partition or queue a request is about, from its payload. */
function trackOf(payload: Record<string, unknown> | undefined): string | null {
  if (!payload) return null;
  const topic = payload.topic;
  if (typeof topic === 'string') {
    const partition = payload.partition ?? payload.queueId;
    return typeof partition === 'number' ? `${topic}-${partition}` : topic;
  }
  for (const field of ['queue', 'queueName', 'exchange']) {
    const v = payload[field];
    if (typeof v === 'string' && v !== '') return v;
  }
  return null;
}

function messageIds(payload: Record<string, unknown> | undefined): { msgs?: string[]; messages?: number } {
  if (!payload) return {};
  if (typeof payload.msg === 'string') return { msgs: [payload.msg], messages: 1 };
  for (const field of ['records', 'messages', 'msgs']) {
    const list = payload[field];
    if (!Array.isArray(list)) continue;
    const ids = list.map((r) => (typeof r === 'string' ? r : (r as { msg?: unknown })?.msg)).filter((m): m is string => typeof m === 'string');
    return { msgs: ids.slice(0, MAX_MSGS), messages: list.length };
  }
  return {};
}

export interface PerfettoOptions {
  /** Shown in the trace's metadata. */
  scenario?: string;
  /** Counter points closer than this (µs of virtual time) to the last one of the same counter are merged (default 1 ms). */
  counterResolution?: number;
}

export class PerfettoTraceSink implements TraceSink {
  private readonly pids = new Map<string, number>();
  private readonly tracks = new Map<string, Lane[]>();
  private nextTid = 1;
  private readonly pending = new Map<string, Pending[]>();
  private readonly counters = new Map<string, { last: number; value: Record<string, number>; pid: number; name: string; due: { ts: number; value: Record<string, number> } | null }>();
  private readonly down = new Map<string, { ts: number; name: string }>();
  private readonly partitions: { ts: number; description: string }[] = [];
  private readonly inflight = new Map<string, number>();
  private first = true;
  private now = 0;
  private readonly resolution: number;
  events = 0;

  constructor(private readonly out: (text: string) => void, options: PerfettoOptions = {}) {
    this.resolution = options.counterResolution ?? 1000;
    const other = JSON.stringify({ producer: 'mqsim', scenario: options.scenario ?? '', clock: 'virtual time, microseconds' });
    out(`{"displayTimeUnit":"ms","otherData":${other},"traceEvents":[\n`);
    this.pidOf('faults');
    this.pidOf('cluster');
  }

  private emit(event: TraceEvent): void {
    this.out((this.first ? '' : ',\n') + JSON.stringify(event));
    this.first = false;
    this.events++;
  }

  private pidOf(name: string): number {
    let pid = this.pids.get(name);
    if (pid === undefined) {
      pid = this.pids.size + 1;
      this.pids.set(name, pid);
      this.emit({ name: 'process_name', ph: 'M', ts: 0, pid, tid: 0, args: { name } });
      this.emit({ name: 'process_sort_index', ph: 'M', ts: 0, pid, tid: 0, args: { sort_index: pid } });
    }
    return pid;
  }

  /** A free lane of a track (a thread), created on first use. */
  private lane(pid: number, label: string): Lane {
    const key = `${pid}\u0000${label}`;
    let lanes = this.tracks.get(key);
    if (!lanes) this.tracks.set(key, (lanes = []));
    let lane = lanes.find((l) => !l.busy);
    if (!lane) {
      lane = { tid: this.nextTid++, busy: false };
      lanes.push(lane);
      const name = lanes.length === 1 ? label : `${label} #${lanes.length}`;
      this.emit({ name: 'thread_name', ph: 'M', ts: 0, pid, tid: lane.tid, args: { name } });
      this.emit({ name: 'thread_sort_index', ph: 'M', ts: 0, pid, tid: lane.tid, args: { sort_index: lane.tid } });
    }
    return lane;
  }

  /** A slice of a known span on a track (faults, status): takes a lane for its duration. */
  private span(pid: number, label: string, name: string, cat: string, ts: number, end: number, args: Record<string, unknown>): void {
    const lane = this.lane(pid, label);
    this.emit({ name, cat, ph: 'X', ts, dur: Math.max(0, end - ts), pid, tid: lane.tid, args });
  }

  private instant(pid: number, label: string, name: string, cat: string, ts: number, args: Record<string, unknown>, scope: 'g' | 'p' | 't' = 't'): void {
    const lane = this.lane(pid, label);
    this.emit({ name, cat, ph: 'i', s: scope, ts, pid, tid: lane.tid, args });
  }

  /** A counter point, merged with others of the same counter within the resolution. */
  counter(processName: string, name: string, ts: number, value: Record<string, number>): void {
    const pid = this.pidOf(processName);
    const key = `${pid}\u0000${name}`;
    let c = this.counters.get(key);
    if (!c) this.counters.set(key, (c = { last: Number.NEGATIVE_INFINITY, value: {}, pid, name, due: null }));
    if (ts - c.last >= this.resolution) {
      if (c.due && c.due.ts < ts) this.emit({ name, cat: 'counter', ph: 'C', ts: c.due.ts, pid, tid: 0, args: c.due.value });
      c.due = null;
      this.emit({ name, cat: 'counter', ph: 'C', ts, pid, tid: 0, args: value });
      c.last = ts;
    } else {
      c.due = { ts, value };
    }
  }

  write(record: TraceRecord): void {
    const t = record.t;
    this.now = t;
    switch (record.kind) {
      case 'net.send': {
        const from = String(record.from);
        const to = String(record.to);
        const type = String(record.type);
        const payload = record.payload !== null && typeof record.payload === 'object' ? (record.payload as Record<string, unknown>) : undefined;
        const pid = this.pidOf(from);
        this.pidOf(to);
        const lane = this.lane(pid, trackOf(payload) ?? `-> ${to}`);
        lane.busy = true;
        const args: Record<string, unknown> = { from, to, bytes: record.bytes };
        for (const field of ID_FIELDS) {
          const v = payload?.[field];
          if (typeof v === 'number' || typeof v === 'string') args[field] = v;
        }
        Object.assign(args, messageIds(payload));
        if (payload && typeof payload.error === 'string') args.error = payload.error;
        const key = `${from}>${to}>${type}`;
        let queue = this.pending.get(key);
        if (!queue) this.pending.set(key, (queue = []));
        queue.push({ ts: t, pid, lane, name: type, cat: requestCategory(type, payload), args });
        if (type === 'FetchResponse' && payload && typeof payload.highWatermark === 'number' && typeof payload.logEndOffset === 'number') {
          this.counter(from, `LEO-HW ${trackOf(payload) ?? ''}`.trim(), t, { records: payload.logEndOffset - payload.highWatermark });
        }
        return;
      }
      case 'net.deliver':
      case 'net.drop': {
        const key = `${String(record.from)}>${String(record.to)}>${String(record.type)}`;
        const p = this.pending.get(key)?.shift();
        if (!p) {
          // A network duplicate (the first copy ended the slice) or a drop of a copy.
          const what = record.kind === 'net.deliver' ? 'duplicate' : 'dropped copy';
          this.instant(this.pidOf(String(record.to)), 'network', `${String(record.type)} (${what})`, 'network', t, { from: record.from, to: record.to });
          return;
        }
        p.lane.busy = false;
        const args = record.kind === 'net.drop' ? { ...p.args, dropped: record.reason } : p.args;
        const name = record.kind === 'net.drop' ? `${p.name} (dropped)` : p.name;
        this.emit({ name, cat: p.cat, ph: 'X', ts: p.ts, dur: t - p.ts, pid: p.pid, tid: p.lane.tid, args });
        return;
      }
      case 'fault': {
        const data = (record.data ?? {}) as { kind?: string; description?: string; targets?: string[] };
        const name = data.description ?? data.kind ?? 'fault';
        this.instant(this.pidOf('faults'), 'nemesis', name, 'fault', t, { kind: data.kind, targets: data.targets }, 'g');
        if (data.kind === 'partition') this.partitions.push({ ts: t, description: name });
        if (data.kind === 'heal') this.endPartitions(t);
        return;
      }
      case 'phase': {
        const data = (record.data ?? {}) as { description?: string; kind?: string };
        this.instant(this.pidOf('faults'), 'nemesis', data.description ?? String(data.kind), 'phase', t, {}, 'g');
        if (data.kind === 'liveness') this.endPartitions(t);
        return;
      }
      case 'node.start':
        this.pidOf(record.node);
        return;
      case 'node.crash':
      case 'node.pause': {
        const node = record.node;
        if (!this.down.has(node)) this.down.set(node, { ts: t, name: record.kind === 'node.crash' ? 'crashed' : 'paused' });
        this.instant(this.pidOf(node), 'status', record.kind === 'node.crash' ? 'crash' : 'pause', 'fault', t, {});
        return;
      }
      case 'node.restart':
      case 'node.resume': {
        const node = record.node;
        const d = this.down.get(node);
        if (d) {
          this.down.delete(node);
          this.span(this.pidOf(node), 'status', d.name, 'fault', d.ts, t, {});
        }
        return;
      }
      case 'note': {
        const data = (record.data ?? {}) as Record<string, unknown>;
        this.instant(this.pidOf(record.node === 'kernel' ? 'cluster' : record.node), 'notes', String(data.what ?? 'note'), 'note', t, data);
        return;
      }
      case 'state.change': {
        const data = (record.data ?? {}) as { store?: string; reason?: string; patches?: unknown };
        this.instant(this.pidOf('cluster'), `state ${data.store ?? ''}`.trim(), data.reason ?? 'state change', 'state', t, { patches: data.patches });
        return;
      }
      case 'history': {
        const op = record.data as { type?: string; f?: string; process?: string } | undefined;
        if (!op || op.f !== 'send' || !op.process) return;
        const n = (this.inflight.get(op.process) ?? 0) + (op.type === 'invoke' ? 1 : -1);
        this.inflight.set(op.process, Math.max(0, n));
        this.counter(op.process, 'in-flight sends', t, { sends: Math.max(0, n) });
        return;
      }
      default:
        return;
    }
  }

  private endPartitions(t: number): void {
    for (const p of this.partitions.splice(0)) this.span(this.pidOf('faults'), 'partitions', 'partition', 'fault', p.ts, t, { description: p.description });
  }

  /**
   * Ends the file: requests still in flight end at the run's end (`args.undelivered`), nodes
   * still down get their span, the run's sampled series become counters; then the JSON closes.
   */
  finish(result?: RunResult): void {
    const end = result?.virtualTime ?? this.now;
    for (const queue of this.pending.values()) {
      for (const p of queue) this.emit({ name: p.name, cat: p.cat, ph: 'X', ts: p.ts, dur: Math.max(0, end - p.ts), pid: p.pid, tid: p.lane.tid, args: { ...p.args, undelivered: true } });
    }
    this.pending.clear();
    for (const [node, d] of this.down) this.span(this.pidOf(node), 'status', d.name, 'fault', d.ts, end, {});
    this.down.clear();
    this.endPartitions(end);
    for (const c of this.counters.values()) {
      if (c.due) this.emit({ name: c.name, cat: 'counter', ph: 'C', ts: c.due.ts, pid: c.pid, tid: 0, args: c.due.value });
      c.due = null;
    }
    if (result) {
      const pid = this.pidOf('cluster');
      for (const [name, points] of Object.entries(result.metrics.series)) {
        for (const point of points) {
          const value = (point as { value?: unknown }).value;
          if (typeof value === 'number' && Number.isFinite(value)) this.emit({ name, cat: 'counter', ph: 'C', ts: point.time, pid, tid: 0, args: { value } });
        }
      }
    }
    this.out('\n]}\n');
  }
}

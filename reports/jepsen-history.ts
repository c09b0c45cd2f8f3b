import type { HistoryOp, NewHistoryOp } from '../sim/history.js';
import { ednMap, Keyword, kw, readEdnAll, writeEdn, type EdnValue } from './edn.js';

/**
 * The client history in the shape of Jepsen's Kafka workload (jepsen.tests.kafka), which Elle's
 * Kafka checker and elle-cli read (`mqsim run FILE --history run.edn` or `run.json`):
 *
 * - a send is `{:type :invoke, :f :send, :value [[:send k v]]}`, then `:ok` with
 *   `[[:send k [offset v]]]` (offset where the system returns one; else `[:send k v]`), or
 *   `:fail` / `:info` with the invoked value;
 * - deliveries become polls: `{:type :invoke, :f :poll, :value [[:poll]]}` then
 *   `{:type :ok, :f :poll, :value [[:poll {k [[offset v] ...]}]]}`, one poll per consumer and
 *   instant (the receives mqsim records at one instant for one client: a fetched batch);
 * - `k` (key) is the partition or queue, numbered 0, 1, ... in order of first appearance; `v`
 *   (value) is the message, numbered 0, 1, ... in the order of first send: unique per key, as
 *   Elle requires;
 * - `:process` is an integer, as in Jepsen a single-threaded client: a producer with several
 *   sends in flight uses one process per concurrent send (its own lanes), and a process whose
 *   op ended `:info` is never reused (Jepsen's crashed-process rule);
 * - `:time` is virtual time in nanoseconds, `:index` the op's position.
 *
 * Each op also carries mqsim's names: `:client` ("p1", "billing-c1"), on sends `:msg` ("p1-17")
 * and `:queue` ("orders-0"), on polls `:group` (the consumer group), on failures `:error`. Jepsen's checkers ignore keys they do not know.
 * Not exported: acks, commits, assignments, skips (the Kafka workload has no such ops, or they
 * do not enter Elle's analyses). A send with no queue (RabbitMQ publishes to an exchange) is put
 * under the queue that first delivered it, else the queue all deliveries came from, else the
 * producer's name. Deliveries without an offset (RabbitMQ) poll as `[nil v]`: Elle's order
 * analyses need offsets, its lost-write and duplicate analyses do not.
 */

export type JepsenType = 'invoke' | 'ok' | 'fail' | 'info';

/** A micro-op: `['send', k, v]`, `['send', k, [offset, v]]`, `['poll']`, `['poll', { k: [[offset, v]] }]`. */
export type MicroOp =
  | ['send', number, number | [number | null, number]]
  | ['poll']
  | ['poll', Map<number, [number | null, number][]>];

export interface JepsenOp {
  index: number;
  type: JepsenType;
  f: 'send' | 'poll';
  process: number;
  /** Nanoseconds. */
  time: number;
  value: MicroOp[];
  client: string;
  msg?: string;
  queue?: string;
  /** On polls: the consumer group of the client (mqsim's name; a message should reach each group once). */
  group?: string;
  error?: string;
}

export interface JepsenHistory {
  ops: JepsenOp[];
  /** Key number -> partition or queue name. */
  keys: string[];
  /** Value number -> message id. */
  values: string[];
}

/** Converts mqsim's client history (a kept history's ops, in order) to Jepsen's Kafka workload shape. */
export function toJepsenHistory(history: readonly HistoryOp[]): JepsenHistory {
  const keys: string[] = [];
  const keyIds = new Map<string, number>();
  const keyOf = (queue: string): number => {
    let id = keyIds.get(queue);
    if (id === undefined) {
      id = keys.length;
      keys.push(queue);
      keyIds.set(queue, id);
    }
    return id;
  };
  const values: string[] = [];
  const valueIds = new Map<string, number>();
  const valueOf = (msg: string): number => {
    let id = valueIds.get(msg);
    if (id === undefined) {
      id = values.length;
      values.push(msg);
      valueIds.set(msg, id);
    }
    return id;
  };

  // Where each message's send goes: its own queue, else where it (or anything) was delivered.
  const firstDelivered = new Map<string, string>();
  const sendQueue = new Map<string, string>();
  const receiveQueues = new Set<string>();
  for (const op of history) {
    if (op.f === 'receive' && op.type === 'ok' && op.msg !== undefined && op.queue !== undefined) {
      if (!firstDelivered.has(op.msg)) firstDelivered.set(op.msg, op.queue);
      receiveQueues.add(op.queue);
    }
    if (op.f === 'send' && op.msg !== undefined && op.queue !== undefined && !sendQueue.has(op.msg)) sendQueue.set(op.msg, op.queue);
  }
  const onlyQueue = receiveQueues.size === 1 ? [...receiveQueues][0]! : undefined;
  const queueOfSend = (op: HistoryOp): string => sendQueue.get(op.msg!) ?? firstDelivered.get(op.msg!) ?? onlyQueue ?? op.process;

  // Processes: lanes per client; a lane's process number changes after an :info.
  let nextProcess = 0;
  const lanes = new Map<string, { process: number; busy: boolean }[]>();
  const takeLane = (client: string) => {
    let list = lanes.get(client);
    if (!list) lanes.set(client, (list = []));
    let lane = list.find((l) => !l.busy);
    if (!lane) list.push((lane = { process: nextProcess++, busy: false }));
    lane.busy = true;
    return lane;
  };
  const openSends = new Map<string, { lane: { process: number; busy: boolean }; key: number; value: number; queue: string }>();

  const ops: JepsenOp[] = [];
  const emit = (op: Omit<JepsenOp, 'index'>) => ops.push({ index: ops.length, ...op });

  // Receives of one client at one instant form one poll; flushed before anything later happens.
  const pendingPolls = new Map<string, { time: number; group: string | undefined; byKey: Map<number, [number | null, number][]> }>();
  const flushPolls = (before: number) => {
    for (const [client, poll] of pendingPolls) {
      if (poll.time >= before) continue;
      pendingPolls.delete(client);
      const lane = takeLane(client);
      const time = poll.time * 1000;
      const group = poll.group !== undefined ? { group: poll.group } : {};
      emit({ type: 'invoke', f: 'poll', process: lane.process, time, value: [['poll']], client, ...group });
      emit({ type: 'ok', f: 'poll', process: lane.process, time, value: [['poll', poll.byKey]], client, ...group });
      lane.busy = false;
    }
  };

  for (const op of history) {
    flushPolls(op.time);
    if (op.f === 'send' && op.msg !== undefined) {
      if (op.type === 'invoke') {
        if (openSends.has(op.msg)) continue;
        const queue = queueOfSend(op);
        const key = keyOf(queue);
        const value = valueOf(op.msg);
        const lane = takeLane(op.process);
        openSends.set(op.msg, { lane, key, value, queue });
        emit({ type: 'invoke', f: 'send', process: lane.process, time: op.time * 1000, value: [['send', key, value]], client: op.process, msg: op.msg, queue });
        continue;
      }
      const open = openSends.get(op.msg);
      if (!open) continue; // a completion with no invoke open (a repeated completion): Jepsen has one per invoke
      openSends.delete(op.msg);
      const value: MicroOp = op.type === 'ok' && op.offset !== undefined ? ['send', open.key, [op.offset, open.value]] : ['send', open.key, open.value];
      const done: Omit<JepsenOp, 'index'> = { type: op.type, f: 'send', process: open.lane.process, time: op.time * 1000, value: [value], client: op.process, msg: op.msg, queue: open.queue };
      if (op.error !== undefined) done.error = op.error;
      emit(done);
      open.lane.busy = false;
      if (op.type === 'info') open.lane.process = nextProcess++;
      continue;
    }
    if (op.f === 'receive' && op.type === 'ok' && op.msg !== undefined && op.queue !== undefined) {
      let poll = pendingPolls.get(op.process);
      if (poll && poll.time !== op.time) {
        flushPolls(op.time);
        poll = undefined;
      }
      if (!poll) pendingPolls.set(op.process, (poll = { time: op.time, group: op.group, byKey: new Map() }));
      const key = keyOf(op.queue);
      let list = poll.byKey.get(key);
      if (!list) poll.byKey.set(key, (list = []));
      list.push([op.offset ?? null, valueOf(op.msg)]);
    }
  }
  flushPolls(Number.POSITIVE_INFINITY);
  return { ops, keys, values };
}

function microOpEdn(m: MicroOp): EdnValue {
  if (m[0] === 'poll') {
    if (m.length === 1) return [kw('poll')];
    const map = new Map<EdnValue, EdnValue>();
    for (const [k, pairs] of m[1]) map.set(k, pairs.map(([o, v]) => [o, v]));
    return [kw('poll'), map];
  }
  const v = m[2];
  return [kw('send'), m[1], Array.isArray(v) ? [v[0], v[1]] : v];
}

function opEdn(op: JepsenOp): EdnValue {
  return ednMap({
    index: op.index,
    type: kw(op.type),
    f: kw(op.f),
    process: op.process,
    time: op.time,
    value: op.value.map(microOpEdn),
    client: op.client,
    msg: op.msg,
    queue: op.queue,
    group: op.group,
    error: op.error,
  });
}

/** history.edn as Jepsen writes it: one op map per line. */
export function jepsenHistoryEdn(history: JepsenHistory): string {
  return history.ops.map((op) => writeEdn(opEdn(op)) + '\n').join('');
}

/** The same ops as JSON (keywords as strings, poll maps as objects keyed by the key number), one array. */
export function jepsenHistoryJson(history: JepsenHistory): string {
  const lines = history.ops.map((op) =>
    JSON.stringify({ ...op, value: op.value.map((m) => (m[0] === 'poll' && m.length === 2 ? ['poll', Object.fromEntries(m[1])] : m)) }),
  );
  return `[\n${lines.join(',\n')}\n]\n`;
}

/** Reads history.edn (Jepsen's or mqsim's) back into ops. */
export function readJepsenEdn(text: string): JepsenOp[] {
  return readEdnAll(text).map((value, i) => {
    if (!(value instanceof Map)) throw new Error(`history op ${i}: not a map`);
    const get = (name: string) => value.get(kw(name));
    const word = (name: string): string => {
      const v = get(name);
      if (!(v instanceof Keyword)) throw new Error(`history op ${i}: :${name} is not a keyword`);
      return v.name;
    };
    const micro = (m: EdnValue): MicroOp => {
      if (!Array.isArray(m) || !(m[0] instanceof Keyword)) throw new Error(`history op ${i}: a micro-op is not [:f ...]`);
      if (m[0].name === 'poll') {
        if (m.length === 1) return ['poll'];
        const byKey = new Map<number, [number | null, number][]>();
        for (const [k, pairs] of m[1] as Map<EdnValue, EdnValue>) byKey.set(k as number, (pairs as EdnValue[]).map((p) => [(p as EdnValue[])[0] as number | null, (p as EdnValue[])[1] as number]));
        return ['poll', byKey];
      }
      const v = m[2];
      return ['send', m[1] as number, Array.isArray(v) ? [v[0] as number | null, v[1] as number] : (v as number)];
    };
    const op: JepsenOp = {
      index: (get('index') as number | undefined) ?? i,
      type: word('type') as JepsenType,
      f: word('f') as 'send' | 'poll',
      process: get('process') as number,
      time: get('time') as number,
      value: ((get('value') as EdnValue[] | null) ?? []).map(micro),
      client: (get('client') as string | undefined) ?? String(get('process')),
    };
    for (const name of ['msg', 'queue', 'group', 'error'] as const) {
      const v = get(name);
      if (typeof v === 'string') op[name] = v;
    }
    return op;
  });
}

/**
 * The inverse: Jepsen-shaped ops back to mqsim history ops (sends and receives), so mqsim's own
 * checkers can judge a Jepsen history. Message ids come from `:msg` when the send carries one,
 * else `k<key>-<value>`; queues from `:queue`, else `key-<k>`.
 */
export function fromJepsenHistory(ops: readonly JepsenOp[]): NewHistoryOp[] {
  const msgOf = new Map<number, string>();
  const queueOf = new Map<number, string>();
  for (const op of ops) {
    if (op.f !== 'send') continue;
    for (const m of op.value) {
      if (m[0] !== 'send') continue;
      const value = Array.isArray(m[2]) ? m[2][1] : m[2];
      if (op.msg !== undefined) msgOf.set(value, op.msg);
      if (op.queue !== undefined) queueOf.set(m[1], op.queue);
    }
  }
  const msg = (key: number, value: number) => msgOf.get(value) ?? `k${key}-${value}`;
  const queue = (key: number) => queueOf.get(key) ?? `key-${key}`;
  const out: NewHistoryOp[] = [];
  for (const op of ops) {
    const time = Math.round(op.time / 1000);
    if (op.f === 'send') {
      for (const m of op.value) {
        if (m[0] !== 'send') continue;
        const value = Array.isArray(m[2]) ? m[2][1] : m[2];
        const offset = Array.isArray(m[2]) ? m[2][0] : null;
        const h: NewHistoryOp = { time, process: op.client, type: op.type, f: 'send', msg: msg(m[1], value), queue: queue(m[1]) };
        if (offset !== null) h.offset = offset;
        if (op.error !== undefined) h.error = op.error;
        out.push(h);
      }
    } else if (op.type === 'ok') {
      for (const m of op.value) {
        if (m[0] !== 'poll' || m.length === 1) continue;
        for (const [key, pairs] of m[1]) {
          for (const [offset, value] of pairs) {
            const h: NewHistoryOp = { time, process: op.client, type: 'ok', f: 'receive', msg: msg(key, value), queue: queue(key) };
            if (offset !== null) h.offset = offset;
            if (op.group !== undefined) h.group = op.group;
            out.push(h);
          }
        }
      }
    }
  }
  return out;
}

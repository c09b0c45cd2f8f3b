import { describe, expect, it } from 'vitest';
import type { DiskFile } from '../../sim/disk.js';
import { rabbitmqModel, type RabbitScenario } from '../../models/rabbitmq/index.js';
import { QuorumFifo, type FifoCommand, type FifoEffect } from '../../models/rabbitmq/quorum/fifo.js';
import { RaftMember, type RaftHost, type RaftMessage, type RaftRecord } from '../../models/rabbitmq/quorum/raft.js';
import type { Content } from '../../models/rabbitmq/protocol.js';
import { scenarioSchema } from '../../sim/scenario/schema.js';
import { World } from '../../sim/world.js';

/**
 * Quorum queues and clustering: Raft (election, replication, commit on a majority of fsynced
 * logs, up-to-date votes) on a small deterministic harness; the rabbit_fifo-like state machine
 * (dedup, delivery limit); partition handling and the quorum queue's schema rules through runs.
 */

// ------------------------------------------------------------------ a tiny deterministic harness for RaftMember

type Cmd = string;

class Harness {
  now = 0;
  private seq = 0;
  private events: { at: number; seq: number; run: () => void }[] = [];
  readonly members = new Map<string, RaftMember<Cmd>>();
  readonly files = new Map<string, RaftRecord<Cmd>[]>();
  readonly applied = new Map<string, Cmd[]>();
  readonly down = new Set<string>();
  /** Pairs that cannot talk (both ways). */
  readonly cut = new Set<string>();
  /** While false, fsyncs do not complete (a slow disk). */
  fsyncing = true;
  private readonly stalled: (() => void)[] = [];
  private rng = 12345;

  constructor(readonly names: string[]) {
    for (const n of names) this.boot(n, false);
  }

  at(delay: number, run: () => void): void {
    this.events.push({ at: this.now + delay, seq: this.seq++, run });
  }

  boot(name: string, restarted: boolean): void {
    const records = restarted ? this.files.get(name)! : [];
    this.files.set(name, records);
    this.applied.set(name, []);
    const file = { records, append: (r: RaftRecord<Cmd>) => records.push(r) } as unknown as DiskFile<RaftRecord<Cmd>>;
    let member!: RaftMember<Cmd>;
    const host: RaftHost<Cmd> = {
      send: (to, message) => {
        if (this.down.has(name)) return;
        this.at(1_000, () => {
          if (this.down.has(to) || this.cut.has(`${name}|${to}`) || this.cut.has(`${to}|${name}`)) return;
          this.members.get(to)?.receive(name, message as RaftMessage<Cmd>);
        });
      },
      setTimer: (delay, kind) => {
        const handle = { cancelled: false };
        this.at(delay, () => {
          if (!handle.cancelled && this.members.get(name) === member && !this.down.has(name)) member.onTimer(kind);
        });
        return handle;
      },
      cancelTimer: (handle) => {
        if (handle) (handle as { cancelled: boolean }).cancelled = true;
      },
      random: () => {
        this.rng = (this.rng * 1103515245 + 12345) % 2147483648;
        return this.rng / 2147483648;
      },
      file,
      fsync: (done) => {
        const finish = () => this.at(500, () => {
          if (!this.down.has(name)) done();
        });
        if (this.fsyncing) finish();
        else this.stalled.push(finish);
      },
      apply: (_index, cmd) => this.applied.get(name)!.push(cmd),
      onRoleChange: () => undefined,
      note: () => undefined,
      noop: () => 'noop',
      bytes: () => 64,
    };
    member = new RaftMember<Cmd>('q', name, this.names, { electionTimeout: 100_000, heartbeat: 25_000, maxBatch: 64 }, host);
    this.members.set(name, member);
    member.start(restarted, restarted ? null : this.names[0]!);
  }

  releaseFsyncs(): void {
    this.fsyncing = true;
    for (const f of this.stalled.splice(0)) f();
  }

  crash(name: string): void {
    this.down.add(name);
    this.members.get(name)!.stop();
  }

  restart(name: string): void {
    this.down.delete(name);
    this.boot(name, true);
  }

  run(until: number): void {
    for (;;) {
      this.events.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.events[0];
      if (!next || next.at > until) break;
      this.events.shift();
      this.now = next.at;
      next.run();
    }
    this.now = until;
  }

  leader(): RaftMember<Cmd> | undefined {
    const leaders = [...this.members.entries()].filter(([n, m]) => !this.down.has(n) && m.role === 'leader').map(([, m]) => m);
    // Of several (a deposed one not yet told), the one with the highest term.
    return leaders.sort((a, b) => b.term - a.term)[0];
  }
}

describe('quorum queues: Raft', () => {
  it('elects the declaring node, replicates and applies commands in the same order on every member', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.run(50_000);
    expect(h.leader()?.self).toBe('a');
    expect(h.leader()?.term).toBe(1);
    for (const c of ['x1', 'x2', 'x3']) h.leader()!.propose(c);
    h.run(200_000);
    for (const n of ['a', 'b', 'c']) expect(h.applied.get(n)).toEqual(['noop', 'x1', 'x2', 'x3']);
    expect(h.members.get('b')!.commitIndex).toBe(4);
  });

  it('leadership transfer: the leader takes no more commands, brings the most caught-up follower up to date and tells it to elect itself at once', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.run(50_000);
    const a = h.members.get('a')!;
    for (const c of ['x1', 'x2']) a.propose(c);
    const start = h.now;
    expect(a.transferLeadership()).not.toBeNull();
    expect(a.propose('refused')).toBe(0);
    // Long before an election timeout (100-200 ms): a new leader, with everything a had.
    h.run(start + 20_000);
    const leader = h.leader()!;
    expect(leader.self).not.toBe('a');
    expect(leader.term).toBe(2);
    expect(a.role).toBe('follower');
    h.run(start + 100_000);
    for (const n of ['a', 'b', 'c']) expect(h.applied.get(n)!.filter((c) => c !== 'noop')).toEqual(['x1', 'x2']);
    // A member that does not lead has nothing to hand over.
    expect(h.members.get('a')!.transferLeadership()).toBeNull();
  });

  it('commits only what a majority has fsynced: with the followers\' disks stalled nothing is applied', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.run(50_000);
    h.fsyncing = false;
    h.leader()!.propose('x1');
    h.run(300_000);
    expect(h.applied.get('a')).toEqual(['noop']);
    expect(h.members.get('a')!.lastIndex).toBe(2);
    h.releaseFsyncs();
    h.run(400_000);
    expect(h.applied.get('a')).toEqual(['noop', 'x1']);
  });

  it('a leader cut off from the majority cannot commit; the majority elects a new leader (randomized timeouts) and the old one\'s uncommitted entries are truncated on heal', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.run(50_000);
    h.leader()!.propose('kept');
    h.run(150_000);
    h.cut.add('a|b').add('a|c');
    h.members.get('a')!.propose('lost');
    h.run(1_000_000);
    const a = h.members.get('a')!;
    expect(h.applied.get('a')).toEqual(['noop', 'kept']);
    const next = h.leader()!;
    expect(['b', 'c']).toContain(next.self);
    expect(next.term).toBeGreaterThan(1);
    next.propose('after');
    h.run(1_200_000);
    h.cut.clear();
    h.run(2_000_000);
    expect(a.role).toBe('follower');
    expect(a.log.map((e) => e.cmd)).not.toContain('lost');
    for (const n of ['a', 'b', 'c']) {
      expect(h.applied.get(n)!.filter((c) => c !== 'noop')).toEqual(['kept', 'after']);
    }
  });

  it('after the leader crashes a follower takes over with every committed entry; the restarted node rebuilds from its file and follows', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.run(50_000);
    for (const c of ['m1', 'm2']) h.leader()!.propose(c);
    h.run(150_000);
    h.crash('a');
    h.run(1_000_000);
    const next = h.leader()!;
    expect(next.self).not.toBe('a');
    expect(next.log.map((e) => e.cmd)).toEqual(expect.arrayContaining(['m1', 'm2']));
    next.propose('m3');
    h.run(1_200_000);
    h.restart('a');
    h.run(2_000_000);
    const a = h.members.get('a')!;
    expect(a.term).toBe(next.term);
    expect(a.role).toBe('follower');
    expect(h.applied.get('a')!.filter((c) => c !== 'noop')).toEqual(['m1', 'm2', 'm3']);
  });

  it('refuses its vote to a candidate whose log is behind', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.run(50_000);
    h.leader()!.propose('x');
    h.run(150_000);
    const b = h.members.get('b')!;
    const replies: RaftMessage<Cmd>[] = [];
    const original = h.members.get('c');
    // A candidate "c" at a higher term with an empty log asks b.
    h.members.set('c', { receive: (_from: string, m: RaftMessage<Cmd>) => replies.push(m) } as unknown as RaftMember<Cmd>);
    b.receive('c', { type: 'ra.request_vote', queue: 'q', term: 5, candidate: 'c', lastIndex: 0, lastTerm: 0 });
    h.run(200_000);
    h.members.set('c', original!);
    expect(replies).toContainEqual({ type: 'ra.request_vote_reply', queue: 'q', term: 5, granted: false });
    expect(b.term).toBe(5);
  });
});

// ------------------------------------------------------------------ the state machine

function content(id: string): Content {
  return { properties: { deliveryMode: 2, messageId: id, timestamp: 0 }, key: undefined, bytes: 10 };
}

const cid = { node: 'rabbit-1', conn: 'c1', channel: 1, tag: 't1' };

describe('quorum queues: state machine (rabbit_fifo)', () => {
  it('stores a resent enqueue once and answers it again', () => {
    const fifo = new QuorumFifo(20, false);
    const enqueue = (seq: number, index: number) => fifo.apply(index, {
      op: 'enqueue', enqueuer: 'p1#1', seq, exchange: '', routingKey: 'q', content: content(`m${seq}`), reply: { node: 'rabbit-2', req: `r${index}` },
    });
    enqueue(1, 1);
    enqueue(2, 2);
    const again = enqueue(1, 3);
    expect(fifo.ready.count).toBe(2);
    expect(again).toEqual([{ kind: 'applied', reply: { node: 'rabbit-2', req: 'r3' }, duplicate: true }]);
  });

  it('counts returns in delivery-count and dead-letters a message returned more than x-delivery-limit times', () => {
    const fifo = new QuorumFifo(2, true);
    let index = 1;
    const apply = (cmd: FifoCommand): FifoEffect[] => fifo.apply(index++, cmd);
    apply({ op: 'enqueue', enqueuer: 'p', seq: 1, exchange: '', routingKey: 'q', content: content('m1') });
    const first = apply({ op: 'checkout', cid, prefetch: 1, noAck: false });
    const delivered = first.find((e) => e.kind === 'deliver');
    expect(delivered?.kind === 'deliver' && delivered.deliveries[0]!.message.deliveryCount).toBe(0);
    const counts: number[] = [];
    let last: FifoEffect[] = [];
    for (let i = 0; i < 3; i++) {
      last = apply({ op: 'return', cid, ids: [1] });
      const d = last.find((e) => e.kind === 'deliver');
      if (d?.kind === 'deliver') {
        counts.push(d.deliveries[0]!.message.deliveryCount);
        expect(d.deliveries[0]!.message.redelivered).toBe(true);
      }
    }
    expect(counts).toEqual([1, 2]);
    expect(last).toContainEqual(expect.objectContaining({ kind: 'dead-letter', reason: 'delivery_limit' }));
    expect(fifo.ready.count + fifo.checkedOut).toBe(0);
  });

  it('drops instead without a dead-letter exchange; -1 means no limit', () => {
    const dropping = new QuorumFifo(0, false);
    dropping.apply(1, { op: 'enqueue', enqueuer: 'p', seq: 1, exchange: '', routingKey: 'q', content: content('m1') });
    dropping.apply(2, { op: 'checkout', cid, prefetch: 0, noAck: false });
    expect(dropping.apply(3, { op: 'return', cid, ids: [1] })).toContainEqual(expect.objectContaining({ kind: 'dropped' }));
    const unlimited = new QuorumFifo(-1, true);
    unlimited.apply(1, { op: 'enqueue', enqueuer: 'p', seq: 1, exchange: '', routingKey: 'q', content: content('m1') });
    unlimited.apply(2, { op: 'checkout', cid, prefetch: 0, noAck: false });
    for (let i = 0; i < 50; i++) unlimited.apply(3 + i, { op: 'return', cid, ids: [1] });
    expect(unlimited.checkedOut).toBe(1);
  });

  it('basic.cancel (cancel with keep) stops deliveries but lets the consumer settle what it holds; a closed channel\'s cancel returns them', () => {
    const fifo = new QuorumFifo(20, false);
    for (let i = 1; i <= 3; i++) fifo.apply(i, { op: 'enqueue', enqueuer: 'p', seq: i, exchange: '', routingKey: 'q', content: content(`m${i}`) });
    fifo.apply(4, { op: 'checkout', cid, prefetch: 2, noAck: false });
    expect(fifo.apply(5, { op: 'cancel', cid, keep: true })).toEqual([]);
    expect(fifo.checkedOut).toBe(2);
    expect(fifo.apply(6, { op: 'settle', cid, ids: [1] }).some((e) => e.kind === 'deliver')).toBe(false);
    fifo.apply(7, { op: 'settle', cid, ids: [2] });
    expect(fifo.consumerCount).toBe(0);
    expect(fifo.ready.count).toBe(1);
    const other = { ...cid, tag: 't2' };
    fifo.apply(8, { op: 'checkout', cid: other, prefetch: 0, noAck: false });
    fifo.apply(9, { op: 'cancel', cid: other });
    expect(fifo.ready.count).toBe(1);
    expect(fifo.consumerCount).toBe(0);
  });

  it('a new leader\'s noop and a node down return checked-out messages; prefetch limits what is checked out', () => {
    const fifo = new QuorumFifo(20, false);
    for (let i = 1; i <= 3; i++) fifo.apply(i, { op: 'enqueue', enqueuer: 'p', seq: i, exchange: '', routingKey: 'q', content: content(`m${i}`) });
    fifo.apply(4, { op: 'checkout', cid, prefetch: 2, noAck: false });
    expect(fifo.checkedOut).toBe(2);
    const again = fifo.apply(5, { op: 'noop', leader: 'rabbit-2' });
    const d = again.find((e) => e.kind === 'deliver');
    expect(d?.kind === 'deliver' && d.deliveries.map((x) => x.message.redelivered)).toEqual([true, true]);
    fifo.apply(6, { op: 'down', node: 'rabbit-1' });
    expect(fifo.consumerCount).toBe(0);
    expect(fifo.ready.count).toBe(3);
  });
});

// ------------------------------------------------------------------ through the model

const schema = scenarioSchema(rabbitmqModel.parts);

function parse(raw: Record<string, unknown>): RabbitScenario {
  return schema.parse({ name: 'rabbit-quorum-test', system: 'rabbitmq', ...raw }) as RabbitScenario;
}

function run(raw: Record<string, unknown>, seed = 1) {
  const scenario = parse(raw);
  const world = new World({ seed, keepHistory: true });
  const model = rabbitmqModel.build(world, scenario);
  const options: Parameters<World['run']>[0] = { duration: scenario.duration, finalRead: () => model.retained!() };
  if (scenario.drain !== undefined) options.drain = scenario.drain;
  if (scenario.faults !== undefined) options.faults = scenario.faults;
  return { result: world.run(options), model, world };
}

describe('quorum queues and clusters: schema', () => {
  it('refuses a non-durable, exclusive or auto-delete quorum queue as RabbitMQ does, and quorum arguments on a classic queue', () => {
    const bad = (queue: Record<string, unknown>) => schema.safeParse({ name: 't', system: 'rabbitmq', duration: '1s', cluster: { brokers: 3 }, queues: [queue] });
    const nonDurable = bad({ name: 'q', durable: false, arguments: { 'x-queue-type': 'quorum' } });
    expect(nonDurable.success).toBe(false);
    expect(JSON.stringify(nonDurable.error?.issues)).toContain('must be durable');
    expect(JSON.stringify(bad({ name: 'q', durable: true, exclusive: true, arguments: { 'x-queue-type': 'quorum' } }).error?.issues)).toContain('exclusive');
    expect(JSON.stringify(bad({ name: 'q', durable: true, autoDelete: true, arguments: { 'x-queue-type': 'quorum' } }).error?.issues)).toContain('auto-delete');
    expect(JSON.stringify(bad({ name: 'q', durable: true, arguments: { 'x-delivery-limit': 3 } }).error?.issues)).toContain('quorum queues only');
    expect(bad({ name: 'q', durable: true, arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 3, 'x-quorum-initial-group-size': 5 } }).success).toBe(true);
  });

  it('places replicas from the declaring node, up to three by default, and refuses unknown node names', () => {
    const scenario = parse({
      duration: '1s', cluster: { brokers: 5 },
      queues: [{ name: 'q', durable: true, node: 'rabbit-4', arguments: { 'x-queue-type': 'quorum' } }],
      workload: { producers: [{ id: 'p1', node: 'rabbit-9', count: 1, routingKey: 'q' }] },
    });
    expect(() => rabbitmqModel.build(new World({ seed: 1 }), scenario)).toThrow(/no node "rabbit-9"/);
    const ok = parse({ duration: '1s', cluster: { brokers: 5 }, queues: [{ name: 'q', durable: true, node: 'rabbit-4', arguments: { 'x-queue-type': 'quorum' } }] });
    const model = rabbitmqModel.build(new World({ seed: 1 }), ok);
    expect(model.describe().join('\n')).toContain('queue q: durable on rabbit-4, rabbit-5, rabbit-1');
  });
});

describe('quorum queues and clusters: runs', () => {
  const base = {
    duration: '20s', drain: '30s',
    queues: [{ name: 'jobs', durable: true, arguments: { 'x-queue-type': 'quorum' } }],
    workload: {
      producers: [{ id: 'p1', node: 'rabbit-2', rate: '50/s', routingKey: 'jobs', persistent: true, config: { confirm: true } }],
      consumers: [{ queue: 'jobs', node: 'rabbit-3', processing: '5ms', config: { prefetch: 10 } }],
    },
  };

  it('a publisher confirm of a quorum queue comes after the majority commit: with two of three members down nothing is confirmed until one is back', () => {
    const { result, world } = run({
      ...base, cluster: { brokers: 3, config: { net_ticktime: '8s' } },
      faults: [{ at: '5s', crash: 'rabbit-1' }, { at: '5s', crash: 'rabbit-3' }, { at: '12s', restart: 'rabbit-3' }, { at: '14s', restart: 'rabbit-1' }],
    });
    expect(result.check.counts.lostAcked).toBe(0);
    const oks = world.history.ops.filter((op) => op.f === 'send' && op.type === 'ok');
    // No confirm while only rabbit-2's member is up (a minority of 1): none between 5.5s and 12s.
    expect(oks.filter((op) => op.time > 5_500_000 && op.time < 12_000_000)).toEqual([]);
    expect(oks.length).toBeGreaterThan(900);
    expect(world.notes.some((n) => n.what === 'ra-leader-elected' && n.node !== 'rabbit-1')).toBe(true);
  });

  it('rabbitmqctl stop: the stopping leader hands its queue over at once, its clients get 320 CONNECTION_FORCED, its peers see it down at once', () => {
    const { result, world } = run({
      ...base, cluster: { brokers: 3 },
      workload: { ...base.workload, producers: [{ ...base.workload.producers[0], node: 'rabbit-1' }] },
      faults: [{ at: '5s', stop: 'rabbit-1', for: '5s' }],
    });
    const transfer = world.notes.find((n) => n.what === 'ra-transfer-leadership')!;
    expect(transfer.node).toBe('rabbit-1');
    expect(transfer.at).toBe(5_000_000);
    const elected = world.notes.find((n) => n.what === 'ra-leader-elected' && n.at >= 5_000_000)!;
    expect(elected.node).not.toBe('rabbit-1');
    expect(elected.at - 5_000_000).toBeLessThan(100_000);
    const downs = world.notes.filter((n) => n.what === 'nodedown' && n.detail?.node === 'rabbit-1');
    expect(downs.map((n) => n.detail?.reason)).toEqual(['connection_closed', 'connection_closed']);
    for (const d of downs) expect(d.at - 5_000_000).toBeLessThan(100_000);
    expect(world.notes.some((n) => n.what === 'connection-lost' && n.node === 'p1' && String(n.detail?.why).includes('320'))).toBe(true);
    expect(result.check.counts.lostAcked).toBe(0);
  });

  it('a new leader tells the nodes (leader_change): a client on a node without a member resends to it at once, not a command timeout later', () => {
    const { result, world } = run({
      duration: '6s', drain: '10s', cluster: { brokers: 5 },
      queues: [{ name: 'jobs', durable: true, arguments: { 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': 3 } }],
      workload: { producers: [{ id: 'p1', node: 'rabbit-5', rate: '100/s', routingKey: 'jobs', persistent: true, config: { confirm: true } }] },
      faults: [{ at: '1ms', kill: 'rabbit-1', for: '30s' }],
    });
    expect(result.check.counts.lostAcked).toBe(0);
    const invoked = new Map(world.history.ops.filter((op) => op.f === 'send' && op.type === 'invoke').map((op) => [op.msg, op.time]));
    const waits = world.history.ops.filter((op) => op.f === 'send' && op.type === 'ok').map((op) => op.time - invoked.get(op.msg)!);
    expect(waits.length).toBe(600);
    // The election takes 1-2 s (quorum.election.timeout 1s); the command timeout is 5 s.
    expect(Math.max(...waits)).toBeLessThan(2_500_000);
  });

  it('pause_minority pauses the cut-off node (its clients are closed out) and resumes it on heal; ignore does not', () => {
    const partitioned = (handling: string) => run({
      duration: '40s', drain: '10s', cluster: { brokers: 3, config: { cluster_partition_handling: handling, net_ticktime: '8s' } },
      queues: [{ name: 'q', durable: true, node: 'rabbit-1' }],
      workload: { producers: [{ id: 'p1', node: ['rabbit-3', 'rabbit-1'], rate: '20/s', routingKey: 'q', persistent: true, config: { confirm: true } }] },
      faults: [{ at: '5s', partition: [['rabbit-3'], ['rabbit-1', 'rabbit-2']] }, { at: '25s', heal: true }],
    });
    const paused = partitioned('pause_minority');
    const pauses = paused.world.notes.filter((n) => n.what === 'pause_minority');
    expect(pauses.map((n) => [n.node, n.detail?.action])).toEqual([['rabbit-3', 'pause'], ['rabbit-3', 'resume']]);
    expect(pauses[0]!.at).toBeGreaterThanOrEqual(13_000_000);
    expect(paused.world.notes.some((n) => n.what === 'connection-lost' && n.node === 'p1' && String(n.detail?.why).includes('320'))).toBe(true);
    expect(paused.result.check.counts.lostAcked).toBe(0);
    const ignored = partitioned('ignore');
    expect(ignored.world.notes.filter((n) => n.what === 'pause_minority')).toEqual([]);
    expect(ignored.world.notes.some((n) => n.what === 'partition-detected')).toBe(true);
    expect(ignored.result.check.counts.lostAcked).toBeGreaterThan(0);
  });

  it('a consumer that cancels (basic.cancel at its stop) gets nothing more from a quorum queue or a classic queue on another node', () => {
    for (const queue of [
      { name: 'q', durable: true, arguments: { 'x-queue-type': 'quorum' } },
      { name: 'q', durable: true, node: 'rabbit-1' },
    ]) {
      const { result, world } = run({
        duration: '10s', drain: '5s', cluster: { brokers: 3 }, queues: [queue],
        workload: {
          producers: [{ id: 'p1', node: 'rabbit-2', rate: '50/s', routingKey: 'q', persistent: true, config: { confirm: true } }],
          consumers: [{ queue: 'q', node: 'rabbit-3', processing: '5ms', stop: '4s', config: { prefetch: 10 } }],
        },
      });
      const receives = world.history.ops.filter((op) => op.f === 'receive');
      expect(receives.length).toBeGreaterThan(150);
      expect(receives.filter((op) => op.time > 4_100_000 && op.time < 10_000_000)).toEqual([]);
      expect(result.check.counts.lostAcked).toBe(0);
    }
  });

  it('net_ticktime: a silent peer is seen down after about net_ticktime (4 missed ticks), not before', () => {
    const { world } = run({
      duration: '30s', cluster: { brokers: 2, config: { net_ticktime: '20s' } }, queues: [{ name: 'q', durable: true }],
      faults: [{ at: '2s', partition: [['rabbit-1'], ['rabbit-2']] }],
    });
    const downs = world.notes.filter((n) => n.what === 'nodedown');
    expect(downs.length).toBe(2);
    for (const d of downs) {
      expect(d.at).toBeGreaterThanOrEqual(22_000_000);
      expect(d.at).toBeLessThanOrEqual(27_000_000);
      expect(d.detail?.reason).toBe('net_tick_timeout');
    }
  });

  it('Erlang distribution on TCP: a killed peer is seen down at once (its connections reset), a crashed one only after net_ticktime', () => {
    for (const fault of ['kill', 'crash'] as const) {
      const { world } = run({
        duration: '30s', cluster: { brokers: 2, config: { net_ticktime: '20s' } }, queues: [{ name: 'q', durable: true }],
        faults: [{ at: '2s', [fault]: 'rabbit-2', ...(fault === 'kill' ? { for: '25s' } : {}) }],
      });
      // (The killed node is back at 27s.)
      const downs = world.notes.filter((n) => n.what === 'nodedown' && n.node === 'rabbit-1' && n.at < 27_000_000);
      expect(downs.length).toBe(1);
      if (fault === 'kill') {
        expect(downs[0]!.at).toBeLessThan(2_010_000);
        expect(downs[0]!.detail?.reason).toBe('connection_closed');
      } else {
        expect(downs[0]!.at).toBeGreaterThanOrEqual(22_000_000);
        expect(downs[0]!.detail?.reason).toBe('net_tick_timeout');
      }
    }
  });

  it('a quorum follower whose leader\'s node is killed elects after Ra\'s short timeout (under 1 s); after a crash it waits its election timeout', () => {
    const failover = (fault: 'kill' | 'crash') => {
      const { model } = run({
        ...base, cluster: { brokers: 3 },
        faults: fault === 'kill' ? [{ at: '5s', kill: 'rabbit-1', for: '10s' }] : [{ at: '5s', crash: 'rabbit-1' }, { at: '15s', restart: 'rabbit-1' }],
      });
      return model.counts().leaderFailoverMsMax as number;
    };
    const killed = failover('kill');
    expect(killed).toBeGreaterThan(100);
    expect(killed).toBeLessThan(700);
    expect(failover('crash')).toBeGreaterThan(1000);
  });

  it('autoheal restarts the losing side\'s application: its transient classic queue and messages are gone', () => {
    const { world, result } = run({
      duration: '30s', drain: '10s', cluster: { brokers: 3, config: { cluster_partition_handling: 'autoheal', net_ticktime: '8s' } },
      queues: [{ name: 'q', durable: false, node: 'rabbit-3' }],
      workload: { producers: [{ id: 'p1', node: 'rabbit-3', rate: '20/s', stop: '20s', routingKey: 'q', config: { confirm: true } }] },
      faults: [{ at: '2s', partition: [['rabbit-3'], ['rabbit-1', 'rabbit-2']] }, { at: '22s', heal: true }],
    });
    const heals = world.notes.filter((n) => n.what === 'autoheal');
    expect(heals.length).toBe(3);
    for (const h of heals) expect(h.detail).toMatchObject({ winner: 'rabbit-1,rabbit-2', losers: 'rabbit-3' });
    expect(world.notes.some((n) => n.what === 'broker-recovered' && n.node === 'rabbit-3' && n.at >= 22_000_000)).toBe(true);
    expect(result.check.counts.acked).toBe(400);
    expect(result.check.counts.lostAcked).toBe(400);
  });
});

import { describe, expect, it } from 'vitest';
import type { Actor, Message, NodeContext } from '../../sim/node.js';
import { rebuildState } from '../../sim/state.js';
import type { TraceRecord } from '../../sim/trace.js';
import { World } from '../../sim/world.js';

/** Ticks every 100ms and counts ticks in memory (lost on a crash). */
class Ticker implements Actor {
  ctx!: NodeContext;
  ticks = 0;
  received: number[] = [];
  constructor(private readonly onTick: (name: string, at: number, ticks: number) => void) {}
  start(ctx: NodeContext): void {
    this.ctx = ctx;
    ctx.setTimer(100_000, 'tick');
  }
  receive(_from: string, message: Message): void {
    this.received.push(this.ctx.trueNow());
    void message;
  }
  onTimer(): void {
    this.ticks++;
    this.onTick(this.ctx.name, this.ctx.trueNow(), this.ticks);
    this.ctx.setTimer(100_000, 'tick');
  }
}

function tickerWorld(names = ['n1']) {
  const world = new World({ seed: 5 });
  const ticks: { name: string; at: number; ticks: number }[] = [];
  const actors: Ticker[] = [];
  for (const name of names) {
    world.addNode(name, () => {
      const actor = new Ticker((n, at, t) => ticks.push({ name: n, at, ticks: t }));
      actors.push(actor);
      return actor;
    }, { roles: ['broker'] });
  }
  return { world, ticks, actors };
}

describe('node lifecycle', () => {
  it('a crash drops in-memory state and pending timers; a restart starts a fresh actor', () => {
    const { world, ticks, actors } = tickerWorld();
    world.run({ duration: 2_000_000, drain: 0, faults: [{ at: 1_050_000, crash: 'n1' }, { at: 1_500_000, restart: 'n1' }] });
    expect(actors.length).toBe(2);
    // No tick while down.
    expect(ticks.filter((t) => t.at > 1_050_000 && t.at < 1_500_000)).toEqual([]);
    // The new actor counts from 1 again: its memory did not survive.
    const after = ticks.filter((t) => t.at > 1_500_000);
    expect(after[0]!.ticks).toBe(1);
    expect(after[0]!.at).toBe(1_600_000);
  });

  it('a pause defers timers and messages and hands them over on resume', () => {
    const { world, ticks, actors } = tickerWorld(['n1', 'n2']);
    world.kernel.at(1_200_000, () => actors[1]!.ctx.send('n1', { type: 'Ping' }), null);
    world.run({ duration: 3_000_000, drain: 0, faults: [{ at: 1_050_000, pause: 'n1', for: 500_000 }] });
    const n1 = ticks.filter((t) => t.name === 'n1');
    expect(n1.filter((t) => t.at > 1_050_000 && t.at < 1_550_000)).toEqual([]);
    // Same actor (memory kept): the tick count carries on across the pause.
    const resumed = n1.find((t) => t.at >= 1_550_000)!;
    expect(resumed.at).toBe(1_550_000);
    expect(resumed.ticks).toBe(11);
    expect(actors[0]!.received).toEqual([1_550_000]);
  });

  it('clock skew moves the node clock but not virtual time', () => {
    const { world, actors } = tickerWorld();
    const seen: [number, number][] = [];
    world.kernel.at(900_000, () => seen.push([actors[0]!.ctx.trueNow(), actors[0]!.ctx.now()]), null);
    world.run({ duration: 1_000_000, drain: 0, faults: [{ at: 500_000, 'clock-skew': 'n1', offset: -2_000_000 }] });
    expect(seen).toEqual([[900_000, -1_100_000]]);
    // The liveness phase puts clocks right again.
    expect(actors[0]!.ctx.now()).toBe(1_000_000);
  });

  it('the liveness phase heals partitions and brings every node back', () => {
    const { world } = tickerWorld(['n1', 'n2', 'n3']);
    const phases: string[] = [];
    world.onPhase((p) => phases.push(p));
    const result = world.run({
      duration: 2_000_000,
      drain: 1_000_000,
      faults: [{ at: 1_000_000, crash: 'n1' }, { at: 1_000_000, pause: 'n2' }, { at: 1_000_000, partition: [['n3'], ['n1', 'n2']] }],
    });
    expect(phases).toEqual(['liveness', 'done']);
    expect(result.nodes.map((n) => n.status)).toEqual(['up', 'up', 'up']);
    expect(world.network.activePartitions()).toEqual([]);
    expect(result.faults.at(-1)!.kind).toBe('liveness');
    expect(result.faults.at(-1)!.targets).toEqual(['n1', 'n2']);
  });
});

describe('nemesis targets', () => {
  it('resolves random-<role> deterministically from the seed, all-<role> to every node, and model selectors', () => {
    const pick = (seed: number) => {
      const world = new World({ seed });
      for (const n of ['b1', 'b2', 'b3', 'b4']) world.addNode(n, () => ({ start() {}, receive() {} }), { roles: ['broker'] });
      world.registerSelector('leader-of', (arg) => (arg === 'orders-0' ? ['b3'] : []));
      world.run({ duration: 1_000_000, drain: 0, faults: [{ at: 100, crash: 'random-broker' }, { at: 200, crash: { 'leader-of': 'orders-0' } }, { at: 300, pause: 'all-broker' }] });
      return world.faultLog.map((f) => f.targets.join(','));
    };
    expect(pick(1)).toEqual(pick(1));
    const picks = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((s) => pick(s)[0]));
    expect(picks.size).toBeGreaterThan(1);
    expect(pick(1)[1]).toBe('b3');
  });

  it('rejects schedules naming unknown nodes, roles or selectors, or faults after the end', () => {
    const world = new World({ seed: 1 });
    world.addNode('b1', () => ({ start() {}, receive() {} }), { roles: ['broker'] });
    const problems = world.validateFaults([
      { at: 0, crash: 'b9' },
      { at: 0, crash: 'random-zookeeper' },
      { at: 0, crash: { 'leader-of': 'x' } },
      { at: 5_000_000, crash: 'b1' },
    ], 1_000_000);
    expect(problems).toEqual([
      'faults[0]: no node or selector named "b9" (nodes: b1; or random-<role>, all-<role>)',
      'faults[1]: no node has role "zookeeper" (roles: broker)',
      'faults[2]: unknown selector "leader-of" (this system has none)',
      'faults[3]: at 5s is after the run\'s duration 1s',
    ]);
  });
});

describe('state store', () => {
  it('records immer patches into the trace and rebuilds the state at any time from them', () => {
    const records: TraceRecord[] = [];
    const world = new World({ seed: 1, traceSink: { write: (r) => records.push(r) } });
    world.addNode('controller', () => ({ start() {}, receive() {} }));
    const store = world.store('cluster', { leader: 'b1', epoch: 0, isr: ['b1', 'b2', 'b3'] });
    world.kernel.at(1_000_000, () => store.update((d) => { d.isr = ['b1', 'b2']; }, 'isr-shrink'), null);
    world.kernel.at(2_000_000, () => store.update((d) => { d.leader = 'b2'; d.epoch = 1; }), null);
    world.run({ duration: 3_000_000, drain: 0 });
    expect(rebuildState(records, 'cluster', 500_000)).toEqual({ leader: 'b1', epoch: 0, isr: ['b1', 'b2', 'b3'] });
    expect(rebuildState(records, 'cluster', 1_500_000)).toEqual({ leader: 'b1', epoch: 0, isr: ['b1', 'b2'] });
    expect(rebuildState(records, 'cluster', 2_000_000)).toEqual({ leader: 'b2', epoch: 1, isr: ['b1', 'b2'] });
    expect(store.state).toEqual({ leader: 'b2', epoch: 1, isr: ['b1', 'b2'] });
    expect(store.changes).toBe(2);
  });

  it('a state change folds into the trace hash', () => {
    const hashOf = (epoch: number) => {
      const world = new World({ seed: 1 });
      const store = world.store('s', { epoch: 0 });
      world.kernel.at(10, () => store.update((d) => { d.epoch = epoch; }), null);
      return world.run({ duration: 100, drain: 0 }).traceHash;
    };
    expect(hashOf(1)).toBe(hashOf(1));
    expect(hashOf(2)).not.toBe(hashOf(1));
  });
});

import { describe, expect, it } from 'vitest';
import type { Actor, Message, NodeContext } from '../../sim/node.js';
import type { TraceRecord } from '../../sim/trace.js';
import { STOP_TIMEOUT, World } from '../../sim/world.js';

/** A broker-like actor whose shutdown tells a peer it is leaving and exits after `shutdownFor`. */
class Leaver implements Actor {
  ctx!: NodeContext;
  constructor(private readonly log: string[]) {}
  start(ctx: NodeContext, restarted: boolean): void {
    this.ctx = ctx;
    this.log.push(`${ctx.trueNow()} ${ctx.name} start${restarted ? ' (restarted)' : ''}`);
  }
  receive(from: string, message: Message): void {
    this.log.push(`${this.ctx.trueNow()} ${this.ctx.name} got ${message.type} from ${from}`);
  }
  onTimer(tag: string, data: unknown): void {
    if (tag === 'exit') (data as () => void)();
  }
  stop?(done: () => void): void;
}

function world(shutdownFor: number | null, graceful = true) {
  const log: string[] = [];
  const w = new World({ seed: 1, network: { latency: { constant: 1_000 } } });
  w.addNode('broker-1', () => {
    const actor = new Leaver(log);
    if (graceful) {
      actor.stop = (done) => {
        actor.ctx.send('peer', { type: 'ControlledShutdown' });
        if (shutdownFor !== null) actor.ctx.setTimer(shutdownFor, 'exit', done);
      };
    }
    return actor;
  });
  w.addNode('peer', () => new Leaver(log));
  w.onCrash((node) => log.push(`${w.kernel.now} ${node} down`));
  return { w, log };
}

describe('graceful stop', () => {
  it('runs the actor shutdown protocol, then exits cleanly once the actor says done', () => {
    const { w, log } = world(2_000_000);
    w.run({ duration: 10_000_000, drain: 0, faults: [{ at: 1_000_000, stop: 'broker-1' }] });
    expect(log).toContain('1001000 peer got ControlledShutdown from broker-1');
    expect(log).toContain('3000000 broker-1 down');
    expect(w.node('broker-1').crashes).toBe(1);
  });

  it('traces node.stop when the shutdown begins and node.exit when the process exits, with the incarnation that ran it', () => {
    const { w } = world(2_000_000);
    const records: TraceRecord[] = [];
    w.trace.sink = { write: (r) => { if (r.kind.startsWith('node.')) records.push(r); } };
    w.run({ duration: 10_000_000, drain: 0, faults: [{ at: 1_000_000, stop: 'broker-1', for: 1_000_000 }] });
    const lifecycle = records.map((r) => `${r.t} ${r.kind} ${r.node} ${String(r.incarnation ?? '')}`.trim());
    const stop = lifecycle.findIndex((l) => l.startsWith('1000000 node.stop broker-1'));
    const exit = lifecycle.findIndex((l) => l.startsWith('3000000 node.exit broker-1'));
    expect(stop, lifecycle.join('\n')).toBeGreaterThanOrEqual(0);
    expect(exit, lifecycle.join('\n')).toBeGreaterThan(stop);
    // The stop names the incarnation that is running; the exit, like a crash record, the next one.
    expect(records[exit]!.incarnation).toBe((records[stop]!.incarnation as number) + 1);
    // A stop of a node without a shutdown protocol still records both, at the same instant.
    const bare = world(null, false);
    const bareRecords: TraceRecord[] = [];
    bare.w.trace.sink = { write: (r) => { if (r.kind === 'node.stop' || r.kind === 'node.exit') bareRecords.push(r); } };
    bare.w.run({ duration: 1_500_000, drain: 0, faults: [{ at: 1_000_000, stop: 'broker-1' }] });
    expect(bareRecords.map((r) => `${r.t} ${r.kind}`)).toEqual(['1000000 node.stop', '1000000 node.exit']);
  });

  it('a stop still running when the safety phase ends exits, then comes back for the liveness phase', () => {
    const { w, log } = world(5_000_000);
    w.run({ duration: 2_000_000, drain: 10_000_000, faults: [{ at: 1_000_000, stop: 'broker-1' }] });
    expect(log).toContain('6000000 broker-1 down');
    expect(log).toContain('6000000 broker-1 start (restarted)');
  });

  it('stays up while the shutdown runs, and restarts after `for` once it has exited', () => {
    const { w, log } = world(3_000_000);
    w.run({ duration: 10_000_000, drain: 0, faults: [{ at: 1_000_000, stop: 'broker-1', for: 1_000_000 }] });
    // The restart came due at 2 s while the shutdown ran until 4 s: it waits for the exit.
    expect(log).toContain('4000000 broker-1 start (restarted)');
    expect(w.node('broker-1').status).toBe('up');
  });

  it('an actor without a stop handler exits at once', () => {
    const { w, log } = world(null, false);
    w.run({ duration: 1_500_000, drain: 0, faults: [{ at: 1_000_000, stop: 'broker-1' }] });
    expect(log).toContain('1000000 broker-1 down');
    expect(log.some((l) => l.includes('ControlledShutdown'))).toBe(false);
  });

  it('a shutdown that never finishes is killed after STOP_TIMEOUT (systemd TimeoutStopSec)', () => {
    const { w, log } = world(null);
    const result = w.run({ duration: 1_000_000 + STOP_TIMEOUT + 1, drain: 0, faults: [{ at: 1_000_000, stop: 'broker-1' }] });
    expect(log.filter((l) => l.endsWith('broker-1 down'))).toEqual([`${1_000_000 + STOP_TIMEOUT} broker-1 down`]);
    expect(result.notes.map((n) => n.what)).toContain('stop-timeout');
  });

  it('a stop of a paused node does nothing', () => {
    const { w, log } = world(0);
    w.run({ duration: 3_000_000, drain: 0, faults: [{ at: 500_000, pause: 'broker-1' }, { at: 1_000_000, stop: 'broker-1' }] });
    expect(log.some((l) => l.includes('down') || l.includes('ControlledShutdown'))).toBe(false);
  });
});

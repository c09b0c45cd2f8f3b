import { describe, expect, it } from 'vitest';
import { assertDeterministic, DeterminismError } from '../../sim/determinism.js';
import type { Actor, NodeContext } from '../../sim/node.js';
import { World } from '../../sim/world.js';

/** Sends a ping to its peer at intervals drawn from `nextDelay`. */
function pingWorld(nextDelay: (ctx: NodeContext) => number, options: { checkpoints: boolean; sink?: { write: (r: any) => void } }) {
  const world = new World({ seed: 9, checkpoints: options.checkpoints, ...(options.sink ? { traceSink: options.sink } : {}) });
  for (const [name, peer] of [['a', 'b'], ['b', 'a']] as const) {
    world.addNode(name, (): Actor => {
      let ctx: NodeContext;
      return {
        start(c) {
          ctx = c;
          ctx.setTimer(nextDelay(ctx), 'ping');
        },
        receive() {},
        onTimer() {
          ctx.send(peer, { type: 'Ping' });
          ctx.setTimer(nextDelay(ctx), 'ping');
        },
      };
    });
  }
  world.run({ duration: 2_000_000, drain: 0 });
  return world.trace;
}

describe('determinism self-check', () => {
  it('passes a run that takes its randomness from the seeded streams', () => {
    const trace = assertDeterministic('seeded', (o) => pingWorld((ctx) => 1 + ctx.random().int(10_000), o));
    expect(trace.records).toBeGreaterThan(100);
  });

  it('catches a run that uses unseeded randomness, naming the first differing record', () => {
    // Deliberately wrong: the kind of leak the self-check exists to catch.
    const leak = () => 1 + Math.floor(Math.random() * 10_000);
    expect(() => assertDeterministic('leaky', (o) => pingWorld(leak, o))).toThrow(DeterminismError);
    expect(() => assertDeterministic('leaky', (o) => pingWorld(leak, o))).toThrow(/trace record \d+ differs[\s\S]*first: [\s\S]*second: /);
  });

  it('different seeds give different hashes, the same seed the same hash', () => {
    const hash = (seed: number) => {
      const world = new World({ seed });
      world.addNode('a', () => ({ start(ctx) { ctx.setTimer(ctx.random().int(1000), 'x'); }, receive() {}, onTimer() {} }));
      return world.run({ duration: 10_000, drain: 0 }).traceHash;
    };
    expect(hash(1)).toBe(hash(1));
    expect(hash(2)).not.toBe(hash(1));
  });
});

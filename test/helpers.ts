import type { Actor, Message, NodeContext } from '../sim/node.js';
import { World, type WorldOptions } from '../sim/world.js';

/** A message used by the kernel tests. */
export interface Ping extends Message {
  type: 'Ping';
  n: number;
}

/** Records what it receives; sends on request. */
export class Recorder implements Actor {
  ctx!: NodeContext;
  readonly received: { from: string; n: number; at: number }[] = [];
  constructor(private readonly log: { from: string; to: string; n: number; at: number }[]) {}
  start(ctx: NodeContext): void {
    this.ctx = ctx;
  }
  receive(from: string, message: Message): void {
    const ping = message as Ping;
    this.log.push({ from, to: this.ctx.name, n: ping.n, at: this.ctx.trueNow() });
  }
}

/** A world of recorder nodes `a`, `b`, `c`... with a shared delivery log. */
export function recorderWorld(names: string[], options: Partial<WorldOptions> = {}) {
  const world = new World({ seed: 1, ...options });
  const log: { from: string; to: string; n: number; at: number }[] = [];
  const actors = new Map<string, Recorder>();
  for (const name of names) {
    world.addNode(name, () => {
      const actor = new Recorder(log);
      actors.set(name, actor);
      return actor;
    }, { roles: ['broker'] });
  }
  const send = (from: string, to: string, n: number) => actors.get(from)!.ctx.send(to, { type: 'Ping', n } as Ping, 100);
  return { world, log, actors, send };
}

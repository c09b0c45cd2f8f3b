import { describe, expect, it } from 'vitest';
import { ExponentialBackoff, TCP, type CloseReason } from '../../sim/connection.js';
import type { Actor, Message, NodeContext } from '../../sim/node.js';
import { RandomStreams } from '../../sim/random.js';
import type { FaultStep } from '../../sim/faults.js';
import { World, type WorldOptions } from '../../sim/world.js';

interface Req extends Message { type: 'Req'; n: number }
interface Res extends Message { type: 'Res'; n: number }

/** A client on connections: requests carry a number; a close fails every request in flight. */
class Client implements Actor {
  ctx!: NodeContext;
  readonly inflight = new Map<number, number>();
  readonly answered: { n: number; at: number }[] = [];
  readonly failed: { n: number; at: number; reason: CloseReason }[] = [];
  readonly closes: { peer: string; reason: CloseReason; at: number }[] = [];
  readonly opens: number[] = [];
  start(ctx: NodeContext): void {
    this.ctx = ctx;
  }
  request(n: number): void {
    this.inflight.set(n, this.ctx.trueNow());
    this.ctx.connect('server');
    this.ctx.send('server', { type: 'Req', n } as Req);
  }
  receive(_from: string, message: Message): void {
    const { n } = message as Res;
    if (!this.inflight.delete(n)) return;
    this.answered.push({ n, at: this.ctx.trueNow() });
  }
  onConnectionOpened(): void {
    this.opens.push(this.ctx.trueNow());
  }
  onConnectionClosed(peer: string, reason: CloseReason): void {
    const at = this.ctx.trueNow();
    this.closes.push({ peer, reason, at });
    for (const n of this.inflight.keys()) this.failed.push({ n, at, reason });
    this.inflight.clear();
  }
}

/** A server that answers every request (it has no connection hook: it accepts and answers on the client's connection). */
class Server implements Actor {
  ctx!: NodeContext;
  readonly seen: { n: number; at: number }[] = [];
  start(ctx: NodeContext): void {
    this.ctx = ctx;
  }
  receive(from: string, message: Message): void {
    const { n } = message as Req;
    this.seen.push({ n, at: this.ctx.trueNow() });
    this.ctx.send(from, { type: 'Res', n } as Res);
  }
}

function pair(options: Partial<WorldOptions> = {}) {
  const world = new World({ seed: 7, network: { latency: { constant: 1_000 } }, ...options });
  const clients: Client[] = [];
  const servers: Server[] = [];
  world.addNode('client', () => { const c = new Client(); clients.push(c); return c; }, { roles: ['client'] });
  world.addNode('server', () => { const s = new Server(); servers.push(s); return s; }, { roles: ['broker'] });
  const client = () => clients[clients.length - 1]!;
  const at = (time: number, act: () => void) => world.kernel.at(time, act, null);
  const run = (duration: number, faults: FaultStep[] = []) => world.run({ duration, drain: 0, faults });
  return { world, clients, servers, client, at, run };
}

describe('connections (sim/connection.ts)', () => {
  it('deliver in order and without gaps on a lossy link: loss shows as retransmission delay', () => {
    const t = pair({ network: { latency: { constant: 1_000 }, loss: 0.2 } });
    for (let n = 0; n < 200; n++) t.at(100_000 + n * 1_000, () => t.client().request(n));
    t.run(30_000_000);
    const seen = t.servers[0]!.seen.map((s) => s.n);
    expect(seen).toEqual(Array.from({ length: 200 }, (_, n) => n));
    expect(t.client().answered.length).toBe(200);
    expect(t.world.connections.retransmissions).toBeGreaterThan(0);
    // Some request waited at least one minimum RTO (200 ms) on top of its 2 ms round trip.
    const slowest = Math.max(...t.client().answered.map((a) => a.at - (100_000 + a.n * 1_000)));
    expect(slowest).toBeGreaterThanOrEqual(TCP.rtoMin);
    expect(t.world.network.dropped).toBe(0);
  });

  it('thousands of segments on the wire arrive in order and once, also when a cut loses them halfway through', () => {
    // 50 ms each way; 3,000 requests sent 10 us apart are all on the wire at once. The cut at
    // 1.06 s comes after about a thousand arrived: the rest is retransmitted after the heal.
    const t = pair({ network: { latency: { constant: 50_000 } } });
    t.at(100_000, () => t.client().request(-1));
    for (let n = 0; n < 3_000; n++) t.at(1_000_000 + n * 10, () => t.client().request(n));
    t.run(20_000_000, [{ at: 1_060_000, partition: [['client'], ['server']] }, { at: 2_000_000, heal: true }]);
    const seen = t.servers[0]!.seen;
    expect(seen.map((s) => s.n)).toEqual([-1, ...Array.from({ length: 3_000 }, (_, n) => n)]);
    const arrivedBeforeCut = seen.filter((s) => s.n >= 0 && s.at < 1_060_000).length;
    expect(arrivedBeforeCut).toBeGreaterThan(900);
    expect(arrivedBeforeCut).toBeLessThan(1_100);
    expect(seen.filter((s) => s.n >= 0 && s.at > 2_000_000).length).toBe(3_000 - arrivedBeforeCut);
    expect(t.client().answered.length).toBe(3_001);
    expect(t.client().closes).toEqual([]);
  });

  it('a datagram sender (no connection hook) still loses messages on the same link', () => {
    const world = new World({ seed: 7, network: { latency: { constant: 1_000 }, loss: 0.2 } });
    const received: number[] = [];
    let sender!: NodeContext;
    world.addNode('a', () => ({ start: (ctx) => { sender = ctx; }, receive: () => {} }));
    world.addNode('b', () => ({ start: () => {}, receive: (_f, m) => { received.push((m as Req).n); } }));
    for (let n = 0; n < 200; n++) world.kernel.at(100_000 + n * 1_000, () => sender.send('b', { type: 'Req', n } as Req), null);
    world.run({ duration: 5_000_000, drain: 0 });
    expect(received.length).toBeLessThan(200);
    expect(world.network.dropped).toBe(200 - received.length);
  });

  it('opens with a handshake (one round trip) before the first request goes out', () => {
    const t = pair();
    t.at(100_000, () => t.client().request(1));
    t.run(1_000_000);
    expect(t.client().opens).toEqual([102_000]);
    expect(t.servers[0]!.seen).toEqual([{ n: 1, at: 103_000 }]);
    expect(t.world.connections.state(t.world.node('client').id, t.world.node('server').id)).toBe('open');
  });

  it('a killed peer process: its machine resets the connection and the client fails its in-flight requests at once', () => {
    const t = pair();
    t.at(100_000, () => t.client().request(1));
    // Request 2 is on the wire when the server is killed (sent 1.0005 s, would arrive 1.0015 s).
    t.at(1_000_500, () => t.client().request(2));
    t.run(3_000_000, [{ at: 1_000_000, kill: 'server', for: 10_000_000 }]);
    expect(t.client().closes).toEqual([{ peer: 'server', reason: 'reset', at: 1_001_000 }]);
    expect(t.client().failed).toEqual([{ n: 2, at: 1_001_000, reason: 'reset' }]);
  });

  it('a simultaneous open (both peers connect at once, SYNs crossing) resets neither: each sends on its own connection', () => {
    const world = new World({ seed: 7, network: { latency: { constant: 1_000 } } });
    const peers: Client[] = [];
    // Two clients that also answer: each requests from the other at the same instant.
    class Peer extends Client {
      constructor(private readonly other: string) { super(); }
      override request(n: number): void {
        this.inflight.set(n, this.ctx.trueNow());
        this.ctx.connect(this.other);
        this.ctx.send(this.other, { type: 'Req', n } as Req);
      }
      override receive(from: string, message: Message): void {
        if (message.type === 'Req') return this.ctx.send(from, { type: 'Res', n: (message as Req).n } as Res);
        super.receive(from, message);
      }
    }
    world.addNode('x', () => { const p = new Peer('y'); peers[0] = p; return p; });
    world.addNode('y', () => { const p = new Peer('x'); peers[1] = p; return p; });
    world.kernel.at(100_000, () => { peers[0]!.request(1); peers[1]!.request(2); }, null);
    world.run({ duration: 1_000_000, drain: 0 });
    expect(peers[0]!.closes).toEqual([]);
    expect(peers[1]!.closes).toEqual([]);
    expect(peers[0]!.answered.map((a) => a.n)).toEqual([1]);
    expect(peers[1]!.answered.map((a) => a.n)).toEqual([2]);
  });

  it('connecting to a machine whose process is dead is refused after one round trip', () => {
    const t = pair();
    t.at(2_000_000, () => t.client().request(1));
    t.run(3_000_000, [{ at: 1_000_000, kill: 'server', for: 10_000_000 }]);
    expect(t.client().closes).toEqual([{ peer: 'server', reason: 'refused', at: 2_002_000 }]);
    expect(t.client().failed.map((f) => f.n)).toEqual([1]);
    // The request queued behind the handshake is counted as dropped: every send is delivered or dropped.
    const { sent, delivered, dropped } = t.world.network;
    expect(dropped).toBeGreaterThanOrEqual(1);
    expect(sent).toBe(delivered + dropped);
  });

  it('a crashed machine is silence: an idle client learns nothing; a request is retransmitted until tcp_retries2 gives up', () => {
    const idle = pair();
    idle.at(100_000, () => idle.client().request(1));
    idle.run(100_000_000, [{ at: 1_000_000, crash: 'server' }]);
    expect(idle.client().closes).toEqual([]);

    const busy = pair();
    busy.at(100_000, () => busy.client().request(1));
    busy.at(2_000_000, () => busy.client().request(2));
    busy.run(1_000_000_000, [{ at: 1_000_000, crash: 'server' }]);
    expect(busy.client().closes).toEqual([{ peer: 'server', reason: 'timeout', at: 2_000_000 + TCP.retriesTimeout }]);
    expect(busy.client().failed.map((f) => f.n)).toEqual([2]);
  });

  it('a crashed machine that restarts answers the next retransmission with RST', () => {
    const t = pair();
    t.at(100_000, () => t.client().request(1));
    t.at(2_000_000, () => t.client().request(2));
    t.run(20_000_000, [{ at: 1_000_000, crash: 'server' }, { at: 5_000_000, restart: 'server' }]);
    // Retransmissions at 2.2, 2.6, 3.4, 5.0 (machine still down at its instant? restart is at 5.0 s), 8.2 s...
    const [close] = t.client().closes;
    expect(close!.reason).toBe('reset');
    expect(close!.at).toBeGreaterThan(5_000_000);
    expect(close!.at).toBeLessThan(8_300_000);
    expect(t.servers.length).toBe(2);
    expect(t.servers[1]!.seen).toEqual([]);
  });

  it('a partition is silence, then delay: what was sent during it arrives after the heal, on the same connection', () => {
    const t = pair();
    t.at(100_000, () => t.client().request(1));
    t.at(1_500_000, () => t.client().request(2));
    t.at(1_600_000, () => t.client().request(3));
    t.run(10_000_000, [{ at: 1_000_000, partition: [['client'], ['server']] }, { at: 4_000_000, heal: true }]);
    expect(t.client().closes).toEqual([]);
    expect(t.servers[0]!.seen.map((s) => s.n)).toEqual([1, 2, 3]);
    const late = t.client().answered.filter((a) => a.n > 1);
    expect(late.map((a) => a.n)).toEqual([2, 3]);
    for (const a of late) expect(a.at).toBeGreaterThan(4_000_000);
  });

  it('a paused process is silence with no close: its kernel still takes the bytes, handed over on resume', () => {
    const t = pair();
    t.at(100_000, () => t.client().request(1));
    t.at(1_500_000, () => t.client().request(2));
    t.run(10_000_000, [{ at: 1_000_000, pause: 'server', for: 3_000_000 }]);
    expect(t.client().closes).toEqual([]);
    expect(t.servers[0]!.seen[1]).toEqual({ n: 2, at: 4_000_000 });
  });

  it('an orderly close (disconnect) reaches the peer as fin, and the next send reconnects', () => {
    const world = new World({ seed: 3, network: { latency: { constant: 1_000 } } });
    const closes: [string, CloseReason, number][] = [];
    const clients: Client[] = [];
    world.addNode('client', () => { const c = new Client(); clients.push(c); return c; });
    // A server that watches its connections.
    world.addNode('server', () => {
      const server = new Server();
      return Object.assign(server, { onConnectionClosed: (peer: string, reason: CloseReason) => closes.push([peer, reason, server.ctx.trueNow()]) });
    });
    world.kernel.at(100_000, () => clients[0]!.request(1), null);
    world.kernel.at(500_000, () => clients[0]!.ctx.disconnect('server'), null);
    world.kernel.at(600_000, () => clients[0]!.request(2), null);
    world.run({ duration: 2_000_000, drain: 0 });
    expect(closes).toEqual([['client', 'fin', 501_000]]);
    expect(clients[0]!.opens).toEqual([102_000, 602_000]);
    expect(clients[0]!.answered.map((a) => a.n)).toEqual([1, 2]);
  });

  it('a stopped process closes its connections in order: its peers see fin when it exits, after what it sent', () => {
    const t = pair();
    t.at(100_000, () => t.client().request(1));
    t.run(3_000_000, [{ at: 1_000_000, stop: 'server' }]);
    expect(t.client().closes).toEqual([{ peer: 'server', reason: 'fin', at: 1_001_000 }]);
  });

  it('a process that halts itself (Runtime.halt on a live machine) resets its peers like a kill', () => {
    const t = pair();
    t.at(100_000, () => t.client().request(1));
    t.at(1_000_000, () => t.servers[0]!.ctx.halt());
    t.run(3_000_000);
    expect(t.client().closes).toEqual([{ peer: 'server', reason: 'reset', at: 1_001_000 }]);
  });

  it('a restarted peer that sends datagrams is answered as datagrams, not into its dead incarnation\'s half-open connection', () => {
    const t = pair();
    t.at(100_000, () => t.client().request(1));
    // The restarted client sends without connecting (a model path still on datagrams).
    t.at(3_000_000, () => {
      const c = t.client();
      c.inflight.set(2, c.ctx.trueNow());
      c.ctx.send('server', { type: 'Req', n: 2 } as Req);
    });
    t.run(5_000_000, [{ at: 1_000_000, crash: 'client' }, { at: 2_000_000, restart: 'client' }]);
    expect(t.clients.length).toBe(2);
    expect(t.client().answered).toEqual([{ n: 2, at: 3_002_000 }]);
  });

  it('a simultaneous open (both ends connect at once, as Erlang distribution does) is not taken for a restarted peer: no close, both directions deliver', () => {
    const world = new World({ seed: 7, network: { latency: { constant: 1_000 } } });
    const log: string[] = [];
    const peer = (self: string, other: string): Actor => {
      let ctx!: NodeContext;
      return {
        start(c) {
          ctx = c;
          ctx.connect(other);
          ctx.send(other, { type: 'Req', n: 1 } as Req);
        },
        receive(from) {
          log.push(`${self}<-${from}@${ctx.trueNow()}`);
        },
        onConnectionClosed(from, reason) {
          log.push(`${self} closed ${from} ${reason}`);
        },
      };
    };
    world.addNode('a', () => peer('a', 'b'));
    world.addNode('b', () => peer('b', 'a'));
    world.run({ duration: 100_000, drain: 0 });
    expect(log.sort()).toEqual(['a<-b@3000', 'b<-a@3000']);
  });

  it('reconnect back-off grows from reconnect.backoff.ms to reconnect.backoff.max.ms, with ±20% jitter', () => {
    const backoff = new ExponentialBackoff(50_000, 2, 1_000_000, 0.2);
    const random = new RandomStreams(1).stream('test');
    const terms = [50_000, 100_000, 200_000, 400_000, 800_000, 1_000_000, 1_000_000];
    terms.forEach((term, attempts) => {
      const value = backoff.backoff(attempts, random);
      expect(value).toBeGreaterThanOrEqual(term * 0.8);
      expect(value).toBeLessThanOrEqual(term * 1.2);
    });
    expect(new ExponentialBackoff(50_000, 2, 1_000_000, 0).backoff(3, random)).toBe(400_000);
  });

  it('is deterministic: the same seed gives the same trace hash', () => {
    const hash = () => {
      const t = pair({ network: { latency: { uniform: [500, 3_000] }, loss: 0.1 } });
      for (let n = 0; n < 50; n++) t.at(100_000 + n * 10_000, () => t.client().request(n));
      return t.run(5_000_000, [{ at: 300_000, partition: [['client'], ['server']] }, { at: 900_000, heal: true }]).traceHash;
    };
    expect(hash()).toBe(hash());
  });
});

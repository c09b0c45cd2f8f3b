import type { Kernel } from './kernel.js';
import type { Message } from './node.js';
import { sampler, type Distribution, type RandomStream, type RandomStreams, type Sampler } from './random.js';
import type { Micros } from './time.js';
import type { Trace, TraceKind } from './trace.js';

/**
 * The simulated network: directed links between nodes, each with a latency distribution,
 * loss, duplication, reordering and bandwidth; partitions that cut links both ways between
 * groups, or one way. By default a link behaves like a TCP connection: in order, no loss.
 */
export interface LinkConfig {
  latency: Distribution;
  /** Probability that a message is lost. */
  loss: number;
  /** Probability that a message is delivered twice. */
  duplicate: number;
  /** Probability that a message ignores FIFO order and may overtake earlier ones. */
  reorder: number;
  /** Bytes per second; Infinity for no limit. Messages queue behind each other on the link. */
  bandwidth: number;
}

export const DEFAULT_LINK: LinkConfig = {
  latency: { uniform: [500, 1500] },
  loss: 0,
  duplicate: 0,
  reorder: 0,
  bandwidth: Number.POSITIVE_INFINITY,
};

/** What the network needs from the world to hand a message over. */
export interface NetworkEndpoints {
  /** Increments each time the node restarts: a message sent to an earlier incarnation is dropped (its connection is gone). */
  incarnation(node: number): number;
  /** Hands a message to the destination node (the world applies crash and pause). */
  deliver(from: number, to: number, message: Message): void;
}

/** One directed link's state (also read by sim/connection.ts, which sends over it). */
export interface Link {
  readonly config: LinkConfig;
  readonly latency: Sampler;
  readonly random: RandomStream;
  /** Bandwidth: the time the link finishes sending what is queued on it. */
  busyUntil: Micros;
  /** FIFO: the latest delivery time handed out so far. */
  lastDelivery: Micros;
  /** How many partitions currently cut this link. */
  cuts: number;
  /** Incremented whenever a partition cuts the link: in-flight messages from before are dropped. */
  cutGeneration: number;
}

/** A message on the wire. */
interface InFlight {
  from: number;
  to: number;
  message: Message;
  typeId: number;
  bytes: number;
  cutGeneration: number;
  toIncarnation: number;
  link: Link;
}

export interface PartitionSpec {
  readonly id: number;
  /** Directed cuts, as [from, to] node ids. */
  readonly cuts: readonly (readonly [number, number])[];
  readonly description: string;
}

export class Network {
  private readonly links = new Map<number, Link>();
  private readonly overrides = new Map<number, Partial<LinkConfig>>();
  private readonly partitions = new Map<number, PartitionSpec>();
  private nextPartitionId = 1;
  private readonly sendKind: TraceKind;
  private readonly deliverKind: TraceKind;
  private readonly dropKind: TraceKind;
  private readonly reasons: Record<'loss' | 'partition' | 'nodeDown' | 'restarted', number>;
  private readonly deliverHandler = (flight: InFlight) => this.arrive(flight);
  sent = 0;
  delivered = 0;
  dropped = 0;
  /** Called for each directed link a partition cuts (sim/connection.ts requeues what was on the wire). */
  onCut: ((from: number, to: number) => void) | null = null;

  constructor(
    private readonly kernel: Kernel,
    private readonly streams: RandomStreams,
    private readonly trace: Trace,
    private readonly defaults: LinkConfig,
    private readonly endpoints: NetworkEndpoints,
  ) {
    this.sendKind = trace.kind('net.send', { from: 'node', to: 'node', type: 'name', bytes: 'int' });
    this.deliverKind = trace.kind('net.deliver', { from: 'node', to: 'node', type: 'name', bytes: 'int' });
    this.dropKind = trace.kind('net.drop', { from: 'node', to: 'node', type: 'name', reason: 'name' });
    this.reasons = {
      loss: trace.intern('loss'),
      partition: trace.intern('partition'),
      nodeDown: trace.intern('node-down'),
      restarted: trace.intern('connection-reset'),
    };
  }

  /** Overrides the defaults for the link from -> to (call before traffic flows on it). */
  configureLink(from: number, to: number, config: Partial<LinkConfig>): void {
    const key = linkKey(from, to);
    this.overrides.set(key, { ...this.overrides.get(key), ...config });
    this.links.delete(key);
  }

  /** The directed link from -> to (created with its configuration and random stream on first use). */
  link(from: number, to: number): Link {
    const key = linkKey(from, to);
    let link = this.links.get(key);
    if (!link) {
      const config = { ...this.defaults, ...this.overrides.get(key) };
      const random = this.streams.stream(`net:${this.trace.nameOf(from)}->${this.trace.nameOf(to)}`);
      link = { config, latency: sampler(config.latency, random), random, busyUntil: 0, lastDelivery: 0, cuts: 0, cutGeneration: 0 };
      this.links.set(key, link);
    }
    return link;
  }

  send(from: number, to: number, message: Message, bytes: number): void {
    const kernel = this.kernel;
    const trace = this.trace;
    const typeId = trace.intern(message.type);
    this.sent++;
    trace.record(this.sendKind, kernel.now, from, from, to, typeId, bytes, message);
    const link = this.link(from, to);
    if (link.cuts > 0) return this.drop(from, to, typeId, this.reasons.partition);
    const config = link.config;
    if (config.loss > 0 && link.random.chance(config.loss)) return this.drop(from, to, typeId, this.reasons.loss);
    const copies = config.duplicate > 0 && link.random.chance(config.duplicate) ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      let departure = kernel.now;
      if (config.bandwidth !== Number.POSITIVE_INFINITY) {
        departure = Math.max(departure, link.busyUntil) + (bytes * 1_000_000) / config.bandwidth;
        link.busyUntil = departure;
      }
      let arrival = Math.round(departure + link.latency());
      const inOrder = !(config.reorder > 0 && link.random.chance(config.reorder));
      if (inOrder) {
        if (arrival < link.lastDelivery) arrival = link.lastDelivery;
        link.lastDelivery = arrival;
      }
      const flight: InFlight = {
        from, to, message, typeId, bytes, link,
        cutGeneration: link.cutGeneration,
        toIncarnation: this.endpoints.incarnation(to),
      };
      kernel.at(arrival, this.deliverHandler, flight, this.deliverKind.id, to);
    }
  }

  private arrive(flight: InFlight): void {
    const { from, to, message, typeId, link } = flight;
    // A partition that came up while the message was in flight drops it, even if healed since.
    if (link.cuts > 0 || link.cutGeneration !== flight.cutGeneration) return this.drop(from, to, typeId, this.reasons.partition);
    if (this.endpoints.incarnation(to) !== flight.toIncarnation) return this.drop(from, to, typeId, this.reasons.restarted);
    this.delivered++;
    this.trace.record(this.deliverKind, this.kernel.now, to, from, to, typeId, flight.bytes);
    this.endpoints.deliver(from, to, message);
  }

  /** The world reports a message it could not hand over (destination down). */
  dropAtNode(from: number, to: number, message: Message): void {
    this.drop(from, to, this.trace.intern(message.type), this.reasons.nodeDown);
  }

  /** Counts and traces a message lost on the way (sim/connection.ts reports its own drops here). */
  drop(from: number, to: number, typeId: number, reason: number): void {
    this.dropped++;
    this.trace.record(this.dropKind, this.kernel.now, from, from, to, typeId, reason);
  }

  /**
   * Cuts every link between nodes of different groups, both ways. Nodes in no group keep
   * talking to everyone. Returns the partition's id for a later heal.
   */
  partition(groups: readonly (readonly number[])[], description: string): PartitionSpec {
    const cuts: [number, number][] = [];
    for (let a = 0; a < groups.length; a++) {
      for (let b = 0; b < groups.length; b++) {
        if (a === b) continue;
        for (const from of groups[a]!) for (const to of groups[b]!) if (from !== to) cuts.push([from, to]);
      }
    }
    return this.addPartition(cuts, description);
  }

  /** Cuts the links from every `from` node to every `to` node, one way only. */
  block(from: readonly number[], to: readonly number[], description: string): PartitionSpec {
    const cuts: [number, number][] = [];
    for (const f of from) for (const t of to) if (f !== t) cuts.push([f, t]);
    return this.addPartition(cuts, description);
  }

  private addPartition(cuts: [number, number][], description: string): PartitionSpec {
    const spec: PartitionSpec = { id: this.nextPartitionId++, cuts, description };
    for (const [from, to] of cuts) {
      const link = this.link(from, to);
      link.cuts++;
      link.cutGeneration++;
      this.onCut?.(from, to);
    }
    this.partitions.set(spec.id, spec);
    return spec;
  }

  /** Heals one partition, or all of them. */
  heal(id?: number): void {
    const ids = id === undefined ? [...this.partitions.keys()] : [id];
    for (const partitionId of ids) {
      const spec = this.partitions.get(partitionId);
      if (!spec) continue;
      for (const [from, to] of spec.cuts) this.link(from, to).cuts--;
      this.partitions.delete(partitionId);
    }
  }

  /** True when `from` cannot currently reach `to`. */
  isCut(from: number, to: number): boolean {
    return this.link(from, to).cuts > 0;
  }

  activePartitions(): PartitionSpec[] {
    return [...this.partitions.values()];
  }
}

function linkKey(from: number, to: number): number {
  return from * 0x100000 + to;
}

import { CheckerSuite, type CheckReport } from './checkers/index.js';
import { Connections, type CloseReason } from './connection.js';
import { Disk, OS_FLUSH_POLICY, type FlushPolicy } from './disk.js';
import type { FaultEvent, FaultStep, Target } from './faults.js';
import { Nemesis, type Selector, type SelectorArgumentCheck } from './nemesis.js';

export type { Selector } from './nemesis.js';
import { History } from './history.js';
import { GuardError, Kernel, type Timer } from './kernel.js';
import { Metrics, type SeriesPoint } from './metrics.js';
import { DEFAULT_LINK, Network, type LinkConfig } from './network.js';
import type { Actor, ActorFactory, Message, NodeContext, NodeStatus } from './node.js';
import { RandomStreams, sampler, type Distribution } from './random.js';
import { StateStore } from './state.js';
import type { Micros } from './time.js';
import { KERNEL_NODE, Trace, type TraceKind, type TraceSink } from './trace.js';

/**
 * The world: the kernel plus the nodes, the network between them, their disks, the nemesis
 * that injects faults, the client history and its checkers. A run is a safety phase (the
 * scenario's faults) then a liveness phase (every fault healed, every node back, producers
 * stopped) that drains for `drain`, so what is still missing at the end was really lost.
 */

export interface DiskConfig {
  fsyncLatency: Distribution;
  policy: FlushPolicy;
  /** Bytes; Infinity for no limit. */
  capacity: number;
}

export const DEFAULT_DISK: DiskConfig = {
  // A datacenter SSD's fsync: around a millisecond, sometimes several.
  fsyncLatency: { lognormal: { median: 1_000, sigma: 0.5 } },
  policy: OS_FLUSH_POLICY,
  capacity: Number.POSITIVE_INFINITY,
};

export interface WorldOptions {
  seed: number | string;
  network?: Partial<LinkConfig>;
  disk?: Partial<DiskConfig>;
  maxEvents?: number;
  maxTime?: Micros;
  /** Stop the run (GuardError 'maxMessages') once producers have sent more than this many messages. */
  maxMessages?: number;
  /** How often metrics and backlog are sampled (virtual time). Default 1 s. */
  sampleEvery?: Micros;
  traceSink?: TraceSink;
  /** Keep every history op in memory (tests, reports); off by default so memory stays flat. */
  keepHistory?: boolean;
  /** Record the hash after every event (the determinism self-check). */
  checkpoints?: boolean;
  /**
   * Benchmarks only (bench/trace-share.ts), to measure what each costs: `false` leaves the trace
   * hash out (the result's traceHash is "off") ...
   */
  hashTrace?: boolean;
  /** ... and `false` leaves the checkers off the history (the result's counts are then all 0). */
  checkHistory?: boolean;
}

export interface NodeOptions {
  roles?: readonly string[];
  disk?: Partial<DiskConfig>;
}

export type Phase = 'safety' | 'liveness' | 'done';

/** Everything the world knows about one node across its incarnations. */
export class NodeSlot {
  status: NodeStatus = 'crashed';
  /** Bumped by every crash: timers and connections of an earlier incarnation are dead. */
  incarnation = 0;
  actor: Actor | null = null;
  context: NodeContext | null = null;
  /** The machine itself is down (a crash), not only the process (a kill): its kernel answers nothing. */
  machineDown = false;
  /** Clock skew applied to the node's local clock. */
  skew: Micros = 0;
  started = false;
  crashes = 0;
  /** Messages and timers that arrived while the node was paused, handed over on resume. */
  deferred: (() => void)[] = [];
  /** Between an operator's stop and the process's exit: the shutdown protocol is running. */
  stopping = false;
  /** A `stop ... for` whose restart came due before the process had exited. */
  restartAfterExit = false;

  constructor(
    readonly name: string,
    readonly id: number,
    readonly roles: readonly string[],
    readonly factory: ActorFactory,
    readonly disk: Disk,
  ) {}
}

interface TimerFire {
  slot: NodeSlot;
  incarnation: number;
  tag: string;
  data: unknown;
  /** Internal continuations (fsync completion) run this instead of the actor's onTimer. */
  callback: (() => void) | null;
}

export interface WorldRunOptions {
  /** End of the safety phase. */
  duration: Micros;
  /** Length of the liveness phase. Default 30 s. */
  drain?: Micros;
  faults?: readonly FaultStep[];
  /**
   * The final read (Jepsen's): after the drain, the ids of messages the system still stores and
   * would deliver. Acked messages found here are backlog, not lost writes.
   */
  finalRead?: () => ReadonlySet<string>;
  /** Called every few thousand events and at the end of each phase (progress bars; wall-clock paced by the caller). */
  progress?: (progress: RunProgress) => void;
}

/** Where a run is, for a progress display. */
export interface RunProgress {
  now: Micros;
  /** The run's planned end: duration + drain. */
  end: Micros;
  events: number;
  /** Messages the producers have sent so far. */
  sent: number;
}

export interface WorldResult {
  seed: number | string;
  duration: Micros;
  drain: Micros;
  endTime: Micros;
  traceHash: string;
  events: number;
  traceRecords: number;
  faults: FaultEvent[];
  notes: NoteEvent[];
  check: CheckReport;
  counters: Record<string, number>;
  series: Record<string, SeriesPoint[]>;
  network: { sent: number; delivered: number; dropped: number };
  nodes: { name: string; roles: readonly string[]; status: NodeStatus; crashes: number }[];
}


/** A model's note about something that happened on a node ("queue-recovered", "isr-shrink"). */
export interface NoteEvent {
  at: Micros;
  node: string;
  what: string;
  detail?: Record<string, unknown>;
}

const MAX_NOTES = 10_000;
/** How long a graceful stop may run before the process is killed: systemd's DefaultTimeoutStopSec (90 s). */
export const STOP_TIMEOUT: Micros = 90_000_000;

export class World {
  readonly kernel: Kernel;
  readonly trace: Trace;
  readonly random: RandomStreams;
  readonly network: Network;
  readonly connections: Connections;
  readonly history: History;
  readonly checks: CheckerSuite;
  readonly metrics = new Metrics();
  readonly faultLog: FaultEvent[] = [];
  /** Models' notes (ctx.note), kept up to MAX_NOTES so reports can explain anomalies; the trace has all. */
  readonly notes: NoteEvent[] = [];
  notesDropped = 0;
  phase: Phase = 'safety';

  private readonly slots: NodeSlot[] = [];
  private readonly slotsByName = new Map<string, NodeSlot>();
  /** Slots by node id (an interned name: a small integer), as an array: the connections ask per message. */
  private readonly slotsById: (NodeSlot | undefined)[] = [];
  private readonly crashListeners: ((node: string) => void)[] = [];
  private readonly startListeners: ((node: string, restarted: boolean) => void)[] = [];
  private readonly phaseListeners: ((phase: Phase) => void)[] = [];
  readonly nemesis: Nemesis;
  private readonly diskDefaults: DiskConfig;
  private readonly sampleEvery: Micros;
  private readonly kinds: Record<'start' | 'timer' | 'crash' | 'restart' | 'pause' | 'resume' | 'fault' | 'phase' | 'note' | 'sample' | 'flush', TraceKind>;
  private readonly timerHandler = (fire: TimerFire) => this.fireTimer(fire);
  /** Registered on the first stop, so runs without one keep their trace hashes. */
  private stopKinds: { stop: TraceKind; exit: TraceKind } | null = null;

  constructor(readonly options: WorldOptions) {
    this.trace = new Trace({ hashing: options.hashTrace ?? true });
    if (options.traceSink) this.trace.sink = options.traceSink;
    if (options.checkpoints) this.trace.checkpoints = [];
    const kernelOptions: { trace: Trace; maxEvents?: number; maxTime?: Micros } = { trace: this.trace };
    if (options.maxEvents !== undefined) kernelOptions.maxEvents = options.maxEvents;
    if (options.maxTime !== undefined) kernelOptions.maxTime = options.maxTime;
    this.kernel = new Kernel(kernelOptions);
    this.random = new RandomStreams(options.seed);
    this.diskDefaults = { ...DEFAULT_DISK, ...options.disk };
    this.sampleEvery = options.sampleEvery ?? 1_000_000;
    const trace = this.trace;
    this.kinds = {
      start: trace.kind('node.start', { incarnation: 'int' }),
      timer: trace.kind('timer'),
      crash: trace.kind('node.crash', { incarnation: 'int' }),
      restart: trace.kind('node.restart', { incarnation: 'int' }),
      pause: trace.kind('node.pause'),
      resume: trace.kind('node.resume'),
      fault: trace.kind('fault'),
      phase: trace.kind('phase'),
      note: trace.kind('note'),
      sample: trace.kind('sample'),
      flush: trace.kind('disk.writeback'),
    };
    this.network = new Network(this.kernel, this.random, trace, { ...DEFAULT_LINK, ...options.network }, {
      incarnation: (node) => this.slotsById[node]?.incarnation ?? 0,
      deliver: (from, to, message) => {
        this.connections.datagramArrived(from, to);
        this.deliver(from, to, message);
      },
    });
    this.connections = new Connections(this.kernel, this.network, trace, {
      incarnation: (node) => this.slotsById[node]?.incarnation ?? 0,
      processAlive: (node) => this.slotsById[node]?.status !== 'crashed',
      machineUp: (node) => !(this.slotsById[node]?.machineDown ?? false),
      deliver: (from, to, message) => this.deliver(from, to, message),
      opened: (node, incarnation, peer) => this.connectionEvent(node, incarnation, peer, null),
      closed: (node, incarnation, peer, reason) => this.connectionEvent(node, incarnation, peer, reason),
    });
    this.nemesis = new Nemesis(this, this.random.stream('nemesis'), this.kinds.fault);
    this.history = new History({ keep: options.keepHistory ?? false });
    this.checks = new CheckerSuite(options.checkHistory === false ? undefined : this.history);
    this.metrics.gauge('backlog', () => this.checks.currentBacklog);
    // Acked only: a send that timed out and was never written would keep `backlog` above 0 forever.
    this.metrics.gauge('backlog.acked', () => this.checks.ackedBacklog);
    // Running totals, so reports can chart throughput from the samples alone.
    for (const total of ['sent', 'acked', 'failed', 'unknown', 'delivered', 'deliveries'] as const) {
      this.metrics.gauge(`total.${total}`, () => this.checks.totals[total]);
    }
    // Sends awaiting their answer (the producers' in-flight requests), for the reports' in-flight charts.
    this.metrics.gauge('inflight', () => this.checks.pendingSends);
    this.metrics.gauge('nodes.up', () => this.slots.reduce((n, s) => n + (s.status === 'up' ? 1 : 0), 0));
    const historyKind = trace.kind('history');
    this.history.subscribe((op) => trace.recordOp(historyKind, op));
  }

  get now(): Micros {
    return this.kernel.now;
  }

  // ---------------------------------------------------------------- nodes

  addNode(name: string, factory: ActorFactory, options: NodeOptions = {}): NodeSlot {
    if (this.slotsByName.has(name)) throw new Error(`node ${name} added twice`);
    if (this.kernel.eventsRun > 0) throw new Error(`node ${name} added after the run started`);
    const diskConfig = { ...this.diskDefaults, ...options.disk };
    const disk = new Disk({
      fsyncLatency: sampler(diskConfig.fsyncLatency, this.random.stream(`disk:${name}`)),
      policy: diskConfig.policy,
      capacity: diskConfig.capacity,
    });
    const slot = new NodeSlot(name, this.trace.intern(name), options.roles ?? [], factory, disk);
    this.slots.push(slot);
    this.slotsByName.set(name, slot);
    this.slotsById[slot.id] = slot;
    return slot;
  }

  node(name: string): NodeSlot {
    const slot = this.slotsByName.get(name);
    if (!slot) throw new Error(`no node named ${name} (nodes: ${this.nodeNames().join(', ')})`);
    return slot;
  }

  hasNode(name: string): boolean {
    return this.slotsByName.has(name);
  }

  nodeNames(): string[] {
    return this.slots.map((s) => s.name);
  }

  nodesWithRole(role: string): NodeSlot[] {
    return this.slots.filter((s) => s.roles.includes(role));
  }

  onCrash(listener: (node: string) => void): void {
    this.crashListeners.push(listener);
  }

  onStart(listener: (node: string, restarted: boolean) => void): void {
    this.startListeners.push(listener);
  }

  onPhase(listener: (phase: Phase) => void): void {
    this.phaseListeners.push(listener);
  }

  /** A control-plane state store whose changes go into the trace. */
  store<S extends object>(name: string, initial: S, node?: string): StateStore<S> {
    return new StateStore(name, initial, this.trace, () => this.kernel.now, node ? this.node(node).id : KERNEL_NODE);
  }

  private startNode(slot: NodeSlot, restarted: boolean): void {
    slot.status = 'up';
    slot.started = true;
    slot.machineDown = false;
    const incarnation = slot.incarnation;
    slot.disk.attach({
      nodeName: slot.name,
      now: () => this.kernel.now,
      schedule: (delay, callback) => {
        this.kernel.after(delay, this.timerHandler, { slot, incarnation, tag: '', data: null, callback }, this.kinds.timer.id, slot.id);
      },
    });
    const context = this.makeContext(slot, incarnation);
    slot.context = context;
    slot.actor = slot.factory();
    this.trace.record(restarted ? this.kinds.restart : this.kinds.start, this.kernel.now, slot.id, incarnation);
    slot.actor.start(context, restarted);
    for (const listener of this.startListeners) listener(slot.name, restarted);
  }

  private makeContext(slot: NodeSlot, incarnation: number): NodeContext {
    const world = this;
    const kernel = this.kernel;
    const network = this.network;
    const connections = this.connections;
    const timerKind = this.kinds.timer.id;
    const noteKind = this.kinds.note;
    const ownRandom = this.random.stream(`node:${slot.name}`);
    // The peer named last: clients name the same peer in every send and connection check, and a
    // name lookup per message showed in profiles (3% of a RabbitMQ run). Slots are never removed.
    let lastPeer: NodeSlot | undefined;
    const peerSlot = (name: string): NodeSlot | undefined => {
      if (lastPeer === undefined || lastPeer.name !== name) lastPeer = world.slotsByName.get(name);
      return lastPeer;
    };
    return {
      name: slot.name,
      id: slot.id,
      roles: slot.roles,
      disk: slot.disk,
      now: () => kernel.now + slot.skew,
      trueNow: () => kernel.now,
      send(to: string, message: Message, bytes = 128) {
        if (slot.incarnation !== incarnation || slot.status === 'crashed') return; // a dead incarnation says nothing
        const target = peerSlot(to);
        if (!target) throw new Error(`${slot.name} sent ${message.type} to unknown node ${to}`);
        if (!connections.send(slot.id, target.id, message, bytes)) network.send(slot.id, target.id, message, bytes);
      },
      connect(peer: string) {
        if (slot.incarnation === incarnation && slot.status !== 'crashed') connections.connect(slot.id, (peerSlot(peer) ?? world.node(peer)).id);
      },
      disconnect(peer: string) {
        if (slot.incarnation === incarnation && slot.status !== 'crashed') connections.disconnect(slot.id, (peerSlot(peer) ?? world.node(peer)).id);
      },
      connection(peer: string) {
        return connections.state(slot.id, (peerSlot(peer) ?? world.node(peer)).id);
      },
      setTimer(delay: Micros, tag: string, data?: unknown): Timer {
        return kernel.after(delay, world.timerHandler, { slot, incarnation, tag, data, callback: null }, timerKind, slot.id);
      },
      cancelTimer(timer) {
        kernel.cancel(timer);
      },
      random(sub?: string) {
        return sub === undefined ? ownRandom : world.random.stream(`node:${slot.name}/${sub}`);
      },
      halt() {
        if (slot.incarnation !== incarnation || slot.status === 'crashed') return;
        // After the current handler returns, as the JVM's halt ends the process between instructions.
        kernel.after(0, () => {
          if (slot.incarnation === incarnation && slot.status !== 'crashed') world.kill(slot.name);
        }, null, timerKind, slot.id);
      },
      note(what: string, detail?: Record<string, unknown>) {
        world.trace.recordValue(noteKind, kernel.now, slot.id, detail ? { what, ...detail } : { what });
        if (world.notes.length < MAX_NOTES) world.notes.push({ at: kernel.now, node: slot.name, what, ...(detail ? { detail } : {}) });
        else world.notesDropped++;
      },
    };
  }

  private fireTimer(fire: TimerFire): void {
    const slot = fire.slot;
    if (slot.incarnation !== fire.incarnation || slot.status === 'crashed') return;
    if (slot.status === 'paused') {
      slot.deferred.push(() => this.fireTimer(fire));
      return;
    }
    if (fire.callback !== null) fire.callback();
    else slot.actor!.onTimer?.(fire.tag, fire.data);
  }

  private deliver(from: number, to: number, message: Message): void {
    const slot = this.slotsById[to]!;
    if (slot.status === 'crashed') return this.network.dropAtNode(from, to, message);
    if (slot.status === 'paused') {
      // The process is stopped but its socket buffers still take the bytes.
      slot.deferred.push(() => this.deliver(from, to, message));
      return;
    }
    slot.actor!.receive(this.trace.nameOf(from), message);
  }

  /** Tells a node's actor that its connection to `peer` opened (reason null) or ended. */
  private connectionEvent(node: number, incarnation: number, peer: number, reason: CloseReason | null): void {
    const slot = this.slotsById[node]!;
    if (slot.incarnation !== incarnation || slot.status === 'crashed') return;
    if (slot.status === 'paused') {
      slot.deferred.push(() => this.connectionEvent(node, incarnation, peer, reason));
      return;
    }
    const name = this.trace.nameOf(peer);
    if (reason === null) slot.actor!.onConnectionOpened?.(name);
    else slot.actor!.onConnectionClosed?.(name, reason);
  }

  // ---------------------------------------------------------------- lifecycle faults

  /**
   * Crashes a node's machine: its actor and timers are gone and nobody is told (its peers'
   * connections go silent). The page cache (RAM) is lost unless `keepPageCache`.
   */
  crash(name: string, keepPageCache = false): boolean {
    const slot = this.node(name);
    if (slot.status === 'crashed') {
      // A killed process's machine can still crash: from now on it answers nothing, and the
      // dirty pages the killed process left in the kernel's cache go with the machine's RAM.
      if (!slot.machineDown && !keepPageCache) slot.disk.crash(false);
      slot.machineDown = true;
      return false;
    }
    this.connections.machineDown(slot.id, slot.incarnation);
    slot.machineDown = true;
    this.takeDown(slot, keepPageCache, this.kinds.crash);
    return true;
  }

  /**
   * Kills a node's process on a machine that stays up (`kill -9`, an OOM kill): its kernel closes
   * the process's sockets, so every peer sees its connection reset one latency later, and the
   * writes it left in the kernel's page cache stay there (and reach the disk by writeback), as
   * the machine does not lose its RAM. Losing them takes a machine crash (`crash`).
   */
  kill(name: string): boolean {
    const slot = this.node(name);
    if (slot.status === 'crashed') return false;
    this.connections.processEnded(slot.id, slot.incarnation, 'reset');
    this.takeDown(slot, true, this.kinds.crash);
    return true;
  }

  private takeDown(slot: NodeSlot, keepPageCache: boolean, kind: TraceKind): void {
    slot.status = 'crashed';
    slot.incarnation++;
    slot.crashes++;
    slot.actor = null;
    slot.context = null;
    slot.deferred = [];
    slot.stopping = false;
    slot.disk.crash(keepPageCache);
    this.trace.record(kind, this.kernel.now, slot.id, slot.incarnation);
    for (const listener of this.crashListeners) listener(slot.name);
    if (slot.restartAfterExit) {
      slot.restartAfterExit = false;
      this.restart(slot.name);
    }
  }

  /**
   * An operator's stop: the actor's `stop` runs its shutdown protocol and calls `done` when the
   * process would exit; then the node goes down as a clean exit on a live machine (page cache
   * kept). A shutdown still running after STOP_TIMEOUT is killed, as systemd does after
   * `TimeoutStopSec`. A paused or down node cannot run a shutdown: the stop does nothing.
   */
  stop(name: string): boolean {
    const slot = this.node(name);
    if (slot.status !== 'up' || slot.stopping) return false;
    const kinds = (this.stopKinds ??= {
      stop: this.trace.kind('node.stop', { incarnation: 'int' }),
      exit: this.trace.kind('node.exit', { incarnation: 'int' }),
    });
    slot.stopping = true;
    const incarnation = slot.incarnation;
    this.trace.record(kinds.stop, this.kernel.now, slot.id, incarnation);
    let exited = false;
    const exit = () => {
      if (exited || slot.incarnation !== incarnation || slot.status === 'crashed') return;
      exited = true;
      // The process closes its sockets on the way out: its peers see an orderly close (FIN).
      this.connections.processEnded(slot.id, incarnation, 'fin');
      this.takeDown(slot, true, kinds.exit);
    };
    const killAfterTimeout = () => {
      if (exited || slot.incarnation !== incarnation || slot.status === 'crashed') return;
      slot.context?.note('stop-timeout', { after: STOP_TIMEOUT });
      exited = true;
      this.connections.processEnded(slot.id, incarnation, 'reset');
      this.takeDown(slot, true, this.kinds.crash);
    };
    this.kernel.after(STOP_TIMEOUT, killAfterTimeout, null, this.kinds.timer.id, slot.id);
    const actor = slot.actor!;
    if (actor.stop) actor.stop(() => this.kernel.after(0, exit, null, this.kinds.timer.id, slot.id));
    else exit();
    return true;
  }

  /** Restarts a node that is down, or as soon as its running stop has exited. */
  restartWhenDown(name: string): void {
    const slot = this.node(name);
    if (slot.stopping) slot.restartAfterExit = true;
    else this.restart(name);
  }

  /** Starts a crashed node again: a fresh actor rebuilt from what its disk kept. */
  restart(name: string): boolean {
    const slot = this.node(name);
    if (slot.status !== 'crashed' || !slot.started) return false;
    this.startNode(slot, true);
    return true;
  }

  /** Stops a node's process (a GC or VM pause): it runs nothing until resumed, then catches up. */
  pause(name: string): boolean {
    const slot = this.node(name);
    if (slot.status !== 'up') return false;
    slot.status = 'paused';
    this.trace.record(this.kinds.pause, this.kernel.now, slot.id);
    return true;
  }

  resume(name: string): boolean {
    const slot = this.node(name);
    if (slot.status !== 'paused') return false;
    slot.status = 'up';
    this.trace.record(this.kinds.resume, this.kernel.now, slot.id);
    const backlog = slot.deferred;
    slot.deferred = [];
    for (const run of backlog) this.kernel.after(0, runDeferred, run, this.kinds.timer.id, slot.id);
    return true;
  }

  // ---------------------------------------------------------------- nemesis (sim/nemesis.ts)

  /**
   * Registers a role selector a model knows how to resolve at fire time (`controller`,
   * `leader-of`): given the argument (if any), it returns node names. `checkArgument` says
   * before the run why an argument names nothing (`{ leader-of: orders-9 }` with 6 partitions),
   * so a bad schedule is refused with the scenario's other problems instead of failing mid-run.
   */
  registerSelector(name: string, resolve: Selector, checkArgument?: SelectorArgumentCheck): void {
    this.nemesis.registerSelector(name, resolve, checkArgument);
  }

  /** Why a target cannot name a node of this world, or null when it can. */
  targetError(target: Target): string | null {
    return this.nemesis.targetError(target);
  }

  /** Resolves a target to node names now, deterministically. */
  resolve(target: Target): string[] {
    return this.nemesis.resolve(target);
  }

  /** Applies one fault step now. */
  applyFault(step: FaultStep): void {
    this.nemesis.apply(step);
  }

  /** Checks every target of a schedule against this world's nodes and selectors; returns the problems. */
  validateFaults(faults: readonly FaultStep[], duration: Micros): string[] {
    return this.nemesis.validate(faults, duration);
  }

  selectorNames(): string[] {
    return this.nemesis.selectorNames();
  }

  allRoles(): string[] {
    return [...new Set(this.slots.flatMap((s) => s.roles))];
  }

  // ---------------------------------------------------------------- the run

  /** Runs the safety phase (with `faults`) to `duration`, then the liveness phase for `drain`. */
  run(options: WorldRunOptions): WorldResult {
    const { duration } = options;
    const drain = options.drain ?? 30_000_000;
    const faults = options.faults ?? [];
    const problems = this.validateFaults(faults, duration);
    if (problems.length > 0) throw new Error(`invalid fault schedule:\n  ${problems.join('\n  ')}`);
    const kernel = this.kernel;
    for (const slot of this.slots) kernel.at(0, (s: NodeSlot) => this.startNode(s, false), slot, this.kinds.start.id, slot.id);
    for (const slot of this.slots) this.scheduleBackgroundFlush(slot);
    this.scheduleSampling();
    this.nemesis.schedule(faults);
    const end = duration + drain;
    this.watch(end, options.progress);
    kernel.run(duration);
    options.progress?.(this.progressAt(end));
    this.enterLiveness();
    kernel.run(end);
    options.progress?.(this.progressAt(end));
    kernel.tick = null;
    this.phase = 'done';
    for (const listener of this.phaseListeners) listener('done');
    this.sampleNow();
    return {
      seed: this.options.seed,
      duration,
      drain,
      endTime: kernel.now,
      traceHash: this.trace.hex(),
      events: kernel.eventsRun,
      traceRecords: this.trace.records,
      faults: this.faultLog,
      notes: this.notes,
      check: this.checks.finish(kernel.now, options.finalRead?.()),
      counters: this.metrics.counterValues(),
      series: this.metrics.seriesValues(),
      network: { sent: this.network.sent, delivered: this.network.delivered, dropped: this.network.dropped },
      nodes: this.slots.map((s) => ({ name: s.name, roles: s.roles, status: s.status, crashes: s.crashes })),
    };
  }

  private progressAt(end: Micros): RunProgress {
    return { now: this.kernel.now, end, events: this.kernel.eventsRun, sent: this.checks.totals.sent };
  }

  /**
   * The kernel's tick, every few thousand events: the message budget (a run whose producers send
   * more than `maxMessages` stops with a GuardError) and the caller's progress display. Neither
   * changes the simulation, so a run with or without them has the same trace.
   */
  private watch(end: Micros, progress: WorldRunOptions['progress']): void {
    const maxMessages = this.options.maxMessages;
    if (maxMessages === undefined && !progress) return;
    const kernel = this.kernel;
    kernel.tick = () => {
      const sent = this.checks.totals.sent;
      if (maxMessages !== undefined && sent > maxMessages) {
        throw new GuardError(`guard: producers sent ${sent} messages, more than the budget of ${maxMessages}`, kernel.now, 'kernel', 'tick', 'maxMessages');
      }
      progress?.(this.progressAt(end));
    };
  }

  /** End of the safety phase: heal everything, bring every node back, tell the models. */
  private enterLiveness(): void {
    this.phase = 'liveness';
    this.nemesis.cancelPending();
    this.network.heal();
    const restored: string[] = [];
    for (const slot of this.slots) {
      slot.disk.slowFactor = 1;
      slot.disk.forcedFull = false;
      slot.skew = 0;
      if (slot.status === 'paused' && this.resume(slot.name)) restored.push(slot.name);
      if (slot.status === 'crashed' && this.restart(slot.name)) restored.push(slot.name);
      if (slot.stopping) slot.restartAfterExit = true; // back up once its shutdown has exited
    }
    const event: FaultEvent = { at: this.kernel.now, kind: 'liveness', targets: restored, description: 'liveness phase: heal all, restart and resume every node, stop producers' };
    this.faultLog.push(event);
    this.trace.recordValue(this.kinds.phase, this.kernel.now, KERNEL_NODE, event);
    for (const listener of this.phaseListeners) listener('liveness');
  }

  private scheduleBackgroundFlush(slot: NodeSlot): void {
    const interval = slot.disk.backgroundInterval;
    if (interval <= 0) return;
    const tick = () => {
      // The OS flusher runs while the machine is up, even when the process is paused or was killed.
      if (!slot.machineDown) slot.disk.backgroundFlush(this.kernel.now);
      this.kernel.after(interval, tick, null, this.kinds.flush.id, slot.id);
    };
    this.kernel.after(interval, tick, null, this.kinds.flush.id, slot.id);
  }

  private sampleNow(): void {
    this.metrics.sample(this.kernel.now);
    this.checks.sample(this.kernel.now);
  }

  private scheduleSampling(): void {
    const every = this.sampleEvery;
    const tick = () => {
      this.sampleNow();
      this.kernel.after(every, tick, null, this.kinds.sample.id);
    };
    this.kernel.at(0, tick, null, this.kinds.sample.id);
  }
}

function runDeferred(run: () => void): void {
  run();
}


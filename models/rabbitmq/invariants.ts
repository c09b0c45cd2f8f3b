import { SimulationError } from '../../sim/kernel.js';
import { formatTimestamp, type Micros } from '../../sim/time.js';
import type { QueuedMessage } from './broker/ready-messages.js';

/**
 * The RabbitMQ model's invariants, checked when a scenario sets `cluster.invariants: true`, at
 * the end of every broker step that changed the control plane (a connection or channel opened
 * or closed, a consumer added or removed, a queue declared, recovered or deleted, a message
 * requeued, a node seen down or up, a quorum queue member's role changed), at every quorum
 * leader election, and at every store fsync that releases publisher confirms:
 *
 * - QuorumLeaderPerTerm: a quorum queue never has two leaders in one term (Raft's Election
 *   Safety). Every leader seen, from elections and from the members' state, is remembered per
 *   (queue, term).
 * - QuorumStateMachine: members of a quorum queue that have applied the same number of log
 *   entries hold the same queue: the same ready messages in the same order, and each consumer
 *   the same checked-out ones (Raft's State Machine Safety, seen through rabbit_fifo).
 * - ReadyXorUnacked: a message is never both ready in its queue and unacked on a channel (for
 *   a quorum queue: both ready and checked out by a consumer).
 * - SingleUnacked: a delivery is unacked on at most one channel under one delivery tag, and a
 *   channel files each unacked delivery under its own tag (for a quorum queue: a message is
 *   checked out by at most one consumer).
 * - ReadyCount: a queue's ready count and bytes are what its ready list holds.
 * - StoreMatchesQueue: a durable classic queue's message store holds exactly its persistent
 *   messages that are ready or unacked (plus those whose ack record could not be written on a
 *   full disk: they come back after a restart, as in RabbitMQ).
 * - ConfirmedOnDisk: when an fsync releases publisher confirms of persistent messages in durable
 *   queues, every store record written before that fsync began is durable.
 *
 * The first violation stops the run with an InvariantViolation naming the invariant, the node,
 * the queue, the time, the event and the state.
 */

export type InvariantName = 'QuorumLeaderPerTerm' | 'QuorumStateMachine' | 'ReadyXorUnacked' | 'SingleUnacked' | 'ReadyCount' | 'StoreMatchesQueue' | 'ConfirmedOnDisk';

/** A queue's ready list as the invariants read it (ReadyMessages satisfies it). */
export interface ReadyView extends Iterable<QueuedMessage> {
  readonly count: number;
  readonly bytes: number;
}

/** A classic queue homed on a node (QueueState satisfies it). */
export interface QueueView {
  readonly key: string;
  readonly ready: ReadyView;
  readonly deleted: boolean;
  /** The durable queue's store (QueueStore): messages published and not yet acked, and acks that could not be written. */
  readonly store: { readonly live: number; readonly unwrittenAcks: number } | null;
}

/** An unacked delivery on a channel: a local queue's message, or a remote queue's (not checked here). */
export type UnackedView =
  | { readonly remote?: undefined; readonly tag: number; readonly queue: QueueView; readonly message: QueuedMessage }
  | { readonly remote: object; readonly tag: number };

export interface ChannelView {
  readonly number: number;
  readonly unacked: ReadonlyMap<number, UnackedView>;
}

/** A quorum queue member on a node. */
export interface MemberView {
  readonly key: string;
  readonly raft: { readonly role: string; readonly term: number; readonly lastApplied: number };
  readonly fifo: { readonly ready: ReadyView; checkedOutBy(): Iterable<readonly [string, ReadonlyMap<number, QueuedMessage>]> };
}

/** One live broker (the rabbit application of a node that is up and not stopped). */
export interface BrokerView {
  readonly name: string;
  readonly queues: ReadonlyMap<string, QueueView>;
  readonly connections: ReadonlyMap<string, { readonly id: string; readonly channels: ReadonlyMap<number, ChannelView> }>;
  readonly members: Iterable<MemberView>;
}

export interface Violation {
  invariant: InvariantName;
  /** The queue (vhost|name) or quorum queue concerned. */
  queue: string;
  message: string;
  state: Record<string, unknown>;
}

/** Per quorum queue, per term, the leader seen. */
export type LeaderGhost = Map<string, Map<number, string>>;

/** QuorumLeaderPerTerm for one leader seen: a violation when another node led that term. */
export function checkLeader(ghost: LeaderGhost, queue: string, node: string, term: number): Violation | null {
  let terms = ghost.get(queue);
  if (terms === undefined) ghost.set(queue, (terms = new Map()));
  const earlier = terms.get(term);
  if (earlier === undefined) {
    terms.set(term, node);
    return null;
  }
  if (earlier === node) return null;
  return { invariant: 'QuorumLeaderPerTerm', queue, message: `${node} is leader in term ${term}, which ${earlier} already led`, state: { term, leaders: [earlier, node] } };
}

/** Every invariant over the live brokers (QuorumLeaderPerTerm against `ghost`). The first violation, or null. */
export function checkBrokers(brokers: Iterable<BrokerView>, ghost: LeaderGhost): Violation | null {
  const all = [...brokers];
  for (const broker of all) {
    const v = checkClassic(broker) ?? checkQuorum(broker, ghost);
    if (v !== null) return v;
  }
  return checkReplicas(all);
}

/** QuorumStateMachine: per queue, members at the same applied index hold the same rabbit_fifo state. */
function checkReplicas(brokers: readonly BrokerView[]): Violation | null {
  const seen = new Map<string, Map<number, { node: string; state: string }>>();
  for (const broker of brokers) {
    for (const member of broker.members) {
      const applied = member.raft.lastApplied;
      if (applied === 0) continue;
      const state = fifoState(member.fifo);
      let byIndex = seen.get(member.key);
      if (byIndex === undefined) seen.set(member.key, (byIndex = new Map()));
      const other = byIndex.get(applied);
      if (other === undefined) byIndex.set(applied, { node: broker.name, state });
      else if (other.state !== state) {
        return {
          invariant: 'QuorumStateMachine', queue: member.key,
          message: `${other.node} and ${broker.name} have both applied ${applied} entries but hold different queues`,
          state: { applied, [other.node]: other.state, [broker.name]: state },
        };
      }
    }
  }
  return null;
}

/** A member's queue as text: ready message ids in order, then each consumer's checked-out ids. */
function fifoState(fifo: MemberView['fifo']): string {
  const ready: number[] = [];
  for (const m of fifo.ready) ready.push(m.id);
  const out: string[] = [];
  for (const [consumer, held] of fifo.checkedOutBy()) out.push(`${consumer}:${[...held.keys()].sort((a, b) => a - b).join(',')}`);
  return `ready ${ready.join(',')}; out ${out.sort().join(' ')}`;
}

function checkClassic(broker: BrokerView): Violation | null {
  // What each queue holds ready, then every channel's unacked deliveries against it.
  const ready = new Map<QueueView, Set<QueuedMessage>>();
  for (const queue of broker.queues.values()) {
    const held = new Set<QueuedMessage>();
    let bytes = 0;
    for (const m of queue.ready) {
      held.add(m);
      bytes += m.content.bytes;
    }
    if (held.size !== queue.ready.count || bytes !== queue.ready.bytes) {
      return { invariant: 'ReadyCount', queue: queue.key, message: `on ${broker.name} the ready count is ${queue.ready.count} (${queue.ready.bytes} bytes) but the ready list holds ${held.size} (${bytes} bytes)`, state: { node: broker.name } };
    }
    ready.set(queue, held);
  }
  const unackedStored = new Map<QueueView, number>();
  const seen = new Map<QueuedMessage, string>();
  for (const conn of broker.connections.values()) {
    for (const channel of conn.channels.values()) {
      for (const [tag, entry] of channel.unacked) {
        if (entry.remote !== undefined) continue;
        const where = `${conn.id} channel ${channel.number} tag ${tag}`;
        const id = entry.message.content.properties.messageId;
        if (entry.tag !== tag) {
          return { invariant: 'SingleUnacked', queue: entry.queue.key, message: `on ${broker.name} ${id} is filed under delivery tag ${tag} of ${conn.id} channel ${channel.number} but was delivered with tag ${entry.tag}`, state: { node: broker.name } };
        }
        const other = seen.get(entry.message);
        if (other !== undefined) {
          return { invariant: 'SingleUnacked', queue: entry.queue.key, message: `on ${broker.name} ${id} is unacked twice: ${other} and ${where}`, state: { node: broker.name } };
        }
        seen.set(entry.message, where);
        if (entry.queue.deleted) continue;
        if (ready.get(entry.queue)?.has(entry.message)) {
          return { invariant: 'ReadyXorUnacked', queue: entry.queue.key, message: `on ${broker.name} ${id} is ready in its queue and unacked on ${where}`, state: { node: broker.name, ready: entry.queue.ready.count } };
        }
        if (entry.message.stored) unackedStored.set(entry.queue, (unackedStored.get(entry.queue) ?? 0) + 1);
      }
    }
  }
  for (const [queue, held] of ready) {
    if (queue.store === null || queue.deleted) continue;
    let readyStored = 0;
    for (const m of held) if (m.stored) readyStored++;
    const unacked = unackedStored.get(queue) ?? 0;
    const expected = readyStored + unacked + queue.store.unwrittenAcks;
    if (queue.store.live !== expected) {
      return {
        invariant: 'StoreMatchesQueue', queue: queue.key,
        message: `on ${broker.name} the store holds ${queue.store.live} messages but the queue has ${readyStored} persistent ready and ${unacked} persistent unacked (${queue.store.unwrittenAcks} acks unwritten on a full disk)`,
        state: { node: broker.name, ready: queue.ready.count },
      };
    }
  }
  return null;
}

function checkQuorum(broker: BrokerView, ghost: LeaderGhost): Violation | null {
  for (const member of broker.members) {
    if (member.raft.role === 'leader') {
      const v = checkLeader(ghost, member.key, broker.name, member.raft.term);
      if (v !== null) return v;
    }
    const ready = new Set<QueuedMessage>(member.fifo.ready);
    const holder = new Map<number, string>();
    for (const [consumer, out] of member.fifo.checkedOutBy()) {
      for (const [id, m] of out) {
        const other = holder.get(id);
        if (other !== undefined) {
          return { invariant: 'SingleUnacked', queue: member.key, message: `on ${broker.name} message ${id} is checked out by ${other} and ${consumer}`, state: { node: broker.name, term: member.raft.term } };
        }
        holder.set(id, consumer);
        if (ready.has(m)) {
          return { invariant: 'ReadyXorUnacked', queue: member.key, message: `on ${broker.name} message ${id} is ready and checked out by ${consumer}`, state: { node: broker.name, term: member.raft.term } };
        }
      }
    }
  }
  return null;
}

/** A store file and its length when an fsync began. */
export interface SyncedFile {
  readonly file: { readonly name: string; readonly durableLength: number };
  readonly length: number;
}

/** ConfirmedOnDisk: at the fsync's end, before its confirms go out. */
export function checkSynced(files: readonly SyncedFile[]): Violation | null {
  for (const { file, length } of files) {
    if (file.durableLength < length) {
      return { invariant: 'ConfirmedOnDisk', queue: file.name, message: `confirms go out but ${file.name} is durable to record ${file.durableLength} of the ${length} written before the fsync`, state: { durable: file.durableLength, written: length } };
    }
  }
  return null;
}

/** A violated invariant stops the run. */
export class InvariantViolation extends SimulationError {
  override name = 'InvariantViolation';
  constructor(readonly violation: Violation, time: Micros, node: string, event: string) {
    super(
      `invariant ${violation.invariant} violated for ${violation.queue} at ${formatTimestamp(time)}, after ${event} on ${node}: ${violation.message}\n`
      + `state: ${JSON.stringify(violation.state)}`,
      time, node, event,
    );
  }
}

/** What the brokers call; absent when invariants are off, so the checks cost nothing. */
export interface InvariantProbe {
  /** A step of `node` changed the control plane (`event` says what): check everything. */
  changed(node: string, event: string): void;
  /** A quorum queue member was elected leader. */
  leaderElected(queue: string, node: string, term: number): void;
  /** A store fsync ended and is about to release publisher confirms; `files` had these lengths when it began. */
  synced(node: string, files: readonly SyncedFile[]): void;
}

/** The checker a run uses: throws an InvariantViolation (the run stops) at the first violation. */
export class InvariantChecker implements InvariantProbe {
  readonly leaders: LeaderGhost = new Map();
  checks = 0;

  constructor(private readonly source: { now(): Micros; brokers(): Iterable<BrokerView> }) {}

  changed(node: string, event: string): void {
    this.checks++;
    const v = checkBrokers(this.source.brokers(), this.leaders);
    if (v !== null) throw new InvariantViolation(v, this.source.now(), node, event);
  }

  leaderElected(queue: string, node: string, term: number): void {
    const v = checkLeader(this.leaders, queue, node, term);
    if (v !== null) throw new InvariantViolation(v, this.source.now(), node, 'ra-leader-elected');
  }

  synced(node: string, files: readonly SyncedFile[]): void {
    this.checks++;
    const v = checkSynced(files);
    if (v !== null) throw new InvariantViolation(v, this.source.now(), node, 'store fsync');
  }
}

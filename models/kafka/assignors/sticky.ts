/**
 * Kafka's StickyAssignor (`sticky`), following AbstractStickyAssignor: a balanced assignment
 * (partition counts differ by at most one where subscriptions allow) that keeps as many
 * previously owned partitions where they are as balance permits. Members report what they owned
 * and in which generation; a partition claimed by members of different generations belongs to
 * the newest claim, and one claimed twice within a generation is treated as owned by nobody.
 *
 * Kafka runs one of two algorithms: a quota-based one when every member subscribes to the same
 * topics ("constrained"), and an iterative balancing one otherwise ("general"). Both are
 * reproduced step by step, including where they walk a java.util.HashMap or HashSet, because
 * that walk decides, for example, which of several over-full members keeps its extra partition.
 * Those walks are reproduced by JavaHashOrder below. Rack-aware placement is not modelled.
 *
 * The assignor here is stateless: Kafka's instance remembers the highest generation it has seen
 * across rebalances, a fresh one (as here) knows only this call's members.
 */

import { javaStringHashCode } from '../coordinator.js';
import type { GroupSubscription, MemberPartitions, TopicPartition } from './index.js';
import { javaStringCompare } from './range.js';

/** AbstractStickyAssignor.DEFAULT_GENERATION: the generation of a member that reported none. */
export const DEFAULT_GENERATION = -1;

// ---------------------------------------------------------------------------------------------
// java.util.HashMap iteration order

const HASHMAP_INITIAL_CAPACITY = 16;
const HASHMAP_LOAD_FACTOR = 0.75;
const HASHMAP_TREEIFY_THRESHOLD = 8;
const HASHMAP_MIN_TREEIFY_CAPACITY = 64;

interface HashNode<K> {
  readonly key: K;
  readonly spreadHash: number;
}

/**
 * A set whose iteration order is that of a default-constructed java.util.HashMap/HashSet fed the
 * same insertions and removals: by bucket (spread hash masked by a table that doubles past a 0.75
 * load factor), then by insertion within a bucket. A bucket that reaches 9 entries in a table
 * smaller than 64 doubles the table, as Java does instead of building a tree; tree bins (9+
 * colliding keys in a larger table) keep plain insertion order here, which Java does not.
 */
export class JavaHashOrder<K> {
  private buckets: HashNode<K>[][] = [];
  private readonly ids = new Set<string>();

  constructor(
    private readonly hashCodeOf: (key: K) => number,
    private readonly idOf: (key: K) => string,
  ) {}

  get size(): number {
    return this.ids.size;
  }

  has(key: K): boolean {
    return this.ids.has(this.idOf(key));
  }

  add(key: K): boolean {
    const id = this.idOf(key);
    if (this.ids.has(id)) return false;
    if (this.buckets.length === 0) this.buckets = emptyBuckets(HASHMAP_INITIAL_CAPACITY);
    const hashCode = this.hashCodeOf(key);
    const spreadHash = hashCode ^ (hashCode >>> 16);
    const bucket = this.buckets[spreadHash & (this.buckets.length - 1)]!;
    bucket.push({ key, spreadHash });
    this.ids.add(id);
    if (bucket.length > HASHMAP_TREEIFY_THRESHOLD && this.buckets.length < HASHMAP_MIN_TREEIFY_CAPACITY) this.grow();
    if (this.ids.size > this.buckets.length * HASHMAP_LOAD_FACTOR) this.grow();
    return true;
  }

  delete(key: K): boolean {
    const id = this.idOf(key);
    if (!this.ids.delete(id)) return false;
    const hashCode = this.hashCodeOf(key);
    const bucket = this.buckets[(hashCode ^ (hashCode >>> 16)) & (this.buckets.length - 1)]!;
    bucket.splice(
      bucket.findIndex((node) => this.idOf(node.key) === id),
      1,
    );
    return true;
  }

  first(): K | undefined {
    for (const key of this) return key;
    return undefined;
  }

  *[Symbol.iterator](): IterableIterator<K> {
    for (const bucket of this.buckets) for (const node of bucket) yield node.key;
  }

  /** Java's resize splits each bucket in order into j and j+oldCapacity: re-adding in iteration order does the same. */
  private grow(): void {
    const old = this.buckets;
    this.buckets = emptyBuckets(old.length * 2);
    for (const bucket of old) for (const node of bucket) this.buckets[node.spreadHash & (this.buckets.length - 1)]!.push(node);
  }
}

function emptyBuckets<K>(capacity: number): HashNode<K>[][] {
  return Array.from({ length: capacity }, () => []);
}

/** Member ids in the order Kafka's leader walks its `HashMap<memberId, Subscription>`. */
export function javaHashMapOrder(memberIds: readonly string[]): string[] {
  const table = new JavaHashOrder<string>(javaStringHashCode, (id) => id);
  for (const id of memberIds) table.add(id);
  return [...table];
}

// ---------------------------------------------------------------------------------------------
// TopicPartition as Java sees it

/** A Map key for a partition; the partition number cannot contain ':' so the split is unambiguous. */
export function topicPartitionKey(tp: TopicPartition): string {
  return `${tp.partition}:${tp.topic}`;
}

/** org.apache.kafka.common.TopicPartition.hashCode. */
function topicPartitionHashCode(tp: TopicPartition): number {
  return (Math.imul(31, 31 + tp.partition) + javaStringHashCode(tp.topic)) | 0;
}

function newTopicPartitionHashSet(): JavaHashOrder<TopicPartition> {
  return new JavaHashOrder(topicPartitionHashCode, topicPartitionKey);
}

function byPartitionThenTopic(a: TopicPartition, b: TopicPartition): number {
  return a.partition - b.partition || javaStringCompare(a.topic, b.topic);
}

/** Java's List.remove(Object): drops the first equal element, if any. */
function removeFirst(list: TopicPartition[], tp: TopicPartition): void {
  const at = list.findIndex((other) => other.topic === tp.topic && other.partition === tp.partition);
  if (at >= 0) list.splice(at, 1);
}

function partitionsOf(topic: string, count: number): TopicPartition[] {
  return Array.from({ length: count }, (_, partition) => ({ topic, partition }));
}

// ---------------------------------------------------------------------------------------------
// Entry points

/** Partition -> the member it is moving to from another member (cooperative assignors withhold these). */
export type PartitionsTransferringOwnership = Map<string, { partition: TopicPartition; consumer: string }>;

export interface StickyOutcome {
  assignment: MemberPartitions;
  /** Known only on the constrained path; null means "work it out from owned vs assigned", as in Kafka. */
  partitionsTransferringOwnership: PartitionsTransferringOwnership | null;
}

export function assignSticky(group: GroupSubscription): MemberPartitions {
  return stickyAssign(group).assignment;
}

/** AbstractStickyAssignor.assignPartitions. */
export function stickyAssign(group: GroupSubscription): StickyOutcome {
  const memberOrder = javaHashMapOrder(group.memberIds);
  const claims = ownershipClaims(group, memberOrder);
  if (claims.allSubscriptionsEqual) {
    return constrainedAssign(group.partitionsPerTopic, claims.consumerToOwnedPartitions, claims.partitionsWithMultiplePreviousOwners);
  }
  const assignment = new GeneralAssignment(group, memberOrder, claims.consumerToOwnedPartitions, claims.maxGeneration).build();
  return { assignment, partitionsTransferringOwnership: null };
}

// ---------------------------------------------------------------------------------------------
// Previously owned partitions (AbstractStickyAssignor.allSubscriptionsEqual)

interface OwnershipClaims {
  allSubscriptionsEqual: boolean;
  /** Each member's still-valid owned partitions; Map order is Kafka's HashMap walk order. */
  consumerToOwnedPartitions: Map<string, TopicPartition[]>;
  /** Keys of partitions two members claimed in the same generation: owned by neither. */
  partitionsWithMultiplePreviousOwners: Set<string>;
  maxGeneration: number;
}

function ownershipClaims(group: GroupSubscription, memberOrder: readonly string[]): OwnershipClaims {
  let allSubscriptionsEqual = true;
  // Kafka seeds this from the first member that subscribes to anything.
  const firstTopics = new Set<string>();
  const previousOwner = new Map<string, string>();
  const consumerToOwnedPartitions = new Map<string, TopicPartition[]>();
  const partitionsWithMultiplePreviousOwners = new Set<string>();
  let maxGeneration = DEFAULT_GENERATION;

  for (const consumer of memberOrder) {
    const member = group.members.get(consumer)!;
    if (firstTopics.size === 0) {
      for (const topic of member.topics) firstTopics.add(topic);
    } else if (allSubscriptionsEqual && !(member.topics.size === firstTopics.size && [...member.topics].every((t) => firstTopics.has(t)))) {
      allSubscriptionsEqual = false;
    }

    const generation = member.generation ?? DEFAULT_GENERATION;
    maxGeneration = Math.max(maxGeneration, generation);
    const owned: TopicPartition[] = [];
    consumerToOwnedPartitions.set(consumer, owned);

    for (const tp of member.ownedPartitions) {
      if (!group.partitionsPerTopic.has(tp.topic)) continue;
      const key = topicPartitionKey(tp);
      const otherConsumer = previousOwner.get(key);
      if (otherConsumer === undefined) {
        owned.push(tp);
        previousOwner.set(key, consumer);
        continue;
      }
      const otherGeneration = group.members.get(otherConsumer)!.generation ?? DEFAULT_GENERATION;
      if (generation === otherGeneration) {
        // Two owners in one generation is impossible in a healthy group: trust neither.
        partitionsWithMultiplePreviousOwners.add(key);
        removeFirst(consumerToOwnedPartitions.get(otherConsumer)!, tp);
        previousOwner.set(key, consumer);
      } else if (generation > otherGeneration) {
        owned.push(tp);
        removeFirst(consumerToOwnedPartitions.get(otherConsumer)!, tp);
        previousOwner.set(key, consumer);
      }
      // Otherwise the other, newer claim stands.
    }
  }
  return { allSubscriptionsEqual, consumerToOwnedPartitions, partitionsWithMultiplePreviousOwners, maxGeneration };
}

// ---------------------------------------------------------------------------------------------
// Every member subscribes to the same topics (ConstrainedAssignmentBuilder)

function constrainedAssign(
  partitionsPerTopic: ReadonlyMap<string, number>,
  consumerToOwnedPartitions: Map<string, TopicPartition[]>,
  partitionsWithMultiplePreviousOwners: Set<string>,
): StickyOutcome {
  const totalPartitions = [...partitionsPerTopic.values()].reduce((sum, count) => sum + count, 0);
  const memberCount = consumerToOwnedPartitions.size;
  const minQuota = Math.floor(totalPartitions / memberCount);
  const maxQuota = Math.ceil(totalPartitions / memberCount);
  // How many members end with maxQuota (0 when the partitions divide evenly).
  const expectedMembersOverMinQuota = totalPartitions % memberCount;
  let membersOverMinQuota = 0;

  const assignment: MemberPartitions = new Map([...consumerToOwnedPartitions.keys()].map((id) => [id, []]));
  const assignedKeys = new Set<string>();
  const revokedKeys = new Set<string>();
  const transferring: PartitionsTransferringOwnership = new Map();
  const underMinQuota: string[] = [];
  const exactlyMinQuota: string[] = [];

  // 1. Keep owned partitions up to the quota, in the HashMap's member order: the first members
  //    that already hold maxQuota keep it, later ones are cut to minQuota.
  for (const [consumer, claimed] of consumerToOwnedPartitions) {
    const owned = [...claimed]
      .sort(byPartitionThenTopic)
      .filter((tp) => !partitionsWithMultiplePreviousOwners.has(topicPartitionKey(tp)));
    const kept = assignment.get(consumer)!;
    let keepCount: number;
    if (owned.length < minQuota) {
      keepCount = owned.length;
      underMinQuota.push(consumer);
    } else if (owned.length >= maxQuota && membersOverMinQuota < expectedMembersOverMinQuota) {
      keepCount = maxQuota;
      membersOverMinQuota++;
      if (membersOverMinQuota === expectedMembersOverMinQuota) exactlyMinQuota.length = 0;
    } else {
      keepCount = minQuota;
      if (membersOverMinQuota < expectedMembersOverMinQuota) exactlyMinQuota.push(consumer);
    }
    for (const tp of owned.slice(0, keepCount)) {
      kept.push(tp);
      assignedKeys.add(topicPartitionKey(tp));
    }
    for (const tp of owned.slice(keepCount)) revokedKeys.add(topicPartitionKey(tp));
  }

  const unassigned: TopicPartition[] = [];
  for (const topic of [...partitionsPerTopic.keys()].sort(javaStringCompare)) {
    for (const tp of partitionsOf(topic, partitionsPerTopic.get(topic)!)) {
      if (!assignedKeys.has(topicPartitionKey(tp))) unassigned.push(tp);
    }
  }
  underMinQuota.sort(javaStringCompare);
  exactlyMinQuota.sort(javaStringCompare);

  const assignNew = (tp: TopicPartition, consumer: string): number => {
    const partitions = assignment.get(consumer)!;
    partitions.push(tp);
    const key = topicPartitionKey(tp);
    // It was owned by someone else, who must give it up first.
    if (revokedKeys.has(key) || partitionsWithMultiplePreviousOwners.has(key)) transferring.set(key, { partition: tp, consumer });
    return partitions.length;
  };

  // 2. Deal the rest round robin: members under minQuota first (cycling), then members at
  //    minQuota, one each, until enough members reach maxQuota. `cursor` plays Java's
  //    LinkedList iterator over underMinQuota.
  let cursor = 0;
  for (const tp of unassigned) {
    let consumer: string;
    if (cursor < underMinQuota.length) {
      consumer = underMinQuota[cursor++]!;
    } else if (underMinQuota.length === 0 && exactlyMinQuota.length === 0) {
      throw new Error('sticky assignor: no more unfilled consumers to be assigned (Kafka IllegalStateException)');
    } else if (underMinQuota.length === 0) {
      consumer = exactlyMinQuota.shift()!;
    } else {
      cursor = 0;
      consumer = underMinQuota[cursor++]!;
    }

    const count = assignNew(tp, consumer);
    if (count === minQuota) {
      underMinQuota.splice(--cursor, 1);
      exactlyMinQuota.push(consumer);
    } else if (count === maxQuota) {
      membersOverMinQuota++;
    }
  }

  // 3. Kafka's consistency check (verifyUnfilledMembers).
  if (underMinQuota.length > 0) {
    if (membersOverMinQuota !== expectedMembersOverMinQuota) {
      throw new Error('sticky assignor: expected members over minQuota not reached but no partitions left (Kafka IllegalStateException)');
    }
    for (const consumer of underMinQuota) {
      if (assignment.get(consumer)!.length !== minQuota) {
        throw new Error(`sticky assignor: consumer ${consumer} does not reach minQuota (Kafka IllegalStateException)`);
      }
    }
  }
  return { assignment, partitionsTransferringOwnership: transferring };
}

// ---------------------------------------------------------------------------------------------
// Members subscribe to different topics (GeneralAssignmentBuilder)

interface PreviousOwner {
  consumer: string;
  generation: number;
}

/** A consumer pair in PartitionMovements, as a Map key. */
function pairKey(from: string, to: string): string {
  return JSON.stringify([from, to]);
}

/**
 * AbstractStickyAssignor.PartitionMovements: records which partitions moved between which members
 * during balancing, so that a move back the other way returns the same partition instead of
 * shuffling a second one.
 */
class PartitionMovements {
  private readonly moveOf = new Map<string, { from: string; to: string }>();
  private readonly byTopic = new Map<string, Map<string, JavaHashOrder<TopicPartition>>>();

  actualPartitionToMove(tp: TopicPartition, oldConsumer: string, newConsumer: string): TopicPartition {
    const movesOfTopic = this.byTopic.get(tp.topic);
    if (movesOfTopic === undefined) return tp;
    const earlierMove = this.moveOf.get(topicPartitionKey(tp));
    const originalOwner = earlierMove === undefined ? oldConsumer : earlierMove.from;
    const movedTheOtherWay = movesOfTopic.get(pairKey(newConsumer, originalOwner));
    return movedTheOtherWay === undefined ? tp : movedTheOtherWay.first()!;
  }

  move(tp: TopicPartition, oldConsumer: string, newConsumer: string): void {
    const key = topicPartitionKey(tp);
    const earlierMove = this.moveOf.get(key);
    if (earlierMove === undefined) {
      this.record(tp, oldConsumer, newConsumer);
      return;
    }
    this.forget(tp, earlierMove);
    // Moving back to where it started cancels the movement.
    if (earlierMove.from !== newConsumer) this.record(tp, earlierMove.from, newConsumer);
  }

  private record(tp: TopicPartition, from: string, to: string): void {
    this.moveOf.set(topicPartitionKey(tp), { from, to });
    let movesOfTopic = this.byTopic.get(tp.topic);
    if (movesOfTopic === undefined) this.byTopic.set(tp.topic, (movesOfTopic = new Map()));
    let moved = movesOfTopic.get(pairKey(from, to));
    if (moved === undefined) movesOfTopic.set(pairKey(from, to), (moved = newTopicPartitionHashSet()));
    moved.add(tp);
  }

  private forget(tp: TopicPartition, move: { from: string; to: string }): void {
    this.moveOf.delete(topicPartitionKey(tp));
    const movesOfTopic = this.byTopic.get(tp.topic)!;
    const moved = movesOfTopic.get(pairKey(move.from, move.to))!;
    moved.delete(tp);
    if (moved.size === 0) movesOfTopic.delete(pairKey(move.from, move.to));
    if (movesOfTopic.size === 0) this.byTopic.delete(tp.topic);
  }
}

/**
 * Kafka's TreeSet of members ordered by current partition count, then member id. Members are
 * always taken out before their count changes and put back after, as Kafka does.
 */
class MembersByLoad {
  private readonly order: string[] = [];

  constructor(private readonly loadOf: (consumer: string) => number) {}

  add(consumer: string): void {
    if (this.order.includes(consumer)) return;
    let at = 0;
    while (at < this.order.length && this.compare(this.order[at]!, consumer) < 0) at++;
    this.order.splice(at, 0, consumer);
  }

  remove(consumer: string): void {
    const at = this.order.indexOf(consumer);
    if (at >= 0) this.order.splice(at, 1);
  }

  first(): string {
    return this.order[0]!;
  }

  last(): string {
    return this.order[this.order.length - 1]!;
  }

  inOrder(): readonly string[] {
    return [...this.order];
  }

  private compare(a: string, b: string): number {
    return this.loadOf(a) - this.loadOf(b) || javaStringCompare(a, b);
  }
}

class GeneralAssignment {
  private readonly partitionsPerTopic: ReadonlyMap<string, number>;
  /** Topic -> members that could consume it, in HashMap member order. */
  private readonly topicConsumers = new Map<string, string[]>();
  /** Member -> the topics it subscribes to that exist. */
  private readonly consumerTopics = new Map<string, string[]>();
  /** Partition key -> its current member; may keep stale entries for revoked partitions, as in Kafka. */
  private readonly currentPartitionConsumer = new Map<string, string>();
  private sortedAllPartitions: TopicPartition[];
  private readonly membersByLoad: MembersByLoad;
  private readonly movements = new PartitionMovements();
  private revocationRequired = false;

  constructor(
    private readonly group: GroupSubscription,
    private readonly memberOrder: readonly string[],
    /** Member -> partitions, starting from the still-valid owned ones. */
    private readonly currentAssignment: Map<string, TopicPartition[]>,
    private readonly maxGeneration: number,
  ) {
    this.partitionsPerTopic = group.partitionsPerTopic;
    for (const topic of group.partitionsPerTopic.keys()) this.topicConsumers.set(topic, []);
    for (const consumer of memberOrder) {
      const topics = [...group.members.get(consumer)!.topics].filter((topic) => group.partitionsPerTopic.has(topic));
      this.consumerTopics.set(consumer, topics);
      for (const topic of topics) this.topicConsumers.get(topic)!.push(consumer);
      if (!currentAssignment.has(consumer)) currentAssignment.set(consumer, []);
    }
    for (const [consumer, partitions] of currentAssignment) {
      for (const tp of partitions) this.currentPartitionConsumer.set(topicPartitionKey(tp), consumer);
    }
    // Topics with the fewest potential consumers first: they have the fewest places to go.
    const sortedTopics = [...this.topicConsumers.keys()].sort(
      (a, b) => this.topicConsumers.get(a)!.length - this.topicConsumers.get(b)!.length || javaStringCompare(a, b),
    );
    this.sortedAllPartitions = sortedTopics.flatMap((topic) => partitionsOf(topic, this.partitionsPerTopic.get(topic)!));
    this.membersByLoad = new MembersByLoad((consumer) => this.currentAssignment.get(consumer)!.length);
  }

  build(): MemberPartitions {
    const prevAssignment = this.previousAssignments();
    const assignedPartitions = this.keepOwnedPartitions();
    const assignedKeys = new Set(assignedPartitions.map(topicPartitionKey));
    const unassignedPartitions = this.sortedAllPartitions.filter((tp) => !assignedKeys.has(topicPartitionKey(tp)));
    for (const consumer of this.currentAssignment.keys()) this.membersByLoad.add(consumer);
    this.balance(prevAssignment, unassignedPartitions);
    return this.currentAssignment;
  }

  /**
   * Claims from older generations (prepopulateCurrentAssignments): a partition's most recent
   * earlier owner, to which balancing prefers to return it.
   */
  private previousAssignments(): Map<string, PreviousOwner> {
    const previous = new Map<string, PreviousOwner>();
    for (const consumer of this.memberOrder) {
      const member = this.group.members.get(consumer)!;
      let generation: number;
      if (member.generation !== undefined && member.generation < this.maxGeneration) generation = member.generation;
      else if (member.generation === undefined && this.maxGeneration > DEFAULT_GENERATION) generation = DEFAULT_GENERATION;
      else continue;
      for (const tp of member.ownedPartitions) {
        const key = topicPartitionKey(tp);
        const known = previous.get(key);
        if (known === undefined || generation > known.generation) previous.set(key, { consumer, generation });
      }
    }
    return previous;
  }

  /** Drops owned partitions the member no longer subscribes to; returns those it keeps. */
  private keepOwnedPartitions(): TopicPartition[] {
    const kept: TopicPartition[] = [];
    for (const [consumer, partitions] of this.currentAssignment) {
      const topics = this.group.members.get(consumer)!.topics;
      for (const tp of [...partitions]) {
        if (!this.topicConsumers.has(tp.topic)) {
          removeFirst(partitions, tp);
          this.currentPartitionConsumer.delete(topicPartitionKey(tp));
        } else if (!topics.has(tp.topic)) {
          removeFirst(partitions, tp);
          this.revocationRequired = true;
        } else {
          kept.push(tp);
        }
      }
    }
    return kept;
  }

  private load(consumer: string): number {
    const partitions = this.currentAssignment.get(consumer);
    if (partitions === undefined) {
      // Kafka dereferences a member it set aside as fixed here and throws NullPointerException.
      throw new Error(`sticky assignor: member ${consumer} is not in the reassignable assignment (Kafka NullPointerException)`);
    }
    return partitions.length;
  }

  private maxAssignmentSize(consumer: string): number {
    return this.consumerTopics.get(consumer)!.reduce((sum, topic) => sum + this.partitionsPerTopic.get(topic)!, 0);
  }

  private balance(prevAssignment: Map<string, PreviousOwner>, unassignedPartitions: TopicPartition[]): void {
    const initializing = this.load(this.membersByLoad.last()) === 0;

    // Each partition to the least loaded member that can take it.
    for (const tp of unassignedPartitions) {
      if (this.topicConsumers.get(tp.topic)!.length === 0) continue;
      for (const consumer of this.membersByLoad.inOrder()) {
        if (!this.consumerTopics.get(consumer)!.includes(tp.topic)) continue;
        this.membersByLoad.remove(consumer);
        this.currentAssignment.get(consumer)!.push(tp);
        this.currentPartitionConsumer.set(topicPartitionKey(tp), consumer);
        this.membersByLoad.add(consumer);
        break;
      }
    }

    // Partitions of a topic only one member can consume, and members that can neither gain nor
    // lose, stay out of balancing.
    const fixedTopics = new Set([...this.topicConsumers.keys()].filter((topic) => !this.canTopicParticipate(topic)));
    this.sortedAllPartitions = this.sortedAllPartitions.filter((tp) => !fixedTopics.has(tp.topic));
    const reassignableUnassigned = unassignedPartitions.filter((tp) => !fixedTopics.has(tp.topic));
    const fixedAssignments = new Map<string, TopicPartition[]>();
    for (const consumer of this.consumerTopics.keys()) {
      if (this.canConsumerParticipate(consumer)) continue;
      this.membersByLoad.remove(consumer);
      fixedAssignments.set(consumer, this.currentAssignment.get(consumer)!);
      this.currentAssignment.delete(consumer);
    }

    const preBalanceAssignment = copyAssignment(this.currentAssignment);
    const preBalancePartitionConsumer = new Map(this.currentPartitionConsumer);

    // First try moving only the newly assigned partitions, unless subscriptions changed anyway.
    if (!this.revocationRequired) this.performReassignments(reassignableUnassigned, prevAssignment);
    const reassignmentPerformed = this.performReassignments(this.sortedAllPartitions, prevAssignment);

    // Moves that did not improve balance are undone.
    if (!initializing && reassignmentPerformed && balanceScore(this.currentAssignment) >= balanceScore(preBalanceAssignment)) {
      this.currentAssignment.clear();
      for (const [consumer, partitions] of preBalanceAssignment) this.currentAssignment.set(consumer, [...partitions]);
      this.currentPartitionConsumer.clear();
      for (const [key, consumer] of preBalancePartitionConsumer) this.currentPartitionConsumer.set(key, consumer);
    }
    for (const [consumer, partitions] of fixedAssignments) this.currentAssignment.set(consumer, partitions);
  }

  private canTopicParticipate(topic: string): boolean {
    return this.topicConsumers.get(topic)!.length >= 2;
  }

  private canConsumerParticipate(consumer: string): boolean {
    const partitions = this.currentAssignment.get(consumer)!;
    if (partitions.length < this.maxAssignmentSize(consumer)) return true;
    return partitions.some((tp) => this.canTopicParticipate(tp.topic));
  }

  /** True when no partition can move to a member with at least two fewer (AbstractStickyAssignor.isBalanced). */
  private isBalanced(): boolean {
    if (this.load(this.membersByLoad.first()) >= this.load(this.membersByLoad.last()) - 1) return true;

    const ownerOf = new Map<string, string>();
    for (const [consumer, partitions] of this.currentAssignment) {
      for (const tp of partitions) ownerOf.set(topicPartitionKey(tp), consumer);
    }
    for (const consumer of this.membersByLoad.inOrder()) {
      const count = this.load(consumer);
      if (count === this.maxAssignmentSize(consumer)) continue;
      const own = new Set(this.currentAssignment.get(consumer)!.map(topicPartitionKey));
      for (const topic of this.consumerTopics.get(consumer)!) {
        for (const tp of partitionsOf(topic, this.partitionsPerTopic.get(topic)!)) {
          const key = topicPartitionKey(tp);
          if (own.has(key)) continue;
          const otherConsumer = ownerOf.get(key);
          if (otherConsumer === undefined) {
            throw new Error(`sticky assignor: partition ${key} has no reassignable owner (Kafka NullPointerException)`);
          }
          if (count + 1 < this.load(otherConsumer)) return false;
        }
      }
    }
    return true;
  }

  private performReassignments(reassignablePartitions: readonly TopicPartition[], prevAssignment: Map<string, PreviousOwner>): boolean {
    let reassignmentPerformed = false;
    let modified: boolean;
    do {
      modified = false;
      for (let i = 0; i < reassignablePartitions.length && !this.isBalanced(); i++) {
        const tp = reassignablePartitions[i]!;
        const key = topicPartitionKey(tp);
        const consumer = this.currentPartitionConsumer.get(key)!;

        // Prefer handing it back to its owner in an earlier generation.
        const previous = prevAssignment.get(key);
        if (previous !== undefined && this.load(consumer) > this.load(previous.consumer) + 1) {
          this.reassignPartition(tp, previous.consumer);
          reassignmentPerformed = modified = true;
          continue;
        }
        for (const otherConsumer of this.topicConsumers.get(tp.topic)!) {
          if (this.load(consumer) > this.load(otherConsumer) + 1) {
            this.reassignPartition(tp, this.leastLoadedConsumerOf(tp.topic));
            reassignmentPerformed = modified = true;
            break;
          }
        }
      }
    } while (modified);
    return reassignmentPerformed;
  }

  private leastLoadedConsumerOf(topic: string): string {
    return this.membersByLoad.inOrder().find((consumer) => this.consumerTopics.get(consumer)!.includes(topic))!;
  }

  private reassignPartition(tp: TopicPartition, newConsumer: string): void {
    const consumer = this.currentPartitionConsumer.get(topicPartitionKey(tp))!;
    const toMove = this.movements.actualPartitionToMove(tp, consumer, newConsumer);
    const oldConsumer = this.currentPartitionConsumer.get(topicPartitionKey(toMove))!;

    this.membersByLoad.remove(oldConsumer);
    this.membersByLoad.remove(newConsumer);
    this.movements.move(toMove, oldConsumer, newConsumer);
    removeFirst(this.currentAssignment.get(oldConsumer)!, toMove);
    this.currentAssignment.get(newConsumer)!.push(toMove);
    this.currentPartitionConsumer.set(topicPartitionKey(toMove), newConsumer);
    this.membersByLoad.add(newConsumer);
    this.membersByLoad.add(oldConsumer);
  }
}

function copyAssignment(assignment: MemberPartitions): MemberPartitions {
  return new Map([...assignment].map(([consumer, partitions]) => [consumer, [...partitions]]));
}

/** Sum over member pairs of the difference in partition counts; 0 is perfectly balanced. */
function balanceScore(assignment: MemberPartitions): number {
  const counts = [...assignment.values()].map((partitions) => partitions.length);
  let score = 0;
  for (let i = 0; i < counts.length; i++) for (let j = i + 1; j < counts.length; j++) score += Math.abs(counts[i]! - counts[j]!);
  return score;
}

/**
 * The StickyAssignor's general algorithm (AbstractStickyAssignor's GeneralAssignmentBuilder),
 * used when members subscribe to different topics: keep what each member validly owned, hand
 * out the rest to the least loaded eligible members, then move partitions between members
 * until the assignment is balanced, keeping the best-balanced assignment seen (sticky.ts).
 */

import type { GroupSubscription, MemberPartitions, TopicPartition } from './index.js';
import { javaStringCompare } from './range.js';
import { JavaHashOrder, topicPartitionKey, newTopicPartitionHashSet, removeFirst, partitionsOf } from './java-hash-order.js';

/** AbstractStickyAssignor.DEFAULT_GENERATION: the generation of a member that reported none. */
export const DEFAULT_GENERATION = -1;

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

export class GeneralAssignment {
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

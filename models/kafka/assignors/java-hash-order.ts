/**
 * The iteration order of the Java collections Kafka's StickyAssignor walks (java.util.HashMap and
 * HashSet: buckets by spread hash code, insertion order within a bucket, resizes at 0.75 load),
 * and TopicPartition as Java hashes and compares it. The sticky assignors' tie-breaks depend on
 * these walks, so they are reproduced here rather than approximated.
 */

import { javaStringHashCode } from '../coordinator.js';
import type { TopicPartition } from './index.js';
import { javaStringCompare } from './range.js';

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

export function emptyBuckets<K>(capacity: number): HashNode<K>[][] {
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
export function topicPartitionHashCode(tp: TopicPartition): number {
  return (Math.imul(31, 31 + tp.partition) + javaStringHashCode(tp.topic)) | 0;
}

export function newTopicPartitionHashSet(): JavaHashOrder<TopicPartition> {
  return new JavaHashOrder(topicPartitionHashCode, topicPartitionKey);
}

export function byPartitionThenTopic(a: TopicPartition, b: TopicPartition): number {
  return a.partition - b.partition || javaStringCompare(a.topic, b.topic);
}

/** Java's List.remove(Object): drops the first equal element, if any. */
export function removeFirst(list: TopicPartition[], tp: TopicPartition): void {
  const at = list.findIndex((other) => other.topic === tp.topic && other.partition === tp.partition);
  if (at >= 0) list.splice(at, 1);
}

export function partitionsOf(topic: string, count: number): TopicPartition[] {
  return Array.from({ length: count }, (_, partition) => ({ topic, partition }));
}

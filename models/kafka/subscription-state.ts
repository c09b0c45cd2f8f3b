import { parsePartition } from './consumer-coordinator.js';
import { AWAITING_COMMITTED, newCursor, type CursorTable, type KafkaConsumer } from './consumer.js';

/**
 * SubscriptionState.assignFromSubscribed: the partitions a rebalance gave this member (classic
 * SyncGroup, or KIP-848 reconciliation) get a fetch position to look up — the group's committed
 * offset first (AWAITING_COMMITTED) — with the leader the consumer's metadata knows, and
 * metadata is asked for any topic the consumer did not follow yet. Partitions already held keep
 * their position. Returns how many were new.
 */
export function assignFromSubscribed(consumer: KafkaConsumer, cursors: CursorTable, partitions: Iterable<string>): number {
  let added = 0;
  for (const q of partitions) {
    if (cursors.get(q)) continue;
    const { topic, partition } = parsePartition(q);
    const cursor = newCursor(topic, partition, q);
    cursor.position = AWAITING_COMMITTED;
    const leader = consumer.leaders.get(q);
    if (leader) {
      cursor.leader = leader.leader;
      cursor.leaderEpoch = leader.leaderEpoch;
    }
    if (!consumer.topics.has(topic)) {
      consumer.topics.add(topic);
      consumer.requestMetadata();
    }
    cursors.add(cursor);
    added++;
  }
  return added;
}

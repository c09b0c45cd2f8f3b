/**
 * Which `__consumer_offsets` partition a consumer group lives on; the leader of that partition is
 * the group's coordinator. Kafka computes `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions`
 * (GroupCoordinatorService.partitionFor, GroupMetadataManager.partitionFor before it).
 */

/** Kafka's default for `offsets.topic.num.partitions`. */
export const DEFAULT_OFFSETS_TOPIC_PARTITIONS = 50;

const INT_MIN = -2147483648;

/** Java's String.hashCode: s[0]*31^(n-1) + ... over UTF-16 code units, wrapping at 32 bits. */
export function javaStringHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) {
    hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  }
  return hash;
}

/**
 * Kafka's Utils.abs: Math.abs, except Integer.MIN_VALUE (whose Java abs is still negative) maps
 * to 0. This is not the sign-bit mask of Utils.toPositive: abs(-5) is 5 here, the mask gives
 * 2147483643, so the two send most negative hashes to different partitions.
 */
export function kafkaAbs(n: number): number {
  return n === INT_MIN ? 0 : Math.abs(n);
}

/** The `__consumer_offsets` partition whose leader coordinates `groupId`. */
export function coordinatorPartition(groupId: string, offsetsTopicPartitions = DEFAULT_OFFSETS_TOPIC_PARTITIONS): number {
  if (!Number.isInteger(offsetsTopicPartitions) || offsetsTopicPartitions < 1) {
    throw new RangeError(`offsets.topic.num.partitions must be a positive integer, got ${offsetsTopicPartitions}`);
  }
  return kafkaAbs(javaStringHashCode(groupId)) % offsetsTopicPartitions;
}

/** The Kafka model's pure functions: key partitioning, group coordinator placement, partition assignment. */

export { murmur2, partitionForKey, toPositive } from './partitioner.js';
export { javaStringHashCode, coordinatorPartition } from './coordinator.js';
export { assignPartitions } from './assignors/index.js';
export type { AssignorInput, Assignment, AssignmentStrategy, TopicPartition } from './assignors/index.js';

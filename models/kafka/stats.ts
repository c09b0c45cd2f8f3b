/** Counters that outlive broker incarnations; the model reports them as counts. */
export interface KafkaStats {
  leaderElections: number;
  uncleanElections: number;
  controllerElections: number;
  isrShrinks: number;
  isrExpands: number;
  truncatedRecords: number;
  notEnoughReplicas: number;
  offlinePartitionsMax: number;
  producerRetries: number;
  duplicateBatches: number;
  segmentsRolled: number;
  segmentsDeleted: number;
  rebalances: number;
  membersRemoved: number;
  sessionTimeouts: number;
  maxPollLeaves: number;
  offsetCommits: number;
  coordinatorLoads: number;
  idleConsumersMax: number;
  revocations: number;
  /** KRaft: brokers the active controller fenced after broker.session.timeout.ms without a heartbeat. */
  brokerFencings: number;
  /**
   * The longest time, in ms, from a broker's crash to the controller acting on it (ZooKeeper mode: its session
   * expired; KRaft: the active controller fenced it). 0 when no crashed broker was detected.
   */
  brokerFailureDetectionMsMax: number;
  /** KRaft: the longest time, in ms, from the active controller's crash to the next controller becoming active. */
  controllerFailoverMsMax: number;
  /** KRaft: uncommitted __cluster_metadata records a voter cut off its log when it learnt of a newer leader (a deposed leader's writes). */
  metadataRecordsTruncated: number;
  /** cluster.invariants: how many times the replication invariants were checked (after control-plane changes). */
  invariantChecks: number;
  /** Static members (group.instance.id) that rejoined with a new member id replacing the old one (KIP-345). */
  staticMemberReplacements: number;
  /** Requests refused with FENCED_INSTANCE_ID (a stale member id for a static instance). */
  fencedInstanceRequests: number;
  /** The highest generation any consumer group reached. */
  generationMax: number;
  /** The largest lag of one group on one partition at any sample (high watermark minus committed offset). */
  lagMax: number;
  /** Partitions added to topics while running (CreatePartitions). */
  partitionsAdded: number;
  /** Records producers sent to partitions beyond the topic's starting count, once their metadata showed them. */
  recordsToAddedPartitions: number;
  /**
   * Partitions a consumer received in a rebalance that it did not hold in its previous assignment,
   * counted only for consumers that held partitions before (a newcomer's or an idle member's first
   * partitions are not a move): what stickiness (partition.assignment.strategy=sticky) keeps low.
   */
  partitionsMovedOnRebalance: number;
  /**
   * Times a group member found its coordinator on another broker than before (the leader of the group's
   * __consumer_offsets partition, hash(group.id) % offsets.topic.num.partitions, moved): summed over members.
   */
  coordinatorMoves: number;
  /** The longest time, in ms, from a record's send() to its acknowledgement: what acks=all makes a producer wait. */
  ackLatencyMsMax: number;
  /** Failed processings retried (in place, or through a retry topic): attempts after the first. */
  retried: number;
  /** Records the application produced to its dead-letter topic after the last attempt. */
  deadLettered: number;
  /** Records the application gave up on without a dead-letter topic (logged, offset committed past: never delivered). */
  recordsSkipped: number;
  /** KIP-848: heartbeats refused with FENCED_MEMBER_EPOCH (the member then drops its partitions and joins again). */
  fencedMemberEpochs: number;
  /**
   * Wall time, in ms, during which at least one partition a group had consumed had no live member
   * consuming it (revoked in a rebalance, held by a dead or departed member, waiting to be handed
   * over), summed over groups: how long a group was not whole (partition-ownership.ts).
   */
  partitionsUnownedMs: number;
  /** The most partitions of one group without a live owner at the same moment (all of them in an eager rebalance). */
  partitionsUnownedMax: number;
  /** The longest stretch, in ms, one partition of a group went without a live owner. */
  partitionUnownedMsMax: number;
  /** Partition-milliseconds without a live owner: the sum over a group's partitions of their unowned time. */
  partitionUnownedMsTotal: number;
  /** partitionUnownedMsTotal over the number of partitions ever owned: each partition's time without a consumer, on average. */
  partitionUnownedMsMean: number;
  /** Transactions that reached CompleteCommit / CompleteAbort at their coordinator. */
  transactionsCommitted: number;
  transactionsAborted: number;
  /** Transactions the coordinator aborted because they were open longer than transaction.timeout.ms. */
  transactionsTimedOut: number;
  /** Open transactions aborted because a new instance of their transactional.id called InitProducerId (the old one fenced). */
  transactionsFenced: number;
  /** Produce requests refused with INVALID_PRODUCER_EPOCH (a fenced producer's batches). */
  fencedProduceRequests: number;
  /** AddPartitionsToTxn / EndTxn refused with PRODUCER_FENCED. */
  fencedTxnRequests: number;
  /** transactional.ids the coordinator expired (idle longer than transactional.id.expiration.ms). */
  transactionalIdsExpired: number;
  /** KIP-664: open transactions an admin aborted (kafka-transactions.sh abort: an ABORT marker written for a hanging producer). */
  transactionsAbortedByAdmin: number;
  /** KIP-447: TxnOffsetCommit refused by the group coordinator (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID): a zombie's offsets. */
  txnOffsetCommitsFenced: number;
  /** OffsetFetch answers with UNSTABLE_OFFSET_COMMIT a consumer waited out (a partition's offset was pending in a transaction). */
  unstableOffsetFetches: number;
  /** KIP-890: transactional Produce requests refused because their partition was not in an ongoing transaction. */
  unverifiedTxnProduces: number;
  /**
   * The longest time, in ms, a partition's last stable offset stood still below its high watermark
   * (sampled every second): how long read_committed consumers made no progress there. A stuck LSO
   * far longer than transaction.timeout.ms is a hanging transaction.
   */
  lsoStuckMsMax: number;
}

export function newStats(): KafkaStats {
  return {
    leaderElections: 0, uncleanElections: 0, controllerElections: 0, isrShrinks: 0, isrExpands: 0, truncatedRecords: 0,
    notEnoughReplicas: 0, offlinePartitionsMax: 0, producerRetries: 0, duplicateBatches: 0, segmentsRolled: 0, segmentsDeleted: 0,
    rebalances: 0, membersRemoved: 0, sessionTimeouts: 0, maxPollLeaves: 0, offsetCommits: 0, coordinatorLoads: 0, idleConsumersMax: 0, revocations: 0,
    brokerFencings: 0, brokerFailureDetectionMsMax: 0, controllerFailoverMsMax: 0, metadataRecordsTruncated: 0, invariantChecks: 0,
    staticMemberReplacements: 0, fencedInstanceRequests: 0, generationMax: 0, lagMax: 0, partitionsAdded: 0,
    recordsToAddedPartitions: 0, partitionsMovedOnRebalance: 0, coordinatorMoves: 0, ackLatencyMsMax: 0,
    retried: 0, deadLettered: 0, recordsSkipped: 0, fencedMemberEpochs: 0, partitionsUnownedMs: 0, partitionsUnownedMax: 0, partitionUnownedMsMax: 0, partitionUnownedMsTotal: 0, partitionUnownedMsMean: 0,
    transactionsCommitted: 0, transactionsAborted: 0, transactionsTimedOut: 0, transactionsFenced: 0, fencedProduceRequests: 0,
    fencedTxnRequests: 0, txnOffsetCommitsFenced: 0, transactionalIdsExpired: 0, transactionsAbortedByAdmin: 0, unstableOffsetFetches: 0, unverifiedTxnProduces: 0, lsoStuckMsMax: 0,
  };
}

/**
 * Kafka's wire protocol as mqsim models it: request and response names are Kafka's own
 * (Produce, Fetch, Metadata, ListOffsets, OffsetsForLeaderEpoch, InitProducerId, LeaderAndIsr,
 * UpdateMetadata, AlterPartition), and so are the error codes. The ZooKeeper side is a small
 * set of `Zk*` messages standing for the znode operations Kafka's ZooKeeper client does
 * (ephemeral /brokers/ids/N, ephemeral /controller, /controller_epoch, partition state znodes,
 * watches). KRaft's messages (Vote, BeginQuorumEpoch, EndQuorumEpoch, the metadata Fetch,
 * BrokerRegistration, BrokerHeartbeat, AllocateProducerIds) are in kraft/protocol.ts;
 * `KafkaWireMessage` is the union of both, and each actor's `receive` takes the part of it that
 * reaches that actor, dispatched by an exhaustive `switch (message.type)`.
 */
import type {
  AllocateProducerIds, AllocateProducerIdsResponse, BeginQuorumEpoch, BeginQuorumEpochResponse, BrokerHeartbeat, BrokerHeartbeatResponse,
  BrokerRegistration, BrokerRegistrationResponse, EndQuorumEpoch, EndQuorumEpochResponse, KraftMessage, MetadataFetch, MetadataFetchResponse,
  Vote, VoteResponse,
} from './kraft/protocol.js';

/** One record as stored in a partition log (plain object, no per-record strings beyond the id). */
export interface LogRecord {
  offset: number;
  /** Leader epoch of the leader that appended it (the record batch's partitionLeaderEpoch). */
  epoch: number;
  msg: string;
  key: string | undefined;
  bytes: number;
  /** Producer id (-1: not idempotent) and the record's sequence number. */
  pid: number;
  seq: number;
  /** First sequence of the record's batch; the batch's last record has `last` true. */
  batchFirst: number;
  last: boolean;
  /**
   * The record's timestamp (CreateTime, Kafka's default message.timestamp.type): the producer's
   * clock at send(), in microseconds. Used by the time index and time-based retention.
   */
  time: number;
  /** KIP-98: the producer epoch of the record's batch (absent: not written by a transactional producer). */
  producerEpoch?: number;
  /** KIP-98: the record's batch has the transactional flag (its producer's transaction is not over until a marker). */
  txn?: true;
  /** KIP-98: a control record (transaction marker) written by the transaction coordinator; never handed to an application. */
  control?: 'COMMIT' | 'ABORT';
}

export type KafkaError =
  | 'NONE'
  | 'NOT_LEADER_OR_FOLLOWER'
  | 'NOT_ENOUGH_REPLICAS'
  | 'NOT_ENOUGH_REPLICAS_AFTER_APPEND'
  | 'REQUEST_TIMED_OUT'
  | 'OFFSET_OUT_OF_RANGE'
  | 'FENCED_LEADER_EPOCH'
  | 'UNKNOWN_LEADER_EPOCH'
  | 'OUT_OF_ORDER_SEQUENCE_NUMBER'
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'KAFKA_STORAGE_ERROR'
  | 'STALE_CONTROLLER_EPOCH'
  | 'INVALID_UPDATE_VERSION'
  | 'COORDINATOR_NOT_AVAILABLE'
  | 'NOT_COORDINATOR'
  | 'COORDINATOR_LOAD_IN_PROGRESS'
  | 'ILLEGAL_GENERATION'
  | 'UNKNOWN_MEMBER_ID'
  | 'REBALANCE_IN_PROGRESS'
  | 'INCONSISTENT_GROUP_PROTOCOL'
  | 'FENCED_INSTANCE_ID'
  | 'NOT_CONTROLLER'
  | 'BROKER_NOT_AVAILABLE'
  | 'INVALID_PARTITIONS'
  // KIP-848 (the consumer group protocol)
  | 'FENCED_MEMBER_EPOCH'
  | 'UNRELEASED_INSTANCE_ID'
  | 'STALE_MEMBER_EPOCH'
  | 'GROUP_ID_NOT_FOUND'
  // transactions (KIP-98, KIP-588, KIP-890)
  | 'INVALID_PRODUCER_EPOCH'
  | 'PRODUCER_FENCED'
  | 'INVALID_TXN_STATE'
  | 'INVALID_PRODUCER_ID_MAPPING'
  | 'CONCURRENT_TRANSACTIONS'
  | 'INVALID_TRANSACTION_TIMEOUT'
  | 'INVALID_RECORD'
  /** KIP-447: OffsetFetch with require_stable for a partition with a pending transactional offset commit (retriable). */
  | 'UNSTABLE_OFFSET_COMMIT'
  /** The client's connection to the broker closed with the request in flight (NetworkException, retriable). */
  | 'NETWORK_EXCEPTION';

/** Errors a producer retries. */
export const RETRIABLE: ReadonlySet<KafkaError> = new Set<KafkaError>([
  'NOT_LEADER_OR_FOLLOWER', 'NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', 'REQUEST_TIMED_OUT',
  'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH', 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_TOPIC_OR_PARTITION',
  'KAFKA_STORAGE_ERROR', 'NETWORK_EXCEPTION',
]);

export const HEADER_BYTES = 64;
/** Record overhead in a v2 record batch (varint header fields), roughly. */
export const RECORD_OVERHEAD = 20;

// ------------------------------------------------------------------ control plane

/** A partition's state as the controller keeps it in ZooKeeper (/brokers/topics/T/partitions/P/state). */
export interface PartitionState {
  topic: string;
  partition: number;
  /** Broker name, or null when the partition is offline (leader -1). */
  leader: string | null;
  leaderEpoch: number;
  isr: string[];
  /** The znode version: bumped by every write (Kafka's partition epoch). */
  partitionEpoch: number;
  replicas: string[];
}

export interface LeaderAndIsr {
  type: 'LeaderAndIsr';
  controller: string;
  controllerEpoch: number;
  correlationId: number;
  partitions: PartitionState[];
}

export interface UpdateMetadata {
  type: 'UpdateMetadata';
  controller: string;
  controllerEpoch: number;
  correlationId: number;
  liveBrokers: string[];
  partitions: PartitionState[];
}

export interface ControlResponse {
  type: 'LeaderAndIsrResponse' | 'UpdateMetadataResponse';
  correlationId: number;
  error: KafkaError;
}

export interface AlterPartition {
  type: 'AlterPartition';
  broker: string;
  topic: string;
  partition: number;
  leaderEpoch: number;
  partitionEpoch: number;
  newIsr: string[];
}

export interface AlterPartitionResponse {
  type: 'AlterPartitionResponse';
  topic: string;
  partition: number;
  error: KafkaError;
  state?: PartitionState;
}

// ------------------------------------------------------------------ replication and clients

export interface Fetch {
  type: 'Fetch';
  /** The fetching broker for a replica fetch, or null for a consumer. */
  replica: string | null;
  topic: string;
  partition: number;
  fetchOffset: number;
  currentLeaderEpoch: number;
  maxWait: number;
  maxBytes: number;
  /** min_bytes: the leader holds the Fetch (up to maxWait) until this many bytes can be read; absent is 1. */
  minBytes?: number;
  id: number;
  /** Fetch's isolation_level: 1 is READ_COMMITTED (up to the last stable offset); absent is READ_UNCOMMITTED (up to the HW). */
  isolationLevel?: 1;
}

/** One entry of a FetchResponse's aborted_transactions (READ_COMMITTED only). */
export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}

export interface FetchResponse {
  type: 'FetchResponse';
  topic: string;
  partition: number;
  id: number;
  error: KafkaError;
  highWatermark: number;
  logEndOffset: number;
  logStartOffset: number;
  records: LogRecord[];
  /** READ_COMMITTED fetches only: the partition's last stable offset and the aborted transactions in the range read. */
  lastStableOffset?: number;
  abortedTransactions?: AbortedTransaction[];
}

export interface OffsetsForLeaderEpoch {
  type: 'OffsetsForLeaderEpoch';
  topic: string;
  partition: number;
  /** The epoch whose end offset is asked. */
  leaderEpoch: number;
  currentLeaderEpoch: number;
  id: number;
}

export interface OffsetsForLeaderEpochResponse {
  type: 'OffsetsForLeaderEpochResponse';
  topic: string;
  partition: number;
  id: number;
  error: KafkaError;
  /** The largest epoch <= the one asked that the leader has (-1: none), and where it ends. */
  leaderEpoch: number;
  endOffset: number;
}

export interface ListOffsets {
  type: 'ListOffsets';
  topic: string;
  partition: number;
  /** -2 earliest, -1 latest, or a timestamp (microseconds): the first offset at or after it. */
  timestamp: number;
  id: number;
  /** 1: READ_COMMITTED, "latest" is the last stable offset. */
  isolationLevel?: 1;
}

export interface ListOffsetsResponse {
  type: 'ListOffsetsResponse';
  topic: string;
  partition: number;
  id: number;
  error: KafkaError;
  offset: number;
}

export interface MetadataRequest {
  type: 'Metadata';
  topic: string;
  id: number;
}

export interface PartitionMetadata {
  partition: number;
  leader: string | null;
  leaderEpoch: number;
}

export interface MetadataResponse {
  type: 'MetadataResponse';
  topic: string;
  id: number;
  error: KafkaError;
  partitions: PartitionMetadata[];
}

export interface InitProducerId {
  type: 'InitProducerId';
  id: number;
  /** A transactional producer's transactional.id (to its transaction coordinator) and transaction.timeout.ms. */
  transactionalId?: string;
  transactionTimeoutMs?: number;
}

export interface InitProducerIdResponse {
  type: 'InitProducerIdResponse';
  id: number;
  error: KafkaError;
  producerId: number;
  producerEpoch: number;
}

export interface ProduceBatchRecord {
  msg: string;
  key: string | undefined;
  bytes: number;
  /** CreateTime: the producer's clock when the application called send(). */
  timestamp: number;
}

export interface Produce {
  type: 'Produce';
  topic: string;
  partition: number;
  acks: 0 | 1 | -1;
  timeout: number;
  producerId: number;
  baseSequence: number;
  records: ProduceBatchRecord[];
  id: number;
  /** KIP-98: the batch's producer epoch, and its transactional flag with the producer's transactional.id. */
  producerEpoch?: number;
  transactionalId?: string;
}

export interface ProduceResponse {
  type: 'ProduceResponse';
  topic: string;
  partition: number;
  id: number;
  error: KafkaError;
  baseOffset: number;
}

// ------------------------------------------------------------------ consumer groups

/** A member's subscription as sent in JoinGroup's protocol metadata (ConsumerProtocolSubscription). */
export interface GroupSubscriptionMetadata {
  topics: string[];
  /** Partitions it owns now (sent by cooperative members; KIP-429), as "topic-partition". */
  ownedPartitions: string[];
  /** Generation those partitions were owned in (-1: none). */
  generation: number;
}

/** keyType 1 (TRANSACTION): the key is a transactional.id, the coordinator leads its __transaction_state partition. */
export interface FindCoordinator { type: 'FindCoordinator'; key: string; id: number; keyType?: 1 }
export interface FindCoordinatorResponse { type: 'FindCoordinatorResponse'; id: number; error: KafkaError; coordinator: string | null }

export interface JoinGroup {
  type: 'JoinGroup';
  groupId: string;
  /** '' for a new member. */
  memberId: string;
  /** group.instance.id of a static member (KIP-345), null for a dynamic one. */
  groupInstanceId: string | null;
  clientId: string;
  sessionTimeout: number;
  rebalanceTimeout: number;
  /** Assignor names in preference order, each with the member's subscription. */
  protocols: { name: string; metadata: GroupSubscriptionMetadata }[];
  id: number;
}
export interface JoinGroupResponse {
  type: 'JoinGroupResponse';
  id: number;
  error: KafkaError;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  /** Only for the leader: every member with its subscription for the chosen protocol. */
  members: { memberId: string; groupInstanceId: string | null; metadata: GroupSubscriptionMetadata }[];
  /**
   * JoinGroup v9 (KIP-814): a static leader rejoining a Stable group is told it leads but must not
   * run the assignor (the group keeps its assignment).
   */
  skipAssignment: boolean;
}
export interface SyncGroup {
  type: 'SyncGroup';
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** Only from the leader: each member's partitions ("topic-partition"). */
  assignments: { memberId: string; partitions: string[] }[];
  id: number;
}
export interface SyncGroupResponse { type: 'SyncGroupResponse'; id: number; error: KafkaError; partitions: string[] }
export interface Heartbeat { type: 'Heartbeat'; groupId: string; generationId: number; memberId: string; groupInstanceId: string | null; id: number }
export interface HeartbeatResponse { type: 'HeartbeatResponse'; id: number; error: KafkaError }
export interface LeaveGroup { type: 'LeaveGroup'; groupId: string; memberId: string; id: number }
export interface LeaveGroupResponse { type: 'LeaveGroupResponse'; id: number; error: KafkaError }
export interface OffsetCommit {
  type: 'OffsetCommit';
  groupId: string;
  /** -1 with memberId '' for a commit outside group management (assign()). */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  offsets: { partition: string; offset: number }[];
  id: number;
}
export interface OffsetCommitResponse { type: 'OffsetCommitResponse'; id: number; error: KafkaError }
/**
 * ConsumerGroupHeartbeat (KIP-848, `group.protocol=consumer`): the one request of the new protocol.
 * v1 (Kafka 4.0): the member id is generated by the consumer and kept for its process's life.
 * MemberEpoch 0 joins, -1 leaves, -2 leaves as a static member that will come back; otherwise the
 * epoch the member has. SubscribedTopicNames, RebalanceTimeoutMs, ServerAssignor and InstanceId are
 * sent when joining (null afterwards: unchanged); TopicPartitions, the partitions the member owns,
 * when joining and when it has reconciled an assignment (null otherwise).
 */
export interface ConsumerGroupHeartbeat {
  type: 'ConsumerGroupHeartbeat';
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  serverAssignor: string | null;
  /** Owned partitions as "topic-partition"; null: unchanged since the last heartbeat. */
  topicPartitions: string[] | null;
  id: number;
}
export interface ConsumerGroupHeartbeatResponse {
  type: 'ConsumerGroupHeartbeatResponse';
  id: number;
  error: KafkaError;
  memberId: string;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  /** The member's assignment (its partitions, "topic-partition"); null when unchanged. */
  assignment: string[] | null;
}
export interface OffsetFetch {
  type: 'OffsetFetch';
  groupId: string;
  partitions: string[];
  id: number;
  /** KIP-447 (v7): answer UNSTABLE_OFFSET_COMMIT for a partition with a pending transactional offset (a read_committed consumer asks this). */
  requireStable?: boolean;
}
export interface OffsetFetchResponse { type: 'OffsetFetchResponse'; id: number; error: KafkaError; offsets: { partition: string; offset: number; error?: KafkaError }[] }

// ------------------------------------------------------------------ transactions (KIP-98, KIP-447)

export interface AddPartitionsToTxn {
  type: 'AddPartitionsToTxn';
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  /** "topic-partition" */
  partitions: string[];
  id: number;
  /** KIP-890 (v4, broker to coordinator): only verify that the partitions are in the ongoing transaction of this epoch. */
  verifyOnly?: true;
}
export interface AddPartitionsToTxnResponse { type: 'AddPartitionsToTxnResponse'; id: number; error: KafkaError }
export interface EndTxn {
  type: 'EndTxn';
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  /** commitTransaction (true) or abortTransaction (false). */
  committed: boolean;
  id: number;
}
export interface EndTxnResponse { type: 'EndTxnResponse'; id: number; error: KafkaError }
/** sendOffsetsToTransaction, first step: the transaction coordinator adds the group's __consumer_offsets partition to the transaction. */
export interface AddOffsetsToTxn {
  type: 'AddOffsetsToTxn';
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  groupId: string;
  id: number;
}
export interface AddOffsetsToTxnResponse { type: 'AddOffsetsToTxnResponse'; id: number; error: KafkaError }
/**
 * sendOffsetsToTransaction, second step, to the group coordinator: offsets written to
 * __consumer_offsets as part of the producer's transaction, visible once its COMMIT marker is
 * written there. KIP-447 (v3): the consumer's group metadata, so a zombie of an older generation
 * is fenced by the group coordinator.
 */
export interface TxnOffsetCommit {
  type: 'TxnOffsetCommit';
  transactionalId: string;
  groupId: string;
  producerId: number;
  producerEpoch: number;
  /** -1 and memberId '' without group metadata (the pre-KIP-447 sendOffsetsToTransaction(offsets, groupId)). */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  offsets: { partition: string; offset: number }[];
  id: number;
}
export interface TxnOffsetCommitResponse { type: 'TxnOffsetCommitResponse'; id: number; error: KafkaError }
/** From a transaction coordinator to a partition leader: append a COMMIT or ABORT control record for the producer. */
export interface WriteTxnMarkers {
  type: 'WriteTxnMarkers';
  producerId: number;
  producerEpoch: number;
  committed: boolean;
  /** The leader epoch of the coordinator's __transaction_state partition. */
  coordinatorEpoch: number;
  partitions: string[];
  id: number;
}
export interface WriteTxnMarkersResponse { type: 'WriteTxnMarkersResponse'; id: number; errors: { partition: string; error: KafkaError }[] }

// ------------------------------------------------------------------ admin

/**
 * CreatePartitions (the admin client's createPartitions, kafka-topics --alter --partitions): to the
 * controller, which refuses from any other broker with NOT_CONTROLLER. `assignments` are the new
 * partitions' replica lists (the request may carry them; the admin computes them here).
 */
export interface CreatePartitions { type: 'CreatePartitions'; topic: string; count: number; assignments: string[][]; id: number }
export interface CreatePartitionsResponse { type: 'CreatePartitionsResponse'; id: number; error: KafkaError; message?: string }
/** KIP-664 (kafka-transactions.sh describe-producers / find-hanging): a partition leader's active producers. */
export interface DescribeProducers { type: 'DescribeProducers'; topic: string; partition: number; id: number }
export interface DescribeProducersResponse {
  type: 'DescribeProducersResponse';
  id: number;
  error: KafkaError;
  /** currentTxnStartOffset -1: no transaction open on the partition. */
  producers: { producerId: number; producerEpoch: number; currentTxnStartOffset: number }[];
}

// ------------------------------------------------------------------ ZooKeeper

export interface ZkConnect { type: 'ZkConnect'; broker: string }
export interface ZkConnectResponse { type: 'ZkConnectResponse'; ok: boolean; session: number; error?: 'NODE_EXISTS' }
export interface ZkPing { type: 'ZkPing'; session: number }
export interface ZkPingResponse { type: 'ZkPingResponse'; session: number; expired: boolean }
export interface ZkCreateController { type: 'ZkCreateController'; session: number; broker: string }
export interface ZkCreateControllerResponse {
  type: 'ZkCreateControllerResponse';
  ok: boolean;
  controller: string | null;
  controllerEpoch: number;
  liveBrokers: string[];
  partitions: PartitionState[];
}
export interface ZkControllerChanged { type: 'ZkControllerChanged'; controller: string | null }
export interface ZkBrokersChanged { type: 'ZkBrokersChanged'; liveBrokers: string[] }
export interface ZkSetPartitions { type: 'ZkSetPartitions'; id: number; controllerEpoch: number; partitions: PartitionState[] }
export interface ZkSetPartitionsResponse { type: 'ZkSetPartitionsResponse'; id: number; ok: boolean }
export interface ZkAllocateProducerIds { type: 'ZkAllocateProducerIds'; broker: string }
/** A broker closing its ZooKeeper session on a clean exit: its ephemeral znodes go at once. */
export interface ZkCloseSession { type: 'ZkCloseSession'; session: number }
/** ZooKeeper mode: a stopping broker asks the controller to move its leaderships (KafkaController.doControlledShutdown). */
export interface ControlledShutdown { type: 'ControlledShutdown'; brokerId: string; id: number }
/** The partitions the broker still leads (none: it may exit). */
export interface ControlledShutdownResponse { type: 'ControlledShutdownResponse'; id: number; error: KafkaError; remainingPartitions: string[] }
export interface ZkAllocateProducerIdsResponse { type: 'ZkAllocateProducerIdsResponse'; first: number; count: number }

/** Every message of the model (so sends are type-checked against the protocol). */
export type KafkaMessage =
  | LeaderAndIsr | UpdateMetadata | ControlResponse | AlterPartition | AlterPartitionResponse
  | Fetch | FetchResponse | OffsetsForLeaderEpoch | OffsetsForLeaderEpochResponse | ListOffsets | ListOffsetsResponse
  | MetadataRequest | MetadataResponse | InitProducerId | InitProducerIdResponse | Produce | ProduceResponse
  | FindCoordinator | FindCoordinatorResponse | JoinGroup | JoinGroupResponse | SyncGroup | SyncGroupResponse
  | Heartbeat | HeartbeatResponse | LeaveGroup | LeaveGroupResponse | ConsumerGroupHeartbeat | ConsumerGroupHeartbeatResponse | OffsetCommit | OffsetCommitResponse | OffsetFetch | OffsetFetchResponse
  | ZkConnect | ZkConnectResponse | ZkPing | ZkPingResponse | ZkCreateController | ZkCreateControllerResponse
  | ZkControllerChanged | ZkBrokersChanged | ZkSetPartitions | ZkSetPartitionsResponse | ZkAllocateProducerIds | ZkAllocateProducerIdsResponse
  | ZkCloseSession | ControlledShutdown | ControlledShutdownResponse
  | CreatePartitions | CreatePartitionsResponse | DescribeProducers | DescribeProducersResponse
  | AddPartitionsToTxn | AddPartitionsToTxnResponse | EndTxn | EndTxnResponse
  | AddOffsetsToTxn | AddOffsetsToTxnResponse | TxnOffsetCommit | TxnOffsetCommitResponse
  | WriteTxnMarkers | WriteTxnMarkersResponse;

/** Every message of the model, ZooKeeper and KRaft modes, as one union discriminated by `type`. */
export type KafkaWireMessage = KafkaMessage | KraftMessage;

/** The messages that reach a broker node (kafka-server.ts dispatches each of them). */
export type BrokerInbound =
  // data plane
  | Produce | Fetch | MetadataFetch | FetchResponse | MetadataFetchResponse | OffsetsForLeaderEpoch | OffsetsForLeaderEpochResponse
  | ListOffsets | MetadataRequest | InitProducerId
  // ZooKeeper-mode controller and ZooKeeper
  | LeaderAndIsr | UpdateMetadata | ControlResponse | AlterPartition | AlterPartitionResponse
  | ZkConnectResponse | ZkPingResponse | ZkCreateControllerResponse | ZkControllerChanged | ZkBrokersChanged
  | ZkSetPartitionsResponse | ZkAllocateProducerIdsResponse | ControlledShutdown | ControlledShutdownResponse
  // KRaft: the broker's lifecycle, and a combined-mode broker's hosted voter
  | BrokerRegistrationResponse | BrokerHeartbeatResponse | AllocateProducerIdsResponse
  | Vote | VoteResponse | BeginQuorumEpoch | BeginQuorumEpochResponse | EndQuorumEpoch | EndQuorumEpochResponse
  | BrokerRegistration | BrokerHeartbeat | AllocateProducerIds
  // admin and consumer groups
  | CreatePartitions | CreatePartitionsResponse | DescribeProducers
  | FindCoordinator | JoinGroup | SyncGroup | Heartbeat | LeaveGroup | ConsumerGroupHeartbeat | OffsetCommit | OffsetFetch
  // transactions
  | AddPartitionsToTxn | AddPartitionsToTxnResponse | EndTxn | AddOffsetsToTxn | TxnOffsetCommit | WriteTxnMarkers | WriteTxnMarkersResponse;

/** Sends a protocol message through a node context. */
export function sendTo(ctx: { send(to: string, message: { type: string }, bytes?: number): void }, to: string, message: KafkaMessage, bytes = HEADER_BYTES): void {
  ctx.send(to, message, bytes);
}

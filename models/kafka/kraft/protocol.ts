import type { AlterPartition, CreatePartitions, PartitionState } from '../protocol.js';

/**
 * KRaft's messages as mqsim models them. The metadata quorum speaks KIP-595's four RPCs (Vote,
 * BeginQuorumEpoch, EndQuorumEpoch, and Fetch of the single-partition `__cluster_metadata`
 * topic); brokers speak KIP-631's BrokerRegistration and BrokerHeartbeat to the active
 * controller, AlterPartition and AllocateProducerIds as in ZooKeeper mode, and learn metadata by
 * fetching `__cluster_metadata` as observers (never LeaderAndIsr / UpdateMetadata).
 */

export const METADATA_TOPIC = '__cluster_metadata';

export type KraftError =
  | 'NONE'
  | 'FENCED_LEADER_EPOCH'
  | 'NOT_LEADER_OR_FOLLOWER'
  | 'NOT_CONTROLLER'
  | 'STALE_BROKER_EPOCH'
  | 'DUPLICATE_BROKER_REGISTRATION'
  | 'INVALID_REQUEST';

// ------------------------------------------------------------------ metadata records

/** RegisterBrokerRecord: a broker incarnation registered; its broker epoch is the record's offset. Fenced at first. */
export interface RegisterBrokerRecord { type: 'RegisterBrokerRecord'; broker: string; incarnation: number; brokerEpoch: number }
/** BrokerRegistrationChangeRecord with fenced=1 (FenceBrokerRecord in older versions) or 0 (UnfenceBrokerRecord). */
export interface BrokerRegistrationChangeRecord { type: 'BrokerRegistrationChangeRecord'; broker: string; brokerEpoch: number; fenced: boolean }
/** PartitionRecord (creation) and PartitionChangeRecord (leader / ISR change), carrying the whole new state. */
export interface PartitionRecord { type: 'PartitionRecord' | 'PartitionChangeRecord'; state: PartitionState }
export interface ProducerIdsRecord { type: 'ProducerIdsRecord'; broker: string; nextProducerId: number }
/** The control record a new leader appends at the start of its epoch (LeaderChangeMessage). */
export interface LeaderChangeMessage { type: 'LeaderChangeMessage'; leader: string; voters: string[] }

export type MetadataRecord = RegisterBrokerRecord | BrokerRegistrationChangeRecord | PartitionRecord | ProducerIdsRecord | LeaderChangeMessage;

/** One entry of the `__cluster_metadata` log: a record with its offset and the epoch of the leader that appended it. */
export interface MetadataEntry {
  offset: number;
  epoch: number;
  record: MetadataRecord;
}

// ------------------------------------------------------------------ KIP-595 Raft RPCs

export interface Vote {
  type: 'Vote';
  candidateEpoch: number;
  candidate: string;
  lastOffsetEpoch: number;
  /** The candidate's log end offset. */
  lastOffset: number;
}
export interface VoteResponse { type: 'VoteResponse'; error: KraftError; leaderEpoch: number; leader: string | null; voteGranted: boolean }
export interface BeginQuorumEpoch { type: 'BeginQuorumEpoch'; leaderEpoch: number; leader: string }
export interface BeginQuorumEpochResponse { type: 'BeginQuorumEpochResponse'; error: KraftError; leaderEpoch: number; leader: string | null }
export interface EndQuorumEpoch { type: 'EndQuorumEpoch'; leaderEpoch: number; leader: string; preferredSuccessors: string[] }
export interface EndQuorumEpochResponse { type: 'EndQuorumEpochResponse'; error: KraftError; leaderEpoch: number; leader: string | null }

/** Fetch of `__cluster_metadata` (partition 0), by a voter or by an observer (a broker). */
export interface MetadataFetch {
  type: 'Fetch';
  topic: typeof METADATA_TOPIC;
  replica: string;
  /** True for a voter (its fetch offset counts for the high watermark). */
  voter: boolean;
  fetchOffset: number;
  lastFetchedEpoch: number;
  currentLeaderEpoch: number;
  maxWait: number;
  id: number;
}
export interface MetadataFetchResponse {
  type: 'FetchResponse';
  topic: typeof METADATA_TOPIC;
  id: number;
  /** Echoes the request's: a voter's answer (for the controller) or an observer's (for the broker). */
  voter: boolean;
  error: KraftError;
  leaderEpoch: number;
  leader: string | null;
  highWatermark: number;
  /** Set when the fetcher's log diverges from the leader's: truncate to min(endOffset, own end of that epoch). */
  divergingEpoch: { epoch: number; endOffset: number } | null;
  entries: MetadataEntry[];
}

// ------------------------------------------------------------------ KIP-631 broker lifecycle

export interface BrokerRegistration { type: 'BrokerRegistration'; broker: string; incarnation: number; id: number }
export interface BrokerRegistrationResponse { type: 'BrokerRegistrationResponse'; id: number; error: KraftError; brokerEpoch: number; leader: string | null }
export interface BrokerHeartbeat {
  type: 'BrokerHeartbeat';
  broker: string;
  brokerEpoch: number;
  currentMetadataOffset: number;
  wantFence: boolean;
  id: number;
}
export interface BrokerHeartbeatResponse {
  type: 'BrokerHeartbeatResponse';
  id: number;
  error: KraftError;
  isCaughtUp: boolean;
  isFenced: boolean;
  leader: string | null;
}
export interface AllocateProducerIds { type: 'AllocateProducerIds'; broker: string; brokerEpoch: number }
export interface AllocateProducerIdsResponse { type: 'AllocateProducerIdsResponse'; error: KraftError; first: number; count: number }

export type KraftMessage =
  | Vote | VoteResponse | BeginQuorumEpoch | BeginQuorumEpochResponse | EndQuorumEpoch | EndQuorumEpochResponse
  | MetadataFetch | MetadataFetchResponse | BrokerRegistration | BrokerRegistrationResponse | BrokerHeartbeat | BrokerHeartbeatResponse
  | AllocateProducerIds | AllocateProducerIdsResponse;

/** The messages that reach a KRaft controller node. */
export type ControllerInbound =
  | Vote | VoteResponse | BeginQuorumEpoch | BeginQuorumEpochResponse | EndQuorumEpoch | EndQuorumEpochResponse
  | MetadataFetch | MetadataFetchResponse
  | BrokerRegistration | BrokerHeartbeat | AlterPartition | AllocateProducerIds | CreatePartitions;

/** A Fetch of `__cluster_metadata` (the quorum's) rather than of a data partition. */
export function isMetadataFetch(message: { type: 'Fetch'; topic: string }): message is MetadataFetch {
  return message.topic === METADATA_TOPIC;
}

/** A FetchResponse from the metadata quorum rather than from a partition leader. */
export function isMetadataFetchResponse(message: { type: 'FetchResponse'; topic: string }): message is MetadataFetchResponse {
  return message.topic === METADATA_TOPIC;
}

export const KRAFT_HEADER_BYTES = 64;

export function sendKraft(ctx: { send(to: string, message: { type: string }, bytes?: number): void }, to: string, message: KraftMessage, bytes = KRAFT_HEADER_BYTES): void {
  ctx.send(to, message, bytes);
}

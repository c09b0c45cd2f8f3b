import type { Micros } from '../../sim/time.js';

/**
 * RocketMQ's remoting protocol as the model speaks it: a request carries its RequestCode name as
 * `type` (SEND_MESSAGE, PULL_MESSAGE, ...) and an `opaque` request id; the answer is a RESPONSE
 * with the same opaque and a ResponseCode (`code`: SUCCESS, FLUSH_DISK_TIMEOUT, PULL_NOT_FOUND...).
 * One-way requests (UPDATE_CONSUMER_OFFSET from persistAll, NOTIFY_CONSUMER_IDS_CHANGED) get no
 * response. The master-slave replication (HAService) is not remoting in RocketMQ either: it is
 * its own socket protocol, shown here as HA_TRANSFER (data) and HA_REPORT_OFFSET (slave's ack);
 * DLedger's Raft RPCs are DLEDGER_VOTE / DLEDGER_APPEND and their acks.
 *
 * Every message a RocketMQ node sends is one member of `RocketMessage` below; each actor's
 * `receive` takes the union of what it can be sent and switches over `type` exhaustively.
 * The client side (invoke, oneway, timeouts) is remoting.ts.
 */

export const SCHEDULE_TOPIC = 'SCHEDULE_TOPIC_XXXX';
export const TRANS_HALF_TOPIC = 'RMQ_SYS_TRANS_HALF_TOPIC';
export const TRANS_OP_HALF_TOPIC = 'RMQ_SYS_TRANS_OP_HALF_TOPIC';
export const RETRY_PREFIX = '%RETRY%';
export const DLQ_PREFIX = '%DLQ%';
export const HEADER_BYTES = 96;

/** The queue name used in the history and in the trace: `${brokerName}:${topic}:${queueId}`. */
export function queueName(brokerName: string, topic: string, queueId: number): string {
  return `${brokerName}:${topic}:${queueId}`;
}

/** A stored message (one commit log record); immutable once written, so replicas share it. */
export interface StoredMessage {
  /** Physical offset in the commit log, and size in bytes. */
  readonly phy: number;
  readonly size: number;
  readonly topic: string;
  readonly queueId: number;
  /** Position in its consume queue, assigned by the commit log at append. */
  readonly queueOffset: number;
  /** The producer's message id (`${producer}-${seq}`), kept through retries (ORIGIN_MESSAGE_ID). */
  readonly msg: string;
  readonly key: string | undefined;
  readonly tags: string | undefined;
  /** ConsumeQueue tag code: the tag's hash; for SCHEDULE_TOPIC_XXXX the delivery time. */
  readonly tagsCode: number;
  readonly body: number;
  readonly bornTime: Micros;
  readonly storeTime: Micros;
  readonly reconsumeTimes: number;
  /** Set on SCHEDULE_TOPIC_XXXX entries: where the message goes when due. */
  readonly realTopic?: string;
  readonly realQueueId?: number;
  readonly delayLevel?: number;
  /** Original topic of a retry message (RETRY_TOPIC property). */
  readonly retryTopic?: string;
  /** Half messages: the producer group checked back, and how many checks so far (TRANSACTION_CHECK_TIMES). */
  readonly producerGroup?: string;
  readonly checkTimes?: number;
  /** DLedger: the term of the leader that appended it. */
  readonly term?: number;
  /** True for the commit log's end-of-file filler (BLANK_MAGIC_CODE). */
  readonly blank?: boolean;
}

export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  /** PermName: 6 read+write, 2 write only (DLQ), 4 read only. */
  perm: number;
}

export interface BrokerData {
  brokerName: string;
  /** brokerId -> address (node name). */
  brokerAddrs: Record<number, string>;
}

export interface TopicRouteData {
  queueDatas: QueueData[];
  brokerDatas: BrokerData[];
}

export const PERM_READ = 4;
export const PERM_WRITE = 2;

export interface PulledMessage {
  readonly msg: string;
  readonly key: string | undefined;
  readonly tags: string | undefined;
  readonly topic: string;
  readonly queueOffset: number;
  readonly phy: number;
  readonly reconsumeTimes: number;
  readonly retryTopic?: string | undefined;
  readonly body: number;
}


// ------------------------------------------------------------------ response codes

/** ResponseCode names the model answers with. */
export type ResponseCode =
  | 'SUCCESS' | 'SYSTEM_ERROR' | 'SYSTEM_BUSY' | 'SERVICE_NOT_AVAILABLE' | 'TOPIC_NOT_EXIST' | 'NO_PERMISSION'
  | 'FLUSH_DISK_TIMEOUT' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE'
  | 'PULL_NOT_FOUND' | 'PULL_RETRY_IMMEDIATELY' | 'PULL_OFFSET_MOVED'
  | 'NO_BUYER_ID' | 'NOT_IN_CURRENT_UNIT';

/** What a put into the commit log ends with (SEND_MESSAGE's answer codes). */
export type PutCode = 'SUCCESS' | 'FLUSH_DISK_TIMEOUT' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE' | 'SERVICE_NOT_AVAILABLE';

/** LocalTransactionState as END_TRANSACTION and CHECK_TRANSACTION_STATE carry it. */
export type TransactionState = 'COMMIT_MESSAGE' | 'ROLLBACK_MESSAGE' | 'UNKNOW';

/** A message queue as LOCK_BATCH_MQ names it. */
export interface MqRef {
  topic: string;
  queueId: number;
}

// ------------------------------------------------------------------ remoting requests

interface RequestHeader {
  /** The request id; 0 for a one-way request (no response). */
  opaque: number;
}

/** SEND_MESSAGE (producer -> master). */
export interface SendMessageRequest extends RequestHeader {
  readonly type: 'SEND_MESSAGE';
  producerGroup: string;
  topic: string;
  queueId: number;
  msg: string;
  key: string | undefined;
  tags: string | undefined;
  body: number;
  bornTime: Micros;
  delayLevel: number;
  /** TRAN_MSG: a half message of a transaction. */
  transactional?: boolean;
}

/** PULL_MESSAGE (consumer -> master, or a slave when the master is gone). */
export interface PullMessageRequest extends RequestHeader {
  readonly type: 'PULL_MESSAGE';
  group: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  maxMsgNums: number;
  /** Subscribed tag hash codes; null for '*'. */
  tagsCodes: number[] | null;
  suspendTimeoutMillis: Micros;
  /** The consumer's offset for the queue, committed on the way (-1: none). */
  commitOffset: number;
}

export interface ConsumerData {
  group: string;
  messageModel: 'CLUSTERING' | 'BROADCASTING';
  topics: string[];
}

/** HEART_BEAT (client -> every broker): consumer groups, and the producer group of a producer. */
export interface HeartbeatRequest extends RequestHeader {
  readonly type: 'HEART_BEAT';
  clientId: string;
  consumerDatas: ConsumerData[];
  producerGroup?: string;
}

/** UNREGISTER_CLIENT (consumer shutdown -> every broker, one-way). */
export interface UnregisterClientRequest extends RequestHeader {
  readonly type: 'UNREGISTER_CLIENT';
  clientId: string;
  group: string;
}

/** GET_CONSUMER_LIST_BY_GROUP (rebalance's findConsumerIdList). */
export interface GetConsumerListByGroupRequest extends RequestHeader {
  readonly type: 'GET_CONSUMER_LIST_BY_GROUP';
  group: string;
}

/** GET_MIN_OFFSET / GET_MAX_OFFSET: a consume queue's first and next offset (lite pull seek). */
export interface QueueOffsetRequest extends RequestHeader {
  readonly type: 'GET_MIN_OFFSET' | 'GET_MAX_OFFSET';
  topic: string;
  queueId: number;
}

/** QUERY_CONSUMER_OFFSET: a group's committed offset of a queue. */
export interface QueryConsumerOffsetRequest extends RequestHeader {
  readonly type: 'QUERY_CONSUMER_OFFSET';
  group: string;
  topic: string;
  queueId: number;
}

/** UPDATE_CONSUMER_OFFSET (persistAll, one-way). */
export interface UpdateConsumerOffsetRequest extends RequestHeader {
  readonly type: 'UPDATE_CONSUMER_OFFSET';
  group: string;
  topic: string;
  queueId: number;
  offset: number;
}

/** GET_ALL_CONSUMER_OFFSET (SlaveSynchronize: a slave -> its master). */
export interface GetAllConsumerOffsetRequest extends RequestHeader {
  readonly type: 'GET_ALL_CONSUMER_OFFSET';
}

/** CONSUMER_SEND_MSG_BACK: a failed message goes to %RETRY%<group> (or %DLQ%<group>). */
export interface ConsumerSendMsgBackRequest extends RequestHeader {
  readonly type: 'CONSUMER_SEND_MSG_BACK';
  group: string;
  /** The commit log offset of the message consumed. */
  phy: number;
  originMsgId: string;
  maxReconsumeTimes: number;
  /** 0: the broker picks 3 + reconsumeTimes; < 0: straight to the DLQ. */
  delayLevel: number;
}

/** END_TRANSACTION (producer -> master, one-way): the local transaction's outcome. */
export interface EndTransactionRequest extends RequestHeader {
  readonly type: 'END_TRANSACTION';
  producerGroup: string;
  msg: string;
  /** Physical offset of the half message. */
  phy: number;
  commitOrRollback: TransactionState;
  fromTransactionCheck: boolean;
}

/** LOCK_BATCH_MQ / UNLOCK_BATCH_MQ (orderly consumers -> masters). */
export interface LockBatchRequest extends RequestHeader {
  readonly type: 'LOCK_BATCH_MQ' | 'UNLOCK_BATCH_MQ';
  group: string;
  clientId: string;
  mqs: MqRef[];
}

/** REGISTER_BROKER (broker -> every NameServer, one-way here): its topics' configs. */
export interface RegisterBrokerRequest extends RequestHeader {
  readonly type: 'REGISTER_BROKER';
  clusterName: string;
  brokerName: string;
  brokerId: number;
  brokerAddr: string;
  topics: Record<string, { readQueueNums: number; writeQueueNums: number; perm: number }>;
}

/** UNREGISTER_BROKER (a broker shutting down -> NameServer). */
export interface UnregisterBrokerRequest extends RequestHeader {
  readonly type: 'UNREGISTER_BROKER';
  brokerAddr: string;
}

/** GET_ROUTEINFO_BY_TOPIC (client -> NameServer). */
export interface GetRouteInfoByTopicRequest extends RequestHeader {
  readonly type: 'GET_ROUTEINFO_BY_TOPIC';
  topic: string;
}

/** CHECK_TRANSACTION_STATE (broker -> a producer of the group, one-way): the check-back. */
export interface CheckTransactionStateRequest extends RequestHeader {
  readonly type: 'CHECK_TRANSACTION_STATE';
  msg: string;
  /** Physical offset of the (renewed) half message. */
  phy: number;
  producerGroup: string | undefined;
  brokerName: string;
}

/** NOTIFY_CONSUMER_IDS_CHANGED (broker -> each consumer of the group, one-way). */
export interface NotifyConsumerIdsChangedRequest extends RequestHeader {
  readonly type: 'NOTIFY_CONSUMER_IDS_CHANGED';
  group: string;
}

/** Every remoting request, by RequestCode. */
export type RemotingRequest =
  | SendMessageRequest | PullMessageRequest | HeartbeatRequest | UnregisterClientRequest | GetConsumerListByGroupRequest
  | QueueOffsetRequest | QueryConsumerOffsetRequest | UpdateConsumerOffsetRequest | GetAllConsumerOffsetRequest
  | ConsumerSendMsgBackRequest | EndTransactionRequest | LockBatchRequest | RegisterBrokerRequest | UnregisterBrokerRequest
  | GetRouteInfoByTopicRequest | CheckTransactionStateRequest | NotifyConsumerIdsChangedRequest;

export type RequestCode = RemotingRequest['type'];

/** The request of a code (LOCK_BATCH_MQ and UNLOCK_BATCH_MQ share one shape, as do GET_MIN_OFFSET and GET_MAX_OFFSET). */
export type RequestOf<C extends RequestCode> = RemotingRequest extends infer R ? (R extends { readonly type: infer T } ? (C extends T ? R : never) : never) : never;

/** What a caller fills in (remoting sets type and opaque; a literal may carry them already for one object shape). */
export type RequestBody<C extends RequestCode> = Omit<RequestOf<C>, 'type' | 'opaque'> & { type?: C; opaque?: number };

// ------------------------------------------------------------------ remoting responses

/** The fields of the RESPONSE to each request code (present when the code is SUCCESS unless noted). */
export interface ResponseFields {
  SEND_MESSAGE: { brokerName?: string; queueId?: number; queueOffset?: number; delayed?: boolean; phy?: number };
  /** Every code but SUCCESS has no messages; nextBeginOffset / minOffset / maxOffset come with every pull answer. */
  PULL_MESSAGE: { nextBeginOffset?: number; minOffset?: number; maxOffset?: number; brokerId?: number; messages?: readonly PulledMessage[] };
  HEART_BEAT: object;
  UNREGISTER_CLIENT: object;
  GET_CONSUMER_LIST_BY_GROUP: { consumerIdList?: string[] };
  GET_MIN_OFFSET: { offset?: number };
  GET_MAX_OFFSET: { offset?: number };
  QUERY_CONSUMER_OFFSET: { offset?: number };
  UPDATE_CONSUMER_OFFSET: object;
  GET_ALL_CONSUMER_OFFSET: { offsets?: [string, number][]; delayOffsets?: number[] };
  CONSUMER_SEND_MSG_BACK: object;
  END_TRANSACTION: object;
  LOCK_BATCH_MQ: { lockOKMQSet?: MqRef[] };
  UNLOCK_BATCH_MQ: object;
  REGISTER_BROKER: object;
  UNREGISTER_BROKER: object;
  GET_ROUTEINFO_BY_TOPIC: { route?: TopicRouteData };
  CHECK_TRANSACTION_STATE: object;
  NOTIFY_CONSUMER_IDS_CHANGED: object;
}

interface ResponseHeader {
  readonly type: 'RESPONSE';
  readonly opaque: number;
  readonly code: ResponseCode;
  readonly remark?: string;
}

/** The RESPONSE to a request of code C. */
export type ResponseTo<C extends RequestCode> = ResponseHeader & Readonly<ResponseFields[C]>;

/** A RESPONSE on the wire: it names no request code (the caller finds its request by opaque). */
export type RemotingResponse = ResponseHeader & { readonly [field: string]: unknown };

/** What a responder fills in (respond sets type, opaque and code; a literal may carry them already). */
export type ResponseBody<C extends RequestCode> = ResponseFields[C] & { type?: 'RESPONSE'; opaque?: number; code?: ResponseCode; remark?: string };

// ------------------------------------------------------------------ HA and DLedger (not remoting)

/** HAClient -> HAService: the slave's commit log end (its ack and its pull position). */
export interface HaReportOffset {
  readonly type: 'HA_REPORT_OFFSET';
  offset: number;
  /** The slave's connection: a new one after a mismatch. */
  session: number;
}

/** HAConnection's WriteSocketService -> slave: commit log records from `from` on. */
export interface HaTransfer {
  readonly type: 'HA_TRANSFER';
  from: number;
  records: StoredMessage[];
}

/** DLedger leader -> follower: entries after (prevPhy, prevTerm), or a bare heartbeat. */
export interface DledgerAppend {
  readonly type: 'DLEDGER_APPEND';
  term: number;
  prevPhy: number;
  prevTerm: number;
  records: StoredMessage[];
  commitPhy: number;
}

export interface DledgerAppendAck {
  readonly type: 'DLEDGER_APPEND_ACK';
  term: number;
  ok: boolean;
  maxPhy: number;
  /** The append carried entries (not a bare heartbeat). */
  data?: boolean;
}

export interface DledgerVote {
  readonly type: 'DLEDGER_VOTE';
  term: number;
  lastPhy: number;
  lastTerm: number;
}

export interface DledgerVoteAck {
  readonly type: 'DLEDGER_VOTE_ACK';
  term: number;
  granted: boolean;
}

// ------------------------------------------------------------------ what each actor receives

/** Everything a broker can be sent. */
export type BrokerInbound =
  | SendMessageRequest | PullMessageRequest | HeartbeatRequest | UnregisterClientRequest | GetConsumerListByGroupRequest
  | QueueOffsetRequest | QueryConsumerOffsetRequest | UpdateConsumerOffsetRequest | GetAllConsumerOffsetRequest
  | ConsumerSendMsgBackRequest | EndTransactionRequest | LockBatchRequest
  | HaReportOffset | HaTransfer | DledgerAppend | DledgerAppendAck | DledgerVote | DledgerVoteAck
  /** The only answer a broker gets: to SlaveSynchronize's GET_ALL_CONSUMER_OFFSET. */
  | ResponseTo<'GET_ALL_CONSUMER_OFFSET'>;

/** Everything a NameServer can be sent. */
export type NamesrvInbound = RegisterBrokerRequest | UnregisterBrokerRequest | GetRouteInfoByTopicRequest;

/** Everything a producer can be sent. */
export type ProducerInbound = RemotingResponse | CheckTransactionStateRequest;

/** Everything a consumer can be sent. */
export type ConsumerInbound = RemotingResponse | NotifyConsumerIdsChangedRequest;

/** Every message of the RocketMQ model. */
export type RocketMessage = BrokerInbound | NamesrvInbound | ProducerInbound | ConsumerInbound;

import type { Timer } from '../../sim/kernel.js';
import type { Message, NodeContext } from '../../sim/node.js';
import type { Micros } from '../../sim/time.js';

/**
 * RocketMQ's remoting protocol as the model speaks it: a request carries its RequestCode name as
 * `type` (SEND_MESSAGE, PULL_MESSAGE, ...) and an `opaque` request id; the answer is a RESPONSE
 * with the same opaque and a ResponseCode (`code`: SUCCESS, FLUSH_DISK_TIMEOUT, PULL_NOT_FOUND...).
 * One-way requests (UPDATE_CONSUMER_OFFSET from persistAll, NOTIFY_CONSUMER_IDS_CHANGED) get no
 * response. The master-slave replication (HAService) is not remoting in RocketMQ either: it is
 * its own socket protocol, shown here as HA_TRANSFER (data) and HA_REPORT_OFFSET (slave's ack).
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

export interface Request extends Message {
  readonly opaque: number;
}

export interface Response extends Message {
  readonly type: 'RESPONSE';
  readonly opaque: number;
  readonly code: string;
  readonly remark?: string;
  readonly [field: string]: unknown;
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
  readonly retryTopic: string | undefined;
  readonly body: number;
}

type Pending = { onResponse: (response: Response | null) => void; timer: Timer };

/**
 * The client side of remoting (NettyRemotingAbstract's responseTable): invokeAsync with a timeout,
 * invokeOneway. A timed-out request calls back with null; a late response is dropped.
 */
export class Remoting {
  private nextOpaque = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly ctx: NodeContext) {}

  invoke<M extends Record<string, unknown>>(to: string, type: string, body: M, bytes: number, timeout: Micros, onResponse: (response: Response | null) => void): void {
    const opaque = this.nextOpaque++;
    const timer = this.ctx.setTimer(Math.max(1, timeout), 'rpc-timeout', opaque);
    this.pending.set(opaque, { onResponse, timer });
    this.ctx.send(to, { type, opaque, ...body } as Request, bytes);
  }

  oneway<M extends Record<string, unknown>>(to: string, type: string, body: M, bytes = HEADER_BYTES): void {
    this.ctx.send(to, { type, opaque: 0, ...body } as Request, bytes);
  }

  /** Returns true when the message was a response (handled or stale). */
  handle(message: Message): boolean {
    if (message.type !== 'RESPONSE') return false;
    const response = message as Response;
    const pending = this.pending.get(response.opaque);
    if (pending) {
      this.pending.delete(response.opaque);
      this.ctx.cancelTimer(pending.timer);
      pending.onResponse(response);
    }
    return true;
  }

  /** Returns true when the timer was a request timeout. */
  timer(tag: string, data: unknown): boolean {
    if (tag !== 'rpc-timeout') return false;
    const pending = this.pending.get(data as number);
    if (pending) {
      this.pending.delete(data as number);
      pending.onResponse(null);
    }
    return true;
  }
}

/** Sends a RESPONSE to a request. */
export function respond(ctx: NodeContext, to: string, request: Request, code: string, body: Record<string, unknown> = {}, bytes = HEADER_BYTES): void {
  if (request.opaque === 0) return; // one-way
  ctx.send(to, { type: 'RESPONSE', opaque: request.opaque, code, ...body } as Response, bytes);
}

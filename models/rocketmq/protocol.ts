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
  readonly retryTopic?: string | undefined;
  readonly body: number;
}

/** What a request's answer (or null: timed out) is handed to, with the argument given at invoke. */
export type ResponseHandler<A> = (arg: A, response: Response | null) => void;

interface Pending {
  opaque: number;
  handler: ResponseHandler<unknown>;
  arg: unknown;
  timer: Timer;
}

const callClosure: ResponseHandler<(response: Response | null) => void> = (onResponse, response) => onResponse(response);

/**
 * The client side of remoting (NettyRemotingAbstract's responseTable): invokeAsync with a timeout,
 * invokeOneway. A timed-out request calls back with null; a late response is dropped.
 *
 * The body object passed to invoke / oneway becomes the request (its `type` and `opaque` are set
 * on it, not copied): pass a fresh object each time. Requests in flight are kept in a table
 * indexed by opaque modulo its size (opaques are handed out in order, so slots free up in order),
 * which grows when a slot is still taken.
 */
export class Remoting {
  private nextOpaque = 1;
  private slots: (Pending | undefined)[] = new Array<Pending | undefined>(16).fill(undefined);
  private mask = 15;

  constructor(private readonly ctx: NodeContext) {}

  invoke<M extends object>(to: string, type: string, body: M, bytes: number, timeout: Micros, onResponse: (response: Response | null) => void): void {
    this.invokeWith(to, type, body, bytes, timeout, callClosure, onResponse);
  }

  /** invoke with a handler and an argument instead of a closure (the per-message paths). */
  invokeWith<M extends object, A>(to: string, type: string, body: M, bytes: number, timeout: Micros, handler: ResponseHandler<A>, arg: A): void {
    const opaque = this.nextOpaque++;
    const timer = this.ctx.setTimer(Math.max(1, timeout), 'rpc-timeout', opaque);
    this.store({ opaque, handler: handler as ResponseHandler<unknown>, arg, timer });
    const request = body as M & { type: string; opaque: number };
    request.type = type;
    request.opaque = opaque;
    this.ctx.send(to, request as unknown as Request, bytes);
  }

  oneway<M extends object>(to: string, type: string, body: M, bytes = HEADER_BYTES): void {
    const request = body as M & { type: string; opaque: number };
    request.type = type;
    request.opaque = 0;
    this.ctx.send(to, request as unknown as Request, bytes);
  }

  private store(pending: Pending): void {
    let slot = pending.opaque & this.mask;
    if (this.slots[slot] !== undefined) {
      // An older request still waits in this slot: double the table until every request has its own.
      const old = this.slots;
      let size = old.length;
      for (;;) {
        size *= 2;
        const slots = new Array<Pending | undefined>(size).fill(undefined);
        const mask = size - 1;
        let clash = slots[pending.opaque & mask] !== undefined;
        for (const p of old) {
          if (p === undefined) continue;
          if (slots[p.opaque & mask] !== undefined || (p.opaque & mask) === (pending.opaque & mask)) clash = true;
          slots[p.opaque & mask] = p;
        }
        if (clash) continue;
        this.slots = slots;
        this.mask = mask;
        break;
      }
      slot = pending.opaque & this.mask;
    }
    this.slots[slot] = pending;
  }

  private take(opaque: number): Pending | undefined {
    const slot = opaque & this.mask;
    const pending = this.slots[slot];
    if (pending === undefined || pending.opaque !== opaque) return undefined;
    this.slots[slot] = undefined;
    return pending;
  }

  /** Returns true when the message was a response (handled or stale). */
  handle(message: Message): boolean {
    if (message.type !== 'RESPONSE') return false;
    const response = message as Response;
    const pending = this.take(response.opaque);
    if (pending) {
      this.ctx.cancelTimer(pending.timer);
      pending.handler(pending.arg, response);
    }
    return true;
  }

  /** Returns true when the timer was a request timeout. */
  timer(tag: string, data: unknown): boolean {
    if (tag !== 'rpc-timeout') return false;
    const pending = this.take(data as number);
    if (pending) pending.handler(pending.arg, null);
    return true;
  }
}

/** Sends a RESPONSE to a request. The body object becomes the response: pass a fresh object. */
export function respond(ctx: NodeContext, to: string, request: Request, code: string, body?: Record<string, unknown>, bytes = HEADER_BYTES): void {
  if (request.opaque === 0) return; // one-way
  const response = (body ?? {}) as Record<string, unknown>;
  response['type'] = 'RESPONSE';
  response['opaque'] = request.opaque;
  response['code'] = code;
  ctx.send(to, response as unknown as Response, bytes);
}

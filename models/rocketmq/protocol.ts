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
  /**
   * Requests in flight, as parallel arrays indexed by opaque & mask (0 in `opaques`: a free slot):
   * no object per request besides its timer.
   */
  private opaques: number[] = new Array<number>(16).fill(0);
  private handlers: (ResponseHandler<unknown> | undefined)[] = new Array<ResponseHandler<unknown> | undefined>(16).fill(undefined);
  private args: unknown[] = new Array<unknown>(16).fill(undefined);
  private timers: (Timer | undefined)[] = new Array<Timer | undefined>(16).fill(undefined);
  private mask = 15;

  constructor(private readonly ctx: NodeContext) {}

  invoke<M extends object>(to: string, type: string, body: M, bytes: number, timeout: Micros, onResponse: (response: Response | null) => void): void {
    this.invokeWith(to, type, body, bytes, timeout, callClosure, onResponse);
  }

  /** invoke with a handler and an argument instead of a closure (the per-message paths). */
  invokeWith<M extends object, A>(to: string, type: string, body: M, bytes: number, timeout: Micros, handler: ResponseHandler<A>, arg: A): void {
    const opaque = this.nextOpaque++;
    const timer = this.ctx.setTimer(Math.max(1, timeout), 'rpc-timeout', opaque);
    let slot = opaque & this.mask;
    if (this.opaques[slot] !== 0) slot = this.grow(opaque);
    this.opaques[slot] = opaque;
    this.handlers[slot] = handler as ResponseHandler<unknown>;
    this.args[slot] = arg;
    this.timers[slot] = timer;
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

  /** An older request still waits in the new one's slot: doubles the table until every request has its own. Returns the new one's slot. */
  private grow(opaque: number): number {
    const old = this.opaques;
    let size = old.length;
    for (;;) {
      size *= 2;
      const mask = size - 1;
      const taken = new Uint8Array(size);
      let clash = false;
      taken[opaque & mask] = 1;
      for (const o of old) {
        if (o === 0) continue;
        if (taken[o & mask] === 1) {
          clash = true;
          break;
        }
        taken[o & mask] = 1;
      }
      if (clash) continue;
      const opaques = new Array<number>(size).fill(0);
      const handlers = new Array<ResponseHandler<unknown> | undefined>(size).fill(undefined);
      const args = new Array<unknown>(size).fill(undefined);
      const timers = new Array<Timer | undefined>(size).fill(undefined);
      for (let i = 0; i < old.length; i++) {
        const o = old[i]!;
        if (o === 0) continue;
        const at = o & mask;
        opaques[at] = o;
        handlers[at] = this.handlers[i];
        args[at] = this.args[i];
        timers[at] = this.timers[i];
      }
      this.opaques = opaques;
      this.handlers = handlers;
      this.args = args;
      this.timers = timers;
      this.mask = mask;
      return opaque & mask;
    }
  }

  /** Takes the request `opaque` out of the table: its slot, or -1 when it is not in flight (answered or timed out). */
  private take(opaque: number): number {
    const slot = opaque & this.mask;
    if (this.opaques[slot] !== opaque) return -1;
    this.opaques[slot] = 0;
    return slot;
  }

  /** Calls the handler of the request in `slot` (just taken) and frees the slot's references. */
  private complete(slot: number, response: Response | null): void {
    const handler = this.handlers[slot]!;
    const arg = this.args[slot];
    this.handlers[slot] = undefined;
    this.args[slot] = undefined;
    this.timers[slot] = undefined;
    handler(arg, response);
  }

  /** Returns true when the message was a response (handled or stale). */
  handle(message: Message): boolean {
    if (message.type !== 'RESPONSE') return false;
    const response = message as Response;
    const slot = this.take(response.opaque);
    if (slot >= 0) {
      this.ctx.cancelTimer(this.timers[slot]!);
      this.complete(slot, response);
    }
    return true;
  }

  /** Returns true when the timer was a request timeout. */
  timer(tag: string, data: unknown): boolean {
    if (tag !== 'rpc-timeout') return false;
    const slot = this.take(data as number);
    if (slot >= 0) this.complete(slot, null);
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

import type { Micros } from '../../sim/time.js';
import type { HeaderValue } from './schema.js';

/**
 * AMQP 0-9-1 methods as the model's actors exchange them. Every frame names its connection
 * (`conn`, unique per TCP connection) and channel. Field names follow the spec (delivery-tag,
 * multiple, requeue, reply-code) in camelCase. Two frames are not methods: `heartbeat` (the
 * heartbeat frame) and `tcp.rst` (what a restarted broker's TCP stack answers to a segment of a
 * connection it does not know).
 */

/** One x-death entry, as RabbitMQ adds them to the headers of a dead-lettered message. */
export interface XDeath {
  queue: string;
  reason: 'rejected' | 'expired' | 'maxlen' | 'delivery_limit';
  count: number;
  exchange: string;
  'routing-keys': string[];
  time: Micros;
  'original-expiration'?: Micros;
}

/** Content header properties and body size of a message. */
export interface Properties {
  /** delivery-mode: 1 transient, 2 persistent. */
  deliveryMode: 1 | 2;
  priority?: number;
  /** Per-message TTL (the expiration property, ms on the wire; microseconds here). */
  expiration?: Micros;
  /** message-id: the history's message id. */
  messageId: string;
  /** correlation-id: the message an answer refers to (set by the delayed-confirmation pattern). */
  correlationId?: string;
  /** type: the application's message type name (set by the delayed-confirmation pattern). */
  type?: string;
  timestamp: Micros;
  headers?: Record<string, HeaderValue>;
  /** The x-death header (kept apart from the scalar headers). */
  xDeath?: XDeath[];
}

export interface Content {
  properties: Properties;
  /** The workload key the producer used (the application's payload field, for order checks). */
  key: string | undefined;
  bytes: number;
}

interface Frame {
  readonly conn: string;
}
interface ChannelFrame extends Frame {
  readonly channel: number;
}

/** connection.open, with the user of the preceding connection.start-ok folded in. */
export interface ConnectionOpen extends Frame { readonly type: 'connection.open'; readonly vhost: string; readonly user: string; readonly heartbeat: Micros }
export interface ConnectionClose extends Frame { readonly type: 'connection.close'; readonly replyCode: number; readonly replyText: string }
export interface ConnectionOpenOk extends Frame { readonly type: 'connection.open-ok'; readonly heartbeat: Micros }
export interface ChannelOpen extends ChannelFrame { readonly type: 'channel.open' }
export interface ChannelOpenOk extends ChannelFrame { readonly type: 'channel.open-ok' }
export interface ChannelClose extends ChannelFrame { readonly type: 'channel.close'; readonly replyCode: number; readonly replyText: string }
export interface ConfirmSelect extends ChannelFrame { readonly type: 'confirm.select' }
export interface ConfirmSelectOk extends ChannelFrame { readonly type: 'confirm.select-ok' }
export interface BasicQos extends ChannelFrame { readonly type: 'basic.qos'; readonly prefetchCount: number }
export interface BasicQosOk extends ChannelFrame { readonly type: 'basic.qos-ok' }
export interface BasicConsume extends ChannelFrame {
  readonly type: 'basic.consume';
  readonly queue: string;
  readonly consumerTag: string;
  readonly noAck: boolean;
  /** Request exclusive access: refused (403) if the queue has other consumers; others are refused while it lasts. */
  readonly exclusive?: boolean;
}
export interface BasicConsumeOk extends ChannelFrame { readonly type: 'basic.consume-ok'; readonly consumerTag: string }
export interface BasicCancel extends ChannelFrame { readonly type: 'basic.cancel'; readonly consumerTag: string }
export interface BasicCancelOk extends ChannelFrame { readonly type: 'basic.cancel-ok'; readonly consumerTag: string }
export interface BasicPublish extends ChannelFrame {
  readonly type: 'basic.publish';
  readonly exchange: string;
  readonly routingKey: string;
  readonly mandatory: boolean;
  readonly content: Content;
}
export interface BasicReturn extends ChannelFrame {
  readonly type: 'basic.return';
  readonly replyCode: number;
  readonly replyText: string;
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Content;
}
export interface BasicDeliver extends ChannelFrame {
  readonly type: 'basic.deliver';
  readonly consumerTag: string;
  readonly deliveryTag: number;
  readonly redelivered: boolean;
  readonly exchange: string;
  readonly routingKey: string;
  /** Not an AMQP field: the queue it came from, for the client history. */
  readonly queue: string;
  readonly content: Content;
}
export interface BasicAck extends ChannelFrame { readonly type: 'basic.ack'; readonly deliveryTag: number; readonly multiple: boolean }
export interface BasicNack extends ChannelFrame { readonly type: 'basic.nack'; readonly deliveryTag: number; readonly multiple: boolean; readonly requeue: boolean }
export interface BasicReject extends ChannelFrame { readonly type: 'basic.reject'; readonly deliveryTag: number; readonly requeue: boolean }
export interface Heartbeat extends Frame { readonly type: 'heartbeat' }
export interface TcpRst extends Frame { readonly type: 'tcp.rst' }

export type AmqpFrame =
  | ConnectionOpen | ConnectionOpenOk | ConnectionClose | ChannelOpen | ChannelOpenOk | ChannelClose | ConfirmSelect | ConfirmSelectOk
  | BasicQos | BasicQosOk | BasicConsume | BasicConsumeOk | BasicCancel | BasicCancelOk | BasicPublish | BasicReturn
  | BasicDeliver | BasicAck | BasicNack | BasicReject | Heartbeat | TcpRst;

/** Reply codes used. */
export const REPLY = {
  NO_ROUTE: 312,
  NOT_FOUND: 404,
  ACCESS_REFUSED: 403,
  PRECONDITION_FAILED: 406,
  CONNECTION_FORCED: 320,
  NOT_ALLOWED: 530,
} as const;

/** Frame overhead in bytes (method frame + content header), without the body. */
export const FRAME_BYTES = 64;

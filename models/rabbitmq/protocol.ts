import type { Message } from '../../sim/node.js';
import type { Micros } from '../../sim/time.js';
import type { ConsumerId, Delivery, FifoCommand } from './quorum/fifo.js';
import type { RaftMessage } from './quorum/raft.js';
import type { HeaderValue } from './schema.js';
import type { QueuedMessage } from './broker/ready-messages.js';

/**
 * The wire protocol of the RabbitMQ model: AMQP 0-9-1 between clients and brokers, and what
 * broker nodes say to each other (Erlang distribution: delegate calls to a queue's home node,
 * Ra's Raft messages and rabbit_fifo commands for quorum queues, net ticks).
 *
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
/**
 * queue.declare of a classic queue (the model's clients declare their queues in the scenario;
 * the conformance probes declare exclusive ones): passive only asks whether it exists.
 */
export interface QueueDeclare extends ChannelFrame {
  readonly type: 'queue.declare';
  readonly queue: string;
  readonly passive: boolean;
  readonly durable: boolean;
  /** Owned by the declaring connection: others get 405 RESOURCE_LOCKED; deleted when the connection goes. */
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
}
export interface QueueDeclareOk extends ChannelFrame { readonly type: 'queue.declare-ok'; readonly queue: string; readonly messageCount: number; readonly consumerCount: number }
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
/** basic.get: one message from the queue, without a consumer (answered by basic.get-ok or basic.get-empty). */
export interface BasicGet extends ChannelFrame { readonly type: 'basic.get'; readonly queue: string; readonly noAck: boolean }
export interface BasicGetOk extends ChannelFrame {
  readonly type: 'basic.get-ok';
  readonly deliveryTag: number;
  readonly redelivered: boolean;
  readonly exchange: string;
  readonly routingKey: string;
  /** Ready messages left in the queue. */
  readonly messageCount: number;
  /** Not an AMQP field: the queue it came from, for the client history. */
  readonly queue: string;
  readonly content: Content;
}
export interface BasicGetEmpty extends ChannelFrame { readonly type: 'basic.get-empty' }
export interface BasicAck extends ChannelFrame { readonly type: 'basic.ack'; readonly deliveryTag: number; readonly multiple: boolean }
export interface BasicNack extends ChannelFrame { readonly type: 'basic.nack'; readonly deliveryTag: number; readonly multiple: boolean; readonly requeue: boolean }
export interface BasicReject extends ChannelFrame { readonly type: 'basic.reject'; readonly deliveryTag: number; readonly requeue: boolean }
export interface Heartbeat extends Frame { readonly type: 'heartbeat' }
export interface TcpRst extends Frame { readonly type: 'tcp.rst' }
/** A resource alarm blocked the connection (sent to clients with the connection.blocked capability). */
export interface ConnectionBlocked extends Frame { readonly type: 'connection.blocked'; readonly reason: string }
export interface ConnectionUnblocked extends Frame { readonly type: 'connection.unblocked' }

export type AmqpFrame =
  | ConnectionOpen | ConnectionOpenOk | ConnectionClose | ChannelOpen | ChannelOpenOk | ChannelClose | ConfirmSelect | ConfirmSelectOk
  | QueueDeclare | QueueDeclareOk | BasicQos | BasicQosOk | BasicConsume | BasicConsumeOk | BasicCancel | BasicCancelOk | BasicPublish | BasicReturn
  | BasicDeliver | BasicGet | BasicGetOk | BasicGetEmpty | BasicAck | BasicNack | BasicReject | Heartbeat | TcpRst
  | ConnectionBlocked | ConnectionUnblocked;

/** What a broker sends a client on an open channel once it is set up (the client hands these to its application). */
export type ServerChannelMethod = BasicDeliver | BasicGetOk | BasicGetEmpty | BasicAck | BasicNack | BasicReturn | BasicCancelOk;

/**
 * The delayed-confirmation pattern's callback service asks a producer (an application message,
 * not AMQP) to publish a message again (patterns/delayed-confirmation.ts).
 */
export interface ResendRequest {
  readonly type: 'resend.request';
  readonly msg: string;
  /** The send the unconfirmed check was for; the resend is attempt + 1. */
  readonly attempt: number;
}

/** The AMQP methods that name a channel (all but connection.*, heartbeat and tcp.rst). */
export type ChannelMethod = Extract<AmqpFrame, { readonly channel: number }>;

// ---------------------------------------------------------------- between broker nodes

/** Ra (quorum queue Raft) messages between a quorum queue's members, carrying rabbit_fifo commands. */
export type RaMessage = RaftMessage<FifoCommand>;

/**
 * A node's cluster link (cluster/link.ts) to another's: rabbit_fifo client commands and their
 * answers, and the delegate calls a channel makes to a classic queue on its home node.
 */
export type DelegateMessage =
  | { readonly type: 'ra.command'; readonly queue: string; readonly cmd: FifoCommand; readonly forwarded: boolean }
  | { readonly type: 'ra.applied'; readonly queue: string; readonly req: string }
  /** rabbit_fifo's leader_change: a new leader tells the cluster's nodes, whose clients resend what waits on the old one. */
  | { readonly type: 'ra.leader_change'; readonly queue: string; readonly term: number }
  | { readonly type: 'ra.deliver'; readonly queue: string; readonly term: number; readonly cid: ConsumerId; readonly deliveries: readonly Delivery[] }
  | { readonly type: 'delegate.publish'; readonly queue: string; readonly exchange: string; readonly routingKey: string; readonly content: Content; readonly conn: string; readonly channel: number; readonly seq: number }
  | { readonly type: 'delegate.confirm'; readonly conn: string; readonly channel: number; readonly seq: number; readonly ack: boolean }
  | { readonly type: 'delegate.consume'; readonly conn: string; readonly channel: number; readonly vhost: string; readonly user: string; readonly queue: string; readonly tag: string; readonly noAck: boolean; readonly prefetch: number }
  | { readonly type: 'delegate.settle'; readonly conn: string; readonly channel: number; readonly tags: number[]; readonly op: 'ack' | 'nack'; readonly requeue: boolean }
  | { readonly type: 'delegate.close'; readonly conn: string; readonly channel: number }
  | { readonly type: 'delegate.cancel'; readonly conn: string; readonly channel: number; readonly tag: string }
  | { readonly type: 'delegate.queue_deleted'; readonly queue: string };

/**
 * Everything a broker gets from another broker node: Ra messages, link messages, and the AMQP
 * frames a queue's home node sends on a proxy channel back to the channel's node.
 */
/** rabbit_alarm between nodes: a node's resource alarm set or cleared. */
export interface AlarmMessage { readonly type: 'rabbit_alarm'; readonly resource: 'disk'; readonly on: boolean }
export type PeerMessage = RaMessage | DelegateMessage | GmMessage | BasicDeliver | ChannelClose | BasicConsumeOk | BasicCancelOk | AlarmMessage;

/**
 * Classic queue mirroring (RabbitMQ before 4.0, mirrored/): the leader's guaranteed-multicast
 * (gm) traffic to its mirrors, the view of who leads and mirrors a queue, a restarted node
 * asking to join, and the batches of a synchronisation (rabbit_mirror_queue_sync's sync_msgs).
 * Messages carry the broker's QueuedMessage as the leader holds it; receivers copy it.
 */
export type GmMessage =
  | { readonly type: 'gm.publish'; readonly queue: string; readonly epoch: number; readonly message: QueuedMessage }
  | { readonly type: 'gm.ack'; readonly queue: string; readonly epoch: number; readonly id: number }
  | { readonly type: 'gm.drop'; readonly queue: string; readonly epoch: number; readonly ids: readonly number[] }
  | { readonly type: 'gm.view'; readonly queue: string; readonly view: MirrorView; readonly reset: readonly string[] }
  | { readonly type: 'gm.join'; readonly queue: string }
  | { readonly type: 'gm.join-reply'; readonly queue: string; readonly master: string | null }
  | { readonly type: 'sync_msgs'; readonly queue: string; readonly epoch: number; readonly messages: readonly QueuedMessage[]; readonly last: boolean }
  | { readonly type: 'sync_msgs-ok'; readonly queue: string; readonly epoch: number };

/** Who leads and mirrors a mirrored classic queue, as the leader announced it (epoch grows with each change). */
export interface MirrorView {
  readonly epoch: number;
  readonly master: string;
  /** Mirrors, oldest first (the oldest is promoted). */
  readonly mirrors: readonly string[];
  /** The mirrors that hold every message the leader holds. */
  readonly synced: readonly string[];
}

/** Erlang distribution between nodes (cluster/node.ts): the net tick. */
export interface NetTick { readonly type: 'tick'; readonly incarnation: Micros }
/** A stopping node says so on each distribution connection before it closes them (rabbit_node_monitor's notification of an orderly shutdown). */
export interface DistClose { readonly type: 'dist.close' }

/**
 * The network hands an actor a `Message`; every message a RabbitMQ node gets from a client is
 * an AMQP frame, and from a peer node a PeerMessage (the model's actors send nothing else), so
 * these are the one place their type is asserted.
 */
export function asAmqpFrame(message: Message): AmqpFrame {
  return message as AmqpFrame;
}
export function isNetTick(message: Message): message is NetTick {
  return message.type === 'tick';
}
export function isDistClose(message: Message): message is DistClose {
  return message.type === 'dist.close';
}
export function asPeerMessage(message: Message): PeerMessage {
  return message as PeerMessage;
}
/** A producer gets AMQP frames from its broker and resend requests from a callback service. */
export function asProducerMessage(message: Message): AmqpFrame | ResendRequest {
  return message as AmqpFrame | ResendRequest;
}

/** Reply codes used. */
export const REPLY = {
  NO_ROUTE: 312,
  NOT_FOUND: 404,
  ACCESS_REFUSED: 403,
  RESOURCE_LOCKED: 405,
  PRECONDITION_FAILED: 406,
  CONNECTION_FORCED: 320,
  NOT_IMPLEMENTED: 540,
  NOT_ALLOWED: 530,
} as const;

/** Frame overhead in bytes (method frame + content header), without the body. */
export const FRAME_BYTES = 64;

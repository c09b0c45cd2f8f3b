/**
 * The demo queue's wire protocol. The names follow a real protocol's shape (Kafka's Produce and
 * Fetch, AMQP's ack) so a trace reads like a packet capture, but the protocol is the demo's own.
 */

/** Producer -> broker: store one message. A retry resends the same `msg` (no idempotence). */
export interface Produce {
  readonly type: 'Produce';
  readonly queue: string;
  readonly msg: string;
  readonly key: string | undefined;
  readonly bytes: number;
}

/** Broker -> producer: the message is stored at `offset`, or it was refused (`error`). */
export interface ProduceResponse {
  readonly type: 'ProduceResponse';
  readonly queue: string;
  readonly msg: string;
  readonly offset: number;
  readonly error?: string;
}

/** Consumer -> broker: hand me up to max.deliveries.per.fetch ready messages of `queue`. */
export interface Fetch {
  readonly type: 'Fetch';
  readonly queue: string;
  /** Echoed in the response, so a late response to an abandoned Fetch is recognised. */
  readonly fetchId: number;
}

/** One delivery: the message, where it sits, and the receipt (`tag`) its Ack must quote. */
export interface Delivery {
  readonly msg: string;
  readonly key: string | undefined;
  readonly offset: number;
  /** Delivery tag: valid only for this delivery; an Ack quoting an expired tag is ignored. */
  readonly tag: number;
  readonly redelivered: boolean;
  readonly bytes: number;
}

export interface FetchResponse {
  readonly type: 'FetchResponse';
  readonly queue: string;
  readonly fetchId: number;
  readonly deliveries: readonly Delivery[];
}

/** Consumer -> broker: the delivery `tag` of the message at `offset` is done; forget the message. */
export interface Ack {
  readonly type: 'Ack';
  readonly queue: string;
  readonly offset: number;
  readonly tag: number;
}

export type DemoMessage = Produce | ProduceResponse | Fetch | FetchResponse | Ack;

/** Bytes on the wire of a request or response without its payload. */
export const HEADER_BYTES = 64;

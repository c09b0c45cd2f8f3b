import type { OutcomeValue } from '../outcome.js';

/**
 * A RabbitMQ probe is data: a topology written exactly as a scenario file's `exchanges`,
 * `queues` and `bindings` sections (real argument names; durations as "100ms"), the channels in
 * confirm mode, and a script of client steps on one connection. The same probe runs against a
 * real broker through amqplib (real.ts) and through the model's broker actor (model.ts); both
 * turn what the client saw into the same outcome (outcomeOf below).
 */

export interface PublishStep {
  /** The message-id; deliveries, returns and confirms name messages by it. */
  publish: string;
  exchange?: string;
  routingKey?: string;
  mandatory?: boolean;
  persistent?: boolean;
  /** The expiration property, in ms. */
  expiration?: number;
  priority?: number;
  headers?: Record<string, string | number | boolean>;
  /** Body size in bytes (default 10). */
  bytes?: number;
  channel?: number;
  /** The connection (default 1): a probe may open several; channel numbers are the probe's own labels, unique across them. */
  conn?: number;
}

/** On which connection a step runs (default 1). */
export interface OnConnection {
  conn?: number;
}

export type ProbeStep =
  | PublishStep
  | { consume: string; tag: string; prefetch?: number; noAck?: boolean; exclusive?: boolean; channel?: number } & OnConnection
  | { cancel: string; channel?: number } & OnConnection
  /** Settle the last delivery of this message-id on the channel. */
  | { ack: string; multiple?: boolean; channel?: number } & OnConnection
  | { nack: string; requeue?: boolean; multiple?: boolean; channel?: number } & OnConnection
  | { reject: string; requeue?: boolean; channel?: number } & OnConnection
  | { get: string; noAck?: boolean; channel?: number } & OnConnection
  /**
   * queue.declare of a classic, non-durable queue (passive: only check that it exists); the
   * answer's message and consumer counts go in the outcome's `declares`.
   */
  | { declare: string; exclusive?: boolean; passive?: boolean; channel?: number } & OnConnection
  /** connection.close sent by the client on connection `closeConnection` (not connection 1); no new connection. */
  | { closeConnection: number }
  /**
   * The client's TCP connection `dropConnection` (not connection 1) reset under it: the
   * client's process gone, its kernel answering with RST. No connection.close is sent.
   */
  | { dropConnection: number }
  /** channel.close sent by the client. */
  | { close: number }
  /** Let time pass (ms): on the real broker in wall-clock time, in the model in virtual time. */
  | { wait: number }
  /**
   * kill -9 of the broker process, then its restart on the same data; the client connects again
   * (channels reopened on first use). Needs the harness's own broker: skipped against --url.
   */
  | { killAndRestart: true }
  /** connection.close sent by the client, then a new connection (channels reopened on first use). */
  | { reconnect: true };

export interface RabbitProbe {
  readonly id: string;
  /** What the probe checks, in a line. */
  readonly about: string;
  readonly exchanges?: readonly Record<string, unknown>[];
  readonly queues?: readonly Record<string, unknown>[];
  readonly bindings?: readonly Record<string, unknown>[];
  /** Channels put in confirm mode (confirm.select) when opened. */
  readonly confirm?: readonly number[];
  readonly steps: readonly ProbeStep[];
}

export const DEFAULT_BODY_BYTES = 10;

/** One x-death entry as both sides report it (time left out: it is wall-clock on the broker). */
export interface DeathSeen {
  queue: string;
  reason: string;
  count: number;
  exchange: string;
  routingKeys: string[];
  /** The message's expiration property (ms) when it died, if it had one. */
  originalExpiration?: number;
}

/** A message as the client got it (basic.deliver or basic.get-ok). */
export interface MessageSeen {
  id: string;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
  deaths?: DeathSeen[];
  firstDeath?: string;
  deliveryCount?: number;
}

/** Everything the probe's client observed, in the order it observed it. */
export interface Observed {
  deliveries: { tag: string; message: MessageSeen }[];
  gets: (MessageSeen & { messageCount: number } | 'empty')[];
  returns: { id: string; replyCode: number; replyText: string }[];
  confirms: Map<string, 'ack' | 'nack'>;
  /** Channels the broker closed: code and the reply text's leading name (e.g. 406 PRECONDITION_FAILED). */
  errors: { channel: number; replyCode: number; name: string }[];
  /** queue.declare-ok answers, in order. */
  declares: { queue: string; messageCount: number; consumerCount: number }[];
}

export function emptyObserved(): Observed {
  return { deliveries: [], gets: [], returns: [], confirms: new Map(), errors: [], declares: [] };
}

function describeMessage(m: MessageSeen): string {
  let text = `${m.id} via ${m.exchange === '' ? '(default)' : m.exchange}/${m.routingKey}`;
  if (m.redelivered) text += ' redelivered';
  if (m.deliveryCount !== undefined) text += ` x-delivery-count=${m.deliveryCount}`;
  if (m.deaths !== undefined && m.deaths.length > 0) {
    text += ` x-death=[${m.deaths.map((d) => `${d.reason}@${d.queue}×${d.count} from ${d.exchange === '' ? '(default)' : d.exchange}/${d.routingKeys.join(',')}${d.originalExpiration !== undefined ? ` original-expiration=${d.originalExpiration}` : ''}`).join('; ')}]`;
  }
  if (m.firstDeath !== undefined) text += ` x-first-death=${m.firstDeath}`;
  return text;
}

/**
 * The outcome compared field by field: `deliveries.<consumer tag>` (in order), `gets`, `declares`,
 * `returns`, `confirms` (by message-id, only with confirm channels) and `errors`.
 */
export function outcomeOf(probe: RabbitProbe, seen: Observed): Record<string, OutcomeValue> {
  const outcome: Record<string, OutcomeValue> = {};
  for (const step of probe.steps) if ('consume' in step) outcome[`deliveries.${step.tag}`] = [];
  for (const d of seen.deliveries) {
    const field = `deliveries.${d.tag}`;
    const list = (outcome[field] ??= []) as OutcomeValue[];
    list.push(describeMessage(d.message));
  }
  if (probe.steps.some((s) => 'get' in s)) outcome.gets = seen.gets.map((g) => (g === 'empty' ? 'basic.get-empty' : `${describeMessage(g)} message-count=${g.messageCount}`));
  if (probe.steps.some((s) => 'declare' in s)) outcome.declares = seen.declares.map((d) => `${d.queue} declare-ok message-count=${d.messageCount} consumer-count=${d.consumerCount}`);
  outcome.returns = seen.returns.map((r) => `${r.id} ${r.replyCode} ${r.replyText}`);
  if (probe.confirm !== undefined && probe.confirm.length > 0) {
    const confirms: Record<string, OutcomeValue> = {};
    for (const step of probe.steps) if ('publish' in step && probe.confirm.includes(step.channel ?? 1)) confirms[step.publish] = seen.confirms.get(step.publish) ?? 'none';
    outcome.confirms = confirms;
  }
  outcome.errors = seen.errors.map((e) => `channel ${e.channel}: ${e.replyCode} ${e.name}`);
  return outcome;
}

/** Does the probe kill and restart the broker (so it needs the harness's own broker)? */
export function needsBrokerControl(probe: RabbitProbe): boolean {
  return probe.steps.some((s) => 'killAndRestart' in s);
}

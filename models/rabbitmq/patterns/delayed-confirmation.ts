import type { DiskFile } from '../../../sim/disk.js';
import { unreachable, type TimerArgs } from '../../../sim/timers.js';
import type { Micros } from '../../../sim/time.js';
import type { Phase } from '../../../sim/world.js';
import { AmqpClient, type ClientTimer } from '../client.js';
import { notes } from '../notes.js';
import type { AmqpFrame, BasicDeliver, Content, Properties, ResendRequest, ServerChannelMethod } from '../protocol.js';
import type { HeaderValue } from '../schema.js';

/**
 * The delayed-confirmation pattern ("消息的延迟投递，做二次确认，回调检查" in the seed article): a
 * reliable-delivery scheme that needs no publisher-side database scan.
 *
 * 1. The producer stores the business record (here: the message, in its memory) and publishes the
 *    main message.
 * 2. Right after, it publishes a copy, the check message (type `delayed-check`, correlation-id =
 *    the main message's id), to a delay: a queue with x-message-ttl and a dead-letter exchange, a
 *    per-message expiration, or an x-delayed-message exchange. The delay ends in the callback queue.
 * 3. The consumer processes the main message and then publishes a confirmation (type
 *    `consumed-confirm`, correlation-id = the main message's id) to the callback queue.
 * 4-6. The callback service consumes the callback queue: it records each confirmation in its store
 *    (a file on its own disk, its "MSG DB").
 * 7. When a check message reaches it and the main message is not recorded as confirmed, it asks the
 *    producer to send again (an application RPC `resend.request` over the network, not AMQP); the
 *    producer republishes the main message from its store with a new check message. After
 *    `maxResends` unconfirmed checks the callback service gives up (a human looks at it).
 *
 * What it costs: a check that comes before a slow consumer's confirmation, or a lost confirmation,
 * makes a resend of a message that was processed: a duplicate delivery, so consumers must be
 * idempotent. What it cannot do (the article says so): if the main message and the check message are
 * both lost (a broker crash with transient messages), nothing ever asks for a resend.
 */

export const CHECK_TYPE = 'delayed-check';
export const CONFIRM_TYPE = 'consumed-confirm';
/** Header of a check message: which send of the main message it checks (1 = the original). */
export const ATTEMPT_HEADER = 'x-check-attempt';

export interface DelayedConfirmationOptions {
  /** Exchange the check message is published to ("" = the default exchange). */
  checkExchange: string;
  checkRoutingKey: string;
  checkDelay: Micros;
  /** How the delay is asked for: per-message expiration (TTL + DLX), x-delay header, or the queue's own x-message-ttl. */
  checkDelayBy: 'expiration' | 'x-delay' | 'queue-ttl';
  /** delivery-mode of check messages: 2, 1, or as the main message (undefined). */
  checkPersistent: boolean | undefined;
  callbackQueue: string;
  /** Resend requests per message before the callback service gives up. */
  maxResends: number;
  /** The callback service's node name. */
  service: string;
}

export interface ConfirmToOptions {
  exchange: string;
  routingKey: string;
  persistent: boolean;
}

export interface PatternStats {
  /** Check messages the producers published (originals and those sent with resends). */
  checksSent: number;
  /** Confirmations the consumers published after processing. */
  confirmationsSent: number;
  /** Confirmations the callback service recorded (first time per message). */
  confirmationsRecorded: number;
  /** Checks that found their message confirmed. */
  checksPassed: number;
  /** Checks that found it unconfirmed (each leads to a resend request or a give-up). */
  checksUnconfirmed: number;
  resendRequests: number;
  /** Main messages the producers republished on request. */
  resends: number;
  checksGaveUp: number;
}

export const PATTERN_METRICS = [
  'checksSent', 'confirmationsSent', 'confirmationsRecorded', 'checksPassed', 'checksUnconfirmed', 'resendRequests', 'resends', 'checksGaveUp',
] as const;

export function emptyPatternStats(): PatternStats {
  return { checksSent: 0, confirmationsSent: 0, confirmationsRecorded: 0, checksPassed: 0, checksUnconfirmed: 0, resendRequests: 0, resends: 0, checksGaveUp: 0 };
}

/** The application RPC from the callback service to the producer (step 7). */
export type { ResendRequest } from '../protocol.js';

export const RESEND_REQUEST_BYTES = 128;

/** The check message for send `attempt` of `main`: the same body, typed and correlated, delayed as configured. */
export function checkContent(main: Content, attempt: number, options: DelayedConfirmationOptions, timestamp: Micros): Content {
  const msg = main.properties.messageId;
  const headers: Record<string, HeaderValue> = { [ATTEMPT_HEADER]: attempt };
  const properties: Properties = {
    deliveryMode: options.checkPersistent === undefined ? main.properties.deliveryMode : options.checkPersistent ? 2 : 1, messageId: `check:${msg}:${attempt}`, correlationId: msg, type: CHECK_TYPE, timestamp, headers,
  };
  if (options.checkDelayBy === 'expiration') properties.expiration = options.checkDelay;
  else if (options.checkDelayBy === 'x-delay') headers['x-delay'] = Math.round(options.checkDelay / 1000);
  return { properties, key: undefined, bytes: main.bytes };
}

/** The consumer's confirmation that it processed `msg`. */
export function confirmationContent(msg: string, persistent: boolean, timestamp: Micros): Content {
  return {
    properties: { deliveryMode: persistent ? 2 : 1, messageId: `confirm:${msg}`, correlationId: msg, type: CONFIRM_TYPE, timestamp },
    key: undefined,
    bytes: 64,
  };
}

type StoreRecord = { confirmed: string };

/**
 * The callback service: one AMQP connection consuming the callback queue with manual acks. Each
 * confirmation is appended to its store file before the ack; a check message is answered from the
 * store. The store is rebuilt from disk after a restart (what the disk kept).
 */
export class CallbackService extends AmqpClient {
  private store!: DiskFile<StoreRecord>;
  private readonly confirmed = new Set<string>();
  private consumerTag = 0;

  constructor(
    private readonly queue: string,
    private readonly producers: ReadonlyMap<string, DelayedConfirmationOptions>,
    private readonly stats: PatternStats,
    vhost: string,
    user: string,
    heartbeat: Micros,
  ) {
    super(vhost, user, heartbeat);
  }

  protected override begin(restarted: boolean): void {
    this.store = this.ctx.disk.file<StoreRecord>('msgdb');
    for (const record of this.store.records) this.confirmed.add(record.confirmed);
    if (restarted) notes.note(this.ctx, 'callback-service-recovered', { confirmed: this.confirmed.size });
    this.connect();
  }

  onPhase(_phase: Phase): void {}

  protected setup(): AmqpFrame[] {
    return [];
  }

  protected onReady(): void {
    this.sendFrame({ type: 'basic.consume', conn: this.conn!, channel: this.channel, queue: this.queue, consumerTag: `${this.ctx.name}-ctag-${++this.consumerTag}`, noAck: false });
  }

  protected onLost(_why: string): void {}

  /** The service has no timers of its own: only its connection's. */
  onTimer(...args: TimerArgs<ClientTimer>): void {
    this.onConnectionTimer(...args);
  }

  protected onFrame(frame: ServerChannelMethod): void {
    switch (frame.type) {
      case 'basic.deliver':
        this.handle(frame);
        this.sendFrame({ type: 'basic.ack', conn: this.conn!, channel: this.channel, deliveryTag: frame.deliveryTag, multiple: false });
        return;
      case 'basic.ack':
      case 'basic.nack':
      case 'basic.return':
      case 'basic.cancel-ok':
      case 'basic.get-ok':
      case 'basic.get-empty':
        return; // it publishes nothing, never polls and never cancels
      default:
        return unreachable(frame, 'frame to the callback service');
    }
  }

  private handle(frame: BasicDeliver): void {
    const props = frame.content.properties;
    const msg = props.correlationId;
    if (msg === undefined) {
      notes.note(this.ctx, 'callback-unknown-message', { msg: props.messageId });
      return;
    }
    if (props.type === CONFIRM_TYPE) {
      if (this.confirmed.has(msg)) return;
      this.confirmed.add(msg);
      this.store.append({ confirmed: msg }, 64);
      this.stats.confirmationsRecorded++;
      return;
    }
    if (props.type !== CHECK_TYPE) {
      notes.note(this.ctx, 'callback-unknown-message', { msg: props.messageId, type: props.type ?? null });
      return;
    }
    if (this.confirmed.has(msg)) {
      this.stats.checksPassed++;
      return;
    }
    this.stats.checksUnconfirmed++;
    const raw = props.headers?.[ATTEMPT_HEADER];
    const attempt = typeof raw === 'number' ? raw : 1;
    const producer = producerOf(msg);
    const options = this.producers.get(producer);
    if (options === undefined) {
      notes.note(this.ctx, 'callback-unknown-message', { msg, why: `no producer ${producer} uses this callback service` });
      return;
    }
    if (attempt > options.maxResends) {
      this.stats.checksGaveUp++;
      notes.note(this.ctx, 'delayed-check-gave-up', { msg, attempts: attempt });
      return;
    }
    this.stats.resendRequests++;
    notes.note(this.ctx, 'delayed-check-unconfirmed', { msg, attempt, producer });
    const request: ResendRequest = { type: 'resend.request', msg, attempt };
    this.ctx.send(producer, request, RESEND_REQUEST_BYTES);
  }
}

/** `p1-17` -> `p1` (message ids are `${producer}-${seq}`). */
function producerOf(msg: string): string {
  const dash = msg.lastIndexOf('-');
  return dash < 0 ? msg : msg.slice(0, dash);
}

/** What the builder needs to know of the topology to check a pattern's names. */
export interface PatternTopology {
  readonly exchanges: readonly { vhost: string; name: string }[];
  readonly queues: readonly { vhost: string; name: string }[];
}

/**
 * Wires the pattern into a model build: resolves each producer's `delayedConfirmation` and each
 * consumer's `confirmTo` (checking that the exchanges and queues they name exist), then adds one
 * callback-service node per service name. Throws an Error naming the problem (a scenario error).
 */
export class DelayedConfirmationBuilder {
  readonly stats = emptyPatternStats();
  private readonly services = new Map<string, { queue: string; vhost: string; user: string; producers: Map<string, DelayedConfirmationOptions> }>();

  constructor(private readonly topology: PatternTopology) {}

  private hasExchange(vhost: string, name: string): boolean {
    return name === '' || name.startsWith('amq.') || this.topology.exchanges.some((e) => e.vhost === vhost && e.name === name);
  }

  private hasQueue(vhost: string, name: string): boolean {
    return this.topology.queues.some((q) => q.vhost === vhost && q.name === name);
  }

  producer(
    id: string, vhost: string, user: string,
    spec: { checkExchange?: string | undefined; checkRoutingKey: string; checkDelay: Micros; checkDelayBy?: DelayedConfirmationOptions['checkDelayBy'] | undefined; checkPersistent?: boolean | undefined; callbackQueue: string; maxResends?: number | undefined; service?: string | undefined } | undefined,
  ): DelayedConfirmationOptions | undefined {
    if (spec === undefined) return undefined;
    const options: DelayedConfirmationOptions = {
      checkExchange: spec.checkExchange ?? '', checkRoutingKey: spec.checkRoutingKey, checkDelay: spec.checkDelay,
      checkDelayBy: spec.checkDelayBy ?? 'expiration', checkPersistent: spec.checkPersistent, callbackQueue: spec.callbackQueue, maxResends: spec.maxResends ?? 3,
      service: spec.service ?? `${id}-callback`,
    };
    const where = `producer ${id} delayedConfirmation`;
    if (!this.hasExchange(vhost, options.checkExchange)) throw new Error(`${where}: no exchange "${options.checkExchange}" in vhost ${vhost}`);
    if (options.checkExchange === '' && !this.hasQueue(vhost, options.checkRoutingKey)) {
      throw new Error(`${where}: checkRoutingKey "${options.checkRoutingKey}" names no queue in vhost ${vhost} (the default exchange routes by queue name)`);
    }
    if (!this.hasQueue(vhost, options.callbackQueue)) throw new Error(`${where}: no callbackQueue "${options.callbackQueue}" in vhost ${vhost}`);
    const existing = this.services.get(options.service);
    if (existing && (existing.queue !== options.callbackQueue || existing.vhost !== vhost)) {
      throw new Error(`${where}: callback service ${options.service} already consumes ${existing.vhost} ${existing.queue}`);
    }
    const service = existing ?? { queue: options.callbackQueue, vhost, user, producers: new Map() };
    service.producers.set(id, options);
    this.services.set(options.service, service);
    return options;
  }

  consumer(where: string, vhost: string, spec: { exchange?: string | undefined; routingKey: string; persistent?: boolean | undefined } | undefined): ConfirmToOptions | undefined {
    if (spec === undefined) return undefined;
    const exchange = spec.exchange ?? '';
    if (!this.hasExchange(vhost, exchange)) throw new Error(`${where} confirmTo: no exchange "${exchange}" in vhost ${vhost}`);
    if (exchange === '' && !this.hasQueue(vhost, spec.routingKey)) throw new Error(`${where} confirmTo: routingKey "${spec.routingKey}" names no queue in vhost ${vhost}`);
    return { exchange, routingKey: spec.routingKey, persistent: spec.persistent ?? false };
  }

  /** Adds the callback-service nodes (role `callback-service`); returns their describe() lines. */
  addServices(addNode: (name: string, factory: () => CallbackService) => void, heartbeat: Micros): string[] {
    const lines: string[] = [];
    for (const [name, s] of this.services) {
      addNode(name, () => new CallbackService(s.queue, s.producers, this.stats, s.vhost, s.user, heartbeat));
      const producers = [...s.producers.entries()].map(([id, o]) => `${id} (check via "${o.checkExchange}" key "${o.checkRoutingKey}" after ${o.checkDelay / 1000}ms by ${o.checkDelayBy}, maxResends=${o.maxResends})`);
      lines.push(`callback service ${name}: <- ${s.queue}; delayed confirmation for ${producers.join(', ')}`);
    }
    return lines;
  }
}

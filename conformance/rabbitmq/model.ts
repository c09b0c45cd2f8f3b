import { rabbitmqModel } from '../../models/rabbitmq/index.js';
import type { AmqpFrame, BasicDeliver, BasicGetOk, Content } from '../../models/rabbitmq/protocol.js';
import type { Actor, Message, NodeContext } from '../../sim/node.js';
import { World } from '../../sim/world.js';
import { DEFAULT_BODY_BYTES, emptyObserved, type MessageSeen, type Observed, type ProbeStep, type RabbitProbe } from './probe.js';
import { probeScenario, type ModelVersion } from './topology.js';

/**
 * A probe through the model: the probe's topology becomes a scenario (no workload) that
 * rabbitmqModel.build turns into the broker node(s), and a scripted client node (`probe`) sends
 * the steps as AMQP frames on one connection (the probe's connections 2, 3...: client nodes
 * probe-2... of their own, on TCP connections, so that a dropConnection is that node's process
 * killed and its kernel's reset reaches the broker), 10ms of virtual time apart (a `wait` adds its
 * time), recording every frame the broker sends back. A kill -9 is the node crashing with its
 * page cache kept, restarted 1s later; the client then opens a new connection. Links have a constant 1ms latency and
 * fsync takes 1ms, so the run is exact; it ends 2s of virtual time after the last step, when
 * every fsync batch and confirm is long done.
 */

const MS = 1_000;
const STEP = 10 * MS;
const TAIL = 2_000 * MS;
/** A killed broker is back this much later (the real one takes a few seconds; nothing in a probe depends on it). */
const RESTART = 1_000 * MS;
const BROKER = 'rabbit-1';

class ProbeClient implements Actor {
  ctx!: NodeContext;
  /** The connection: probe/1, then probe/2 after the broker's restart... (probe-2/1 for the probe's connection 2, on node probe-2). */
  conn: string;
  /** Delivery tag of the last delivery of a message-id, by channel. */
  readonly last = new Map<string, number>();
  readonly opened = new Set<number>();
  readonly closed = new Set<number>();
  /** Confirm channels: the message-id of each publish sequence number, not yet confirmed. */
  readonly unconfirmed = new Map<number, Map<number, string>>();
  readonly nextSeq = new Map<number, number>();

  constructor(private readonly confirmChannels: readonly number[], readonly observed: Observed, private readonly node: string) {
    this.conn = `${node}/1`;
  }

  start(ctx: NodeContext): void {
    this.ctx = ctx;
    // The probe's connections 2, 3...: on a TCP connection of their own (sim/connection.ts), so
    // that its reset (dropConnection) reaches the broker as the real one's does.
    if (this.node !== 'probe') ctx.connect(BROKER);
  }

  send(frame: AmqpFrame, bytes = 64): void {
    this.ctx.send(BROKER, frame, bytes);
  }

  /** The broker was killed and is back: a new connection, its channels opened again on first use. */
  reconnect(n: number): void {
    this.conn = `${this.node}/${n}`;
    this.opened.clear();
    this.closed.clear();
    this.last.clear();
    this.unconfirmed.clear();
    this.send({ type: 'connection.open', conn: this.conn, vhost: '/', user: 'guest', heartbeat: 0 });
    for (const channel of this.confirmChannels) this.ensureChannel(channel);
  }

  ensureChannel(channel: number): void {
    if (this.opened.has(channel)) return;
    this.opened.add(channel);
    this.send({ type: 'channel.open', conn: this.conn, channel });
    if (this.confirmChannels.includes(channel)) {
      this.send({ type: 'confirm.select', conn: this.conn, channel });
      this.unconfirmed.set(channel, new Map());
      this.nextSeq.set(channel, 1);
    }
  }

  receive(_from: string, message: Message): void {
    const frame = message as AmqpFrame;
    switch (frame.type) {
      case 'basic.deliver':
        this.last.set(`${frame.channel}|${frame.content.properties.messageId}`, frame.deliveryTag);
        this.observed.deliveries.push({ tag: frame.consumerTag, message: seen(frame) });
        return;
      case 'basic.get-ok':
        this.last.set(`${frame.channel}|${frame.content.properties.messageId}`, frame.deliveryTag);
        this.observed.gets.push({ ...seen(frame), messageCount: frame.messageCount });
        return;
      case 'basic.get-empty':
        this.observed.gets.push('empty');
        return;
      case 'queue.declare-ok':
        this.observed.declares.push({ queue: frame.queue, messageCount: frame.messageCount, consumerCount: frame.consumerCount });
        return;
      case 'basic.return':
        this.observed.returns.push({ id: frame.content.properties.messageId, replyCode: frame.replyCode, replyText: frame.replyText });
        return;
      case 'basic.ack':
      case 'basic.nack': {
        const pending = this.unconfirmed.get(frame.channel);
        if (pending === undefined) return;
        for (const [seq, id] of [...pending]) {
          if (seq === frame.deliveryTag || (frame.multiple && seq < frame.deliveryTag)) {
            this.observed.confirms.set(id, frame.type === 'basic.ack' ? 'ack' : 'nack');
            pending.delete(seq);
          }
        }
        return;
      }
      case 'channel.close':
        this.closed.add(frame.channel);
        this.observed.errors.push({ channel: frame.channel, replyCode: frame.replyCode, name: frame.replyText.split(' ')[0] ?? frame.replyText });
        return;
      default:
        return;
    }
  }

  step(step: Exclude<ProbeStep, { wait: number } | { killAndRestart: true } | { reconnect: true } | { closeConnection: number } | { dropConnection: number }>): void {
    if ('close' in step) {
      if (this.opened.has(step.close) && !this.closed.has(step.close)) this.send({ type: 'channel.close', conn: this.conn, channel: step.close, replyCode: 200, replyText: 'OK' });
      this.closed.add(step.close);
      return;
    }
    const channel = step.channel ?? 1;
    if (this.closed.has(channel)) return;
    this.ensureChannel(channel);
    const base = { conn: this.conn, channel };
    if ('declare' in step) {
      this.send({ ...base, type: 'queue.declare', queue: step.declare, passive: step.passive ?? false, durable: false, exclusive: step.exclusive ?? false, autoDelete: false });
    } else if ('publish' in step) {
      const content: Content = {
        properties: {
          deliveryMode: step.persistent ? 2 : 1, messageId: step.publish, timestamp: 0,
          ...(step.priority !== undefined ? { priority: step.priority } : {}),
          ...(step.expiration !== undefined ? { expiration: step.expiration * MS } : {}),
          ...(step.headers !== undefined ? { headers: { ...step.headers } } : {}),
        },
        key: undefined,
        bytes: step.bytes ?? DEFAULT_BODY_BYTES,
      };
      const pending = this.unconfirmed.get(channel);
      if (pending !== undefined) {
        const seq = this.nextSeq.get(channel)!;
        pending.set(seq, step.publish);
        this.nextSeq.set(channel, seq + 1);
      }
      this.send({ ...base, type: 'basic.publish', exchange: step.exchange ?? '', routingKey: step.routingKey ?? '', mandatory: step.mandatory ?? false, content }, 64 + content.bytes);
    } else if ('consume' in step) {
      if (step.prefetch !== undefined) this.send({ ...base, type: 'basic.qos', prefetchCount: step.prefetch });
      this.send({ ...base, type: 'basic.consume', queue: step.consume, consumerTag: step.tag, noAck: step.noAck ?? false, exclusive: step.exclusive ?? false });
    } else if ('cancel' in step) {
      this.send({ ...base, type: 'basic.cancel', consumerTag: step.cancel });
    } else if ('get' in step) {
      this.send({ ...base, type: 'basic.get', queue: step.get, noAck: step.noAck ?? false });
    } else {
      const id = 'ack' in step ? step.ack : 'nack' in step ? step.nack : step.reject;
      const deliveryTag = this.last.get(`${channel}|${id}`);
      this.last.delete(`${channel}|${id}`);
      if (deliveryTag === undefined) this.observed.errors.push({ channel, replyCode: 0, name: `probe: no delivery of ${id} to settle` });
      else if ('ack' in step) this.send({ ...base, type: 'basic.ack', deliveryTag, multiple: step.multiple ?? false });
      else if ('nack' in step) this.send({ ...base, type: 'basic.nack', deliveryTag, multiple: step.multiple ?? false, requeue: step.requeue ?? true });
      else this.send({ ...base, type: 'basic.reject', deliveryTag, requeue: step.requeue ?? true });
    }
  }
}

function seen(frame: BasicDeliver | BasicGetOk): MessageSeen {
  const props = frame.content.properties;
  const m: MessageSeen = { id: props.messageId, redelivered: frame.redelivered, exchange: frame.exchange, routingKey: frame.routingKey };
  if (props.xDeath !== undefined) {
    m.deaths = props.xDeath.map((d) => ({
      queue: d.queue, reason: d.reason, count: d.count, exchange: d.exchange, routingKeys: [...d['routing-keys']],
      ...(d['original-expiration'] !== undefined ? { originalExpiration: d['original-expiration'] / MS } : {}),
    }));
  }
  const headers = props.headers ?? {};
  if (headers['x-first-death-reason'] !== undefined) m.firstDeath = `${String(headers['x-first-death-reason'])}@${String(headers['x-first-death-queue'])} from ${String(headers['x-first-death-exchange'] || '(default)')}`;
  if (headers['x-delivery-count'] !== undefined) m.deliveryCount = Number(headers['x-delivery-count']);
  return m;
}

export function runProbeInModel(probe: RabbitProbe, version?: ModelVersion): Observed {
  let end = STEP;
  for (const step of probe.steps) end += 'wait' in step ? step.wait * MS : 'killAndRestart' in step ? RESTART + STEP : STEP;
  end += TAIL;
  const scenario = probeScenario(probe, `${Math.ceil(end / MS)}ms`, version);
  const world = new World({ seed: 1, network: { latency: { constant: MS } }, disk: { fsyncLatency: { constant: MS } } });
  rabbitmqModel.build(world, scenario);
  const observed = emptyObserved();
  const client = new ProbeClient(probe.confirm ?? [], observed, 'probe');
  world.addNode('probe', () => client);
  world.kernel.at(MS, () => {
    client.send({ type: 'connection.open', conn: client.conn, vhost: '/', user: 'guest', heartbeat: 0 });
    for (const channel of probe.confirm ?? []) client.ensureChannel(channel);
  }, null);
  // The probe's other connections: each a client node of its own (probe-2...), so that resetting
  // its TCP connection (the node's process killed) leaves the others alone.
  const others = new Map<number, ProbeClient>();
  for (const step of probe.steps) {
    const c = 'conn' in step ? step.conn ?? 1 : 1;
    if (c === 1 || others.has(c)) continue;
    const other = new ProbeClient([], observed, `probe-${c}`);
    others.set(c, other);
    world.addNode(`probe-${c}`, () => other);
    world.kernel.at(MS, () => other.send({ type: 'connection.open', conn: other.conn, vhost: '/', user: 'guest', heartbeat: 0 }), null);
  }
  const clientOf = (c: number): ProbeClient => (c === 1 ? client : others.get(c)!);
  let at = STEP;
  let connections = 1;
  for (const step of probe.steps) {
    if ('wait' in step) {
      at += step.wait * MS;
      continue;
    }
    if ('killAndRestart' in step) {
      // kill -9 of the process on a machine that stays up: the page cache survives.
      world.kernel.at(at, () => world.crash(BROKER, true), null);
      world.kernel.at(at + RESTART, () => world.restart(BROKER), null);
      const n = ++connections;
      world.kernel.at(at + RESTART + STEP, () => client.reconnect(n), null);
      at += RESTART + STEP;
      continue;
    }
    if ('reconnect' in step) {
      const n = ++connections;
      world.kernel.at(at, () => {
        client.send({ type: 'connection.close', conn: client.conn, replyCode: 200, replyText: 'OK' });
        client.reconnect(n);
      }, null);
      at += STEP;
      continue;
    }
    if ('closeConnection' in step) {
      const other = clientOf(step.closeConnection);
      world.kernel.at(at, () => other.send({ type: 'connection.close', conn: other.conn, replyCode: 200, replyText: 'OK' }), null);
      at += STEP;
      continue;
    }
    if ('dropConnection' in step) {
      // The client's process gone on a live machine: its kernel resets the TCP connection.
      world.kernel.at(at, () => world.kill(`probe-${step.dropConnection}`), null);
      at += STEP;
      continue;
    }
    const on = clientOf('conn' in step ? step.conn ?? 1 : 1);
    world.kernel.at(at, () => on.step(step), null);
    at += STEP;
  }
  world.run({ duration: end, drain: 0 });
  return observed;
}

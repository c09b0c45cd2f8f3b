import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, GetMessage, Message } from 'amqplib';
import type { HeaderValue } from '../../models/rabbitmq/schema.js';
import { DEFAULT_BODY_BYTES, emptyObserved, type DeathSeen, type MessageSeen, type Observed, type RabbitProbe } from './probe.js';
import { probeScenario } from './topology.js';

/**
 * A probe against a real RabbitMQ through amqplib: declare the topology (each queue and exchange
 * deleted first, so a run starts clean, and deleted again afterwards), run the steps on one
 * connection (and the probe's others, opened on first use), settling a moment after each step,
 * and collect what the client saw.
 */

const SETTLE_MS = 50;
const FINAL_SETTLE_MS = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MICROS_PER_MS = 1_000;

function seen(message: Message): MessageSeen {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  const m: MessageSeen = {
    id: String(message.properties.messageId),
    redelivered: message.fields.redelivered,
    exchange: message.fields.exchange,
    routingKey: message.fields.routingKey,
  };
  const deaths = headers['x-death'] as { queue: string; reason: string; count: number; exchange: string; 'routing-keys': string[]; 'original-expiration'?: string }[] | undefined;
  if (deaths !== undefined) {
    m.deaths = deaths.map((d): DeathSeen => ({
      queue: d.queue, reason: d.reason, count: Number(d.count), exchange: d.exchange, routingKeys: [...d['routing-keys']],
      ...(d['original-expiration'] !== undefined ? { originalExpiration: Number(d['original-expiration']) } : {}),
    }));
  }
  if (headers['x-first-death-reason'] !== undefined) m.firstDeath = `${String(headers['x-first-death-reason'])}@${String(headers['x-first-death-queue'])} from ${String(headers['x-first-death-exchange'] || '(default)')}`;
  if (headers['x-delivery-count'] !== undefined) m.deliveryCount = Number(headers['x-delivery-count']);
  return m;
}

/** amqplib's channel error: code and the reply text's leading name ("NOT_FOUND - no queue ..."). */
function errorOf(error: unknown): { replyCode: number; name: string } {
  const e = error as { code?: number; message?: string };
  const text = /"([A-Z_]+) - /.exec(e.message ?? '')?.[1] ?? /with message "([A-Z_]+)/.exec(e.message ?? '')?.[1] ?? String(e.message);
  return { replyCode: Number(e.code ?? 0), name: text };
}

/** Deletes the probe's queues and exchanges (on a channel of its own). */
async function cleanup(conn: ChannelModel, probe: RabbitProbe): Promise<void> {
  const scenario = probeScenario(probe, '1s');
  const admin = await conn.createChannel();
  for (const q of scenario.queues ?? []) await admin.deleteQueue(q.name);
  for (const x of scenario.exchanges ?? []) await admin.deleteExchange(x.name);
  await admin.close();
}

async function declare(conn: ChannelModel, probe: RabbitProbe): Promise<void> {
  const scenario = probeScenario(probe, '1s');
  await cleanup(conn, probe);
  const admin = await conn.createChannel();
  for (const x of scenario.exchanges ?? []) {
    const args: Record<string, unknown> = {};
    if (x.arguments?.['x-delayed-type'] !== undefined) args['x-delayed-type'] = x.arguments['x-delayed-type'];
    await admin.assertExchange(x.name, x.type, {
      durable: x.durable ?? false, internal: x.internal ?? false, autoDelete: false, arguments: args,
      ...(x.arguments?.['alternate-exchange'] !== undefined ? { alternateExchange: x.arguments['alternate-exchange'] } : {}),
    });
  }
  for (const q of scenario.queues ?? []) {
    const args: Record<string, HeaderValue> = {};
    for (const [key, value] of Object.entries(q.arguments ?? {})) {
      if (value === undefined) continue;
      // Durations are parsed to microseconds; RabbitMQ takes milliseconds.
      args[key] = key === 'x-message-ttl' || key === 'x-expires' ? Number(value) / MICROS_PER_MS : value as HeaderValue;
    }
    await admin.assertQueue(q.name, { durable: q.durable, exclusive: q.exclusive ?? false, autoDelete: q.autoDelete ?? false, arguments: args });
  }
  for (const b of scenario.bindings ?? []) {
    if (b.queue !== undefined) await admin.bindQueue(b.queue, b.exchange, b.routingKey ?? '', b.arguments ?? {});
    else await admin.bindExchange(b.toExchange!, b.exchange, b.routingKey ?? '', b.arguments ?? {});
  }
  await admin.close();
}

/** What a probe that kills the broker needs: the harness's own broker. */
export interface BrokerControl {
  killAndRestart(): Promise<void>;
}

const connect = async (url: string): Promise<ChannelModel> => {
  const conn = await amqp.connect(url);
  // A channel error is seen on its channel; a connection lost to kill -9 is the probe's doing.
  conn.on('error', () => undefined);
  return conn;
};

export async function runProbeOnRealBroker(url: string, probe: RabbitProbe, control?: BrokerControl): Promise<Observed> {
  const observed = emptyObserved();
  let conn = await connect(url);
  let generation = 0;
  // Connections 2, 3...: opened on first use; closed (or reset) by their steps, or at the end.
  const others = new Map<number, ChannelModel>();
  const gone = new Set<number>();
  /** The connection each channel label was opened on. */
  const channelConn = new Map<number, number>();
  const connection = async (c: number): Promise<ChannelModel> => {
    if (c === 1) return conn;
    let other = others.get(c);
    if (other === undefined) {
      other = await connect(url);
      others.set(c, other);
    }
    return other;
  };
  try {
    await declare(conn, probe);
    const channels = new Map<number, Channel | ConfirmChannel>();
    const last = new Map<string, Message>();
    const confirmsPending: Promise<void>[] = [];
    // A failed RPC rejects its promise and the channel emits 'error' too: one entry per closed channel.
    const failed = new Set<string>();
    const channelError = (n: number, error: unknown) => {
      const key = `${generation}|${n}`;
      if (failed.has(key)) return;
      failed.add(key);
      observed.errors.push({ channel: n, ...errorOf(error) });
    };
    const channel = async (n: number, c = 1): Promise<Channel | ConfirmChannel> => {
      let ch = channels.get(n);
      if (ch !== undefined) return ch;
      const on = await connection(c);
      ch = probe.confirm?.includes(n) ? await on.createConfirmChannel() : await on.createChannel();
      // A channel of a connection the probe already left (closed, or lost to kill -9) reports nothing.
      const opened = generation;
      ch.on('error', (error: unknown) => {
        if (opened === generation && !gone.has(c)) channelError(n, error);
      });
      ch.on('return', (message: Message) => {
        const fields = message.fields as Message['fields'] & { replyCode: number; replyText: string };
        observed.returns.push({ id: String(message.properties.messageId), replyCode: fields.replyCode, replyText: fields.replyText });
      });
      channels.set(n, ch);
      channelConn.set(n, c);
      return ch;
    };
    for (const n of probe.confirm ?? []) await channel(n);
    for (const step of probe.steps) {
      if ('wait' in step) {
        await sleep(step.wait);
        continue;
      }
      if ('killAndRestart' in step) {
        if (control === undefined) throw new Error(`probe ${probe.id} kills the broker: it needs the harness's own broker`);
        await Promise.race([Promise.all(confirmsPending), sleep(5_000)]);
        confirmsPending.length = 0;
        generation++;
        channels.clear();
        last.clear();
        const old = conn;
        await control.killAndRestart();
        await old.close().catch(() => undefined);
        conn = await connect(url);
        for (const n of probe.confirm ?? []) await channel(n);
        continue;
      }
      if ('reconnect' in step) {
        generation++;
        channels.clear();
        last.clear();
        await conn.close().catch(() => undefined);
        conn = await connect(url);
        for (const n of probe.confirm ?? []) await channel(n);
        await sleep(SETTLE_MS);
        continue;
      }
      if ('closeConnection' in step || 'dropConnection' in step) {
        const c = 'closeConnection' in step ? step.closeConnection : step.dropConnection;
        const other = others.get(c);
        others.delete(c);
        gone.add(c);
        // Its channels are gone with it (amqplib would never answer a close on a reset socket).
        for (const [label, on] of channelConn) if (on === c) channels.delete(label);
        if (other !== undefined) {
          if ('closeConnection' in step) await other.close().catch(() => undefined);
          else {
            // The socket reset under the client (RST, as the kernel of a killed process sends).
            const socket = (other.connection as unknown as { stream: import('node:net').Socket }).stream;
            socket.resetAndDestroy();
          }
        }
        await sleep(SETTLE_MS);
        continue;
      }
      if ('close' in step) {
        const ch = channels.get(step.close);
        channels.delete(step.close);
        await ch?.close().catch(() => undefined);
        await sleep(SETTLE_MS);
        continue;
      }
      const n = step.channel ?? 1;
      if (gone.has(step.conn ?? 1)) continue;
      const ch = await channel(n, step.conn ?? 1);
      try {
        if ('declare' in step) {
          const ok = step.passive ? await ch.checkQueue(step.declare) : await ch.assertQueue(step.declare, { durable: false, exclusive: step.exclusive ?? false, autoDelete: false });
          observed.declares.push({ queue: ok.queue, messageCount: ok.messageCount, consumerCount: ok.consumerCount });
        } else if ('publish' in step) {
          const options: amqp.Options.Publish = { messageId: step.publish, mandatory: step.mandatory ?? false, persistent: step.persistent ?? false };
          if (step.expiration !== undefined) options.expiration = String(step.expiration);
          if (step.priority !== undefined) options.priority = step.priority;
          if (step.headers !== undefined) options.headers = step.headers;
          const body = Buffer.alloc(step.bytes ?? DEFAULT_BODY_BYTES, 120);
          if (probe.confirm?.includes(n)) {
            confirmsPending.push(new Promise<void>((resolve) => {
              (ch as ConfirmChannel).publish(step.exchange ?? '', step.routingKey ?? '', body, options, (error: unknown) => {
                observed.confirms.set(step.publish, error ? 'nack' : 'ack');
                resolve();
              });
            }));
          } else {
            ch.publish(step.exchange ?? '', step.routingKey ?? '', body, options);
          }
        } else if ('consume' in step) {
          if (step.prefetch !== undefined) await ch.prefetch(step.prefetch, false);
          const tag = step.tag;
          await ch.consume(step.consume, (message: ConsumeMessage | null) => {
            if (message === null) return;
            last.set(`${n}|${String(message.properties.messageId)}`, message);
            observed.deliveries.push({ tag, message: seen(message) });
          }, { consumerTag: tag, noAck: step.noAck ?? false, exclusive: step.exclusive ?? false });
        } else if ('cancel' in step) {
          await ch.cancel(step.cancel);
        } else if ('get' in step) {
          const got: GetMessage | false = await ch.get(step.get, { noAck: step.noAck ?? false });
          if (got === false) observed.gets.push('empty');
          else {
            last.set(`${n}|${String(got.properties.messageId)}`, got);
            observed.gets.push({ ...seen(got), messageCount: got.fields.messageCount });
          }
        } else {
          const id = 'ack' in step ? step.ack : 'nack' in step ? step.nack : step.reject;
          // The delivery may still be on its way (a loaded machine): wait for it up to a second.
          for (let waited = 0; !last.has(`${n}|${id}`) && waited < 1_000; waited += 20) await sleep(20);
          const message = last.get(`${n}|${id}`);
          last.delete(`${n}|${id}`); // settled: the next settle of this id waits for its next delivery
          if (message === undefined) observed.errors.push({ channel: n, replyCode: 0, name: `probe: no delivery of ${id} to settle` });
          else if ('ack' in step) ch.ack(message, step.multiple ?? false);
          else if ('nack' in step) ch.nack(message, step.multiple ?? false, step.requeue ?? true);
          else ch.reject(message, step.requeue ?? true);
        }
      } catch (error) {
        // A channel the broker closed: the 'error' event recorded why; later steps on it are skipped.
        if (typeof (error as { code?: unknown }).code === 'number') channelError(n, error);
        else if (!/closed/i.test(String((error as Error).message))) throw error;
      }
      await sleep(SETTLE_MS);
    }
    await Promise.race([Promise.all(confirmsPending), sleep(5_000)]);
    await sleep(FINAL_SETTLE_MS);
    for (const ch of channels.values()) await ch.close().catch(() => undefined);
    await cleanup(conn, probe);
  } finally {
    for (const other of others.values()) await other.close().catch(() => undefined);
    await conn.close().catch(() => undefined);
  }
  return observed;
}

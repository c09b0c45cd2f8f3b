import { dataOf, emptySystemView, payloadOf, push, type SystemView, type ViewInput } from './model.js';

/**
 * RocketMQ at an instant: per broker its role (master or slave, or the DLedger role from the
 * `rocketmq.dledger` store), its commit log (the largest physical offset the broker answered a
 * SEND_MESSAGE with, and what a restart recovered), and its consume queues with their max offset,
 * the group's consumed offset and the consumer that owns each queue (`rocketmq.assignments`).
 * The flush and replication positions are not in the trace, so they are not drawn.
 */

interface ConsumeQueue {
  max: number;
  consumed: number;
}

export function rocketmqView(input: ViewInput): SystemView {
  const view = emptySystemView();
  const commitLog = new Map<string, { max: number; messages: number; recovered?: number }>();
  const queues = new Map<string, ConsumeQueue>();
  const brokerOf = new Map<string, string>();
  const queue = (name: string) => {
    let q = queues.get(name);
    if (!q) queues.set(name, (q = { max: 0, consumed: 0 }));
    return q;
  };
  for (const record of input.records) {
    if (record.t > input.time) break;
    if (record.kind === 'net.send' && record.type === 'RESPONSE') {
      const p = payloadOf(record);
      if (p.code === 'SUCCESS' && typeof p.phy === 'number') {
        const log = commitLog.get(String(record.from)) ?? { max: 0, messages: 0 };
        log.max = Math.max(log.max, p.phy);
        log.messages++;
        commitLog.set(String(record.from), log);
      }
    } else if (record.kind === 'net.send' && record.type === 'UPDATE_CONSUMER_OFFSET') {
      const p = payloadOf(record);
      const name = `${brokerGroupOf(String(record.to))}:${String(p.topic)}:${String(p.queueId)}`;
      queue(name).consumed = Math.max(queue(name).consumed, Number(p.offset));
    } else if (record.kind === 'history') {
      const d = dataOf(record);
      if (d.f === 'send' && d.type === 'ok' && typeof d.queue === 'string' && typeof d.offset === 'number') {
        queue(d.queue).max = Math.max(queue(d.queue).max, d.offset + 1);
        if (typeof d.node === 'string') brokerOf.set(d.queue, d.node);
      } else if (d.f === 'receive' && d.type === 'ok' && typeof d.queue === 'string' && typeof d.offset === 'number') {
        queue(d.queue).consumed = Math.max(queue(d.queue).consumed, d.offset + 1);
        if (typeof d.node === 'string') brokerOf.set(d.queue, d.node);
      }
    } else if (record.kind === 'note' && dataOf(record).what === 'dead-lettered' && typeof dataOf(record).group === 'string') {
      // Past maxReconsumeTimes the broker writes the message to %DLQ%<group> (one queue).
      const name = `${brokerGroupOf(record.node)}:%DLQ%${String(dataOf(record).group)}:0`;
      queue(name).max++;
    } else if (record.kind === 'note' && dataOf(record).what === 'store-recovered') {
      const d = dataOf(record);
      const log = commitLog.get(record.node) ?? { max: 0, messages: 0 };
      log.recovered = Number(d.maxPhy ?? 0);
      log.max = log.recovered;
      commitLog.set(record.node, log);
      // Consume queues rebuilt from the recovered log: their ends are whatever survived.
    }
  }
  const assignments = (input.stores['rocketmq.assignments'] ?? {}) as Record<string, Record<string, string[]>>;
  const owners = new Map<string, string>();
  for (const group of Object.values(assignments)) for (const [client, list] of Object.entries(group)) for (const q of list) owners.set(q, client);
  const dledger = (input.stores['rocketmq.dledger'] ?? {}) as Record<string, { role?: string; leader?: string; term?: number }>;
  for (const node of input.nodes) {
    if (!node.roles.includes('broker')) continue;
    const role = dledger[node.name]?.role ?? (node.roles.includes('slave') ? 'slave' : node.roles.includes('master') ? 'master' : undefined);
    if (role) push(view.badges, node.name, role);
    const log = commitLog.get(node.name) ?? { max: 0, messages: 0 };
    push(view.strips, node.name, {
      label: 'commit log',
      fields: [
        { label: 'max offset', value: String(log.max), term: 'commit log' },
        ...(log.recovered !== undefined ? [{ label: 'recovered to', value: String(log.recovered), term: 'commit log', warn: true }] : []),
      ],
    });
    const group = brokerGroupOf(node.name);
    // Every queue of the group's topics, the retry (%RETRY%group) and dead-letter (%DLQ%group) ones included.
    const mine = [...new Set([...queues.keys(), ...owners.keys()])].filter((q) => q.startsWith(`${group}:`)).sort();
    const scale = Math.max(1, ...mine.map((q) => queues.get(q)?.max ?? 0));
    for (const name of mine) {
      const q = queues.get(name) ?? { max: 0, consumed: 0 };
      // A queue written by the broker itself (retries) shows no send: it holds at least what was read from it.
      q.max = Math.max(q.max, q.consumed);
      const strip = {
        label: name.slice(group.length + 1),
        role: 'consume queue',
        fields: [
          { label: 'max', value: String(q.max), term: 'consume queue' },
          { label: 'consumed', value: String(q.consumed), term: 'consumer offset' },
        ],
        bar: { end: q.max, scale, marks: [{ at: q.consumed, label: 'consumed' }] },
      };
      const owner = owners.get(name);
      push(view.strips, node.name, owner ? { ...strip, owner } : strip);
    }
  }
  const owned = new Map<string, string[]>();
  for (const [q, client] of owners) push(owned, client, q);
  for (const [client, list] of owned) {
    // broker-a:TopicTest:0..3 -> "owns broker-a TopicTest 0, 1, 2, 3"
    const byTopic = new Map<string, string[]>();
    for (const q of list.sort()) push(byTopic, q.slice(0, q.lastIndexOf(':')).replace(':', ' '), q.slice(q.lastIndexOf(':') + 1));
    for (const [topic, ids] of byTopic) push(view.clientDetails, client, `owns ${topic} ${ids.join(', ')}`);
  }
  for (const node of input.nodes) {
    if (!node.roles.includes('namesrv')) continue;
    const state = input.stores[node.name] as { brokers?: Record<string, unknown> } | undefined;
    view.coordinatorNotes.set(node.name, `knows ${Object.keys(state?.brokers ?? {}).length} broker group(s)`);
  }
  return view;
}

/** broker-a-0 (master of group broker-a) -> broker-a. */
function brokerGroupOf(node: string): string {
  return node.replace(/-\d+$/, '');
}

import { dataOf, emptySystemView, payloadOf, push, type Field, type SystemView, type ViewInput } from './model.js';

/**
 * RabbitMQ at an instant: per node its queues with their ready and unacknowledged counts (the
 * model's sampled gauges), a quorum queue's leader and followers (the `rabbitmq-queues` store),
 * and the consumers the broker believes it has, with autoAck or their prefetch (basic.consume
 * and basic.qos as they reached the broker). A consumer stays on the broker's list until the
 * broker notices its connection is gone (missed heartbeats) or the broker itself goes down, which
 * is the point of several drills: a dead client's consumer outlives it.
 */

interface Consumer {
  client: string;
  conn: string;
  queue: string;
  noAck: boolean;
}

export function rabbitmqView(input: ViewInput): SystemView {
  const view = emptySystemView();
  const declared = new Map<string, { node: string; type: string; members: string[] }>();
  const prefetch = new Map<string, number>();
  const consumers = new Map<string, Consumer[]>();
  for (const record of input.records) {
    if (record.t > input.time) break;
    if (record.kind === 'note') {
      const d = dataOf(record);
      if (d.what === 'queue.declare' && typeof d.queue === 'string' && !declared.has(d.queue)) {
        declared.set(d.queue, { node: record.node, type: String(d.type ?? 'classic'), members: String(d.members ?? record.node).split(',') });
      } else if ((d.what === 'missed-heartbeats' || d.what === 'connection-lost') && typeof d.conn === 'string') {
        // The broker (or the client) closed the connection: its consumers go.
        for (const [node, list] of consumers) consumers.set(node, list.filter((c) => c.conn !== d.conn));
      }
    } else if (record.kind === 'node.crash') {
      // A broker that goes down loses its channels, and with them its consumers.
      consumers.delete(record.node);
    } else if (record.kind === 'net.send') {
      const p = payloadOf(record);
      if (record.type === 'basic.qos' && typeof p.conn === 'string') prefetch.set(`${p.conn}/${String(p.channel)}`, Number(p.prefetchCount ?? 0));
      else if (record.type === 'basic.consume-ok' && typeof p.conn === 'string') {
        // The broker's answer: from here on the broker delivers to this consumer.
        const request = findConsume(input, record.i, String(record.to), p.conn);
        if (request) push(consumers, String(record.from), { client: String(record.to), conn: p.conn, queue: String(request.queue), noAck: Boolean(request.noAck) });
      }
    }
  }
  for (const [queue, q] of [...declared].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const leader = ((input.stores['rabbitmq-queues'] as { queues?: Record<string, { leader?: string | null; term?: number }> } | undefined)?.queues ?? {})[queue]?.leader ?? null;
    const hosts = q.type === 'quorum' ? q.members : [q.node];
    const ready = input.gauges[`depth.${queue}`];
    const unacked = input.gauges[`unacked.${queue}`];
    for (const host of hosts) {
      const onThisNode = (consumers.get(host) ?? []).filter((c) => c.queue === queue);
      const fields: Field[] = [];
      const shown = q.type !== 'quorum' || host === leader;
      if (shown) {
        fields.push({ label: 'ready', value: String(ready ?? 0), term: 'ready' });
        fields.push({ label: 'unacked', value: String(unacked ?? 0), term: 'unacked' });
      }
      for (const c of onThisNode) {
        const window = prefetch.get(`${c.conn}/1`);
        fields.push({ label: 'consumer', value: `${c.client} ${c.noAck ? '(autoAck)' : window ? `(prefetch ${window})` : '(manual ack)'}`, term: c.noAck ? 'autoAck' : 'prefetch' });
      }
      const role = q.type === 'quorum' ? (host === leader ? 'quorum leader' : leader ? 'quorum follower' : 'quorum, no leader') : `${q.type} queue`;
      push(view.strips, host, { label: queue, role, fields });
    }
  }
  for (const [node, list] of consumers) {
    for (const c of list) push(view.clientDetails, c.client, `consumes ${c.queue} on ${node}${c.noAck ? ', autoAck' : ''}`);
  }
  for (const node of input.nodes) if (node.roles.includes('broker') && !view.strips.has(node.name)) view.empty = new Map([...(view.empty ?? []), [node.name, 'no queue on this node']]);
  return view;
}

/** The basic.consume a basic.consume-ok answers: the client's latest one on that connection before it. */
function findConsume(input: ViewInput, before: number, client: string, conn: string): Record<string, unknown> | undefined {
  for (let i = Math.min(before, input.records.length) - 1; i >= 0; i--) {
    const r = input.records[i]!;
    if (r.kind === 'net.send' && r.type === 'basic.consume' && r.from === client && payloadOf(r).conn === conn) return payloadOf(r);
  }
  return undefined;
}

import { dataOf, emptySystemView, payloadOf, push, type Strip, type SystemView, type ViewInput } from './model.js';

/**
 * Kafka at an instant: per partition replica a log strip (LEO, HW, leader epoch, ISR membership,
 * the consumer that owns the partition), read from the trace as a packet capture is read:
 * the leader's FetchResponses carry its LEO and HW, a follower's Fetch carries its LEO (the
 * fetch offset), and the brokers' notes say when a log was recovered, truncated or taken over.
 * Internal topics (__consumer_offsets) are left out: no drill is about them.
 */

interface Replica {
  leo: number;
  hw: number;
}

interface PartitionMeta {
  leader?: string | null;
  leaderEpoch?: number;
  isr?: string[];
}

export function kafkaView(input: ViewInput): SystemView {
  const view = emptySystemView();
  const replicas = new Map<string, Replica>();
  const assigned = new Map<string, Set<string>>();
  const replicaSets = new Map<string, string[]>();
  const replica = (broker: string, partition: string): Replica => {
    const key = `${broker}|${partition}`;
    let r = replicas.get(key);
    if (!r) replicas.set(key, (r = { leo: 0, hw: 0 }));
    return r;
  };
  for (const record of input.records) {
    if (record.t > input.time) break;
    if (record.kind === 'note') {
      const d = dataOf(record);
      const partition = typeof d.partition === 'string' ? d.partition : undefined;
      if (!partition) continue;
      if (d.what === 'became-leader' || d.what === 'log-recovered') {
        const r = replica(record.node, partition);
        r.leo = Number(d.leo ?? r.leo);
        r.hw = Number(d.hw ?? r.hw);
      } else if (d.what === 'log-truncated') {
        const r = replica(record.node, partition);
        r.leo = Number(d.to);
        r.hw = Math.min(r.hw, r.leo);
      }
    } else if (record.kind === 'net.send') {
      const p = payloadOf(record);
      const partition = p.topic !== undefined && p.partition !== undefined ? `${p.topic}-${p.partition}` : undefined;
      if (record.type === 'FetchResponse' && partition && p.error === 'NONE') {
        const leader = replica(String(record.from), partition);
        if (typeof p.logEndOffset === 'number') leader.leo = p.logEndOffset;
        if (typeof p.highWatermark === 'number') leader.hw = p.highWatermark;
        const list = p.records as { offset: number }[] | undefined;
        if (replicaSets.get(partition)?.includes(String(record.to)) && list && list.length > 0) {
          const follower = replica(String(record.to), partition);
          follower.leo = Math.max(follower.leo, list[list.length - 1]!.offset + 1);
          follower.hw = Math.min(Number(p.highWatermark ?? follower.hw), follower.leo);
        }
      } else if (record.type === 'Fetch' && partition && typeof p.replica === 'string' && p.replica !== '') {
        const follower = replica(p.replica, partition);
        follower.leo = Number(p.fetchOffset);
        follower.hw = Math.min(follower.hw, follower.leo);
      } else if (record.type === 'LeaderAndIsr' || record.type === 'ZkSetPartitions' || record.type === 'UpdateMetadata') {
        for (const part of (p.partitions ?? []) as { topic: string; partition: number; replicas?: string[] }[]) {
          if (part.replicas) replicaSets.set(`${part.topic}-${part.partition}`, part.replicas);
        }
      }
    } else if (record.kind === 'history') {
      const d = dataOf(record);
      if (d.f === 'send' && d.type === 'ok' && typeof d.node === 'string' && typeof d.queue === 'string' && typeof d.offset === 'number') {
        const r = replica(d.node, d.queue);
        r.leo = Math.max(r.leo, d.offset + 1);
      } else if (d.f === 'assign' && d.type === 'ok') {
        assigned.set(record.node, new Set((d.queues ?? []) as string[]));
      }
    }
  }
  const meta = ((input.stores.kafka as { partitions?: Record<string, PartitionMeta> } | undefined)?.partitions ?? {});
  const owners = partitionOwners(input, assigned);
  const partitions = Object.keys(meta).filter((p) => !p.startsWith('__')).sort(byPartition);
  for (const partition of partitions) {
    const m = meta[partition]!;
    const brokers = replicaSets.get(partition) ?? [...new Set([...(m.isr ?? []), ...(m.leader ? [m.leader] : [])])];
    const scale = Math.max(1, ...brokers.map((b) => replicas.get(`${b}|${partition}`)?.leo ?? 0));
    for (const broker of [...brokers].sort()) {
      const r = replicas.get(`${broker}|${partition}`) ?? { leo: 0, hw: 0 };
      const leads = m.leader === broker;
      const inIsr = (m.isr ?? []).includes(broker);
      const strip: Strip = {
        label: partition,
        role: leads ? 'leader' : 'follower',
        fields: [
          { label: 'LEO', value: String(r.leo), term: 'LEO' },
          { label: 'HW', value: String(r.hw), term: 'HW' },
          inIsr ? { label: 'ISR', value: 'in', term: 'ISR' } : { label: 'ISR', value: 'out', term: 'ISR', warn: true },
          ...(leads ? [{ label: 'epoch', value: String(m.leaderEpoch ?? 0), term: 'leader epoch' }] : []),
        ],
        bar: { end: r.leo, scale, marks: [{ at: r.hw, label: 'HW' }] },
      };
      const owner = owners.get(partition);
      if (leads && owner) strip.owner = owner;
      push(view.strips, broker, strip);
    }
  }
  const controller = (input.stores.kafka as { controller?: string | null } | undefined)?.controller;
  if (controller) push(view.badges, controller, 'controller');
  const consumers = new Set([...assigned.keys(), ...owners.values()]);
  for (const client of consumers) {
    const mine = [...owners].filter(([p, c]) => c === client && !p.startsWith('__')).map(([p]) => p).sort(byPartition);
    view.clientDetails.set(client, [mine.length > 0 ? `reads ${mine.join(', ')}` : 'no partition assigned']);
  }
  for (const [group, g] of Object.entries((input.stores['kafka-groups'] ?? {}) as Record<string, { coordinator?: string; state?: string; generation?: number }>)) {
    if (g.coordinator) push(view.badges, g.coordinator, `coordinator of ${group} (${g.state ?? '?'}, generation ${g.generation ?? 0})`);
  }
  if (controller === undefined || controller === null) view.coordinatorNotes.set('zookeeper', 'no controller yet');
  else view.coordinatorNotes.set('zookeeper', `controller: ${controller}`);
  return view;
}

/** The consumer that owns each partition: the group store's assignment, else the consumers' last assign. */
function partitionOwners(input: ViewInput, assigned: Map<string, Set<string>>): Map<string, string> {
  const owners = new Map<string, string>();
  for (const [client, parts] of assigned) for (const p of parts) owners.set(p, client);
  const groups = (input.stores['kafka-groups'] ?? {}) as Record<string, { members?: Record<string, { client: string; assignment?: string[] }> }>;
  for (const group of Object.values(groups)) {
    for (const member of Object.values(group.members ?? {})) for (const p of member.assignment ?? []) owners.set(p, member.client);
  }
  return owners;
}

/** orders-2 before orders-10. */
function byPartition(a: string, b: string): number {
  const [ta, na] = splitPartition(a);
  const [tb, nb] = splitPartition(b);
  return ta === tb ? na - nb : ta < tb ? -1 : 1;
}

function splitPartition(name: string): [string, number] {
  const dash = name.lastIndexOf('-');
  return [name.slice(0, dash), Number(name.slice(dash + 1))];
}

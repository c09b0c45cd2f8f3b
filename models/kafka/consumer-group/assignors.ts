/**
 * The server-side assignors of the consumer group protocol (KIP-848), named as Kafka names them in
 * `group.consumer.assignors` (default `uniform, range`; the first is the group's default, a member
 * may ask for another with `group.remote.assignor`). Each computes a target assignment from the
 * members' subscriptions and their current target (both are sticky: a member keeps what it had, up
 * to its share, so a member leaving or joining moves only the partitions it must).
 *
 * - uniform (Kafka's UniformAssignor): spreads every subscribed partition over the members as evenly
 *   as it can, each member holding floor(P/N) or one more. With identical subscriptions (the
 *   homogeneous case) each member keeps its current partitions up to its quota, the rest are dealt
 *   in partition order to the members below quota; with different subscriptions each partition goes
 *   to the least-loaded member subscribed to its topic (a member keeps a partition while it is not
 *   above the average of its topic's subscribers).
 * - range (Kafka's server-side RangeAssignor): per topic, the members subscribed to it, sorted by
 *   member id, get consecutive ranges (the first P % N one partition more), so members subscribed to
 *   co-partitioned topics get the same partition numbers of each; a member keeps a partition it
 *   holds while within its range quota.
 */

export type ServerAssignorName = 'uniform' | 'range';
export const SERVER_ASSIGNORS: readonly ServerAssignorName[] = ['uniform', 'range'];

export interface AssignmentSpec {
  /** Member id -> subscribed topics, and its current target assignment ("topic-partition"). */
  members: Map<string, { topics: readonly string[]; current: readonly string[] }>;
  /** Partition count of each subscribed topic (topics that do not exist: absent). */
  partitions: ReadonlyMap<string, number>;
}

/** Member id -> its new target partitions, each list sorted by topic then partition. */
export type TargetAssignment = Map<string, string[]>;

export function computeTarget(assignor: ServerAssignorName, spec: AssignmentSpec): TargetAssignment {
  switch (assignor) {
    case 'uniform': return uniform(spec);
    case 'range': return range(spec);
  }
}

function tp(topic: string, p: number): string {
  return `${topic}-${p}`;
}

function topicOf(partition: string): string {
  return partition.slice(0, partition.lastIndexOf('-'));
}

function sortPartitions(list: string[]): string[] {
  return list.sort((a, b) => {
    const ta = topicOf(a);
    const tb = topicOf(b);
    if (ta !== tb) return ta < tb ? -1 : 1;
    return Number(a.slice(ta.length + 1)) - Number(b.slice(tb.length + 1));
  });
}

function sortedIds(spec: AssignmentSpec): string[] {
  return [...spec.members.keys()].sort();
}

function uniform(spec: AssignmentSpec): TargetAssignment {
  const ids = sortedIds(spec);
  const out: TargetAssignment = new Map(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const first = spec.members.get(ids[0]!)!.topics;
  const homogeneous = ids.every((id) => sameSet(spec.members.get(id)!.topics, first));
  return homogeneous ? uniformHomogeneous(spec, ids, [...first].sort(), out) : uniformHeterogeneous(spec, ids, out);
}

function uniformHomogeneous(spec: AssignmentSpec, ids: string[], topics: string[], out: TargetAssignment): TargetAssignment {
  const all: string[] = [];
  for (const t of topics) for (let p = 0; p < (spec.partitions.get(t) ?? 0); p++) all.push(tp(t, p));
  const valid = new Set(all);
  const minQuota = Math.floor(all.length / ids.length);
  let extra = all.length % ids.length;
  const taken = new Set<string>();
  // Stickiness: each member keeps its current partitions up to its quota.
  for (const id of ids) {
    const mine = out.get(id)!;
    const kept = spec.members.get(id)!.current.filter((q) => valid.has(q) && !taken.has(q));
    let quota = minQuota;
    if (kept.length > minQuota && extra > 0) {
      quota++;
      extra--;
    }
    for (const q of kept.slice(0, quota)) {
      mine.push(q);
      taken.add(q);
    }
  }
  const free = all.filter((q) => !taken.has(q));
  let next = 0;
  // Members below the minimum quota first, then one more each while the remainder lasts.
  for (const id of ids) {
    const mine = out.get(id)!;
    while (mine.length < minQuota && next < free.length) mine.push(free[next++]!);
  }
  for (const id of ids) {
    if (next >= free.length || extra === 0) break;
    const mine = out.get(id)!;
    if (mine.length === minQuota) {
      mine.push(free[next++]!);
      extra--;
    }
  }
  for (const id of ids) sortPartitions(out.get(id)!);
  return out;
}

function uniformHeterogeneous(spec: AssignmentSpec, ids: string[], out: TargetAssignment): TargetAssignment {
  const topics = [...new Set(ids.flatMap((id) => spec.members.get(id)!.topics))].sort();
  const taken = new Set<string>();
  for (const t of topics) {
    const subscribers = ids.filter((id) => spec.members.get(id)!.topics.includes(t));
    const count = spec.partitions.get(t) ?? 0;
    const cap = Math.ceil(count / Math.max(1, subscribers.length));
    for (const id of subscribers) {
      let kept = 0;
      for (const q of spec.members.get(id)!.current) {
        if (topicOf(q) !== t || taken.has(q) || Number(q.slice(t.length + 1)) >= count || kept >= cap) continue;
        out.get(id)!.push(q);
        taken.add(q);
        kept++;
      }
    }
    for (let p = 0; p < count; p++) {
      const q = tp(t, p);
      if (taken.has(q)) continue;
      let best: string | null = null;
      for (const id of subscribers) if (best === null || out.get(id)!.length < out.get(best)!.length) best = id;
      if (best === null) break;
      out.get(best)!.push(q);
      taken.add(q);
    }
  }
  for (const id of ids) sortPartitions(out.get(id)!);
  return out;
}

function range(spec: AssignmentSpec): TargetAssignment {
  const ids = sortedIds(spec);
  const out: TargetAssignment = new Map(ids.map((id) => [id, []]));
  const topics = [...new Set(ids.flatMap((id) => spec.members.get(id)!.topics))].sort();
  for (const t of topics) {
    const subscribers = ids.filter((id) => spec.members.get(id)!.topics.includes(t));
    const count = spec.partitions.get(t) ?? 0;
    if (subscribers.length === 0 || count === 0) continue;
    const base = Math.floor(count / subscribers.length);
    const quota = new Map(subscribers.map((id, i) => [id, base + (i < count % subscribers.length ? 1 : 0)]));
    const taken = new Set<number>();
    const got = new Map<string, number[]>(subscribers.map((id) => [id, []]));
    for (const id of subscribers) {
      for (const q of spec.members.get(id)!.current) {
        if (topicOf(q) !== t) continue;
        const p = Number(q.slice(t.length + 1));
        if (p >= count || taken.has(p) || got.get(id)!.length >= quota.get(id)!) continue;
        got.get(id)!.push(p);
        taken.add(p);
      }
    }
    let p = 0;
    for (const id of subscribers) {
      const mine = got.get(id)!;
      while (mine.length < quota.get(id)!) {
        while (taken.has(p)) p++;
        mine.push(p);
        taken.add(p);
      }
      for (const n of mine.sort((a, b) => a - b)) out.get(id)!.push(tp(t, n));
    }
  }
  for (const id of ids) sortPartitions(out.get(id)!);
  return out;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t) => b.includes(t));
}

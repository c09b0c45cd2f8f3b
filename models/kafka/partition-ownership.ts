import type { KafkaStats } from './stats.js';

/**
 * Who consumes each partition of each consumer group, as the members themselves see it (the
 * partitions a live member holds after its last assignment, revocation or loss), and for how long
 * each partition had nobody: revoked in an eager rebalance, held by a member that was killed until
 * its session times out, held by a static member that is restarting, or moving from one member to
 * another. A partition counts only once some member has held it (the group's first assignment
 * is not a gap). Reported as `partitionsUnownedMs` (time with any partition of a group unowned),
 * `partitionsUnownedMax` (the most partitions of a group unowned at once: all of them in a
 * stop-the-world rebalance), `partitionUnownedMsMax` (the longest gap of one partition), `partitionUnownedMsTotal`
 * (partition-milliseconds) and `partitionUnownedMsMean` (that over the partitions: how long the
 * group as a whole was, in effect, stopped). The model's own bookkeeping: nothing of it is in the trace.
 */
export class PartitionOwnership {
  /** group -> partition -> members holding it. */
  private readonly owners = new Map<string, Map<string, Set<string>>>();
  /** group -> partition -> since when it has been unowned (absent: owned or never owned). */
  private readonly unownedSince = new Map<string, Map<string, number>>();
  /** group -> since when at least one of its partitions has been unowned, and how many are. */
  private readonly groupGap = new Map<string, { since: number; count: number }>();
  /** member node -> group -> what it holds. */
  private readonly held = new Map<string, Map<string, Set<string>>>();
  private readonly totals = { any: 0, max: 0, total: 0, most: 0 };

  constructor(private readonly now: () => number) {}

  /** A member's partitions now (after an assignment, a revocation, a loss or its close). */
  set(member: string, group: string, partitions: readonly string[]): void {
    let byGroup = this.held.get(member);
    if (!byGroup) this.held.set(member, (byGroup = new Map()));
    const before = byGroup.get(group) ?? new Set<string>();
    const after = new Set(partitions);
    byGroup.set(group, after);
    for (const q of after) if (!before.has(q)) this.gain(group, q, member);
    for (const q of before) if (!after.has(q)) this.lose(group, q, member);
  }

  /** The member's process is gone (killed, crashed, exited): it holds nothing. */
  dropNode(member: string): void {
    const byGroup = this.held.get(member);
    if (!byGroup) return;
    for (const group of [...byGroup.keys()]) this.set(member, group, []);
  }

  private gain(group: string, q: string, member: string): void {
    let byPartition = this.owners.get(group);
    if (!byPartition) this.owners.set(group, (byPartition = new Map()));
    let set = byPartition.get(q);
    if (!set) byPartition.set(q, (set = new Set()));
    set.add(member);
    const since = this.unownedSince.get(group)?.get(q);
    if (since === undefined) return;
    this.unownedSince.get(group)!.delete(q);
    const gap = this.now() - since;
    this.totals.total += gap;
    if (gap > this.totals.max) this.totals.max = gap;
    const g = this.groupGap.get(group)!;
    if (--g.count === 0) {
      this.totals.any += this.now() - g.since;
      this.groupGap.delete(group);
    }
  }

  private lose(group: string, q: string, member: string): void {
    const set = this.owners.get(group)?.get(q);
    if (!set || !set.delete(member) || set.size > 0) return;
    let since = this.unownedSince.get(group);
    if (!since) this.unownedSince.set(group, (since = new Map()));
    since.set(q, this.now());
    const g = this.groupGap.get(group);
    if (g) g.count++;
    else this.groupGap.set(group, { since: this.now(), count: 1 });
    const count = g ? g.count : 1;
    if (count > this.totals.most) this.totals.most = count;
  }

  /** The counts as of now (gaps still open count up to now). */
  report(stats: KafkaStats): void {
    const now = this.now();
    let any = this.totals.any;
    let max = this.totals.max;
    let total = this.totals.total;
    for (const g of this.groupGap.values()) any += now - g.since;
    for (const byPartition of this.unownedSince.values()) {
      for (const since of byPartition.values()) {
        total += now - since;
        if (now - since > max) max = now - since;
      }
    }
    stats.partitionsUnownedMs = Math.round(any / 1000);
    stats.partitionUnownedMsMax = Math.round(max / 1000);
    stats.partitionUnownedMsTotal = Math.round(total / 1000);
    stats.partitionsUnownedMax = this.totals.most;
    let partitions = 0;
    for (const byPartition of this.owners.values()) partitions += byPartition.size;
    stats.partitionUnownedMsMean = partitions === 0 ? 0 : Math.round(total / 1000 / partitions);
  }
}

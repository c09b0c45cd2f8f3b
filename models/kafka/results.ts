import type { StateStore } from '../../sim/state.js';
import type { World } from '../../sim/world.js';
import type { KafkaBroker } from './broker/kafka-server.js';
import { KafkaConsumer } from './consumer.js';
import type { TopicAssignment } from './controller.js';
import { OFFSETS_TOPIC } from './group-coordinator.js';
import { TRANSACTION_STATE_TOPIC } from './coordinator/transaction/transaction-coordinator.js';
import type { KafkaStats } from './stats.js';
import type { KafkaControlState } from './zookeeper.js';

/** A consumer entry of the scenario as the model built it. */
export interface ConsumerGroupPlan {
  group: string;
  topic: TopicAssignment;
  topics: TopicAssignment[];
  mode: 'subscribe' | 'assign';
  names: string[];
  /** isolation.level=read_committed: its lag is measured against the last stable offset. */
  readCommitted?: boolean;
}

export interface ResultSources {
  world: World;
  store: StateStore<KafkaControlState>;
  topics: readonly TopicAssignment[];
  consumerGroups: readonly ConsumerGroupPlan[];
  stats: KafkaStats;
  /** The live broker actors by node name. */
  brokers: ReadonlyMap<string, KafkaBroker>;
  /** The live actor of a node (undefined once crashed). */
  consumer(name: string): unknown;
  /** The broker coordinating a group, as the group store last showed it. */
  groupCoordinator(group: string): string | undefined;
}

/**
 * What the Kafka model reports beyond the client history: each group's committed offsets (from
 * its current coordinator), the `lag.<group>.<topic-partition>` gauges (high watermark minus the
 * committed offset; the last stable offset for a read_committed group, as Kafka's consumer reports it), and the final read of what is still retained for some reader.
 */
export class KafkaResults {
  private readonly lagGauges = new Set<string>();

  constructor(private readonly from: ResultSources) {}

  /** A group's committed offsets ("topic-partition" -> offset), from its current coordinator. */
  committed(group: string): ReadonlyMap<string, number> {
    const coordinator = this.from.groupCoordinator(group);
    const broker = coordinator !== undefined ? this.from.brokers.get(coordinator) : undefined;
    return broker?.committedOffsets().get(group) ?? new Map();
  }

  /** The leader's high watermark, or its last stable offset for a read_committed group (-1: no leader). */
  private highWatermark(tp: string, readCommitted = false): number {
    const leader = this.from.store.state.partitions[tp]?.leader;
    const broker = leader ? this.from.brokers.get(leader) : undefined;
    const r = broker?.inspect(tp);
    if (!r) return -1;
    return readCommitted ? r.lso : r.hw;
  }

  private lagGauge(group: string, tp: string, readCommitted: boolean): void {
    const stats = this.from.stats;
    this.from.world.metrics.gauge(`lag.${group}.${tp}`, () => {
      const hw = this.highWatermark(tp, readCommitted);
      if (hw < 0) return 0;
      const offset = this.committed(group).get(tp) ?? 0;
      const lag = Math.max(0, hw - offset);
      if (lag > stats.lagMax) stats.lagMax = lag;
      return lag;
    });
  }

  /** Lag gauges for every subscribing group of topic `t` (again after CreatePartitions: only the new ones). */
  addLagGauges(t: TopicAssignment): void {
    for (const g of this.from.consumerGroups) {
      if (g.mode !== 'subscribe' || !g.topics.includes(t)) continue;
      for (let p = 0; p < t.partitions.length; p++) {
        const key = `${g.group}|${t.topic}-${p}`;
        if (this.lagGauges.has(key)) continue;
        this.lagGauges.add(key);
        this.lagGauge(g.group, `${t.topic}-${p}`, g.readCommitted === true);
      }
    }
  }

  /**
   * With transactions: a gauge `lso-behind.<topic-partition>` (high watermark minus last stable
   * offset: records read_committed consumers may not read yet) per partition of `t`, and at each
   * sample the time the LSO has stood still below the HW, whose largest value is the count
   * `lsoStuckMsMax` (a stuck LSO: read_committed consumers make no progress there).
   */
  addLsoGauges(t: TopicAssignment): void {
    if (t.topic === OFFSETS_TOPIC || t.topic === TRANSACTION_STATE_TOPIC) return;
    const { world, stats } = this.from;
    for (let p = 0; p < t.partitions.length; p++) {
      const tp = `${t.topic}-${p}`;
      let stuck: { lso: number; since: number } | null = null;
      world.metrics.gauge(`lso-behind.${tp}`, () => {
        const hw = this.highWatermark(tp);
        const lso = this.highWatermark(tp, true);
        if (hw < 0 || lso >= hw) {
          stuck = null;
          return 0;
        }
        if (stuck === null || stuck.lso !== lso) stuck = { lso, since: world.now };
        stats.lsoStuckMsMax = Math.max(stats.lsoStuckMsMax, (world.now - stuck.since) / 1000);
        return hw - lso;
      });
    }
  }

  /**
   * Partitions whose last stable offset is below the high watermark at the end of the run (on
   * their leader): a transaction still open there (a hanging or undecided transaction), so
   * read_committed consumers cannot read past it.
   */
  unstablePartitions(): number {
    const { topics, store, brokers } = this.from;
    let n = 0;
    for (const t of topics) {
      if (t.topic === OFFSETS_TOPIC || t.topic === TRANSACTION_STATE_TOPIC) continue;
      for (let p = 0; p < t.partitions.length; p++) {
        const tp = `${t.topic}-${p}`;
        const leader = store.state.partitions[tp]?.leader ?? null;
        const r = leader ? brokers.get(leader)?.inspect(tp) : undefined;
        if (r && r.log.txns.firstUnstableOffset < r.hw) n++;
      }
    }
    return n;
  }

  /**
   * The final read: per partition, the records below the high watermark of its leader (or,
   * when offline, of the replica with the longest log) that some group reading the topic has
   * not consumed yet: past its committed offset (subscribe) or the consumer's fetch position
   * (assign). Topics nobody reads keep everything.
   */
  retained(): ReadonlySet<string> {
    const { topics, consumerGroups, store, brokers } = this.from;
    const out = new Set<string>();
    for (const t of topics) {
      if (t.topic === OFFSETS_TOPIC || t.topic === TRANSACTION_STATE_TOPIC) continue;
      const readers = consumerGroups.filter((g) => g.topics.includes(t));
      for (let p = 0; p < t.partitions.length; p++) {
        const tp = `${t.topic}-${p}`;
        const leader = store.state.partitions[tp]?.leader ?? null;
        let source = leader ? brokers.get(leader)?.inspect(tp) : undefined;
        if (!source) {
          for (const b of brokers.values()) {
            const r = b.inspect(tp);
            if (r && (!source || r.leo > source.leo)) source = r;
          }
        }
        if (!source) continue;
        let from = readers.length === 0 ? 0 : Number.POSITIVE_INFINITY;
        for (const g of readers) {
          if (g.mode === 'subscribe') from = Math.min(from, this.committed(g.group).get(tp) ?? 0);
          else if (g.topic === t) {
            for (const name of g.names) {
              const consumer = this.from.consumer(name);
              from = Math.min(from, (consumer instanceof KafkaConsumer ? consumer.positionOf(p) : undefined) ?? 0);
            }
          }
        }
        const start = Math.max(from, source.log.logStartOffset);
        for (const r of source.log.read(start, source.hw, Number.POSITIVE_INFINITY)) if (r.control === undefined) out.add(r.msg);
      }
    }
    return out;
  }
}

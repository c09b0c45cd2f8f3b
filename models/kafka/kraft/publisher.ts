import type { StateStore } from '../../../sim/state.js';
import type { PartitionState } from '../protocol.js';
import type { KafkaStats } from '../stats.js';
import { compareBrokers, type KafkaControlState } from '../zookeeper.js';
import { MetadataImage } from './image.js';
import type { MetadataEntry } from './protocol.js';

export interface PublisherHooks {
  /** A fencing of `broker` committed (the failure-detection metric). */
  fenced(broker: string): void;
  /** After each batch of committed records was published (offline count, invariants). */
  after(node: string): void;
  /** A PartitionRecord committed (a topic created, or partitions added by CreatePartitions). */
  partitionCreated?(state: PartitionState): void;
}

/**
 * Mirrors the committed `__cluster_metadata` log into world.store('kafka') (controller, epoch,
 * unfenced brokers, partition states), so KRaft runs trace the same control-plane view as
 * ZooKeeper mode, and counts what the committed records did: leader elections (clean or not),
 * ISR shrinks and expansions, broker fencings. Whichever voter first learns that the high
 * watermark passed some records publishes them; Raft guarantees every voter's log holds the
 * same committed prefix.
 */
export function kraftPublisher(store: StateStore<KafkaControlState>, stats: KafkaStats, hooks: PublisherHooks): (node: string, log: readonly MetadataEntry[], highWatermark: number) => void {
  const image = new MetadataImage();
  return (node, log, highWatermark) => {
    if (highWatermark <= image.offset) return;
    const touched = new Set<string>();
    let controller: { name: string; epoch: number } | null = null;
    let brokersChanged = false;
    for (let o = image.offset; o < highWatermark && o < log.length; o++) {
      const entry = log[o]!;
      const r = entry.record;
      if (r.type === 'PartitionChangeRecord') {
        const key = `${r.state.topic}-${r.state.partition}`;
        const before = image.partitions.get(key);
        if (before && r.state.leader !== null && r.state.leader !== before.leader) {
          stats.leaderElections++;
          if (!before.isr.includes(r.state.leader)) stats.uncleanElections++;
        } else if (before && r.state.leader === before.leader) {
          if (r.state.isr.length < before.isr.length) stats.isrShrinks++;
          else if (r.state.isr.length > before.isr.length) stats.isrExpands++;
        }
      } else if (r.type === 'BrokerRegistrationChangeRecord' && r.fenced && image.isUnfenced(r.broker)) {
        stats.brokerFencings++;
        hooks.fenced(r.broker);
      }
      image.apply(entry);
      if (r.type === 'PartitionRecord') hooks.partitionCreated?.(r.state);
      if (r.type === 'PartitionRecord' || r.type === 'PartitionChangeRecord') touched.add(`${r.state.topic}-${r.state.partition}`);
      else if (r.type === 'LeaderChangeMessage') controller = { name: r.leader, epoch: entry.epoch };
      else if (r.type === 'RegisterBrokerRecord' || r.type === 'BrokerRegistrationChangeRecord') brokersChanged = true;
    }
    store.update((s) => {
      if (controller) {
        s.controller = controller.name;
        s.controllerEpoch = controller.epoch;
      }
      if (brokersChanged) s.liveBrokers = image.unfencedBrokers().sort(compareBrokers);
      for (const key of touched) {
        const p = image.partitions.get(key)!;
        s.partitions[key] = { leader: p.leader, leaderEpoch: p.leaderEpoch, isr: [...p.isr], partitionEpoch: p.partitionEpoch };
      }
    }, 'metadata records committed');
    hooks.after(node);
  };
}

import type { PartitionState } from '../protocol.js';
import type { MetadataEntry, MetadataRecord } from './protocol.js';

/** A broker's registration as the metadata log says it (ClusterControlManager's view). */
export interface BrokerRegistrationState {
  incarnation: number;
  /** The offset of its RegisterBrokerRecord. */
  brokerEpoch: number;
  fenced: boolean;
}

/**
 * The metadata image: what replaying `__cluster_metadata` up to some offset gives. The active
 * controller keeps one (with its own uncommitted records applied, as the QuorumController does
 * in its snapshot registry), brokers keep one built from committed records only.
 */
export class MetadataImage {
  readonly brokers = new Map<string, BrokerRegistrationState>();
  readonly partitions = new Map<string, PartitionState>();
  nextProducerId = 0;
  /** Offset of the next entry to apply (= entries applied). */
  offset = 0;
  /** Epoch of the last applied entry (0: none). */
  lastEpoch = 0;

  apply(entry: MetadataEntry): void {
    applyRecord(this, entry.record);
    this.offset = entry.offset + 1;
    this.lastEpoch = entry.epoch;
  }

  isUnfenced(broker: string): boolean {
    const b = this.brokers.get(broker);
    return b !== undefined && !b.fenced;
  }

  unfencedBrokers(): string[] {
    const out: string[] = [];
    for (const [name, b] of this.brokers) if (!b.fenced) out.push(name);
    return out;
  }

  static replay(entries: readonly MetadataEntry[], upTo = entries.length): MetadataImage {
    const image = new MetadataImage();
    for (let i = 0; i < upTo; i++) image.apply(entries[i]!);
    return image;
  }
}

function applyRecord(image: MetadataImage, record: MetadataRecord): void {
  switch (record.type) {
    case 'RegisterBrokerRecord':
      image.brokers.set(record.broker, { incarnation: record.incarnation, brokerEpoch: record.brokerEpoch, fenced: true });
      return;
    case 'BrokerRegistrationChangeRecord': {
      const b = image.brokers.get(record.broker);
      if (b && b.brokerEpoch === record.brokerEpoch) image.brokers.set(record.broker, { ...b, fenced: record.fenced });
      return;
    }
    case 'PartitionRecord':
    case 'PartitionChangeRecord':
      image.partitions.set(`${record.state.topic}-${record.state.partition}`, record.state);
      return;
    case 'ProducerIdsRecord':
      image.nextProducerId = record.nextProducerId;
      return;
    case 'LeaderChangeMessage':
      return;
    default:
  }
}

import { timersOf } from '../../../sim/timers.js';
import type { DelayedProduce, InternalWaiter, ParkedFetch, Partition } from './partition.js';

/**
 * The broker's own timers (the tags are folded into the trace hash: keep them as they are).
 * A combined-mode broker also fires its hosted KRaft controller's timers, a KRaft broker its
 * metadata client's, and a coordinator its groups' (kafka-server.ts routes those).
 */
export type BrokerTimer =
  // ZooKeeper session (zk-client.ts)
  | { tag: 'zk-connect'; data: undefined }
  | { tag: 'zk-ping'; data: undefined }
  // periodic duties
  | { tag: 'hw-checkpoint'; data: undefined }
  | { tag: 'isr-expiration'; data: undefined }
  | { tag: 'retention'; data: undefined }
  | { tag: 'leader-rebalance'; data: undefined }
  // purgatories (replica-manager.ts)
  | { tag: 'produce-timeout'; data: DelayedProduce }
  | { tag: 'internal-timeout'; data: { replica: Partition; waiter: InternalWaiter } }
  | { tag: 'fetch-wait'; data: ParkedFetch }
  // follower loop (replica-fetcher.ts)
  | { tag: 'replica-follow'; data: Partition }
  | { tag: 'replica-fetch'; data: Partition }
  | { tag: 'replica-fetch-timeout'; data: { replica: Partition; id: number } }
  // ISR proposals (partition.ts)
  | { tag: 'alter-partition-retry'; data: Partition }
  // the controller's channel to a broker (../controller.ts)
  | { tag: 'controller-channel-retry'; data: { broker: string; epoch: number } }
  // graceful stop (controlled-shutdown.ts)
  | { tag: 'controlled-shutdown-retry'; data: { id: number; backoff: boolean } };

export const brokerTimers = timersOf<BrokerTimer>();

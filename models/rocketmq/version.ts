import type { Micros } from '../../sim/time.js';

/**
 * The RocketMQ version the model follows. Where 4.x and 5.x differ in what users see, the model
 * switches on `cluster.version`; everything else is the same in both:
 *
 * - NameServer scanNotActiveBroker (RouteInfoManager): 4.x runs it every 10 s, fixed, the first
 *   time 5 s after start (NamesrvController: scheduleAtFixedRate(..., 5, 10, SECONDS)); 5.x
 *   every NamesrvConfig.scanNotActiveBrokerInterval (default 5000 ms, settable in namesrv.conf),
 *   the first time 5 ms after start. A broker not heard from for 120 s (BROKER_CHANNEL_EXPIRED_TIME,
 *   a constant in both) is dropped at the first scan after that.
 * - SYNC_MASTER (CommitLog.handleHA): 4.x waits for one slave (FLUSH_SLAVE_TIMEOUT after
 *   slaveTimeout) and answers SLAVE_NOT_AVAILABLE at once when none is connected and close
 *   enough; 5.x waits for inSyncReplicas - 1 slaves (MessageStoreConfig, default 1: none) and
 *   never answers SLAVE_NOT_AVAILABLE. Seen on a real 5.3.3: conformance probes
 *   sync-master-slave-killed, slave-restart-catches-up.
 * - Reading from a slave: a 4.x slave serves PULL_MESSAGE; a 5.x one refuses every pull
 *   (PullMessageProcessor.rejectRequest: SYSTEM_BUSY) unless slaveReadEnable. Seen on 5.3.3:
 *   master-kill9-slave-refuses-pulls.
 *
 * The default is 4.9 (what the model followed before the switch existed); conformance runs each
 * probe at the version of the real broker it is compared with (5.3 for the pinned 5.3.3).
 */
export const ROCKET_VERSIONS = ['4.9', '5.3'] as const;
export type RocketVersion = (typeof ROCKET_VERSIONS)[number];
export const DEFAULT_ROCKET_VERSION: RocketVersion = '4.9';

/** NamesrvConfig.scanNotActiveBrokerInterval's default in 5.x (ms). */
export const SCAN_NOT_ACTIVE_BROKER_INTERVAL_5X = 5000;

/** When a NameServer scans for expired brokers: the first scan after start, then the period. */
export interface ScanSchedule {
  readonly first: Micros;
  readonly every: Micros;
}

/** `interval` is the scenario's scanNotActiveBrokerInterval (ms; 5.x only, rejected for 4.x before this). */
export function scanSchedule(version: RocketVersion, interval: number | undefined): ScanSchedule {
  if (version === '4.9') return { first: 5_000_000, every: 10_000_000 };
  return { first: 5_000, every: (interval ?? SCAN_NOT_ACTIVE_BROKER_INTERVAL_5X) * 1000 };
}

/** "5.3.3" (a real broker's version) -> the model's version that follows it. */
export function rocketVersionOf(real: string): RocketVersion {
  return real.startsWith('4.') ? '4.9' : '5.3';
}

import type { Outcome } from './outcome.js';
import type { BrokerControl } from './rabbitmq/real.js';
import { kafkaConformance, kafkaZkConformance } from './kafka/system.js';
import { rabbitmqConformance } from './rabbitmq/system.js';
import { rocketmqConformance } from './rocketmq/system.js';

/**
 * The systems conformance knows: each brings its probes, a way to start its real broker on
 * loopback, a runner against a real broker and a runner through the model. Kafka and RocketMQ
 * join this list with their own folder beside rabbitmq/.
 */
/** Faults on the harness's own broker (kill -9 and restart). */
export type { BrokerControl };

export interface ConformanceSystem {
  readonly system: string;
  /**
   * What `--system` selects, when one system has several (Kafka: `kafka` for 4.0.2 in KRaft mode,
   * `kafka-zk` for 3.9.1 in ZooKeeper mode); default `system`. Recordings and DIVERGENCES.md rows
   * go by `system` and the version.
   */
  readonly name?: string;
  /** The metadata mode a recording carries (Kafka: kraft or zookeeper). */
  readonly mode?: string;
  /** needsBrokerControl: the probe kills or restarts the broker, so it runs only on the harness's own broker. */
  readonly probes: readonly { readonly id: string; readonly about: string; readonly needsBrokerControl: boolean }[];
  /** Start the real broker from the project's own files (loopback only); stop() cleans everything up. */
  startBroker(): Promise<{ url: string; version: string; stop(): Promise<void> } & BrokerControl>;
  /** The version a running broker reports. */
  serverVersion(url: string): Promise<string>;
  runReal(url: string, probe: string, control?: BrokerControl): Promise<Outcome>;
  /** The probe through the model, following the given real version where versions differ. */
  runModel(probe: string, realVersion: string): Outcome;
  /**
   * How many probes that leave the broker alone may run against it at once (default 1). Probes
   * that kill or stop the broker always run alone, after the others.
   */
  readonly concurrency?: number;
}

export const CONFORMANCE_SYSTEMS: readonly ConformanceSystem[] = [rabbitmqConformance, kafkaConformance, kafkaZkConformance, rocketmqConformance];

/** The name `--system` selects a system by. */
export function systemName(system: ConformanceSystem): string {
  return system.name ?? system.system;
}

export function conformanceSystem(name: string): ConformanceSystem | undefined {
  return CONFORMANCE_SYSTEMS.find((s) => systemName(s) === name);
}

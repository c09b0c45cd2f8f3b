import type { ConformanceSystem } from '../systems.js';
import { startRocketBroker, type RocketBrokerControl } from './broker.js';
import { runDriver } from './driver.js';
import { runProbeInModel } from './model.js';
import { needsBrokerControl, outcomeOf } from './probe.js';
import { ROCKETMQ_PROBES } from './probes.js';
import { runProbeOnRealBroker } from './real.js';
import { rocketVersionOf } from '../../models/rocketmq/version.js';

/**
 * RocketMQ in the conformance harness. Each probe runs in the model at the version of the real
 * broker it is compared with (cluster.version "5.3" for 5.3.3: models/rocketmq/version.ts).
 */
export const rocketmqConformance: ConformanceSystem = {
  system: 'rocketmq',
  probes: ROCKETMQ_PROBES.map((p) => ({ id: p.id, about: p.about, needsBrokerControl: needsBrokerControl(p) })),
  startBroker: startRocketBroker,
  // Each probe has topics and groups of its own and mostly waits (rebalances, delay levels): three at a time.
  concurrency: 3,
  async serverVersion(url) {
    // What the cluster's brokers report (brokerVersionDesc, V5_3_3 -> 5.3.3).
    const result = await runDriver(url, [{ op: 'version' }]);
    const versions = result.versions ?? [];
    if (result.failure !== undefined || versions.length === 0) throw new Error(result.failure ?? 'no broker registered with that NameServer');
    return versions[0]!.replace(/^V/, '').replace(/_/g, '.');
  },
  async runReal(url, id, control) {
    const probe = ROCKETMQ_PROBES.find((p) => p.id === id)!;
    return outcomeOf(probe, await runProbeOnRealBroker(url, probe, control as RocketBrokerControl | undefined));
  },
  runModel(id, realVersion) {
    const probe = ROCKETMQ_PROBES.find((p) => p.id === id)!;
    return outcomeOf(probe, runProbeInModel(probe, rocketVersionOf(realVersion)));
  },
};

import type { ConformanceSystem } from '../systems.js';
import { startRocketBroker, type RocketBrokerControl } from './broker.js';
import { runDriver } from './driver.js';
import { runProbeInModel } from './model.js';
import { needsBrokerControl, outcomeOf } from './probe.js';
import { ROCKETMQ_PROBES } from './probes.js';
import { runProbeOnRealBroker } from './real.js';

/**
 * RocketMQ in the conformance harness. The model follows RocketMQ 4.x where 4.x and 5.x differ
 * in what these probes see; so far none of the probes' outcomes depends on the major version
 * (the recordings are of 5.x), and the version is passed on for when one does.
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
  runModel(id) {
    const probe = ROCKETMQ_PROBES.find((p) => p.id === id)!;
    return outcomeOf(probe, runProbeInModel(probe));
  },
};

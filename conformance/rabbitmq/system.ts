import amqp from 'amqplib';
import type { ConformanceSystem } from '../systems.js';
import { startRabbitBroker } from './broker.js';
import { runProbeInModel } from './model.js';
import { needsBrokerControl, outcomeOf } from './probe.js';
import { RABBITMQ_PROBES } from './probes.js';
import { runProbeOnRealBroker } from './real.js';
import type { ModelVersion } from './topology.js';

/** The model version that follows a real RabbitMQ version: 4.x as 4.0, anything older as 3.10. */
export function modelVersionFor(real: string): ModelVersion {
  return Number(real.split('.')[0]) >= 4 ? '4.0' : '3.10';
}

export const rabbitmqConformance: ConformanceSystem = {
  system: 'rabbitmq',
  probes: RABBITMQ_PROBES.map((p) => ({ id: p.id, about: p.about, needsBrokerControl: needsBrokerControl(p) })),
  startBroker: startRabbitBroker,
  async serverVersion(url) {
    const conn = await amqp.connect(url);
    try {
      return String(conn.connection.serverProperties.version ?? 'unknown');
    } finally {
      await conn.close();
    }
  },
  async runReal(url, id, control) {
    const probe = RABBITMQ_PROBES.find((p) => p.id === id)!;
    return outcomeOf(probe, await runProbeOnRealBroker(url, probe, control));
  },
  runModel(id, realVersion) {
    const probe = RABBITMQ_PROBES.find((p) => p.id === id)!;
    return outcomeOf(probe, runProbeInModel(probe, modelVersionFor(realVersion)));
  },
};

import { rabbitmqModel } from '../../models/rabbitmq/index.js';
import type { RabbitScenario } from '../../models/rabbitmq/scenario.js';
import { scenarioSchema } from '../../sim/scenario/schema.js';
import type { RabbitProbe } from './probe.js';

/**
 * A probe's topology validated by the scenario schema (so a probe uses only what a scenario file
 * may say, and durations/sizes are parsed once): the model builds it as a scenario, the real
 * runner declares it with amqplib from the same parsed values.
 */

const schema = scenarioSchema(rabbitmqModel.parts);

/** RabbitMQ version the model follows in a probe run (the recording's). */
export type ModelVersion = '3.10' | '4.0';

export function probeScenario(probe: RabbitProbe, duration: string, version?: ModelVersion): RabbitScenario {
  const raw: Record<string, unknown> = { name: `conformance-${probe.id}`, system: 'rabbitmq', seed: 1, duration };
  if (probe.exchanges) raw.exchanges = probe.exchanges;
  if (probe.queues) raw.queues = probe.queues;
  if (probe.bindings) raw.bindings = probe.bindings;
  if (version !== undefined) raw.cluster = { version };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`probe ${probe.id}: ${parsed.error.message}`);
  return parsed.data as RabbitScenario;
}

import { kafkaModel, type KafkaRun, type KafkaScenario } from '../models/kafka/index.js';
import { scenarioSchema } from '../sim/scenario/schema.js';
import { World, type WorldResult } from '../sim/world.js';

/** Kafka scenarios written as plain objects (text durations), parsed by the model's schema, run in a World. */

const schema = scenarioSchema(kafkaModel.parts);

export function parseKafka(raw: Record<string, unknown>): KafkaScenario {
  return schema.parse({ name: 'kafka-test', system: 'kafka', ...raw }) as KafkaScenario;
}

export interface KafkaTestRun {
  result: WorldResult;
  model: KafkaRun;
  world: World;
}

/** Builds and runs; `probe(world, model)` may schedule checks before the run starts. */
export function runKafka(raw: Record<string, unknown>, options: { seed?: number; probe?: (world: World, model: KafkaRun) => void } = {}): KafkaTestRun {
  const scenario = parseKafka(raw);
  const world = new World({ seed: options.seed ?? scenario.seed ?? 1, keepHistory: true });
  const model = kafkaModel.build(world, scenario);
  options.probe?.(world, model);
  const run: Parameters<World['run']>[0] = { duration: scenario.duration };
  if (scenario.drain !== undefined) run.drain = scenario.drain;
  if (scenario.faults !== undefined) run.faults = scenario.faults;
  return { result: world.run(run), model, world };
}

/** Runs `fn` at virtual time `at` (test probes). */
export function at(world: World, time: number, fn: () => void): void {
  world.kernel.at(time, fn, undefined);
}

export const earliest = { 'auto.offset.reset': 'earliest' };

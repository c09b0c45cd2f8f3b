import { rocketmqModel, type RocketScenario } from '../models/rocketmq/index.js';
import type { ModelRun } from '../models/model.js';
import { scenarioSchema } from '../sim/scenario/schema.js';
import { World, type WorldResult } from '../sim/world.js';

/** Runs RocketMQ scenarios written as plain objects (text durations), parsed by the model's schema. */

const schema = scenarioSchema(rocketmqModel.parts);

export function parseRocket(raw: Record<string, unknown>): RocketScenario {
  return schema.parse({ name: 'rocketmq-test', system: 'rocketmq', ...raw }) as RocketScenario;
}

export interface RocketRun {
  result: WorldResult;
  model: ModelRun;
  world: World;
  counts: Record<string, number>;
}

export function runRocket(raw: Record<string, unknown>, seed: number | string = 1, keepHistory = false): RocketRun {
  const scenario = parseRocket(raw);
  const world = new World({ seed, keepHistory, maxTime: scenario.duration + (scenario.drain ?? 30_000_000) });
  const model = rocketmqModel.build(world, scenario);
  const options: Parameters<World['run']>[0] = { duration: scenario.duration, finalRead: () => model.retained!() };
  if (scenario.drain !== undefined) options.drain = scenario.drain;
  if (scenario.faults !== undefined) options.faults = scenario.faults;
  const result = world.run(options);
  return { result, model, world, counts: { ...result.check.counts, ...model.counts() } };
}

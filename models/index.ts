import { demoModel } from './demo/index.js';
import { kafkaModel } from './kafka/index.js';
import { rabbitmqModel } from './rabbitmq/index.js';
import { rocketmqModel } from './rocketmq/index.js';
import type { ModelDefinition } from './model.js';

/**
 * The registry: system name -> the model (its scenario schema parts and its builder).
 * A new system is one line here.
 */
export const MODELS: Readonly<Record<string, ModelDefinition>> = {
  demo: demoModel,
  kafka: kafkaModel,
  rabbitmq: rabbitmqModel,
  rocketmq: rocketmqModel,
};

export function systemNames(): string[] {
  return Object.keys(MODELS);
}

export function modelFor(system: string): ModelDefinition | undefined {
  return Object.hasOwn(MODELS, system) ? MODELS[system] : undefined;
}

export type { ModelDefinition, ModelRun } from './model.js';

/**
 * The RocketMQ model's pure functions, for the model's actors and for tests; index.ts (the
 * ModelDefinition) is separate so these can be used without building a world.
 */
export { allocateMessageQueues, type AllocateInput, type AllocateStrategy, type MessageQueue } from './allocate.js';
export { selectQueueByHash } from './queue-selector.js';
export { DEFAULT_DELAY_LEVELS } from './delay-levels.js';

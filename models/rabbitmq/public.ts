/**
 * The RabbitMQ model's pure functions, for the model's actors and for tests, importable without
 * building a world.
 */
export { topicMatches } from './broker/exchange-type-topic.js';

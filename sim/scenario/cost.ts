import type { Micros } from '../time.js';
import { formatDuration } from '../time.js';
import type { CommonConsumer, CommonScenario } from './schema.js';
import type { ProducerPlanSpec } from '../workload.js';

/**
 * What a run will cost, known before it starts: messages from the producers' rates, counts and
 * windows; deliveries from the consumer groups each message reaches; kernel events from a
 * system's measured events per delivery plus the nodes' background timers. It sizes the run
 * against the message budget (refused beyond it, exit 2) and gives the progress display its ETA.
 */
export interface CostEstimate {
  /** Messages the producers will send. */
  messages: number;
  /** Deliveries to expect: each message to each consumer group (at least one read). */
  deliveries: number;
  /** Kernel events to expect (order of magnitude: within a few times). */
  events: number;
  /** duration + drain. */
  virtualTime: Micros;
}

/** Messages a run may send unless the scenario (`limits.maxMessages`) or the CLI (`--max-messages`) says otherwise. */
export const DEFAULT_MAX_MESSAGES = 50_000_000;

/** Drain when a scenario names none (the kernel's default liveness phase). */
const DEFAULT_DRAIN: Micros = 30_000_000;

/** How a system turns messages into events: measured on the shipped scenarios (see models/*). */
export interface CostModel {
  /** Kernel events per message delivered to one group (send, replication, fetch, ack, commit...). */
  eventsPerDelivery: number;
  /** Background events per node per virtual second (heartbeats, polls, replica fetches when idle). */
  idleEventsPerNodeSecond: number;
}

/** Messages one producer sends: its rate over its window, capped by its count. */
export function producerMessages(producer: ProducerPlanSpec, duration: Micros): number {
  const start = producer.start ?? 0;
  const stop = Math.min(producer.stop ?? duration, duration);
  const window = Math.max(0, stop - start);
  const byRate = producer.rate !== undefined ? Math.ceil((window * producer.rate) / 1_000_000) : Number.POSITIVE_INFINITY;
  const byCount = producer.count ?? Number.POSITIVE_INFINITY;
  const messages = Math.min(byRate, byCount);
  return Number.isFinite(messages) ? messages : 0;
}

export function estimateCost(scenario: CommonScenario & { workload?: { producers?: ProducerPlanSpec[]; consumers?: CommonConsumer[] } }, model: CostModel): CostEstimate {
  const producers = scenario.workload?.producers ?? [];
  const consumers = scenario.workload?.consumers ?? [];
  const virtualTime = scenario.duration + (scenario.drain ?? DEFAULT_DRAIN);
  let messages = 0;
  for (const producer of producers) messages += producerMessages(producer, scenario.duration);
  const groups = new Set(consumers.map((c, i) => c.group ?? `#${i}`)).size;
  const deliveries = messages * Math.max(1, groups);
  const clients = producers.length + consumers.reduce((n, c) => n + (c.count ?? 1), 0);
  // Brokers and controllers are not known before the model builds; a handful stands in for them.
  const nodes = clients + 5;
  const events = Math.ceil(deliveries * model.eventsPerDelivery + nodes * (virtualTime / 1_000_000) * model.idleEventsPerNodeSecond);
  return { messages, deliveries, events, virtualTime };
}

export function formatEstimate(estimate: CostEstimate): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return `about ${n(estimate.messages)} messages, ${n(estimate.deliveries)} deliveries, ${n(estimate.events)} events over ${formatDuration(estimate.virtualTime)} of virtual time`;
}

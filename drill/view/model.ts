import type { Micros } from '../../sim/time.js';
import type { TraceRecord } from '../../sim/trace.js';

/**
 * What the drill page draws at one instant, computed from the trace records alone (never from a
 * later record): the page's views are plain data here, so Node tests can check them and the
 * page only lays them out. One module per system fills in the server strips.
 */

import type { NodeStatus } from '../engine.js';
export type { NodeStatus };

/** One labelled value in a strip; `term` names a glossary entry that explains it. */
export interface Field {
  label: string;
  value: string;
  term?: string;
  /** Drawn in warning colour: something the drill is about (out of the ISR, lost on recovery...). */
  warn?: boolean;
}

/** A log drawn as a bar: its end, and marks (HW, flushed, consumed...) along it, against a scale shared by the strips of one box row. */
export interface LogBar {
  end: number;
  marks: { at: number; label: string }[];
  scale: number;
}

/** One line of state inside a server box: a Kafka partition replica, a RabbitMQ queue, a RocketMQ consume queue or commit log. */
export interface Strip {
  label: string;
  role?: string;
  fields: Field[];
  bar?: LogBar;
  /** The consumer that owns (reads) it. */
  owner?: string;
}

export interface ServerView {
  name: string;
  status: NodeStatus;
  /** Short role badges: controller, master, quorum leader... */
  badges: string[];
  /** Nodes this one cannot reach because of a network partition. */
  cutFrom: string[];
  strips: Strip[];
  /** Said when the box has no strip (why it is empty). */
  empty?: string;
}

export interface ClientView {
  name: string;
  status: NodeStatus;
  kind: 'producer' | 'consumer';
  /** Lines under the name: what it owns, its mode (autoAck, prefetch...). */
  details: string[];
  /** Messages of the last second in the flow's direction: sent by a producer, received by a consumer. */
  rate: number;
  /** The servers that acknowledged a producer's messages, or delivered a consumer's, in that second. */
  servers: string[];
  /** A producer's messages acknowledged in that second (fewer than sent while a broker is away). */
  acked?: number;
  cut: boolean;
}

export interface ClusterView {
  time: Micros;
  /** Coordination nodes drawn small above the servers: ZooKeeper, KRaft controllers, NameServers. */
  coordinators: { name: string; status: NodeStatus; note: string }[];
  servers: ServerView[];
  producers: ClientView[];
  consumers: ClientView[];
  /** Network partitions in force, in words. */
  partitions: string[];
}

export interface NodeInfo {
  name: string;
  roles: readonly string[];
}

/** What a system module gets: the records (in time order), the nodes and the instant. */
export interface ViewInput {
  /** The scenario's system: kafka, rabbitmq, rocketmq or demo. */
  system: string;
  records: readonly TraceRecord[];
  nodes: readonly NodeInfo[];
  time: Micros;
  /** Sampled gauges at the instant (the run's metric series). */
  gauges: Record<string, number>;
  /** Control-plane stores rebuilt at the instant. */
  stores: Record<string, unknown>;
}

/** The strips and badges a system adds to its servers, and details for its clients. */
export interface SystemView {
  strips: Map<string, Strip[]>;
  badges: Map<string, string[]>;
  clientDetails: Map<string, string[]>;
  coordinatorNotes: Map<string, string>;
  empty?: Map<string, string>;
}

export function emptySystemView(): SystemView {
  return { strips: new Map(), badges: new Map(), clientDetails: new Map(), coordinatorNotes: new Map() };
}

export function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function dataOf(record: TraceRecord): Record<string, unknown> {
  return (record.data ?? {}) as Record<string, unknown>;
}

export function payloadOf(record: TraceRecord): Record<string, unknown> {
  return (record.payload ?? {}) as Record<string, unknown>;
}

/** "a, b and c". */
export function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Virtual time as the page shows it: 12.345 s, and past two minutes 4 h 46 min 40.040 s. */
export function seconds(time: Micros): string {
  const total = time / 1_000_000;
  if (total < 120) return `${total.toFixed(3)} s`;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total - hours * 3600 - minutes * 60;
  return `${hours > 0 ? `${hours} h ` : ''}${minutes} min ${rest.toFixed(3)} s`;
}

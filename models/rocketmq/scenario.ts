import type { CommonConsumer, CommonProducer, CommonScenario } from '../../sim/scenario/schema.js';
import type { RocketVersion } from './version.js';
import type { RocketClusterConfig, RocketConsumerConfig, RocketProducerConfig } from './schema.js';

/** A validated RocketMQ scenario's shape (schema.ts validates it; index.ts builds the cluster from it). */

export interface RocketTopicSpec {
  name: string;
  readQueueNums?: number;
  writeQueueNums?: number;
  brokerGroups?: string[];
}

export interface RocketProducerSpec extends CommonProducer {
  topic?: string;
  sendMode?: 'sync' | 'async' | 'oneway';
  tags?: string[];
  delayLevel?: number;
  delayLevels?: number[];
  orderly?: boolean;
  transaction?: { commit?: number; unknown?: number; checkUnknown?: number; duration?: number };
  config?: RocketProducerConfig;
}

export interface RocketConsumerSpec extends CommonConsumer {
  topic?: string;
  subscription?: string;
  orderly?: boolean;
  consumerType?: 'push' | 'pull';
  mode?: 'subscribe' | 'assign';
  processingMode?: 'sync' | 'async-pool';
  workers?: number;
  seek?: { at: number; offset: number | 'begin' | 'end' }[];
  config?: RocketConsumerConfig;
}

export interface RocketScenario extends CommonScenario {
  system: 'rocketmq';
  cluster?: { version?: RocketVersion; nameServers?: number; brokerGroups?: number; slavesPerGroup?: number; invariants?: boolean; config?: RocketClusterConfig };
  topics?: RocketTopicSpec[];
  workload?: { producers?: RocketProducerSpec[]; consumers?: RocketConsumerSpec[] };
}

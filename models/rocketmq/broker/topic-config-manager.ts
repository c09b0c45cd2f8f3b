import type { DiskFile } from '../../../sim/disk.js';
import { notes } from '../notes.js';
import type { BrokerController } from './broker-controller.js';

/**
 * TopicConfigManager: the broker's topics (read / write queue numbers, permission) from the
 * scenario, plus those it creates itself (%RETRY%<group> at a clustering consumer's heartbeat,
 * %DLQ%<group> at the first dead letter), kept in config/topics.json; a new topic is registered
 * with the NameServers at once.
 */

export interface TopicConfig {
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
}

export class TopicConfigManager {
  private readonly topics = new Map<string, TopicConfig>();
  private file!: DiskFile<{ topic: string; config: TopicConfig }>;

  constructor(private readonly b: BrokerController) {}

  /** The scenario's topics, and the file of created ones. */
  open(): void {
    for (const [topic, config] of Object.entries(this.b.o.topics)) this.topics.set(topic, config);
    this.file = this.b.ctx.disk.file('config/topics.json');
  }

  /** After a restart: the topics topics.json kept. */
  recover(): void {
    for (const { topic, config } of this.file.records) this.topics.set(topic, config);
  }

  get(topic: string): TopicConfig | undefined {
    return this.topics.get(topic);
  }

  get size(): number {
    return this.topics.size;
  }

  /** Every topic, for REGISTER_BROKER. */
  all(): Record<string, TopicConfig> {
    const topics: Record<string, TopicConfig> = {};
    for (const [topic, config] of this.topics) topics[topic] = config;
    return topics;
  }

  create(topic: string, config: TopicConfig): void {
    if (this.topics.has(topic)) return;
    this.topics.set(topic, config);
    this.b.writeConfig(this.file, { topic, config }, 64);
    notes.note(this.b.ctx, 'topic-created', { topic, ...config });
    this.b.registerAll();
  }
}

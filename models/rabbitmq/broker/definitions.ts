import { DiskFullError, type DiskFile } from '../../../sim/disk.js';
import { notes } from '../notes.js';
import type { RabbitBroker } from './broker.js';
import { vhostKey, type BindingDef, type ExchangeDef } from './exchange-routing.js';
import { isDurableQueue, type QueueDef } from './queue-process.js';

/**
 * The node's definitions (exchanges, queues, bindings), after RabbitMQ's metadata store (Mnesia,
 * Khepri in newer versions) and rabbit_definitions: declared at the first start from the
 * scenario (notes `exchange.declare`, `queue.declare`, `queue.bind`); the durable part is
 * written to the `definitions` file, and a restarted broker redeclares only what that file
 * kept: transient exchanges and queues (and exclusive queues) are gone, with their messages and
 * their bindings. A deleted durable queue leaves a `queue.delete` record.
 */

export type DefinitionRecord =
  | { kind: 'exchange'; def: ExchangeDef }
  | { kind: 'queue'; def: QueueDef }
  | { kind: 'binding'; def: BindingDef }
  | { kind: 'queue.delete'; vhost: string; name: string };

export class Definitions {
  private readonly file: DiskFile<DefinitionRecord>;

  constructor(private readonly broker: RabbitBroker) {
    this.file = broker.ctx.disk.file<DefinitionRecord>('definitions');
  }

  /** The first start: everything the scenario declares; the durable part to disk. */
  declareAll(): void {
    const broker = this.broker;
    const ctx = broker.ctx;
    const options = broker.options;
    const durable: DefinitionRecord[] = [];
    for (const def of options.exchanges) {
      broker.topology.addExchange(def);
      notes.note(ctx, 'exchange.declare', { vhost: def.vhost, exchange: def.name, type: def.type, durable: def.durable });
      if (def.durable) durable.push({ kind: 'exchange', def });
    }
    for (const def of options.queues) {
      if (broker.link !== null && !broker.link.declaresLocally(def)) {
        if (isDurableQueue(def)) durable.push({ kind: 'queue', def });
        continue;
      }
      broker.queueProcess.declare(def);
      notes.note(ctx, 'queue.declare', { vhost: def.vhost, queue: def.name, durable: def.durable });
      if (isDurableQueue(def)) durable.push({ kind: 'queue', def });
    }
    for (const def of options.bindings) {
      broker.topology.addBinding(def);
      notes.note(ctx, 'queue.bind', { vhost: def.vhost, source: def.source, destination: def.destination, routingKey: def.routingKey });
      if (this.bindingIsDurable(def)) durable.push({ kind: 'binding', def });
    }
    for (const record of durable) this.file.append(record, 256);
    broker.storeSync.markDirty();
  }

  private bindingIsDurable(def: BindingDef): boolean {
    const topology = this.broker.topology;
    const source = topology.exchange(def.vhost, def.source);
    if (!source?.durable) return false;
    if (def.destinationType === 'exchange') return topology.exchange(def.vhost, def.destination)?.durable ?? false;
    const queue = this.broker.options.queues.find((q) => q.vhost === def.vhost && q.name === def.destination);
    return queue !== undefined && isDurableQueue(queue);
  }

  append(record: DefinitionRecord): void {
    try {
      this.file.append(record, 256);
      this.broker.storeSync.markDirty();
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      notes.note(this.broker.ctx, 'disk-full', { file: 'definitions' });
    }
  }

  /** A restart: the durable exchanges, queues (not deleted since) and bindings whose ends still exist. */
  recover(): void {
    const broker = this.broker;
    const link = broker.link;
    const deleted = new Set<string>();
    const records = this.file.records;
    for (const record of records) if (record.kind === 'queue.delete') deleted.add(vhostKey(record.vhost, record.name));
    for (const record of records) {
      if (record.kind === 'exchange') broker.topology.addExchange(record.def);
      else if (record.kind === 'queue' && !deleted.has(vhostKey(record.def.vhost, record.def.name)) && (link === null || link.declaresLocally(record.def))) broker.queueProcess.declare(record.def);
    }
    for (const record of records) {
      if (record.kind === 'binding' && (record.def.destinationType === 'exchange' || broker.queues.has(vhostKey(record.def.vhost, record.def.destination))
        || (link?.known(vhostKey(record.def.vhost, record.def.destination)) ?? false))) {
        broker.topology.addBinding(record.def);
      }
    }
  }
}

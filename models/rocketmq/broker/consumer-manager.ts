import type { Micros } from '../../../sim/time.js';
import { notes } from '../notes.js';
import {
  HEADER_BYTES, PERM_READ, PERM_WRITE, RETRY_PREFIX,
  type GetConsumerListByGroupRequest, type HeartbeatRequest, type NotifyConsumerIdsChangedRequest, type UnregisterClientRequest,
} from '../protocol.js';
import { respond } from '../remoting.js';
import type { BrokerController } from './broker-controller.js';

/**
 * The broker's client tables (ClientManageProcessor, ConsumerManager, ProducerManager,
 * ClientHousekeepingService):
 *
 * - HEART_BEAT registers a client in its consumer groups (and creates %RETRY%<group> for a
 *   clustering group on the master) or in its producer group; UNREGISTER_CLIENT removes it.
 * - A client silent for channelExpiredTimeout is dropped (housekeeping every 10 s).
 * - Any change of a consumer group is told to its members with NOTIFY_CONSUMER_IDS_CHANGED
 *   (notifyConsumerIdsChangedEnable), and mirrored into the `rocketmq.consumers` store.
 * - GET_CONSUMER_LIST_BY_GROUP answers a rebalancing consumer with the group's client ids.
 */

interface ClientInfo {
  addr: string;
  lastUpdate: Micros;
}

export const HOUSEKEEPING_INTERVAL: Micros = 10_000_000;

export class ConsumerManager {
  private readonly consumers = new Map<string, Map<string, ClientInfo>>();
  private readonly producers = new Map<string, Map<string, ClientInfo>>();

  constructor(private readonly b: BrokerController) {}

  onHeartbeat(from: string, hb: HeartbeatRequest): void {
    const b = this.b;
    if (hb.producerGroup !== undefined) {
      let group = this.producers.get(hb.producerGroup);
      if (!group) {
        group = new Map();
        this.producers.set(hb.producerGroup, group);
      }
      group.set(hb.clientId, { addr: from, lastUpdate: b.ctx.now() });
    }
    for (const data of hb.consumerDatas) {
      let group = this.consumers.get(data.group);
      if (!group) {
        group = new Map();
        this.consumers.set(data.group, group);
      }
      const known = group.get(hb.clientId);
      group.set(hb.clientId, { addr: from, lastUpdate: b.ctx.now() });
      if (b.isMaster && data.messageModel === 'CLUSTERING') {
        b.topicConfigs.create(RETRY_PREFIX + data.group, { readQueueNums: 1, writeQueueNums: 1, perm: PERM_READ | PERM_WRITE });
      }
      if (!known) this.membershipChanged(data.group, `HEART_BEAT from new client ${hb.clientId}`);
    }
    respond(b.ctx, from, hb, 'SUCCESS');
  }

  onUnregister(from: string, m: UnregisterClientRequest): void {
    const group = this.consumers.get(m.group);
    if (group?.delete(m.clientId)) this.membershipChanged(m.group, `UNREGISTER_CLIENT ${m.clientId}`);
    respond(this.b.ctx, from, m, 'SUCCESS');
  }

  /** ClientHousekeepingService.scanExceptionChannel: drops clients silent for channelExpiredTimeout. */
  housekeeping(): void {
    const b = this.b;
    const now = b.ctx.now();
    for (const group of this.producers.values()) {
      for (const [clientId, info] of [...group]) if (info.lastUpdate + b.o.settings.channelExpiredTimeout < now) group.delete(clientId);
    }
    for (const [name, group] of this.consumers) {
      for (const [clientId, info] of [...group]) {
        if (info.lastUpdate + b.o.settings.channelExpiredTimeout < now) {
          group.delete(clientId);
          notes.note(b.ctx, 'client-expired', { group: name, clientId, silentFor: now - info.lastUpdate });
          this.membershipChanged(name, `channel expired ${clientId}`);
        }
      }
    }
  }

  private membershipChanged(group: string, reason: string): void {
    const b = this.b;
    const members = this.consumers.get(group)!;
    const ids = [...members.keys()];
    b.o.groups.update((d) => {
      (d[b.ctx.name] ??= {})[group] = ids;
    }, reason);
    if (!b.o.settings.notifyConsumerIdsChangedEnable) return;
    for (const info of members.values()) {
      const notify: NotifyConsumerIdsChangedRequest = { type: 'NOTIFY_CONSUMER_IDS_CHANGED', opaque: 0, group };
      b.ctx.send(info.addr, notify, HEADER_BYTES);
    }
  }

  onConsumerList(from: string, m: GetConsumerListByGroupRequest): void {
    const group = this.consumers.get(m.group);
    if (!group || group.size === 0) {
      respond(this.b.ctx, from, m, 'SYSTEM_ERROR', { remark: `no consumer for this group, ${m.group}` });
      return;
    }
    respond(this.b.ctx, from, m, 'SUCCESS', { consumerIdList: [...group.keys()] }, HEADER_BYTES + 32 * group.size);
  }

  /** A producer of the group to check a transaction back with (the first one registered), if any is known. */
  liveProducer(group: string): string | undefined {
    const members = this.producers.get(group);
    if (!members) return undefined;
    for (const info of members.values()) return info.addr;
    return undefined;
  }
}

/** The RabbitMQ model's counts (`counts()` of a run, usable in `expect:`), shared by every node of a run. */
export interface RabbitStats {
  deadLettered: number;
  expired: number;
  returned: number;
  unroutable: number;
  nacked: number;
  requeued: number;
  confirmed: number;
  overflowDropped: number;
  rejectedPublishes: number;
  redelivered: number;
  queuesDeleted: number;
  /** x-single-active-consumer: a waiting consumer became the active one because the active one went away. */
  sacFailovers: number;
  /** Deliveries to consumers that became active by such a failover. */
  standbyDeliveries: number;
  /** basic.consume refused with ACCESS_REFUSED because of an exclusive consumer. */
  consumeRefused: number;
  /** Deliveries an idempotent consumer found already in its group's processed-ids table and did not process. */
  duplicatesSkipped: number;
  /** Connections a resource alarm blocked at a publish (connection.blocked sent). */
  connectionsBlocked: number;
  /** Classic queue mirroring: mirrors promoted to leader, and how many of them were unsynchronised. */
  mirrorPromotions: number;
  unsyncedPromotions: number;
  /** ha-promote-on-failure when-synced refusing to promote an unsynchronised mirror. */
  promotionsRefused: number;
  /** Synchronisations of a mirror (ha-sync-mode automatic) and the longest time one blocked its queue (ms). */
  mirrorSyncs: number;
  syncBlockedMsMax: number;
  /** Quorum queues: the longest time from a fault cutting a queue's leader off to another member leading it (ms). */
  leaderFailoverMsMax: number;
  /** The longest time from a fault cutting a client off to the broker closing its connection (ms): reset at once, silence after the heartbeat checks. */
  clientDropMsMax: number;
}

export function emptyStats(): RabbitStats {
  return {
    deadLettered: 0, expired: 0, returned: 0, unroutable: 0, nacked: 0, requeued: 0, confirmed: 0,
    overflowDropped: 0, rejectedPublishes: 0, redelivered: 0, queuesDeleted: 0, sacFailovers: 0, standbyDeliveries: 0, consumeRefused: 0,
    duplicatesSkipped: 0, connectionsBlocked: 0, mirrorPromotions: 0, unsyncedPromotions: 0, promotionsRefused: 0, mirrorSyncs: 0, syncBlockedMsMax: 0,
    leaderFailoverMsMax: 0, clientDropMsMax: 0,
  };
}

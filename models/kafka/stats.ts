/** Counters that outlive broker incarnations; the model reports them as counts. */
export interface KafkaStats {
  leaderElections: number;
  uncleanElections: number;
  controllerElections: number;
  isrShrinks: number;
  isrExpands: number;
  truncatedRecords: number;
  notEnoughReplicas: number;
  offlinePartitionsMax: number;
  producerRetries: number;
  duplicateBatches: number;
  segmentsRolled: number;
  segmentsDeleted: number;
  rebalances: number;
  membersRemoved: number;
  sessionTimeouts: number;
  maxPollLeaves: number;
  offsetCommits: number;
  coordinatorLoads: number;
  idleConsumersMax: number;
  revocations: number;
}

export function newStats(): KafkaStats {
  return {
    leaderElections: 0, uncleanElections: 0, controllerElections: 0, isrShrinks: 0, isrExpands: 0, truncatedRecords: 0,
    notEnoughReplicas: 0, offlinePartitionsMax: 0, producerRetries: 0, duplicateBatches: 0, segmentsRolled: 0, segmentsDeleted: 0,
    rebalances: 0, membersRemoved: 0, sessionTimeouts: 0, maxPollLeaves: 0, offsetCommits: 0, coordinatorLoads: 0, idleConsumersMax: 0, revocations: 0,
  };
}

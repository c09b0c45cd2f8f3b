import { notesOf } from '../../sim/notes.js';

/**
 * Every trace note the Kafka model writes (`note <name>` in a trace, a drill or a report), with
 * what it means. Kafka code writes notes only through `note(ctx, name, detail)` below, so a name
 * not declared here fails to compile. The names are folded into the trace hash: renaming one
 * changes every run that writes it.
 */
export const KAFKA_NOTES = {
  // ---- ZooKeeper and the broker's session (broker/zk-client.ts, zookeeper.ts)
  'zk-registered': 'the broker opened its ZooKeeper session and registered /brokers/ids/N',
  'zk-register-failed': "the broker could not register: its previous session's /brokers/ids node is still there",
  'zk-session-expired': "a broker's ZooKeeper session expired (ZooKeeper side: the node is gone; broker side: it must register again)",
  'zk-broker-registered': 'ZooKeeper created the ephemeral /brokers/ids node of a broker session',
  'zk-write-fenced': 'ZooKeeper refused a partition-state write from a controller with an old controller epoch',
  'controller-elected': 'ZooKeeper: a broker created /controller and became the controller (new controller epoch)',
  'became-controller': 'this node activated as the controller (ZooKeeper election won, or KRaft Raft leader caught up)',
  'controller-resigned': 'this node stopped being the controller',
  // ---- controller duties (controller.ts, kraft/controller.ts)
  'brokers-failed': 'the controller saw brokers leave (sessions expired / fenced) and moves their leaderships',
  'brokers-started': 'the controller saw brokers (re)join and sends them their partitions',
  'leader-elected': 'the controller elected a partition leader from the ISR',
  'unclean-leader-elected': 'the controller elected a leader outside the ISR (unclean.leader.election.enable): acknowledged records may be lost',
  'partition-offline': 'no eligible replica is alive: the partition has no leader (leader -1)',
  'preferred-leader-elected': 'auto.leader.rebalance moved leadership back to the preferred replica',
  'partitions-created': 'the controller added partitions to a topic (CreatePartitions)',
  'topics-created': 'KRaft: the active controller wrote the initial topics as PartitionRecords',
  // ---- partition leader, ISR and high watermark (broker/partition.ts, broker/replica-manager.ts)
  'became-leader': 'a broker became leader of a partition (with its log end offset and high watermark then)',
  'isr-shrink-proposed': 'the leader asks the controller to drop replicas that lagged past replica.lag.time.max.ms',
  'isr-shrink': 'the controller accepted a smaller ISR',
  'isr-expand': 'the controller accepted a larger ISR (a follower caught up)',
  'not-enough-replicas': 'an acks=all Produce was refused: the ISR is below min.insync.replicas',
  'duplicate-batch': 'an idempotent producer resent a batch already written: answered with its offset, not written again',
  'out-of-order-sequence': "a batch's sequence number does not follow the producer's last one (OUT_OF_ORDER_SEQUENCE_NUMBER)",
  'disk-full': 'an append failed because the disk is full (KAFKA_STORAGE_ERROR)',
  'log-dir-failed': "a write failed in the broker's only log directory (disk full): the directory went offline and the broker halts (KIP-112)",
  // ---- follower and log (broker/replica-fetcher.ts, broker/log.ts)
  'log-truncated': 'a replica cut records off its log end (reason: hw, leader-epoch, no-epoch, out-of-range)',
  'log-reset': "a follower behind the leader's log start dropped its log and restarted at that offset",
  'log-recovered': 'after a restart a broker rebuilt a partition log from what its disk kept',
  'segments-deleted': 'retention deleted old log segments (retention.ms / retention.bytes)',
  // ---- KRaft quorum and broker lifecycle (kraft/)
  'raft-candidate': 'a controller voter started an election (new epoch)',
  'raft-follower': 'a controller voter follows the leader of an epoch',
  'raft-leader': 'a controller voter won the election and leads the metadata quorum',
  'raft-resigned': 'the Raft leader gave up leadership (check-quorum failed, or it was told to)',
  'raft-fetch-timeout': 'a voter heard nothing from the leader for controller.quorum.fetch.timeout.ms and will start an election',
  'raft-log-truncated': 'a voter truncated its metadata log where it diverged from the leader',
  'broker-registered': 'KRaft: the broker registered with the active controller (got its broker epoch)',
  'broker-registration-refused': 'KRaft: the controller refused the registration (an older incarnation still holds it)',
  'broker-registration-seen': 'KRaft: the broker saw its own registration in the metadata log: it applies partition states from now on and heartbeats as caught up',
  'broker-epoch-stale': 'KRaft: the controller answered STALE_BROKER_EPOCH: the broker registers again',
  'broker-fenced-seen': 'KRaft: the broker learned from a heartbeat that it is fenced',
  'broker-unfenced-seen': 'KRaft: the broker learned from a heartbeat that it is unfenced',
  'duplicate-broker-registration': 'KRaft: the controller refused a second incarnation while the first still has a session',
  'broker-unfenced': 'KRaft: the controller unfenced a caught-up broker (it may lead partitions)',
  'broker-fenced': 'KRaft: the controller fenced a broker whose heartbeats stopped (broker.session.timeout.ms)',
  // ---- producer (producer.ts)
  'producer-restarted': 'a producer process started again after a crash (unacknowledged sends are gone)',
  'producer-id': 'the idempotent producer got its producer id (InitProducerId)',
  'producer-id-reset': 'the producer dropped its producer id and sequences after an unresolvable error',
  'connection-closed': "a client's connection to a broker closed (reset: the broker's process died; refused: nothing listens; timeout: TCP gave up): requests in flight fail with NETWORK_EXCEPTION, metadata is refreshed, reconnect after reconnect.backoff.ms",
  'produce-retry': 'a Produce failed with a retriable error and the batch is sent again',
  'batch-resolved-by-later-ack': 'an idempotent batch answered OUT_OF_ORDER_SEQUENCE_NUMBER counts as written: a later sequence of the same producer id was acknowledged',
  'partitions-discovered': "a producer's metadata refresh found more partitions",
  // ---- consumer, group member (consumer.ts, membership.ts)
  'metadata-partitions-changed': "a consumer's metadata refresh saw a topic's partition count change",
  'subscription-changed': 'a group member changed its subscription (a rebalance trigger)',
  'consumer-closing': 'a consumer started close(): commit, then LeaveGroup',
  'consumer-closed': 'a consumer finished close()',
  'consumer-started': 'a new consumer process started (a step)',
  'consumer-truncation-detected': "a consumer's position was past the new leader's log end (truncation detected) and moved back",
  'coordinator-found': 'a member found its group coordinator (FindCoordinator)',
  'coordinator-unknown': 'a member lost its coordinator (error or timeout) and looks it up again',
  'group-assignment-skipped': 'a static leader rejoined a Stable group and keeps the assignment (KIP-814 skipAssignment)',
  'group-assignment-computed': 'the group leader ran the assignor (partition.assignment.strategy)',
  'group-metadata-changed': "the leader saw a subscribed topic's partition count change (a rebalance trigger)",
  'group-synced': 'a member got its assignment from SyncGroup',
  'partitions-revoked': 'a member gave up partitions in a rebalance (onPartitionsRevoked)',
  'partitions-lost': 'a member lost its partitions without a clean handover (onPartitionsLost)',
  'max-poll-interval-exceeded': 'a member did not poll within max.poll.interval.ms and leaves the group',
  'rebalance-in-progress': "a member's heartbeat answered REBALANCE_IN_PROGRESS: it rejoins",
  'commit-failed': 'an offset commit failed',
  'partition-paused': 'the delay scheduler paused a partition whose head record is not due yet',
  'fenced-instance-id': 'a static member got FENCED_INSTANCE_ID (another process uses its group.instance.id) and stopped',
  'forward-retry': 'a forwarding pattern (delay scheduler, dispatcher) resends a record whose Produce failed',
  // ---- group coordinator (group-coordinator.ts)
  'coordinator-loaded': "a broker became leader of a group's __consumer_offsets partition and loaded the group",
  'group-member-added': 'the coordinator added a member to a group (JoinGroup)',
  'group-static-member-replaced': 'a restarted static member (group.instance.id) took over its old member id, no rebalance',
  'group-instance-fenced': 'the coordinator fenced a request from an old member id of a static instance',
  'group-rebalance': 'the coordinator started a rebalance (PreparingRebalance), with the reason',
  'group-session-timeout': 'a member sent no heartbeat within session.timeout.ms',
  'group-member-removed': 'the coordinator removed a member (session timeout, LeaveGroup, rebalance timeout)',
  'group-join-complete': 'every member joined: the coordinator answers JoinGroup (CompletingRebalance)',
  'group-stable': "the leader's SyncGroup arrived: every member has its assignment (Stable)",
  // ---- admin (admin.ts)
  'admin-partitions-created': 'the admin client created partitions (CreatePartitions succeeded)',
  'admin-create-partitions-failed': 'the admin client gave up on CreatePartitions',
} as const;

export type KafkaNote = keyof typeof KAFKA_NOTES;

/** Writes a Kafka trace note: `note(ctx, 'isr-shrink', { partition, isr })`. */
export const { note } = notesOf(KAFKA_NOTES);

/**
 * Drill aliases for Kafka (`mqsim drill`): conditions on the notes the model writes (notes.ts)
 * and facts read from them or from the control-plane stores (`kafka`, `kafka-groups`).
 */

const groupNote = (what: string) => (arg: string) => (arg ? `note ${what} group=${arg}` : `note ${what}`);
const partitionNote = (what: string) => (arg: string) => (arg ? `note ${what} partition=${arg}` : `note ${what}`);

/**
 * Drill aliases for consumer groups: conditions on the notes the coordinator and the members
 * write (group-rebalance, group-stable, group-member-removed, partitions-revoked,
 * coordinator-loaded), facts read from them. The group state itself is `state kafka-groups <group>`.
 */
export const kafkaDrill = {
  conditions: {
    /** `group-rebalance [group]`: the coordinator starts a rebalance (PreparingRebalance). */
    'group-rebalance': groupNote('group-rebalance'),
    /** `group-stable [group]`: SyncGroup done, every member has its assignment. */
    'group-stable': groupNote('group-stable'),
    /** `member-removed [group]`: session timeout, LeaveGroup or rebalance timeout. */
    'member-removed': groupNote('group-member-removed'),
    'partitions-revoked': groupNote('partitions-revoked'),
    /** `coordinator-failover [group]`: a new coordinator loaded the group from __consumer_offsets. */
    'coordinator-failover': groupNote('coordinator-loaded'),
    /** `rebalance-starts [group]`: the name for group-rebalance. */
    'rebalance-starts': groupNote('group-rebalance'),
    /** `consumer-crashed billing-c2`: the consumer node's crash. */
    'consumer-crashed': (arg: string) => `crash ${arg}`,
    /**
     * `leader-changed orders-0`: a broker took over as leader (became-leader, clean or unclean
     * election; the first leader at start-up counts too, so place it after an earlier step).
     */
    'leader-changed': partitionNote('became-leader'),
    /** `leader-elected orders-0`: the controller elected a leader from the ISR. */
    'leader-elected': partitionNote('leader-elected'),
    /** `unclean-election orders-0`: the controller elected a replica outside the ISR. */
    'unclean-election': partitionNote('unclean-leader-elected'),
    'partition-offline': partitionNote('partition-offline'),
    /** `isr-shrinks orders-0` / `isr-expands orders-0`: the leader changed the ISR. */
    'isr-shrinks': partitionNote('isr-shrink'),
    'isr-expands': partitionNote('isr-expand'),
    /** `log-truncated orders-0`: a replica cut records off its log (reason hw or leader-epoch). */
    'log-truncated': partitionNote('log-truncated'),
    /** `broker-failed [broker-1]`: the controller saw a broker's ZooKeeper session end. */
    'broker-failed': (arg: string) => (arg ? `note zk-session-expired broker=${arg}` : 'note zk-session-expired'),
    'controller-changed': () => 'note controller-elected',
    /** `broker-fenced [broker-1]`: KRaft, the active controller fenced a broker whose heartbeats stopped. */
    'broker-fenced': (arg: string) => (arg ? `note broker-fenced broker=${arg}` : 'note broker-fenced'),
    /** `controller-activated`: KRaft, a new Raft leader became the active controller. */
    'controller-activated': () => 'note became-controller',
    'produce-retry': partitionNote('produce-retry'),
    'max-poll-exceeded': groupNote('max-poll-interval-exceeded'),
    /** `static-member-replaced [group]`: a restarted static member (group.instance.id) took over its old member id, no rebalance. */
    'static-member-replaced': groupNote('group-static-member-replaced'),
    /** `instance-fenced [group]`: a consumer got FENCED_INSTANCE_ID and stopped. */
    'instance-fenced': groupNote('fenced-instance-id'),
    /** `subscription-changed [group]` / `metadata-changed [group]`: the rebalance triggers of a subscription or partition-count change. */
    'subscription-changed': groupNote('subscription-changed'),
    'metadata-changed': groupNote('group-metadata-changed'),
    /** `partitions-created`: the controller added partitions (CreatePartitions). */
    'partitions-created': () => 'note partitions-created',
    /** `partition-paused [group]`: the delay scheduler paused a partition whose head is not due. */
    'partition-paused': groupNote('partition-paused'),
  },
  facts: {
    /** `{{lag billing}}`: the group's lag summed over its partitions (high watermark minus committed offset) at the step. */
    lag: (arg: string) => `gauge-sum lag.${arg || 'billing'}.`,
    /** `{{leader orders-0}}`, `{{isr orders-0}}`, `{{leader-epoch orders-0}}`: the partition state at the step. */
    leader: (arg: string) => `state kafka partitions.${arg || 'orders-0'}.leader`,
    isr: (arg: string) => `state kafka partitions.${arg || 'orders-0'}.isr`,
    'leader-epoch': (arg: string) => `state kafka partitions.${arg || 'orders-0'}.leaderEpoch`,
    controller: () => 'state kafka controller',
    'live-brokers': () => 'state kafka liveBrokers',
    /** `{{group-state billing}}`, `{{generation billing}}`, `{{group-members billing}}`: from the kafka-groups store. */
    'group-state': (arg: string) => `state kafka-groups ${arg}.state`,
    generation: (arg: string) => `state kafka-groups ${arg}.generation`,
    'group-members': (arg: string) => `state kafka-groups ${arg}.members`,
    /** From the next (else last) note of its kind: the elected leader, the truncation. */
    'elected-leader': () => 'note leader-elected leader',
    'unclean-leader': () => 'note unclean-leader-elected leader',
    'new-leader-leo': () => 'note became-leader leo',
    'new-leader-hw': () => 'note became-leader hw',
    'truncated-records': () => 'note log-truncated removed',
    'truncated-to': () => 'note log-truncated to',
    'truncation-reason': () => 'note log-truncated reason',
    'recovered-leo': () => 'note log-recovered leo',
    'produce-error': () => 'note produce-retry error',
    /** `{{rebalance-reason}}`: why the next (else last) rebalance started. */
    'rebalance-reason': () => 'note group-rebalance reason',
    'removed-member': () => 'note group-member-removed member',
    'removed-why': () => 'note group-member-removed why',
    'stable-generation': () => 'note group-stable generation',
    /** `{{replaced-member}}` / `{{old-member}}`: the static member's new and old member ids. */
    'replaced-member': () => 'note group-static-member-replaced member',
    'old-member': () => 'note group-static-member-replaced oldMember',
    /** `{{paused-due-in}}`: how long (µs) the paused partition's head still had to wait. */
    'paused-due-in': () => 'note partition-paused dueIn',
  },
};

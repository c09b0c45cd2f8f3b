import { notesOf } from '../../sim/notes.js';

/**
 * Every trace note the RabbitMQ model writes, with what it means. The names are part of the
 * trace hash and of drill conditions (`note dead-lettered queue=...`): never rename one.
 * Every RabbitMQ actor writes its notes through `notes.note(ctx, ...)` below, so the compiler
 * refuses a name that is not listed here.
 */
export const RABBITMQ_NOTES = {
  // Topology (definitions.ts)
  'exchange.declare': 'the broker declared an exchange from the scenario (first start only)',
  'queue.declare': 'the broker declared a queue (classic on its home node, quorum on each member) from the scenario',
  'queue.bind': 'the broker bound a queue or exchange to an exchange from the scenario',
  'queue.delete': 'a queue was deleted (auto-delete after its last consumer, or x-expires unused), with the messages it dropped',
  'broker-recovered': 'a restarted broker rebuilt its durable definitions, queues and delayed messages from disk',
  'queue-recovered': 'a restarted broker rebuilt a durable classic queue from its message store (how many messages it found)',
  'disk-full': 'a write to the broker\'s disk failed because the disk is full (a publish, an ack record or a definition)',
  // Resource alarms (disk-monitor.ts, resource-alarms.ts)
  'disk-alarm-set': 'the disk monitor found free disk space below disk_free_limit: the disk alarm blocks publishers on every node',
  'disk-alarm-cleared': 'free disk space is back above disk_free_limit: the disk alarm is cleared',
  'connection-blocked': 'a publish arrived on a connection while a resource alarm is in force: connection.blocked sent, the connection is no longer read',
  'connection-unblocked': 'no resource alarm is left: connection.unblocked sent, the frames that waited are read in order',
  'client-blocked': 'a client got connection.blocked: its publishes wait in the socket until connection.unblocked',
  // Connections and channels (connection.ts, channel.ts, client.ts)
  'connection-refused': 'the broker refused connection.open: unknown vhost or no permission for the user (530 NOT_ALLOWED)',
  'missed-heartbeats': 'one side gave up a silent connection: the client after a heartbeat timeout, the broker at its second look in a row (every heartbeat timeout) that found nothing received; the broker requeues its unacked messages',
  'client-tcp-closed': 'the broker saw a client\'s TCP connection end (reset by the kernel of a killed client process, or closed): the AMQP connection closes at once and its unacked messages are requeued',
  'channel-error': 'the broker closed a channel with an error (404 NOT_FOUND, 403 ACCESS_REFUSED, 406 PRECONDITION_FAILED)',
  'unexpected-frame': 'the broker got a frame it does not handle on a channel (ignored)',
  'connection-closed': 'a client got connection.close from the broker (e.g. 320 CONNECTION_FORCED when the node stops)',
  'channel-closed': 'a client got channel.close from the broker (a channel error): it opens a new channel later',
  'connection-lost': 'a client lost its connection (reset, heartbeat timeout, connect timeout, connection.close) and will reconnect',
  // Queues (queue-process.ts)
  'sac-active': 'x-single-active-consumer: this consumer became the queue\'s active one (the first, or a standby after a failover: `after`)',
  'sac-waiting': 'x-single-active-consumer: this consumer registered and waits behind the active one',
  'overflow-drop-head': 'a queue over x-max-length / x-max-length-bytes dropped its oldest message (overflow drop-head)',
  'overflow-reject': 'a full queue refused a publish (overflow reject-publish or reject-publish-dlx): the publisher gets basic.nack',
  // Dead-lettering (dead-lettering.ts)
  'dead-lettered': 'a message left a queue (rejected, expired, maxlen, delivery_limit) for its x-dead-letter-exchange',
  'dead-letter-dropped': 'a dead-lettered message was dropped: the dead-letter exchange is missing or routed it nowhere',
  'dead-letter-cycle-dropped': 'a dead-lettered message would have come back to a queue it already died in, with no rejection: dropped',
  // Delayed message exchange (delayed-message-exchange.ts)
  'delayed-unroutable': 'an x-delayed-message exchange released a message after its x-delay and it reached no queue',
  // Producers (producer.ts)
  'producer-restarted': 'a producer process restarted (it does not resume its earlier sends)',
  'publish-nacked': 'the broker answered a publish with basic.nack (not stored: full queue, disk full, queue home down)',
  'basic.return': 'the broker returned a mandatory message that reached no queue (312 NO_ROUTE)',
  'outbox-resend': 'the outbox republished a message still unconfirmed after resendAfter',
  'resend-request-ignored': 'a producer got a resend request for a message it no longer has',
  'delayed-confirmation-resend': 'a producer resent a message because the delayed-confirmation callback service asked it to',
  // Consumers (consumer.ts)
  'processing-failed': 'a consumer failed to process a message (basic.nack or basic.reject follows unless autoAck)',
  'ack-dropped': 'a consumer could not ack: the connection the delivery came on is gone (the broker redelivers it)',
  'confirmation-not-sent': 'a consumer could not tell the callback service about a processed message: its channel was down',
  // Delayed-confirmation pattern (patterns/delayed-confirmation.ts)
  'callback-service-recovered': 'the callback service restarted and reloaded the confirmations it had stored',
  'callback-unknown-message': 'the callback service got a message it cannot place (unknown type, or no such producer)',
  'delayed-check-unconfirmed': 'a check message found its main message unconfirmed: the callback service asked the producer to resend',
  'delayed-check-gave-up': 'a check message found its main message still unconfirmed after the last attempt: no more resends',
  // Cluster (cluster/node.ts)
  'nodedown': 'a node saw a peer down (net_ticktime passed in silence, it restarted, or it stopped and closed its distribution connections)',
  'node-stopping': 'rabbitmqctl stop: the node hands over its quorum queue leaderships, closes its client connections (320 CONNECTION_FORCED) and its distribution connections, and exits',
  'nodeup': 'a node heard from a peer it had seen down',
  'partition-detected': 'a peer seen down came back without having restarted: there was a network partition',
  'pause_minority': 'cluster_partition_handling pause_minority stopped (or resumed) this node\'s RabbitMQ application',
  'autoheal': 'cluster_partition_handling autoheal picked the winning side of a healed partition (the losers restart)',
  // Quorum queues (quorum/raft.ts, quorum/fifo.ts, cluster/link.ts)
  'ra-election': 'a quorum queue member timed out waiting for a leader and stood for election in a new term',
  'ra-transfer-leadership': 'a quorum queue leader on a stopping node told a caught-up member to elect itself now (ra.timeout_now)',
  'ra-leader-elected': 'a quorum queue member won an election: it is the queue\'s leader for that term',
  'ra-step-down': 'a quorum queue leader saw a higher term and became a follower',
  'ra-truncate': 'a quorum queue follower dropped log entries that conflicted with the leader\'s',
  'ra-recovered': 'a restarted quorum queue member rebuilt its term, vote and log from disk',
  'delivery-limit': 'a quorum queue message was returned more than x-delivery-limit times (dead-lettered, or dropped)',
  // Classic queue mirroring (mirrored/)
  'mirror-added': 'a mirrored classic queue\'s leader added a mirror (at declaration, a node rejoining, or ha-mode exactly replacing a lost one); it starts unsynchronised unless the queue was empty',
  'mirror-dropped': 'a mirrored classic queue\'s leader saw a mirror\'s node down and dropped it from the group (confirms stop waiting for it)',
  'mirror-synced': 'a mirror came to hold every message its leader holds (by synchronisation or because the older ones were consumed)',
  'mirror-sync-started': 'the leader started synchronising a mirror (ha-sync-mode automatic): the queue is blocked until it ends',
  'mirror-sync-done': 'a synchronisation ended: the queue is unblocked (how long it was blocked, how many messages were sent)',
  'mirror-promoted': 'the oldest mirror became the queue\'s leader after the leader\'s node went down (unsynced: messages only the old leader had are lost)',
  'mirror-not-promoted': 'ha-promote-on-failure when-synced: the oldest mirror is unsynchronised and was not promoted; the queue is unavailable until its leader is back',
  'mirror-rejoined': 'a restarted node joined a mirrored queue as an empty mirror, throwing away what it held before',
  'mirror-recovered': 'a restarted node found no live leader for a mirrored queue and recovered it from its own disk as leader',
} as const;

export type RabbitNote = keyof typeof RABBITMQ_NOTES;

/** The model's typed `note(ctx, what, detail)`. */
export const notes = notesOf(RABBITMQ_NOTES);

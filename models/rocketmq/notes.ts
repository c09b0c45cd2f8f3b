import { notesOf } from '../../sim/notes.js';

/**
 * Every trace note the RocketMQ model writes (`notes.note(ctx, what, detail)`), with what it
 * means to someone reading a trace. The names are part of the trace hash: never rename one.
 */
export const ROCKETMQ_NOTES = {
  // NameServer
  'broker-expired': 'a NameServer dropped a broker it had not heard from for 120 s (scanNotActiveBroker)',
  'broker-unregistered': 'a NameServer dropped a broker that unregistered on its way out (UNREGISTER_BROKER)',
  'broker-shutdown': 'a broker stopped cleanly: UNREGISTER_BROKER sent to every NameServer, offsets persisted, store flushed',
  // broker: store and topics
  'store-recovered': 'a restarted broker rebuilt its commit log and consume queues from what its disk kept',
  'topic-created': 'a broker created a topic (auto-created %RETRY% and %DLQ% topics too) and registered it',
  'disk-full': 'a broker could not write (commit log, replica or config file): the disk is full',
  'commitlog-new-mapped-file': 'the commit log rolled over to a new mapped file (mappedFileSizeCommitLog)',
  // broker: HA (master / slave)
  'ha-slave-connected': 'a master saw a slave (re)connect and report its commit log offset',
  'ha-offset-mismatch': 'a slave got commit log data from an offset other than its end and reconnects',
  'ha-slave-disconnected': "a master's HA channel to a slave closed (the slave's process died, stopped, or TCP gave up): its HAConnection ended at once",
  // broker: DLedger
  'dledger-candidate': 'a DLedger member started an election for a new term',
  'dledger-leader': 'a DLedger member won the election: it is the group\'s master now',
  'dledger-step-down': 'a DLedger leader saw a higher term and became a follower',
  'dledger-truncate': 'a DLedger follower dropped the uncommitted tail of its log the leader does not have',
  // broker: consumers, offsets, retries, locks
  'client-expired': 'a broker dropped a consumer it had not heard from for channelExpiredTimeout',
  'dead-lettered': 'a message failed maxReconsumeTimes times and went to %DLQ%<group>',
  'mq-lock-expired': 'an orderly consumer took over a queue lock another client let expire (60 s)',
  // broker: transactions
  'transaction-committed': 'a broker committed a half message into its real topic (END_TRANSACTION)',
  'transaction-rolled-back': 'a broker rolled a half message back (END_TRANSACTION)',
  'transaction-discarded': 'a half message was still unresolved after transactionCheckMax check-backs and is dropped',
  'end-transaction-no-half': 'END_TRANSACTION named a half message the broker does not have at that offset',
  // clients
  'broker-channel-closed': "a NameServer saw a broker's channel close (its process died: connection reset) and dropped the broker at once (onChannelDestroy)",
  'namesrv-unreachable': 'a client\'s route request timed out: it moves to the next NameServer',
  'latency-fault': 'a producer marked a broker unavailable for a while after a slow or failed send (sendLatencyFaultEnable)',
  'producer-restarted': 'a restarted producer: it does not resume the sends planned before the crash',
  'check-transaction-state': 'a producer answered a broker\'s transaction check-back with its local transaction\'s state',
  'consumer-ids-changed': 'a consumer was told its group changed (NOTIFY_CONSUMER_IDS_CHANGED) and rebalances',
  'rebalanced': 'a consumer\'s set of message queues changed after a rebalance',
  'consumer-shutdown': 'a consumer shut down (unregistered from the brokers, offsets persisted)',
  'mq-lock-refused': 'an orderly consumer did not get a queue\'s broker lock, so it does not consume the queue yet',
  'pull-offset-moved': 'a pull asked for an offset past the queue\'s end: the consumer\'s offset was reset (PULL_OFFSET_MOVED)',
  'send-back-failed-consume-later': 'CONSUMER_SEND_MSG_BACK failed: the consumer consumes the message again itself after 5 s',
  'broadcast-consume-failed-dropped': 'a broadcasting consumer failed a message: it is not retried',
  'seek': 'a lite pull consumer moved a queue\'s offset (seek)',
  'seek-offset-illegal': 'a lite pull consumer\'s seek was out of the queue\'s [min, max] and refused',
} as const;

/** `notes.note(ctx, what, detail)`: ctx.note restricted to the catalogue's names. */
export const notes = notesOf(ROCKETMQ_NOTES);

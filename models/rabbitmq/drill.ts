import type { RabbitNote } from './notes.js';
import { BROKER_NODE } from './schema.js';

/** `queue [key=value ...]` -> `queue=<queue> key=value ...` (a word with `=` passes through as a note filter). */
function noteFilters(arg: string, firstKey: string): string {
  return arg.split(/\s+/).filter((w) => w !== '').map((w) => (w.includes('=') ? w : `${firstKey}=${w}`)).join(' ');
}

/** A condition on a note the model writes (a name notes.ts does not list does not compile). */
function noteCondition(what: RabbitNote, firstKey: string): (arg: string) => string {
  return (arg) => `note ${what} ${noteFilters(arg, firstKey)}`.trimEnd();
}

/**
 * Drill aliases (drill/conditions.ts): conditions named after what a class watches for, expanding
 * to the nodes and notes this model really writes; facts reading those notes.
 */
export const rabbitDrill = {
  conditions: {
    /** `consumer-crashed jobs-c1`: the consumer node's crash. */
    'consumer-crashed': (arg: string) => `crash ${arg}`,
    'consumer-restarted': (arg: string) => `restart ${arg}`,
    /** `broker-crashed`: rabbit-1 goes down (the argument, if any, names the node). */
    'broker-crashed': (arg: string) => `crash ${arg || BROKER_NODE}`,
    'broker-restarted': (arg: string) => `restart ${arg || BROKER_NODE}`,
    /** `message-dead-lettered [queue] [reason=expired]`: a message left the queue for its x-dead-letter-exchange. */
    'message-dead-lettered': noteCondition('dead-lettered', 'queue'),
    /** `consumer-failed [requeue=true]`: a consumer failed a message (basic.nack / basic.reject follows unless autoAck). */
    'consumer-failed': noteCondition('processing-failed', 'msg'),
    /** `connection-dead [client]`: the broker gave up on a connection after missed heartbeats; its unacked deliveries are requeued. */
    'connection-dead': noteCondition('missed-heartbeats', 'client'),
    /** `queue-recovered [queue]`: a restarted broker rebuilt a durable queue from its message store. */
    'queue-recovered': noteCondition('queue-recovered', 'queue'),
    'broker-recovered': noteCondition('broker-recovered', 'queues'),
    /** `outbox-resend`: a producer republished a message still unconfirmed after resendAfter. */
    'outbox-resend': noteCondition('outbox-resend', 'msg'),
    'publish-nacked': noteCondition('publish-nacked', 'msg'),
    'message-returned': noteCondition('basic.return', 'msg'),
    'overflow-drop-head': noteCondition('overflow-drop-head', 'queue'),
    'overflow-reject': noteCondition('overflow-reject', 'queue'),
    /** `consumer-activated [queue]`: x-single-active-consumer made a consumer the active one (the first, or a standby after a failover: the note has `after`). */
    'consumer-activated': noteCondition('sac-active', 'queue'),
    /** `check-unconfirmed [msg]`: the delayed-confirmation callback service found no confirmation for a checked message and asked for a resend. */
    'check-unconfirmed': noteCondition('delayed-check-unconfirmed', 'msg'),
    'confirmation-resend': noteCondition('delayed-confirmation-resend', 'msg'),
    /** `quorum-leader-elected [queue=/|orders] [leader=rabbit-2]`: a quorum queue member won an election. */
    'quorum-leader-elected': noteCondition('ra-leader-elected', 'queue'),
    /** `node-down [node=rabbit-1]`: a node saw a peer down (net_ticktime). */
    'node-down': noteCondition('nodedown', 'node'),
    'partition-detected': noteCondition('partition-detected', 'peer'),
    /** `minority-paused [node=rabbit-3]`: pause_minority stopped (or restarted) a node's RabbitMQ application. */
    'minority-paused': noteCondition('pause_minority', 'node'),
    'autoheal': noteCondition('autoheal', 'node'),
    /** `delivery-limit [queue]`: a quorum queue message was returned more than x-delivery-limit times. */
    'delivery-limit': noteCondition('delivery-limit', 'queue'),
  },
  facts: {
    /** `{{recovered-messages}}`: messages the next (else last) recovered queue held (queue-recovered). */
    'recovered-messages': () => 'note queue-recovered messages',
    /** `{{dead-letter-reason}}`, `{{dead-letter-queue}}`, `{{dead-letter-exchange}}`, `{{dead-letter-key}}`: from the dead-lettered note. */
    'dead-letter-reason': () => 'note dead-lettered reason',
    'dead-letter-queue': () => 'note dead-lettered queue',
    'dead-letter-exchange': () => 'note dead-lettered dlx',
    'dead-letter-key': () => 'note dead-lettered routingKey',
    'dead-letter-msg': () => 'note dead-lettered msg',
    /** `{{resend-attempt}}` / `{{resent-msg}}`: the outbox's republish. */
    'resend-attempt': () => 'note outbox-resend attempt',
    'resent-msg': () => 'note outbox-resend msg',
    /** `{{silent-for}}`: how long the dead connection had been silent when the broker noticed. */
    'silent-for': () => 'note missed-heartbeats silentFor',
    'dead-client': () => 'note missed-heartbeats client',
    /** `{{new-leader}}`, `{{leader-term}}`: from the next (else last) ra-leader-elected note. */
    'new-leader': () => 'note ra-leader-elected leader',
    'leader-term': () => 'note ra-leader-elected term',
    'autoheal-losers': () => 'note autoheal losers',
  },
};

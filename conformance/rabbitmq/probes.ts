import type { ProbeStep, RabbitProbe } from './probe.js';

/**
 * The RabbitMQ probes: each a topology (scenario-file syntax), a script of client steps and,
 * implicitly, the outcome the real broker gives (recorded in conformance/recorded/). Ids are
 * stable: recordings and DIVERGENCES.md name probes by them.
 */

const q = (name: string, args: Record<string, unknown> = {}, durable = false): Record<string, unknown> => ({ name, durable, arguments: args });
const quorum = (name: string, args: Record<string, unknown> = {}): Record<string, unknown> => ({ name, durable: true, arguments: { 'x-queue-type': 'quorum', ...args } });
const bind = (exchange: string, queue: string, routingKey = '', args?: Record<string, unknown>): Record<string, unknown> => ({ exchange, queue, routingKey, ...(args ? { arguments: args } : {}) });
const publishAll = (ids: string[], rest: Omit<Extract<ProbeStep, { publish: string }>, 'publish'> = {}): ProbeStep[] => ids.map((id) => ({ publish: id, ...rest }));
const consumeEach = (...queues: string[]): ProbeStep[] => queues.map((queue) => ({ consume: queue, tag: `c-${queue}`, noAck: true }));

export const RABBITMQ_PROBES: readonly RabbitProbe[] = [
  // ---------------------------------------------------------------- topic routing edge cases
  {
    id: 'topic-empty-words',
    about: 'a routing key with an empty word ("a..b") against "a.*.b", "a.#.b", "#.b" and "a.b"',
    exchanges: [{ name: 'tx', type: 'topic' }],
    queues: [q('q1'), q('q2'), q('q3'), q('q4')],
    bindings: [bind('tx', 'q1', 'a.*.b'), bind('tx', 'q2', 'a.#.b'), bind('tx', 'q3', '#.b'), bind('tx', 'q4', 'a.b')],
    steps: [...consumeEach('q1', 'q2', 'q3', 'q4'), { publish: 'm1', exchange: 'tx', routingKey: 'a..b' }, { publish: 'm2', exchange: 'tx', routingKey: '.b' }, { publish: 'm3', exchange: 'tx', routingKey: 'a.b.' }],
  },
  {
    id: 'topic-hash-hash',
    about: '"#.#" and "#" match every key, the empty key too; "#.a.#" matches "a" alone',
    exchanges: [{ name: 'tx', type: 'topic' }],
    queues: [q('q1'), q('q2'), q('q3')],
    bindings: [bind('tx', 'q1', '#.#'), bind('tx', 'q2', '#'), bind('tx', 'q3', '#.a.#')],
    steps: [...consumeEach('q1', 'q2', 'q3'), { publish: 'm1', exchange: 'tx', routingKey: '' }, { publish: 'm2', exchange: 'tx', routingKey: 'a' }, { publish: 'm3', exchange: 'tx', routingKey: 'x.a.y.z' }],
  },
  {
    id: 'topic-dot-key',
    about: 'the key "." (two empty words) against ".", "*.*", "*" and "#"',
    exchanges: [{ name: 'tx', type: 'topic' }],
    queues: [q('q1'), q('q2'), q('q3'), q('q4')],
    bindings: [bind('tx', 'q1', '.'), bind('tx', 'q2', '*.*'), bind('tx', 'q3', '*'), bind('tx', 'q4', '#')],
    steps: [...consumeEach('q1', 'q2', 'q3', 'q4'), { publish: 'm1', exchange: 'tx', routingKey: '.' }, { publish: 'm2', exchange: 'tx', routingKey: '' }],
  },
  {
    id: 'topic-star-and-hash',
    about: '"a.#" matches "a" and "a.b.c" but not "ab"; "*.b.#" needs exactly one word before b',
    exchanges: [{ name: 'tx', type: 'topic' }],
    queues: [q('q1'), q('q2')],
    bindings: [bind('tx', 'q1', 'a.#'), bind('tx', 'q2', '*.b.#')],
    steps: [...consumeEach('q1', 'q2'), ...['a', 'a.b.c', 'ab', 'x.b', 'x.y.b'].map((routingKey, i) => ({ publish: `m${i + 1}`, exchange: 'tx', routingKey }))],
  },
  // ---------------------------------------------------------------- direct, fanout, headers, default
  {
    id: 'direct-bindings',
    about: 'a direct exchange: one copy per queue however many of its bindings match; unmatched key returned when mandatory',
    exchanges: [{ name: 'dx', type: 'direct' }],
    queues: [q('q1'), q('q2')],
    bindings: [bind('dx', 'q1', 'k'), bind('dx', 'q1', 'k2'), bind('dx', 'q2', 'k')],
    steps: [...consumeEach('q1', 'q2'), { publish: 'm1', exchange: 'dx', routingKey: 'k' }, { publish: 'm2', exchange: 'dx', routingKey: 'k2' }, { publish: 'm3', exchange: 'dx', routingKey: 'x', mandatory: true }],
  },
  {
    id: 'fanout-ignores-key',
    about: 'a fanout exchange copies to every bound queue whatever the routing and binding keys',
    exchanges: [{ name: 'fx', type: 'fanout' }],
    queues: [q('q1'), q('q2')],
    bindings: [bind('fx', 'q1', 'one'), bind('fx', 'q2', 'two')],
    steps: [...consumeEach('q1', 'q2'), { publish: 'm1', exchange: 'fx', routingKey: 'anything' }, { publish: 'm2', exchange: 'fx', routingKey: '' }],
  },
  {
    id: 'headers-all-any',
    about: 'headers exchange: x-match all needs every pair, any needs one; values compared by type',
    exchanges: [{ name: 'hx', type: 'headers' }],
    queues: [q('q1'), q('q2')],
    bindings: [bind('hx', 'q1', '', { 'x-match': 'all', a: 1, b: 'x' }), bind('hx', 'q2', '', { 'x-match': 'any', a: 1, c: true })],
    steps: [...consumeEach('q1', 'q2'),
      { publish: 'm1', exchange: 'hx', headers: { a: 1, b: 'x' } }, { publish: 'm2', exchange: 'hx', headers: { a: 1 } },
      { publish: 'm3', exchange: 'hx', headers: { c: true } }, { publish: 'm4', exchange: 'hx', headers: { a: '1', b: 'x' } }, { publish: 'm5', exchange: 'hx' }],
  },
  {
    id: 'headers-empty-binding',
    about: 'a headers binding with only x-match all matches every message; x-match any with no pairs matches none',
    exchanges: [{ name: 'hx', type: 'headers' }],
    queues: [q('q1'), q('q2')],
    bindings: [bind('hx', 'q1', '', { 'x-match': 'all' }), bind('hx', 'q2', '', { 'x-match': 'any' })],
    steps: [...consumeEach('q1', 'q2'), { publish: 'm1', exchange: 'hx', headers: { a: 1 } }, { publish: 'm2', exchange: 'hx' }],
  },
  {
    id: 'default-exchange',
    about: 'the default exchange routes to the queue named by the key; an unknown name is returned 312 NO_ROUTE when mandatory, dropped otherwise',
    queues: [q('q1')],
    steps: [...consumeEach('q1'), { publish: 'm1', routingKey: 'q1' }, { publish: 'm2', routingKey: 'nope', mandatory: true }, { publish: 'm3', routingKey: 'nope' }],
  },
  // ---------------------------------------------------------------- alternate exchanges, exchange-to-exchange
  {
    id: 'alternate-exchange',
    about: 'a message the exchange cannot route goes to its alternate-exchange (not returned even when mandatory)',
    exchanges: [{ name: 'dx', type: 'direct', arguments: { 'alternate-exchange': 'ae' } }, { name: 'ae', type: 'fanout' }],
    queues: [q('q1'), q('qae')],
    bindings: [bind('dx', 'q1', 'k'), bind('ae', 'qae')],
    steps: [...consumeEach('q1', 'qae'), { publish: 'm1', exchange: 'dx', routingKey: 'k', mandatory: true }, { publish: 'm2', exchange: 'dx', routingKey: 'zzz', mandatory: true }],
  },
  {
    id: 'alternate-exchange-e2e-to-nowhere',
    about: 'an exchange-to-exchange binding that leads nowhere: is the source exchange\'s alternate-exchange used, or is the message unroutable?',
    exchanges: [{ name: 'dx', type: 'direct', arguments: { 'alternate-exchange': 'ae' } }, { name: 'x2', type: 'direct' }, { name: 'ae', type: 'fanout' }],
    queues: [q('qae')],
    bindings: [{ exchange: 'dx', toExchange: 'x2', routingKey: 'k' }, bind('ae', 'qae')],
    steps: [...consumeEach('qae'), { publish: 'm1', exchange: 'dx', routingKey: 'k', mandatory: true }, { publish: 'm2', exchange: 'dx', routingKey: 'other', mandatory: true }],
  },
  {
    id: 'alternate-exchange-chain',
    about: 'an alternate exchange whose own alternate exchange takes what it cannot route',
    exchanges: [{ name: 'dx', type: 'direct', arguments: { 'alternate-exchange': 'ae1' } }, { name: 'ae1', type: 'direct', arguments: { 'alternate-exchange': 'ae2' } }, { name: 'ae2', type: 'fanout' }],
    queues: [q('q1'), q('q2')],
    bindings: [bind('ae1', 'q1', 'k1'), bind('ae2', 'q2')],
    steps: [...consumeEach('q1', 'q2'), { publish: 'm1', exchange: 'dx', routingKey: 'k1' }, { publish: 'm2', exchange: 'dx', routingKey: 'k2' }],
  },
  {
    id: 'exchange-to-exchange-chain',
    about: 'topic -> fanout -> queue and topic -> queue: one copy per queue, the original exchange and key on delivery',
    exchanges: [{ name: 'tx', type: 'topic' }, { name: 'fx', type: 'fanout' }],
    queues: [q('q1'), q('q2')],
    bindings: [{ exchange: 'tx', toExchange: 'fx', routingKey: 'a.*' }, bind('fx', 'q1'), bind('fx', 'q2'), bind('tx', 'q2', '#')],
    steps: [...consumeEach('q1', 'q2'), { publish: 'm1', exchange: 'tx', routingKey: 'a.b' }, { publish: 'm2', exchange: 'tx', routingKey: 'b' }],
  },
  // ---------------------------------------------------------------- publisher confirms, mandatory
  {
    id: 'confirm-return-unroutable',
    about: 'confirm mode: an unroutable mandatory message is returned (312 NO_ROUTE) and then acked; a routed one acked',
    queues: [q('q1')],
    confirm: [1],
    steps: [{ publish: 'm1', routingKey: 'nope', mandatory: true }, { publish: 'm2', routingKey: 'q1' }, { publish: 'm3', routingKey: 'nope' }],
  },
  {
    id: 'confirm-persistent-durable',
    about: 'confirm mode: persistent messages to a durable queue are acked (after the store has them)',
    queues: [q('q1', {}, true)],
    confirm: [1],
    steps: [...publishAll(['m1', 'm2', 'm3'], { routingKey: 'q1', persistent: true }), { get: 'q1', noAck: true }],
  },
  {
    id: 'confirm-nack-reject-publish',
    about: 'x-overflow reject-publish: a publish to a full queue is nacked, the queue keeps the first messages',
    queues: [q('q1', { 'x-max-length': 2, 'x-overflow': 'reject-publish' })],
    confirm: [1],
    steps: [...publishAll(['m1', 'm2', 'm3'], { routingKey: 'q1' }), { consume: 'q1', tag: 'c1', noAck: true }],
  },
  // ---------------------------------------------------------------- consumers: ack, nack, reject, prefetch
  {
    id: 'nack-requeue-order',
    about: 'a message nacked with requeue goes back to its place at the head and comes again, redelivered, before later ones',
    queues: [q('q1')],
    steps: [...publishAll(['m1', 'm2', 'm3', 'm4'], { routingKey: 'q1' }), { consume: 'q1', tag: 'c1', prefetch: 2 }, { nack: 'm2', requeue: true }, { ack: 'm1' }, { ack: 'm2' }, { ack: 'm3' }, { ack: 'm4' }],
  },
  {
    id: 'nack-multiple-requeue',
    about: 'basic.nack multiple with requeue returns every unacked delivery up to the tag, redelivered in their original order',
    queues: [q('q1')],
    steps: [...publishAll(['m1', 'm2', 'm3'], { routingKey: 'q1' }), { consume: 'q1', tag: 'c1' }, { nack: 'm2', multiple: true, requeue: true }],
  },
  {
    id: 'reject-no-requeue-dead-letters',
    about: 'basic.reject without requeue dead-letters with reason rejected through the DLX and the message\'s own routing key',
    exchanges: [{ name: 'in', type: 'direct' }, { name: 'dlx', type: 'topic' }],
    queues: [q('q1', { 'x-dead-letter-exchange': 'dlx' }), q('dead')],
    bindings: [bind('in', 'q1', 'orig.k'), bind('dlx', 'dead', 'orig.#')],
    steps: [{ consume: 'q1', tag: 'c1' }, { consume: 'dead', tag: 'cd', noAck: true }, { publish: 'm1', exchange: 'in', routingKey: 'orig.k' }, { reject: 'm1', requeue: false }],
  },
  {
    id: 'prefetch-round-robin',
    about: 'two consumers with prefetch 1: round robin, the next message to whichever acks',
    queues: [q('q1')],
    steps: [{ consume: 'q1', tag: 'c1', prefetch: 1, channel: 1 }, { consume: 'q1', tag: 'c2', prefetch: 1, channel: 2 }, ...publishAll(['m1', 'm2', 'm3', 'm4'], { routingKey: 'q1' }),
      { ack: 'm2', channel: 2 }, { ack: 'm1', channel: 1 }, { ack: 'm3', channel: 2 }, { ack: 'm4', channel: 1 }],
  },
  {
    id: 'channel-close-redelivery-order',
    about: 'closing a channel requeues its unacked deliveries at their places: the next consumer gets them first, redelivered',
    queues: [q('q1')],
    steps: [...publishAll(['m1', 'm2', 'm3', 'm4'], { routingKey: 'q1' }), { consume: 'q1', tag: 'c1', prefetch: 2, channel: 2 }, { ack: 'm1', channel: 2 }, { close: 2 }, { consume: 'q1', tag: 'c2', channel: 3 }],
  },
  {
    id: 'auto-ack-not-redelivered',
    about: 'no-ack deliveries are gone when sent: closing the channel requeues nothing',
    queues: [q('q1')],
    steps: [{ consume: 'q1', tag: 'c1', noAck: true, channel: 2 }, ...publishAll(['m1', 'm2'], { routingKey: 'q1' }), { close: 2 }, { get: 'q1' }],
  },
  {
    id: 'basic-get',
    about: 'basic.get: one message with the count left, basic.get-empty when none; a rejected one comes back redelivered',
    queues: [q('q1')],
    steps: [...publishAll(['m1', 'm2'], { routingKey: 'q1' }), { get: 'q1' }, { get: 'q1', noAck: true }, { get: 'q1' }, { reject: 'm1', requeue: true }, { get: 'q1', noAck: true }],
  },
  // ---------------------------------------------------------------- TTL
  {
    id: 'ttl-head-of-queue',
    about: 'classic queues expire at the head: a short-TTL message behind a long one waits, and is gone once it reaches the head',
    queues: [q('q1')],
    steps: [{ publish: 'm1', routingKey: 'q1', expiration: 10_000 }, { publish: 'm2', routingKey: 'q1', expiration: 20 }, { wait: 150 }, { get: 'q1', noAck: true }, { get: 'q1', noAck: true }],
  },
  {
    id: 'queue-ttl-dead-letter',
    about: 'x-message-ttl with a DLX: the expired message is dead-lettered (reason expired) with the DLX routing key',
    queues: [q('q1', { 'x-message-ttl': '50ms', 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dead' }), q('dead')],
    steps: [{ publish: 'm1', routingKey: 'q1' }, { wait: 250 }, { consume: 'dead', tag: 'cd', noAck: true }],
  },
  {
    id: 'ttl-zero-waiting-consumer',
    about: 'TTL 0 (queue or message): delivered when a consumer is waiting, expired otherwise',
    queues: [q('q1', { 'x-message-ttl': '0ms' }), q('q2')],
    steps: [{ consume: 'q1', tag: 'c1', noAck: true }, { consume: 'q2', tag: 'c2', noAck: true }, { publish: 'm1', routingKey: 'q1' }, { publish: 'm2', routingKey: 'q2', expiration: 0 },
      { cancel: 'c1' }, { cancel: 'c2' }, { publish: 'm3', routingKey: 'q1' }, { publish: 'm4', routingKey: 'q2', expiration: 0 }, { wait: 50 }, { get: 'q1', noAck: true }, { get: 'q2', noAck: true }],
  },
  // ---------------------------------------------------------------- max-length
  {
    id: 'max-length-zero-waiting-consumer',
    about: 'x-max-length 0: a message goes straight to a waiting consumer; with none it is dropped',
    queues: [q('q1', { 'x-max-length': 0 })],
    steps: [{ consume: 'q1', tag: 'c1', noAck: true }, { publish: 'm1', routingKey: 'q1' }, { cancel: 'c1' }, { publish: 'm2', routingKey: 'q1' }, { get: 'q1', noAck: true }],
  },
  {
    id: 'max-length-drop-head-dead-letter',
    about: 'x-max-length drop-head: the oldest is dropped and dead-lettered with reason maxlen',
    queues: [q('q1', { 'x-max-length': 2, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dead' }), q('dead')],
    steps: [...publishAll(['m1', 'm2', 'm3'], { routingKey: 'q1' }), { consume: 'q1', tag: 'c1', noAck: true }, { consume: 'dead', tag: 'cd', noAck: true }],
  },
  {
    id: 'max-length-bytes-reject-publish-dlx',
    about: 'x-max-length-bytes with reject-publish-dlx: the publish that would overflow is nacked and dead-lettered',
    queues: [q('q1', { 'x-max-length-bytes': 25, 'x-overflow': 'reject-publish-dlx', 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dead' }), q('dead')],
    confirm: [1],
    steps: [...publishAll(['m1', 'm2', 'm3'], { routingKey: 'q1', bytes: 10 }), { consume: 'q1', tag: 'c1', noAck: true }, { consume: 'dead', tag: 'cd', noAck: true }],
  },
  {
    id: 'max-length-bytes-drop-head',
    about: 'x-max-length-bytes with drop-head: the oldest messages go until the bodies fit',
    queues: [q('q1', { 'x-max-length-bytes': 25 })],
    steps: [...publishAll(['m1', 'm2', 'm3'], { routingKey: 'q1', bytes: 10 }), { publish: 'm4', routingKey: 'q1', bytes: 20 }, { consume: 'q1', tag: 'c1', noAck: true }],
  },
  {
    id: 'max-length-unacked-not-counted',
    about: 'x-max-length counts ready messages only: unacked deliveries leave room',
    queues: [q('q1', { 'x-max-length': 1 })],
    steps: [{ consume: 'q1', tag: 'c1', prefetch: 1 }, ...publishAll(['m1', 'm2', 'm3'], { routingKey: 'q1' }), { ack: 'm1' }, { ack: 'm3' }],
  },
  // ---------------------------------------------------------------- dead-letter cycles and x-death
  {
    id: 'message-ttl-dead-letter-original-expiration',
    about: 'a per-message TTL expiring into a DLX: x-death carries the original expiration, and the message does not expire again',
    queues: [q('q1', { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dead' }), q('dead')],
    steps: [{ publish: 'm1', routingKey: 'q1', expiration: 30 }, { wait: 200 }, { get: 'dead' }],
  },
  {
    id: 'nack-multiple-dead-letters-in-order',
    about: 'basic.nack multiple without requeue dead-letters every unacked delivery up to the tag, in order, reason rejected',
    queues: [q('q1', { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dead' }), q('dead')],
    steps: [...publishAll(['m1', 'm2', 'm3'], { routingKey: 'q1' }), { consume: 'q1', tag: 'c1' }, { consume: 'dead', tag: 'cd', noAck: true }, { nack: 'm3', multiple: true, requeue: false }],
  },
  {
    id: 'dead-letter-cycle-with-reject',
    about: 'reject -> DLX -> TTL queue -> back: x-death counts per (queue, reason), most recent first; x-first-death stays',
    queues: [q('q1', { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'wait' }), q('wait', { 'x-message-ttl': '20ms', 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'q1' })],
    steps: [{ consume: 'q1', tag: 'c1' }, { publish: 'm1', routingKey: 'q1' }, { reject: 'm1', requeue: false }, { wait: 200 }, { reject: 'm1', requeue: false }, { wait: 200 }, { ack: 'm1' }],
  },
  {
    id: 'dead-letter-cycle-expiry-dropped',
    about: 'a message cycling by expiry only (no rejection) is dropped when it would return to a queue it died in',
    queues: [q('q1', { 'x-message-ttl': '20ms', 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'q2' }), q('q2', { 'x-message-ttl': '20ms', 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'q1' })],
    steps: [{ publish: 'm1', routingKey: 'q1' }, { wait: 300 }, { get: 'q1', noAck: true }, { get: 'q2', noAck: true }],
  },
  // ---------------------------------------------------------------- priority, single active consumer, exclusive
  {
    id: 'priority-queue-order',
    about: 'x-max-priority: higher priority first, FIFO within a priority; a priority above the maximum counts as the maximum',
    queues: [q('q1', { 'x-max-priority': 5 })],
    steps: [{ publish: 'm1', routingKey: 'q1', priority: 1 }, { publish: 'm2', routingKey: 'q1', priority: 5 }, { publish: 'm3', routingKey: 'q1' }, { publish: 'm4', routingKey: 'q1', priority: 9 }, { publish: 'm5', routingKey: 'q1', priority: 5 }, { consume: 'q1', tag: 'c1', noAck: true }],
  },
  {
    id: 'single-active-consumer-failover',
    about: 'x-single-active-consumer: only the first consumer gets messages; when its channel closes the next gets the requeued ones, redelivered',
    queues: [q('q1', { 'x-single-active-consumer': true })],
    steps: [{ consume: 'q1', tag: 'c1', channel: 1 }, { consume: 'q1', tag: 'c2', channel: 2 }, ...publishAll(['m1', 'm2', 'm3'], { routingKey: 'q1', channel: 3 }), { ack: 'm1', channel: 1 }, { close: 1 }],
  },
  {
    id: 'single-active-consumer-cancel',
    about: 'x-single-active-consumer: basic.cancel of the active consumer hands over to the next; its unacked message follows when its channel closes',
    queues: [q('q1', { 'x-single-active-consumer': true })],
    steps: [{ consume: 'q1', tag: 'c1', channel: 1 }, { consume: 'q1', tag: 'c2', channel: 2 }, { publish: 'm1', routingKey: 'q1', channel: 3 }, { cancel: 'c1', channel: 1 },
      { publish: 'm2', routingKey: 'q1', channel: 3 }, { close: 1 }],
  },
  {
    id: 'exclusive-consumer-refused',
    about: 'basic.consume exclusive on a queue with a consumer: channel closed 403 ACCESS_REFUSED; and others refused while it lasts',
    queues: [q('q1'), q('q2')],
    steps: [{ consume: 'q1', tag: 'c1', channel: 1 }, { consume: 'q1', tag: 'c2', exclusive: true, channel: 2 }, { consume: 'q2', tag: 'c3', exclusive: true, channel: 3 }, { consume: 'q2', tag: 'c4', channel: 4 }],
  },
  {
    id: 'cancel-keeps-unacked',
    about: 'basic.cancel stops deliveries but leaves what was delivered unacked on the channel; closing the channel requeues it',
    queues: [q('q1')],
    steps: [{ consume: 'q1', tag: 'c1', channel: 2 }, { publish: 'm1', routingKey: 'q1' }, { cancel: 'c1', channel: 2 }, { publish: 'm2', routingKey: 'q1' }, { get: 'q1' }, { close: 2 }, { get: 'q1', noAck: true }],
  },
  {
    id: 'publish-errors',
    about: 'publishing to a missing exchange closes the channel 404 NOT_FOUND; to an internal exchange 403 ACCESS_REFUSED',
    exchanges: [{ name: 'ix', type: 'fanout', internal: true }],
    steps: [{ publish: 'm1', exchange: 'nope', channel: 1 }, { publish: 'm2', exchange: 'ix', channel: 2 }],
  },
  {
    id: 'consume-missing-queue',
    about: 'basic.consume on a queue that does not exist: channel closed 404 NOT_FOUND',
    steps: [{ consume: 'nope', tag: 'c1' }],
  },
  {
    id: 'exclusive-consumer-released-on-close',
    about: 'an exclusive consumer\'s channel closed by the client: the queue takes other consumers again',
    queues: [q('q1')],
    steps: [{ consume: 'q1', tag: 'c1', exclusive: true, channel: 1 }, { close: 1 }, { consume: 'q1', tag: 'c2', channel: 2 }, { publish: 'm1', routingKey: 'q1', channel: 3 }],
  },
  {
    id: 'exclusive-queue-redeclare',
    about: 'queue.declare of an existing queue must match its exclusivity: the owner redeclaring its exclusive queue without exclusive, or anyone declaring a plain queue exclusive, gets 405 RESOURCE_LOCKED',
    queues: [q('nq')],
    steps: [{ declare: 'xq', exclusive: true, conn: 2, channel: 2 }, { declare: 'xq', conn: 2, channel: 3 }, { declare: 'xq', exclusive: true, conn: 2, channel: 4 },
      { declare: 'nq', exclusive: true, conn: 1, channel: 5 }, { declare: 'nq', conn: 1, channel: 6 }, { declare: 'xq', exclusive: true, conn: 1, channel: 7 }],
  },
  // ---------------------------------------------------------------- connections, kill -9 and restart
  {
    id: 'exclusive-queue-deleted-on-connection-close',
    about: 'a queue declared exclusive belongs to its connection: another connection\'s queue.declare (passive too), basic.consume and basic.get get 405 RESOURCE_LOCKED, its publishes get in; the owner\'s connection.close deletes the queue, which another connection may then declare afresh',
    steps: [{ declare: 'xq', exclusive: true, conn: 2, channel: 2 }, { publish: 'm1', routingKey: 'xq', conn: 2, channel: 2 },
      { declare: 'xq', conn: 1, channel: 3 }, { declare: 'xq', passive: true, conn: 1, channel: 4 }, { consume: 'xq', tag: 'c1', conn: 1, channel: 5 }, { get: 'xq', conn: 1, channel: 6 },
      { publish: 'm2', routingKey: 'xq', conn: 1, channel: 1 }, { declare: 'xq', passive: true, conn: 2, channel: 2 },
      { closeConnection: 2 }, { declare: 'xq', passive: true, conn: 1, channel: 7 }, { declare: 'xq', exclusive: true, conn: 1, channel: 8 }],
  },
  {
    id: 'exclusive-queue-deleted-on-connection-reset',
    about: 'an exclusive queue whose owner\'s TCP connection is reset (no connection.close): deleted at once with its consumer and unacked message; RESOURCE_LOCKED for others until then',
    steps: [{ declare: 'xq', exclusive: true, conn: 2, channel: 2 }, { publish: 'm1', routingKey: 'xq', conn: 2, channel: 2 }, { consume: 'xq', tag: 'c1', conn: 2, channel: 2 },
      { declare: 'xq', passive: true, conn: 2, channel: 2 }, { consume: 'xq', tag: 'c2', conn: 1, channel: 3 },
      { dropConnection: 2 }, { wait: 200 }, { declare: 'xq', passive: true, conn: 1, channel: 4 }, { declare: 'xq', exclusive: true, conn: 1, channel: 5 }],
  },
  {
    id: 'connection-close-requeues',
    about: 'connection.close sent by the client: its unacked deliveries go back, redelivered, in order',
    queues: [q('q1')],
    steps: [...publishAll(['m1', 'm2', 'm3'], { routingKey: 'q1' }), { consume: 'q1', tag: 'c1', prefetch: 2 }, { reconnect: true }, { get: 'q1', noAck: true }, { get: 'q1', noAck: true }, { get: 'q1', noAck: true }],
  },
  {
    id: 'kill-restart-durability',
    about: 'kill -9 and restart: a confirmed persistent message in a durable queue survives, a transient one does not, a non-durable queue is gone (404)',
    queues: [q('dq', {}, true), q('tq')],
    confirm: [1],
    steps: [{ publish: 'm1', routingKey: 'dq', persistent: true }, { publish: 'm2', routingKey: 'dq' }, { publish: 'm3', routingKey: 'tq', persistent: true }, { wait: 300 },
      { killAndRestart: true }, { get: 'dq', noAck: true, channel: 2 }, { get: 'dq', noAck: true, channel: 2 }, { get: 'tq', noAck: true, channel: 3 }],
  },
  {
    id: 'kill-restart-redelivered-flag',
    about: 'kill -9 and restart: recovered messages of a durable queue, one delivered (unacked) before the kill and one never delivered: which come back redelivered',
    queues: [q('dq', {}, true)],
    confirm: [1],
    steps: [...publishAll(['m1', 'm2'], { routingKey: 'dq', persistent: true }), { wait: 300 }, { consume: 'dq', tag: 'c1', prefetch: 1, channel: 2 }, { wait: 100 },
      { killAndRestart: true }, { get: 'dq', noAck: true, channel: 2 }, { get: 'dq', noAck: true, channel: 2 }],
  },
  // ---------------------------------------------------------------- quorum queues
  {
    id: 'quorum-delivery-limit-default',
    about: 'a quorum queue without x-delivery-limit: a message nacked 21 times (3.10: no limit; 4.0: dead-lettered after 20 returns)',
    queues: [quorum('qq', { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dead' }), q('dead')],
    steps: [{ consume: 'qq', tag: 'c1' }, { consume: 'dead', tag: 'cd', noAck: true }, { publish: 'm1', routingKey: 'qq' }, { wait: 100 },
      ...Array.from({ length: 21 }, (): ProbeStep[] => [{ nack: 'm1', requeue: true }, { wait: 30 }]).flat()],
  },
  {
    id: 'quorum-delivery-limit-explicit',
    about: 'x-delivery-limit 2: the third return dead-letters the message (reason delivery_limit); x-delivery-count counts returns',
    queues: [quorum('qq', { 'x-delivery-limit': 2, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dead' }), q('dead')],
    steps: [{ consume: 'qq', tag: 'c1' }, { consume: 'dead', tag: 'cd', noAck: true }, { publish: 'm1', routingKey: 'qq' }, { wait: 100 },
      ...Array.from({ length: 3 }, (): ProbeStep[] => [{ nack: 'm1', requeue: true }, { wait: 30 }]).flat()],
  },
  {
    id: 'quorum-confirm-and-order',
    about: 'a quorum queue confirms each publish and delivers in order; where a message nacked with requeue goes (prefetch 1), redelivered with x-delivery-count',
    queues: [quorum('qq')],
    confirm: [1],
    steps: [...publishAll(['m1', 'm2', 'm3'], { routingKey: 'qq', persistent: true }), { wait: 100 }, { consume: 'qq', tag: 'c1', prefetch: 1, channel: 2 }, { nack: 'm1', requeue: true, channel: 2 }, { ack: 'm2', channel: 2 }, { ack: 'm3', channel: 2 }, { ack: 'm1', channel: 2 }],
  },
  {
    id: 'quorum-single-active-consumer-failover',
    about: 'a quorum queue with x-single-active-consumer: the waiting consumer takes over when the active one\'s channel closes, with its unacked message',
    queues: [quorum('qq', { 'x-single-active-consumer': true })],
    steps: [{ consume: 'qq', tag: 'c1', channel: 1 }, { consume: 'qq', tag: 'c2', channel: 2 }, ...publishAll(['m1', 'm2'], { routingKey: 'qq', channel: 3 }), { wait: 100 }, { ack: 'm1', channel: 1 }, { close: 1 }],
  },
  {
    id: 'quorum-reject-delivery-count',
    about: 'basic.reject with requeue on a quorum queue counts in x-delivery-count as basic.nack does',
    queues: [quorum('qq')],
    steps: [{ consume: 'qq', tag: 'c1' }, { publish: 'm1', routingKey: 'qq' }, { wait: 100 }, { reject: 'm1', requeue: true }, { wait: 50 }, { reject: 'm1', requeue: true }, { wait: 50 }, { ack: 'm1' }],
  },
  {
    id: 'quorum-basic-get',
    about: 'basic.get on a quorum queue',
    queues: [quorum('qq')],
    steps: [{ publish: 'm1', routingKey: 'qq' }, { wait: 100 }, { get: 'qq', noAck: true }, { get: 'qq', noAck: true }],
  },
];

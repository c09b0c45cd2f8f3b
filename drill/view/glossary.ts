/**
 * The terms a drill uses, each explained in a sentence or two for a student: the page marks them
 * in the narration, the question and the diagram, and shows the explanation on hover or tap.
 * Matching is on whole words, longest term first (so "leader epoch" wins over "leader").
 */
export const GLOSSARY: Readonly<Record<string, string>> = {
  ISR: 'In-sync replicas: the replicas of a Kafka partition that keep up with the leader. Only an ISR member may become leader in a clean election; a follower that lags longer than replica.lag.time.max.ms is removed.',
  HW: 'High watermark: the offset up to which every ISR member has the records. Consumers only read below it; acks=all answers once it has passed the records.',
  'high watermark': 'The offset up to which every ISR member has the records. Consumers only read below it.',
  LEO: "Log end offset: the offset the next record appended to this replica's log will get, i.e. how far its log goes.",
  'leader epoch': 'A number the controller raises at every leader change of a partition. Followers use it to find where their log and the new leader\'s log part ways, and cut their log there.',
  acks: 'How many replicas must have a record before the Kafka leader answers the producer: 0 (none), 1 (the leader only) or all (every ISR member).',
  'acks=1': 'The Kafka leader answers as soon as the record is in its own log, before any follower copied it.',
  'acks=all': 'The Kafka leader answers only when every in-sync replica has the record.',
  controller: 'The Kafka broker (or KRaft node) that decides partition leaders and the ISR for the whole cluster.',
  'unclean leader election': 'Electing a replica that was not in the ISR, when no ISR member is alive: the partition comes back, but records only the old leader had are gone.',
  rebalance: 'A consumer group moving partitions (or queues) between its members, after a member joins, leaves or times out. Work in progress at that moment can be processed twice.',
  generation: 'The number of a consumer group\'s rebalance. A member of an old generation cannot commit offsets.',
  'static membership': 'A Kafka consumer with group.instance.id keeps its partitions across a restart shorter than session.timeout.ms, with no rebalance.',
  'auto-commit': 'The consumer commits the offsets it has fetched every few seconds, whether or not the records were processed.',
  offset: 'The position of a record in a partition or queue: 0, 1, 2, ...',
  'consumer offset': 'How far a consumer group has read a queue or partition: where it resumes after a restart or rebalance.',
  'x-death': 'A header RabbitMQ adds when it dead-letters a message: from which queue, why (rejected, expired, maxlen) and how many times.',
  'dead-letter': 'Moving a message that was rejected, expired or overflowed to another exchange (x-dead-letter-exchange) instead of dropping it.',
  DLX: 'Dead-letter exchange: where RabbitMQ sends a queue\'s rejected or expired messages.',
  DLQ: 'Dead-letter queue: where messages end up after too many failed deliveries (RocketMQ: %DLQ%<group> after 16 retries).',
  prefetch: 'basic.qos prefetch: how many unacknowledged messages RabbitMQ may have out to one consumer at a time.',
  autoAck: 'The consumer said no-ack: RabbitMQ deletes a message as soon as it sends it, so a crashed consumer loses what it held.',
  'basic.ack': 'The consumer telling RabbitMQ it is done with a message, which may then delete it. With publisher confirms the broker also sends basic.ack to the producer.',
  redelivered: 'The flag RabbitMQ sets on a message it delivers again after an earlier delivery was not acknowledged.',
  'publisher confirms': 'confirm.select: RabbitMQ acknowledges each published message to the producer once it has taken responsibility for it.',
  ready: 'Messages in the queue waiting to be delivered.',
  unacked: 'Messages delivered to a consumer and not acknowledged yet: the broker still keeps them and requeues them if the channel closes.',
  'quorum queue': 'A replicated RabbitMQ queue: a Raft group with a leader and followers; a message is confirmed once a majority has it.',
  heartbeat: 'A periodic frame on an idle connection. A peer silent for the whole heartbeat timeout is declared dead and its connection closed.',
  TTL: 'Time to live: a message (or every message of a queue) expires after it. RabbitMQ only expires messages at the head of a queue.',
  'commit log': 'RocketMQ\'s one append-only file per broker where every message of every topic is written; consume queues index into it.',
  'consume queue': 'A RocketMQ queue of a topic: an index of positions in the commit log, read by one consumer of a group at a time.',
  flush: 'Writing the page cache to disk (fsync). With ASYNC_FLUSH a broker acknowledges before flushing, so a machine crash loses the tail.',
  'page cache': 'The operating system\'s memory copy of recently written file data, lost when the machine (not just the process) crashes.',
  'half message': 'A RocketMQ transactional message stored but invisible to consumers until the producer commits it (or the broker\'s check-back decides).',
  'check-back': 'RocketMQ asking the producer group about a half message whose transaction it never heard the end of.',
  NameServer: 'RocketMQ\'s routing registry: brokers register with every NameServer; clients ask one for the brokers of a topic.',
  backlog: 'Messages acknowledged to a producer and not yet delivered to a consumer.',
  'in flight': 'Messages sent and not answered yet.',
  partition: 'In a fault, a cut in the network between groups of nodes. In Kafka, also a shard of a topic.',
  'replica.lag.time.max.ms': 'How long (default 30 s) a Kafka follower may fall behind the leader before the leader removes it from the ISR.',
  'min.insync.replicas': 'With acks=all, how many ISR members a Kafka partition needs to accept a write; with fewer the producer gets NOT_ENOUGH_REPLICAS.',
  'session.timeout.ms': 'How long a Kafka group coordinator waits without a heartbeat before it drops a consumer from the group and rebalances.',
  'group.instance.id': 'Makes a Kafka consumer a static member: its restart within session.timeout.ms does not start a rebalance.',
  ZooKeeper: 'The coordination service older Kafka clusters use to elect the controller and keep broker sessions; a broker is dead to it once its session expires.',
  'delay level': 'One of RocketMQ\'s 18 fixed delays (1s 5s 10s 30s 1m ... 2h); a retry waits the level of its attempt.',
  maxReconsumeTimes: 'How many times RocketMQ redelivers a failing message (default 16) before it moves it to %DLQ%<group>.',
  ASYNC_FLUSH: 'RocketMQ answers SEND_OK once the message is in the page cache and flushes it to disk later: a machine crash loses the unflushed tail.',
  SEND_OK: 'The RocketMQ broker\'s success answer to a send. With ASYNC_FLUSH it does not mean the message is on disk.',
  'confirm.select': 'Puts a RabbitMQ channel in publisher-confirm mode: the broker then acks (or nacks) every published message.',
};

/** The terms, longest first, for matching in text. */
export const TERMS = Object.keys(GLOSSARY).sort((a, b) => b.length - a.length);

export interface TextPiece {
  text: string;
  term?: string;
}

/** Splits text into plain pieces and glossary terms (whole words, the first occurrence of each term only, so a paragraph is not all underlines). */
export function markTerms(text: string, seen: Set<string> = new Set()): TextPiece[] {
  const pieces: TextPiece[] = [];
  const pattern = new RegExp(`(?<![\\w.=-])(${TERMS.map(escapeRegExp).join('|')})(?![\\w=-])`, 'g');
  let at = 0;
  for (const match of text.matchAll(pattern)) {
    const term = match[1]!;
    if (seen.has(term)) continue;
    seen.add(term);
    if (match.index! > at) pieces.push({ text: text.slice(at, match.index) });
    pieces.push({ text: term, term });
    at = match.index! + term.length;
  }
  if (at < text.length) pieces.push({ text: text.slice(at) });
  return pieces;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

import { DeliberateBugs } from '../../sim/deliberate-bugs.js';

/** Kafka's deliberate model bugs (sim/deliberate-bugs.ts says what they are for). */
export const KAFKA_DELIBERATE_BUGS = new DeliberateBugs({
  /** The leader answers an acks=all Produce on its own append, before the ISR has the records (as acks=1 does). */
  'acks-all-answers-on-append': 'acks=all acknowledged on the leader\'s append, before the high watermark passes the batch',
  /** The leader appends a retried batch again instead of recognising its producer id and sequence (idempotence without its broker half). */
  'duplicate-sequence-appended': 'a retried batch with an already written producer id and sequence is appended again',
  /** A replica becoming follower truncates to its high watermark, as before KIP-101, although leader epochs are on. */
  'follower-truncates-to-hw': 'a new follower truncates to its high watermark instead of the leader epoch\'s end offset',
});

export type KafkaDeliberateBug = keyof typeof KAFKA_DELIBERATE_BUGS.catalogue;

export function deliberateBug(bug: KafkaDeliberateBug): boolean {
  return KAFKA_DELIBERATE_BUGS.on(bug);
}

/** Runs `body` with `bug` switched on, and off again afterwards whatever happens. */
export function withDeliberateBug<T>(bug: KafkaDeliberateBug, body: () => Promise<T>): Promise<T> {
  return KAFKA_DELIBERATE_BUGS.with(bug, body);
}

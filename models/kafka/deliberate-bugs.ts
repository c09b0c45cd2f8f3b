/**
 * Deliberate model bugs (issue #22): switches that break one guarantee on purpose, so a test can
 * measure whether `mqsim check` finds the break with a shipped "holds" claim: how strong the
 * search is, not only how fast. Test-only: no scenario key reaches them, every one is off by
 * default, and a run with all of them off is the model (same trace hashes). The switch is module
 * state of this process, so it reaches `runCheck` with `workers: 1` (runs in-process), not worker
 * threads.
 */
export const KAFKA_DELIBERATE_BUGS = {
  /** The leader answers an acks=all Produce on its own append, before the ISR has the records (as acks=1 does). */
  'acks-all-answers-on-append': 'acks=all acknowledged on the leader\'s append, before the high watermark passes the batch',
  /** The leader appends a retried batch again instead of recognising its producer id and sequence (idempotence without its broker half). */
  'duplicate-sequence-appended': 'a retried batch with an already written producer id and sequence is appended again',
  /** A replica becoming follower truncates to its high watermark, as before KIP-101, although leader epochs are on. */
  'follower-truncates-to-hw': 'a new follower truncates to its high watermark instead of the leader epoch\'s end offset',
  /** The leader answers OffsetsForLeaderEpoch for an epoch older than its whole cache with "undefined" (the model before issue #15) instead of the requested epoch and its first epoch's start offset. */
  'epoch-below-first-undefined': 'OffsetsForLeaderEpoch for an epoch below the leader\'s first cached epoch answers undefined, and the follower falls back to its high watermark',
} as const;

export type KafkaDeliberateBug = keyof typeof KAFKA_DELIBERATE_BUGS;

const enabled = new Set<KafkaDeliberateBug>();

export function deliberateBug(bug: KafkaDeliberateBug): boolean {
  return enabled.size > 0 && enabled.has(bug);
}

/** Runs `body` with `bug` switched on, and off again afterwards whatever happens. */
export async function withDeliberateBug<T>(bug: KafkaDeliberateBug, body: () => Promise<T>): Promise<T> {
  enabled.add(bug);
  try {
    return await body();
  } finally {
    enabled.delete(bug);
  }
}

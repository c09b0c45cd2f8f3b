import { notesOf } from '../../sim/notes.js';

/** Every trace note the demo queue writes, with what it means. */
export const DEMO_NOTES = {
  'unknown-request': 'The broker received a message type it does not handle and ignored it.',
  'disk-full': 'The broker could not write a message or an ack because its disk is full; the request failed.',
  'visibility-timeout': 'A delivered message was not acked within visibility.timeout, so the broker made it ready again (it will be redelivered).',
  'stale-ack': 'An ack arrived for a delivery the broker no longer tracks (it timed out or the broker restarted); it was ignored.',
  'queue-recovered': 'After a restart the broker rebuilt a queue from what its disk kept: records, acked and ready counts.',
  'producer-restarted': 'A producer came back after a crash; it does not resume what it had not sent.',
  'produce-retry': 'A producer resent a message whose answer did not come within request.timeout.',
  'fetch-timeout': 'A consumer gave up waiting for a fetch response and will poll again.',
  'late-fetch-response': 'A fetch response arrived after its timeout; the consumer dropped its deliveries (they time out and come back).',
  'processing-failed': 'The consumer\'s processing of a message failed (failureRate); it is not acked and will be redelivered.',
} as const;

export const notes = notesOf(DEMO_NOTES);

import { DeliberateBugs } from '../../sim/deliberate-bugs.js';

/** RocketMQ's deliberate model bugs (sim/deliberate-bugs.ts says what they are for). */
export const ROCKETMQ_DELIBERATE_BUGS = new DeliberateBugs({
  /** A SYNC_MASTER answers SEND_OK without waiting for its slave to report the record (as ASYNC_MASTER does). */
  'sync-master-ignores-slave': 'a SYNC_MASTER answers SEND_OK without waiting for the slave to have the record',
  /**
   * The idempotent consumer looks its message id up when processing starts but inserts it without a
   * unique key (SELECT, then INSERT): two consumers of a rebalance overlap both process the message.
   */
  'idempotent-check-then-insert': 'the idempotent consumer checks the processed-ids table before processing and inserts without a unique key',
});

import { DeliberateBugs } from '../../sim/deliberate-bugs.js';

/** RabbitMQ's deliberate model bugs (sim/deliberate-bugs.ts says what they are for). */
export const RABBITMQ_DELIBERATE_BUGS = new DeliberateBugs({
  /** A quorum queue leader confirms an enqueue when it proposes it, before a majority has it (Raft without its commit rule). */
  'quorum-confirms-before-majority': 'a quorum queue leader answers an enqueue as applied on its own append, before a majority has written it',
});

/**
 * The RocketMQ model's drill aliases (drill/conditions.ts): conditions on the nodes and notes this
 * model writes (notes.ts), and facts reading those notes and the control-plane stores.
 */

/** `arg [key=value ...]` -> `note <what> <firstKey>=<arg> key=value ...` (a word with `=` passes through). */
function noteCondition(what: string, firstKey: string): (arg: string) => string {
  return (arg) => {
    const filters = arg.split(/\s+/).filter((w) => w !== '').map((w) => (w.includes('=') ? w : `${firstKey}=${w}`));
    return `note ${what} ${filters.join(' ')}`.trimEnd();
  };
}

/**
 * Drill aliases (drill/conditions.ts): conditions on the nodes and notes this model writes,
 * facts reading those notes and the control-plane stores (namesrv-N, rocketmq.assignments,
 * rocketmq.consumers, rocketmq.dledger).
 */
export const rocketDrill = {
  conditions: {
    /** `message-dead-lettered [group]`: a message went to %DLQ%<group> after maxReconsumeTimes. */
    'message-dead-lettered': noteCondition('dead-lettered', 'group'),
    /** `route-expired [broker-a-0]`: a NameServer dropped a broker silent for 120s (scanNotActiveBroker). */
    'route-expired': noteCondition('broker-expired', 'broker'),
    'broker-expired': noteCondition('broker-expired', 'broker'),
    /** `topic-created [%DLQ%billing]`: a broker created a topic (auto-created retry and DLQ topics too). */
    'topic-created': noteCondition('topic-created', 'topic'),
    /** `broker-crashed broker-a-0`, `broker-restarted broker-a-0`, `consumer-crashed billing-c1`. */
    'broker-crashed': (arg: string) => `crash ${arg || 'broker-a-0'}`,
    'broker-restarted': (arg: string) => `restart ${arg || 'broker-a-0'}`,
    'consumer-crashed': (arg: string) => `crash ${arg}`,
    /** `store-recovered`: a restarted broker rebuilt its commit log and consume queues. */
    'store-recovered': () => 'note store-recovered',
    /** `consumer-rebalanced [clientId]`: a push consumer reallocated its message queues. */
    'consumer-rebalanced': noteCondition('rebalanced', 'clientId'),
    'consumer-ids-changed': noteCondition('consumer-ids-changed', 'group'),
    /** `latency-fault [broker-a]`: a producer marked a broker unavailable (sendLatencyFaultEnable). */
    'latency-fault': noteCondition('latency-fault', 'broker'),
    'dledger-leader': () => 'note dledger-leader',
    'transaction-check': noteCondition('check-transaction-state', 'msg'),
    'transaction-discarded': noteCondition('transaction-discarded', 'msg'),
    /** `transaction-committed [msg]` / `transaction-rolled-back [msg]`: the broker ended a half message. */
    'transaction-committed': noteCondition('transaction-committed', 'msg'),
    'transaction-rolled-back': noteCondition('transaction-rolled-back', 'msg'),
    'client-expired': noteCondition('client-expired', 'group'),
  },
  facts: {
    /** From the next (else last) dead-lettered note: the message, its group, its reconsumeTimes. */
    'dead-letter-msg': () => 'note dead-lettered msg',
    'dead-letter-group': () => 'note dead-lettered group',
    'dead-letter-reconsume-times': () => 'note dead-lettered reconsumeTimes',
    /** From the next (else last) broker-expired note. */
    'expired-broker': () => 'note broker-expired broker',
    'expired-silent-us': () => 'note broker-expired silentFor',
    /** `{{route namesrv-1 TopicTest}}`: that NameServer's queue data for the topic at the step. */
    route: (arg: string) => {
      const [ns, topic] = arg.split(/\s+/);
      return `state ${ns ?? 'namesrv-1'} topics.${topic ?? 'TopicTest'}`;
    },
    /** `{{route-brokers namesrv-1}}`: the broker address table of that NameServer. */
    'route-brokers': (arg: string) => `state ${arg || 'namesrv-1'} brokers`,
    /** `{{assignment billing}}`: each consumer's message queues. */
    assignment: (arg: string) => `state rocketmq.assignments ${arg}`,
    'recovered-records': () => 'note store-recovered records',
    'recovered-max-phy': () => 'note store-recovered maxPhy',
    /** From the next (else last) CHECK_TRANSACTION_STATE the producer answered: the message and the answer. */
    'check-msg': () => 'note check-transaction-state msg',
    'check-answer': () => 'note check-transaction-state answer',
    'latency-fault-broker': () => 'note latency-fault broker',
    'latency-fault-ms': () => 'note latency-fault notAvailableMs',
  },
};

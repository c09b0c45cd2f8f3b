import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseScenario, scenarioFromData, type Scenario } from '../../models/scenario.js';
import { formatProblem, ScenarioError } from '../../sim/scenario/load.js';

function problemsOf(text: string): string[] {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems.map((p) => formatProblem(p).split('\n')[0]!);
    throw error;
  }
  return [];
}

const BASE = 'name: x\nsystem: demo\nduration: 10s\n';

/** A scenario's validated data without the raw copy, or the problems as formatted for the user. */
function outcome(load: () => Scenario): unknown {
  try {
    const { raw: _raw, ...data } = load();
    return data;
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems.map((p) => formatProblem(p));
    throw error;
  }
}

/** Objects shaped like scenarios, valid or not. */
function scenarioShaped() {
  const value = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom('10s', '-1s', '1000/s', '64KiB', 'broker', 'random-broker'));
  const leaf = fc.oneof(value, fc.array(value, { maxLength: 3 }), fc.dictionary(fc.constantFrom('at', 'crash', 'kill', 'for', 'partition', 'heal', 'id', 'rate', 'count', 'uniform'), value, { maxKeys: 3 }));
  const scenario = fc.record({
    name: fc.oneof(fc.constant('fuzz'), value),
    system: fc.oneof(fc.constant('demo'), value),
    duration: fc.oneof(fc.constant('10s'), value),
    workload: fc.option(fc.record({ producers: fc.array(fc.dictionary(fc.constantFrom('id', 'rate', 'count', 'keys', 'payload', 'config', 'queue'), leaf, { maxKeys: 4 }), { maxLength: 2 }) }), { nil: undefined }),
    faults: fc.option(fc.array(fc.dictionary(fc.constantFrom('at', 'crash', 'kill', 'for', 'partition', 'heal', 'pause', 'slow-disk', 'factor'), leaf, { maxKeys: 3 }), { maxLength: 3 }), { nil: undefined }),
    expect: fc.option(fc.dictionary(fc.constantFrom('lostAcked', 'latency.p99', 'nope'), value, { maxKeys: 2 }), { nil: undefined }),
    network: fc.option(leaf, { nil: undefined }),
  }, { requiredKeys: [] });
  return scenario;
}



describe('bad scenario files', () => {
  it.each([
    ['a YAML syntax error', 'name: x\nsystem: demo\nduration: [10s\n',
      ['bad.yaml:4:1: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]']],
    ['a misspelt key', 'name: x\nsystem: demo\nduraton: 10s\n',
      ['bad.yaml:1:1: duration: missing required key (expected a duration such as 250ms, 5s, 2m, 1h (units: us, µs, ms, s, m, min, h, d))',
        'bad.yaml:3:1: duraton: unknown key "duraton" (did you mean "duration"?)']],
    ['a wrong type', `${BASE}workload:\n  producers:\n    - { id: p1, count: ten }\n`,
      ['bad.yaml:6:24: workload.producers[0].count: expected number, received string']],
    ['a negative duration', 'name: x\nsystem: demo\nduration: -5s\n',
      ['bad.yaml:3:11: duration: negative duration "-5s"; durations are >= 0']],
    ['a duration without a unit', 'name: x\nsystem: demo\nduration: "10"\n',
      ['bad.yaml:3:11: duration: duration "10" has no unit; write e.g. 10ms or 10s (units: us, µs, ms, s, m, min, h, d)']],
    ['an unknown system', 'name: x\nsystem: demoo\nduration: 5s\n',
      ['bad.yaml:2:9: system: unknown system "demoo" (did you mean "demo"?)']],
    ['a fault naming a node that does not exist', `${BASE}faults:\n  - { at: 1s, crash: broker-9 }\n`,
      ['bad.yaml:5:22: faults[0].crash: no node or selector named "broker-9" (nodes: broker; or random-<role>, all-<role>) (did you mean "broker"?)']],
    ['a fault after the end of the run', `${BASE}faults:\n  - { at: 11s, crash: broker }\n`,
      ['bad.yaml:5:11: faults[0].at: at 11s is after the run\'s duration 10s']],
    ['duplicate producer names', `${BASE}workload:\n  producers:\n    - { id: p1, rate: 1/s }\n    - { id: p1, rate: 2/s }\n`,
      ['bad.yaml:7:13: workload.producers[1].id: duplicate producer id "p1"']],
    ['a duplicate key', 'name: x\nname: y\nsystem: demo\nduration: 10s\n',
      ['bad.yaml:2:1: name: the key "name" appears more than once in this mapping']],
    ['a config value outside the allowed ones', `${BASE}cluster:\n  config: { ack.after: never }\n`,
      ['bad.yaml:5:24: cluster.config.ack.after: Invalid option: expected one of "receive"|"fsync"']],
    ['an unknown key inside a fault', `${BASE}faults:\n  - { at: 1s, crash: broker, keepPagecache: true }\n`,
      ['bad.yaml:5:30: faults[0].keepPagecache: unknown key "keepPagecache" (did you mean "keepPageCache"?)']],
    ['keepPageCache on a kill (a killed process\'s machine keeps its page cache)', `${BASE}faults:\n  - { at: 1s, kill: broker, for: 1s, keepPageCache: false }\n`,
      ['bad.yaml:5:53: faults[0].keepPageCache: keepPageCache does not apply to kill: a killed process\'s machine stays up and keeps its page cache; to lose unflushed writes, crash the machine (crash: and restart:)']],
    ['an expectation on an unknown metric', `${BASE}expect:\n  lostAked: 0\n`,
      ['bad.yaml:5:3: expect.lostAked: unknown metric "lostAked" (did you mean "lostAcked"?)']],
    ['a link naming an unknown node', `${BASE}workload: { producers: [{ id: p1, rate: 1/s }] }\nnetwork:\n  links:\n    - { from: [p1], to: [brokr], loss: 0.1 }\n`,
      ['bad.yaml:7:26: network.links[0].to[0]: no node named "brokr" (did you mean "broker"?)']],
    ['a Kafka leader-of selector naming a partition that does not exist',
      'name: x\nsystem: kafka\nduration: 10s\ntopics: [{ name: orders, partitions: 6 }]\nfaults:\n  - { at: 1s, crash: { leader-of: orders-9 } }\n',
      ['bad.yaml:6:35: faults[0].crash.leader-of: leader-of: no partition "orders-9" (partitions are <topic>-<n>: orders-0..5)']],
    ['a RocketMQ master-of selector naming no broker group',
      'name: x\nsystem: rocketmq\nduration: 10s\nfaults:\n  - { at: 1s, crash: { master-of: broker-z } }\n',
      ['bad.yaml:5:35: faults[0].crash.master-of: master-of: needs a broker group (brokerName), e.g. { master-of: broker-a }; groups: broker-a, broker-b']],
  ])('%s: exact position and message', (_what, text, expected) => {
    expect(problemsOf(text)).toEqual(expected);
  });

  // Cross-field problems a model finds when it builds the cluster, each at the offending node.
  it.each([
    ["a Kafka topic defined twice", 'name: x\nsystem: kafka\nduration: 10s\ntopics:\n  - { name: orders }\n  - { name: orders }\n', ["bad.yaml:6:13: topics[1].name: topic orders is defined twice"]],
    ["a Kafka replication factor above the broker count", 'name: x\nsystem: kafka\nduration: 10s\ncluster: { brokers: 2 }\ntopics: [{ name: orders, replicationFactor: 3 }]\n', ["bad.yaml:5:45: topics[0].replicationFactor: topic orders: replicationFactor 3 is larger than the 2 brokers"]],
    ["a Kafka producer of a topic that does not exist", 'name: x\nsystem: kafka\nduration: 10s\ntopics: [{ name: orders }]\nworkload:\n  producers: [{ id: p1, rate: 1/s, topic: order }]\n', ["bad.yaml:6:43: workload.producers[0].topic: producer p1: no topic named \"order\" (topics: orders) (did you mean \"orders\"?)"]],
    ["a Kafka consumer of a topic that does not exist", 'name: x\nsystem: kafka\nduration: 10s\ntopics: [{ name: orders }]\nworkload:\n  consumers: [{ group: g, topic: ordrs }]\n', ["bad.yaml:6:34: workload.consumers[0].topic: consumer: no topic named \"ordrs\" (topics: orders) (did you mean \"orders\"?)"]],
    ["a RabbitMQ binding to a queue that does not exist", 'name: x\nsystem: rabbitmq\nduration: 10s\nexchanges: [{ name: e, type: direct }]\nqueues: [{ name: jobs, durable: true }]\nbindings: [{ exchange: e, queue: jbos }]\n', ["bad.yaml:6:34: bindings[0].queue: no queue \"jbos\" in vhost / (did you mean \"jobs\"?)"]],
    ["a RabbitMQ queue defined twice", 'name: x\nsystem: rabbitmq\nduration: 10s\nqueues:\n  - { name: jobs, durable: true }\n  - { name: jobs, durable: false }\n', ["bad.yaml:6:13: queues[1].name: queue \"jobs\" is defined twice in vhost /"]],
    ["a RabbitMQ consumer of a queue that does not exist", 'name: x\nsystem: rabbitmq\nduration: 10s\nqueues: [{ name: jobs, durable: true }]\nworkload:\n  consumers: [{ queue: job }]\n', ["bad.yaml:6:24: workload.consumers[0].queue: no queue \"job\" in vhost / (did you mean \"jobs\"?)"]],
    ["a RabbitMQ queue on a node that does not exist", 'name: x\nsystem: rabbitmq\nduration: 10s\ncluster: { brokers: 3 }\nqueues: [{ name: jobs, durable: true, node: rabbit-4 }]\n', ["bad.yaml:5:45: queues[0].node: no node \"rabbit-4\" (nodes: rabbit-1, rabbit-2, rabbit-3; cluster.brokers sets how many) (did you mean \"rabbit-1\"?)"]],
    ["a RocketMQ topic on a broker group that does not exist", 'name: x\nsystem: rocketmq\nduration: 10s\ntopics: [{ name: T, brokerGroups: [broker-a, broker-z] }]\n', ["bad.yaml:4:46: topics[0].brokerGroups[1]: topic T: no broker group broker-z (groups: broker-a, broker-b) (did you mean \"broker-a\"?)"]],
    ["a RocketMQ pull-consumer key on a push consumer", 'name: x\nsystem: rocketmq\nduration: 10s\nworkload:\n  consumers: [{ group: g, workers: 4 }]\n', ["bad.yaml:5:36: workload.consumers[0].workers: consumers g: workers needs consumerType: pull"]],
    ["a Kafka consumer marked idempotent (a key that would change nothing is refused)", 'name: x\nsystem: kafka\nduration: 10s\nworkload:\n  consumers: [{ group: g, idempotent: true }]\n', ["bad.yaml:5:39: workload.consumers[0].idempotent: consumers g: an idempotent consumer (a store of processed ids) is not modelled for kafka yet"]],
    ["a RocketMQ producer with an outbox (a key that would change nothing is refused)", 'name: x\nsystem: rocketmq\nduration: 10s\nworkload:\n  producers: [{ id: p1, rate: 1/s, outbox: { resendAfter: 2s } }]\n', ["bad.yaml:5:44: workload.producers[0].outbox: producer p1: the outbox pattern is not modelled for rocketmq (a transactional producer is RocketMQ's way: transaction:)"]],
  ])('%s: reported at its own line and column, with a did-you-mean', (_what, text, expected) => {
    expect(problemsOf(text).map((p) => p.split('\n')[0])).toEqual(expected);
  });

  it('reports every problem at once', () => {
    const text = 'name: x\nsystem: demo\nduration: 10\nseed: [1]\ncluster:\n  config: { ack.after: never }\nexpect:\n  lostAked: 0\n';
    expect(problemsOf(text)).toHaveLength(4);
  });

  it('accepts the same scenario once fixed', () => {
    expect(problemsOf(`${BASE}workload:\n  producers:\n    - { id: p1, rate: 10/s }\n`)).toEqual([]);
  });
});

describe('loader robustness', () => {
  const onlyScenarioErrors = (text: string) => {
    try {
      parseScenario(text, 'fuzz.yaml');
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      for (const problem of error.problems) {
        expect(problem.line).toBeGreaterThanOrEqual(1);
        expect(problem.column).toBeGreaterThanOrEqual(1);
      }
    }
  };

  it('random YAML text never throws anything but ScenarioError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), onlyScenarioErrors), { numRuns: 300 });
  });

  it('random objects shaped like scenarios never throw anything but ScenarioError', () => {
    fc.assert(fc.property(scenarioShaped(), (object) => onlyScenarioErrors(stringify(object))), { numRuns: 400 });
  });

  it('scenarioFromData (data without a file: mqsim check variants) judges data as parseScenario judges it written as YAML', () => {
    fc.assert(fc.property(scenarioShaped(), (object) => {
      const viaYaml = outcome(() => parseScenario(stringify(object), 'data.yaml'));
      const direct = outcome(() => scenarioFromData(object as Record<string, unknown>, 'data.yaml'));
      expect(direct).toEqual(viaYaml);
    }), { numRuns: 400 });
  });
});

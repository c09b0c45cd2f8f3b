import { rocketmqModel } from '../../models/rocketmq/index.js';
import { BrokerController } from '../../models/rocketmq/broker/broker-controller.js';
import type { RocketModelRun } from '../../models/rocketmq/index.js';
import type { RocketScenario } from '../../models/rocketmq/scenario.js';
import { scenarioSchema } from '../../sim/scenario/schema.js';
import { World } from '../../sim/world.js';
import type { RocketVersion } from '../../models/rocketmq/version.js';
import { compareIds, emptyObserved, localName, qualified, ROCKETMQ_BROKER_CONFIG, type Observed, type RocketProbe } from './probe.js';

/**
 * A probe through the RocketMQ model: the probe's steps become one scenario on a virtual
 * timeline (one NameServer, broker group broker-a with no slave, or with a slave broker-a-1 and the
 * probe's brokerRole for a `group` probe, the probe's topics, the same
 * broker settings as the real broker.conf): each send step a producer starting then (100
 * messages/s, sync), each consume step a consumer entry starting then, each wait moves the
 * timeline on; broker faults are the world's: kill -9 a process kill (the machine stays up: the
 * page cache survives, peers' connections are reset), a clean stop the world's graceful stop
 * (the broker's shutdown: UNREGISTER_BROKER, then exit), pause/resume the node's. Reads
 * (assignments, route, %DLQ%) look at the model's state at their time. What the run saw comes
 * from the client history (sends, deliveries), the trace notes (transaction check-backs) and
 * the broker's store. A message's reconsume times in the model are the number of earlier
 * deliveries of it to the group (the history does not carry the property).
 */

const MS = 1_000;
const BROKER = 'broker-a-0';
/** Clients start at 1 s (CLIENT_START_DELAY); the script starts after they have a route. */
const START = 2_000;
const TAIL = 2_000;
/** A send step's producer rate, and the gap a step takes on the timeline. */
const SEND_INTERVAL = 10;
const STEP = 10;

const schema = scenarioSchema(rocketmqModel.parts);

export function messageIds(producer: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${producer}-${i}`);
}

export function keyNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `key-${i}`);
}

export function consumerNames(group: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${group}-c${i + 1}`);
}

const parseQueueId = (queue: string | undefined): number => Number(queue?.slice(queue.lastIndexOf(':') + 1) ?? -1);
const topicOf = (queue: string | undefined): string => queue?.split(':')[1] ?? '';

/** The DLedger group's leader now (the node to kill for a `node: leader` step). */
function leaderOf(world: World): string {
  for (const name of ['broker-a-0', 'broker-a-1', 'broker-a-2']) {
    const slot = world.node(name);
    if (slot.status === 'up' && slot.actor instanceof BrokerController && slot.actor.dledger?.role === 'leader') return name;
  }
  throw new Error('no DLedger leader to kill');
}

export function runProbeInModel(probe: RocketProbe, version: RocketVersion): Observed {
  const producers: Record<string, unknown>[] = [];
  const consumers: Record<string, unknown>[] = [];
  const actions: { at: number; run: (world: World, run: RocketModelRun) => void }[] = [];
  const observed = emptyObserved();
  const groupOfConsumer = new Map<string, string>();
  const running = new Map<string, { group: string; topic: string }>();
  let at = START;
  let afterFault = false;
  for (const step of probe.steps) {
    if ('send' in step) {
      // The real driver starts a new producer at the step, which asks the NameServer for the route
      // then; the model's producers start with the cluster and poll routes every 30 s, so one that
      // sends after a broker fault polls every 500 ms to send on as fresh a route.
      const fresh = afterFault ? { pollNameServerInterval: 500 } : {};
      producers.push({
        id: step.send, topic: step.topic, count: step.count, rate: `${1000 / SEND_INTERVAL}/s`, start: `${at}ms`,
        config: { producerGroup: `PG_${qualified(probe, step.send)}`, ...fresh, ...(step.sendMsgTimeout !== undefined ? { sendMsgTimeout: step.sendMsgTimeout } : {}) },
        ...(step.tags ? { tags: step.tags } : {}), ...(step.delayLevels ? { delayLevels: step.delayLevels } : {}),
        ...(step.keys !== undefined ? { keys: step.keys } : {}), ...(step.selectByHash ? { orderly: true } : {}),
      });
      at += (step.takes ?? step.count * SEND_INTERVAL) + 100;
    } else if ('transaction' in step) {
      // commit share 1 or 0; UNKNOW first when the local transaction answers UNKNOW, then the check-back answers from the "database".
      const outcome = step.local === 'UNKNOW' ? step.check : step.local;
      producers.push({
        id: step.transaction, topic: step.topic, count: step.count, rate: `${1000 / SEND_INTERVAL}/s`, start: `${at}ms`, config: { producerGroup: `PG_${qualified(probe, step.transaction)}` },
        transaction: { commit: outcome === 'COMMIT_MESSAGE' ? 1 : 0, unknown: step.local === 'UNKNOW' ? 1 : 0, checkUnknown: step.local === 'UNKNOW' && step.check === 'UNKNOW' ? 1 : 0, duration: `${step.localMs}ms` },
      });
      at += step.count * (step.localMs + SEND_INTERVAL) + 100;
    } else if ('consume' in step) {
      const config: Record<string, unknown> = {};
      if (step.messageModel) config.messageModel = step.messageModel;
      if (step.strategy) config.allocateMessageQueueStrategy = step.strategy;
      if (step.maxReconsumeTimes !== undefined) config.maxReconsumeTimes = step.maxReconsumeTimes;
      if (step.pollNameServerInterval !== undefined) config.pollNameServerInterval = step.pollNameServerInterval;
      const group = qualified(probe, step.consume);
      consumers.push({
        group, topic: step.topic, count: step.count, start: `${at}ms`, subscription: step.subscription ?? '*',
        ...(step.fail ? { failureRate: 1 } : {}), config,
      });
      for (const name of consumerNames(group, step.count)) {
        groupOfConsumer.set(name, step.consume);
        running.set(name, { group, topic: step.topic });
      }
      at += STEP;
    } else if ('wait' in step) {
      at += step.wait;
    } else if ('assignments' in step) {
      const topic = step.assignments;
      const names = [...running].filter(([, c]) => c.topic === topic);
      actions.push({
        at, run: (_world, run) => {
          const state = run.stores.assignments.state;
          const seen: Record<string, number[]> = {};
          for (const [name, c] of names) {
            seen[localName(probe, name)] = (state[c.group]?.[name] ?? []).filter((q) => topicOf(q) === topic).map(parseQueueId).sort((a, b) => a - b);
          }
          observed.assignments.push(seen);
        },
      });
      at += STEP;
    } else if ('route' in step) {
      const topic = step.route;
      actions.push({
        at, run: (_world, run) => {
          const view = Object.values(run.stores.namesrv)[0]!.state;
          const brokers = Object.keys(view.topics[topic] ?? {}).filter((b) => view.brokers[b] !== undefined).sort();
          observed.routes.push(brokers.length > 0 ? brokers : 'TOPIC_NOT_EXIST');
        },
      });
      at += STEP;
    } else if ('dlq' in step) {
      const topic = `%DLQ%${qualified(probe, step.dlq)}`;
      actions.push({
        at, run: (world) => {
          const actor = world.node(BROKER).actor;
          const cq = actor instanceof BrokerController ? actor.store.findQueue(topic, 0) : undefined;
          if (cq === undefined || !(actor instanceof BrokerController)) {
            observed.dlq.push('TOPIC_NOT_EXIST');
            return;
          }
          const ids: string[] = [];
          for (const entry of cq.file.records) {
            const record = actor.store.lookup(entry.phy);
            if (record) ids.push(`${record.msg} reconsumeTimes=${record.reconsumeTimes}`);
          }
          observed.dlq.push(ids.sort(compareIds));
        },
      });
      at += STEP;
    } else if ('cluster' in step) {
      const poll = step.cluster === 'new-leader';
      const snapshot = (run: RocketModelRun) => {
        const group = Object.values(run.stores.namesrv)[0]!.state.brokers['broker-a'] ?? {};
        return { ...group };
      };
      actions.push({
        at, run: (world, run) => {
          // new-leader: as the real driver, look every 100 ms until another node is brokerId 0.
          const look = () => {
            const byId = snapshot(run);
            if (poll && (byId['0'] === undefined || byId['0'] === observed.killed?.node)) {
              world.kernel.after(100 * MS, look, null);
              return;
            }
            observed.clusters.push({ at: world.now / MS, byId });
          };
          look();
        },
      });
      at += poll ? step.takes ?? 10_000 : STEP;
    } else {
      const fault = step.broker;
      const named = step.node;
      afterFault = true;
      // A broker fault ends the real driver's segment: its JVM exits, and the consumers it ran with it.
      const ended = [...running.keys()];
      running.clear();
      actions.push({
        at, run: (world) => {
          for (const consumer of ended) world.kill(consumer);
          const node = named === 'leader' ? leaderOf(world) : named === 'killed' ? observed.killed!.node : named ?? BROKER;
          if (fault === 'kill9') {
            world.kill(node);
            observed.killed = { node, at: world.now / MS };
          }
          else if (fault === 'stop') world.stop(node);
          else if (fault === 'restart' || fault === 'start') world.restartWhenDown(node);
          else if (fault === 'pause') world.pause(node);
          else world.resume(node);
        },
      });
      at += fault === 'restart' || fault === 'start' ? 3_000 : STEP;
    }
  }
  const end = at + TAIL;
  const raw: Record<string, unknown> = {
    name: `conformance-${probe.id}`, system: 'rocketmq', seed: 1, duration: `${end}ms`,
    cluster: {
      version, nameServers: 1, brokerGroups: 1, slavesPerGroup: probe.group?.dledger ? 2 : probe.group ? 1 : 0,
      config: {
        ...ROCKETMQ_BROKER_CONFIG,
        ...(probe.group?.dledger ? { enableDLegerCommitLog: true } : {}),
        ...(probe.group ? { brokerRole: probe.group.brokerRole, flushDiskType: probe.group.flushDiskType ?? 'ASYNC_FLUSH' } : {}),
        ...(probe.group?.inSyncReplicas !== undefined ? { inSyncReplicas: probe.group.inSyncReplicas } : {}),
        ...(probe.group?.slaveReadEnable !== undefined ? { slaveReadEnable: probe.group.slaveReadEnable } : {}),
      },
    },
    topics: probe.topics.map((t) => ({ name: t.name, readQueueNums: t.queues, writeQueueNums: t.queues })),
    workload: { producers, consumers },
  };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`probe ${probe.id}: ${parsed.error.message}`);
  const world = new World({ seed: 1, keepHistory: true, network: { latency: { constant: MS } }, disk: { fsyncLatency: { constant: MS } } });
  const run = rocketmqModel.build(world, parsed.data as RocketScenario) as RocketModelRun;
  for (const action of actions) world.kernel.at(action.at * MS, () => action.run(world, run), null);
  world.run({ duration: end * MS, drain: 0 });

  const invokedAt = new Map<string, number>();
  const delivered = new Map<string, number>();
  for (const op of world.history.ops) {
    if (op.f === 'send' && op.type === 'invoke' && op.msg) invokedAt.set(op.msg, op.time / MS);
    if (op.f === 'send' && op.type !== 'invoke' && op.msg) {
      const tx = producers.find((p) => op.msg!.startsWith(`${String(p.id)}-`))?.transaction !== undefined;
      const seen: Observed['sends'][number] = { id: op.msg, at: invokedAt.get(op.msg) ?? op.time / MS };
      if (op.key !== undefined) seen.key = op.key;
      if (tx) {
        // sendMessageInTransaction: the half message was SEND_OK; the local state is what the application answered.
        seen.status = 'SEND_OK';
        seen.local = op.type === 'ok' ? 'COMMIT_MESSAGE' : op.type === 'fail' ? String(op.error) : 'UNKNOW';
      } else if (op.type === 'ok') seen.status = 'SEND_OK';
      // The model's error text for a send with no route is the real client's MQClientException message; its code is NOT_FOUND_TOPIC_EXCEPTION.
      else seen.error = op.error?.startsWith('No route info of this topic') ? 'NOT_FOUND_TOPIC_EXCEPTION' : op.error ?? op.type;
      if (op.queue !== undefined && (op.type === 'ok' || tx)) seen.queueId = parseQueueId(op.queue);
      if (op.offset !== undefined && !tx) seen.queueOffset = op.offset;
      observed.sends.push(seen);
    }
    if (op.f === 'receive' && op.type === 'ok' && op.msg) {
      const group = groupOfConsumer.get(op.process) ?? op.group ?? '';
      const k = `${group}|${op.msg}`;
      const before = delivered.get(k) ?? 0;
      delivered.set(k, before + 1);
      observed.deliveries.push({ consumer: localName(probe, op.process), group, id: op.msg, queueId: parseQueueId(op.queue), reconsumeTimes: before, at: op.time / MS });
    }
  }
  for (const note of world.notes) {
    if (note.what === 'check-transaction-state') observed.checks.push({ id: String(note.detail?.msg), at: note.at / MS });
  }
  return observed;
}

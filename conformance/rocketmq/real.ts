import type { RocketBrokerControl } from './broker.js';
import { runDriver, type DriverStep } from './driver.js';
import { nodeAt, type GroupNode } from './group.js';
import { consumerNames, keyNames, messageIds } from './model.js';
import { emptyObserved, localName, qualified, type Observed, type RocketProbe, type RocketStep } from './probe.js';

/**
 * A probe against a real RocketMQ: its client steps go, segment by segment (a broker fault ends
 * a segment), to the Java driver (java/src/mqsim/Driver.java) in a JVM of its own, which runs
 * them with the real rocketmq-client and prints what it saw; the faults are done to the
 * harness's broker process between segments. `url` is the NameServer address (host:port).
 */

/** A probe step as the driver's JSON. */
function driverStep(probe: RocketProbe, step: Exclude<RocketStep, { broker: string }>, killedAddr?: string): DriverStep {
  if ('send' in step) {
    return {
      op: 'send', id: step.send, group: `PG_${qualified(probe, step.send)}`, topic: step.topic, ids: messageIds(step.send, step.count),
      ...(step.tags ? { tags: step.tags } : {}), ...(step.delayLevels ? { delayLevels: step.delayLevels } : {}),
      ...(step.keys !== undefined ? { keys: keyNames(step.keys) } : {}), selectByHash: step.selectByHash ?? false,
      ...(step.sendMsgTimeout !== undefined ? { sendMsgTimeout: step.sendMsgTimeout } : {}),
    };
  }
  if ('transaction' in step) {
    return { op: 'txsend', id: step.transaction, group: `PG_${qualified(probe, step.transaction)}`, topic: step.topic, ids: messageIds(step.transaction, step.count), local: step.local, check: step.check, localMs: step.localMs };
  }
  if ('consume' in step) {
    return {
      op: 'consume', group: qualified(probe, step.consume), topic: step.topic, names: consumerNames(qualified(probe, step.consume), step.count), instanceName: '0', subscription: step.subscription ?? '*',
      messageModel: step.messageModel ?? 'CLUSTERING', strategy: step.strategy ?? 'averagely', fromWhere: step.fromWhere ?? 'CONSUME_FROM_LAST_OFFSET',
      fail: step.fail ?? false, ...(step.maxReconsumeTimes !== undefined ? { maxReconsumeTimes: step.maxReconsumeTimes } : {}),
      ...(step.pollNameServerInterval !== undefined ? { pollNameServerInterval: step.pollNameServerInterval } : {}),
    };
  }
  if ('wait' in step) return { op: 'wait', ms: step.wait };
  if ('cluster' in step) return step.cluster === 'now' ? { op: 'cluster', brokerName: 'broker-a' } : { op: 'waitLeaderNot', brokerName: 'broker-a', addr: killedAddr ?? '' };
  if ('assignments' in step) return { op: 'assignments', topic: step.assignments };
  if ('route' in step) return { op: 'route', topic: step.route };
  return { op: 'dlq', group: qualified(probe, step.dlq) };
}

/** Tells the messages of one run of a probe from those an earlier run (a retry, or an earlier `npm run conformance` on the same broker) left. */
let runs = 0;

export async function runProbeOnRealBroker(lone: string, probe: RocketProbe, control?: RocketBrokerControl): Promise<Observed> {
  const observed = emptyObserved();
  if (probe.group !== undefined && control === undefined) throw new Error(`probe ${probe.id} needs the harness's own broker group`);
  const group = probe.group === undefined ? undefined : await control!.group(probe.group);
  const url = group?.url ?? lone;
  const run = `${process.pid}-${Date.now()}-${++runs}`;
  const started = performance.now();
  const segment: DriverStep[] = probe.topics.map((t) => ({ op: 'createTopic', topic: t.name, queues: t.queues }));
  const flush = async () => {
    if (segment.length === 0) return;
    const offset = performance.now() - started;
    const result = await runDriver(url, segment.splice(0), run);
    if (result.failure !== undefined) observed.failure = result.failure;
    for (const s of result.sends) observed.sends.push({ ...s, at: s.at + offset });
    for (const d of result.deliveries) observed.deliveries.push({ consumer: localName(probe, d.consumer), group: localName(probe, d.group), id: d.id, queueId: d.queueId, reconsumeTimes: d.reconsumeTimes, at: d.at + offset });
    for (const c of result.checks) observed.checks.push({ id: c.id, at: c.at + offset });
    if (Object.keys(result.assignments).length > 0) observed.assignments.push(Object.fromEntries(Object.entries(result.assignments).map(([c, q]) => [localName(probe, c), q])));
    for (const r of result.routes) observed.routes.push(r.brokers ?? r.error ?? 'none');
    for (const d of Object.values(result.dlq)) observed.dlq.push(d.messages ?? d.error ?? 'none');
    for (const c of result.clusters ?? []) {
      observed.clusters.push({ at: c.at + offset, byId: Object.fromEntries(Object.entries(c.addrs).map(([id, addr]) => [id, nodeAt(addr) ?? addr])) });
    }
  };
  let killedAddr: string | undefined;
  for (const step of probe.steps) {
    if (!('broker' in step)) {
      segment.push(driverStep(probe, step, killedAddr));
      continue;
    }
    await flush();
    if (control === undefined) throw new Error(`probe ${probe.id} needs the harness's own broker`);
    if (group !== undefined) {
      let node: GroupNode;
      if (step.node === 'leader') {
        // The node registered as brokerId 0 now (a DLedger group elects it).
        const now = await runDriver(url, [{ op: 'cluster', brokerName: 'broker-a' }]);
        const addr = now.clusters?.[0]?.addrs['0'];
        const leader = addr === undefined ? undefined : nodeAt(addr);
        if (addr === undefined || leader === undefined) throw new Error(`probe ${probe.id}: no leader registered to kill`);
        node = leader;
        killedAddr = addr;
      } else if (step.node === 'killed') {
        node = observed.killed!.node as GroupNode;
      } else node = step.node ?? 'broker-a-0';
      switch (step.broker) {
        case 'kill9':
          await group.kill9(node);
          observed.killed = { node, at: performance.now() - started };
          break;
        case 'restart': case 'start': await group.start(node); break;
        case 'stop': await group.stopGracefully(node); break;
        case 'pause': await group.pause(node); break;
        case 'resume': await group.resume(node); break;
      }
      continue;
    }
    switch (step.broker) {
      case 'kill9': await control.kill9(); break;
      case 'restart': case 'start': await control.startBroker(); break;
      case 'stop': await control.stopBroker(); break;
      case 'pause': await control.pause(); break;
      case 'resume': await control.resume(); break;
    }
  }
  await flush();
  return observed;
}

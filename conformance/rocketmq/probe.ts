import type { Outcome, OutcomeValue } from '../outcome.js';

/**
 * A RocketMQ probe is data: the topics (on one broker group, broker-a, with one NameServer), a
 * script of client steps and broker faults, and the outcome fields to compare. The real runner
 * (real.ts) hands the steps to the Java driver (java/src/mqsim/Driver.java: the real
 * rocketmq-client) and does the faults to the broker process; the model runner (model.ts) turns
 * the same steps into a scenario for the RocketMQ model. Both produce an `Observed`, and
 * `outcomeOf` turns it into the compared fields, the same code for both sides.
 *
 * Message ids are `${producer}-${n}` (n from 0), as the model names them; the real driver puts
 * the id in a user property. A consumer named `${group}-c${i}` has the client id
 * `${group}-c${i}@0` on both sides (the driver sets clientIP and instanceName), so the
 * allocation strategies get equal inputs.
 */

/**
 * Broker settings both sides use (broker.conf and the model's cluster.config): delay levels of a
 * few seconds instead of 1s..2h, so delay and retry probes take seconds, and transaction checks
 * every second (for half messages older than transactionTimeOut, 6 s by default on both sides).
 */
export const ROCKETMQ_BROKER_CONFIG = {
  messageDelayLevel: '1s 2s 3s 1s 2s 3s 1s 2s 3s 1s 2s 3s 1s 2s 3s 1s 2s 4s',
  transactionCheckInterval: 1000,
} as const;

export type Strategy = 'averagely' | 'averagely-by-circle' | 'consistent-hash';
export type TxState = 'COMMIT_MESSAGE' | 'ROLLBACK_MESSAGE' | 'UNKNOW';

export type RocketStep =
  /** Sync sends of `count` messages from producer `send` (ids send-0...). */
  | { send: string; topic: string; count: number; tags?: string[]; delayLevels?: number[]; keys?: number; selectByHash?: boolean; sendMsgTimeout?: number;
    /** Model timeline only: how long the real sends take when each waits (default count x 10 ms); the model's next step comes after. */
    takes?: number }
  /** TransactionMQProducer: each message's local transaction takes localMs and answers `local`; a check-back answers `check`. */
  | { transaction: string; topic: string; count: number; local: TxState; check: TxState; localMs: number }
  /** Push consumers `${group}-c1..count` start. */
  | {
    consume: string; topic: string; count: number; subscription?: string; strategy?: Strategy; messageModel?: 'CLUSTERING' | 'BROADCASTING';
    fromWhere?: 'CONSUME_FROM_LAST_OFFSET' | 'CONSUME_FROM_FIRST_OFFSET'; fail?: boolean; maxReconsumeTimes?: number;
    /** ClientConfig.pollNameServerInterval (ms): how soon the consumer learns the route of %RETRY%<group>, created by its first HEART_BEAT. */
    pollNameServerInterval?: number;
  }
  | { wait: number }
  /** Each running consumer's queues of the topic, now. */
  | { assignments: string }
  /** GET_ROUTEINFO_BY_TOPIC at the NameServer, now. */
  | { route: string }
  /** What %DLQ%<group> holds (pulled from offset 0). */
  | { dlq: string }
  /** A fault to a broker: the lone master, or in a `group` probe the node named (default broker-a-0, the master). */
  | { broker: 'kill9' | 'restart' | 'stop' | 'start' | 'pause' | 'resume'; node?: 'broker-a-0' | 'broker-a-1' | 'broker-a-2' | 'leader' | 'killed' }
  /**
   * The group's members at the NameServer (brokerId -> node), now; with new-leader, once brokerId
   * 0 is another node than the one killed (a DLedger failover; the model's timeline gives it `takes` ms).
   */
  | { cluster: 'now' | 'new-leader'; takes?: number };

/**
 * A broker group of a master and a slave (broker-a-0 brokerId 0, broker-a-1 brokerId 1 with
 * brokerRole SLAVE) and a NameServer of its own, instead of the lone master: the master's role
 * and both brokers' flushDiskType.
 */
export interface GroupSpec {
  readonly brokerRole: 'ASYNC_MASTER' | 'SYNC_MASTER';
  readonly flushDiskType?: 'ASYNC_FLUSH' | 'SYNC_FLUSH';
  /** MessageStoreConfig.inSyncReplicas (5.x; default 1): replicas, the master included, a SYNC_MASTER write waits for. */
  readonly inSyncReplicas?: number;
  /** BrokerConfig.slaveReadEnable (default false): a 5.x slave serves pulls only with it. */
  readonly slaveReadEnable?: boolean;
  /** A DLedger group of three (enableDLegerCommitLog; broker-a-0..2 are n0..n2) instead of a master and a slave. */
  readonly dledger?: boolean;
}

export type OutcomeField =
  | 'assignments' | 'queueByKey' | 'sendResults' | 'queueSteps' | 'queueOffsets' | 'delivered' | 'deliveryCounts' | 'perConsumer'
  | 'delays' | 'retryDelays' | 'reconsumeTimes' | 'dlq' | 'checks' | 'localStates' | 'routes' | 'cluster';

export interface RocketProbe {
  readonly id: string;
  readonly about: string;
  readonly topics: readonly { name: string; queues: number }[];
  /** Run on a master/slave group (group.ts) instead of the lone master. */
  readonly group?: GroupSpec;
  readonly steps: readonly RocketStep[];
  readonly outcome: readonly OutcomeField[];
}

export interface SendSeen { id: string; at: number; key?: string; status?: string; error?: string; queueId?: number; queueOffset?: number; local?: string }
export interface DeliverySeen { consumer: string; group: string; id: string; queueId: number; reconsumeTimes: number; at: number }

/** What one run saw, real or model; times in ms from the run's start. */
export interface Observed {
  sends: SendSeen[];
  deliveries: DeliverySeen[];
  checks: { id: string; at: number }[];
  /** Per `assignments` step, in order: consumer -> queue ids. */
  assignments: Record<string, number[]>[];
  /** Per `route` step, in order: broker names, or the error's name. */
  routes: (string[] | string)[];
  /** Per `dlq` step: `${id} reconsumeTimes=N` sorted, or the error's name. */
  dlq: (string[] | string)[];
  /** Per `cluster` step: when, and the group's nodes by brokerId. */
  clusters: { at: number; byId: Record<string, string> }[];
  /** The node the last `kill9` of the leader (or of a named node) took down, and when. */
  killed?: { node: string; at: number };
  /** Something went wrong outside the probe (the driver failed). */
  failure?: string;
}

export function emptyObserved(): Observed {
  return { sends: [], deliveries: [], checks: [], assignments: [], routes: [], dlq: [], clusters: [] };
}

/**
 * Group names as the broker sees them: prefixed with the probe's id, so that probes running at
 * once on one broker never share a consumer or producer group (a group's consumer list and its
 * transaction check-backs are per group, whatever the topic). Outcomes use the short names.
 */
export function qualified(probe: RocketProbe, name: string): string {
  return `${probe.id.replace(/-/g, '_')}_${name}`;
}

/** A qualified group or consumer name back to the probe's own (`tags_or_expression_billing-c1` -> `billing-c1`). */
export function localName(probe: RocketProbe, name: string): string {
  const prefix = `${probe.id.replace(/-/g, '_')}_`;
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

export function needsBrokerControl(probe: RocketProbe): boolean {
  return probe.group !== undefined || probe.steps.some((s) => 'broker' in s);
}

const seconds = (ms: number) => Math.round(ms / 1000);

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of [...values].sort()) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function byGroup(o: Observed): Map<string, DeliverySeen[]> {
  const groups = new Map<string, DeliverySeen[]>();
  for (const d of [...o.deliveries].sort((a, b) => a.at - b.at)) {
    const list = groups.get(d.group) ?? [];
    list.push(d);
    groups.set(d.group, list);
  }
  return new Map([...groups].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The compared fields. Timings are whole seconds (rounded), so the stated tolerance of a timing
 * outcome is half a second; the probes' delays are whole seconds apart.
 */
export function outcomeOf(probe: RocketProbe, o: Observed): Outcome {
  const out: Outcome = {};
  if (o.failure !== undefined) out.failure = o.failure;
  const sendAt = new Map(o.sends.map((s) => [s.id, s.at]));
  const queues = probe.topics[0]?.queues ?? 1;
  const groups = byGroup(o);
  for (const field of probe.outcome) {
    switch (field) {
      case 'assignments':
        o.assignments.forEach((a, i) => {
          out[`assignments.${i + 1}`] = Object.fromEntries(Object.keys(a).sort().map((c) => [c, a[c]!.map((q) => `q${q}`).join(' ') || '-']));
        });
        break;
      case 'queueByKey': {
        // SelectMessageQueueByHash: the queue of each key (one line per key).
        const pairs = new Set<string>();
        for (const s of o.sends) if (s.queueId !== undefined && s.key !== undefined) pairs.add(`${s.key} -> q${s.queueId}`);
        out.queueByKey = [...pairs].sort(compareIds);
        break;
      }
      case 'sendResults':
        out.sendResults = countBy(o.sends.map((s) => s.error ?? s.status ?? 'none'));
        break;
      case 'queueSteps': {
        // Round robin: how far each send's queue is from the one before (the start is random on both sides).
        const steps: number[] = [];
        const ok = o.sends.filter((s) => s.queueId !== undefined);
        for (let i = 1; i < ok.length; i++) steps.push((((ok[i]!.queueId! - ok[i - 1]!.queueId!) % queues) + queues) % queues);
        out.queueSteps = countBy(steps.map(String));
        break;
      }
      case 'queueOffsets':
        out.queueOffsets = countBy(o.sends.filter((s) => s.queueOffset !== undefined).map((s) => String(s.queueOffset)));
        break;
      case 'delivered':
        for (const [group, list] of groups) out[`delivered.${group}`] = [...new Set(list.map((d) => d.id))].sort(compareIds);
        break;
      case 'deliveryCounts':
        for (const [group, list] of groups) out[`deliveryCounts.${group}`] = countBy(list.map((d) => d.id));
        break;
      case 'perConsumer':
        for (const [group, list] of groups) {
          const per = countBy(list.map((d) => d.consumer));
          out[`perConsumer.${group}`] = Object.values(per).sort((a, b) => a - b);
        }
        break;
      case 'delays':
        // Send to first delivery, per message, in whole seconds.
        for (const [group, list] of groups) {
          const first: Record<string, number> = {};
          for (const d of list) if (!(d.id in first) && sendAt.has(d.id)) first[d.id] = seconds(d.at - sendAt.get(d.id)!);
          out[`delays.${group}`] = sortedRecord(first);
        }
        break;
      case 'retryDelays':
        // Between one delivery of a message and the next, in whole seconds.
        for (const [group, list] of groups) {
          const last = new Map<string, number>();
          const gaps: Record<string, OutcomeValue> = {};
          for (const d of list) {
            const before = last.get(d.id);
            if (before !== undefined) ((gaps[d.id] ??= []) as number[]).push(seconds(d.at - before));
            last.set(d.id, d.at);
          }
          out[`retryDelays.${group}`] = sortedRecord(gaps);
        }
        break;
      case 'reconsumeTimes':
        for (const [group, list] of groups) {
          const times: Record<string, OutcomeValue> = {};
          for (const d of list) ((times[d.id] ??= []) as number[]).push(d.reconsumeTimes);
          out[`reconsumeTimes.${group}`] = sortedRecord(times);
        }
        break;
      case 'dlq':
        o.dlq.forEach((d, i) => {
          out[`dlq.${i + 1}`] = d;
        });
        break;
      case 'checks':
        // Which messages the broker checked back at least once (how often varies run to run on the real broker).
        out.checked = [...new Set(o.checks.map((c) => c.id))].sort(compareIds);
        break;
      case 'localStates':
        out.localStates = countBy(o.sends.map((s) => `${s.status ?? s.error ?? 'none'} ${s.local ?? ''}`.trim()));
        break;
      case 'routes':
        o.routes.forEach((r, i) => {
          out[`route.${i + 1}`] = r;
        });
        break;
      case 'cluster':
        // Which node leads is an election's outcome, so each snapshot is told relative to the killed node.
        o.clusters.forEach((c, i) => {
          const killed = o.killed?.node;
          const leader = c.byId['0'];
          const killedId = Object.keys(c.byId).find((id) => c.byId[id] === killed);
          out[`cluster.${i + 1}`] = {
            leader: leader === undefined ? 'none' : killed === undefined ? 'elected' : leader === killed ? 'the killed node' : 'another node',
            ...(killed === undefined ? {} : { killed: killedId === undefined ? 'absent' : killedId === '0' ? 'leader' : 'follower' }),
            registered: new Set(Object.values(c.byId)).size,
          };
        });
        {
          // Failover: from the kill to the NameServer having another master, within the stated window.
          const after = o.killed === undefined ? undefined : o.clusters.find((c) => c.at > o.killed!.at && c.byId['0'] !== undefined && c.byId['0'] !== o.killed!.node);
          if (after !== undefined) out.failover = failoverWindow(after.at - o.killed!.at);
        }
        break;
      default: {
        const unknown: never = field;
        throw new Error(`unknown outcome field ${String(unknown)}`);
      }
    }
  }
  return out;
}

/**
 * The tolerance of a DLedger failover time: a follower stands for election once the leader's
 * heartbeats stopped for maxHeartBeatLeak x heartBeatTimeIntervalMs (3 x 2 s), 4 to 6 s after a
 * kill depending on when the last heartbeat went; votes (300-1000 ms apart), the switch to
 * master and its REGISTER_BROKER may take up to 6 s more. Measured: 9.3 s on the real 5.3.3
 * (loaded two-core machine), 8 s in the model.
 */
export const FAILOVER_WINDOW_MS = [4_000, 12_000] as const;

function failoverWindow(ms: number): string {
  return ms >= FAILOVER_WINDOW_MS[0] && ms <= FAILOVER_WINDOW_MS[1] ? `${FAILOVER_WINDOW_MS[0] / 1000}-${FAILOVER_WINDOW_MS[1] / 1000} s` : `${seconds(ms)} s`;
}

/** p1-2 before p1-10. */
export function compareIds(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

function sortedRecord(r: Record<string, OutcomeValue>): Record<string, OutcomeValue> {
  return Object.fromEntries(Object.keys(r).sort(compareIds).map((k) => [k, r[k]!]));
}

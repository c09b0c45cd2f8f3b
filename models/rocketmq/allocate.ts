import { createHash } from 'node:crypto';

/**
 * RocketMQ's consumer rebalance strategies (client/.../consumer/rebalance in apache/rocketmq):
 * which of a topic's message queues one consumer of a clustering group takes.
 *
 * Each client runs its strategy on its own, with the same inputs (every queue of the topic and
 * every client id of the group, both sorted by RebalanceImpl before the call), and takes what
 * it is given for itself. Nothing checks that the clients agree: the strategies are written so
 * that equal inputs give disjoint shares covering every queue. This function does not sort, so
 * a caller that hands different clients differently ordered lists gets RocketMQ's real overlap
 * or gap.
 */

/** A queue as RocketMQ's MessageQueue names it. */
export interface MessageQueue {
  readonly topic: string;
  readonly brokerName: string;
  readonly queueId: number;
}

/**
 * AllocateMessageQueueAveragely ("AVG", the default), AllocateMessageQueueAveragelyByCircle
 * ("AVG_BY_CIRCLE") and AllocateMessageQueueConsistentHash ("CONSISTENT_HASH").
 */
export type AllocateStrategy = 'averagely' | 'averagely-by-circle' | 'consistent-hash';

export interface AllocateInput {
  /** Only used in RocketMQ's log line when currentCid is not in cidAll. */
  readonly consumerGroup: string;
  readonly currentCid: string;
  readonly mqAll: readonly MessageQueue[];
  readonly cidAll: readonly string[];
  /** Consistent hash only: virtual nodes per client on the ring; RocketMQ's default is 10. */
  readonly virtualNodeCnt?: number;
}

/** AllocateMessageQueueConsistentHash's no-argument constructor uses 10 virtual nodes. */
const DEFAULT_VIRTUAL_NODE_CNT = 10;

/**
 * The queues `currentCid` takes under `strategy`, in mqAll order, as the same objects. Throws
 * RocketMQ's IllegalArgumentException messages for a blank currentCid or an empty list, and
 * returns [] (RocketMQ logs "[BUG] ... not in cidAll") when currentCid is not in cidAll.
 */
export function allocateMessageQueues<Q extends MessageQueue>(
  strategy: AllocateStrategy,
  input: AllocateInput & { readonly mqAll: readonly Q[] },
): Q[] {
  // The consistent-hash strategy rejects a negative count in its constructor, so before any
  // argument of allocate() is looked at.
  if (strategy === 'consistent-hash') checkVirtualNodeCnt(input.virtualNodeCnt);
  const { currentCid, mqAll, cidAll } = input;
  if (!currentCid) throw new Error('currentCID is empty');
  if (!mqAll || mqAll.length === 0) throw new Error('mqAll is null or mqAll empty');
  if (!cidAll || cidAll.length === 0) throw new Error('cidAll is null or cidAll empty');
  if (!cidAll.includes(currentCid)) return [];

  switch (strategy) {
    case 'averagely':
      return averagely(currentCid, mqAll, cidAll);
    case 'averagely-by-circle':
      return averagelyByCircle(currentCid, mqAll, cidAll);
    case 'consistent-hash':
      return consistentHash(currentCid, mqAll, cidAll, input.virtualNodeCnt ?? DEFAULT_VIRTUAL_NODE_CNT);
    default: {
      const unknown: never = strategy;
      throw new Error(`unknown allocate strategy: ${String(unknown)}`);
    }
  }
}

function checkVirtualNodeCnt(count: number | undefined): void {
  // Java's int cannot be fractional; the message is the constructor's.
  if (count !== undefined && (!Number.isInteger(count) || count < 0)) {
    throw new Error(`illegal virtualNodeCnt :${count}`);
  }
}

/**
 * Contiguous blocks: the first `mqAll.length % cidAll.length` clients take one queue more than
 * the rest. A duplicated client id gets the block of its first position (Java's indexOf).
 */
function averagely<Q>(currentCid: string, mqAll: readonly Q[], cidAll: readonly string[]): Q[] {
  const queues = mqAll.length;
  const clients = cidAll.length;
  const index = cidAll.indexOf(currentCid);
  const mod = queues % clients;
  const takesExtra = mod > 0 && index < mod;
  const base = Math.floor(queues / clients);
  // With no more queues than clients every client is offered one; the start index then runs past
  // the end for the clients beyond the queue count, which leaves them with nothing.
  const averageSize = queues <= clients ? 1 : takesExtra ? base + 1 : base;
  const startIndex = takesExtra ? index * averageSize : index * averageSize + mod;
  const range = Math.min(averageSize, queues - startIndex);
  return range > 0 ? mqAll.slice(startIndex, startIndex + range) : [];
}

/** Round robin: client i takes queues i, i + n, i + 2n, ... */
function averagelyByCircle<Q>(currentCid: string, mqAll: readonly Q[], cidAll: readonly string[]): Q[] {
  const result: Q[] = [];
  for (let i = cidAll.indexOf(currentCid); i < mqAll.length; i += cidAll.length) result.push(mqAll[i]!);
  return result;
}

/** Each queue goes to the client owning the first ring point at or after the queue's hash. */
function consistentHash<Q extends MessageQueue>(
  currentCid: string,
  mqAll: readonly Q[],
  cidAll: readonly string[],
  virtualNodeCnt: number,
): Q[] {
  const ring = buildRing(cidAll, virtualNodeCnt);
  return mqAll.filter((mq) => routeNode(ring, messageQueueToString(mq)) === currentCid);
}

/** MessageQueue.toString(): the key a queue is hashed by. */
export function messageQueueToString(mq: MessageQueue): string {
  return `MessageQueue [topic=${mq.topic}, brokerName=${mq.brokerName}, queueId=${mq.queueId}]`;
}

/**
 * ConsistentHashRouter's default MD5Hash: the first four bytes of the MD5 digest of the key's
 * bytes, big-endian, as an unsigned 32-bit value (Java folds them into a long, so the ring is
 * ordered as unsigned).
 */
export function consistentHashKey(key: string): number {
  return createHash('md5').update(javaGetBytes(key)).digest().readUInt32BE(0);
}

/**
 * Java's String.getBytes() in UTF-8 (the default charset on Linux, and everywhere since JDK 18),
 * which writes '?' for an unpaired surrogate where Node's encoder would write U+FFFD.
 */
function javaGetBytes(key: string): Buffer {
  return Buffer.from(key.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '?'), 'utf8');
}

interface Ring {
  /** Ring points, ascending. */
  readonly points: readonly number[];
  readonly owner: ReadonlyMap<number, string>;
}

/**
 * ConsistentHashRouter's TreeMap ring: client by client in cidAll order, virtual node i keyed
 * `${cid}-${i}`. Two points with the same hash keep the later client (TreeMap.put replaces), and
 * a client id listed twice numbers its second set of virtual nodes after the points it already
 * owns (getExistingReplicas), as RocketMQ does.
 */
function buildRing(cidAll: readonly string[], virtualNodeCnt: number): Ring {
  const owner = new Map<number, string>();
  for (const cid of cidAll) {
    let existing = 0;
    for (const holder of owner.values()) if (holder === cid) existing++;
    for (let i = 0; i < virtualNodeCnt; i++) owner.set(consistentHashKey(`${cid}-${i + existing}`), cid);
  }
  return { points: [...owner.keys()].sort((a, b) => a - b), owner };
}

/** The owner of the first point >= the key's hash, wrapping to the first point; none on an empty ring. */
function routeNode(ring: Ring, objectKey: string): string | undefined {
  if (ring.points.length === 0) return undefined;
  const hash = consistentHashKey(objectKey);
  let lo = 0;
  let hi = ring.points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ring.points[mid]! < hash) lo = mid + 1;
    else hi = mid;
  }
  return ring.owner.get(ring.points[lo === ring.points.length ? 0 : lo]!);
}

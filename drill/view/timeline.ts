import type { Micros } from '../../sim/time.js';
import type { TraceRecord } from '../../sim/trace.js';
import { dataOf, type NodeInfo } from './model.js';

/**
 * The timeline's faults as bands over the time they last: a crash or kill until the node's
 * restart, a pause until its resume, a partition until the heal (or the liveness phase, which
 * heals everything), a slow or full disk for its `for:`. A fault still going on at the end of
 * the run lasts until the end.
 */
export interface FaultBand {
  start: Micros;
  end: Micros;
  kind: string;
  /** In words, with the nodes it hit: "crash broker-1", "partition broker-1 | broker-2, broker-3". */
  label: string;
  /** What fits on the band, the node first: "broker-1 crashed", "partition". */
  short: string;
}

const SHORT: Record<string, string> = { crash: 'crashed', kill: 'killed', stop: 'stopped', pause: 'paused' };

const ENDED_BY: Record<string, string> = { crash: 'node.restart', kill: 'node.restart', stop: 'node.restart', pause: 'node.resume' };

export function faultBands(records: readonly TraceRecord[], nodes: readonly NodeInfo[], runEnd: Micros): FaultBand[] {
  const bands: FaultBand[] = [];
  records.forEach((record, index) => {
    if (record.kind !== 'fault') return;
    const d = dataOf(record);
    const kind = String(d.kind);
    const targets = ((d.targets ?? []) as string[]).slice();
    const start = record.t;
    if (kind in ENDED_BY) {
      for (const node of targets) {
        const endKind = ENDED_BY[kind]!;
        const until = typeof d.until === 'number' ? d.until : findAfter(records, index, (r) => r.kind === endKind && r.node === node)?.t;
        bands.push({ start, end: until ?? runEnd, kind, label: `${kind} ${node}`, short: `${node} ${SHORT[kind]!}` });
      }
    } else if (kind === 'partition') {
      const healed = findAfter(records, index, (r) => r.kind === 'phase' || (r.kind === 'fault' && (dataOf(r).kind === 'heal' || dataOf(r).kind === 'partition')));
      bands.push({ start, end: healed?.t ?? runEnd, kind, label: describePartition(String(d.description), nodes), short: 'partition' });
    } else if (kind === 'slow-disk' || kind === 'disk-full' || kind === 'clock-skew') {
      bands.push({ start, end: typeof d.until === 'number' ? d.until : runEnd, kind, label: `${kind} ${targets.join(', ')}`, short: `${targets.join(', ')} ${kind}` });
    }
  });
  return bands;
}

/** "partition [all-broker] | [p1]" with the role selectors resolved: "partition broker-1, broker-2 | p1". */
export function describePartition(description: string, nodes: readonly NodeInfo[]): string {
  const groups = [...description.matchAll(/\[([^\]]*)\]/g)].map((m) => resolveGroup(m[1]!, nodes));
  return groups.length > 0 ? `partition ${groups.map((g) => g.join(', ')).join(' | ')}` : description;
}

export function resolveGroup(text: string, nodes: readonly NodeInfo[]): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .flatMap((name) => (name.startsWith('all-') ? nodes.filter((n) => n.roles.includes(name.slice(4))).map((n) => n.name) : [name]));
}

function findAfter(records: readonly TraceRecord[], index: number, test: (r: TraceRecord) => boolean): TraceRecord | undefined {
  for (let i = index + 1; i < records.length; i++) if (test(records[i]!)) return records[i];
  return undefined;
}

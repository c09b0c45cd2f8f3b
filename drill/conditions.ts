import type { TraceRecord } from '../sim/trace.js';

/**
 * Step conditions over trace records: the first record at or after a time that satisfies
 * `crash X`, `restart X`, `pause X`, `resume X`, `partition`, `heal`, `fault [KIND]`,
 * `note WHAT [key=value ...]`, `state STORE PATH` or `phase liveness`. Models add aliases
 * (`leader-changed orders-0`) that expand to these.
 */
export type RecordTest = (record: TraceRecord) => boolean;

export const CONDITION_KINDS = ['crash', 'restart', 'pause', 'resume', 'partition', 'heal', 'fault', 'note', 'state', 'phase'] as const;

export class DrillSpecError extends Error {
  override name = 'DrillSpecError';
}

/** Model aliases: name -> expansion of its argument into a generic condition. */
export type Aliases = Readonly<Record<string, (arg: string) => string>>;

export function parseCondition(text: string, aliases: Aliases = {}): RecordTest {
  const words = text.trim().split(/\s+/);
  const [head, ...rest] = words as [string, ...string[]];
  const alias = aliases[head];
  if (alias) return parseCondition(alias(rest.join(' ')), {});
  const data = (record: TraceRecord) => (record.data ?? {}) as Record<string, unknown>;
  switch (head) {
    case 'crash':
    case 'restart':
    case 'stop':
    case 'exit':
    case 'pause':
    case 'resume': {
      const node = need(rest[0], `${head} needs a node name: ${head} broker-1`);
      const kind = `node.${head}`;
      return (r) => r.kind === kind && r.node === node;
    }
    case 'partition':
    case 'heal':
      return (r) => r.kind === 'fault' && data(r).kind === head;
    case 'fault': {
      const kind = rest[0];
      return (r) => r.kind === 'fault' && data(r).kind !== 'liveness' && (kind === undefined || data(r).kind === kind);
    }
    case 'note': {
      const what = need(rest[0], 'note needs what to look for: note queue-recovered [queue=jobs]');
      const matches = rest.slice(1).map((pair) => {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new DrillSpecError(`note filters are key=value, not "${pair}"`);
        return [pair.slice(0, eq), pair.slice(eq + 1)] as const;
      });
      return (r) => r.kind === 'note' && data(r).what === what && matches.every(([k, v]) => String(data(r)[k]) === v);
    }
    case 'state': {
      const store = need(rest[0], 'state needs a store and a path: state kafka.partitions orders-0.leader');
      const path = need(rest[1], 'state needs a path after the store: state kafka.partitions orders-0.leader').split('.');
      return (r) => {
        if (r.kind !== 'state.change' || data(r).store !== store) return false;
        const patches = (data(r).patches ?? []) as { path: (string | number)[] }[];
        return patches.some((p) => path.every((segment, i) => p.path.length <= i || String(p.path[i]) === segment));
      };
    }
    case 'phase': {
      const phase = rest[0] ?? 'liveness';
      return (r) => r.kind === 'phase' && phase === 'liveness';
    }
    default: {
      const known = [...CONDITION_KINDS, ...Object.keys(aliases)];
      throw new DrillSpecError(`unknown condition "${head}" (conditions: ${known.join(', ')})`);
    }
  }
}

function need(value: string | undefined, message: string): string {
  if (value === undefined || value === '') throw new DrillSpecError(message);
  return value;
}

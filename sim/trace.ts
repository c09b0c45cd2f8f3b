import { Hash64, foldValue, hashString } from './hash.js';
import type { Micros } from './time.js';

/**
 * The run's trace: every event and state change folds into a 64-bit hash, always; a JSON
 * object per record is built only when a sink (a trace file) is attached.
 *
 * Records are typed by a TraceKind that names its numeric fields, so the hot path passes
 * numbers only and the JSON line is still readable (`{"t":1200,"kind":"net.deliver","from":"p1",...}`).
 */

/** How a numeric field is shown in JSON and folded into the hash. */
export type FieldType = 'node' | 'name' | 'int';

export interface TraceKind {
  readonly id: number;
  readonly name: string;
  /** hashString(name): what the hash folds, so kind ids never leak into it. */
  readonly hash: number;
  readonly fields: readonly string[];
  readonly types: readonly FieldType[];
}

/** A trace record as written to a trace file. */
export interface TraceRecord {
  /** Index of the record in the run (0-based). */
  i: number;
  /** Virtual time in microseconds. */
  t: Micros;
  kind: string;
  node: string;
  [field: string]: unknown;
}

export interface TraceSink {
  write(record: TraceRecord): void;
  close?(): void;
}

export const KERNEL_NODE = -1;

export class Trace {
  readonly hash = new Hash64();
  /** Records written so far (events folded by the kernel loop are counted in `eventsFolded`). */
  records = 0;
  eventsFolded = 0;
  sink: TraceSink | null = null;
  /** When set, the hash after each record/event is appended here (the determinism self-check). */
  checkpoints: number[] | null = null;
  /**
   * False only in the benchmark that measures what the hash costs (bench/trace-share.ts): records
   * are then counted and written to a sink, if any, but not folded, and hex() says "off".
   */
  readonly hashing: boolean;

  constructor(options: { hashing?: boolean } = {}) {
    this.hashing = options.hashing ?? true;
  }

  private readonly names: string[] = [];
  private readonly nameHashes: number[] = [];
  private readonly nameIds = new Map<string, number>();
  private readonly kindsByName = new Map<string, TraceKind>();
  private readonly kinds: TraceKind[] = [];

  /** A stable small integer for a name (node names, message types, topics). */
  intern(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameHashes.push(hashString(name));
      this.nameIds.set(name, id);
    }
    return id;
  }

  nameOf(id: number): string {
    return id === KERNEL_NODE ? 'kernel' : (this.names[id] ?? `#${id}`);
  }

  private nameHash(id: number): number {
    return id === KERNEL_NODE ? 0x4b524e4c : (this.nameHashes[id] ?? id);
  }

  /** Defines (or returns the existing) record kind with up to four numeric fields. */
  kind(name: string, fields: Record<string, FieldType> = {}): TraceKind {
    const existing = this.kindsByName.get(name);
    if (existing) return existing;
    const fieldNames = Object.keys(fields);
    if (fieldNames.length > 4) throw new Error(`trace kind ${name}: at most 4 fields`);
    const kind: TraceKind = {
      id: this.kinds.length,
      name,
      hash: hashString(name),
      fields: fieldNames,
      types: fieldNames.map((f) => fields[f]!),
    };
    this.kinds.push(kind);
    this.kindsByName.set(name, kind);
    return kind;
  }

  kindById(id: number): TraceKind | undefined {
    return this.kinds[id];
  }

  /** Folds a kernel event (time, kind, node) into the hash; writes nothing to the sink. */
  foldEvent(kindId: number, time: Micros, node: number): void {
    if (!this.hashing) {
      this.eventsFolded++;
      return;
    }
    const hash = this.hash;
    hash.fold32(this.kinds[kindId]?.hash ?? kindId);
    hash.fold(time);
    hash.fold32(this.nameHash(node));
    this.eventsFolded++;
    if (this.checkpoints !== null) this.checkpoints.push(hash.lo, hash.hi);
  }

  /**
   * Records one event. `payload` (for instance the protocol message) is written to the
   * trace file as is and is not folded: the numeric fields carry what the hash must see.
   */
  record(kind: TraceKind, time: Micros, node: number, f0 = 0, f1 = 0, f2 = 0, f3 = 0, payload?: unknown): void {
    if (!this.hashing) return this.write(kind, time, node, f0, f1, f2, f3, payload);
    const hash = this.hash;
    hash.fold32(kind.hash);
    hash.fold(time);
    hash.fold32(this.nameHash(node));
    const types = kind.types;
    const count = types.length;
    if (count > 0) this.foldField(types[0]!, f0);
    if (count > 1) this.foldField(types[1]!, f1);
    if (count > 2) this.foldField(types[2]!, f2);
    if (count > 3) this.foldField(types[3]!, f3);
    if (this.checkpoints !== null) this.checkpoints.push(hash.lo, hash.hi);
    this.write(kind, time, node, f0, f1, f2, f3, payload);
  }

  /** Counts a record and writes it to the sink, if any. */
  private write(kind: TraceKind, time: Micros, node: number, f0: number, f1: number, f2: number, f3: number, payload: unknown): void {
    const index = this.records++;
    if (this.sink !== null) {
      const types = kind.types;
      const count = types.length;
      const line: TraceRecord = { i: index, t: time, kind: kind.name, node: this.nameOf(node) };
      const values = [f0, f1, f2, f3];
      for (let i = 0; i < count; i++) {
        const type = types[i]!;
        line[kind.fields[i]!] = type === 'int' ? values[i] : this.nameOf(values[i]!);
      }
      if (payload !== undefined) line.payload = payload;
      this.sink.write(line);
    }
  }

  /** Records a record whose data is a JSON-like value (state changes, faults); the value is folded whole. */
  recordValue(kind: TraceKind, time: Micros, node: number, value: unknown): void {
    if (this.hashing) {
      const hash = this.hash;
      hash.fold32(kind.hash);
      hash.fold(time);
      hash.fold32(this.nameHash(node));
      foldValue(hash, value);
      if (this.checkpoints !== null) this.checkpoints.push(hash.lo, hash.hi);
    }
    const index = this.records++;
    if (this.sink !== null) {
      this.sink.write({ i: index, t: time, kind: kind.name, node: this.nameOf(node), data: value });
    }
  }

  /**
   * Records a client history op. Folds its identifying fields by hand (type, function, process,
   * message, queue, offset) rather than walking the object: this runs for every op of a run.
   */
  recordOp(kind: TraceKind, op: { time: Micros; type: string; f: string; process: string; msg?: string; queue?: string; offset?: number }): void {
    if (this.hashing) {
      const hash = this.hash;
      hash.fold32(kind.hash);
      hash.fold(op.time);
      hash.foldString(op.type);
      hash.foldString(op.f);
      hash.foldString(op.process);
      if (op.msg !== undefined) hash.foldString(op.msg);
      if (op.queue !== undefined) hash.foldString(op.queue);
      if (op.offset !== undefined) hash.fold(op.offset);
      if (this.checkpoints !== null) this.checkpoints.push(hash.lo, hash.hi);
    }
    const index = this.records++;
    if (this.sink !== null) this.sink.write({ i: index, t: op.time, kind: kind.name, node: op.process, data: op });
  }

  private foldField(type: FieldType, value: number): void {
    if (type === 'int') this.hash.fold(value);
    else this.hash.fold32(this.nameHash(value));
  }

  hex(): string {
    return this.hashing ? this.hash.hex() : 'off';
  }
}

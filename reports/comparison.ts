import { FAULT_KINDS, type FaultEvent, type FaultKind } from '../sim/faults.js';
import type { CompareMeasure, CompareVariant, VerdictProperty } from '../sim/comparison.js';
import { flattenMetrics, type RunResult } from '../sim/result.js';
import { formatDuration } from '../sim/time.js';
import { drainTime, formatLatency, formatRelative, median, sendOutcomes, SUMMARY_FIELDS, summaryRow, type SendOutcomes, type SummaryField, type SummaryRow } from './facts.js';

/**
 * The facts of a comparison, before any rendering: per variant its summary rows (median and
 * spread over the seeds), what became of every send, whether it keeps the safety property the
 * compare file names, and its verdict in plain words; the variants ordered safest first.
 *
 * reports/ imports no model and does not run anything: the scenario layer (models/compare.ts,
 * `runComparison`) runs the variants and hands over a value of the shape below, which declares
 * only what a report reads.
 */

type RawRecord = Record<string, unknown>;

/** The property a verdict ranks by (a compare file's `property:`): the names `mqsim check` uses. */
export type PropertySpec = VerdictProperty;

export interface ComparisonInput {
  compare: {
    name: string;
    description?: string;
    question?: string;
    property: PropertySpec[];
    /** Numbers shown beside safety and ranked by after it (`measures:`). */
    measures: CompareMeasure[];
    /** The compare file's data as written (workload, faults with role names). */
    raw: RawRecord;
    /** Role names the faults use. */
    roles: string[];
  };
  seeds: number[];
  variants: VariantInput[];
}

export interface VariantInput {
  variant: CompareVariant;

  /** The generated scenario's data: its faults are the file's with this variant's targets. */
  scenario: RawRecord;
  seeds: number[];
  /** One result per seed, with the client history kept. */
  results: RunResult[];
  /** Sends the workload planned over the safety phase. */
  planned: number;
}

export interface VariantFacts {
  input: VariantInput;
  name: string;
  rows: SummaryRow[];
  median: SummaryRow;
  /** Per field: [min, max] over the seeds (null where the runs have no value). */
  spread: Record<SummaryField, [number, number] | null>;
  /** What became of every planned send, per seed (the first seed's is the one the report shows). */
  outcomes: SendOutcomes[];
  /** Every acknowledged message delivered or accounted for as lost, in every seed. */
  drained: boolean;
  /** Every seed's `expect:` held: the model did what the file says it should (not a safety verdict). */
  matchesExpectation: boolean;
  /** Per property of the file: its worst value over the seeds and whether it is broken. */
  properties: { property: PropertySpec; label: string; worst: number; broken: boolean }[];
  /** Per measure of the file (`measures:`): its median over the seeds and [min, max]. */
  measures: MeasureValue[];
  /** Breaks a property the file names, or loses acknowledged messages (never safe). */
  unsafe: boolean;
  /** The verdict in plain words, computed from the run. */
  verdict: string;
}

export interface MeasureValue {
  measure: CompareMeasure;
  median: number;
  spread: [number, number];
}

export interface ComparisonFacts {
  input: ComparisonInput;
  /** In the file's order. */
  variants: VariantFacts[];
  /** Safest first by the file's property, then by its measures in order, then in the file's order. */
  ranked: VariantFacts[];
  question: string;
}

export function comparisonFacts(input: ComparisonInput): ComparisonFacts {
  const variants = input.variants.map((v) => variantFacts(input, v));
  const ranked = [...variants].sort((a, b) => compareSafety(a, b) || compareMeasures(a, b) || variants.indexOf(a) - variants.indexOf(b));
  return { input, variants, ranked, question: input.compare.question ?? defaultQuestion(input.compare.property) };
}

function variantFacts(input: ComparisonInput, v: VariantInput): VariantFacts {
  const rows = v.results.map(summaryRow);
  const outcomes = v.results.map((r) => sendOutcomes(r, v.planned));
  const properties = input.compare.property.map((property) => {
    const values = v.results.map((r) => propertyValue(property, r));
    const worst = Math.max(...values);
    return { property, label: propertyLabel(property), worst, broken: v.results.some((r) => propertyBroken(property, r)) };
  });
  const lost = rows.some((r) => r.lostAcked > 0);
  const facts: VariantFacts = {
    input: v, name: v.variant.name, rows, ...aggregate(rows), outcomes,
    drained: v.results.every((r) => drainTime(r) !== null),
    matchesExpectation: v.results.every((r) => r.passed),
    properties,
    measures: input.compare.measures.map((measure) => {
      // runComparison refuses a measure a run does not report, so every run has it.
      const values = v.results.map((r) => flattenMetrics(r)[measure.count]!);
      return { measure, median: median(values), spread: [Math.min(...values), Math.max(...values)] as [number, number] };
    }),
    unsafe: lost || properties.some((p) => p.broken),
    verdict: '',
  };
  facts.verdict = verdictOf(input, facts);
  return facts;
}

function compareSafety(a: VariantFacts, b: VariantFacts): number {
  for (let i = 0; i < a.properties.length; i++) {
    const pa = a.properties[i]!;
    const pb = b.properties[i]!;
    if (pa.broken !== pb.broken) return pa.broken ? 1 : -1;
    if (pa.worst !== pb.worst) return pa.worst - pb.worst;
  }
  // Losing acknowledged messages ranks last among equals whatever the file's property.
  const lost = (f: VariantFacts) => Math.max(...f.rows.map((r) => r.lostAcked));
  return lost(a) - lost(b);
}

/** Among equally safe variants: the first measure that tells them apart, in its better direction. */
function compareMeasures(a: VariantFacts, b: VariantFacts): number {
  for (let i = 0; i < a.measures.length; i++) {
    const ma = a.measures[i]!;
    const mb = b.measures[i]!;
    if (ma.median !== mb.median) return ma.measure.better === 'lower' ? ma.median - mb.median : mb.median - ma.median;
  }
  return 0;
}

/** A measure's value as the reader reads it: `16.6s`, `3,240`. */
export function formatMeasure(measure: CompareMeasure, value: number): string {
  if (measure.unit === 'count') return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 2 });
  const micros = measure.unit === 'ms' ? value * 1000 : value;
  return formatLatency(micros);
}

/** The property's measure in one run: lower is safer, and above its bound it is broken. */
function propertyValue(property: PropertySpec, result: RunResult): number {
  const row = summaryRow(result);
  if (property === 'noLostAcked') return row.lostAcked;
  if (property === 'noDuplicates') return row.duplicates;
  if (property === 'orderedPerKey') return row.reorders;
  if ('delayWithin' in property) return row.delayErrorMax === null ? 0 : Math.abs(row.delayErrorMax);
  const p = property.latencyBelow.p;
  const value = p === 50 ? row.latencyP50 : p === 99 ? row.latencyP99 : p === 999 ? row.latencyP999 : result.latency.count > 0 ? result.latency.p90 : null;
  return value ?? Number.POSITIVE_INFINITY;
}

function propertyBroken(property: PropertySpec, result: RunResult): boolean {
  const value = propertyValue(property, result);
  if (typeof property === 'string') return value > 0;
  if ('delayWithin' in property) return value > property.delayWithin || (summaryRow(result).deliveredEarly ?? 0) > 0;
  return value > property.latencyBelow.limit;
}

export function propertyLabel(property: PropertySpec): string {
  if (property === 'noLostAcked') return 'no acknowledged message lost';
  if (property === 'noDuplicates') return 'no duplicate delivery';
  if (property === 'orderedPerKey') return 'every key in order';
  if ('delayWithin' in property) return `every delay within ${formatRelative(property.delayWithin).replace('+', '±')}, none early`;
  return `latency p${property.latencyBelow.p} below ${formatDuration(property.latencyBelow.limit)}`;
}

function defaultQuestion(property: PropertySpec[]): string {
  return `Which variant keeps ${property.map(propertyLabel).join(' and ')}, and at what cost?`;
}

function aggregate(rows: SummaryRow[]): { median: SummaryRow; spread: Record<SummaryField, [number, number] | null> } {
  const med = {} as Record<SummaryField, number | null>;
  const spread = {} as Record<SummaryField, [number, number] | null>;
  for (const field of SUMMARY_FIELDS) {
    const values = rows.map((r) => r[field]).filter((v): v is number => v !== null);
    if (field === 'drainTime') {
      // "Not drained" ranks after every drain time: the median is null when most seeds did not drain.
      const middle = median(rows.map((r) => r.drainTime ?? Number.POSITIVE_INFINITY));
      med[field] = Number.isFinite(middle) ? middle : null;
    } else {
      // Counts a model does not report (deadLettered on demo) are null in every seed.
      med[field] = values.length === rows.length ? median(values) : null;
    }
    spread[field] = values.length > 0 ? [Math.min(...values), Math.max(...values)] : null;
  }
  return { median: med as unknown as SummaryRow, spread };
}

/* ---------- the verdict in words ---------- */

const number = (n: number) => n.toLocaleString('en-US');
function plural(n: number, one: string, many = `${one}s`): string {
  return `${number(n)} ${n === 1 ? one : many}`;
}

/** The faults of a run, without the start of the drain. */
function faultsOf(result: RunResult): FaultEvent[] {
  return result.faults.filter((f) => f.kind !== 'liveness');
}

function faultKindOf(step: RawRecord): FaultKind {
  return FAULT_KINDS.find((k) => k in step)!;
}

const text = (t: unknown) => (typeof t === 'string' ? t : JSON.stringify(t));

/** A fault step in role terms, for the report: `kill main-broker, for 3s`. */
export function describeLogicalFault(step: RawRecord): string {
  const kind = faultKindOf(step);
  const value = step[kind];
  let what: string;
  if (kind === 'heal') what = 'heal all partitions';
  else if (kind === 'partition') {
    what = Array.isArray(value)
      ? `partition ${(value as unknown[][]).map((g) => `[${g.map(text).join(', ')}]`).join(' | ')}`
      : `partition from [${(value as { from: unknown[] }).from.map(text).join(', ')}] to [${(value as { to: unknown[] }).to.map(text).join(', ')}]`;
  } else what = `${kind} ${text(value)}`;
  const extras = Object.entries(step).filter(([k]) => k !== 'at' && k !== kind).map(([k, v]) => `${k} ${text(v)}`);
  return extras.length > 0 ? `${what}, ${extras.join(', ')}` : what;
}

/** A fault step as a clause, in role terms: "main-broker is killed for 3s". */
export function faultClause(step: RawRecord): string {
  const kind = faultKindOf(step);
  const who = text(step[kind]);
  const span = step.for !== undefined ? ` for ${text(step.for)}` : '';
  switch (kind) {
    case 'crash': return `${who} crashes${span}`;
    case 'kill': return `${who} is killed${span}`;
    case 'stop': return step.for !== undefined ? `${who} is stopped and restarted after ${text(step.for)}` : `${who} is stopped`;
    case 'restart': return `${who} restarts`;
    case 'pause': return `${who} is paused${span}`;
    case 'resume': return `${who} resumes`;
    case 'heal': return 'the partition heals';
    case 'partition': return `the network is cut (${describeLogicalFault(step).replace(/^partition /, '')})`;
    case 'slow-disk': return `${who}'s disk slows down${span}`;
    case 'disk-full': return `${who}'s disk fills up${span}`;
    case 'clock-skew': return `${who}'s clock jumps`;
  }
}

/**
 * The fault an anomaly belongs to: for lost messages, the first fault at or after the first lost
 * message was acknowledged (the crash that took what was acked); otherwise the last fault before
 * the anomaly was first seen; null when no fault came before it. Returns its index among the run's faults.
 */
export function causeIndex(result: RunResult, at: number, lookForward: boolean): number | null {
  const faults = faultsOf(result);
  if (faults.length === 0) return null;
  if (lookForward) {
    const next = faults.findIndex((f) => f.at >= at && f.kind !== 'heal' && f.kind !== 'restart' && f.kind !== 'resume');
    if (next >= 0) return next;
  }
  // No fault before it: the anomaly is not a fault's doing (failed consumptions, parallel consumers).
  let last: number | null = null;
  faults.forEach((f, i) => { if (f.at <= at && f.kind !== 'heal') last = i; });
  return last;
}

/** "when main-broker is killed for 3s at 5s": the fault in the file's role names and its time. */
export function causePhrase(input: ComparisonInput, result: RunResult, index: number | null, word: string): string {
  if (index === null) return '';
  const steps = (input.compare.raw.faults as RawRecord[] | undefined) ?? [];
  const fault = faultsOf(result)[index];
  const step = steps[index];
  if (!fault) return '';
  return ` ${word} ${step ? faultClause(step) : fault.description} at ${formatDuration(fault.at)}`;
}

/** The first example's time of an anomaly, or null. */
function firstSeen(result: RunResult, anomaly: string): number | null {
  const examples = (result.anomalies as Record<string, { examples: { time: number }[] }>)[anomaly]?.examples ?? [];
  return examples.length > 0 ? Math.min(...examples.map((e) => e.time)) : null;
}

function verdictOf(input: ComparisonInput, f: VariantFacts): string {
  const result = f.input.results[0]!;
  const row = f.rows[0]!;
  const outcome = f.outcomes[0]!;
  const several = f.rows.length > 1;
  const range = (field: SummaryField) => {
    const s = f.spread[field];
    return several && s && s[0] !== s[1] ? ` (${number(s[0])}–${number(s[1])} over ${f.rows.length} seeds)` : '';
  };
  const clauses: string[] = [];
  if (row.lostAcked > 0) {
    const at = firstSeen(result, 'lost-write');
    clauses.push(`loses acknowledged messages: ${number(row.lostAcked)} of ${number(outcome.acked)}${range('lostAcked')}${causePhrase(input, result, at === null ? null : causeIndex(result, at, true), 'when')}`);
  } else {
    clauses.push(several && (f.spread.lostAcked?.[1] ?? 0) > 0 ? `no loss in seed ${result.seed}${range('lostAcked')}` : 'no loss');
  }
  if (row.duplicates > 0) {
    const at = firstSeen(result, 'duplicate');
    clauses.push(`${plural(row.duplicates, 'duplicate')}${range('duplicates')}${causePhrase(input, result, at === null ? null : causeIndex(result, at, false), 'after')}`);
  }
  if (row.reorders > 0) {
    const at = firstSeen(result, 'reorder');
    clauses.push(`${plural(row.reorders, 'message')} out of key order${range('reorders')}${causePhrase(input, result, at === null ? null : causeIndex(result, at, false), 'after')}`);
  }
  if (row.delayErrorMax !== null) {
    const early = row.deliveredEarly ?? 0;
    clauses.push(`delays off by ${formatRelative(row.delayErrorMax)} at worst${early > 0 ? `, ${number(early)} delivered early` : ''}`);
  }
  for (const p of f.properties) {
    if (typeof p.property === 'object' && 'latencyBelow' in p.property) {
      clauses.push(`latency p${p.property.latencyBelow.p} ${Number.isFinite(p.worst) ? formatLatency(p.worst) : 'unmeasured (nothing delivered)'}${p.broken ? `, over the ${formatDuration(p.property.latencyBelow.limit)} bound` : ''}`);
    }
  }
  if (outcome.rejected > 0) clauses.push(`${plural(outcome.rejected, 'send')} rejected`);
  if (outcome.unknown > 0) clauses.push(`${plural(outcome.unknown, 'send')} timed out or unanswered`);
  if (outcome.neverSent !== null && outcome.neverSent > 0) clauses.push(`${plural(outcome.neverSent, 'planned message')} never sent`);
  if (row.deadLettered) clauses.push(`${plural(row.deadLettered, 'message')} dead-lettered`);
  if (row.expired) clauses.push(`${plural(row.expired, 'message')} expired`);
  const queued = (result.counts as Record<string, number>).stillQueued ?? 0;
  if (!f.drained) clauses.push(queued > 0 ? `not drained: ${plural(queued, 'message')} still queued at the end` : 'not drained at the end');
  const sentence = clauses.join('; ');
  return `${sentence[0]!.toUpperCase()}${sentence.slice(1)}.`;
}

/* ---------- `mqsim compare --json` ---------- */

/** One `mqsim compare --json` row per variant, in the file's order. */
export interface CompareJsonRow extends SummaryRow {
  variant: string;
  system: string;
  scenario: string;
  seeds: number[];
  traceHashes: string[];
  /** Every seed's expect: held (the model matched the file's expectation; not a safety verdict). */
  passed: boolean;
  /** What became of every planned send (first seed). */
  outcomes: SendOutcomes;
  /** Every acknowledged message delivered or accounted for as lost, in every seed. */
  drained: boolean;
  /** Keeps the file's property and loses no acknowledged message, in every seed. */
  safe: boolean;
  /** 1 = safest by the file's property. */
  rank: number;
  verdict: string;
  /** The file's `measures:`, by count name: the median over the seeds (absent when the file has none). */
  measures?: Record<string, number>;
  /** With more than one seed: [min, max] per field; the row's fields are then medians. */
  spread?: Record<SummaryField, [number, number] | null>;
  /** With more than one seed: each seed's own row. */
  runs?: (SummaryRow & { seed: number; traceHash: string })[];
}

export function comparisonJson(facts: ComparisonFacts): CompareJsonRow[] {
  return facts.variants.map((v) => {
    const row: CompareJsonRow = {
      variant: v.name,
      system: v.input.variant.system,
      scenario: v.input.results[0]!.scenario,
      seeds: v.input.seeds,
      ...v.median,
      traceHashes: v.input.results.map((r) => r.traceHash),
      passed: v.matchesExpectation,
      outcomes: v.outcomes[0]!,
      drained: v.drained,
      safe: !v.unsafe,
      rank: facts.ranked.indexOf(v) + 1,
      verdict: v.verdict,
    };
    if (v.measures.length > 0) row.measures = Object.fromEntries(v.measures.map((m) => [m.measure.count, m.median]));
    if (v.input.seeds.length > 1) {
      row.spread = v.spread;
      row.runs = v.rows.map((r, i) => ({ seed: v.input.seeds[i]!, traceHash: v.input.results[i]!.traceHash, ...r }));
    }
    return row;
  });
}

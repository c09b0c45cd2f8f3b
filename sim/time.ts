/**
 * Virtual time. Every instant and duration inside mqsim is an integer number of
 * microseconds of virtual time; this module is the one place that turns them into
 * text (`250ms`, `5s`, `2m`, `1h`) and back.
 */

/** Microseconds of virtual time (an integer). */
export type Micros = number;

export const MICROS_PER_MS = 1_000;
export const MICROS_PER_SECOND = 1_000_000;

const UNIT_MICROS: Record<string, number> = {
  us: 1,
  µs: 1,
  ms: 1_000,
  s: 1_000_000,
  m: 60_000_000,
  min: 60_000_000,
  h: 3_600_000_000,
  d: 86_400_000_000,
};

export const DURATION_UNITS = Object.keys(UNIT_MICROS);

export class DurationError extends Error {
  override name = 'DurationError';
}

const DURATION_PART = /(\d+(?:\.\d+)?)\s*(us|µs|ms|s|min|m|h|d)/y;

/**
 * Parses `250ms`, `5s`, `1.5s`, `2m`, `1h30m`, `100us` into microseconds.
 * A bare number is rejected: a duration without a unit is a common, silent mistake.
 * The result is rounded to a whole microsecond.
 */
export function parseDuration(text: string): Micros {
  const source = text.trim();
  if (source === '') throw new DurationError(`empty duration; write e.g. 250ms, 5s, 2m`);
  if (source.startsWith('-')) throw new DurationError(`negative duration "${text}"; durations are >= 0`);
  if (/^\d+(\.\d+)?$/.test(source)) {
    throw new DurationError(`duration "${text}" has no unit; write e.g. ${source}ms or ${source}s (units: ${DURATION_UNITS.join(', ')})`);
  }
  let total = 0;
  let index = 0;
  while (index < source.length) {
    DURATION_PART.lastIndex = index;
    const match = DURATION_PART.exec(source);
    if (!match) {
      throw new DurationError(`cannot read duration "${text}"; write e.g. 250ms, 5s, 2m, 1h30m (units: ${DURATION_UNITS.join(', ')})`);
    }
    total += Number(match[1]) * UNIT_MICROS[match[2]!]!;
    index = DURATION_PART.lastIndex;
    while (source[index] === ' ') index++;
  }
  return Math.round(total);
}

/** Accepts a duration string or a number of microseconds already parsed. */
export function toMicros(value: string | number): Micros {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new DurationError(`duration ${value} must be a finite number >= 0`);
    return Math.round(value);
  }
  return parseDuration(value);
}

export const ms = (n: number): Micros => Math.round(n * MICROS_PER_MS);
export const seconds = (n: number): Micros => Math.round(n * MICROS_PER_SECOND);

/**
 * Prints a duration in the largest unit that keeps it short and exact to 3 decimals:
 * 0 -> `0s`, 1500 -> `1.5ms`, 2_500_000 -> `2.5s`, 120_000_000 -> `2m`, 5_400_000_000 -> `1h30m`.
 * parseDuration(formatDuration(x)) === x for every whole-microsecond x.
 */
export function formatDuration(micros: Micros): string {
  if (micros < 0) return '-' + formatDuration(-micros);
  if (micros === 0) return '0s';
  if (micros < 1_000) return `${micros}us`;
  if (micros < 1_000_000) return `${trim(micros / 1_000)}ms`;
  if (micros < 60_000_000) return `${trim(micros / 1_000_000)}s`;
  // Minutes and above: split into h/m/s parts, keeping sub-second precision on the seconds part.
  const hours = Math.floor(micros / 3_600_000_000);
  const minutes = Math.floor((micros % 3_600_000_000) / 60_000_000);
  const rest = micros % 60_000_000;
  let out = '';
  if (hours) out += `${hours}h`;
  if (minutes) out += `${minutes}m`;
  if (rest) out += formatDuration(rest);
  return out;
}

function trim(value: number): string {
  // Exact when it fits in 3 decimals; otherwise fall back to more digits so the round trip holds.
  const fixed = value.toFixed(3);
  if (Number(fixed) === value) return fixed.replace(/\.?0+$/, '');
  return String(value);
}

/** Seconds with millisecond precision, for human output: `12.345s`. */
export function formatTimestamp(micros: Micros): string {
  return `${(micros / MICROS_PER_SECOND).toFixed(3)}s`;
}

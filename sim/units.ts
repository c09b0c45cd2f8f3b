import { parseDuration, type Micros } from './time.js';

/**
 * Sizes (`512B`, `64KiB`, `1MB`, `1GiB`) and rates (`1000/s`, `5/ms`, `60/m`) as scenario
 * files write them. Durations live in time.ts.
 */

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  tb: 1_000_000_000_000,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

export const SIZE_UNIT_NAMES = ['B', 'KB', 'MB', 'GB', 'TB', 'KiB', 'MiB', 'GiB', 'TiB'];

export class UnitError extends Error {
  override name = 'UnitError';
}

/** Bytes from `64KiB`, `1MB`, `512B`, or a bare number of bytes. */
export function parseSize(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isInteger(text) || text < 0) throw new UnitError(`size ${text} must be a whole number of bytes >= 0`);
    return text;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!match) throw new UnitError(`cannot read size "${text}"; write e.g. 512B, 64KiB, 1MB (units: ${SIZE_UNIT_NAMES.join(', ')})`);
  const unit = match[2]!.toLowerCase() || 'b';
  const factor = SIZE_UNITS[unit];
  if (factor === undefined) throw new UnitError(`unknown size unit "${match[2]}" in "${text}" (units: ${SIZE_UNIT_NAMES.join(', ')})`);
  return Math.round(Number(match[1]) * factor);
}

/** Events per second from `1000/s`, `5/ms`, `60/m`, `3600/h`, or a bare number per second. */
export function parseRate(text: string | number): number {
  if (typeof text === 'number') {
    if (!(text >= 0) || !Number.isFinite(text)) throw new UnitError(`rate ${text} must be a number >= 0 (per second)`);
    return text;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\S+)\s*$/.exec(text);
  if (!match) throw new UnitError(`cannot read rate "${text}"; write e.g. 1000/s, 5/ms, 60/m`);
  const per = /^\d/.test(match[2]!) ? match[2]! : `1${match[2]}`;
  let window: Micros;
  try {
    window = parseDuration(per);
  } catch {
    throw new UnitError(`unknown rate unit "/${match[2]}" in "${text}"; write e.g. 1000/s, 5/ms, 60/m, 10/100ms`);
  }
  if (window === 0) throw new UnitError(`rate "${text}" is per zero time`);
  return (Number(match[1]) * 1_000_000) / window;
}

export function formatSize(bytes: number): string {
  if (bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3}GiB`;
  if (bytes >= 1024 ** 2 && bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2}MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024}KiB`;
  return `${bytes}B`;
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../sim/time.js';
import { parseRate, parseSize } from '../../sim/units.js';

describe('durations', () => {
  it.each([
    ['250ms', 250_000], ['5s', 5_000_000], ['2m', 120_000_000], ['1h', 3_600_000_000], ['100us', 100],
    ['1.5s', 1_500_000], ['1h30m', 5_400_000_000], ['0s', 0], ['2min', 120_000_000], ['1m 30s', 90_000_000],
  ])('parses %s', (text, micros) => {
    expect(parseDuration(text)).toBe(micros);
  });

  it.each(['5', '', '-1s', '5 parsecs', 's', '1.2.3s'])('rejects %j with a hint', (text) => {
    expect(() => parseDuration(text)).toThrow(/duration/);
  });

  it('prints short forms', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(1_500)).toBe('1.5ms');
    expect(formatDuration(2_500_000)).toBe('2.5s');
    expect(formatDuration(120_000_000)).toBe('2m');
    expect(formatDuration(5_400_000_000)).toBe('1h30m');
    expect(formatDuration(61_500_000)).toBe('1m1.5s');
  });

  it('round-trips every whole number of microseconds', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 ** 13 }), (micros) => {
      expect(parseDuration(formatDuration(micros))).toBe(micros);
    }));
  });
});

describe('sizes and rates', () => {
  it('reads sizes with decimal and binary units', () => {
    expect(parseSize('512B')).toBe(512);
    expect(parseSize('64KiB')).toBe(65_536);
    expect(parseSize('1MB')).toBe(1_000_000);
    expect(parseSize('1GiB')).toBe(1024 ** 3);
    expect(parseSize(100)).toBe(100);
    expect(() => parseSize('12 parsecs')).toThrow(/unknown size unit/);
  });

  it('reads rates per time', () => {
    expect(parseRate('1000/s')).toBe(1000);
    expect(parseRate('5/ms')).toBe(5000);
    expect(parseRate('60/m')).toBe(1);
    expect(parseRate('10/100ms')).toBe(100);
    expect(() => parseRate('10/fortnight')).toThrow(/rate unit/);
  });
});

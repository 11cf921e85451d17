// The web app's pure helpers: reading what people type, showing numbers as a bench shows them, and the chart
// window that never draws backwards.

import { describe, expect, it } from 'vitest';
import { formatFixed, formatSi, parseQuantity, siNumber } from '../src/lib/format';
import { TimeWindow } from '../src/lib/series';

describe('parseQuantity', () => {
  it.each([
    ['5', '', 5],
    ['0.001', 's/div', 0.001],
    ['1e-3', 's/div', 0.001],
    ['1m', 's/div', 0.001],
    ['1 ms/div', 's/div', 0.001],
    ['500u', 's', 0.0005],
    ['500µ', 's', 0.0005],
    ['2.5k', 'Ω', 2500],
    ['4.7 kΩ', 'Ω', 4700],
    ['1M', 'Ω', 1e6],
    ['-0.5', 'V', -0.5],
    ['3,3', 'V', 3.3],
  ])('%s (%s) is %d', (text, unit, value) => {
    expect(parseQuantity(text, unit)).toBe(value);
  });

  it.each(['', 'abc', '5 V V', '1x', '--1'])('refuses %j', (text) => {
    expect(parseQuantity(text, 'V')).toBeNull();
  });
});

describe('formatting', () => {
  it('uses SI prefixes for wide ranges', () => {
    expect(siNumber(0.0005)).toBe('500µ');
    expect(siNumber(0.001)).toBe('1m');
    expect(siNumber(4700)).toBe('4.7k');
    expect(siNumber(0)).toBe('0');
    expect(formatSi(0.0009998, 's')).toBe('999.8 µs');
    expect(formatSi(1000, 'Hz')).toBe('1 kHz');
    expect(formatSi(5, 'V')).toBe('5 V');
    expect(formatSi(null, 'V')).toBe('—');
  });

  it('round-trips what it shows', () => {
    for (const value of [0.0005, 0.001, 0.02, 1, 4700, 1e6, -0.25])
      expect(parseQuantity(siNumber(value))).toBe(value);
  });

  it('uses fixed decimals for supply values', () => {
    expect(formatFixed(5, 3, 'V')).toBe('5.000 V');
    expect(formatFixed(Number.NaN, 3, 'V')).toBe('—');
  });
});

describe('TimeWindow', () => {
  it('keeps the last seconds in uPlot layout', () => {
    const w = new TimeWindow(2, 10);
    w.push(100, [1, 2]);
    w.push(105, [3, null]);
    w.push(112, [5, 6]);
    expect(w.data()).toEqual([
      [105, 112],
      [3, 5],
      [null, 6],
    ]);
  });

  it('ignores a sample older than the newest (a replay after a reconnect)', () => {
    const w = new TimeWindow(1, 60);
    w.push(10, [1]);
    w.push(9, [0]);
    w.push(10, [2]);
    expect(w.data()).toEqual([[10], [1]]);
  });
});

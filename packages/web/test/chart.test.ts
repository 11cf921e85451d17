// The charts' labels: y ticks with the digits their step needs, one date/time format for axes and legends, and
// the lanes that keep a resistor's voltage, current and power apart.

import { describe, expect, it } from 'vitest';
import { laneRange, niceStep, niceTicks, tickLabels } from '../src/lib/ticks';
import { clockLabel, dateTimeLabel, legendTime, timeTickLabels } from '../src/lib/time';

describe('tickLabels', () => {
  it('shows enough digits for ticks close together (a multimeter reading 5 V)', () => {
    expect(tickLabels([4.9995, 5, 5.0005, 5.001])).toEqual(['4.9995', '5.0000', '5.0005', '5.0010']);
    expect(tickLabels([4.99, 5, 5.01])).toEqual(['4.99', '5.00', '5.01']);
    expect(new Set(tickLabels([4.9999, 4.99995, 5, 5.00005])).size).toBe(4);
  });

  it('keeps one prefix and one number of decimals across the axis', () => {
    expect(tickLabels([0, 0.5, 1, 1.5])).toEqual(['0.0', '0.5', '1.0', '1.5']);
    expect(tickLabels([0, 0.002, 0.004])).toEqual(['0', '2m', '4m']);
    expect(tickLabels([0.001, 0.0015, 0.002])).toEqual(['1.0m', '1.5m', '2.0m']);
    expect(tickLabels([1000, 1500, 2000])).toEqual(['1.0k', '1.5k', '2.0k']);
    expect(tickLabels([0, 10, 20, 30])).toEqual(['0', '10', '20', '30']);
    expect(tickLabels([-0.2, -0.1, 0, 0.1])).toEqual(['-200m', '-100m', '0', '100m']);
    expect(tickLabels([-2, -1, 0, 1])).toEqual(['-2', '-1', '0', '1']);
    expect(tickLabels([0.1, 0.2, 0.30000000000000004])).toEqual(['100m', '200m', '300m']);
    expect(tickLabels([1.1, 1.2, 1.3000000000000003])).toEqual(['1.1', '1.2', '1.3']);
  });

  it('adds the unit after the prefix', () => {
    expect(tickLabels([0, 0.25, 0.5], 'A')).toEqual(['0 A', '250 mA', '500 mA']);
    expect(tickLabels([4, 5, 6], 'V')).toEqual(['4 V', '5 V', '6 V']);
  });

  it('copes with one tick, no ticks and non-finite ones', () => {
    expect(tickLabels([5])).toEqual(['5']);
    expect(tickLabels([])).toEqual([]);
    expect(tickLabels([1, Number.NaN, 2])).toEqual(['1', '', '2']);
  });
});

describe('niceTicks', () => {
  it('picks round steps inside the range', () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(0.03, 3)).toBeCloseTo(0.01);
    expect(niceTicks(0, 5.25, 2)).toEqual([0, 2, 4]);
    expect(niceTicks(4.998, 5.002, 2)).toEqual([4.998, 5, 5.002]);
  });
});

describe('laneRange', () => {
  it('puts each lane’s data in its own band of the height, lane 0 at the top', () => {
    const lanes = 3;
    const fraction = (v: number, [min, max]: [number, number]) => (v - min) / (max - min);
    const top = laneRange(0, 10, 0, lanes);
    const middle = laneRange(0, 1, 1, lanes);
    const bottom = laneRange(0, 20, 2, lanes);
    // The bands do not overlap: each lane's data range maps inside [its bottom, its top] and below the lane above.
    expect(fraction(10, top)).toBeCloseTo(1);
    expect(fraction(0, bottom)).toBeCloseTo(0);
    expect(fraction(1, middle)).toBeLessThan(fraction(0, top));
    expect(fraction(20, bottom)).toBeLessThan(fraction(0, middle));
  });
});

describe('chart times', () => {
  const at = new Date(2026, 10, 29, 9, 5, 7);
  it('formats clock time and date in one way', () => {
    expect(clockLabel(at)).toBe('09:05:07');
    expect(dateTimeLabel(at)).toBe('2026-11-29 09:05:07');
  });

  it('labels time ticks with the clock, and the date when the ticks span days', () => {
    const s = at.getTime() / 1000;
    expect(timeTickLabels([s, s + 10, s + 20])).toEqual(['09:05:07', '09:05:17', '09:05:27']);
    const day = 86_400;
    expect(timeTickLabels([s, s + day / 2, s + day])).toEqual([
      '09:05:07\n2026-11-29',
      '21:05:07',
      '09:05:07\n2026-11-30',
    ]);
  });

  it('shows the legend’s time as the clock today, with the date otherwise', () => {
    const s = at.getTime() / 1000;
    expect(legendTime(s, at)).toBe('09:05:07');
    expect(legendTime(s, new Date(2026, 11, 1))).toBe('2026-11-29 09:05:07');
    expect(legendTime(null)).toBe('—');
  });
});

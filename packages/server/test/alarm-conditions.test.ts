// The pure evaluation of alarm conditions (src/alarms/conditions.ts): the eight conditions, the deadband as
// hysteresis, on-delay and count filters, deviation from a setpoint and rate of change. Samples carry their own
// times, so nothing here waits.

import { describe, expect, it } from 'vitest';
import { type ConditionSpec, evaluate, freshState, type Sample } from '../src/alarms/conditions.js';

const spec = (over: Partial<ConditionSpec>): ConditionSpec => ({
  alarm_type: 'threshold',
  condition: 'greater_than',
  threshold: 5,
  threshold_high: null,
  threshold_low: null,
  reference: null,
  window_seconds: 1,
  deadband: 0,
  delay_seconds: 0,
  count: null,
  count_window_seconds: null,
  ...over,
});

/** Feeds values 100 ms apart (or at the given times) and returns the changes, in order, as 'R' and 'N'. */
function run(s: ConditionSpec, values: (number | null | Sample)[]): string {
  const state = freshState();
  return values
    .map((v, i) => {
      const sample = typeof v === 'object' && v !== null ? v : { value: v, at: i * 100 };
      const { change } = evaluate(s, state, sample);
      return change === 'raise' ? 'R' : change === 'return' ? 'N' : '.';
    })
    .join('');
}

describe('conditions', () => {
  it('greater_than and less_than raise past the threshold and return when back', () => {
    expect(run(spec({}), [4, 5, 5.1, 6, 5, 4])).toBe('..R.N.');
    expect(run(spec({ condition: 'less_than', threshold: 1 }), [2, 0.5, 0.4, 1, 2])).toBe('.R.N.');
  });

  it('the deadband is hysteresis: noise around the threshold does not chatter', () => {
    const noisy = [4.9, 5.1, 4.9, 5.1, 4.95, 5.05, 4.9, 5.1, 4.4, 5.1];
    expect(run(spec({}), noisy)).toBe('.RNRNRNRNR');
    expect(run(spec({ deadband: 0.5 }), noisy)).toBe('.R......NR');
    expect(run(spec({ condition: 'less_than', threshold: 1, deadband: 0.2 }), [0.9, 1.1, 0.95, 1.3])).toBe(
      'R..N',
    );
  });

  it('equal_to and not_equal_to use the deadband as their tolerance', () => {
    expect(run(spec({ condition: 'equal_to', threshold: 2, deadband: 0.01 }), [1, 2.005, 1.995, 2.1])).toBe(
      '.R.N',
    );
    expect(run(spec({ condition: 'not_equal_to', threshold: 2, deadband: 0.01 }), [2, 2.005, 2.5, 2])).toBe(
      '..RN',
    );
  });

  it('in_range and out_of_range use both bounds, with hysteresis', () => {
    const inRange = spec({ condition: 'in_range', threshold_low: 1, threshold_high: 2, deadband: 0.1 });
    expect(run(inRange, [0, 1.5, 2.05, 2.2, 0.5])).toBe('.R.N.');
    const outOfRange = spec({
      condition: 'out_of_range',
      threshold_low: 1,
      threshold_high: 2,
      deadband: 0.1,
    });
    expect(run(outOfRange, [1.5, 2.1, 1.95, 1.8, 0.5, 1.05, 1.2])).toBe('.R.NR.N');
  });

  it('edges raise on a crossing from the other side, not on a first value already past', () => {
    const rising = spec({ condition: 'rising_edge', threshold: 5, deadband: 0.5 });
    expect(run(rising, [6, 6, 4, 6, 4.8, 6, 4, 6])).toBe('...R..NR');
    const falling = spec({ condition: 'falling_edge', threshold: 5 });
    expect(run(falling, [4, 6, 4, 4, 6])).toBe('..R.N');
  });

  it('a null value (an overload) changes nothing', () => {
    expect(run(spec({}), [6, null, null, 4])).toBe('R..N');
  });
});

describe('filters', () => {
  it('on-delay: raised only once the condition has held for delay_seconds', () => {
    const s = spec({ delay_seconds: 0.3 });
    // A 200 ms blip is not enough; holding 300 ms is.
    expect(run(s, [6, 6, 6, 4, 6, 6, 6, 6, 4])).toBe('.......RN');
  });

  it('count filter: raised when the condition became true `count` times within the window', () => {
    const s = spec({ count: 3, count_window_seconds: 1 });
    expect(run(s, [6, 4, 6, 4, 6])).toBe('....R');
    // Entries older than the window do not count.
    const spaced = [6, 4, 6, 4, 6].map((value, i) => ({ value, at: i * 600 }));
    expect(run(s, spaced)).toBe('.....');
  });

  it('count with a delay: raised by either', () => {
    const s = spec({ count: 5, count_window_seconds: 10, delay_seconds: 0.2 });
    expect(run(s, [6, 6, 6, 4])).toBe('..RN');
  });
});

describe('what is measured', () => {
  it('deviation: the distance from the setpoint the reading carries, or from the reference', () => {
    const s = spec({ alarm_type: 'deviation', threshold: 0.5 });
    const samples = [
      { value: 5, setpoint: 5, at: 0 },
      { value: 4.2, setpoint: 5, at: 100 },
      { value: 5.9, setpoint: 5, at: 200 },
      { value: 5.1, setpoint: 5, at: 300 },
      { value: 5.1, setpoint: null, at: 400 },
    ];
    expect(run(s, samples)).toBe('.R.N.');
    const state = freshState();
    const result = evaluate(spec({ alarm_type: 'deviation', threshold: 0.5, reference: 10 }), state, {
      value: 9,
      at: 0,
    });
    expect(result).toMatchObject({ change: 'raise', quantity: 1 });
  });

  it('rate_of_change: per second over the window, signed', () => {
    const s = spec({ alarm_type: 'rate_of_change', threshold: 2, window_seconds: 1 });
    const ramp = (values: number[]) => values.map((value, i) => ({ value, at: i * 250 }));
    // 0.25 V per 250 ms = 1 V/s: no alarm; then 1 V per 250 ms = 4 V/s: alarm; then flat: back to normal.
    expect(run(s, ramp([0, 0.25, 0.5, 0.75, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5]))).toBe('......R...N...');
    const state = freshState();
    evaluate(s, state, { value: 0, at: 0 });
    expect(evaluate(s, state, { value: 10, at: 100 }).quantity).toBeNull(); // too short a span for a rate
    expect(evaluate(s, state, { value: 10, at: 500 }).quantity).toBe(20);
  });
});

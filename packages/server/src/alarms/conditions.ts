// The pure evaluation of an alarm's condition over a series of samples: what each alarm type measures (the value
// itself, its distance from a setpoint, its rate of change), the eight conditions with the deadband as hysteresis,
// and the on-delay and count filters (after Phoebus: "an alarm delay of 10 with a count of 5 recognises an alarm
// when the value is not OK for more than 10 s, or more often than 5 times within 10 s"). No I/O and no clock of its
// own: each sample carries its time, so the engine and the unit tests drive it the same way.

import type { AlarmCondition, AlarmConfig } from '@lablink/protocol/rest';

/** What the evaluation reads of a definition. */
export type ConditionSpec = Pick<
  AlarmConfig,
  | 'alarm_type'
  | 'condition'
  | 'threshold'
  | 'threshold_high'
  | 'threshold_low'
  | 'reference'
  | 'window_seconds'
  | 'deadband'
  | 'delay_seconds'
  | 'count'
  | 'count_window_seconds'
>;

export interface Sample {
  /** The reading field's value; null when the instrument could not measure (skipped). */
  value: number | null;
  /** Milliseconds (any monotonic origin, the same for every sample of an alarm). */
  at: number;
  /** The instrument's own setpoint for this value (deviation alarms), when the reading has one. */
  setpoint?: number | null;
}

/** What the filter remembers between samples. */
export interface FilterState {
  /** The condition (with hysteresis) held at the last sample. */
  raw: boolean;
  /** When the condition last became true (on-delay). */
  rawSince: number | null;
  /** When the condition became true, within the count window. */
  entries: number[];
  /** The alarm is raised (recognised by the filters, not yet back to normal). */
  inAlarm: boolean;
  /** The last quantity evaluated (edges), and recent samples (rate of change). */
  previous: number | null;
  history: { at: number; value: number }[];
}

export function freshState(inAlarm = false): FilterState {
  return { raw: inAlarm, rawSince: null, entries: [], inAlarm, previous: null, history: [] };
}

export interface Evaluation {
  /** What happened at this sample. */
  change: 'raise' | 'return' | null;
  inAlarm: boolean;
  /** The quantity compared (the value; the deviation; the rate per second); null when none could be computed. */
  quantity: number | null;
  /** The threshold it was compared with (the one crossed, for ranges). */
  threshold: number | null;
}

const RANGE: ReadonlySet<AlarmCondition> = new Set(['in_range', 'out_of_range']);

/**
 * The quantity an alarm compares: the value (threshold), its distance from the setpoint or reference (deviation:
 * absolute, signed for range conditions), or its rate per second over window_seconds (rate_of_change, signed).
 * Updates the rate history. Null when it cannot be computed yet.
 */
export function quantityOf(spec: ConditionSpec, state: FilterState, sample: Sample): number | null {
  const { value, at } = sample;
  if (value === null || !Number.isFinite(value)) return null;
  switch (spec.alarm_type) {
    case 'deviation': {
      const reference = spec.reference ?? sample.setpoint ?? null;
      if (reference === null || !Number.isFinite(reference)) return null;
      const d = value - reference;
      return RANGE.has(spec.condition) ? d : Math.abs(d);
    }
    case 'rate_of_change': {
      const windowMs = Math.max(spec.window_seconds, 0.001) * 1000;
      state.history.push({ at, value });
      while (state.history.length > 2 && (state.history[1] as { at: number }).at <= at - windowMs) {
        state.history.shift();
      }
      const oldest = state.history[0] as { at: number; value: number };
      const dt = (at - oldest.at) / 1000;
      // The rate needs a span of at least half the window (a first pair of close samples is no rate).
      if (state.history.length < 2 || dt <= 0 || dt < spec.window_seconds / 2) return null;
      return (value - oldest.value) / dt;
    }
    default:
      return value;
  }
}

/**
 * Whether the condition holds for `q`, given whether it held at the previous sample: the deadband is hysteresis,
 * so a condition that holds lets go only once the quantity is `deadband` back inside (greater_than T: raised above T,
 * normal again at or below T − deadband). equal_to and not_equal_to use the deadband as their tolerance.
 * Edges hold from the crossing (from the other side of the threshold) until the quantity is back by the deadband.
 */
export function conditionHolds(
  spec: ConditionSpec,
  q: number,
  held: boolean,
  previous: number | null,
): boolean {
  const d = spec.deadband ?? 0;
  const t = spec.threshold;
  const lo = spec.threshold_low;
  const hi = spec.threshold_high;
  switch (spec.condition) {
    case 'greater_than':
      return t !== null && (held ? q > t - d : q > t);
    case 'less_than':
      return t !== null && (held ? q < t + d : q < t);
    case 'equal_to':
      return t !== null && Math.abs(q - t) <= d;
    case 'not_equal_to':
      return t !== null && Math.abs(q - t) > d;
    case 'in_range':
      if (lo === null || hi === null) return false;
      return held ? q >= lo - d && q <= hi + d : q >= lo && q <= hi;
    case 'out_of_range':
      if (lo === null || hi === null) return false;
      return held ? q < lo + d || q > hi - d : q < lo || q > hi;
    case 'rising_edge':
      if (t === null) return false;
      if (held) return q > t - d;
      return previous !== null && previous <= t && q > t;
    case 'falling_edge':
      if (t === null) return false;
      if (held) return q < t + d;
      return previous !== null && previous >= t && q < t;
    default:
      return false;
  }
}

/** The threshold a sample is compared with, for messages: the bound crossed for ranges. */
function thresholdFor(spec: ConditionSpec, q: number | null): number | null {
  if (!RANGE.has(spec.condition)) return spec.threshold;
  if (q === null) return spec.threshold_high ?? spec.threshold_low;
  if (spec.condition === 'out_of_range') {
    return spec.threshold_low !== null && q < spec.threshold_low ? spec.threshold_low : spec.threshold_high;
  }
  return spec.threshold_high;
}

/**
 * Evaluates one sample: the condition with hysteresis, then the filters. Without a count filter the alarm is
 * raised once the condition has held for delay_seconds (0: at once); with one (`count` within
 * count_window_seconds), it is raised when the condition became true `count` times within the window, or has held
 * for delay_seconds when a delay is set. It returns to normal when the condition no longer holds.
 */
export function evaluate(spec: ConditionSpec, state: FilterState, sample: Sample): Evaluation {
  const q = quantityOf(spec, state, sample);
  if (q === null) {
    return { change: null, inAlarm: state.inAlarm, quantity: null, threshold: thresholdFor(spec, null) };
  }
  const holds = conditionHolds(spec, q, state.raw, state.previous);
  state.previous = q;
  const threshold = thresholdFor(spec, q);
  if (holds && !state.raw) {
    state.rawSince = sample.at;
    if (spec.count !== null && spec.count !== undefined) state.entries.push(sample.at);
  }
  state.raw = holds;
  if (spec.count !== null && spec.count !== undefined) {
    const windowMs = (spec.count_window_seconds ?? spec.delay_seconds ?? 0) * 1000;
    while (state.entries.length > 0 && (state.entries[0] as number) < sample.at - windowMs)
      state.entries.shift();
  }
  if (!holds) {
    state.rawSince = null;
    if (state.inAlarm) {
      state.inAlarm = false;
      return { change: 'return', inAlarm: false, quantity: q, threshold };
    }
    return { change: null, inAlarm: false, quantity: q, threshold };
  }
  if (state.inAlarm) return { change: null, inAlarm: true, quantity: q, threshold };
  if (recognised(spec, state, sample.at)) {
    state.inAlarm = true;
    state.entries = [];
    return { change: 'raise', inAlarm: true, quantity: q, threshold };
  }
  return { change: null, inAlarm: false, quantity: q, threshold };
}

function recognised(spec: ConditionSpec, state: FilterState, at: number): boolean {
  const delayMs = (spec.delay_seconds ?? 0) * 1000;
  const heldLongEnough = state.rawSince !== null && at - state.rawSince >= delayMs;
  if (spec.count === null || spec.count === undefined) return heldLongEnough;
  if (state.entries.length >= spec.count) return true;
  return delayMs > 0 && heldLongEnough;
}

/** A boolean reading field (output_enabled …) is evaluated as 1 or 0; anything else that is not a number, skipped. */
export function numeric(value: unknown): number | null {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return null;
}

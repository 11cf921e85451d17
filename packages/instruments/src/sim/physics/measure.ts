// Automatic measurements computed from the samples on screen, the way a scope does: amplitude statistics over the
// record, timing from crossings of the middle level with hysteresis (10 % of the amplitude, and never less than
// a few ADC codes) so noise does not count as edges. A value the record cannot support (no two edges for a
// period, no complete pulse, a signal too small on screen) is null.

export interface Measurements {
  vmax: number;
  vmin: number;
  vpp: number;
  vavg: number;
  vrms: number;
  freq: number | null;
  period: number | null;
  rise: number | null;
  fall: number | null;
  pwidth: number | null;
  nwidth: number | null;
  /** Positive and negative duty cycle as ratios (0..1). */
  pduty: number | null;
  nduty: number | null;
}

/** Hysteresis floor in ADC codes: noise on a flat trace spans a few codes and must not count as edges. */
const MIN_HYSTERESIS_CODES = 5;

/**
 * @param xinc seconds between samples
 * @param yinc volts per ADC code
 */
export function measure(volts: ArrayLike<number>, xinc: number, yinc: number): Measurements {
  const n = volts.length;
  let vmax = Number.NEGATIVE_INFINITY;
  let vmin = Number.POSITIVE_INFINITY;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < n; i++) {
    const v = volts[i] as number;
    if (v > vmax) vmax = v;
    if (v < vmin) vmin = v;
    sum += v;
    sumSquares += v * v;
  }
  const vpp = vmax - vmin;
  const edges = findEdges(volts, xinc, vmin, vpp, Math.max(vpp * 0.1, MIN_HYSTERESIS_CODES * yinc));
  const period = meanSpacing(edges.rising) ?? meanSpacing(edges.falling);
  const pwidth = meanGap(edges.rising, edges.falling);
  const nwidth = meanGap(edges.falling, edges.rising);
  return {
    vmax,
    vmin,
    vpp,
    vavg: sum / n,
    vrms: Math.sqrt(sumSquares / n),
    freq: period === null ? null : 1 / period,
    period,
    rise: edges.riseTime,
    fall: edges.fallTime,
    pwidth,
    nwidth,
    pduty: period === null || pwidth === null ? null : pwidth / period,
    nduty: period === null || nwidth === null ? null : nwidth / period,
  };
}

interface Edges {
  rising: number[];
  falling: number[];
  riseTime: number | null;
  fallTime: number | null;
}

function findEdges(
  volts: ArrayLike<number>,
  xinc: number,
  base: number,
  vpp: number,
  hysteresis: number,
): Edges {
  const edges: Edges = { rising: [], falling: [], riseTime: null, fallTime: null };
  if (!(vpp > 0)) return edges;
  const mid = base + vpp / 2;
  const at = (i: number) => volts[i] as number;
  // Time at which the record crosses `level` between samples i and i+1.
  const cross = (i: number, level: number) => (i + (level - at(i)) / (at(i + 1) - at(i))) * xinc;
  const rises: number[] = [];
  const falls: number[] = [];
  let state: 'low' | 'high' | null = null;
  let lastBelow = -1;
  let lastAbove = -1;
  for (let i = 0; i < volts.length; i++) {
    const v = at(i);
    if (v < mid) lastBelow = i;
    else lastAbove = i;
    if (v > mid + hysteresis && state !== 'high') {
      if (state === 'low') {
        edges.rising.push(cross(lastBelow, mid));
        const t = transition(volts, lastBelow, base + vpp * 0.1, base + vpp * 0.9, cross);
        if (t !== null) rises.push(t);
      }
      state = 'high';
    } else if (v < mid - hysteresis && state !== 'low') {
      if (state === 'high') {
        edges.falling.push(cross(lastAbove, mid));
        const t = transition(volts, lastAbove, base + vpp * 0.9, base + vpp * 0.1, cross);
        if (t !== null) falls.push(t);
      }
      state = 'low';
    }
  }
  edges.riseTime = mean(rises);
  edges.fallTime = mean(falls);
  return edges;
}

/**
 * The time the record takes to go from `from` to `to` around the mid-level crossing after sample k (a rising
 * edge when to > from); null when the edge is cut by the record's start or end.
 */
function transition(
  volts: ArrayLike<number>,
  k: number,
  from: number,
  to: number,
  cross: (i: number, level: number) => number,
): number | null {
  const rising = to > from;
  const before = (v: number, level: number) => (rising ? v <= level : v >= level);
  let j = k;
  while (j >= 0 && !before(volts[j] as number, from)) j--;
  let m = k + 1;
  while (m < volts.length && before(volts[m] as number, to)) m++;
  if (j < 0 || m >= volts.length) return null;
  return cross(m - 1, to) - cross(j, from);
}

function meanSpacing(times: readonly number[]): number | null {
  if (times.length < 2) return null;
  return ((times.at(-1) as number) - (times[0] as number)) / (times.length - 1);
}

/** Mean time from each `starts` entry to the first `ends` entry after it (pulse widths). */
function meanGap(starts: readonly number[], ends: readonly number[]): number | null {
  const gaps: number[] = [];
  for (const start of starts) {
    const end = ends.find((t) => t > start);
    if (end !== undefined) gaps.push(end - start);
  }
  return mean(gaps);
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

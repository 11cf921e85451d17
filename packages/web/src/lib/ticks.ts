// Axis tick labels with as many digits as the ticks need to differ: ticks 4.9990, 4.9995, 5.0000 read
// "4.9990", "4.9995", "5.0000", not "5", "5", "5" as a fixed number of significant digits would give.

import { PREFIXES } from './format';

/** A round step (1, 2 or 5 times a power of ten) that cuts `span` into about `count` parts. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !(count > 0)) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * power;
}

/** Ticks at multiples of a round step from `low` to `high` (both included when they fall on the step). */
export function niceTicks(low: number, high: number, count = 3): number[] {
  const step = niceStep(high - low, count);
  const ticks: number[] = [];
  for (let i = Math.ceil(low / step - 1e-9); i * step <= high + step * 1e-9; i++) {
    ticks.push(Number((i * step).toPrecision(12)));
  }
  return ticks;
}

/**
 * Labels for a chart axis's ticks, one SI prefix for all of them (that of the largest tick), and the decimals the
 * step between ticks requires, all ticks alike: [0, 0.5, 1] → "0.0", "0.5", "1.0"; [4.999, 5, 5.001] → "4.999",
 * "5.000", "5.001"; [0, 0.002, 0.004] → "0", "2m", "4m"; [1000, 1500, 2000] → "1.0k", "1.5k", "2.0k". With a
 * unit: "2 mA", "0 A".
 */
export function tickLabels(ticks: readonly number[], unit = ''): string[] {
  const finite = ticks.filter((t) => Number.isFinite(t));
  if (finite.length === 0) return ticks.map(() => '');
  const largest = Math.max(...finite.map(Math.abs));
  const [multiplier, prefix] =
    largest === 0
      ? [1, '']
      : (PREFIXES.find(([m]) => largest >= m * 0.9999995) ?? (PREFIXES.at(-1) as [number, string]));
  const sorted = [...new Set(finite)].sort((a, b) => a - b);
  let step = Number.POSITIVE_INFINITY;
  for (let i = 1; i < sorted.length; i++)
    step = Math.min(step, (sorted[i] as number) - (sorted[i - 1] as number));
  let decimals = 0;
  if (Number.isFinite(step) && step > 0) {
    const scaledStep = step / multiplier;
    // Enough decimals for the step (0.25 needs 2), bounded; rounding noise such as 0.30000000000000004 ignored.
    decimals = Math.max(0, -Math.floor(Math.log10(scaledStep) + 1e-9));
    while (decimals < 12 && Math.abs(Number(scaledStep.toFixed(decimals)) - scaledStep) > scaledStep * 1e-6) {
      decimals++;
    }
  }
  return ticks.map((t) => {
    if (!Number.isFinite(t)) return '';
    let text = (t / multiplier).toFixed(decimals);
    // "-0.0" reads as zero; a zero needs no prefix.
    if (/^-0(\.0+)?$/.test(text)) text = text.slice(1);
    const zero = /^0(\.0+)?$/.test(text);
    if (unit) return `${text} ${zero ? '' : prefix}${unit}`;
    return zero ? text : `${text}${prefix}`;
  });
}

/** The gap between lanes, as a fraction of the plot's height. */
const LANE_GAP = 0.08;

/**
 * The scale range that puts [low, high] in lane `lane` of `lanes` (0 at the top): the lane's data fill its share
 * of the height and the rest of the range lies above and below it.
 */
export function laneRange(low: number, high: number, lane: number, lanes: number): [number, number] {
  const share = (1 - LANE_GAP * (lanes - 1)) / lanes;
  const bottom = (lanes - 1 - lane) * (share + LANE_GAP);
  const full = (high - low) / share;
  const min = low - bottom * full;
  return [min, min + full];
}

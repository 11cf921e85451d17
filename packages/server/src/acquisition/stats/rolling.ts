// Rolling statistics of one channel: mean, std, min, max, median, rms, peak-to-peak, over every valid sample of the
// series (NaN and ±Infinity are missing and ignored). One pass with Welford's update for the mean and variance
// (numerically stable on long series with a large offset), then an exact median found with bounded memory: when
// more values than `cap` are valid, histogram passes narrow the range holding the middle value until it fits.

import type { Series } from './series.js';

/**
 * Count, mean, variance, min and max of the finite values pushed (Welford). The running mean and sum of squares are
 * kept in units of a power-of-two `scale` (1 until a value beyond ±1 arrives): dividing by a power of two is exact,
 * so nothing changes for ordinary values, and nothing overflows for values near ±1.8e308.
 */
export class Moments {
  /** Valid (finite) values. */
  n = 0;
  /** Every value pushed, missing ones included. */
  total = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  private scale = 1;
  private meanS = 0;
  private m2S = 0;

  push(x: number): void {
    this.total++;
    if (!Number.isFinite(x)) return;
    const a = Math.abs(x);
    if (a > this.scale) {
      let next = this.scale;
      while (next < a && next < 2 ** 1023) next *= 2;
      const r = this.scale / next;
      this.meanS *= r;
      this.m2S *= r * r;
      this.scale = next;
    }
    const xs = x / this.scale;
    this.n++;
    const d = xs - this.meanS;
    this.meanS += d / this.n;
    this.m2S += d * (xs - this.meanS);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }

  pushAll(values: Float64Array): void {
    for (let i = 0; i < values.length; i++) this.push(values[i] as number);
  }

  get missing(): number {
    return this.total - this.n;
  }

  get mean(): number {
    return this.meanS * this.scale;
  }

  /** Population standard deviation (numpy's default, ddof 0). */
  get std(): number {
    return this.n > 0 ? saturate(Math.sqrt(Math.max(0, this.m2S / this.n)) * this.scale) : 0;
  }

  /** Root mean square: √(mean² + variance), without a sum of squares that loses precision or overflows. */
  get rms(): number {
    if (this.n === 0) return 0;
    return saturate(Math.hypot(this.meanS, Math.sqrt(Math.max(0, this.m2S / this.n))) * this.scale);
  }
}

/** A figure beyond a double (the spread of values near ±1.8e308) reads as the largest double. */
export const saturate = (x: number): number =>
  Number.isNaN(x) ? 0 : Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, x));

export async function moments(series: Series): Promise<Moments> {
  const m = new Moments();
  for await (const chunk of series()) m.pushAll(chunk.values);
  return m;
}

export interface RollingStats {
  mean: number;
  std: number;
  min: number;
  max: number;
  median: number;
  rms: number;
  peak_to_peak: number;
  /** Samples in the window, missing ones included. */
  num_samples: number;
  /** Finite samples the figures are computed from. */
  valid_samples: number;
}

/** Values held in memory at most to find the median (8 MB). */
export const MEDIAN_CAP = 1 << 20;
const BUCKETS = 4096;

export async function rolling(series: Series, options: { medianCap?: number } = {}): Promise<RollingStats> {
  const m = await moments(series);
  if (m.n === 0) {
    return {
      mean: 0,
      std: 0,
      min: 0,
      max: 0,
      median: 0,
      rms: 0,
      peak_to_peak: 0,
      num_samples: m.total,
      valid_samples: 0,
    };
  }
  const cap = options.medianCap ?? MEDIAN_CAP;
  const half = m.n >> 1;
  const median =
    m.n % 2 === 1
      ? await kth(series, half, m, cap)
      : (await kth(series, half - 1, m, cap)) / 2 + (await kth(series, half, m, cap)) / 2;
  return {
    mean: m.mean,
    std: m.std,
    min: m.min,
    max: m.max,
    median,
    rms: m.rms,
    peak_to_peak: saturate(m.max - m.min),
    num_samples: m.total,
    valid_samples: m.n,
  };
}

/**
 * The k-th smallest finite value (0-based) of the series, holding at most `cap` values: while more than `cap`
 * values lie in [lo, hi], one pass counts them in buckets (with each bucket's exact min and max) and the range
 * becomes the bucket holding rank k. Bucket membership is monotone in the value, so a bucket's values are exactly
 * those between its min and max, and the range strictly shrinks each pass.
 */
export async function kth(series: Series, k: number, m: Moments, cap: number): Promise<number> {
  let lo = m.min;
  let hi = m.max;
  let below = 0;
  let inRange = m.n;
  for (let pass = 0; ; pass++) {
    if (lo === hi) return lo;
    // Halves keep the width finite between -1e308 and 1e308.
    const scale = BUCKETS / (hi / 2 - lo / 2);
    if (inRange <= cap || pass >= 200 || !Number.isFinite(scale)) {
      const held = new Float64Array(inRange);
      let at = 0;
      for await (const chunk of series()) {
        const v = chunk.values;
        for (let i = 0; i < v.length; i++) {
          const x = v[i] as number;
          if (x >= lo && x <= hi && at < held.length) held[at++] = x;
        }
      }
      const sorted = held.subarray(0, at).sort();
      return sorted[Math.min(at - 1, k - below)] as number;
    }
    const counts = new Float64Array(BUCKETS);
    const bmin = new Float64Array(BUCKETS).fill(Number.POSITIVE_INFINITY);
    const bmax = new Float64Array(BUCKETS).fill(Number.NEGATIVE_INFINITY);
    for await (const chunk of series()) {
      const v = chunk.values;
      for (let i = 0; i < v.length; i++) {
        const x = v[i] as number;
        if (!(x >= lo && x <= hi)) continue;
        const b = Math.min(BUCKETS - 1, Math.floor((x / 2 - lo / 2) * scale));
        counts[b] = (counts[b] as number) + 1;
        if (x < (bmin[b] as number)) bmin[b] = x;
        if (x > (bmax[b] as number)) bmax[b] = x;
      }
    }
    let b = 0;
    let cum = 0;
    while (b < BUCKETS - 1 && cum + (counts[b] as number) <= k - below) cum += counts[b++] as number;
    below += cum;
    lo = bmin[b] as number;
    hi = bmax[b] as number;
    inRange = counts[b] as number;
  }
}

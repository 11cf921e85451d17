// Peaks of one channel, as scipy.signal.find_peaks finds them: local maxima (the middle of a flat top), then those
// at least `height` high, then those at least `distance` samples from a higher kept peak, then those with at least
// `prominence` (how far the peak stands above the higher of the lowest points between it and a higher sample on
// either side, or the series' end). Missing samples (NaN, ±Infinity) are never peaks and never end a prominence
// search.

import { saturate } from './rolling.js';

export interface PeakOptions {
  height?: number;
  distance?: number;
  prominence?: number;
}

export interface PeakStats {
  /** Session sample indices. */
  indices: number[];
  values: number[];
  prominences: number[];
  count: number;
}

/** Local maxima of x: indices of the middle of each flat or single-sample top (scipy's _local_maxima_1d). */
export function localMaxima(x: Float64Array): number[] {
  const peaks: number[] = [];
  const last = x.length - 1;
  let i = 1;
  while (i < last) {
    if ((x[i - 1] as number) < (x[i] as number)) {
      let ahead = i + 1;
      while (ahead < last && x[ahead] === x[i]) ahead++;
      if ((x[ahead] as number) < (x[i] as number)) {
        peaks.push((i + ahead - 1) >> 1);
        i = ahead;
      }
    }
    i++;
  }
  return peaks;
}

export function prominenceOf(x: Float64Array, peak: number): number {
  const top = x[peak] as number;
  let leftMin = top;
  for (let i = peak - 1; i >= 0; i--) {
    const v = x[i] as number;
    if (v > top) break;
    if (v < leftMin) leftMin = v;
  }
  let rightMin = top;
  for (let i = peak + 1; i < x.length; i++) {
    const v = x[i] as number;
    if (v > top) break;
    if (v < rightMin) rightMin = v;
  }
  return saturate(top - Math.max(leftMin, rightMin));
}

/** Peaks of `values`; `offset` is the session index of values[0]. */
export function findPeaks(input: Float64Array, options: PeakOptions = {}, offset = 0): PeakStats {
  // ±Infinity is missing, as NaN: never a peak, never a bound of a prominence.
  const values = input.map((v) => (Number.isFinite(v) ? v : Number.NaN));
  let peaks = localMaxima(values);
  if (options.height !== undefined) {
    const h = options.height;
    peaks = peaks.filter((p) => (values[p] as number) >= h);
  }
  const distance = options.distance ?? 1;
  if (distance > 1 && peaks.length > 1) {
    // Highest first; a peak closer than `distance` to a higher kept one goes (scipy's _select_by_peak_distance).
    const keep = new Uint8Array(peaks.length).fill(1);
    const order = peaks
      .map((_, i) => i)
      .sort(
        (a, b) => (values[peaks[b] as number] as number) - (values[peaks[a] as number] as number) || b - a,
      );
    for (const i of order) {
      if (!keep[i]) continue;
      const at = peaks[i] as number;
      for (let j = i - 1; j >= 0 && at - (peaks[j] as number) < distance; j--) keep[j] = 0;
      for (let j = i + 1; j < peaks.length && (peaks[j] as number) - at < distance; j++) keep[j] = 0;
    }
    peaks = peaks.filter((_, i) => keep[i]);
  }
  let prominences = peaks.map((p) => prominenceOf(values, p));
  if (options.prominence !== undefined) {
    const min = options.prominence;
    const kept = peaks.map((_, i) => (prominences[i] as number) >= min);
    peaks = peaks.filter((_, i) => kept[i]);
    prominences = prominences.filter((_, i) => kept[i]);
  }
  return {
    indices: peaks.map((p) => p + offset),
    values: peaks.map((p) => values[p] as number),
    prominences,
    count: peaks.length,
  };
}

// Trend of one channel: a least-squares line through the valid samples against their real timestamps, streamed
// over the chunks with Welford-style co-moments (stable on long series), and LabLink 1.x's rules to name it:
// fewer than 3 valid samples (or no time between them) → unknown; R² < 0.5 → noisy; |slope| / |mean| < 0.001 (slope
// per second) → stable; otherwise rising or falling by the slope's sign. A channel that never changes is stable.

import type { TrendType } from '@lablink/protocol/rest';
import type { Series } from './series.js';

export interface TrendStats {
  type: TrendType;
  /** Change per second (the channel's unit / s). */
  slope: number;
  /** The fitted value at the first valid sample's time. */
  intercept: number;
  r_squared: number;
  /** How much the type can be trusted, 0…1: R² of the fit (0 when unknown). */
  confidence: number;
  mean: number;
  num_samples: number;
  valid_samples: number;
}

/** Co-moments of (x, y) pairs, updated one pair at a time. */
export class LinearFit {
  n = 0;
  mx = 0;
  my = 0;
  sxx = 0;
  syy = 0;
  sxy = 0;

  push(x: number, y: number): void {
    this.n++;
    const dx = x - this.mx;
    const dy = y - this.my;
    this.mx += dx / this.n;
    this.my += dy / this.n;
    this.sxx += dx * (x - this.mx);
    this.syy += dy * (y - this.my);
    this.sxy += dx * (y - this.my);
  }
}

export async function trend(series: Series): Promise<TrendStats> {
  const fit = new LinearFit();
  let total = 0;
  let t0 = Number.NaN;
  for await (const chunk of series()) {
    const { timestamps, values } = chunk;
    total += values.length;
    for (let i = 0; i < values.length; i++) {
      const y = values[i] as number;
      const t = timestamps[i] as number;
      if (!Number.isFinite(y) || !Number.isFinite(t)) continue;
      if (Number.isNaN(t0)) t0 = t;
      fit.push((t - t0) / 1000, y);
    }
  }
  const base = { mean: fit.n > 0 ? fit.my : 0, num_samples: total, valid_samples: fit.n };
  if (fit.n < 3 || !(fit.sxx > 0)) {
    return { type: 'unknown', slope: 0, intercept: base.mean, r_squared: 0, confidence: 0, ...base };
  }
  const slope = fit.sxy / fit.sxx;
  const intercept = fit.my - slope * fit.mx;
  if (!(fit.syy > 0)) {
    return { type: 'stable', slope: 0, intercept: fit.my, r_squared: 1, confidence: 1, ...base };
  }
  const r2 = Math.min(1, Math.max(0, (fit.sxy * fit.sxy) / (fit.sxx * fit.syy)));
  let type: TrendType;
  if (r2 < 0.5) type = 'noisy';
  else if (Math.abs(slope) < 0.001 * Math.abs(fit.my)) type = 'stable';
  else type = slope > 0 ? 'rising' : 'falling';
  return { type, slope, intercept, r_squared: r2, confidence: r2, ...base };
}

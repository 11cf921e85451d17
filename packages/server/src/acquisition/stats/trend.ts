// Trend of one channel: a least-squares line through the valid samples against their real timestamps, streamed
// over the chunks with Welford-style co-moments (stable on long series), and LabLink 1.x's rules to name it:
// fewer than 3 valid samples (or no time between them) → unknown; R² < 0.5 → noisy; |slope| / |mean| < 0.001 (slope
// per second) → stable; otherwise rising or falling by the slope's sign. A channel that never changes is stable.

import type { TrendType } from '@lablink/protocol/rest';
import { saturate } from './rolling.js';
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

/**
 * Co-moments of (x, y) pairs, updated one pair at a time. y is kept in units of a power-of-two scale (1 until a value
 * beyond ±1 arrives, exact), so values near ±1.8e308 do not overflow the sums.
 */
export class LinearFit {
  n = 0;
  mx = 0;
  sxx = 0;
  scale = 1;
  private myS = 0;
  private syyS = 0;
  private sxyS = 0;

  push(x: number, y: number): void {
    const a = Math.abs(y);
    if (a > this.scale) {
      let next = this.scale;
      while (next < a && next < 2 ** 1023) next *= 2;
      const r = this.scale / next;
      this.myS *= r;
      this.syyS *= r * r;
      this.sxyS *= r;
      this.scale = next;
    }
    const ys = y / this.scale;
    this.n++;
    const dx = x - this.mx;
    const dy = ys - this.myS;
    this.mx += dx / this.n;
    this.myS += dy / this.n;
    this.sxx += dx * (x - this.mx);
    this.syyS += dy * (ys - this.myS);
    this.sxyS += dx * (ys - this.myS);
  }

  get my(): number {
    return this.myS * this.scale;
  }

  /** Slope and intercept (at x = 0), and R² (1 for a line through every point, a flat one included). */
  result(): { slope: number; intercept: number; r2: number; flat: boolean } {
    const slopeS = this.sxyS / this.sxx;
    const r2 = this.syyS > 0 ? (this.sxyS * this.sxyS) / (this.sxx * this.syyS) : 1;
    return {
      slope: saturate(slopeS * this.scale),
      intercept: saturate((this.myS - slopeS * this.mx) * this.scale),
      r2: Math.min(1, Math.max(0, Number.isNaN(r2) ? 0 : r2)),
      flat: !(this.syyS > 0),
    };
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
  const { slope, intercept, r2, flat } = fit.result();
  if (flat) return { type: 'stable', slope: 0, intercept: fit.my, r_squared: 1, confidence: 1, ...base };
  let type: TrendType;
  if (r2 < 0.5) type = 'noisy';
  else if (Math.abs(slope) < 0.001 * Math.abs(fit.my)) type = 'stable';
  else type = slope > 0 ? 'rising' : 'falling';
  return { type, slope, intercept, r_squared: r2, confidence: r2, ...base };
}

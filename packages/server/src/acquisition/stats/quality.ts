// Quality of one channel's data: noise level as the coefficient of variation (std / |mean|), a stability score
// 1 / (1 + CV), outliers (|z| above a threshold, default 3), missing samples (NaN, ±Infinity) and the share of
// valid ones. Two passes over the series: the mean and std first (Welford), then the outliers.

import { moments } from './rolling.js';
import type { Series } from './series.js';

export const DEFAULT_OUTLIER_THRESHOLD = 3;

export interface QualityStats {
  /** Coefficient of variation std / |mean|; null when the mean is 0 or nothing is valid. */
  noise_level: number | null;
  /** 1 / (1 + CV), 0…1 (1 = no variation); null when noise_level is. */
  stability_score: number | null;
  outlier_count: number;
  outlier_threshold: number;
  missing_count: number;
  valid_percentage: number;
  num_samples: number;
}

export async function quality(
  series: Series,
  outlierThreshold = DEFAULT_OUTLIER_THRESHOLD,
): Promise<QualityStats> {
  const m = await moments(series);
  const std = m.std;
  let outliers = 0;
  if (m.n > 0 && std > 0) {
    const limit = outlierThreshold * std;
    for await (const chunk of series()) {
      const v = chunk.values;
      for (let i = 0; i < v.length; i++) {
        const x = v[i] as number;
        if (Number.isFinite(x) && Math.abs(x - m.mean) > limit) outliers++;
      }
    }
  }
  const ratio = m.n > 0 && m.mean !== 0 ? std / Math.abs(m.mean) : null;
  const cv = ratio !== null && Number.isFinite(ratio) ? ratio : null;
  return {
    noise_level: cv,
    stability_score: cv === null ? null : 1 / (1 + cv),
    outlier_count: outliers,
    outlier_threshold: outlierThreshold,
    missing_count: m.missing,
    valid_percentage: m.total > 0 ? (100 * m.n) / m.total : 0,
    num_samples: m.total,
  };
}

// Statistics of a recorded acquisition session, per channel, over the stored samples (not only the live ring):
// GET /api/acquisition/session/{acquisition_id}/stats/{rolling|fft|trend|quality|peaks|crossings}, on LabLink 1.x's
// paths, each answer wrapped as 1.x did: {success, acquisition_id, channel, <stats|fft|trend|quality|peaks|
// crossings>: {…}}. Every query number is bounded; a figure that cannot be computed is null, never NaN or Infinity.

import { type Static, Type } from 'typebox';
import { NullableNumber } from './helpers.js';

export const STATS_KINDS = ['rolling', 'fft', 'trend', 'quality', 'peaks', 'crossings'] as const;
export type StatsKind = (typeof STATS_KINDS)[number];
export const FFT_WINDOWS = ['hann', 'hamming', 'blackman', 'none'] as const;
export type FftWindow = (typeof FFT_WINDOWS)[number];
export const TREND_TYPES = ['rising', 'falling', 'stable', 'noisy', 'unknown'] as const;
export type TrendType = (typeof TREND_TYPES)[number];
export const CROSSING_DIRECTIONS = ['rising', 'falling', 'both'] as const;
export type CrossingDirection = (typeof CROSSING_DIRECTIONS)[number];

export const STATS_LIMITS = {
  /** The most samples rolling, trend, quality and crossings stream over (they hold none of them). */
  maxSamples: 1_000_000_000,
  /**
   * The most samples the FFT and the peak search take (the last ones of the channel): 2^16. They run on the event
   * loop, so the bound keeps one request under about 0.1 s (a 2^20 FFT and its reply took over a second, during
   * which an emergency stop would have waited).
   */
  maxWindowSamples: 65_536,
  /** The FFT needs at least this many samples. */
  minFftSamples: 4,
  maxValue: 1e12,
  maxOutlierThreshold: 1000,
  /** Crossings listed at most per direction (count still counts them all). */
  maxCrossings: 100_000,
} as const;

const literals = <const T extends string[]>(values: readonly [...T], description?: string) =>
  Type.Enum<T>(values, description ? { description } : {});
const Value = (description: string) =>
  Type.Number({ minimum: -STATS_LIMITS.maxValue, maximum: STATS_LIMITS.maxValue, description });

export const StatsParams = Type.Object({
  acquisition_id: Type.String({ minLength: 1, maxLength: 200 }),
  kind: literals(STATS_KINDS),
});
export type StatsParams = Static<typeof StatsParams>;

/** One query for every kind (LabLink 1.x clients send them all to each); each kind reads the options it knows. */
export const StatsQuery = Type.Object({
  channel: Type.String({
    minLength: 1,
    maxLength: 200,
    description: 'A channel of the session (CH1 …, or <equipment_id>.<field>[.<channel>])',
  }),
  num_samples: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: STATS_LIMITS.maxSamples,
      description: `The last samples of the channel (default all). fft and peaks take at most ${STATS_LIMITS.maxWindowSamples}.`,
    }),
  ),
  window: Type.Optional(literals(FFT_WINDOWS, 'fft: the window (default hann)')),
  outlier_threshold: Type.Optional(
    Type.Number({
      exclusiveMinimum: 0,
      maximum: STATS_LIMITS.maxOutlierThreshold,
      description: 'quality: |z| above which a sample is an outlier (default 3)',
    }),
  ),
  prominence: Type.Optional(
    Type.Number({ minimum: 0, maximum: STATS_LIMITS.maxValue, description: 'peaks: the least prominence' }),
  ),
  distance: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: STATS_LIMITS.maxWindowSamples,
      description: 'peaks: the least distance between peaks, in samples',
    }),
  ),
  height: Type.Optional(Value('peaks: the least height')),
  threshold: Type.Optional(Value('crossings: the level crossed (default 0)')),
  direction: Type.Optional(literals(CROSSING_DIRECTIONS, 'crossings: default both')),
});
export type StatsQuery = Static<typeof StatsQuery>;

export const RollingStats = Type.Object({
  mean: Type.Number(),
  std: Type.Number({ description: 'Population standard deviation' }),
  min: Type.Number(),
  max: Type.Number(),
  median: Type.Number(),
  rms: Type.Number(),
  peak_to_peak: Type.Number(),
  num_samples: Type.Integer({ description: 'Samples taken, missing ones included' }),
  valid_samples: Type.Integer({
    description: 'Finite samples the figures come from (all figures 0 when none)',
  }),
});
export type RollingStats = Static<typeof RollingStats>;

export const FftStats = Type.Object({
  frequencies: Type.Array(Type.Number(), { description: 'Hz, k × sample_rate / n for k = 0 … n/2' }),
  magnitudes: Type.Array(NullableNumber, { description: 'Amplitude per bin (× 2 / Σwindow; DC × 1)' }),
  phases: Type.Array(Type.Number(), { description: 'Radians' }),
  dominant_frequency: Type.Number(),
  fundamental_amplitude: NullableNumber,
  thd_percent: Type.Union([Type.Number(), Type.Null()], { description: 'Harmonics 2–9' }),
  snr_db: Type.Union([Type.Number(), Type.Null()], {
    description: 'null when there is no noise to compare with',
  }),
  sample_rate: Type.Number({ description: 'Hz, from the mean interval of the real timestamps' }),
  window: literals(FFT_WINDOWS),
  num_samples: Type.Integer(),
  missing_count: Type.Integer({ description: 'Missing samples, replaced by the mean of the valid ones' }),
});
export type FftStats = Static<typeof FftStats>;

export const TrendStats = Type.Object({
  type: literals(TREND_TYPES),
  slope: Type.Number({ description: 'Per second' }),
  intercept: Type.Number({ description: 'The fitted value at the first valid sample' }),
  r_squared: Type.Number(),
  confidence: Type.Number({ description: '0…1' }),
  mean: Type.Number(),
  num_samples: Type.Integer(),
  valid_samples: Type.Integer(),
});
export type TrendStats = Static<typeof TrendStats>;

export const QualityStats = Type.Object({
  noise_level: Type.Union([Type.Number(), Type.Null()], {
    description: 'Coefficient of variation std/|mean|',
  }),
  stability_score: Type.Union([Type.Number(), Type.Null()], { description: '1 / (1 + CV)' }),
  outlier_count: Type.Integer(),
  outlier_threshold: Type.Number(),
  missing_count: Type.Integer({ description: 'NaN or infinite samples' }),
  valid_percentage: Type.Number(),
  num_samples: Type.Integer(),
});
export type QualityStats = Static<typeof QualityStats>;

export const PeakStats = Type.Object({
  indices: Type.Array(Type.Integer(), { description: 'Sample indices in the session' }),
  values: Type.Array(Type.Number()),
  prominences: Type.Array(Type.Number()),
  count: Type.Integer(),
});
export type PeakStats = Static<typeof PeakStats>;

export const CrossingStats = Type.Object({
  threshold: Type.Number(),
  direction: literals(CROSSING_DIRECTIONS),
  rising: Type.Array(Type.Integer(), { description: 'Index of the first sample at or above the threshold' }),
  falling: Type.Array(Type.Integer(), { description: 'Index of the first sample below the threshold' }),
  indices: Type.Array(Type.Integer(), { description: 'Both, in order' }),
  count: Type.Integer(),
  truncated: Type.Boolean({ description: `More than ${STATS_LIMITS.maxCrossings} in a direction` }),
});
export type CrossingStats = Static<typeof CrossingStats>;

const Head = {
  success: Type.Literal(true),
  acquisition_id: Type.String(),
  channel: Type.String(),
};

export const RollingStatsResponse = Type.Object({ ...Head, stats: RollingStats });
export const FftStatsResponse = Type.Object({ ...Head, fft: FftStats });
export const TrendStatsResponse = Type.Object({ ...Head, trend: TrendStats });
export const QualityStatsResponse = Type.Object({ ...Head, quality: QualityStats });
export const PeakStatsResponse = Type.Object({ ...Head, peaks: PeakStats });
export const CrossingStatsResponse = Type.Object({ ...Head, crossings: CrossingStats });

/** Any statistics answer: the figures under the kind's key (`stats` for rolling). */
export const StatsResponse = Type.Union([
  RollingStatsResponse,
  FftStatsResponse,
  TrendStatsResponse,
  QualityStatsResponse,
  PeakStatsResponse,
  CrossingStatsResponse,
]);
export type StatsResponse = Static<typeof StatsResponse>;

// The statistics of one channel of a recorded session, read through its SessionReader (reader.ts): the stored
// samples, chunk by chunk. Rolling, trend, quality and crossings stream over as many samples as asked (default all)
// holding none of them; the FFT and the peak search take the last `num_samples` (at most 2^20) in memory.

import {
  type CrossingStats,
  type FftStats,
  type PeakStats,
  type QualityStats,
  type RollingStats,
  STATS_LIMITS,
  type StatsKind,
  type StatsQuery,
  type TrendStats,
} from '@lablink/protocol/rest';
import { DomainError } from '../../errors.js';
import type { SessionReader } from '../reader.js';
import { crossings } from './crossings.js';
import { fft } from './fft.js';
import { findPeaks } from './peaks.js';
import { quality } from './quality.js';
import { rolling } from './rolling.js';
import { collect, type Series } from './series.js';
import { trend } from './trend.js';

/** What the statistics need of a session: its channels, its sample count and its chunks. */
export type StatsSource = Pick<SessionReader, 'acquisition_id' | 'channels' | 'count' | 'chunks'>;

export type StatsResult =
  | { stats: RollingStats }
  | { fft: FftStats }
  | { trend: TrendStats }
  | { quality: QualityStats }
  | { peaks: PeakStats }
  | { crossings: CrossingStats };

const CHUNK_SIZE = 65_536;

/** The last `numSamples` samples of `channel` (all when undefined), as a series read anew on each pass. */
export function channelSeries(source: StatsSource, channel: string, numSamples?: number): Series {
  const count = source.count;
  const fromIndex = numSamples === undefined ? 0 : Math.max(0, count - numSamples);
  return async function* () {
    let offset = fromIndex;
    for await (const chunk of source.chunks({ channel, fromIndex, toIndex: count, chunkSize: CHUNK_SIZE })) {
      const values = chunk.values[channel];
      if (!values) continue;
      yield { timestamps: chunk.timestamps, values, offset };
      offset += values.length;
    }
  };
}

export async function sessionStats(
  source: StatsSource,
  kind: StatsKind,
  query: StatsQuery,
): Promise<StatsResult> {
  const { channel } = query;
  if (!source.channels.includes(channel)) {
    throw new DomainError(
      'invalid_request',
      `channel '${channel}' is not a channel of this session (${source.channels.join(', ') || 'none'})`,
      'channel',
      { channels: [...source.channels] },
    );
  }
  switch (kind) {
    case 'rolling':
      return { stats: await rolling(channelSeries(source, channel, query.num_samples)) };
    case 'trend':
      return { trend: await trend(channelSeries(source, channel, query.num_samples)) };
    case 'quality':
      return {
        quality: await quality(channelSeries(source, channel, query.num_samples), query.outlier_threshold),
      };
    case 'crossings':
      return {
        crossings: await crossings(
          channelSeries(source, channel, query.num_samples),
          query.threshold ?? 0,
          query.direction ?? 'both',
          STATS_LIMITS.maxCrossings,
        ),
      };
    case 'fft': {
      const { timestamps, values } = await windowOf(source, channel, query.num_samples);
      const span =
        values.length > 0 ? (timestamps[values.length - 1] as number) - (timestamps[0] as number) : 0;
      if (values.length < STATS_LIMITS.minFftSamples || !(span > 0)) {
        throw new DomainError(
          'insufficient_data',
          `the FFT needs at least ${STATS_LIMITS.minFftSamples} samples spanning some time; channel '${channel}' has ${values.length} here`,
          'num_samples',
          { num_samples: values.length },
        );
      }
      return { fft: fft(timestamps, values, query.window ?? 'hann') };
    }
    case 'peaks': {
      const { values, offset } = await windowOf(source, channel, query.num_samples);
      return {
        peaks: findPeaks(
          values,
          { height: query.height, distance: query.distance, prominence: query.prominence },
          offset,
        ),
      };
    }
  }
}

/** The last samples of a channel in memory, at most STATS_LIMITS.maxWindowSamples. */
function windowOf(source: StatsSource, channel: string, numSamples?: number) {
  const n = Math.min(numSamples ?? STATS_LIMITS.maxWindowSamples, STATS_LIMITS.maxWindowSamples);
  return collect(channelSeries(source, channel, n));
}

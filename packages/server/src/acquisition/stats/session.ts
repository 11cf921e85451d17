// The statistics of one channel of a recorded session, read through its SessionReader (reader.ts): the stored
// samples, chunk by chunk. Rolling, trend, quality and crossings stream over as many samples as asked (default all)
// holding none of them; the FFT and the peak search take the last `num_samples` in memory (at most
// STATS_LIMITS.maxWindowSamples, 2^16).
//
// A block channel (a scope's waveform captures) is read as its captures' samples one after the other, each sample
// at its capture's time plus its offset on the capture's time base; its FFT is that of the last capture alone, at the
// capture's own sample rate (1 / x_increment).

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

/** What the statistics need of a session: its channels, its sample count, its chunks and block captures. */
export type StatsSource = Pick<SessionReader, 'acquisition_id' | 'channels' | 'count' | 'chunks'> &
  Partial<Pick<SessionReader, 'blocks' | 'metadata'>>;

export type StatsResult =
  | { stats: RollingStats }
  | { fft: FftStats }
  | { trend: TrendStats }
  | { quality: QualityStats }
  | { peaks: PeakStats }
  | { crossings: CrossingStats };

const CHUNK_SIZE = 65_536;

/** The last `numSamples` samples of a polled `channel` (all when undefined), read anew on each pass. */
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

/** The samples of a block channel's captures, one after the other: their count, and the last `numSamples`. */
async function blockChannel(source: StatsSource, channel: string) {
  let count = 0;
  let captures = 0;
  let last: { samples: Float32Array; x_increment: number } | null = null;
  if (source.blocks) {
    for await (const block of source.blocks({ channel })) {
      if (block.channel !== channel) continue;
      count += block.samples.length;
      captures++;
      last = { samples: block.samples, x_increment: block.x_increment };
    }
  }
  const series = (numSamples?: number): Series => {
    const fromIndex = numSamples === undefined ? 0 : Math.max(0, count - numSamples);
    return async function* () {
      let at = 0;
      if (!source.blocks) return;
      for await (const block of source.blocks({ channel })) {
        if (block.channel !== channel) continue;
        const n = block.samples.length;
        const skip = Math.max(0, Math.min(n, fromIndex - at));
        if (skip < n) {
          const values = Float64Array.from(block.samples.subarray(skip));
          const timestamps = new Float64Array(values.length);
          for (let i = 0; i < values.length; i++) {
            timestamps[i] = block.timestamp + (block.x_origin + (skip + i) * block.x_increment) * 1000;
          }
          yield { timestamps, values, offset: at + skip };
        }
        at += n;
      }
    };
  };
  return { count, captures, last, series };
}

/** Channels the session declares (its config's `channels`, block channels included) beside its polled ones. */
function declaredChannels(source: StatsSource): string[] {
  const config = source.metadata?.().config as { channels?: unknown } | undefined;
  const declared = Array.isArray(config?.channels)
    ? config.channels.filter((c): c is string => typeof c === 'string')
    : [];
  return [...new Set([...source.channels, ...declared])];
}

export async function sessionStats(
  source: StatsSource,
  kind: StatsKind,
  query: StatsQuery,
): Promise<StatsResult> {
  const { channel } = query;
  const polled = source.channels.includes(channel);
  const block = polled ? null : await blockChannel(source, channel);
  if (!polled && !block?.captures) {
    const known = declaredChannels(source);
    if (known.includes(channel)) {
      throw new DomainError('insufficient_data', `channel '${channel}' has recorded nothing yet`, 'channel', {
        num_samples: 0,
      });
    }
    throw new DomainError(
      'invalid_request',
      `channel '${channel}' is not a channel of this session (${known.join(', ') || 'none'})`,
      'channel',
      { channels: known },
    );
  }
  const seriesOf = (n?: number) => (block ? block.series(n) : channelSeries(source, channel, n));
  const windowed = (n?: number) =>
    collect(seriesOf(Math.min(n ?? STATS_LIMITS.maxWindowSamples, STATS_LIMITS.maxWindowSamples)));
  switch (kind) {
    case 'rolling':
      return { stats: await rolling(seriesOf(query.num_samples)) };
    case 'trend':
      return { trend: await trend(seriesOf(query.num_samples)) };
    case 'quality':
      return { quality: await quality(seriesOf(query.num_samples), query.outlier_threshold) };
    case 'crossings':
      return {
        crossings: await crossings(
          seriesOf(query.num_samples),
          query.threshold ?? 0,
          query.direction ?? 'both',
          STATS_LIMITS.maxCrossings,
        ),
      };
    case 'fft': {
      let timestamps: Float64Array;
      let values: Float64Array;
      if (block?.last) {
        // The last capture on its own time base.
        const { samples, x_increment } = block.last;
        const n = Math.min(query.num_samples ?? samples.length, STATS_LIMITS.maxWindowSamples);
        values = Float64Array.from(samples.subarray(Math.max(0, samples.length - n)));
        timestamps = Float64Array.from(values, (_, i) => i * x_increment * 1000);
      } else {
        ({ timestamps, values } = await windowed(query.num_samples));
      }
      const span =
        values.length > 0 ? (timestamps[values.length - 1] as number) - (timestamps[0] as number) : 0;
      if (values.length < STATS_LIMITS.minFftSamples || !(span > 0) || !Number.isFinite(span)) {
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
      const { values, offset } = await windowed(query.num_samples);
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

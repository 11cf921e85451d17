// Statistics of a recorded acquisition session (GET /api/acquisition/session/{id}/stats/{kind}), per channel, over
// the stored samples, on LabLink 1.x's paths and answer shapes. The figures are computed by the pure functions of
// src/acquisition/stats, reading the session only through its SessionReader.

import {
  CrossingStatsResponse,
  FftStatsResponse,
  PeakStatsResponse,
  QualityStatsResponse,
  RollingStatsResponse,
  StatsParams,
  StatsQuery,
  TrendStatsResponse,
} from '@lablink/protocol/rest';
import { Type } from 'typebox';
import { type StatsSource, sessionStats } from '../acquisition/stats/session.js';
import type { AppInstance } from '../app.js';
import { ErrorResponses } from './schemas.js';

const tags = ['acquisition'];

export interface AcquisitionStatsOptions {
  /** The reader of a session; throws DomainError not_found for an unknown id. */
  readerOf(acquisitionId: string): StatsSource;
}

export async function acquisitionStatsRoutes(
  app: AppInstance,
  options: AcquisitionStatsOptions,
): Promise<void> {
  app.get(
    '/api/acquisition/session/:acquisition_id/stats/:kind',
    {
      schema: {
        tags,
        summary: 'Statistics of one channel of a recorded session, over its stored samples',
        description:
          "kind: rolling (mean, std, min, max, median, rms, peak_to_peak), fft (window, dominant frequency, THD over harmonics 2–9, SNR), trend (linear fit per second: rising, falling, stable, noisy, unknown), quality (noise level, stability, outliers by z-score, missing samples), peaks (prominence, distance, height), crossings (threshold, direction). The answer holds the figures under stats (rolling) or the kind's name. Rolling, trend, quality and crossings cover the last num_samples (default all); fft and peaks the last num_samples up to 1 048 576. 400 names an unknown channel; 404 an unknown session; 409 an FFT with fewer than 4 samples.",
        params: StatsParams,
        querystring: StatsQuery,
        response: {
          200: Type.Union([
            RollingStatsResponse,
            FftStatsResponse,
            TrendStatsResponse,
            QualityStatsResponse,
            PeakStatsResponse,
            CrossingStatsResponse,
          ]),
          ...ErrorResponses,
        },
      },
    },
    async (request) => {
      const { acquisition_id, kind } = request.params;
      const source = options.readerOf(acquisition_id);
      const result = await sessionStats(source, kind, request.query);
      return { success: true as const, acquisition_id, channel: request.query.channel, ...result };
    },
  );
}

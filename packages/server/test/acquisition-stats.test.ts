// Statistics of recorded acquisition sessions (src/acquisition/stats): each figure against signals whose answer is
// known (a sine's frequency and amplitude, a square wave's odd harmonics, a ramp, noise, outliers, missing samples,
// peaks and crossings at known indices), results independent of how the samples are cut into chunks, and the
// REST route (/api/acquisition/session/{id}/stats/{kind}) over a SessionReader.

import { STATS_LIMITS } from '@lablink/protocol/rest';
import fc from 'fast-check';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlockRecord, SampleChunk, SessionReader } from '../src/acquisition/reader.js';
import { crossings } from '../src/acquisition/stats/crossings.js';
import { dft, fft } from '../src/acquisition/stats/fft.js';
import { findPeaks, localMaxima } from '../src/acquisition/stats/peaks.js';
import { quality } from '../src/acquisition/stats/quality.js';
import { kth, moments, rolling } from '../src/acquisition/stats/rolling.js';
import { seriesOf } from '../src/acquisition/stats/series.js';
import { trend } from '../src/acquisition/stats/trend.js';
import type { AppInstance } from '../src/app.js';
import { notFound } from '../src/errors.js';
import { installErrorHandler } from '../src/http-errors.js';
import { acquisitionStatsRoutes } from '../src/routes/acquisition-stats.js';
import { installValidators } from '../src/validation.js';
import { http, startTestServer, type TestServer } from './helpers.js';

const T0 = Date.UTC(2026, 10, 29, 10, 0, 0);
/** Timestamps of n samples at `rate` Hz from T0. */
const times = (n: number, rate = 1000) => Array.from({ length: n }, (_, i) => T0 + (i * 1000) / rate);

/** A seeded uniform generator in [-1, 1) (a 32-bit LCG), so noise is the same every run. */
function noise(seed = 1) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

const sine = (n: number, f: number, amplitude: number, rate = 1000, offset = 0) =>
  Array.from({ length: n }, (_, i) => offset + amplitude * Math.sin((2 * Math.PI * f * i) / rate));

describe('rolling', () => {
  it('mean, std, min, max, median, rms and peak-to-peak of known values, NaN and Infinity ignored', async () => {
    const values = [1, 2, Number.NaN, 3, 4, 5, Number.POSITIVE_INFINITY, 6, 7, 8, 9];
    const r = await rolling(seriesOf(times(values.length), values, 3));
    expect(r.num_samples).toBe(11);
    expect(r.valid_samples).toBe(9);
    expect(r.mean).toBeCloseTo(5, 12);
    expect(r.std).toBeCloseTo(Math.sqrt(20 / 3), 12);
    expect(r.min).toBe(1);
    expect(r.max).toBe(9);
    expect(r.median).toBe(5);
    expect(r.rms).toBeCloseTo(Math.sqrt(285 / 9), 12);
    expect(r.peak_to_peak).toBe(8);
  });

  it('all 0 when nothing is valid', async () => {
    const r = await rolling(seriesOf(times(3), [Number.NaN, Number.NaN, Number.NaN]));
    expect(r).toEqual({
      mean: 0,
      std: 0,
      min: 0,
      max: 0,
      median: 0,
      rms: 0,
      peak_to_peak: 0,
      num_samples: 3,
      valid_samples: 0,
    });
  });

  it('numerically stable on a large offset (Welford): the variance of 1e9 + [4, 7, 13, 16] is 22.5', async () => {
    const values = Array.from({ length: 100_000 }, (_, i) => 1e9 + ([4, 7, 13, 16][i % 4] as number));
    const r = await rolling(seriesOf(times(values.length), values, 4096));
    expect(r.std ** 2).toBeCloseTo(22.5, 6);
    expect(Math.abs(r.mean - (1e9 + 10))).toBeLessThan(1e-5);
  });

  it('the exact median with bounded memory: histogram passes give what sorting gives', async () => {
    const rand = noise(7);
    for (const n of [10_001, 10_000]) {
      // Duplicates and a wide spread both.
      const values = Array.from({ length: n }, (_, i) => (i % 10 === 0 ? 3 : Math.round(rand() * 1e6) / 7));
      const sorted = [...values].sort((a, b) => a - b);
      const expected =
        n % 2 ? sorted[(n - 1) / 2] : ((sorted[n / 2 - 1] as number) + (sorted[n / 2] as number)) / 2;
      const series = seriesOf(times(n), values, 333);
      expect((await rolling(series, { medianCap: 50 })).median).toBe(expected);
      expect((await rolling(series)).median).toBe(expected);
      const m = await moments(series);
      for (const k of [0, 1, 17, n >> 1, n - 2, n - 1]) expect(await kth(series, k, m, 10)).toBe(sorted[k]);
    }
  });

  it('extreme values do not break the median search', async () => {
    const values = [-1e308, 1e308, 0, 5e-324, -5e-324, 1, -1];
    const r = await rolling(seriesOf(times(values.length), values, 2), { medianCap: 2 });
    expect(r.median).toBe(0);
  });
});

describe('fft', () => {
  it('matches a direct DFT, for a power of two (radix-2) and any other length (Bluestein)', () => {
    const rand = noise(3);
    for (const n of [8, 64, 1000, 7, 97, 250]) {
      const x = Float64Array.from({ length: n }, () => rand());
      const { re, im } = dft(x);
      for (const k of [0, 1, Math.floor(n / 3), n - 1]) {
        let r = 0;
        let i = 0;
        for (let j = 0; j < n; j++) {
          r += (x[j] as number) * Math.cos((-2 * Math.PI * j * k) / n);
          i += (x[j] as number) * Math.sin((-2 * Math.PI * j * k) / n);
        }
        expect(re[k]).toBeCloseTo(r, 9);
        expect(im[k]).toBeCloseTo(i, 9);
      }
    }
  });

  it('a sine: its frequency, its amplitude, THD near 0, a high SNR, whatever the window', () => {
    for (const n of [1000, 1024]) {
      const rate = n === 1000 ? 1000 : 1024;
      // 50 cycles per record: on a bin.
      const f = (50 * rate) / n;
      const t = Float64Array.from(times(n, rate));
      const v = Float64Array.from(sine(n, f, 2, rate, 0.5));
      for (const window of ['none', 'hann', 'hamming', 'blackman'] as const) {
        const r = fft(t, v, window);
        expect(r.sample_rate).toBeCloseTo(rate, 6);
        expect(r.dominant_frequency).toBeCloseTo(f, 6);
        expect(r.fundamental_amplitude).toBeCloseTo(2, window === 'none' ? 9 : 1);
        expect(r.thd_percent).toBeLessThan(window === 'none' ? 1e-6 : 1);
        expect(r.frequencies).toHaveLength(n / 2 + 1);
        expect(r.magnitudes).toHaveLength(n / 2 + 1);
        expect(r.phases).toHaveLength(n / 2 + 1);
        if (window === 'none') {
          expect(r.magnitudes[0]).toBeCloseTo(0.5, 9);
          expect(r.snr_db).toBeGreaterThan(100);
          // sin = cos shifted by −π/2.
          expect(r.phases[50]).toBeCloseTo(-Math.PI / 2, 6);
        }
      }
    }
  });

  it("a square wave's odd harmonics: THD over harmonics 2–9 ≈ 42.9 % (√(1/9 + 1/25 + 1/49 + 1/81)); SNR finite", () => {
    const n = 1000;
    const v = Float64Array.from({ length: n }, (_, i) => (i % 100 < 50 ? 1 : -1));
    const r = fft(Float64Array.from(times(n)), v, 'none');
    expect(r.dominant_frequency).toBeCloseTo(10, 6);
    expect(r.fundamental_amplitude).toBeCloseTo(4 / Math.PI, 2);
    expect(r.thd_percent).toBeGreaterThan(41.5);
    expect(r.thd_percent).toBeLessThan(44);
    // Even harmonics are absent.
    expect(r.magnitudes[20]).toBeLessThan(1e-9);
    expect(r.magnitudes[30]).toBeCloseTo((r.fundamental_amplitude as number) / 3, 2);
    expect(Number.isFinite(r.snr_db)).toBe(true);
  });

  it('frequencies from the real timestamps, missing samples filled and counted; no noise → snr null, never Infinity', () => {
    const n = 512;
    // 200 Hz with jitter: the mean interval gives the rate.
    const jitter = noise(5);
    const t = Float64Array.from({ length: n }, (_, i) => T0 + i * 5 + (i > 0 && i < n - 1 ? jitter() : 0));
    const v = Float64Array.from(sine(n, 25, 1, 200));
    v[100] = Number.NaN;
    const r = fft(t, v, 'hann');
    expect(r.sample_rate).toBeCloseTo(200, 6);
    expect(r.missing_count).toBe(1);
    expect(r.dominant_frequency).toBeCloseTo(25, 0);
    const pure = fft(Float64Array.from(times(8)), Float64Array.from([1, 0, -1, 0, 1, 0, -1, 0]), 'none');
    expect(pure.snr_db).toBeNull();
    expect(pure.dominant_frequency).toBe(250);
    expect(JSON.stringify(pure)).not.toMatch(/Infinity|NaN/);
  });
});

describe('trend', () => {
  it('a linear ramp is rising with R² ≈ 1 and its slope per second from the timestamps', async () => {
    const n = 500;
    const t = times(n, 50);
    const v = t.map((ms) => 5 + 2 * ((ms - T0) / 1000));
    const r = await trend(seriesOf(t, v, 64));
    expect(r.type).toBe('rising');
    expect(r.slope).toBeCloseTo(2, 9);
    expect(r.intercept).toBeCloseTo(5, 9);
    expect(r.r_squared).toBeCloseTo(1, 9);
    expect(r.confidence).toBeCloseTo(1, 9);
    const down = await trend(
      seriesOf(
        t,
        v.map((x) => -x),
      ),
    );
    expect(down.type).toBe('falling');
  });

  it('noise is noisy, a flat channel stable, a barely moving one stable, fewer than 3 points unknown', async () => {
    const rand = noise(11);
    const t = times(2000);
    expect(
      (
        await trend(
          seriesOf(
            t,
            t.map(() => rand()),
          ),
        )
      ).type,
    ).toBe('noisy');
    expect(
      await trend(
        seriesOf(
          t,
          t.map(() => 3.3),
        ),
      ),
    ).toMatchObject({ type: 'stable', slope: 0 });
    // 0.0001 per second on a mean of 100 (ratio 1e-6), fitted exactly.
    expect(
      (
        await trend(
          seriesOf(
            t,
            t.map((ms) => 100 + 1e-4 * ((ms - T0) / 1000)),
          ),
        )
      ).type,
    ).toBe('stable');
    expect((await trend(seriesOf(times(2), [1, 2]))).type).toBe('unknown');
    expect((await trend(seriesOf(times(4), [1, Number.NaN, Number.NaN, 2]))).type).toBe('unknown');
  });
});

describe('quality', () => {
  it('outliers by z-score, NaN and Infinity counted as missing, CV and stability', async () => {
    const rand = noise(2);
    const values = Array.from({ length: 1000 }, () => 10 + rand());
    values[100] = 100;
    values[500] = -80;
    values[900] = 60;
    for (const i of [1, 2, 3, 4]) values[i] = Number.NaN;
    values[5] = Number.NEGATIVE_INFINITY;
    const r = await quality(seriesOf(times(values.length), values, 37));
    expect(r.outlier_count).toBe(3);
    expect(r.missing_count).toBe(5);
    expect(r.valid_percentage).toBeCloseTo(99.5, 9);
    expect(r.num_samples).toBe(1000);
    const m = await moments(seriesOf(times(values.length), values));
    expect(r.noise_level).toBeCloseTo(m.std / m.mean, 12);
    expect(r.stability_score).toBeCloseTo(1 / (1 + m.std / m.mean), 12);
    // A looser threshold counts fewer.
    expect((await quality(seriesOf(times(values.length), values), 15)).outlier_count).toBe(2);
  });

  it('a mean of 0 has no CV (null); a constant channel has no outliers', async () => {
    const r = await quality(seriesOf(times(4), [-1, 1, -1, 1]));
    expect(r.noise_level).toBeNull();
    expect(r.stability_score).toBeNull();
    const flat = await quality(seriesOf(times(4), [2, 2, 2, 2]));
    expect(flat).toMatchObject({
      noise_level: 0,
      stability_score: 1,
      outlier_count: 0,
      valid_percentage: 100,
    });
  });
});

describe('peaks', () => {
  const x = Float64Array.from([0, 1, 0, 2, 0, 3, 3, 0, 1, 0]);

  it('local maxima (a flat top by its middle), then height, distance, prominence as scipy.find_peaks', () => {
    expect(localMaxima(x)).toEqual([1, 3, 5, 8]);
    expect(findPeaks(x).indices).toEqual([1, 3, 5, 8]);
    expect(findPeaks(x).prominences).toEqual([1, 2, 3, 1]);
    expect(findPeaks(x, { height: 1.5 })).toMatchObject({ indices: [3, 5], values: [2, 3], count: 2 });
    expect(findPeaks(x, { distance: 3 }).indices).toEqual([1, 5, 8]);
    expect(findPeaks(x, { prominence: 2 }).indices).toEqual([3, 5]);
    expect(findPeaks(x, {}, 1000).indices).toEqual([1001, 1003, 1005, 1008]);
  });

  it("a sine's crests at their known indices; NaN is never a peak", () => {
    const v = Float64Array.from(sine(1000, 5, 1));
    const r = findPeaks(v, { prominence: 0.5 });
    expect(r.indices).toEqual([50, 250, 450, 650, 850]);
    expect(r.values.every((y) => Math.abs(y - 1) < 1e-12)).toBe(true);
    expect(findPeaks(Float64Array.from([0, Number.NaN, 0, 1, 0])).indices).toEqual([3]);
  });
});

describe('crossings', () => {
  it('rising and falling crossings at known indices, by direction, missing samples skipped', async () => {
    const v = [-1, 1, 1, -1, -1, 1, Number.NaN, -2, Number.NaN, 3];
    const both = await crossings(seriesOf(times(v.length), v, 3));
    expect(both).toMatchObject({ rising: [1, 5, 9], falling: [3, 7], indices: [1, 3, 5, 7, 9], count: 5 });
    expect((await crossings(seriesOf(times(v.length), v), 0, 'rising')).indices).toEqual([1, 5, 9]);
    expect((await crossings(seriesOf(times(v.length), v), 0, 'falling')).indices).toEqual([3, 7]);
    expect((await crossings(seriesOf(times(v.length), v), 2)).indices).toEqual([9]);
    const capped = await crossings(seriesOf(times(v.length), v), 0, 'both', 1);
    expect(capped).toMatchObject({ rising: [1], falling: [3], count: 5, truncated: true });
  });

  it('a sine crosses 0 upward once per cycle at its known index', async () => {
    const v = sine(1000, 5, 1).map((y) => y + 1e-9);
    const r = await crossings(seriesOf(times(1000), v), 0, 'rising');
    expect(r.indices).toEqual([200, 400, 600, 800]);
  });
});

describe('chunk boundaries', () => {
  it('rolling, trend, quality and crossings give the same answer however the samples are cut', async () => {
    const rand = noise(9);
    const n = 5003;
    const t = times(n);
    const v = t.map((ms, i) =>
      i % 97 === 0 ? Number.NaN : Math.sin(ms / 50) + 0.3 * rand() + (ms - T0) / 1e4,
    );
    const run = async (size: number) => {
      const s = seriesOf(t, v, size);
      return {
        rolling: await rolling(s, { medianCap: 100 }),
        trend: await trend(s),
        quality: await quality(s),
        crossings: await crossings(s, 0.2),
      };
    };
    const reference = await run(n);
    for (const size of [1, 7, 1000, 4096]) {
      const other = await run(size);
      expect(other.crossings).toEqual(reference.crossings);
      expect(other.quality).toEqual(reference.quality);
      expect(other.rolling.median).toBe(reference.rolling.median);
      expect(other.rolling.mean).toBeCloseTo(reference.rolling.mean, 12);
      expect(other.rolling.std).toBeCloseTo(reference.rolling.std, 12);
      expect(other.trend.slope).toBeCloseTo(reference.trend.slope, 12);
      expect(other.trend.type).toBe(reference.trend.type);
    }
  });
});

// ---- the route, over a SessionReader ------------------------------------------------------------------------------

/** An in-memory session: what the engine's reader gives, from arrays. */
function fakeReader(
  id: string,
  timestamps: number[],
  channels: Record<string, number[]>,
  captures: BlockRecord[] = [],
  declared: string[] = [],
): SessionReader {
  const names = Object.keys(channels);
  return {
    acquisition_id: id,
    channels: names,
    count: timestamps.length,
    async *chunks(options = {}): AsyncIterable<SampleChunk> {
      const from = options.fromIndex ?? 0;
      const to = Math.min(options.toIndex ?? timestamps.length, timestamps.length);
      const size = options.chunkSize ?? 10_000;
      for (let i = from; i < to; i += size) {
        const end = Math.min(i + size, to);
        const values: Record<string, Float64Array> = {};
        for (const name of options.channel ? [options.channel] : names) {
          values[name] = Float64Array.from((channels[name] ?? []).slice(i, end));
        }
        yield { timestamps: Float64Array.from(timestamps.slice(i, end)), values };
      }
    },
    async *blocks(options = {}) {
      for (const block of captures) if (!options.channel || block.channel === options.channel) yield block;
    },
    metadata: () => ({
      config: { channels: [...names, ...declared] },
      stats: {},
      instruments: {},
      created_at: new Date(T0).toISOString(),
      started_at: null,
      stopped_at: null,
    }),
  };
}

async function statsApp(readers: Record<string, SessionReader>) {
  const base = Fastify();
  installErrorHandler(base);
  installValidators(base);
  const app = base.withTypeProvider() as unknown as AppInstance;
  await app.register(acquisitionStatsRoutes, {
    readerOf: (id: string) => {
      const reader = readers[id];
      if (!reader) throw notFound(`acquisition session ${id}`);
      return reader;
    },
  });
  await app.ready();
  return app;
}

describe('GET /api/acquisition/session/{id}/stats/{kind}', () => {
  const n = 1000;
  const t = times(n);
  const session = fakeReader('acq-1', t, {
    CH1: sine(n, 50, 2),
    CH2: t.map((ms) => 1 + (ms - T0) / 1000),
    CH3: [1, 2, 3],
  });
  const short = fakeReader('acq-short', times(3), { CH1: [1, 2, 3] });

  it('answers each kind wrapped as LabLink 1.x did', async () => {
    const app = await statsApp({ 'acq-1': session });
    const get = async (kind: string, query: string) => {
      const res = await app.inject({ url: `/api/acquisition/session/acq-1/stats/${kind}?${query}` });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ success: true, acquisition_id: 'acq-1' });
      return body;
    };
    const rolling = await get('rolling', 'channel=CH2');
    expect(rolling.channel).toBe('CH2');
    expect(rolling.stats.mean).toBeCloseTo(1.4995, 9);
    expect(rolling.stats.num_samples).toBe(n);
    expect((await get('rolling', 'channel=CH2&num_samples=10')).stats.min).toBeCloseTo(1.99, 9);
    const fftBody = await get('fft', 'channel=CH1&window=blackman');
    expect(fftBody.fft.dominant_frequency).toBeCloseTo(50, 6);
    expect(fftBody.fft.fundamental_amplitude).toBeCloseTo(2, 1);
    expect(fftBody.fft.window).toBe('blackman');
    expect((await get('trend', 'channel=CH2')).trend).toMatchObject({ type: 'rising' });
    expect((await get('quality', 'channel=CH1&outlier_threshold=1.2')).quality.outlier_count).toBeGreaterThan(
      0,
    );
    const peaks = await get('peaks', 'channel=CH1&prominence=1&distance=5&height=1');
    expect(peaks.peaks.indices.slice(0, 3)).toEqual([5, 25, 45]);
    expect((await get('peaks', 'channel=CH1&num_samples=100')).peaks.indices[0]).toBe(905);
    const cross = await get('crossings', 'channel=CH2&threshold=1.5&direction=rising');
    expect(cross.crossings).toMatchObject({ rising: [500], falling: [], count: 1 });
    await app.close();
  });

  it('refuses an unknown channel (400 naming channel), an unknown session (404), too few samples for an FFT (409), unbounded numbers (400)', async () => {
    const app = await statsApp({ 'acq-1': session, 'acq-short': short });
    const res = (url: string) => app.inject({ url });
    const unknown = await res('/api/acquisition/session/acq-1/stats/rolling?channel=CH9');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'invalid_request', field: 'channel' });
    const missing = await res('/api/acquisition/session/acq-1/stats/rolling');
    expect(missing.statusCode).toBe(400);
    expect(missing.json().field).toBe('channel');
    expect((await res('/api/acquisition/session/nope/stats/rolling?channel=CH1')).statusCode).toBe(404);
    expect((await res('/api/acquisition/session/acq-1/stats/median?channel=CH1')).statusCode).toBe(400);
    const fftShort = await res('/api/acquisition/session/acq-short/stats/fft?channel=CH1');
    expect(fftShort.statusCode).toBe(409);
    expect(fftShort.json()).toMatchObject({ code: 'insufficient_data', field: 'num_samples' });
    for (const [query, field] of [
      [`num_samples=${STATS_LIMITS.maxSamples + 1}`, 'num_samples'],
      ['num_samples=0', 'num_samples'],
      ['window=kaiser', 'window'],
      ['outlier_threshold=0', 'outlier_threshold'],
      ['prominence=1e309', 'prominence'],
      ['distance=0', 'distance'],
      ['height=Infinity', 'height'],
      ['threshold=NaN', 'threshold'],
      ['direction=up', 'direction'],
    ]) {
      const r = await res(`/api/acquisition/session/acq-1/stats/crossings?channel=CH1&${query}`);
      expect(r.statusCode, query).toBe(400);
      expect(r.json().field, query).toBe(field);
    }
    await app.close();
  });

  it('property: any stored values (NaN, ±Infinity, ±1e308, constants, few or many) and any bounded query answer 200 or a 4xx naming its field, with no NaN or Infinity on the wire', async () => {
    const value = fc.oneof(
      fc.double({ noDefaultInfinity: false }),
      fc.constantFrom(0, 1, -1, 1e308, -1e308, 5e-324, Number.NaN, Number.POSITIVE_INFINITY),
      fc.integer({ min: -3, max: 3 }),
    );
    const kinds = ['rolling', 'fft', 'trend', 'quality', 'peaks', 'crossings'] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.array(value, { minLength: 0, maxLength: 300 }),
        fc.constantFrom(...kinds),
        fc.record(
          {
            num_samples: fc.integer({ min: 1, max: STATS_LIMITS.maxSamples }),
            window: fc.constantFrom('hann', 'hamming', 'blackman', 'none'),
            outlier_threshold: fc.double({ min: 1e-9, max: 1000, noNaN: true }),
            prominence: fc.double({ min: 0, max: 1e12, noNaN: true }),
            distance: fc.integer({ min: 1, max: STATS_LIMITS.maxWindowSamples }),
            height: fc.double({ min: -1e12, max: 1e12, noNaN: true }),
            threshold: fc.double({ min: -1e12, max: 1e12, noNaN: true }),
            direction: fc.constantFrom('rising', 'falling', 'both'),
          },
          { requiredKeys: [] },
        ),
        fc.boolean(),
        async (values, kind, options, sameTime) => {
          const t = values.map((_, i) => (sameTime ? T0 : T0 + i * 10));
          const app = await statsApp({ s: fakeReader('s', t, { CH1: values }) });
          try {
            const query = new URLSearchParams({ channel: 'CH1' });
            for (const [k, v] of Object.entries(options)) query.set(k, String(v));
            const res = await app.inject({ url: `/api/acquisition/session/s/stats/${kind}?${query}` });
            expect(res.statusCode < 500, res.body).toBe(true);
            expect(res.body).not.toMatch(/NaN|Infinity/);
            if (res.statusCode !== 200) expect(res.json().field, res.body).toBeTruthy();
          } finally {
            await app.close();
          }
        },
      ),
      { numRuns: 150, seed: 20269 },
    );
  });

  it("a block channel (a scope's waveform captures): its captures' samples in order, the FFT of the last capture", async () => {
    const capture = (k: number): BlockRecord => ({
      channel: 'scope_1.waveform.1',
      timestamp: T0 + k * 1000,
      x_increment: 1e-3,
      x_origin: -0.25,
      samples: Float32Array.from(sine(500, 50, 1, 1000, k)),
    });
    const scope = fakeReader(
      'acq-scope',
      [],
      {},
      [capture(0), capture(1)],
      ['scope_1.waveform.1', 'scope_1.waveform.2'],
    );
    const app = await statsApp({ 'acq-scope': scope });
    const get = (kind: string, query = '') =>
      app.inject({
        url: `/api/acquisition/session/acq-scope/stats/${kind}?channel=scope_1.waveform.1${query}`,
      });
    const rolling = (await get('rolling')).json();
    expect(rolling.stats).toMatchObject({ num_samples: 1000, valid_samples: 1000 });
    expect(rolling.stats.mean).toBeCloseTo(0.5, 6);
    expect((await get('rolling', '&num_samples=500')).json().stats.mean).toBeCloseTo(1, 6);
    const spectrum = (await get('fft', '&window=none')).json().fft;
    expect(spectrum).toMatchObject({ num_samples: 500 });
    expect(spectrum.sample_rate).toBeCloseTo(1000, 6);
    expect(spectrum.dominant_frequency).toBeCloseTo(50, 6);
    expect(spectrum.fundamental_amplitude).toBeCloseTo(1, 5);
    // Crests at 5, 25 … in each capture; the second capture's count from 500.
    const peaks = (await get('peaks', '&prominence=1')).json().peaks;
    expect(peaks.indices.slice(0, 2)).toEqual([5, 25]);
    expect(peaks.indices.slice(-1)).toEqual([985]);
    const cross = (await get('crossings', '&threshold=1.5&direction=rising')).json().crossings;
    expect(cross.rising[0]).toBe(502);
    const trendBody = (await get('trend')).json().trend;
    expect(trendBody.valid_samples).toBe(1000);
    const empty = await app.inject({
      url: '/api/acquisition/session/acq-scope/stats/rolling?channel=scope_1.waveform.2',
    });
    expect(empty.statusCode).toBe(409);
    expect(empty.json()).toMatchObject({ code: 'insufficient_data', field: 'channel' });
    await app.close();
  });
});

describe('statistics of a session recorded by the engine on the simulated bench', () => {
  let server: TestServer;
  let id: string;
  let channel: string;
  const N = 60;

  beforeAll(async () => {
    server = await startTestServer({ LABLINK_SIM: 'on' });
    const list = (await http(`${server.url}/api/equipment/list`)).body as { id: string; type: string }[];
    const psu = list.find((e) => e.type === 'power_supply') as { id: string };
    const command = (action: string, parameters: object) =>
      http(`${server.url}/api/equipment/${psu.id}/command`, { body: { action, parameters } });
    expect((await command('set_voltage', { voltage: 2, channel: 1 })).status).toBe(200);
    expect((await command('set_output', { enabled: true, channel: 1 })).status).toBe(200);
    const created = await http(`${server.url}/api/acquisition/session/create`, {
      body: {
        mode: 'single_shot',
        sample_rate: 50,
        num_samples: N,
        sources: [{ equipment_id: psu.id, field: 'voltage_actual', channel: 1 }],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    id = created.body.acquisition_id;
    expect((await http(`${server.url}/api/acquisition/session/${id}/start`, { method: 'POST' })).status).toBe(
      200,
    );
    for (let tries = 0; ; tries++) {
      const state = (await http(`${server.url}/api/acquisition/session/${id}/status`)).body.state;
      if (state === 'stopped') break;
      if (tries > 150) throw new Error(`the single-shot session did not stop (state ${state})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const data = await http(`${server.url}/api/acquisition/session/${id}/data?num_samples=1`);
    channel = data.body.channels[0];
  }, 30_000);

  afterAll(async () => {
    await server?.dispose();
  });

  const stats = (kind: string, query = '') =>
    http(
      `${server.url}/api/acquisition/session/${id}/stats/${kind}?channel=${encodeURIComponent(channel)}${query}`,
    );

  it('answers every kind over the stored samples', async () => {
    const rolling = await stats('rolling');
    expect(rolling.status, JSON.stringify(rolling.body)).toBe(200);
    expect(rolling.body).toMatchObject({ success: true, acquisition_id: id, channel });
    expect(rolling.body.stats.num_samples).toBe(N);
    expect(rolling.body.stats.mean).toBeCloseTo(2, 1);
    const fftBody = (await stats('fft', '&window=hann')).body;
    expect(fftBody.fft.num_samples).toBe(N);
    expect(fftBody.fft.sample_rate).toBeGreaterThan(40);
    expect(fftBody.fft.sample_rate).toBeLessThan(60);
    expect(fftBody.fft.frequencies).toHaveLength(N / 2 + 1);
    expect((await stats('trend')).body.trend.valid_samples).toBe(N);
    expect((await stats('quality')).body.quality).toMatchObject({ num_samples: N });
    expect((await stats('peaks', '&prominence=0.001')).status).toBe(200);
    const cross = await stats('crossings', '&threshold=1&num_samples=10');
    expect(cross.status).toBe(200);
    expect(cross.body.crossings.count).toBe(0);
  });

  it("a scope's waveform captures: statistics over the captures, the FFT of the last one at its own rate", async () => {
    const list = (await http(`${server.url}/api/equipment/list`)).body as { id: string; type: string }[];
    const scope = list.find((e) => e.type === 'oscilloscope') as { id: string };
    const created = await http(`${server.url}/api/acquisition/session/create`, {
      body: {
        mode: 'single_shot',
        sample_rate: 5,
        num_samples: 2,
        sources: [{ equipment_id: scope.id, kind: 'waveform', channel: 1 }],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const scopeId = created.body.acquisition_id;
    expect(
      (await http(`${server.url}/api/acquisition/session/${scopeId}/start`, { method: 'POST' })).status,
    ).toBe(200);
    for (let tries = 0; ; tries++) {
      const state = (await http(`${server.url}/api/acquisition/session/${scopeId}/status`)).body.state;
      if (state === 'stopped') break;
      if (tries > 150) throw new Error(`the waveform session did not stop (state ${state})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const status = (await http(`${server.url}/api/acquisition/session/${scopeId}/status`)).body;
    const name = status.config.channels[0] as string;
    const url = (kind: string) =>
      `${server.url}/api/acquisition/session/${scopeId}/stats/${kind}?channel=${encodeURIComponent(name)}`;
    const rolling = await http(url('rolling'));
    expect(rolling.status, JSON.stringify(rolling.body)).toBe(200);
    expect(rolling.body.stats.num_samples).toBeGreaterThan(100);
    const spectrum = await http(url('fft'));
    expect(spectrum.status, JSON.stringify(spectrum.body).slice(0, 300)).toBe(200);
    expect(spectrum.body.fft.num_samples).toBe(rolling.body.stats.num_samples / 2);
    expect(spectrum.body.fft.sample_rate).toBeGreaterThan(0);
  });

  it('names an unknown channel (400) and an unknown session (404)', async () => {
    const bad = await http(`${server.url}/api/acquisition/session/${id}/stats/rolling?channel=CH9`);
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('channel');
    expect((await http(`${server.url}/api/acquisition/session/nope/stats/rolling?channel=CH1`)).status).toBe(
      404,
    );
  });
});

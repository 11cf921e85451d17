// Spectrum of one channel: a window (hann, hamming, blackman or none), then the discrete Fourier transform of the
// exact number of samples taken — an iterative radix-2 FFT when that number is a power of two, Bluestein's chirp-z
// algorithm (the same transform through a power-of-two convolution) for any other length, so no zero padding
// changes the bins. Frequencies come from the real timestamps (sample rate = 1 / their mean interval).
//
// Magnitudes are amplitudes: |X| × 2 / Σw (for no window Σw = n, LabLink 1.x's ×2/n), so a sine of amplitude A
// reads A whatever the window; the DC bin (and the Nyquist bin of an even length) is |X| / Σw. Missing samples are
// replaced by the mean of the valid ones before the transform.

import type { FftWindow } from '@lablink/protocol/rest';

export interface FftStats {
  /** Hz, one per bin: k × sample_rate / n for k = 0 … ⌊n/2⌋. */
  frequencies: number[];
  /** null only where an amplitude is beyond a double (values near ±1.8e308). */
  magnitudes: (number | null)[];
  /** Radians, −π … π. */
  phases: number[];
  dominant_frequency: number;
  fundamental_amplitude: number | null;
  /** √(Σ V_h²) / V_1 × 100 over harmonics 2–9 below Nyquist; null when there is no fundamental. */
  thd_percent: number | null;
  /** Power within ±5 bins of the fundamental over the power of every other bin but DC; null when there is no noise. */
  snr_db: number | null;
  sample_rate: number;
  window: FftWindow;
  num_samples: number;
  missing_count: number;
}

/** Window coefficients (symmetric, as numpy's hanning, hamming and blackman). */
export function windowOf(kind: FftWindow, n: number): Float64Array {
  const w = new Float64Array(n);
  if (kind === 'none' || n === 1) return w.fill(1);
  const step = (2 * Math.PI) / (n - 1);
  for (let i = 0; i < n; i++) {
    const c = Math.cos(step * i);
    if (kind === 'hann') w[i] = 0.5 - 0.5 * c;
    else if (kind === 'hamming') w[i] = 0.54 - 0.46 * c;
    else w[i] = 0.42 - 0.5 * c + 0.08 * Math.cos(2 * step * i);
  }
  return w;
}

/** In-place iterative radix-2 FFT; the length must be a power of two. `inverse` computes the unscaled inverse. */
export function fftRadix2(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const tr = re[i] as number;
      re[i] = re[j] as number;
      re[j] = tr;
      const ti = im[i] as number;
      im[i] = im[j] as number;
      im[j] = ti;
    }
  }
  const sign = inverse ? 1 : -1;
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const angle = (sign * 2 * Math.PI) / size;
    // Twiddles computed directly (no running product) so the error does not grow with n.
    const wr = new Float64Array(half);
    const wi = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      wr[k] = Math.cos(angle * k);
      wi[k] = Math.sin(angle * k);
    }
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const a = start + k;
        const b = a + half;
        const xr = re[b] as number;
        const xi = im[b] as number;
        const cr = wr[k] as number;
        const ci = wi[k] as number;
        const tr = xr * cr - xi * ci;
        const ti = xr * ci + xi * cr;
        re[b] = (re[a] as number) - tr;
        im[b] = (im[a] as number) - ti;
        re[a] = (re[a] as number) + tr;
        im[a] = (im[a] as number) + ti;
      }
    }
  }
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;

/** The DFT of a real signal of any length: radix-2 for powers of two, Bluestein otherwise. */
export function dft(signal: Float64Array): { re: Float64Array; im: Float64Array } {
  const n = signal.length;
  if (isPowerOfTwo(n)) {
    const re = Float64Array.from(signal);
    const im = new Float64Array(n);
    fftRadix2(re, im);
    return { re, im };
  }
  // Bluestein: X_k = conj(c_k) Σ x_j conj(c_j) c_(k−j) with c_j = e^(iπj²/n), a convolution of length m ≥ 2n − 1.
  let m = 1;
  while (m < 2 * n - 1) m <<= 1;
  const cr = new Float64Array(n);
  const ci = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    // j² mod 2n keeps the angle small (exact in doubles for n ≤ 2^26).
    const angle = (Math.PI * ((j * j) % (2 * n))) / n;
    cr[j] = Math.cos(angle);
    ci[j] = Math.sin(angle);
  }
  const ar = new Float64Array(m);
  const ai = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    const x = signal[j] as number;
    ar[j] = x * (cr[j] as number);
    ai[j] = -x * (ci[j] as number);
  }
  const br = new Float64Array(m);
  const bi = new Float64Array(m);
  br[0] = cr[0] as number;
  bi[0] = ci[0] as number;
  for (let j = 1; j < n; j++) {
    br[j] = br[m - j] = cr[j] as number;
    bi[j] = bi[m - j] = ci[j] as number;
  }
  fftRadix2(ar, ai);
  fftRadix2(br, bi);
  for (let k = 0; k < m; k++) {
    const xr = ar[k] as number;
    const xi = ai[k] as number;
    const yr = br[k] as number;
    const yi = bi[k] as number;
    ar[k] = xr * yr - xi * yi;
    ai[k] = xr * yi + xi * yr;
  }
  fftRadix2(ar, ai, true);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const xr = (ar[k] as number) / m;
    const xi = (ai[k] as number) / m;
    const c = cr[k] as number;
    const s = ci[k] as number;
    re[k] = xr * c + xi * s;
    im[k] = xi * c - xr * s;
  }
  return { re, im };
}

/** Bins each side of the fundamental counted as signal by snr_db (LabLink 1.x's ±5). */
const SIGNAL_BINS = 5;

/**
 * The spectrum of `values` sampled at `timestamps` (ms). Needs at least 4 samples, 2 valid, spanning some time
 * (the caller checks: it throws a RangeError otherwise).
 */
export function fft(timestamps: Float64Array, values: Float64Array, window: FftWindow = 'hann'): FftStats {
  const n = values.length;
  const span = ((timestamps[n - 1] as number) - (timestamps[0] as number)) / 1000;
  if (n < 4 || !(span > 0)) throw new RangeError('the FFT needs at least 4 samples spanning some time');
  const sampleRate = (n - 1) / span;
  // The mean of the valid samples (running, so it cannot overflow) fills missing ones; the largest magnitude scales
  // the signal to ±1 so that no sum overflows on extreme values.
  let fill = 0;
  let valid = 0;
  let scale = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i] as number;
    if (Number.isFinite(x)) {
      valid++;
      fill += (x - fill) / valid;
      scale = Math.max(scale, Math.abs(x));
    }
  }
  if (scale === 0) scale = 1;
  const w = windowOf(window, n);
  let gain = 0;
  const signal = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = values[i] as number;
    signal[i] = ((Number.isFinite(x) ? x : fill) / scale) * (w[i] as number);
    gain += w[i] as number;
  }
  const { re, im } = dft(signal);
  const bins = (n >> 1) + 1;
  const frequencies = new Array<number>(bins);
  const magnitudes = new Array<number>(bins);
  const phases = new Array<number>(bins);
  for (let k = 0; k < bins; k++) {
    const r = re[k] as number;
    const i = im[k] as number;
    const edge = k === 0 || (n % 2 === 0 && k === n / 2);
    frequencies[k] = (k * sampleRate) / n;
    magnitudes[k] = ((Math.hypot(r, i) * (edge ? 1 : 2)) / gain) * scale;
    phases[k] = Math.atan2(i, r);
  }
  let peak = 0;
  for (let k = 1; k < bins; k++)
    if ((magnitudes[k] as number) > (magnitudes[peak] as number) || peak === 0) peak = k;
  const fundamental = peak > 0 ? (magnitudes[peak] as number) : 0;
  let harmonics = 0;
  for (let h = 2; h <= 9; h++) {
    const center = h * peak;
    if (peak === 0 || center >= bins) break;
    // The largest bin within one of h × the fundamental's bin: a harmonic off the bin grid still counts once.
    let v = 0;
    for (let k = Math.max(1, center - 1); k <= Math.min(bins - 1, center + 1); k++)
      v = Math.max(v, magnitudes[k] as number);
    harmonics += v * v;
  }
  let signalPower = 0;
  let noisePower = 0;
  for (let k = 1; k < bins; k++) {
    const p = (magnitudes[k] as number) ** 2;
    if (Math.abs(k - peak) <= SIGNAL_BINS) signalPower += p;
    else noisePower += p;
  }
  const snr = noisePower > 0 && signalPower > 0 ? 10 * Math.log10(signalPower / noisePower) : null;
  const thd = fundamental > 0 ? (100 * Math.sqrt(harmonics)) / fundamental : null;
  return {
    frequencies,
    magnitudes: magnitudes.map(finiteOrNull),
    phases,
    dominant_frequency: frequencies[peak] as number,
    fundamental_amplitude: finiteOrNull(fundamental),
    thd_percent: thd === null ? null : finiteOrNull(thd),
    snr_db: snr !== null && Number.isFinite(snr) ? snr : null,
    sample_rate: sampleRate,
    window,
    num_samples: n,
    missing_count: n - valid,
  };
}

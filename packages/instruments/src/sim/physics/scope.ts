// A digital storage oscilloscope sampling real signals generated from time. Each acquisition finds a trigger edge
// on the trigger source, places it on screen, and records every channel through an 8-bit ADC whose codes the
// Rigol waveform protocol hands out (volts = (code − yorigin − yreference) × yincrement). A stopped scope keeps
// its last acquisition; samples are generated lazily and cached per acquisition, so a stopped scope answers the
// same data every time and a bench of hundreds of scopes costs nothing until someone reads a waveform.

import { createRng, type Rng } from '../rng.js';
import { type Measurements, measure } from './measure.js';

export type SignalShape = 'sine' | 'square' | 'triangle' | 'noise' | 'dc';

export interface Signal {
  shape: SignalShape;
  /** Hz; ignored by 'noise' and 'dc'. */
  frequency: number;
  /** Peak-to-peak volts; for 'noise' about 6 σ. */
  amplitude: number;
  /** DC level added to the waveform, volts. */
  offset: number;
  /** Standard deviation of the Gaussian noise added to every sample, volts. */
  noise: number;
}

export type Coupling = 'DC' | 'AC' | 'GND';

export interface ChannelSettings {
  display: boolean;
  /** V/div. */
  scale: number;
  /** Volts added before display: positive moves the trace up. */
  offset: number;
  coupling: Coupling;
  probe: number;
}

export type WaveMode = 'NORM' | 'MAX' | 'RAW';
export type Slope = 'POS' | 'NEG' | 'RFAL';
export type Sweep = 'AUTO' | 'NORM' | 'SING';
export type TriggerStatus = 'TD' | 'WAIT' | 'RUN' | 'AUTO' | 'STOP';

export interface ScopeGeometry {
  channels: number;
  /** Horizontal divisions on screen (12 on the DS1000Z/DS1000D, 14 on the MSO2000A). */
  divisions: number;
  /** Points of a NORMal (screen) read. */
  screenPoints: number;
  /** Points of a RAW (memory) read. */
  memoryPoints: number;
}

/**
 * A probe wired to a channel's input (on the simulated bench: the supply output, the loop current through a
 * current probe). Times are seconds on the performance.now() clock, shared by every simulator in the process.
 */
export interface Probe {
  /** Volts at the probe's output at time t, noise-free. */
  at(t: number): number;
  /** The present DC level, volts (what AC coupling removes and autoscale centres). */
  level(): number;
  /** The present ripple, volts peak-to-peak (for autoscale). */
  ripple(): number;
  /** Gaussian noise added to every sample, volts. */
  readonly noise: number;
  /** Times of the changes (steps) in (from, to]: where a trigger may have fired while the scope was armed. */
  events(from: number, to: number): number[];
}

/** One record as the Rigol :WAVeform commands describe it. */
export interface WaveformRecord {
  points: number;
  xincrement: number;
  /** Time of the first point relative to the trigger, seconds. */
  xorigin: number;
  yincrement: number;
  yorigin: number;
  yreference: number;
  codes: Uint8Array;
}

// Eight vertical divisions of 25 codes each, centred on code 127.
const CODES_PER_DIVISION = 25;
const Y_REFERENCE = 127;

/** How long after a step its transient is looked for, in units of this (a supply's recovery is ~100 µs). */
const RECOVERY_HINT_SECONDS = 100e-6;

const DEFAULT_SIGNALS: readonly Signal[] = [
  { shape: 'sine', frequency: 1000, amplitude: 2, offset: 0, noise: 0.02 },
  { shape: 'square', frequency: 500, amplitude: 3, offset: 0, noise: 0.02 },
  { shape: 'triangle', frequency: 250, amplitude: 1.5, offset: 0, noise: 0.02 },
  { shape: 'noise', frequency: 0, amplitude: 0.5, offset: 0, noise: 0.02 },
];

function defaultChannel(n: number): ChannelSettings {
  return { display: n <= 2, scale: 1, offset: 0, coupling: 'DC', probe: 1 };
}

/** The signal's value at time t (seconds), without noise. */
function signalValue(signal: Signal, t: number, rng?: Rng): number {
  const half = signal.amplitude / 2;
  const phase = signal.frequency * t - Math.floor(signal.frequency * t);
  switch (signal.shape) {
    case 'sine':
      return signal.offset + half * Math.sin(2 * Math.PI * phase);
    case 'square':
      return signal.offset + (phase < 0.5 ? half : -half);
    case 'triangle':
      return signal.offset + (phase < 0.5 ? -half + 4 * half * phase : 3 * half - 4 * half * phase);
    case 'noise':
      return signal.offset + (rng ? rng.gaussian(signal.amplitude / 6) : 0);
    case 'dc':
      return signal.offset;
  }
}

/** What the input stage passes on: AC coupling blocks the DC level, GND disconnects the input. */
function coupled(settings: ChannelSettings, signal: Signal, value: number): number {
  if (settings.coupling === 'GND') return 0;
  return settings.coupling === 'AC' ? value - signal.offset : value;
}

/** 1-2-5 sequence: the smallest step that is at least x. */
function niceCeil(x: number): number {
  const decade = 10 ** Math.floor(Math.log10(x));
  for (const step of [1, 2, 5, 10]) if (step * decade >= x * (1 - 1e-9)) return step * decade;
  return 10 * decade;
}

/** A frozen acquisition: the trigger instant and a snapshot of every setting that shapes its data. */
class Acquisition {
  private readonly cache = new Map<string, WaveformRecord>();

  constructor(
    readonly triggerTime: number,
    readonly timebase: { scale: number; offset: number },
    readonly channels: readonly ChannelSettings[],
    readonly signals: readonly Signal[],
    private readonly geometry: ScopeGeometry,
    private readonly seed: number,
    /** Per channel, the wired probe's value at scope time t (undefined: the generated signal). */
    private readonly probes: ReadonlyArray<((t: number) => number) | undefined> = [],
  ) {}

  record(channel: number, points: number): WaveformRecord {
    const key = `${channel}:${points}`;
    let record = this.cache.get(key);
    if (!record) {
      record = this.sample(channel, points);
      this.cache.set(key, record);
    }
    return record;
  }

  private sample(channel: number, points: number): WaveformRecord {
    const settings = this.channels[channel - 1] as ChannelSettings;
    const signal = this.signals[channel - 1] as Signal;
    const window = this.geometry.divisions * this.timebase.scale;
    const xincrement = window / points;
    const xorigin = this.timebase.offset - window / 2;
    const yincrement = settings.scale / CODES_PER_DIVISION;
    const yorigin = Math.round(settings.offset / yincrement);
    const rng = createRng(this.seed * 31 + channel * 7919 + points);
    const probe = this.probes[channel - 1];
    const codes = new Uint8Array(points);
    for (let i = 0; i < points; i++) {
      const t = this.triggerTime + xorigin + i * xincrement;
      const raw = probe ? probe(t) : signalValue(signal, t, rng);
      const volts = coupled(settings, signal, raw) + rng.gaussian(signal.noise);
      const code = Math.round(volts / yincrement) + yorigin + Y_REFERENCE;
      codes[i] = Math.min(255, Math.max(0, code));
    }
    return { points, xincrement, xorigin, yincrement, yorigin, yreference: Y_REFERENCE, codes };
  }
}

/** The in-process model of an oscilloscope, shared by its SCPI front end and by tests. */
export class OscilloscopeSim {
  readonly channels: ChannelSettings[] = [];
  readonly signals: Signal[] = [];
  /** Probes wired to channel inputs; a wired channel shows its probe instead of its generated signal. */
  readonly probes: Array<Probe | undefined> = [];
  readonly timebase = { scale: 1e-3, offset: 0 };
  readonly trigger = { source: 1, level: 0, slope: 'POS' as Slope, sweep: 'AUTO' as Sweep };
  running = true;
  private status: TriggerStatus = 'AUTO';
  private acquisition: Acquisition;
  /** performance.now() at power-on: scope time 0. */
  readonly epoch = performance.now();
  /** Scope time since which a trigger event counts (armed by RUN/SINGle, re-armed by each acquisition). */
  private armedAt = 0;
  /** Measurements made in this turn, by channel: the items of one compound message share one (see measure). */
  private readonly measuredThisTurn = new Map<number, Measurements>();

  constructor(
    readonly geometry: ScopeGeometry,
    private readonly rng: Rng,
  ) {
    this.reset();
    for (let n = 1; n <= geometry.channels; n++) {
      this.signals.push({ ...(DEFAULT_SIGNALS[(n - 1) % DEFAULT_SIGNALS.length] as Signal) });
    }
    this.acquisition = this.snapshot(this.now());
  }

  /** Changes what is connected to a channel's input. */
  setSignal(channel: number, signal: Partial<Signal>): void {
    const current = this.signals[channel - 1];
    if (!current) throw new RangeError(`no channel ${channel} (1..${this.geometry.channels})`);
    const next = { ...current, ...signal };
    if (!(next.frequency >= 0) || !(next.amplitude >= 0) || !(next.noise >= 0)) {
      throw new RangeError('frequency, amplitude and noise must be ≥ 0');
    }
    this.signals[channel - 1] = next;
    // A signal connected by hand replaces any wired probe.
    this.probes[channel - 1] = undefined;
  }

  /** Wires a probe to a channel's input (undefined disconnects it, back to the generated signal). */
  connectProbe(channel: number, probe: Probe | undefined): void {
    if (channel < 1 || channel > this.geometry.channels) {
      throw new RangeError(`no channel ${channel} (1..${this.geometry.channels})`);
    }
    this.probes[channel - 1] = probe;
  }

  /** What a channel's input sees: its generated signal, or for a wired channel the probe's level and ripple. */
  private signalOf(channel: number): Signal {
    const signal = this.signals[channel - 1] as Signal;
    const probe = this.probes[channel - 1];
    if (!probe) return signal;
    return {
      shape: 'dc',
      frequency: 0,
      amplitude: probe.ripple(),
      offset: probe.level(),
      noise: probe.noise,
    };
  }

  /** A probe's value at scope time t. */
  private probeAt(channel: number): ((t: number) => number) | undefined {
    const probe = this.probes[channel - 1];
    if (!probe) return undefined;
    const epoch = this.epoch / 1000;
    return (t) => probe.at(epoch + t);
  }

  reset(): void {
    this.channels.length = 0;
    for (let n = 1; n <= this.geometry.channels; n++) this.channels.push(defaultChannel(n));
    Object.assign(this.timebase, { scale: 1e-3, offset: 0 });
    Object.assign(this.trigger, { source: 1, level: 0, slope: 'POS', sweep: 'AUTO' });
    this.running = true;
  }

  run(): void {
    this.running = true;
    this.armedAt = this.now();
  }

  /** Freezes the screen on the latest acquisition. */
  stop(): void {
    this.acquire(false);
    this.running = false;
  }

  /** Arms a single acquisition: the next trigger captures and stops. */
  single(): void {
    this.trigger.sweep = 'SING';
    this.running = true;
    this.armedAt = this.now();
  }

  /** Captures now whether or not the trigger condition is met. */
  forceTrigger(): void {
    if (this.running) this.acquire(true);
  }

  /** Fits every displayed signal to about six divisions and about three periods of the trigger source. */
  autoscale(): void {
    const shown = this.channels.flatMap((settings, i) => (settings.display ? [i + 1] : []));
    for (const n of shown) {
      const settings = this.channels[n - 1] as ChannelSettings;
      const signal = this.signalOf(n);
      const span = Math.max(signal.amplitude, 6 * signal.noise, 1e-3);
      Object.assign(settings, { scale: niceCeil(span / 6), offset: -signal.offset, coupling: 'DC' });
    }
    const periodic = shown.find((n) => {
      const signal = this.signalOf(n);
      return signal.frequency > 0 && signal.shape !== 'noise' && signal.shape !== 'dc';
    });
    if (periodic !== undefined) {
      const signal = this.signals[periodic - 1] as Signal;
      Object.assign(this.trigger, { source: periodic, level: signal.offset, slope: 'POS' });
      this.timebase.scale = niceCeil(3 / signal.frequency / this.geometry.divisions);
      this.timebase.offset = 0;
    }
    this.trigger.sweep = 'AUTO';
    this.running = true;
  }

  triggerStatus(): TriggerStatus {
    this.acquire(false);
    return this.running ? this.status : 'STOP';
  }

  /** The record of a channel from the current acquisition (a new one while running). */
  waveform(channel: number, mode: WaveMode): WaveformRecord {
    this.acquire(false);
    const memory = mode === 'RAW' || (mode === 'MAX' && !this.running);
    return this.acquisition.record(channel, memory ? this.geometry.memoryPoints : this.geometry.screenPoints);
  }

  /**
   * The automatic measurements of a channel, from its screen record in volts. Queries answered in the same turn
   * (the items of one compound message, `:MEAS:VPP? CHAN1;:MEAS:FREQ? CHAN1;…`) come from one acquisition, as on
   * the instrument, which does not acquire again between the units of a message; it also spares the simulator
   * a trace and a trigger search per item.
   */
  measure(channel: number): Measurements {
    const cached = this.measuredThisTurn.get(channel);
    if (cached) return cached;
    const record = this.waveform(channel, 'NORM');
    const volts = Array.from(
      record.codes,
      (code) => (code - record.yorigin - record.yreference) * record.yincrement,
    );
    const result = measure(volts, record.xincrement, record.yincrement);
    if (this.measuredThisTurn.size === 0) queueMicrotask(() => this.measuredThisTurn.clear());
    this.measuredThisTurn.set(channel, result);
    return result;
  }

  private now(): number {
    return (performance.now() - this.epoch) / 1000;
  }

  private acquire(force: boolean): void {
    if (!this.running) return;
    const now = this.now();
    const triggerTime = this.findEventTrigger(now) ?? this.findTrigger(now);
    if (triggerTime === undefined && !force && this.trigger.sweep !== 'AUTO') {
      this.status = 'WAIT';
      return;
    }
    this.acquisition = this.snapshot(triggerTime ?? now);
    this.armedAt = now;
    this.status = triggerTime === undefined ? 'AUTO' : 'TD';
    if (this.trigger.sweep === 'SING') this.running = false;
  }

  private snapshot(triggerTime: number): Acquisition {
    return new Acquisition(
      triggerTime,
      { ...this.timebase },
      this.channels.map((settings) => ({ ...settings })),
      this.signals.map((_, i) => ({ ...this.signalOf(i + 1) })),
      this.geometry,
      Math.floor(this.rng.uniform() * 2 ** 31),
      this.signals.map((_, i) => this.probeAt(i + 1)),
    );
  }

  /**
   * A trigger on a wired probe's step since the scope was armed (the first for a single sweep, else the
   * latest): a real scope waiting for its trigger catches the event when it happens, however late it is read.
   */
  private findEventTrigger(now: number): number | undefined {
    const probe = this.probes[this.trigger.source - 1];
    if (!probe) return undefined;
    const epoch = this.epoch / 1000;
    const times = probe.events(epoch + this.armedAt, epoch + now).map((t) => t - epoch);
    if (this.trigger.sweep !== 'SING') times.reverse();
    for (const time of times) {
      const found = this.findTrigger(time - 1e-6, 20 * RECOVERY_HINT_SECONDS);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /**
   * The first instant after `from` where the trigger source crosses the level with the selected slope, or
   * undefined when it does not within about two periods (or two screens). Searched on the noise-free signal,
   * coarsely and then by bisection, so even a square wave's jump is located exactly.
   */
  private findTrigger(from: number, within?: number): number | undefined {
    const n = this.trigger.source;
    const settings = this.channels[n - 1] as ChannelSettings;
    const signal = this.signalOf(n);
    const probe = this.probeAt(n);
    const level = this.trigger.level;
    const value = (t: number) => coupled(settings, signal, probe ? probe(t) : signalValue(signal, t)) - level;
    const window = this.geometry.divisions * this.timebase.scale;
    const span = within ?? (signal.frequency > 0 ? Math.max(2 / signal.frequency, window) : window);
    const steps = 4096;
    const step = span / steps;
    const wanted = (a: number, b: number) => {
      const rising = a < 0 && b >= 0;
      const falling = a >= 0 && b < 0;
      return this.trigger.slope === 'POS'
        ? rising
        : this.trigger.slope === 'NEG'
          ? falling
          : rising || falling;
    };
    let previous = value(from);
    for (let i = 1; i <= steps; i++) {
      const t = from + i * step;
      const current = value(t);
      if (wanted(previous, current)) {
        let lo = t - step;
        let hi = t;
        for (let k = 0; k < 48; k++) {
          const mid = (lo + hi) / 2;
          if (wanted(value(lo), value(mid))) hi = mid;
          else lo = mid;
        }
        return hi;
      }
      previous = current;
    }
    return undefined;
  }
}

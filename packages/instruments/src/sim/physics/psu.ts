// A bench power supply channel driving a resistive load: constant voltage until the load would draw more than the
// current limit, constant current beyond. The defaults follow the original LabLink mock (reference §2.6): outputs
// off, 0 V, 1 A limit, 10 Ω on every channel.

import type { Rng } from '../rng.js';

export interface ChannelRating {
  maxVoltage: number;
  maxCurrent: number;
}

export type Regulation = 'CV' | 'CC';

export interface ChannelReading {
  voltage: number;
  current: number;
  power: number;
  /** The regulation loop in control; an output that is off reports CV, as the DP800 does. */
  mode: Regulation;
}

const NOISE_VOLTS = 1e-3;
const NOISE_AMPS = 1e-4;

export class PsuChannel {
  voltageSet = 0;
  currentSet = 1;
  output = false;
  loadOhms = 10;
  /**
   * Set when the channel's terminals are wired into a circuit (the simulated bench's supply → load loop): the
   * circuit then gives the operating point, and loadOhms is not connected.
   */
  wired: (() => { voltage: number; current: number; mode: Regulation }) | undefined;

  constructor(
    readonly rating: ChannelRating,
    private readonly rng: Rng,
  ) {}

  reset(): void {
    this.voltageSet = 0;
    this.currentSet = 1;
    this.output = false;
  }

  /** The noise-free operating point. */
  operatingPoint(): { voltage: number; current: number; mode: Regulation } {
    if (this.wired) return this.wired();
    if (!this.output) return { voltage: 0, current: 0, mode: 'CV' };
    const wanted = this.voltageSet / this.loadOhms;
    if (wanted <= this.currentSet) return { voltage: this.voltageSet, current: wanted, mode: 'CV' };
    return { voltage: this.currentSet * this.loadOhms, current: this.currentSet, mode: 'CC' };
  }

  /** What the instrument's meters read: the operating point plus Gaussian noise, never negative. */
  measure(): ChannelReading {
    const point = this.operatingPoint();
    const voltage = Math.max(0, point.voltage + this.rng.gaussian(NOISE_VOLTS));
    const current = Math.max(0, point.current + this.rng.gaussian(NOISE_AMPS));
    return { voltage, current, power: voltage * current, mode: point.mode };
  }
}

/** The in-process model of a power supply, shared by its SCPI or serial front end and by tests. */
export class PowerSupplySim {
  readonly channels: readonly PsuChannel[];
  /** The channel that channel-less commands address (INSTrument:SELect). */
  selected = 1;

  constructor(ratings: readonly ChannelRating[], rng: Rng) {
    this.channels = ratings.map((rating) => new PsuChannel(rating, rng));
  }

  channel(n: number): PsuChannel {
    const channel = this.channels[n - 1];
    if (!channel) throw new RangeError(`no channel ${n} (1..${this.channels.length})`);
    return channel;
  }

  /** The resistance connected to a channel's terminals (Infinity = open circuit). */
  setLoadResistance(channel: number, ohms: number): void {
    if (!(ohms > 0)) throw new RangeError(`load resistance must be > 0 Ω, got ${ohms}`);
    const target = this.channel(channel);
    // Connecting a resistor takes the channel out of any wired circuit.
    target.wired = undefined;
    target.loadOhms = ohms;
  }

  reset(): void {
    this.selected = 1;
    for (const channel of this.channels) channel.reset();
  }
}

// A source-measure unit driving a resistive device under test. A voltage source holds its level until the device
// would draw more than the current compliance; a current source holds its level until the device would need more
// than the voltage compliance. Beyond that the output is clamped at the compliance and says so.

import type { Rng } from '../rng.js';
import type { ChannelRating } from './psu.js';

export type SmuFunction = 'VOLT' | 'CURR';

export interface SmuPoint {
  voltage: number;
  current: number;
  inCompliance: boolean;
}

const NOISE_VOLTS = 1e-5;
const NOISE_AMPS = 1e-8;

export class SmuSim {
  sourceFunction: SmuFunction = 'VOLT';
  voltageLevel = 0;
  currentLevel = 0;
  /** Power-on compliances of the 2400: 105 µA for the voltage source, 21 V for the current source. */
  currentCompliance = 105e-6;
  voltageCompliance = 21;
  voltageRange = 21;
  currentRange = 105e-6;
  output = false;
  /** The device under test on the terminals. */
  loadOhms = 1000;
  /** Seconds since power-on, for the TIME element of a reading. */
  private readonly started = Date.now();

  constructor(
    readonly rating: ChannelRating,
    private readonly rng: Rng,
  ) {}

  reset(): void {
    this.sourceFunction = 'VOLT';
    this.voltageLevel = 0;
    this.currentLevel = 0;
    this.currentCompliance = 105e-6;
    this.voltageCompliance = 21;
    this.output = false;
  }

  /** The noise-free operating point; an output that is off delivers nothing. */
  operatingPoint(): SmuPoint {
    if (!this.output) return { voltage: 0, current: 0, inCompliance: false };
    const r = this.loadOhms;
    if (this.sourceFunction === 'VOLT') {
      const current = this.voltageLevel / r;
      if (current <= this.currentCompliance)
        return { voltage: this.voltageLevel, current, inCompliance: false };
      return { voltage: this.currentCompliance * r, current: this.currentCompliance, inCompliance: true };
    }
    const voltage = this.currentLevel * r;
    if (voltage <= this.voltageCompliance)
      return { voltage, current: this.currentLevel, inCompliance: false };
    return { voltage: this.voltageCompliance, current: this.voltageCompliance / r, inCompliance: true };
  }

  measure(): SmuPoint & { seconds: number } {
    const point = this.operatingPoint();
    return {
      voltage: point.voltage + this.rng.gaussian(NOISE_VOLTS),
      current: point.current + this.rng.gaussian(NOISE_AMPS),
      inCompliance: point.inCompliance,
      seconds: (Date.now() - this.started) / 1000,
    };
  }
}

// An electronic load sinking current from a source with internal resistance (a battery, a supply with leads).
// Each regulation mode solves for the operating point on the source line V = Vs − I·Rs; the defaults follow the
// original LabLink mock (reference §2.6): 12 V behind 0.1 Ω, CC mode, input off.

import type { Rng } from '../rng.js';

export type LoadFunction = 'CC' | 'CV' | 'CR' | 'CP';

export interface LoadRating {
  maxVoltage: number;
  maxCurrent: number;
  maxPower: number;
}

export interface LoadReading {
  voltage: number;
  current: number;
  power: number;
}

export class ElectronicLoadSim {
  mode: LoadFunction = 'CC';
  input = false;
  readonly setpoints: Record<LoadFunction, number> = { CC: 1, CV: 10, CR: 10, CP: 50 };
  readonly source = { voltage: 12, resistance: 0.1 };
  /** Set when the input is wired into a circuit (fed by a simulated supply): the circuit gives the operating point. */
  wired: (() => { voltage: number; current: number }) | undefined;

  constructor(
    readonly rating: LoadRating,
    private readonly rng: Rng,
  ) {}

  /** Connects a different source to the input terminals. */
  setSource(source: { voltage?: number; resistance?: number }): void {
    // Connecting another source takes the input out of any wired circuit.
    this.wired = undefined;
    if (source.voltage !== undefined) {
      if (!(source.voltage >= 0)) throw new RangeError('source voltage must be ≥ 0 V');
      this.source.voltage = source.voltage;
    }
    if (source.resistance !== undefined) {
      if (!(source.resistance > 0)) throw new RangeError('source resistance must be > 0 Ω');
      this.source.resistance = source.resistance;
    }
  }

  reset(): void {
    this.mode = 'CC';
    this.input = false;
    Object.assign(this.setpoints, { CC: 1, CV: 10, CR: 10, CP: 50 });
  }

  /** The noise-free operating point: with the input off the terminals show the open-circuit voltage. */
  operatingPoint(): { voltage: number; current: number } {
    if (this.wired) return this.wired();
    const { voltage: vs, resistance: rs } = this.source;
    if (!this.input) return { voltage: vs, current: 0 };
    let current = this.regulatedCurrent(this.mode, this.setpoints[this.mode]);
    // The load protects itself: never above its current rating, then never above its power rating.
    current = Math.min(current, this.rating.maxCurrent);
    if ((vs - current * rs) * current > this.rating.maxPower)
      current = this.regulatedCurrent('CP', this.rating.maxPower);
    return { voltage: vs - current * rs, current };
  }

  measure(): LoadReading {
    const point = this.operatingPoint();
    const voltage = Math.max(0, point.voltage + this.rng.gaussian(2e-3));
    const current = Math.max(0, point.current + this.rng.gaussian(1e-3));
    const power = Math.max(0, voltage * current + this.rng.gaussian(1e-2));
    return { voltage, current, power };
  }

  private regulatedCurrent(mode: LoadFunction, setpoint: number): number {
    const { voltage: vs, resistance: rs } = this.source;
    const shortCircuit = vs / rs;
    switch (mode) {
      case 'CC':
        return Math.min(setpoint, shortCircuit);
      case 'CV':
        return setpoint >= vs ? 0 : (vs - setpoint) / rs;
      case 'CR':
        return vs / (rs + setpoint);
      case 'CP': {
        // Rs·I² − Vs·I + P = 0; the smaller root is the stable point. Beyond the source's maximum power
        // (Vs²/4Rs) there is no solution and the load settles at the maximum-power point.
        const discriminant = vs * vs - 4 * rs * setpoint;
        return discriminant <= 0 ? vs / (2 * rs) : (vs - Math.sqrt(discriminant)) / (2 * rs);
      }
    }
  }
}

// A digital multimeter measuring a settable input (what the test leads touch): DC volts, DC amps or ohms, with
// the 34461A's ranges, autoranging and overload. Defaults: 5.0 V, 0.1 A, 1 kΩ at the input; DC volts, autorange.

import type { Rng } from '../rng.js';

export type DmmFunction = 'VOLT' | 'CURR' | 'RES';
export type DmmQuantity = 'voltage' | 'current' | 'resistance';

const QUANTITY: Record<DmmFunction, DmmQuantity> = { VOLT: 'voltage', CURR: 'current', RES: 'resistance' };

export const DMM_RANGES: Record<DmmFunction, readonly number[]> = {
  VOLT: [0.1, 1, 10, 100, 1000],
  CURR: [1e-4, 1e-3, 1e-2, 0.1, 1, 3],
  RES: [100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8],
};

/** Readings beyond 120 % of the range are an overload; the instrument reports 9.9E37. */
const OVERLOAD = 9.9e37;
const OVERRANGE = 1.2;

export class MultimeterSim {
  function: DmmFunction = 'VOLT';
  readonly autorange: Record<DmmFunction, boolean> = { VOLT: true, CURR: true, RES: true };
  /** The manual range of each function (used while autorange is off). */
  readonly ranges: Record<DmmFunction, number> = { VOLT: 10, CURR: 1, RES: 1e3 };
  readonly inputs: Record<DmmQuantity, number> = { voltage: 5, current: 0.1, resistance: 1000 };
  /** Quantities whose input comes from a wired circuit (the voltage at the load's terminals, on the bench). */
  readonly wired: Partial<Record<DmmQuantity, () => number>> = {};

  constructor(private readonly rng: Rng) {}

  setInput(value: number, quantity: DmmQuantity = 'voltage'): void {
    if (!Number.isFinite(value) || (quantity === 'resistance' && value < 0)) {
      throw new RangeError(`invalid ${quantity} input ${value}`);
    }
    // Setting an input by hand moves the leads off any wired circuit.
    delete this.wired[quantity];
    this.inputs[quantity] = value;
  }

  /** What the leads present for a quantity: the wired circuit's value, else the set input. */
  input(quantity: DmmQuantity): number {
    const wired = this.wired[quantity];
    return wired ? wired() : this.inputs[quantity];
  }

  reset(): void {
    this.function = 'VOLT';
    Object.assign(this.autorange, { VOLT: true, CURR: true, RES: true });
    Object.assign(this.ranges, { VOLT: 10, CURR: 1, RES: 1e3 });
  }

  /** The range in use: autorange picks the smallest range the input fits in. */
  range(fn: DmmFunction = this.function): number {
    const ranges = DMM_RANGES[fn];
    if (!this.autorange[fn]) return this.ranges[fn];
    const magnitude = Math.abs(this.input(QUANTITY[fn]));
    return ranges.find((range) => magnitude <= range * OVERRANGE) ?? (ranges.at(-1) as number);
  }

  /** A reading in the present function: the input plus noise of about 1 ppm of range, or OVERLOAD. */
  read(): number {
    const range = this.range();
    const value = this.input(QUANTITY[this.function]);
    if (Math.abs(value) > range * OVERRANGE) return OVERLOAD;
    return value + this.rng.gaussian(range * 1e-6);
  }
}

/** The range to use for a requested maximum: the smallest range that holds it, or undefined beyond the last. */
export function rangeFor(fn: DmmFunction, wanted: number): number | undefined {
  return DMM_RANGES[fn].find((range) => Math.abs(wanted) <= range * (1 + 1e-9));
}

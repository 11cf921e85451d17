// A supply channel feeding an electronic load through leads: the operating point of the loop, solved from the
// supply's CV/CC characteristic and the load's CC/CV/CR/CP characteristic, and its history for the scope.
//
//   supply (CV at Vset until I reaches Ilim, then CC)  ──  R_lead  ──  load (input on: its mode; off: open)
//
// Source line at the load's terminals:  I_S(V_L) = min(Ilim, (Vset − V_L) / R_lead)   for 0 ≤ V_L ≤ Vset
// Load characteristics (what the load sinks at V_L), each capped at the load's current rating:
//   CC  I = min(Iset, V_L / R_sat)          (below Iset·R_sat the load is fully on: R_sat, its on-resistance)
//   CR  I = V_L / Rset
//   CV  I = max(0, (V_L − Vset_load) / R_cv) with R_cv → 0 (the load sinks whatever holds V_L at its setpoint)
//   CP  V_L·I = P on the supply's CV line (the smaller root of R·I² − Vset·I + P = 0); when the supply cannot
//       deliver P below its current limit, the load's power loop drives it fully on and the voltage collapses.
// The operating point is where I_S(V_L) = I_L(V_L) (bisection: I_L rises with V_L, I_S falls). The supply output
// is V_S = V_L + I·R_lead; the supply is in CC when V_S is below its setpoint. Above the load's power rating the
// load limits itself to that power (CP at its rating), as its firmware does.
//
// Dynamics, for the scope only: every change of the operating point is an event at the time it happened. After a
// load step ΔI the supply output dips by ΔI·Z_out and recovers to its new level with time constant τ; the loop
// current follows the load's slew with time constant τ_I.

import type { LoadFunction } from './load.js';
import type { Regulation } from './psu.js';

export interface SupplyState {
  output: boolean;
  voltageSet: number;
  currentSet: number;
}

export interface LoadState {
  input: boolean;
  mode: LoadFunction;
  setpoint: number;
  maxCurrent: number;
  maxPower: number;
}

export interface LoopPoint {
  /** Volts at the supply's output terminals. */
  supplyVoltage: number;
  /** Volts at the load's input terminals. */
  loadVoltage: number;
  /** Amperes around the loop. */
  current: number;
  supplyMode: Regulation;
}

/** The load's on-resistance when fully on (a CC setpoint the source cannot feed). */
export const LOAD_SATURATION_OHMS = 0.02;
/** Transconductance of the load's CV loop: 0.1 mΩ per ampere of error, near ideal. */
const CV_LOOP_OHMS = 1e-4;

/** The noise-free operating point of supply → leads → load. */
export function solveLoop(supply: SupplyState, load: LoadState, leadOhms: number): LoopPoint {
  if (!supply.output) return { supplyVoltage: 0, loadVoltage: 0, current: 0, supplyMode: 'CV' };
  const vset = supply.voltageSet;
  const ilim = supply.currentSet;
  const open = { supplyVoltage: vset, loadVoltage: vset, current: 0, supplyMode: 'CV' as Regulation };
  if (!load.input || vset <= 0) return open;
  const r = Math.max(leadOhms, 1e-6);
  const sourceCurrent = (v: number) => Math.max(0, Math.min(ilim, (vset - v) / r));
  const point = (loadVoltage: number, current: number): LoopPoint => {
    const supplyVoltage = Math.min(vset, loadVoltage + current * r);
    return {
      supplyVoltage,
      loadVoltage,
      current,
      supplyMode: current > 0 && supplyVoltage < vset - 1e-9 ? 'CC' : 'CV',
    };
  };
  const solve = (sink: (v: number) => number): LoopPoint => {
    let lo = 0;
    let hi = vset;
    for (let k = 0; k < 80; k++) {
      const mid = (lo + hi) / 2;
      if (sink(mid) > sourceCurrent(mid)) hi = mid;
      else lo = mid;
    }
    const v = (lo + hi) / 2;
    return point(v, Math.min(sink(v), sourceCurrent(v)));
  };
  const cap = (i: number) => Math.min(i, load.maxCurrent);
  const constantPower = (watts: number): LoopPoint => {
    if (watts <= 0) return open;
    const limit = Math.min(ilim, load.maxCurrent);
    const discriminant = vset * vset - 4 * r * watts;
    if (discriminant >= 0) {
      const current = (vset - Math.sqrt(discriminant)) / (2 * r);
      if (current <= limit) return point(vset - current * r, current);
    }
    // More power than the supply can give below its limit: the load goes fully on and the voltage collapses.
    return solve((v) => cap(v / LOAD_SATURATION_OHMS));
  };
  let result: LoopPoint;
  const setpoint = load.setpoint;
  switch (load.mode) {
    case 'CC':
      result = solve((v) => cap(Math.min(setpoint, v / LOAD_SATURATION_OHMS)));
      break;
    case 'CR':
      result = solve((v) => cap(v / setpoint));
      break;
    case 'CV':
      result = solve((v) => cap(Math.max(0, (v - setpoint) / CV_LOOP_OHMS)));
      break;
    case 'CP':
      result = constantPower(setpoint);
      break;
  }
  if (result.loadVoltage * result.current > load.maxPower) result = constantPower(load.maxPower);
  return result;
}

/** Output impedance seen by a fast load step: ΔV = ΔI · Z_out at the first instant. */
export const TRANSIENT_OHMS = 0.5;
/** Recovery time constant of the supply after a load step, seconds. */
export const RECOVERY_SECONDS = 100e-6;
/** Slew of the load's current after a step, seconds (time constant). */
export const CURRENT_SLEW_SECONDS = 10e-6;
/** Ripple on the supply output: 100 Hz (full-wave rectified mains), 2 mVpp plus 4 mVpp per ampere. */
export const RIPPLE_HZ = 100;
const rippleVpp = (current: number) => 2e-3 + 4e-3 * current;

interface LoopEvent {
  /** Seconds on the performance.now() clock. */
  time: number;
  voltageFrom: number;
  voltageTo: number;
  currentFrom: number;
  currentTo: number;
}

const MAX_EVENTS = 64;

/**
 * One wired loop: reads the supply and load state through the given accessors, keeps the operating point and
 * the history of its changes (for the scope's view of the supply output and the loop current).
 */
export class Loop {
  private readonly events: LoopEvent[] = [];
  private last: LoopPoint;
  /** The operating point before the oldest event kept. */
  private initial: LoopPoint;

  constructor(
    private readonly supply: () => SupplyState,
    private readonly load: () => LoadState,
    readonly leadOhms: number,
    private readonly clock: () => number = () => performance.now() / 1000,
  ) {
    this.last = solveLoop(supply(), load(), leadOhms);
    this.initial = this.last;
  }

  /** The present operating point; a change since the last look is recorded as an event now. */
  point(): LoopPoint {
    const next = solveLoop(this.supply(), this.load(), this.leadOhms);
    const previous = this.last;
    if (
      Math.abs(next.supplyVoltage - previous.supplyVoltage) > 1e-9 ||
      Math.abs(next.current - previous.current) > 1e-9
    ) {
      const time = this.clock();
      const voltageNow = this.voltageAt(time);
      const currentNow = this.currentAt(time);
      const step = next.current - previous.current;
      this.events.push({
        time,
        // A rising load current pulls the output down first, a falling one lets it overshoot.
        voltageFrom: Math.max(0, voltageNow - step * TRANSIENT_OHMS),
        voltageTo: next.supplyVoltage,
        currentFrom: currentNow,
        currentTo: next.current,
      });
      const dropped = this.events.length > MAX_EVENTS ? this.events.shift() : undefined;
      if (dropped) {
        this.initial = { ...this.initial, supplyVoltage: dropped.voltageTo, current: dropped.currentTo };
      }
      this.last = next;
    }
    return next;
  }

  /** Times (performance.now() seconds) of the changes in (from, to]. */
  eventTimes(from: number, to: number): number[] {
    this.point();
    return this.events.filter((e) => e.time > from && e.time <= to).map((e) => e.time);
  }

  /** The supply output voltage at time t (seconds on the performance.now() clock), ripple included. */
  voltageAt(t: number): number {
    const event = this.eventAt(t);
    const steady = event ? event.voltageTo : this.initial.supplyVoltage;
    const current = event ? event.currentTo : this.initial.current;
    const settling = event
      ? (event.voltageFrom - event.voltageTo) * Math.exp(-(t - event.time) / RECOVERY_SECONDS)
      : 0;
    if (steady <= 0 && settling === 0) return 0;
    const ripple = (rippleVpp(current) / 2) * Math.sin(2 * Math.PI * RIPPLE_HZ * t);
    return steady + settling + ripple;
  }

  /** The loop current at time t. */
  currentAt(t: number): number {
    const event = this.eventAt(t);
    if (!event) return this.initial.current;
    return (
      event.currentTo +
      (event.currentFrom - event.currentTo) * Math.exp(-(t - event.time) / CURRENT_SLEW_SECONDS)
    );
  }

  private eventAt(t: number): LoopEvent | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const event = this.events[i] as LoopEvent;
      if (event.time <= t) return event;
    }
    return undefined;
  }
}

// How the simulated bench's instruments are wired together, as data: which supply channel feeds which load
// through what lead resistance, where the multimeter's leads sit, what each scope channel probes.
// The default bench is wired like a real one (docs/simulator.md draws it):
//
//   DP832 CH1 ──── 50 mΩ leads ────┬──── DL3021A input
//       │                          └──── 34461A (DC volts across the load)
//   DS1104Z CH1 probes the supply output; CH2 the loop current through a 0.1 V/A current probe.

import { Loop, type LoopPoint } from './physics/circuit.js';
import { MultimeterSim } from './physics/dmm.js';
import { ElectronicLoadSim } from './physics/load.js';
import { PowerSupplySim } from './physics/psu.js';
import { OscilloscopeSim, type Probe } from './physics/scope.js';

/**
 * An instrument of the bench: its model name (the first instrument of that model), `MODEL#n` for the n-th one
 * (1-based), or its index in the bench's instrument list.
 */
export type InstrumentRef = string | number;

/** What a scope channel or meter sees of a loop. */
export type LoopNode = 'supply-voltage' | 'load-voltage' | 'current';

export interface LoopWiring {
  /** The supply channel driving the loop. */
  supply: { instrument: InstrumentRef; channel: number };
  /** The electronic load whose input the leads go to. */
  load: { instrument: InstrumentRef };
  /** Resistance of the leads, both wires together, ohms. */
  leadOhms: number;
  /** Multimeters measuring DC volts (supply-voltage or load-voltage) or DC current (current, in series). */
  meters?: Array<{ instrument: InstrumentRef; measures: LoopNode }>;
  /** Scope channels: a voltage probe (1:1) or a current probe of voltsPerAmp (default 0.1 V/A). */
  probes?: Array<{ instrument: InstrumentRef; channel: number; measures: LoopNode; voltsPerAmp?: number }>;
}

export interface Wiring {
  loops: LoopWiring[];
}

/** The default bench's wiring: DP832 CH1 → 50 mΩ → DL3021A, the 34461A across the load, the scope on both. */
export const DEFAULT_WIRING: Wiring = {
  loops: [
    {
      supply: { instrument: 'DP832', channel: 1 },
      load: { instrument: 'DL3021A' },
      leadOhms: 0.05,
      meters: [{ instrument: '34461A', measures: 'load-voltage' }],
      probes: [
        { instrument: 'DS1104Z', channel: 1, measures: 'supply-voltage' },
        { instrument: 'DS1104Z', channel: 2, measures: 'current', voltsPerAmp: 0.1 },
      ],
    },
  ],
};

/** What wiring needs of a running simulator. */
export interface Wireable {
  model: string;
  instrument: unknown;
  /** Listeners called after each message the instrument handled. */
  handled: Set<() => void>;
}

/** A wired bench's loops, for tests and tools: the operating point of each. */
export interface WiredLoop {
  wiring: LoopWiring;
  loop: Loop;
  point(): LoopPoint;
}

function resolve(instruments: readonly Wireable[], ref: InstrumentRef): Wireable {
  if (typeof ref === 'number') {
    const found = instruments[ref];
    if (!found) throw new Error(`wiring: no instrument #${ref} on the bench (0..${instruments.length - 1})`);
    return found;
  }
  const [model, nth] = ref.split('#') as [string, string | undefined];
  const n = nth === undefined ? 1 : Number(nth);
  const found = instruments.filter((i) => i.model.toUpperCase() === model.toUpperCase())[n - 1];
  if (!found)
    throw new Error(`wiring: no ${ref} on the bench (${instruments.map((i) => i.model).join(', ')})`);
  return found;
}

function as<T>(wireable: Wireable, type: abstract new (...args: never[]) => T, what: string): T {
  if (!(wireable.instrument instanceof type)) throw new Error(`wiring: ${wireable.model} is not ${what}`);
  return wireable.instrument;
}

/** Scope probe noise: 2 mV on the voltage probe, 1 mA-equivalent on a current probe. */
const VOLTAGE_PROBE_NOISE = 2e-3;
const CURRENT_PROBE_NOISE_AMPS = 1e-2;

/** Wires the bench's instruments as described; throws (naming the instrument) when one is missing or wrong. */
export function applyWiring(instruments: readonly Wireable[], wiring: Wiring): WiredLoop[] {
  return wiring.loops.map((spec) => {
    if (!(spec.leadOhms > 0)) throw new Error(`wiring: leadOhms must be > 0, got ${spec.leadOhms}`);
    const supplySim = resolve(instruments, spec.supply.instrument);
    const loadSim = resolve(instruments, spec.load.instrument);
    const psu = as(supplySim, PowerSupplySim, 'a power supply');
    const channel = psu.channel(spec.supply.channel);
    const load = as(loadSim, ElectronicLoadSim, 'an electronic load');
    const loop = new Loop(
      () => channel,
      () => ({
        input: load.input,
        mode: load.mode,
        setpoint: load.setpoints[load.mode],
        maxCurrent: load.rating.maxCurrent,
        maxPower: load.rating.maxPower,
      }),
      spec.leadOhms,
    );
    const point = () => loop.point();
    channel.wired = () => {
      const p = point();
      return { voltage: p.supplyVoltage, current: p.current, mode: p.supplyMode };
    };
    load.wired = () => {
      const p = point();
      return { voltage: p.loadVoltage, current: p.current };
    };
    // Note the moment a setting changes: the scope shows the transient where it happened.
    supplySim.handled.add(point);
    loadSim.handled.add(point);
    const node = (measures: LoopNode) => () => {
      const p = point();
      return measures === 'current'
        ? p.current
        : measures === 'load-voltage'
          ? p.loadVoltage
          : p.supplyVoltage;
    };
    for (const meter of spec.meters ?? []) {
      const dmm = as(resolve(instruments, meter.instrument), MultimeterSim, 'a multimeter');
      dmm.wired[meter.measures === 'current' ? 'current' : 'voltage'] = node(meter.measures);
    }
    for (const wire of spec.probes ?? []) {
      const scope = as(resolve(instruments, wire.instrument), OscilloscopeSim, 'an oscilloscope');
      scope.connectProbe(wire.channel, probeOf(loop, wire.measures, wire.voltsPerAmp ?? 0.1, spec.leadOhms));
    }
    return { wiring: spec, loop, point };
  });
}

function probeOf(loop: Loop, measures: LoopNode, voltsPerAmp: number, leadOhms: number): Probe {
  const events = (from: number, to: number) => loop.eventTimes(from, to);
  if (measures === 'current') {
    return {
      at: (t) => loop.currentAt(t) * voltsPerAmp,
      level: () => loop.point().current * voltsPerAmp,
      ripple: () => 0,
      noise: CURRENT_PROBE_NOISE_AMPS * voltsPerAmp,
      events,
    };
  }
  // The load's terminals: the supply output less the drop in the leads.
  const drop = measures === 'load-voltage' ? leadOhms : 0;
  return {
    at: (t) => Math.max(0, loop.voltageAt(t) - drop * loop.currentAt(t)),
    level: () => {
      const p = loop.point();
      return drop ? p.loadVoltage : p.supplyVoltage;
    },
    ripple: () => 2e-3 + 4e-3 * loop.point().current,
    noise: VOLTAGE_PROBE_NOISE,
    events,
  };
}

// Rigol DL3021 / DL3021A electronic load (DL3000 Programming Guide): 150 V, 40 A, 200 W.
// The function keywords are CURRent|VOLTage|RESistance|POWer (CC/CV are not keywords: -224); the query answers
// CC|CV|CR|CP. Setpoints and readings print with six decimals (12.000000); :INPut? answers 1|0.

import type { ElectronicLoadSim, LoadFunction } from '../physics/load.js';
import type { CommandContext, CommandSpec } from '../scpi/engine.js';
import { fixed, INVALID } from './format.js';

const FUNCTIONS = { CURRent: 'CC', VOLTage: 'CV', RESistance: 'CR', POWer: 'CP' } as const;
const KEYWORDS = Object.keys(FUNCTIONS) as Array<keyof typeof FUNCTIONS>;

export function dl3000Commands(load: ElectronicLoadSim): CommandSpec[] {
  const { maxVoltage, maxCurrent, maxPower } = load.rating;
  const setpoint = (mode: LoadFunction, pattern: string, min: number, max: number): CommandSpec => ({
    pattern,
    set: (ctx: CommandContext) => {
      load.setpoints[mode] = ctx.params.atMost(1).number(0, { min, max, keywords: { MIN: min, MAX: max } });
    },
    query: () => fixed(load.setpoints[mode], 6),
  });
  const reading = (pick: (r: { voltage: number; current: number; power: number }) => string) => () =>
    pick(load.measure());
  return [
    {
      pattern: '[:SOURce]:FUNCtion',
      set: (ctx) => {
        load.mode = FUNCTIONS[ctx.params.atMost(1).keyword(0, KEYWORDS)];
      },
      query: () => load.mode,
    },
    setpoint('CC', '[:SOURce]:CURRent[:LEVel][:IMMediate]', 0, maxCurrent),
    setpoint('CV', '[:SOURce]:VOLTage[:LEVel][:IMMediate]', 0, maxVoltage),
    // The DL3021 resistance range is 0.08 Ω to 15 kΩ.
    setpoint('CR', '[:SOURce]:RESistance[:LEVel][:IMMediate]', 0.08, 15000),
    setpoint('CP', '[:SOURce]:POWer[:LEVel][:IMMediate]', 0, maxPower),
    {
      pattern: '[:SOURce]:INPut[:STATe]',
      set: (ctx) => {
        load.input = ctx.params.atMost(1).bool(0);
      },
      query: () => (load.input ? '1' : '0'),
    },
    { pattern: ':MEASure:VOLTage[:DC]', query: reading((r) => fixed(r.voltage, 6)) },
    { pattern: ':MEASure:CURRent[:DC]', query: reading((r) => fixed(r.current, 6)) },
    { pattern: ':MEASure:POWer[:DC]', query: reading((r) => fixed(r.power, 6)) },
    // Resistance is V/I; with (almost) no current it is not measurable.
    {
      pattern: ':MEASure:RESistance[:DC]',
      query: reading((r) => (r.current < 1e-3 ? INVALID : fixed(r.voltage / r.current, 6))),
    },
    // Sim-only: SIMulate:SOURce <volts>,<ohms> sets the source connected to the input; the query reads it back.
    {
      pattern: ':SIMulate:SOURce',
      set: (ctx) => {
        ctx.params.atMost(2);
        const voltage = ctx.params.number(0, { min: 0 });
        const resistance = ctx.params.has(1) ? ctx.params.number(1, { min: 1e-6 }) : load.source.resistance;
        load.setSource({ voltage, resistance });
      },
      query: () => `${fixed(load.source.voltage, 6)},${fixed(load.source.resistance, 6)}`,
    },
  ];
}

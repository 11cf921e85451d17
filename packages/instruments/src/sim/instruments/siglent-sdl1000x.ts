// Siglent SDL1000X electronic loads (SDL1000X programming guide): SDL1020X(-E) 150 V / 30 A / 200 W, SDL1030X(-E)
// 300 W, CR 0.03 Ω to 10 kΩ. [:SOURce]:FUNCtion takes CURRent|VOLTage|POWer|RESistance (LED is accepted and
// left alone here) and its query answers the long keyword (CURRENT); setpoints print with three decimals
// (8.000), measurements with four; [:SOURce]:INPut[:STATe]? answers 1|0.

import type { ElectronicLoadSim, LoadFunction } from '../physics/load.js';
import type { CommandSpec } from '../scpi/engine.js';
import { ScpiError } from '../scpi/errors.js';
import { fixed } from './format.js';

const FUNCTIONS = { CURRent: 'CC', VOLTage: 'CV', RESistance: 'CR', POWer: 'CP', LED: undefined } as const;
const KEYWORDS = Object.keys(FUNCTIONS) as Array<keyof typeof FUNCTIONS>;
const REPLY: Record<LoadFunction, string> = { CC: 'CURRENT', CV: 'VOLTAGE', CR: 'RESISTANCE', CP: 'POWER' };

export const SDL_RESISTANCE: [number, number] = [0.03, 10_000];

export function sdl1000xCommands(load: ElectronicLoadSim): CommandSpec[] {
  const { maxVoltage, maxCurrent, maxPower } = load.rating;
  const setpoint = (mode: LoadFunction, node: string, min: number, max: number): CommandSpec => ({
    pattern: `[:SOURce]:${node}[:LEVel][:IMMediate]`,
    set: (ctx) => {
      load.setpoints[mode] = ctx.params.atMost(1).number(0, { min, max, keywords: { MIN: min, MAX: max } });
    },
    query: () => fixed(load.setpoints[mode], 3),
  });
  return [
    {
      pattern: '[:SOURce]:FUNCtion',
      set: (ctx) => {
        const mode = FUNCTIONS[ctx.params.atMost(1).keyword(0, KEYWORDS)];
        // LED mode needs parameters this simulator does not model.
        if (mode === undefined) throw new ScpiError(-221);
        load.mode = mode;
      },
      query: () => REPLY[load.mode],
    },
    setpoint('CC', 'CURRent', 0, maxCurrent),
    setpoint('CV', 'VOLTage', 0, maxVoltage),
    setpoint('CR', 'RESistance', ...SDL_RESISTANCE),
    setpoint('CP', 'POWer', 0, maxPower),
    {
      pattern: '[:SOURce]:INPut[:STATe]',
      set: (ctx) => {
        load.input = ctx.params.atMost(1).bool(0);
      },
      query: () => (load.input ? '1' : '0'),
    },
    { pattern: ':MEASure:VOLTage[:DC]', query: () => fixed(load.measure().voltage, 4) },
    { pattern: ':MEASure:CURRent[:DC]', query: () => fixed(load.measure().current, 4) },
    { pattern: ':MEASure:POWer[:DC]', query: () => fixed(load.measure().power, 4) },
    {
      pattern: ':MEASure:RESistance[:DC]',
      query: () => {
        const r = load.measure();
        return r.current < 1e-3 ? '0.0000' : fixed(r.voltage / r.current, 4);
      },
    },
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

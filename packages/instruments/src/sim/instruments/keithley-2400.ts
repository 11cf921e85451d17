// Keithley 2400 series SourceMeters (2400 Series User's Manual, SCPI command reference). :SOURce:FUNCtion VOLTage|
// CURRent picks what is sourced; levels under :SOURce:<function>[:LEVel][:IMMediate][:AMPLitude]; compliance under
// :SENSe:<function>:PROTection[:LEVel]. :READ? triggers a reading and answers the default elements
// VOLT,CURR,RES,TIME,STAT in the 2400's format (+1.000000E+00); RES is 9.91E+37 (its function is off), bit 3 of
// STAT is compliance. :READ? with the output off is refused (803, as the instrument does).

import type { SmuFunction, SmuSim } from '../physics/smu.js';
import type { CommandSpec } from '../scpi/engine.js';
import { ScpiError } from '../scpi/errors.js';

/** +1.234560E-03: signed, six decimals, upper-case exponent with at least two digits. */
export function keithley(value: number): string {
  const [mantissa, exponent = '0'] = value.toExponential(6).toUpperCase().split('E');
  const sign = exponent.startsWith('-') ? '-' : '+';
  const text = `${mantissa}E${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
  return text.startsWith('-') ? text : `+${text}`;
}

const NOT_MEASURED = '+9.910000E+37';
const COMPLIANCE_BIT = 1 << 3;
const FUNCTIONS = { VOLTage: 'VOLT', CURRent: 'CURR' } as const;

export function keithley2400Commands(smu: SmuSim): CommandSpec[] {
  const { maxVoltage, maxCurrent } = smu.rating;
  const number =
    (key: keyof SmuSim, max: number, min = 0): CommandSpec['set'] =>
    (ctx) => {
      (smu[key] as number) = ctx.params
        .atMost(1)
        .number(0, { min, max, keywords: { MIN: min, MAX: max, DEF: min } });
    };
  const read = (key: keyof SmuSim) => () => keithley(smu[key] as number);
  return [
    {
      pattern: ':SOURce<n>:FUNCtion[:MODE]',
      set: (ctx) => {
        smu.sourceFunction = FUNCTIONS[ctx.params.atMost(1).keyword(0, ['VOLTage', 'CURRent'] as const)];
      },
      query: () => smu.sourceFunction satisfies SmuFunction,
    },
    {
      pattern: ':SOURce<n>:VOLTage[:LEVel][:IMMediate][:AMPLitude]',
      set: number('voltageLevel', maxVoltage),
      query: read('voltageLevel'),
    },
    {
      pattern: ':SOURce<n>:CURRent[:LEVel][:IMMediate][:AMPLitude]',
      set: number('currentLevel', maxCurrent),
      query: read('currentLevel'),
    },
    {
      pattern: ':SOURce<n>:VOLTage:RANGe',
      set: number('voltageRange', maxVoltage),
      query: read('voltageRange'),
    },
    {
      pattern: ':SOURce<n>:CURRent:RANGe',
      set: number('currentRange', maxCurrent),
      query: read('currentRange'),
    },
    {
      pattern: ':SENSe<n>:CURRent[:DC]:PROTection[:LEVel]',
      set: number('currentCompliance', maxCurrent, 1e-9),
      query: read('currentCompliance'),
    },
    {
      pattern: ':SENSe<n>:VOLTage[:DC]:PROTection[:LEVel]',
      set: number('voltageCompliance', maxVoltage, 1e-3),
      query: read('voltageCompliance'),
    },
    // Every function is measured concurrently by this simulator; the setting is accepted and echoed.
    { pattern: ':SENSe<n>:FUNCtion[:ON]', set: () => undefined, query: () => '"VOLT:DC","CURR:DC"' },
    {
      pattern: ':OUTPut<n>[:STATe]',
      set: (ctx) => {
        smu.output = ctx.params.atMost(1).bool(0);
      },
      query: () => (smu.output ? '1' : '0'),
    },
    {
      pattern: ':READ',
      query: () => {
        if (!smu.output) throw new ScpiError(803, 'Output disabled');
        const m = smu.measure();
        const status = m.inCompliance ? COMPLIANCE_BIT : 0;
        return [
          keithley(m.voltage),
          keithley(m.current),
          NOT_MEASURED,
          keithley(m.seconds),
          keithley(status),
        ].join(',');
      },
    },
    // Sim-only: SIMulate:LOAD <ohms> sets the device under test on the terminals; the query reads it back.
    {
      pattern: ':SIMulate:LOAD',
      set: (ctx) => {
        smu.loadOhms = ctx.params.atMost(1).number(0, { min: 1e-3 });
      },
      query: () => keithley(smu.loadOhms),
    },
  ];
}

// Keithley 2400 series SourceMeters (2400 Series User's Manual, SCPI command reference): one output that sources a
// voltage or a current (:SOURce:FUNCtion VOLTage|CURRent, :SOURce:<function>:LEVel) while measuring, with a
// compliance on the other quantity (:SENSe:CURRent:PROTection for a voltage source, :SENSe:VOLTage:PROTection for
// a current source). :READ? answers the default elements VOLT,CURR,RES,TIME,STAT; bit 3 of the status word is set
// while the output is held at its compliance. :READ? with the output off is an error (803), so the output state is
// asked first. The 2450 is driven in its 2400-compatible command set. LabLink sources positive levels only.

import type { ModelInfo } from '../driver.js';
import { InstrumentError } from '../errors.js';
import type { SmuReadings, SourceFunction } from '../types.js';
import {
  confirm,
  type DriverDefinition,
  flag,
  type Io,
  now,
  oneOf,
  type Param,
  parseMeasurement,
  parseNumber,
  queryBoolean,
  queryNumber,
  ratings,
  send,
} from './table.js';

export const SOURCE_FUNCTIONS: readonly SourceFunction[] = ['VOLT', 'CURR'];

/** Bit 3 of the :READ? status word: the output is limited by its compliance. */
const COMPLIANCE_BIT = 1 << 3;

/** `:SOUR:FUNC?` answers VOLT or CURR. */
function functionOf(reply: string): SourceFunction {
  const text = reply.trim().toUpperCase();
  if (text.startsWith('VOLT')) return 'VOLT';
  if (text.startsWith('CURR')) return 'CURR';
  throw new InstrumentError(`Malformed reply to :SOUR:FUNC?: ${JSON.stringify(reply)}`);
}

/** Levels and compliances are capped by the ratings; compliance has a floor the instrument can hold. */
const level = (unit: 'V' | 'A', min = 0): Param => ({
  type: 'number',
  min,
  unit,
  rated: unit === 'V' ? 'max_voltage' : 'max_current',
});
const compliance = (unit: 'V' | 'A'): Param => level(unit, unit === 'V' ? 1e-3 : 1e-9);

export interface SmuModel {
  model: string;
  /** [volts, amps, watts] of the output. */
  rating: [number, number, number];
}

/** A Keithley 2400-series SourceMeter. */
export function keithley2400Series(m: SmuModel): DriverDefinition {
  const info: ModelInfo = {
    type: 'smu',
    manufacturer: 'Keithley',
    model: m.model,
    channels: 1,
    ratings: ratings(m.rating),
    capabilities: { source_functions: SOURCE_FUNCTIONS },
  };
  const setpoints = async (io: Io) => ({
    voltage: await queryNumber(io, ':SOUR:VOLT:LEV?'),
    current: await queryNumber(io, ':SOUR:CURR:LEV?'),
    voltage_compliance: await queryNumber(io, ':SENS:VOLT:PROT?'),
    current_compliance: await queryNumber(io, ':SENS:CURR:PROT?'),
  });
  return {
    info,
    protocol: 'scpi',
    readingKinds: ['readings'],
    // Queries of the 2400 reference that turn the output on: :MEASure? configures with auto output-off enabled
    // (the output goes on for each measurement), and :READ? does the same once auto output-off is on.
    actingQueries: ['MEASure', 'MEASure:VOLTage', 'MEASure:CURRent', 'MEASure:RESistance', 'READ'],
    commands: {
      set_source_function: {
        description: 'Source a voltage (VOLT) or a current (CURR)',
        control: true,
        params: { function: oneOf(SOURCE_FUNCTIONS) },
        run: send(':SOUR:FUNC {function}'),
      },
      set_voltage: {
        description: 'Set the voltage source level (V)',
        control: true,
        sets: { quantity: 'voltage', param: 'voltage' },
        params: { voltage: level('V') },
        run: send(':SOUR:VOLT:LEV {voltage}'),
      },
      set_current: {
        description: 'Set the current source level (A)',
        control: true,
        sets: { quantity: 'current', param: 'current' },
        params: { current: level('A') },
        run: send(':SOUR:CURR:LEV {current}'),
      },
      set_current_compliance: {
        description: 'Set the current compliance of the voltage source (A)',
        control: true,
        sets: { quantity: 'current', param: 'current_compliance' },
        params: { current_compliance: compliance('A') },
        run: send(':SENS:CURR:PROT {current_compliance}'),
      },
      set_voltage_compliance: {
        description: 'Set the voltage compliance of the current source (V)',
        control: true,
        sets: { quantity: 'voltage', param: 'voltage_compliance' },
        params: { voltage_compliance: compliance('V') },
        run: send(':SENS:VOLT:PROT {voltage_compliance}'),
      },
      set_output: {
        description: 'Turn the output on or off',
        control: true,
        enables: 'enabled',
        params: { enabled: flag() },
        run: send(':OUTP {enabled}'),
      },
      get_setpoints: {
        description: 'Source levels and compliances',
        control: false,
        run: setpoints,
      },
      get_readings: {
        description: 'Source function, levels, compliances, measured V, I and R, output and compliance state',
        control: false,
        run: async (io): Promise<SmuReadings> => {
          const sourceFunction = functionOf(await io.query(':SOUR:FUNC?'));
          const set = await setpoints(io);
          const output = await queryBoolean(io, ':OUTP?');
          const base = {
            timestamp: now(),
            source_function: sourceFunction,
            voltage_set: set.voltage,
            current_set: set.current,
            voltage_compliance: set.voltage_compliance,
            current_compliance: set.current_compliance,
            output_enabled: output,
          };
          if (!output) return { ...base, voltage: 0, current: 0, resistance: null, in_compliance: false };
          const reply = await io.query(':READ?');
          const fields = reply.split(',');
          if (fields.length < 5)
            throw new InstrumentError(`Malformed reply to :READ?: ${JSON.stringify(reply)}`);
          const [v, i, r, , status] = fields as [string, string, string, string, string];
          return {
            ...base,
            voltage: parseNumber(v, ':READ?'),
            current: parseNumber(i, ':READ?'),
            resistance: parseMeasurement(r, ':READ?'),
            in_compliance: (parseNumber(status, ':READ?') & COMPLIANCE_BIT) !== 0,
          };
        },
      },
    },
    safeState: async (io) => {
      await io.write(':OUTP OFF');
      await confirm(io);
    },
  };
}

export const keithley2400 = keithley2400Series({ model: '2400', rating: [210, 1.05, 22] });
export const keithley2401 = keithley2400Series({ model: '2401', rating: [21, 1.05, 22] });
export const keithley2410 = keithley2400Series({ model: '2410', rating: [1100, 1.05, 22] });
export const keithley2420 = keithley2400Series({ model: '2420', rating: [63, 3.15, 66] });
export const keithley2450 = keithley2400Series({ model: '2450', rating: [210, 1.05, 22] });

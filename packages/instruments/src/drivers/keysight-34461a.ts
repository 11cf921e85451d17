// Keysight Truevolt 6½-digit multimeters, 34461A and 34465A (34460A/34461A and 34465A/34470A SCPI references:
// the same commands for everything LabLink drives). The function decides which subsystem owns
// the range, so set_range and get_readings first ask the meter what it is measuring.

import { InstrumentError, OutOfRangeError } from '../errors.js';
import type { MultimeterReadings } from '../types.js';
import {
  type DriverDefinition,
  type Io,
  now,
  oneOf,
  parseBoolean,
  parseMeasurement,
  queryNumber,
} from './table.js';

/** Each function: its unit, the subsystem holding its range, and the largest range (the manual's range tables). */
const FUNCTIONS = {
  'VOLT:DC': { unit: 'V', range: 'VOLT:DC:RANG', max: 1000 },
  'VOLT:AC': { unit: 'V', range: 'VOLT:AC:RANG', max: 750 },
  'CURR:DC': { unit: 'A', range: 'CURR:DC:RANG', max: 10 },
  'CURR:AC': { unit: 'A', range: 'CURR:AC:RANG', max: 10 },
  RES: { unit: 'Ω', range: 'RES:RANG', max: 1e8 },
  FRES: { unit: 'Ω', range: 'FRES:RANG', max: 1e8 },
  // Frequency and period take the range of the input voltage.
  FREQ: { unit: 'Hz', range: 'FREQ:VOLT:RANG', max: 750 },
  PER: { unit: 's', range: 'PER:VOLT:RANG', max: 750 },
  CAP: { unit: 'F', range: 'CAP:RANG', max: 1e-4 },
} as const;
type DmmFunction = keyof typeof FUNCTIONS;
const NAMES = Object.keys(FUNCTIONS) as DmmFunction[];

/** `FUNC?` answers a quoted short form with the DC suffix dropped: "VOLT", "VOLT:AC", "CURR", "RES" … */
async function currentFunction(io: Io): Promise<DmmFunction> {
  const reply = await io.query('FUNC?');
  const name = reply.trim().replaceAll('"', '').toUpperCase();
  const full = name === 'VOLT' || name === 'CURR' ? `${name}:DC` : name;
  const known = NAMES.find((f) => f === full);
  if (known === undefined) throw new InstrumentError(`Unsupported or malformed reply to FUNC?: ${reply}`);
  return known;
}

const truevolt = (model: '34461A' | '34465A'): DriverDefinition => ({
  info: {
    type: 'multimeter',
    manufacturer: 'Keysight',
    model,
    channels: 1,
    ratings: [],
    capabilities: { digits: 6.5, functions: NAMES },
  },
  protocol: 'scpi',
  readingKinds: ['readings'],
  // Queries of the 34460A/34461A reference that act: CALibration[:ALL]? calibrates with CAL:VALue, CAL:ADC?
  // recalibrates the ADC, TEST:ALL? runs the full self-test, R? and DATA:REMove? erase the readings they return.
  actingQueries: ['CALibration[:ALL]', 'CALibration:ADC', 'TEST:ALL', 'R', 'DATA:REMove'],
  commands: {
    set_function: {
      description: 'Select what to measure (range goes to AUTO)',
      control: true,
      params: { function: oneOf(NAMES) },
      run: (io, p) => io.write(`CONF:${p.function}`),
    },
    set_range: {
      description: 'Set the range of the present function, in its unit, or AUTO',
      control: true,
      params: { range: { type: 'number', min: 0, keywords: ['AUTO'] } },
      run: async (io, p) => {
        const fn = FUNCTIONS[await currentFunction(io)];
        if (p.range === 'AUTO') return io.write(`${fn.range}:AUTO ON`);
        const range = Number(p.range);
        if (range > fn.max) throw new OutOfRangeError('range', range, fn.max, 'max');
        await io.write(`${fn.range} ${range}`);
      },
    },
    get_readings: {
      description: 'One reading of the present function (READ?), with its range and unit',
      control: false,
      run: async (io): Promise<MultimeterReadings> => {
        const name = await currentFunction(io);
        const fn = FUNCTIONS[name];
        const auto = parseBoolean(await io.query(`${fn.range}:AUTO?`), `${fn.range}:AUTO?`);
        const range = auto ? 'AUTO' : await queryNumber(io, `${fn.range}?`);
        // An overload reads ±9.9E37: no value.
        const value = parseMeasurement(await io.query('READ?'), 'READ?');
        return { timestamp: now(), function: name, range, value, unit: fn.unit };
      },
    },
  },
  // A meter drives nothing, so there is nothing to turn off.
  safeState: async () => {},
});

export const keysight34461A = truevolt('34461A');
export const keysight34465A = truevolt('34465A');

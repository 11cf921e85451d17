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
  parseNumber,
  queryAll,
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
function functionOf(reply: string): DmmFunction {
  const name = reply.trim().replaceAll('"', '').toUpperCase();
  const full = name === 'VOLT' || name === 'CURR' ? `${name}:DC` : name;
  const known = NAMES.find((f) => f === full);
  if (known === undefined) throw new InstrumentError(`Unsupported or malformed reply to FUNC?: ${reply}`);
  return known;
}

const currentFunction = async (io: Io): Promise<DmmFunction> => functionOf(await io.query('FUNC?'));

/** Whether the range of a function is automatic, and the range it is on. */
const rangeQueries = (name: DmmFunction) => [`:${FUNCTIONS[name].range}:AUTO?`, `:${FUNCTIONS[name].range}?`];

/** The function each connected meter had at its last reading, by its session: what the next reading asks first. */
const lastFunction = new WeakMap<Io, DmmFunction>();

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
        // One compound message, guessing the function is the one this meter had last time (its range queries
        // depend on it); when the guess was wrong, a second message asks the range of the function it has now.
        const guess = lastFunction.get(io) ?? 'VOLT:DC';
        const [func, auto, range, value] = await queryAll(
          io,
          [':FUNC?', ...rangeQueries(guess), ':READ?'],
          true,
        );
        const name = functionOf(func as string);
        lastFunction.set(io, name);
        const [autoReply, rangeReply] =
          name === guess ? [auto, range] : await queryAll(io, rangeQueries(name), true);
        const fn = FUNCTIONS[name];
        return {
          timestamp: now(),
          function: name,
          range: parseBoolean(autoReply as string, `:${fn.range}:AUTO?`)
            ? 'AUTO'
            : parseNumber(rangeReply as string, `:${fn.range}?`),
          // An overload reads ±9.9E37: no value.
          value: parseMeasurement(value as string, ':READ?'),
          unit: fn.unit,
        };
      },
    },
  },
  // A meter drives nothing, so there is nothing to turn off.
  safeState: async () => {},
});

export const keysight34461A = truevolt('34461A');
export const keysight34465A = truevolt('34465A');

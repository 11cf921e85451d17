// Rigol DM3068 6½-digit multimeter in Rigol's own command set (DM3000 programming guide; `CMDS RIGOL`, the
// factory default). Ranges go by index (`:MEAS:VOLT:DC 2` is 20 V), so set_range takes a value in the function's
// unit and sends the smallest range that holds it. The function names are the ones the 34461A driver uses, so a
// user sees the same choices on either meter.

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

/** Each function: the reply of :FUNC?, its header node, unit and ranges by index (DM3068 specifications). */
const FUNCTIONS = {
  'VOLT:DC': { reply: 'DCV', node: 'VOLT:DC', unit: 'V', ranges: [0.2, 2, 20, 200, 1000] },
  'CURR:DC': { reply: 'DCI', node: 'CURR:DC', unit: 'A', ranges: [2e-4, 2e-3, 2e-2, 0.2, 2, 10] },
  RES: { reply: '2WR', node: 'RES', unit: 'Ω', ranges: [200, 2e3, 2e4, 2e5, 1e6, 1e7, 1e8] },
} as const;
type Dm3068Function = keyof typeof FUNCTIONS;
const NAMES = Object.keys(FUNCTIONS) as Dm3068Function[];

async function currentFunction(io: Io): Promise<Dm3068Function> {
  const reply = (await io.query(':FUNC?')).trim().toUpperCase();
  const name = NAMES.find((f) => FUNCTIONS[f].reply === reply);
  if (name === undefined) throw new InstrumentError(`Unsupported or malformed reply to :FUNC?: ${reply}`);
  return name;
}

export const rigolDM3068: DriverDefinition = {
  info: {
    type: 'multimeter',
    manufacturer: 'Rigol',
    model: 'DM3068',
    channels: 1,
    ratings: [],
    capabilities: { digits: 6.5, functions: NAMES },
  },
  protocol: 'scpi',
  readingKinds: ['readings'],
  commands: {
    set_function: {
      description: 'Select what to measure',
      control: true,
      params: { function: oneOf(NAMES) },
      run: (io, p) => io.write(`:FUNC:${FUNCTIONS[p.function as Dm3068Function].node}`),
    },
    set_range: {
      description:
        'Set the range of the present function, in its unit (the smallest range holding it), or AUTO',
      control: true,
      params: { range: { type: 'number', min: 0, keywords: ['AUTO'] } },
      run: async (io, p) => {
        if (p.range === 'AUTO') return io.write(':MEAS:AUTO');
        const fn = FUNCTIONS[await currentFunction(io)];
        const wanted = Number(p.range);
        const index = fn.ranges.findIndex((range) => wanted <= range * (1 + 1e-9));
        if (index < 0) throw new OutOfRangeError('range', wanted, fn.ranges.at(-1) as number, 'max');
        await io.write(`:MEAS:${fn.node} ${index}`);
      },
    },
    get_readings: {
      description: 'One reading of the present function, with its range and unit',
      control: false,
      run: async (io): Promise<MultimeterReadings> => {
        const name = await currentFunction(io);
        const fn = FUNCTIONS[name];
        const auto = parseBoolean(await io.query(':MEAS:AUTO?'), ':MEAS:AUTO?');
        const index = auto ? undefined : await queryNumber(io, `:MEAS:${fn.node}:RANG?`);
        const range = index === undefined ? 'AUTO' : fn.ranges[index];
        if (range === undefined) throw new InstrumentError(`Unknown ${name} range index ${index}`);
        const value = parseMeasurement(await io.query(':MEAS?'), ':MEAS?');
        return { timestamp: now(), function: name, range, value, unit: fn.unit };
      },
    },
  },
  // A meter drives nothing, so there is nothing to turn off.
  safeState: async () => {},
};

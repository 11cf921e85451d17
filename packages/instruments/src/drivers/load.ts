// The electronic-load command set: set_mode, one setpoint command per mode, set_input, get_readings. Rigol's
// DL3000 and Siglent's SDL1000X speak the same SCPI for it ([:SOURce]:FUNCtion CURRent|VOLTage|RESistance|POWer,
// [:SOURce]:<mode>:LEVel:IMMediate, [:SOURce]:INPut:STATe, MEASure:<quantity>?); a model brings its ratings and
// CR range.

import { InstrumentError } from '../errors.js';
import type { ElectronicLoadReadings, LoadMode } from '../types.js';
import {
  amps,
  confirm,
  type DriverDefinition,
  flag,
  type Io,
  now,
  oneOf,
  type Param,
  parseBoolean,
  parseNumber,
  queryAll,
  ratings,
  send,
  volts,
  watts,
} from './table.js';

/** Each mode, the keyword `:SOUR:FUNC` takes for it and the subsystem holding its setpoint. */
const KEYWORD: Record<LoadMode, string> = { CC: 'CURR', CV: 'VOLT', CR: 'RES', CP: 'POW' };
const MODES = Object.keys(KEYWORD) as LoadMode[];

/** `:SOUR:FUNC?` answers the long or short keyword (CURRENT, CURR …); older firmware also the mode name. */
function modeOf(reply: string): LoadMode {
  const text = reply.trim().toUpperCase();
  const mode = MODES.find((m) => text === m || text.startsWith(KEYWORD[m]));
  if (mode === undefined)
    throw new InstrumentError(`Malformed reply to :SOUR:FUNC?: ${JSON.stringify(reply)}`);
  return mode;
}

const MEASURES = [':MEAS:VOLT?', ':MEAS:CURR?', ':MEAS:POW?', ':SOUR:INP:STAT?'];
const setpointQuery = (mode: LoadMode) => `:SOUR:${KEYWORD[mode]}:LEV:IMM?`;
type RawReading = [mode: LoadMode, setpoint: number, measured: string[]];

/** The mode first, then the setpoint of that mode and the measurements: six round trips. */
async function readOneByOne(io: Io): Promise<RawReading> {
  const mode = modeOf(await io.query(':SOUR:FUNC?'));
  const setpoint = parseNumber(await io.query(setpointQuery(mode)), setpointQuery(mode));
  return [mode, setpoint, await queryAll(io, MEASURES, false)];
}

/** Everything in one message: the setpoints of all four modes (the mode picks one), then the measurements. */
async function readCompound(io: Io): Promise<RawReading> {
  const [func, ...rest] = await queryAll(io, [':SOUR:FUNC?', ...MODES.map(setpointQuery), ...MEASURES], true);
  const mode = modeOf(func as string);
  const setpoint = parseNumber(rest[MODES.indexOf(mode)] as string, setpointQuery(mode));
  return [mode, setpoint, rest.slice(MODES.length)];
}

export interface LoadModel {
  manufacturer: string;
  model: string;
  /** [volts, amps, watts] of the input. */
  rating: [number, number, number];
  /** The CR range, Ω. */
  resistance: [number, number];
  capabilities?: Record<string, unknown>;
  /** Takes a reading's queries in one compound message (IEEE 488.2): one round trip instead of six. */
  compound?: boolean;
}

/** A SCPI electronic load with the DL3000 / SDL1000X command set. */
export function scpiElectronicLoad(m: LoadModel): DriverDefinition {
  const [minOhms, maxOhms] = m.resistance;
  const ohms: Param = { type: 'number', min: minOhms, max: maxOhms, unit: 'Ω' };
  return {
    info: {
      type: 'electronic_load',
      manufacturer: m.manufacturer,
      model: m.model,
      channels: 1,
      ratings: ratings(m.rating),
      capabilities: { modes: MODES, resistance_range: m.resistance, ...m.capabilities },
    },
    protocol: 'scpi',
    readingKinds: ['readings'],
    commands: {
      set_mode: {
        description: 'Select constant current, voltage, resistance or power',
        control: true,
        params: { mode: oneOf(MODES) },
        run: (io, p) => io.write(`:SOUR:FUNC ${KEYWORD[p.mode as LoadMode]}`),
      },
      set_current: {
        description: 'Set the CC setpoint (A)',
        control: true,
        sets: { quantity: 'current', param: 'current' },
        params: { current: amps },
        run: send(':SOUR:CURR:LEV:IMM {current}'),
      },
      set_voltage: {
        description: 'Set the CV setpoint (V)',
        control: true,
        sets: { quantity: 'voltage', param: 'voltage' },
        params: { voltage: volts },
        run: send(':SOUR:VOLT:LEV:IMM {voltage}'),
      },
      set_resistance: {
        description: 'Set the CR setpoint (Ω)',
        control: true,
        sets: { quantity: 'resistance', param: 'resistance' },
        params: { resistance: ohms },
        run: send(':SOUR:RES:LEV:IMM {resistance}'),
      },
      set_power: {
        description: 'Set the CP setpoint (W)',
        control: true,
        sets: { quantity: 'power', param: 'power' },
        params: { power: watts },
        run: send(':SOUR:POW:LEV:IMM {power}'),
      },
      set_input: {
        description: 'Turn the load input on or off',
        control: true,
        enables: 'enabled',
        params: { enabled: flag() },
        run: send(':SOUR:INP:STAT {enabled}'),
      },
      get_readings: {
        description: 'Mode, setpoint, measured voltage, current and power, input state',
        control: false,
        run: async (io): Promise<ElectronicLoadReadings> => {
          const [mode, setpoint, rest] = m.compound ? await readCompound(io) : await readOneByOne(io);
          const [voltage, current, power, input] = rest as [string, string, string, string];
          return {
            timestamp: now(),
            mode,
            setpoint,
            voltage: parseNumber(voltage, ':MEAS:VOLT?'),
            current: parseNumber(current, ':MEAS:CURR?'),
            power: parseNumber(power, ':MEAS:POW?'),
            load_enabled: parseBoolean(input, ':SOUR:INP:STAT?'),
          };
        },
      },
    },
    safeState: async (io) => {
      await io.write(':SOUR:INP:STAT OFF');
      await confirm(io);
    },
  };
}

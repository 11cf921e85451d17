// Rigol DL3021 / DL3021A electronic loads (DL3000 Programming Guide). The function keywords are CURR, VOLT, RES
// and POW; the original sent CC/CV/CR/CP, which the instrument rejects (reference §2.4).

import { InstrumentError } from '../errors.js';
import type { ElectronicLoadReadings, LoadMode } from '../types.js';
import {
  amps,
  confirm,
  type DriverDefinition,
  flag,
  now,
  oneOf,
  type Param,
  parseNumber,
  queryBoolean,
  queryNumber,
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

/** CR range of the DL3021 (datasheet): 0.08 Ω to 15 kΩ. */
const ohms: Param = { type: 'number', min: 0.08, max: 15_000, unit: 'Ω' };

function dl3000(model: 'DL3021' | 'DL3021A'): DriverDefinition {
  return {
    info: {
      type: 'electronic_load',
      manufacturer: 'Rigol',
      model,
      channels: 1,
      ratings: ratings([150, 40, 200]),
      capabilities: { modes: MODES, resistance_range: [0.08, 15_000] },
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
          const mode = modeOf(await io.query(':SOUR:FUNC?'));
          const setpoint = `:SOUR:${KEYWORD[mode]}:LEV:IMM?`;
          return {
            timestamp: now(),
            mode,
            setpoint: parseNumber(await io.query(setpoint), setpoint),
            voltage: await queryNumber(io, ':MEAS:VOLT?'),
            current: await queryNumber(io, ':MEAS:CURR?'),
            power: await queryNumber(io, ':MEAS:POW?'),
            load_enabled: await queryBoolean(io, ':SOUR:INP:STAT?'),
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

export const rigolDL3021 = dl3000('DL3021');
export const rigolDL3021A = dl3000('DL3021A');

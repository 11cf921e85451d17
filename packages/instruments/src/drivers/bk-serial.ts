// B&K Precision supplies that speak B&K's serial protocol instead of SCPI (1685B, 1902B): fixed-width commands
// such as VOLT023, a reply to every command ending in "OK\r", and no *IDN?, so the identity comes from the model.
// Setpoints are ROUNDED to the protocol's resolution; the original truncated, sending 2.3 V as VOLT022.

import type { ModelInfo } from '../driver.js';
import { InstrumentError } from '../errors.js';
import type { CommandOptions } from '../session.js';
import { psuCommands } from './psu.js';
import { type DriverDefinition, type DriverSession, formatSteps, type Io, ratings } from './table.js';

const TERMINATOR = 'OK\r';

/**
 * How a session checks that a serial-protocol supply answers (it has no *IDN?): GMAX reads the model's maximum
 * setpoints, always the same reply, and changes nothing.
 */
export const BK_SERIAL_PROBE = { command: 'GMAX', marker: TERMINATOR } as const;

/** Every command, set or query, is answered; reading up to "OK\r" keeps replies and commands in step. */
export function bkSerialIo(session: DriverSession): Io {
  const exchange = (command: string, options?: CommandOptions) =>
    session.queryUntil(command, TERMINATOR, options);
  return {
    query: exchange,
    write: async (command, options) => {
      await exchange(command, options);
    },
    queryBlock: () => Promise.reject(new InstrumentError('The B&K serial protocol has no binary blocks')),
    queryFramed: () =>
      Promise.reject(new InstrumentError('The B&K serial protocol frames every reply by OK')),
  };
}

/** Resolutions of the protocol's digits: setpoints (VOLT/CURR/GETS) and the display (GETD). */
interface Resolution {
  voltageSet: number;
  currentSet: number;
  voltageDisplay: number;
  currentDisplay: number;
}

/** Cuts a fixed-width digit reply into numbers: `digits("025051", [3, 3])` → [25, 51]. */
function digits(reply: string, widths: number[], command: string): number[] {
  const match = new RegExp(`^${widths.map((w) => `(\\d{${w}})`).join('')}$`).exec(reply);
  if (!match) throw new InstrumentError(`Malformed reply to ${command}: ${JSON.stringify(reply)}`);
  return match.slice(1).map(Number);
}

/** A count of protocol steps as a value, without binary noise (23 × 0.1 → 2.3). */
const value = (count: number | undefined, resolution: number) =>
  Number(((count ?? 0) * resolution).toPrecision(12));

function bkSerial(info: ModelInfo, r: Resolution): DriverDefinition {
  return {
    info,
    protocol: 'bk-serial',
    readingKinds: ['readings'],
    commands: psuCommands(info, {
      setVoltage: (io, p) => io.write(`VOLT${formatSteps(Number(p.voltage), r.voltageSet, 3)}`),
      setCurrent: (io, p) => io.write(`CURR${formatSteps(Number(p.current), r.currentSet, 3)}`),
      // Inverted in the protocol: SOUT0 turns the output ON.
      setOutput: (io, p) => io.write(p.enabled ? 'SOUT0' : 'SOUT1'),
      read: async (io) => {
        const [voltage, current, mode] = digits(await io.query('GETD'), [4, 4, 1], 'GETD');
        const [voltageSet, currentSet] = digits(await io.query('GETS'), [3, 3], 'GETS');
        const [off] = digits(await io.query('GOUT'), [1], 'GOUT');
        const output_enabled = off === 0;
        return {
          voltage_set: value(voltageSet, r.voltageSet),
          current_set: value(currentSet, r.currentSet),
          voltage_actual: value(voltage, r.voltageDisplay),
          current_actual: value(current, r.currentDisplay),
          output_enabled,
          regulation: { cv: output_enabled && mode === 0, cc: output_enabled && mode === 1 },
        };
      },
    }),
    safeState: (io) => io.write('SOUT1'),
  };
}

const bkInfo = (model: string, rating: [number, number]): ModelInfo => ({
  type: 'power_supply',
  manufacturer: 'B&K Precision',
  model,
  channels: 1,
  ratings: ratings(rating),
  capabilities: { protocol: 'B&K serial (9600 8N1, replies end in OK)', modes: ['CV', 'CC'] },
});

/** 1685B: 18 V / 5 A; its setpoint current has two decimals and its display three (its manual). */
export const bk1685B = bkSerial(bkInfo('1685B', [18, 5]), {
  voltageSet: 0.1,
  currentSet: 0.01,
  voltageDisplay: 0.01,
  currentDisplay: 0.001,
});

/** 1902B: 60 V / 15 A; one decimal in setpoints, two on the display (1900B series manual). */
export const bk1902B = bkSerial(bkInfo('1902B', [60, 15]), {
  voltageSet: 0.1,
  currentSet: 0.1,
  voltageDisplay: 0.01,
  currentDisplay: 0.01,
});

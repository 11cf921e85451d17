// Korad / RND KA3005P single-output supply on its serial protocol (KA3000 series remote control syntax):
// VSET1:5.00, ISET1:1.000, OUT1/OUT0, and queries whose replies are bare fixed-width values with no terminator
// (VSET1?/VOUT1? → 05.00, ISET1?/IOUT1? → 1.000, STATUS? → one byte: bit 0 CV, bit 6 output on). Nothing frames a
// command either, so each is sent bare and the next waits for a pause the supply needs to take it as ended.
// *IDN? answers a free-form line of unknown length, so the identity comes from the model the user names.

import type { ModelInfo } from '../driver.js';
import { InstrumentError, ParameterError } from '../errors.js';
import type { CommandOptions } from '../session.js';
import { fixedLength } from './framing.js';
import { psuCommands } from './psu.js';
import { type DriverDefinition, type DriverSession, type Io, parseNumber, ratings } from './table.js';

/** The session a Korad supply needs: nothing appended to commands, no probe (no query has a fixed reply). */
export const KORAD_SESSION = { writeTerminator: '', probe: false } as const;

/** The pause the supply needs between commands (its firmware tells commands apart by it). */
export const KORAD_GAP_MS = 50;

/** Reply lengths of the queries, by command. */
function replyLength(command: string): number {
  if (/^[VI](SET|OUT)1\?$/i.test(command)) return 5;
  if (/^STATUS\?$/i.test(command)) return 1;
  throw new ParameterError(
    'command',
    `the Korad protocol frames no reply to ${JSON.stringify(command)}: LabLink reads VSET1? ISET1? VOUT1? IOUT1? STATUS?`,
  );
}

export function koradIo(session: DriverSession): Io {
  let quietUntil = 0;
  /** One command at a time, each after the pause that ends the previous one. */
  const paced = async <T>(exchange: () => Promise<T>): Promise<T> => {
    const wait = quietUntil - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    try {
      return await exchange();
    } finally {
      quietUntil = performance.now() + KORAD_GAP_MS;
    }
  };
  return {
    write: (command, options?: CommandOptions) => paced(() => session.write(command, options)),
    query: async (command, options?: CommandOptions) => {
      const length = replyLength(command.trim());
      const reply = await paced(() => session.queryFramed(command, fixedLength(length), options));
      return reply.toString('latin1');
    },
    queryBlock: () => Promise.reject(new InstrumentError('The Korad protocol has no binary blocks')),
    queryFramed: () => Promise.reject(new InstrumentError('The Korad protocol frames its own replies')),
  };
}

const STATUS_CV = 1 << 0;
const STATUS_OUTPUT = 1 << 6;

function korad(model: string): DriverDefinition {
  const info: ModelInfo = {
    type: 'power_supply',
    manufacturer: 'Korad',
    model,
    channels: 1,
    ratings: ratings([30, 5]),
    capabilities: {
      protocol: 'Korad serial (9600 8N1, no terminators)',
      modes: ['CV', 'CC'],
      resolution: { voltage: 0.01, current: 0.001 },
    },
  };
  return {
    info,
    protocol: 'korad',
    readingKinds: ['readings'],
    commands: psuCommands(info, {
      setVoltage: (io, p) => io.write(`VSET1:${Number(p.voltage).toFixed(2)}`),
      setCurrent: (io, p) => io.write(`ISET1:${Number(p.current).toFixed(3)}`),
      setOutput: (io, p) => io.write(p.enabled ? 'OUT1' : 'OUT0'),
      read: async (io) => {
        const number = async (query: string) => parseNumber(await io.query(query), query);
        const status = (await io.query('STATUS?')).charCodeAt(0);
        const output_enabled = (status & STATUS_OUTPUT) !== 0;
        const cv = output_enabled && (status & STATUS_CV) !== 0;
        return {
          voltage_set: await number('VSET1?'),
          current_set: await number('ISET1?'),
          voltage_actual: await number('VOUT1?'),
          current_actual: await number('IOUT1?'),
          output_enabled,
          regulation: { cv, cc: output_enabled && !cv },
        };
      },
    }),
    // Nothing acknowledges OUT0: the status byte confirms the output went off.
    safeState: async (io) => {
      await io.write('OUT0');
      if ((await io.query('STATUS?')).charCodeAt(0) & STATUS_OUTPUT) {
        throw new InstrumentError(`${model} still reports its output on after OUT0`);
      }
    },
  };
}

export const koradKA3005P = korad('KA3005P');

// Siglent SPD3303X / SPD3303X-E (SPD3000X programming guide). CH1 and CH2 are programmable (32 V / 3.2 A); CH3
// is a fixed output that is only switched off with the others. Output state and CV/CC come from one status word,
// SYSTem:STATus? (hex): bit 0/1 CH1/CH2 in CC, bit 4/5 CH1/CH2 output on. The guide documents no *OPC?, so
// safe state confirms with that status query instead.

import type { ModelInfo } from '../driver.js';
import { InstrumentError } from '../errors.js';
import { psuCommands } from './psu.js';
import { type DriverDefinition, forEachChannel, type Io, queryNumber, ratings, send } from './table.js';

/** `0x0224` (or `0224`) → 0x224. */
export function parseStatusWord(reply: string, query: string): number {
  const text = reply.trim();
  if (!/^(0x)?[0-9a-f]+$/i.test(text)) {
    throw new InstrumentError(`Malformed reply to ${query}: ${JSON.stringify(reply)}`);
  }
  return Number.parseInt(text.replace(/^0x/i, ''), 16);
}

const status = async (io: Io) => parseStatusWord(await io.query('SYST:STAT?'), 'SYST:STAT?');

function spd3303(model: 'SPD3303X' | 'SPD3303X-E'): DriverDefinition {
  const info: ModelInfo = {
    type: 'power_supply',
    manufacturer: 'Siglent',
    model,
    channels: 2,
    ratings: ratings([32, 3.2], [32, 3.2]),
    capabilities: {
      modes: ['CV', 'CC'],
      fixed_output: 'CH3 2.5/3.3/5 V, 3.2 A (switched off by safe state)',
      interfaces: ['LAN', 'USB'],
    },
  };
  const setOutput = send('OUTP CH{channel},{enabled}');
  return {
    info,
    protocol: 'scpi',
    readingKinds: ['readings'],
    commands: psuCommands(info, {
      setVoltage: send('CH{channel}:VOLT {voltage}'),
      setCurrent: send('CH{channel}:CURR {current}'),
      setOutput,
      read: async (io, channel) => {
        const word = await status(io);
        const output_enabled = (word & (1 << (3 + channel))) !== 0;
        const cc = output_enabled && (word & (1 << (channel - 1))) !== 0;
        return {
          voltage_set: await queryNumber(io, `CH${channel}:VOLT?`),
          current_set: await queryNumber(io, `CH${channel}:CURR?`),
          voltage_actual: await queryNumber(io, `MEAS:VOLT? CH${channel}`),
          current_actual: await queryNumber(io, `MEAS:CURR? CH${channel}`),
          output_enabled,
          regulation: { cv: output_enabled && !cc, cc },
        };
      },
    }),
    safeState: async (io) => {
      // CH3 as well: it is an output like the others, only not programmable.
      await forEachChannel(3, (channel) => setOutput(io, { channel, enabled: false }));
      await status(io);
    },
  };
}

export const siglentSPD3303X = spd3303('SPD3303X');
export const siglentSPD3303XE = spd3303('SPD3303X-E');

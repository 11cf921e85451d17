// Rigol DP832 triple-output supply (DP800 Programming Guide). Every command names its channel, so no selection
// step is needed; the regulation mode comes straight from `:OUTP:MODE?` (CV, CC, or UR for unregulated). A
// reading is one compound query (`:OUTP? CH1;:SOUR1:VOLT?;…`), answered in one message.

import { InstrumentError } from '../errors.js';
import { scpiPowerSupply } from './psu.js';
import { ratings } from './table.js';

export const rigolDP832 = scpiPowerSupply(
  {
    type: 'power_supply',
    manufacturer: 'Rigol',
    model: 'DP832',
    channels: 3,
    ratings: ratings([30, 3], [30, 3], [5, 3]),
    capabilities: { modes: ['CV', 'CC'], interfaces: ['LAN', 'USB', 'RS-232'] },
  },
  {
    setVoltage: ':SOUR{channel}:VOLT {voltage}',
    setCurrent: ':SOUR{channel}:CURR {current}',
    setOutput: ':OUTP CH{channel},{enabled}',
    voltageSetpoint: ':SOUR{channel}:VOLT?',
    currentSetpoint: ':SOUR{channel}:CURR?',
    outputState: ':OUTP? CH{channel}',
    measureVoltage: ':MEAS:VOLT? CH{channel}',
    measureCurrent: ':MEAS:CURR? CH{channel}',
    regulation: {
      query: ':OUTP:MODE? CH{channel}',
      parse(reply, query) {
        const mode = reply.trim().toUpperCase();
        if (mode !== 'CV' && mode !== 'CC' && mode !== 'UR') {
          throw new InstrumentError(`Malformed reply to ${query}: ${JSON.stringify(mode)}`);
        }
        return { cv: mode === 'CV', cc: mode === 'CC' };
      },
    },
    compound: true,
  },
);

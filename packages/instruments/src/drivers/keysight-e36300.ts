// Keysight E36300 series triple-output supplies, E36312A and E36313A (E36300 Series programming guide): each
// command carries its channel as a channel list, `VOLT 5,(@1)`, `MEAS:VOLT? (@1)`, `OUTP ON,(@1)`. The mode comes
// from the operation condition register, STAT:OPER:COND? (@n): bit 8 CV, bit 10 CC. A reading is one compound
// query, answered in one message.

import type { ModelInfo } from '../driver.js';
import { scpiPowerSupply } from './psu.js';
import { parseNumber, ratings } from './table.js';

const CV_BIT = 1 << 8;
const CC_BIT = 1 << 10;

const info = (model: string, channelRatings: ModelInfo['ratings']): ModelInfo => ({
  type: 'power_supply',
  manufacturer: 'Keysight',
  model,
  channels: channelRatings.length,
  ratings: channelRatings,
  capabilities: { modes: ['CV', 'CC'], interfaces: ['LAN', 'USB'] },
});

const e36300 = (model: string, channelRatings: ModelInfo['ratings']) =>
  scpiPowerSupply(info(model, channelRatings), {
    // Absolute headers: in a compound query a relative MEAS:CURR? after MEAS:VOLT? would mean MEAS:MEAS:CURR?.
    setVoltage: ':VOLT {voltage},(@{channel})',
    setCurrent: ':CURR {current},(@{channel})',
    setOutput: ':OUTP {enabled},(@{channel})',
    voltageSetpoint: ':VOLT? (@{channel})',
    currentSetpoint: ':CURR? (@{channel})',
    outputState: ':OUTP? (@{channel})',
    measureVoltage: ':MEAS:VOLT? (@{channel})',
    measureCurrent: ':MEAS:CURR? (@{channel})',
    regulation: {
      query: ':STAT:OPER:COND? (@{channel})',
      parse(reply, query) {
        const word = parseNumber(reply, query);
        return { cv: (word & CV_BIT) !== 0, cc: (word & CC_BIT) !== 0 };
      },
    },
    compound: true,
  });

export const keysightE36312A = e36300('E36312A', ratings([6, 5], [25, 1], [25, 1]));
export const keysightE36313A = e36300('E36313A', ratings([6, 10], [25, 2], [25, 2]));

// B&K Precision supplies that speak SCPI: the 9130B (three channels; channel-less commands act on the channel
// chosen with INST:NSEL — the original mixed in the serial protocol for its readings) and the single-output 9205B
// and 9206B (the original drove the 9206B with the serial protocol, which it does not speak). They report CV/CC
// only through status registers whose bit layout their manuals do not pin down, so the mode is told from the
// measurements.

import type { ModelInfo } from '../driver.js';
import { type PsuDialect, scpiPowerSupply } from './psu.js';
import { ratings } from './table.js';

const BK_SCPI: PsuDialect = {
  setVoltage: 'VOLT {voltage}',
  setCurrent: 'CURR {current}',
  setOutput: 'OUTP {enabled}',
  voltageSetpoint: 'VOLT?',
  currentSetpoint: 'CURR?',
  outputState: 'OUTP?',
  measureVoltage: 'MEAS:VOLT?',
  measureCurrent: 'MEAS:CURR?',
};

const info = (model: string, channelRatings: ModelInfo['ratings'], capabilities = {}): ModelInfo => ({
  type: 'power_supply',
  manufacturer: 'B&K Precision',
  model,
  channels: channelRatings.length,
  ratings: channelRatings,
  capabilities: { modes: ['CV', 'CC'], ...capabilities },
});

export const bk9130B = scpiPowerSupply(info('9130B', ratings([30, 3], [30, 3], [5, 3])), {
  ...BK_SCPI,
  select: 'INST:NSEL {channel}',
});

// Multi-range supplies (reference §2.1): full voltage or full current, the power rating caps their product.
export const bk9205B = scpiPowerSupply(
  info('9205B', ratings([120, 10, 600]), { multi_range: true }),
  BK_SCPI,
);
export const bk9206B = scpiPowerSupply(info('9206B', ratings([120, 5, 300]), { multi_range: true }), BK_SCPI);

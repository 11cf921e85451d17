// Keysight InfiniiVision 1000 X and 2000 X oscilloscopes (their programmer's guides). :CHANnel<n>:OFFSet is the
// voltage at screen centre, the opposite sign of LabLink's offset (a shift of the trace, as on Rigol and Siglent
// scopes). Waveforms: :WAVeform:PREamble?, then :WAVeform:DATA? as bytes, volts = (byte − yreference) ×
// yincrement + yorigin. The trigger state comes from :OPERegister:CONDition? (bit 3: running) and :TER? (a
// trigger since the last read). Measurements answer 9.9E+37 when they cannot be made.

import type { ModelInfo } from '../driver.js';
import type { Waveform } from '../types.js';
import { measureItems, parsePreamble, type ScopeOps, scopeDriver } from './scope.js';
import { formatNumber, now, queryNumber } from './table.js';

const RUNNING_BIT = 8;

const ITEMS = {
  vpp: 'VPP',
  vmax: 'VMAX',
  vmin: 'VMIN',
  vavg: 'VAV',
  vrms: 'VRMS',
  freq: 'FREQ',
  period: 'PER',
} as const;

const SLOPE = { POS: 'POS', NEG: 'NEG', RFAL: 'EITH' } as const;

const infiniiVision: ScopeOps = {
  timeScale: [5e-10, 50],
  voltScale: [1e-3, 50],
  probeRatio: [0.001, 10000],
  slopes: ['POS', 'NEG', 'RFAL'],
  couplings: ['DC', 'AC'],
  setTimebase: async (io, scale, offset) => {
    await io.write(`:TIM:SCAL ${formatNumber(scale)}`);
    await io.write(`:TIM:POS ${formatNumber(offset)}`);
  },
  setChannel: async (io, c) => {
    if (c.probe !== undefined) await io.write(`:CHAN${c.channel}:PROB ${formatNumber(c.probe)}`);
    await io.write(`:CHAN${c.channel}:DISP ${c.enabled ? 1 : 0}`);
    await io.write(`:CHAN${c.channel}:SCAL ${formatNumber(c.scale)}`);
    await io.write(`:CHAN${c.channel}:OFFS ${formatNumber(-c.offset)}`);
    await io.write(`:CHAN${c.channel}:COUP ${c.coupling}`);
  },
  setTrigger: async (io, t) => {
    await io.write(':TRIG:MODE EDGE');
    await io.write(`:TRIG:EDGE:SOUR CHAN${t.channel}`);
    await io.write(`:TRIG:EDGE:LEV ${formatNumber(t.level)}`);
    await io.write(`:TRIG:EDGE:SLOP ${SLOPE[t.slope]}`);
  },
  single: (io) => io.write(':SING'),
  run: (io) => io.write(':RUN'),
  stop: (io) => io.write(':STOP'),
  autoscale: (io) => io.write(':AUT'),
  force: (io) => io.write(':TRIG:FORC'),
  triggerStatus: async (io) => {
    if (((await queryNumber(io, ':OPER:COND?')) & RUNNING_BIT) === 0) return 'STOP';
    if ((await queryNumber(io, ':TER?')) === 1) return 'TD';
    return (await io.query(':TRIG:SWE?')).trim().toUpperCase() === 'AUTO' ? 'AUTO' : 'WAIT';
  },
  // One compound message for all seven (the InfiniiVision takes IEEE 488.2 compound queries).
  measure: (io, channel) => measureItems(io, ITEMS, (item) => `:MEAS:${item}? CHAN${channel}`, true),
  waveform: async (io, channel): Promise<Waveform> => {
    await io.write(`:WAV:SOUR CHAN${channel}`);
    await io.write(':WAV:FORM BYTE');
    await io.write(':WAV:POIN:MODE NORM');
    const pre = parsePreamble(await io.query(':WAV:PRE?'));
    const data = await io.queryBlock(':WAV:DATA?');
    const samples = Array.from(data, (byte) => (byte - pre.yref) * pre.yinc + pre.yorigin);
    return {
      timestamp: now(),
      channel,
      sample_rate: pre.xinc > 0 ? 1 / pre.xinc : 0,
      time_scale: await queryNumber(io, ':TIM:SCAL?'),
      voltage_scale: await queryNumber(io, `:CHAN${channel}:SCAL?`),
      voltage_offset: -(await queryNumber(io, `:CHAN${channel}:OFFS?`)),
      num_samples: samples.length,
      x_increment: pre.xinc,
      x_origin: pre.xorigin,
      samples,
    };
  },
};

const info = (model: string, channels: number, capabilities: Record<string, unknown>): ModelInfo => ({
  type: 'oscilloscope',
  manufacturer: 'Keysight',
  model,
  channels,
  ratings: [],
  capabilities,
});

export const keysightDSOX1204G = scopeDriver(
  info('DSOX1204G', 4, { bandwidth: '70MHz', sample_rate: '2GSa/s', series: 'InfiniiVision 1000 X' }),
  infiniiVision,
);
export const keysightDSOX2024A = scopeDriver(
  info('DSO-X 2024A', 4, { bandwidth: '200MHz', sample_rate: '2GSa/s', series: 'InfiniiVision 2000 X' }),
  infiniiVision,
);

// Siglent oscilloscopes. The SDS1000X-E (SDS1104X-E, SDS1202X-E) speaks Siglent's legacy command set: short
// headers (`C1:VDIV 0.5V`, `TDIV 1MS`, `C1:PAVA? PKPK`) whose replies repeat the header and carry a unit
// (`C1:VDIV 5.00E-01V`), and `C1:WF? DAT2` for the samples, scaled with VDIV, OFST, TDIV, TRDL and SARA. The
// SDS2000X Plus (SDS2104X Plus) speaks the newer SCPI set: `:CHANnel1:SCALe`, `:TRIGger:EDGE:…`,
// `:MEASure:SIMPle:VALue? PKPK`, and `:WAVeform:PREamble?`, a binary WAVEDESC block the samples are scaled from.
// Both send signed 8-bit codes: volts = code × V/div / codes-per-division − offset.

import type { ModelInfo } from '../driver.js';
import { InstrumentError } from '../errors.js';
import type { Waveform } from '../types.js';
import { blockAfterHeader } from './framing.js';
import { measureItems, type ScopeOps, scopeDriver, type TriggerStatus } from './scope.js';
import { formatNumber, type Io, now } from './table.js';

/** The number at the end of a Siglent reply, header and unit stripped: `C1:VDIV 5.00E-01V` → 0.5; `****` → null. */
export function siglentValue(reply: string, query: string): number | null {
  const text = reply.trim();
  if (text.endsWith('****')) return null;
  const m = /([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*[A-Za-z%]*$/.exec(text);
  const value = m ? Number(m[1]) : Number.NaN;
  if (!Number.isFinite(value))
    throw new InstrumentError(`Malformed reply to ${query}: ${JSON.stringify(reply)}`);
  return value;
}

async function queryValue(io: Io, query: string): Promise<number> {
  const value = siglentValue(await io.query(query), query);
  if (value === null) throw new InstrumentError(`${query} answered no value`);
  return value;
}

/** Trigger states in Siglent's words (SAST?, :TRIGger:STATus?). */
function triggerStatus(reply: string): TriggerStatus {
  const state = reply.trim().split(/\s+/).at(-1)?.toUpperCase() ?? '';
  if (state === "TRIG'D") return 'TD';
  if (state === 'READY' || state === 'ARM' || state === 'ARMED') return 'WAIT';
  if (state === 'AUTO') return 'AUTO';
  if (state === 'STOP') return 'STOP';
  if (state === 'ROLL') return 'RUN';
  throw new InstrumentError(`Unknown trigger status ${JSON.stringify(reply)}`);
}

/** Measurement items of PAVA and MEASure:SIMPle, in ScopeMeasurements' names. */
const ITEMS = {
  vpp: 'PKPK',
  vmax: 'MAX',
  vmin: 'MIN',
  vavg: 'MEAN',
  vrms: 'RMS',
  freq: 'FREQ',
  period: 'PER',
} as const;

const measurements = (io: Io, query: (item: string) => string) =>
  measureItems(io, ITEMS, query, false, siglentValue);

const signed = (data: Buffer) => Array.from(new Int8Array(data.buffer, data.byteOffset, data.length));

const COUPLING = { DC: 'D1M', AC: 'A1M', GND: 'GND' } as const;
const SLOPE = { POS: 'POS', NEG: 'NEG', RFAL: 'WINDOW' } as const;
/** Horizontal divisions: the legacy set's TDIV spans 14, the SDS2000X Plus's 10. */
const SDS1000XE_GRID = 14;
const SDS2000XP_GRID = 10;

const sds1000xe: ScopeOps = {
  timeScale: [1e-9, 100],
  voltScale: [5e-4, 10],
  probeRatio: [0.1, 10000],
  slopes: ['POS', 'NEG', 'RFAL'],
  setTimebase: async (io, scale, offset) => {
    await io.write(`TDIV ${formatNumber(scale)}S`);
    await io.write(`TRDL ${formatNumber(-offset)}S`);
  },
  setChannel: async (io, c) => {
    // The probe ratio first: the scope rescales V/div when it changes.
    if (c.probe !== undefined) await io.write(`C${c.channel}:ATTN ${formatNumber(c.probe)}`);
    await io.write(`C${c.channel}:TRA ${c.enabled ? 'ON' : 'OFF'}`);
    await io.write(`C${c.channel}:VDIV ${formatNumber(c.scale)}V`);
    await io.write(`C${c.channel}:OFST ${formatNumber(c.offset)}V`);
    await io.write(`C${c.channel}:CPL ${COUPLING[c.coupling]}`);
  },
  setTrigger: async (io, t) => {
    await io.write(`TRSE EDGE,SR,C${t.channel},HT,OFF`);
    await io.write(`C${t.channel}:TRLV ${formatNumber(t.level)}V`);
    await io.write(`C${t.channel}:TRSL ${SLOPE[t.slope]}`);
  },
  single: (io) => io.write('TRMD SINGLE'),
  run: (io) => io.write('ARM'),
  stop: (io) => io.write('STOP'),
  autoscale: (io) => io.write('ASET'),
  force: (io) => io.write('FRTR'),
  triggerStatus: async (io) => triggerStatus(await io.query('SAST?')),
  measure: (io, channel) => measurements(io, (item) => `C${channel}:PAVA? ${item}`),
  waveform: async (io, channel): Promise<Waveform> => {
    const scale = await queryValue(io, `C${channel}:VDIV?`);
    const offset = await queryValue(io, `C${channel}:OFST?`);
    const timeScale = await queryValue(io, 'TDIV?');
    const delay = await queryValue(io, 'TRDL?');
    const sampleRate = await queryValue(io, 'SARA?');
    await io.write('WFSU SP,0,NP,0,FP,0');
    const data = await io.queryFramed(`C${channel}:WF? DAT2`, blockAfterHeader());
    const samples = signed(data).map((code) => (code * scale) / 25 - offset);
    const xinc = sampleRate > 0 ? 1 / sampleRate : 0;
    return {
      timestamp: now(),
      channel,
      sample_rate: sampleRate,
      time_scale: timeScale,
      voltage_scale: scale,
      voltage_offset: offset,
      num_samples: samples.length,
      x_increment: xinc,
      x_origin: -delay - (timeScale * SDS1000XE_GRID) / 2,
      samples,
    };
  },
};

/** The fields of the SDS2000X Plus's WAVEDESC block the samples are scaled with. */
export function parseWaveDescriptor(desc: Buffer) {
  if (desc.length < 346 || desc.toString('latin1', 0, 8) !== 'WAVEDESC') {
    throw new InstrumentError(`Invalid waveform descriptor (${desc.length} bytes)`);
  }
  const probe = desc.readFloatLE(328) || 1;
  return {
    points: desc.readInt32LE(116),
    voltsPerDiv: desc.readFloatLE(156) * probe,
    offset: desc.readFloatLE(160) * probe,
    codesPerDiv: desc.readFloatLE(164),
    interval: desc.readFloatLE(176),
    delay: desc.readDoubleLE(180),
  };
}

const NEW_SLOPE = { POS: 'RISing', NEG: 'FALLing', RFAL: 'ALTernate' } as const;

const sds2000xPlus: ScopeOps = {
  timeScale: [2e-10, 1000],
  voltScale: [5e-4, 10],
  probeRatio: [1e-6, 1e6],
  slopes: ['POS', 'NEG', 'RFAL'],
  setTimebase: async (io, scale, offset) => {
    await io.write(`:TIM:SCAL ${formatNumber(scale)}`);
    await io.write(`:TIM:DEL ${formatNumber(-offset)}`);
  },
  setChannel: async (io, c) => {
    if (c.probe !== undefined) await io.write(`:CHAN${c.channel}:PROB VAL,${formatNumber(c.probe)}`);
    await io.write(`:CHAN${c.channel}:SWIT ${c.enabled ? 'ON' : 'OFF'}`);
    await io.write(`:CHAN${c.channel}:SCAL ${formatNumber(c.scale)}`);
    await io.write(`:CHAN${c.channel}:OFFS ${formatNumber(c.offset)}`);
    await io.write(`:CHAN${c.channel}:COUP ${c.coupling}`);
  },
  setTrigger: async (io, t) => {
    await io.write(':TRIG:TYPE EDGE');
    await io.write(`:TRIG:EDGE:SOUR C${t.channel}`);
    await io.write(`:TRIG:EDGE:LEV ${formatNumber(t.level)}`);
    await io.write(`:TRIG:EDGE:SLOP ${NEW_SLOPE[t.slope]}`);
  },
  single: (io) => io.write(':TRIG:MODE SING'),
  run: (io) => io.write(':TRIG:RUN'),
  stop: (io) => io.write(':TRIG:STOP'),
  autoscale: (io) => io.write(':AUT'),
  force: (io) => io.write(':TRIG:MODE FTRIG'),
  triggerStatus: async (io) => triggerStatus(await io.query(':TRIG:STAT?')),
  measure: async (io, channel) => {
    await io.write(`:MEAS:SIMP:SOUR C${channel}`);
    return measurements(io, (item) => `:MEAS:SIMP:VAL? ${item}`);
  },
  waveform: async (io, channel): Promise<Waveform> => {
    await io.write(`:WAV:SOUR C${channel}`);
    await io.write(':WAV:STAR 0');
    await io.write(':WAV:POIN 0');
    await io.write(':WAV:WIDT BYTE');
    const pre = parseWaveDescriptor(await io.queryBlock(':WAV:PRE?'));
    const data = await io.queryBlock(':WAV:DATA?');
    const samples = signed(data).map((code) => (code * pre.voltsPerDiv) / pre.codesPerDiv - pre.offset);
    const timeScale = await queryValue(io, ':TIM:SCAL?');
    return {
      timestamp: now(),
      channel,
      sample_rate: pre.interval > 0 ? 1 / pre.interval : 0,
      time_scale: timeScale,
      voltage_scale: pre.voltsPerDiv,
      voltage_offset: pre.offset,
      num_samples: samples.length,
      x_increment: pre.interval,
      x_origin: -pre.delay - (timeScale * SDS2000XP_GRID) / 2,
      samples,
    };
  },
};

const info = (model: string, channels: number, capabilities: Record<string, unknown>): ModelInfo => ({
  type: 'oscilloscope',
  manufacturer: 'Siglent',
  model,
  channels,
  ratings: [],
  capabilities,
});

export const siglentSDS1104XE = scopeDriver(
  info('SDS1104X-E', 4, { bandwidth: '100MHz', sample_rate: '1GSa/s', command_set: 'legacy' }),
  sds1000xe,
);
export const siglentSDS1202XE = scopeDriver(
  info('SDS1202X-E', 2, { bandwidth: '200MHz', sample_rate: '1GSa/s', command_set: 'legacy' }),
  sds1000xe,
);
export const siglentSDS2104XPlus = scopeDriver(
  info('SDS2104X Plus', 4, { bandwidth: '100MHz', sample_rate: '2GSa/s', command_set: 'SCPI' }),
  sds2000xPlus,
);

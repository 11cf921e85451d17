// Rigol oscilloscopes: the DS1000Z (DS1054Z, DS1104Z), MSO2000A (MSO2072A) and DS1000D (DS1102D) families share
// one command table; a dialect row says where each family spells a command differently (their programming
// guides). Waveforms carry real samples in volts, scaled from the preamble as the DS1000Z guide prescribes.

import type { ModelInfo } from '../driver.js';
import { InstrumentError } from '../errors.js';
import type { ScopeMeasurements, Waveform } from '../types.js';
import {
  type CommandTable,
  channelOf,
  type DriverDefinition,
  fill,
  flag,
  type Io,
  now,
  oneOf,
  type Param,
  parseMeasurement,
  parseNumber,
  queryNumber,
  send,
} from './table.js';

type Measurement = 'vpp' | 'vmax' | 'vmin' | 'vavg' | 'vrms' | 'freq' | 'period';

interface ScopeDialect {
  /** The timebase subsystem: `:TIM:MAIN` (DS1000Z, MSO2000A) or `:TIM` (DS1000D). */
  timebase: string;
  /** Seconds per division the timebase takes. */
  timeScale: [number, number];
  /** Volts per division at the probe tip, over every probe ratio, and the probe ratios. */
  voltScale: [number, number];
  probeRatio: [number, number];
  slopes: readonly string[];
  /** Trigger sources besides the analog channels, by their common name → this family's keyword. */
  extraSources: Record<string, string>;
  /** Trigger coupling by common name → keyword, and where the coupling is set. */
  couplings: Record<string, string>;
  triggerCoupling: string;
  forceTrigger: string;
  autoscale: string;
  /** The query for one measurement of one source (`{source}` and `{item}` filled in). */
  measure: string;
  items: Record<Measurement, string>;
}

const DS1000Z: ScopeDialect = {
  timebase: ':TIM:MAIN',
  timeScale: [5e-9, 50],
  voltScale: [1e-5, 1e4],
  probeRatio: [0.01, 1000],
  slopes: ['POS', 'NEG', 'RFAL'],
  extraSources: { ACLINE: 'AC' },
  couplings: { DC: 'DC', AC: 'AC', LFREJECT: 'LFR', HFREJECT: 'HFR' },
  triggerCoupling: ':TRIG:COUP {coupling}',
  forceTrigger: ':TFOR',
  autoscale: ':AUT',
  measure: ':MEAS:ITEM? {item},{source}',
  items: { vpp: 'VPP', vmax: 'VMAX', vmin: 'VMIN', vavg: 'VAVG', vrms: 'VRMS', freq: 'FREQ', period: 'PER' },
};

const MSO2000A: ScopeDialect = {
  ...DS1000Z,
  timeScale: [2e-9, 1000],
  voltScale: [5e-6, 1e4],
  extraSources: { EXT: 'EXT', ACLINE: 'ACL' },
  measure: ':MEAS:{item}? {source}',
};

const DS1000D: ScopeDialect = {
  timebase: ':TIM',
  timeScale: [2e-9, 50],
  voltScale: [2e-3, 1e4],
  probeRatio: [1, 1000],
  slopes: ['POS', 'NEG'],
  extraSources: { EXT: 'EXT', ACLINE: 'ACL' },
  couplings: { DC: 'DC', AC: 'AC', LFREJECT: 'LF', HFREJECT: 'HF' },
  triggerCoupling: ':TRIG:EDGE:COUP {coupling}',
  forceTrigger: ':FORC',
  autoscale: ':AUTO',
  measure: ':MEAS:{item}? {source}',
  items: { ...DS1000Z.items, vavg: 'VAV' },
};

const range = ([min, max]: [number, number], unit: string, fallback?: number): Param => ({
  type: 'number',
  min,
  max,
  unit,
  ...(fallback === undefined ? {} : { optional: true, default: fallback }),
});
const anyNumber = (unit: string, fallback: number): Param => ({
  type: 'number',
  unit,
  optional: true,
  default: fallback,
});

/** `:WAV:PRE?`: format,type,points,count,xincrement,xorigin,xreference,yincrement,yorigin,yreference. */
function parsePreamble(reply: string) {
  const fields = reply.split(',');
  if (fields.length < 10) throw new InstrumentError(`Invalid preamble format: ${JSON.stringify(reply)}`);
  const field = (i: number) => parseNumber(fields[i] ?? '', ':WAV:PRE?');
  return { xinc: field(4), xorigin: field(5), yinc: field(7), yorigin: field(8), yref: field(9) };
}

function scopeCommands(info: ModelInfo, d: ScopeDialect): CommandTable {
  const channels = Array.from({ length: info.channels }, (_, i) => `CHAN${i + 1}`);
  const sourceKeyword: Record<string, string> = {
    ...Object.fromEntries(channels.map((c) => [c, c])),
    ...d.extraSources,
  };
  const channel = channelOf(info.channels);
  const measure = async (io: Io, item: string, source: string) => {
    const query = fill(d.measure, { item, source });
    return parseMeasurement(await io.query(query), query);
  };

  return {
    set_timebase: {
      description: 'Set the horizontal scale (s/div) and offset (s)',
      control: true,
      params: { scale: range(d.timeScale, 's/div'), offset: anyNumber('s', 0) },
      run: send(`${d.timebase}:SCAL {scale}`, `${d.timebase}:OFFS {offset}`),
    },
    set_channel: {
      description: 'Configure an analog channel: display, scale (V/div), offset (V), coupling, probe ratio',
      control: true,
      params: {
        channel: channelOf(info.channels, true),
        enabled: flag(true),
        scale: range(d.voltScale, 'V/div', 1),
        offset: anyNumber('V', 0),
        coupling: oneOf(['DC', 'AC', 'GND'], 'DC'),
        probe: { ...range(d.probeRatio, 'x'), optional: true },
      },
      run: async (io, p) => {
        // The probe ratio goes first: the instrument rescales V/div when it changes.
        if (p.probe !== undefined) await io.write(fill(':CHAN{channel}:PROB {probe}', p));
        await send(
          ':CHAN{channel}:DISP {enabled}',
          ':CHAN{channel}:SCAL {scale}',
          ':CHAN{channel}:OFFS {offset}',
          ':CHAN{channel}:COUP {coupling}',
        )(io, p);
      },
    },
    set_trigger: {
      description: 'Set up the trigger: source, mode, level (V), slope, coupling',
      control: true,
      params: {
        source: oneOf(Object.keys(sourceKeyword), 'CHAN1'),
        // Edge only: the other trigger modes each need parameters of their own.
        mode: oneOf(['EDGE'], 'EDGE'),
        level: anyNumber('V', 0),
        slope: oneOf(d.slopes, 'POS'),
        coupling: { ...oneOf(Object.keys(d.couplings)), optional: true },
      },
      run: async (io, p) => {
        const source = sourceKeyword[String(p.source)] ?? '';
        await send(
          ':TRIG:MODE EDGE',
          ':TRIG:EDGE:SOUR {source}',
          ':TRIG:EDGE:LEV {level}',
          ':TRIG:EDGE:SLOP {slope}',
        )(io, { ...p, source });
        if (p.coupling !== undefined) {
          await io.write(fill(d.triggerCoupling, { coupling: d.couplings[String(p.coupling)] ?? '' }));
        }
      },
    },
    trigger_single: { description: 'Acquire once', control: true, run: send(':SING') },
    trigger_run: { description: 'Run continuously', control: true, run: send(':RUN') },
    trigger_stop: { description: 'Stop acquiring', control: true, run: send(':STOP') },
    autoscale: {
      description: 'Let the scope set itself up for the signals present',
      control: true,
      run: send(d.autoscale),
    },
    force_trigger: {
      description: 'Trigger now, whatever the trigger condition',
      control: true,
      run: send(d.forceTrigger),
    },
    get_trigger_status: {
      description: 'Trigger state: TD (triggered), WAIT, RUN, AUTO or STOP',
      control: false,
      run: async (io) => (await io.query(':TRIG:STAT?')).trim().toUpperCase().replace("T'D", 'TD'),
    },
    get_measurements: {
      description:
        'Vpp, Vmax, Vmin, Vavg, Vrms (V), frequency (Hz) and period (s) of a channel; null if not measurable',
      control: false,
      params: { channel },
      run: async (io, p): Promise<ScopeMeasurements> => {
        const source = `CHAN${p.channel}`;
        const result: Partial<ScopeMeasurements> = {};
        for (const [name, item] of Object.entries(d.items)) result[name] = await measure(io, item, source);
        return result as ScopeMeasurements;
      },
    },
    get_waveform: {
      description: 'The displayed waveform of a channel, in volts',
      control: false,
      params: { channel },
      run: async (io, p): Promise<Waveform> => {
        await send(':WAV:SOUR CHAN{channel}', ':WAV:MODE NORM', ':WAV:FORM BYTE')(io, p);
        const pre = parsePreamble(await io.query(':WAV:PRE?'));
        const data = await io.queryBlock(':WAV:DATA?');
        const samples = Array.from(data, (byte) => (byte - pre.yorigin - pre.yref) * pre.yinc);
        return {
          timestamp: now(),
          channel: Number(p.channel),
          sample_rate: pre.xinc > 0 ? 1 / pre.xinc : 0,
          time_scale: await queryNumber(io, `${d.timebase}:SCAL?`),
          voltage_scale: await queryNumber(io, fill(':CHAN{channel}:SCAL?', p)),
          voltage_offset: await queryNumber(io, fill(':CHAN{channel}:OFFS?', p)),
          num_samples: samples.length,
          x_increment: pre.xinc,
          x_origin: pre.xorigin,
          samples,
        };
      },
    },
  };
}

function rigolScope(
  model: string,
  dialect: ScopeDialect,
  channels: number,
  capabilities: Record<string, unknown>,
): DriverDefinition {
  const info: ModelInfo = {
    type: 'oscilloscope',
    manufacturer: 'Rigol',
    model,
    channels,
    ratings: [],
    capabilities,
  };
  return {
    info,
    protocol: 'scpi',
    readingKinds: ['measurements', 'waveform'],
    commands: scopeCommands(info, dialect),
    // A scope drives nothing, so there is nothing to turn off.
    safeState: async () => {},
  };
}

export const rigolDS1054Z = rigolScope('DS1054Z', DS1000Z, 4, {
  bandwidth: '50MHz',
  sample_rate: '1GSa/s',
  memory_depth: '12Mpts',
});
export const rigolDS1104Z = rigolScope('DS1104Z', DS1000Z, 4, {
  bandwidth: '100MHz',
  sample_rate: '1GSa/s',
  memory_depth: '12Mpts',
});
export const rigolDS1102D = rigolScope('DS1102D', DS1000D, 2, {
  bandwidth: '100MHz',
  sample_rate: '1GSa/s',
  memory_depth: '16kpts',
  digital_channels: 16,
});
export const rigolMSO2072A = rigolScope('MSO2072A', MSO2000A, 2, {
  bandwidth: '70MHz',
  sample_rate: '2GSa/s',
  memory_depth: '14Mpts',
  digital_channels: 16,
});

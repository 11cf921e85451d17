// The oscilloscope command set every scope driver shares (Rigol, Siglent, Keysight): the same command names and
// parameters, so the server and the web app drive any scope alike, with each family saying in a ScopeOps how it
// does each operation.

import type { ModelInfo } from '../driver.js';
import { InstrumentError } from '../errors.js';
import type { ScopeMeasurements, Waveform } from '../types.js';
import {
  type CommandTable,
  channelOf,
  type DriverDefinition,
  flag,
  type Io,
  oneOf,
  type Param,
  parseMeasurement,
  parseNumber,
  queryAll,
  type Values,
} from './table.js';

export type Slope = 'POS' | 'NEG' | 'RFAL';
export type TriggerStatus = 'TD' | 'WAIT' | 'RUN' | 'AUTO' | 'STOP';

export interface ChannelSetup {
  channel: number;
  enabled: boolean;
  scale: number;
  offset: number;
  coupling: 'DC' | 'AC' | 'GND';
  probe?: number;
}

export interface TriggerSetup {
  /** CHAN1…CHANn, or one of the family's extraTriggerSources. */
  source: string;
  /** The channel of a CHANn source; NaN for an extra source, which only families that declare one see. */
  channel: number;
  level: number;
  slope: Slope;
  /** One of the family's triggerCouplings, when the caller chose one. */
  coupling?: string;
}

/** How one scope family does each operation. */
export interface ScopeOps {
  /** s/div, V/div (at the probe tip) and probe ratios the family takes. */
  timeScale: [number, number];
  voltScale: [number, number];
  probeRatio: [number, number];
  slopes: readonly Slope[];
  /** Input couplings the family has. Default DC, AC and GND. */
  couplings?: readonly ChannelSetup['coupling'][];
  /** Trigger sources besides the analog channels (EXT, ACLINE), if the family takes any. */
  extraTriggerSources?: readonly string[];
  /** Trigger couplings set_trigger may choose among; without them it has no coupling parameter. */
  triggerCouplings?: readonly string[];
  setTimebase(io: Io, scale: number, offset: number): Promise<void>;
  setChannel(io: Io, setup: ChannelSetup): Promise<void>;
  setTrigger(io: Io, trigger: TriggerSetup): Promise<void>;
  single(io: Io): Promise<void>;
  run(io: Io): Promise<void>;
  stop(io: Io): Promise<void>;
  autoscale(io: Io): Promise<void>;
  force(io: Io): Promise<void>;
  triggerStatus(io: Io): Promise<TriggerStatus>;
  measure(io: Io, channel: number): Promise<ScopeMeasurements>;
  waveform(io: Io, channel: number): Promise<Waveform>;
}

/**
 * The automatic measurements of a channel: each item (`items`, in the family's words) asked with `queryOf(item)`,
 * all in one compound message when the family takes them (`compound`), read with `parse` (9.9E37 is no value).
 */
export async function measureItems(
  io: Io,
  items: Record<keyof ScopeMeasurements, string>,
  queryOf: (item: string) => string,
  compound: boolean,
  parse: (reply: string, query: string) => number | null = parseMeasurement,
): Promise<ScopeMeasurements> {
  const entries = Object.entries(items) as [keyof ScopeMeasurements, string][];
  const queries = entries.map(([, item]) => queryOf(item));
  const replies = await queryAll(io, queries, compound);
  const result = {} as ScopeMeasurements;
  entries.forEach(([name], i) => {
    result[name] = parse(replies[i] as string, queries[i] as string);
  });
  return result;
}

/**
 * The ten-field `:WAV:PRE?` answer of the Rigol and Keysight scopes: format,type,points,count,xincrement,xorigin,
 * xreference,yincrement,yorigin,yreference; the fields the samples are scaled with.
 */
export function parsePreamble(reply: string) {
  const fields = reply.split(',');
  if (fields.length < 10) throw new InstrumentError(`Invalid preamble format: ${JSON.stringify(reply)}`);
  const field = (i: number) => parseNumber(fields[i] ?? '', ':WAV:PRE?');
  return { xinc: field(4), xorigin: field(5), yinc: field(7), yorigin: field(8), yref: field(9) };
}

const numberIn = ([min, max]: [number, number], unit: string, fallback?: number): Param => ({
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

const channelNumber = (source: unknown) => Number(String(source).replace(/^CHAN/, ''));

export function scopeCommands(info: ModelInfo, ops: ScopeOps): CommandTable {
  const sources = [
    ...Array.from({ length: info.channels }, (_, i) => `CHAN${i + 1}`),
    ...(ops.extraTriggerSources ?? []),
  ];
  const channel = channelOf(info.channels);
  const action = (description: string, run: (io: Io) => Promise<void>) => ({
    description,
    control: true,
    run: (io: Io) => run(io),
  });
  return {
    set_timebase: {
      description: 'Set the horizontal scale (s/div) and offset (s)',
      control: true,
      params: { scale: numberIn(ops.timeScale, 's/div'), offset: anyNumber('s', 0) },
      run: (io, p) => ops.setTimebase(io, Number(p.scale), Number(p.offset)),
    },
    set_channel: {
      description: 'Configure an analog channel: display, scale (V/div), offset (V), coupling, probe ratio',
      control: true,
      params: {
        channel: channelOf(info.channels, true),
        enabled: flag(true),
        scale: numberIn(ops.voltScale, 'V/div', 1),
        offset: anyNumber('V', 0),
        coupling: oneOf(ops.couplings ?? ['DC', 'AC', 'GND'], 'DC'),
        probe: { ...numberIn(ops.probeRatio, 'x'), optional: true },
      },
      run: (io, p: Values) =>
        ops.setChannel(io, {
          channel: Number(p.channel),
          enabled: Boolean(p.enabled),
          scale: Number(p.scale),
          offset: Number(p.offset),
          coupling: p.coupling as ChannelSetup['coupling'],
          ...(p.probe === undefined ? {} : { probe: Number(p.probe) }),
        }),
    },
    set_trigger: {
      description: `Set up the edge trigger: source, level (V), slope${ops.triggerCouplings ? ', coupling' : ''}`,
      control: true,
      params: {
        source: oneOf(sources, 'CHAN1'),
        // Edge only: the other trigger modes each need parameters of their own.
        mode: oneOf(['EDGE'], 'EDGE'),
        level: anyNumber('V', 0),
        slope: oneOf(ops.slopes, 'POS'),
        ...(ops.triggerCouplings ? { coupling: { ...oneOf(ops.triggerCouplings), optional: true } } : {}),
      },
      run: (io, p) =>
        ops.setTrigger(io, {
          source: String(p.source),
          channel: channelNumber(p.source),
          level: Number(p.level),
          slope: p.slope as Slope,
          ...(p.coupling === undefined ? {} : { coupling: String(p.coupling) }),
        }),
    },
    trigger_single: action('Acquire once', ops.single),
    trigger_run: action('Run continuously', ops.run),
    trigger_stop: action('Stop acquiring', ops.stop),
    autoscale: action('Let the scope set itself up for the signals present', ops.autoscale),
    force_trigger: action('Trigger now, whatever the trigger condition', ops.force),
    get_trigger_status: {
      description: 'Trigger state: TD (triggered), WAIT, RUN, AUTO or STOP',
      control: false,
      run: (io) => ops.triggerStatus(io),
    },
    get_measurements: {
      description:
        'Vpp, Vmax, Vmin, Vavg, Vrms (V), frequency (Hz) and period (s) of a channel; null if not measurable',
      control: false,
      params: { channel },
      run: (io, p) => ops.measure(io, Number(p.channel)),
    },
    get_waveform: {
      description: 'The displayed waveform of a channel, in volts',
      control: false,
      params: { channel },
      run: (io, p) => ops.waveform(io, Number(p.channel)),
    },
  };
}

/** A scope driver: no outputs, so nothing to make safe. */
export function scopeDriver(info: ModelInfo, ops: ScopeOps): DriverDefinition {
  return {
    info,
    protocol: 'scpi',
    readingKinds: ['measurements', 'waveform'],
    commands: scopeCommands(info, ops),
    // A scope drives nothing, so there is nothing to turn off.
    safeState: async () => {},
  };
}

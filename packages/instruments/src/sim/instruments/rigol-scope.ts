// Rigol oscilloscopes: DS1054Z/DS1104Z (DS1000Z Programming Guide), MSO2072A (MSO2000A) and DS1102D (DS1000D),
// as one table with the family differences spelled out in ScopeDialect.
//
// Waveform transfer follows the DS1000Z guide: :WAVeform:PREamble? answers
//   format,type,points,count,xincrement,xorigin,xreference,yincrement,yorigin,yreference
// e.g. 0,0,1200,1,1.000000e-05,-6.000000e-03,0,4.000000e-02,0,127, and :WAVeform:DATA? a definite-length block
// (#9000001200 + 1200 bytes) in which volts = (byte − yorigin − yreference) × yincrement. WORD sends each code as
// two bytes (low byte first, high byte 0); ASCii sends the volts as comma-separated %e numbers inside the block.
// Measurements print as %e (1.000000e+03; DS1000D: 1.000e+03) and 9.9E37 when not measurable.

import type { Measurements } from '../physics/measure.js';
import type {
  ChannelSettings,
  Coupling,
  OscilloscopeSim,
  Signal,
  SignalShape,
  Slope,
  Sweep,
  WaveformRecord,
  WaveMode,
} from '../physics/scope.js';
import { definiteBlock } from '../scpi/block.js';
import type { CommandContext, CommandSpec, Response } from '../scpi/engine.js';
import { ScpiError } from '../scpi/errors.js';
import { INVALID, sci } from './format.js';
import { channelDisplay, runControls, sourceSetting } from './scope-commands.js';

export interface ScopeDialect {
  /** DS1000Z/MSO2000A write :TIMebase[:MAIN]:SCALe; the DS1000D has no MAIN node but an optional DELayed one. */
  timebaseNode: '[:MAIN]' | '[:DELayed]';
  /** Seconds per division the timebase accepts. */
  timebaseRange: [number, number];
  /** Volts per division a channel accepts (1× probe). */
  scaleRange: [number, number];
  /** Mantissa digits of %e replies (6 on the DS1000Z/MSO2000A, 3 on the DS1000D). */
  digits: number;
  /** The DS1000Z's :MEASure:ITEM? <item>[,<source>]. */
  measureItem: boolean;
  /** DS1000D spellings: :WAVeform:POINts:MODE, :AUTO, :FORCetrig. */
  ds1000d: boolean;
}

export const DS1000Z_DIALECT: ScopeDialect = {
  timebaseNode: '[:MAIN]',
  timebaseRange: [5e-9, 50],
  scaleRange: [1e-3, 10],
  digits: 6,
  measureItem: true,
  ds1000d: false,
};
export const MSO2000A_DIALECT: ScopeDialect = {
  timebaseNode: '[:MAIN]',
  timebaseRange: [2e-9, 1000],
  scaleRange: [500e-6, 10],
  digits: 6,
  measureItem: false,
  ds1000d: false,
};
export const DS1000D_DIALECT: ScopeDialect = {
  timebaseNode: '[:DELayed]',
  timebaseRange: [2e-9, 50],
  scaleRange: [2e-3, 10],
  digits: 3,
  measureItem: false,
  ds1000d: true,
};

const PROBE_RATIOS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
const WAVE_MODES = { NORMal: 'NORM', MAXimum: 'MAX', RAW: 'RAW' } as const;
const FORMATS = { BYTE: 0, WORD: 1, ASCii: 2 } as const;
const SLOPES = { POSitive: 'POS', NEGative: 'NEG', RFALl: 'RFAL' } as const;
const SWEEPS = { AUTO: 'AUTO', NORMal: 'NORM', SINGle: 'SING' } as const;
const SHAPES = { SINE: 'sine', SQUare: 'square', TRIangle: 'triangle', NOISe: 'noise', DC: 'dc' } as const;

/** Measurement names of :MEASure:<name>? and of :MEASure:ITEM?, with the quantity each reports. */
const MEASUREMENTS: ReadonlyArray<{ pattern: string; item?: string; pick: keyof Measurements }> = [
  { pattern: 'VPP', item: 'VPP', pick: 'vpp' },
  { pattern: 'VMAX', item: 'VMAX', pick: 'vmax' },
  { pattern: 'VMIN', item: 'VMIN', pick: 'vmin' },
  { pattern: 'VAVerage', pick: 'vavg' },
  { pattern: 'VAVG', item: 'VAVG', pick: 'vavg' },
  { pattern: 'VRMS', item: 'VRMS', pick: 'vrms' },
  { pattern: 'FREQuency', item: 'FREQuency', pick: 'freq' },
  { pattern: 'PERiod', item: 'PERiod', pick: 'period' },
  { pattern: 'RISetime', item: 'RTIMe', pick: 'rise' },
  { pattern: 'FALLtime', item: 'FTIMe', pick: 'fall' },
  { pattern: 'PWIDth', item: 'PWIDth', pick: 'pwidth' },
  { pattern: 'NWIDth', item: 'NWIDth', pick: 'nwidth' },
  { pattern: 'PDUTycycle', item: 'PDUTy', pick: 'pduty' },
  { pattern: 'NDUTycycle', item: 'NDUTy', pick: 'nduty' },
  // The original LabLink driver asks the DS1102D for :MEAS:DUTY?; accepted as the positive duty cycle.
  { pattern: 'DUTYcycle', pick: 'pduty' },
];

export function rigolScopeCommands(scope: OscilloscopeSim, dialect: ScopeDialect): CommandSpec[] {
  const count = scope.geometry.channels;
  const num = (value: number) => sci(value, dialect.digits);
  // Settings of the remote interface rather than of the acquisition; *RST of these is not modelled.
  const state = {
    triggerMode: 'EDGE',
    waveSource: 1,
    waveMode: 'NORM' as WaveMode,
    format: 'BYTE' as keyof typeof FORMATS,
    measureSource: 1,
  };

  /** The channel of a CHANnel<n> header. */
  const headerChannel = (ctx: CommandContext) => {
    const n = ctx.suffix('CHANnel') ?? 1;
    if (n < 1 || n > count) throw new ScpiError(-114);
    return n;
  };
  const sourceArg = (ctx: CommandContext, index: number) => ctx.params.channel(index, ['CHANnel'], count);
  /** A command whose single parameter is a channel source. */
  const onlySource = (ctx: CommandContext) => {
    ctx.params.atMost(1);
    return sourceArg(ctx, 0);
  };
  const settingsOf = (ctx: CommandContext) => scope.channels[headerChannel(ctx) - 1] as ChannelSettings;
  const enumSetting = <K extends string, V extends string>(table: Record<K, V>, ctx: CommandContext): V =>
    table[ctx.params.atMost(1).keyword(0, Object.keys(table) as K[])];

  const measured = (n: number, pick: keyof Measurements): string => {
    if (!scope.channels[n - 1]?.display) return INVALID;
    const value = scope.measure(n)[pick];
    return value === null ? INVALID : num(value);
  };

  // A channel that is off acquires nothing: its data is an empty block.
  const waveData = (n: number): Response =>
    definiteBlock(
      scope.channels[n - 1]?.display
        ? encode(scope.waveform(n, state.waveMode), state.format)
        : Buffer.alloc(0),
    );

  const timebase = `:TIMebase${dialect.timebaseNode}`;
  const commands: CommandSpec[] = [
    {
      pattern: `${timebase}:SCALe`,
      set: (ctx) => {
        const [min, max] = dialect.timebaseRange;
        scope.timebase.scale = ctx.params.atMost(1).number(0, { min, max });
      },
      query: () => num(scope.timebase.scale),
    },
    {
      pattern: `${timebase}:OFFSet`,
      set: (ctx) => {
        scope.timebase.offset = ctx.params.atMost(1).number(0, { min: -1000, max: 1000 });
      },
      query: () => num(scope.timebase.offset),
    },
    {
      pattern: ':CHANnel<n>:SCALe',
      set: (ctx) => {
        const [min, max] = dialect.scaleRange;
        settingsOf(ctx).scale = ctx.params.atMost(1).number(0, { min, max });
      },
      query: (ctx) => num(settingsOf(ctx).scale),
    },
    {
      pattern: ':CHANnel<n>:OFFSet',
      set: (ctx) => {
        settingsOf(ctx).offset = ctx.params.atMost(1).number(0, { min: -100, max: 100 });
      },
      query: (ctx) => num(settingsOf(ctx).offset),
    },
    {
      pattern: ':CHANnel<n>:COUPling',
      set: (ctx) => {
        settingsOf(ctx).coupling = ctx.params.atMost(1).keyword(0, ['DC', 'AC', 'GND'] as Coupling[]);
      },
      query: (ctx) => settingsOf(ctx).coupling,
    },
    {
      pattern: ':CHANnel<n>:PROBe',
      set: (ctx) => {
        const ratio = ctx.params.atMost(1).number(0);
        if (!PROBE_RATIOS.includes(ratio)) throw new ScpiError(-224);
        settingsOf(ctx).probe = ratio;
      },
      query: (ctx) => num(settingsOf(ctx).probe),
    },
    channelDisplay(settingsOf),
    {
      pattern: ':TRIGger:MODE',
      // Only edge triggering is simulated; the other modes are accepted and trigger like an edge.
      set: (ctx) => {
        state.triggerMode = ctx.params.atMost(1).keyword(0, ['EDGE', 'PULSe', 'SLOPe', 'VIDeo', 'PATTern']);
      },
      query: () => state.triggerMode.replace(/[a-z]/g, ''),
    },
    sourceSetting(':TRIGger:EDGe:SOURce', scope.trigger, 'source', onlySource),
    {
      pattern: ':TRIGger:EDGe:LEVel',
      set: (ctx) => {
        scope.trigger.level = ctx.params.atMost(1).number(0, { min: -1000, max: 1000 });
      },
      query: () => num(scope.trigger.level),
    },
    {
      pattern: ':TRIGger:EDGe:SLOPe',
      set: (ctx) => {
        scope.trigger.slope = enumSetting<keyof typeof SLOPES, Slope>(SLOPES, ctx);
      },
      query: () => scope.trigger.slope,
    },
    {
      pattern: ':TRIGger:SWEep',
      set: (ctx) => {
        scope.trigger.sweep = enumSetting<keyof typeof SWEEPS, Sweep>(SWEEPS, ctx);
      },
      query: () => scope.trigger.sweep,
    },
    { pattern: ':TRIGger:STATus', query: () => scope.triggerStatus() },
    ...runControls(scope),
    { pattern: ':TFORce', set: () => scope.forceTrigger() },
    sourceSetting(':WAVeform:SOURce', state, 'waveSource', onlySource),
    {
      pattern: ':WAVeform:MODE',
      set: (ctx) => {
        state.waveMode = enumSetting<keyof typeof WAVE_MODES, WaveMode>(WAVE_MODES, ctx);
      },
      query: () => state.waveMode,
    },
    {
      pattern: ':WAVeform:FORMat',
      set: (ctx) => {
        state.format = ctx.params.atMost(1).keyword(0, Object.keys(FORMATS) as Array<keyof typeof FORMATS>);
      },
      query: () => state.format.replace(/[a-z]/g, ''),
    },
    {
      pattern: ':WAVeform:PREamble',
      query: () => {
        const r = scope.waveform(state.waveSource, state.waveMode);
        const type = { NORM: 0, MAX: 1, RAW: 2 }[state.waveMode];
        return [
          FORMATS[state.format],
          type,
          r.points,
          1,
          sci(r.xincrement),
          sci(r.xorigin),
          0,
          sci(r.yincrement),
          r.yorigin,
          r.yreference,
        ].join(',');
      },
    },
    {
      pattern: ':WAVeform:DATA',
      // The DS1000D names the source in the query; the others use :WAVeform:SOURce (accepted by all here).
      query: (ctx) => waveData(ctx.params.has(0) ? sourceArg(ctx, 0) : state.waveSource),
    },
    sourceSetting(':MEASure:SOURce', state, 'measureSource', onlySource),
    ...MEASUREMENTS.map(
      ({ pattern, pick }): CommandSpec => ({
        pattern: `:MEASure:${pattern}`,
        query: (ctx) => measured(ctx.params.has(0) ? sourceArg(ctx, 0) : state.measureSource, pick),
      }),
    ),
    {
      pattern: ':SIMulate:SIGNal',
      set: (ctx) => {
        ctx.params.atMost(6);
        const n = sourceArg(ctx, 0);
        const shape: SignalShape =
          SHAPES[ctx.params.keyword(1, Object.keys(SHAPES) as Array<keyof typeof SHAPES>)];
        const value = (i: number, fallback: number) => (ctx.params.has(i) ? ctx.params.number(i) : fallback);
        const current = scope.signals[n - 1] as Signal;
        const signal: Signal = {
          shape,
          frequency: value(2, current.frequency),
          amplitude: value(3, current.amplitude),
          offset: value(4, current.offset),
          noise: value(5, current.noise),
        };
        if (signal.frequency < 0 || signal.amplitude < 0 || signal.noise < 0) throw new ScpiError(-222);
        scope.setSignal(n, signal);
      },
      query: (ctx) => {
        const s = scope.signals[sourceArg(ctx, 0) - 1] as Signal;
        const shape = Object.entries(SHAPES).find(([, value]) => value === s.shape)?.[0] ?? s.shape;
        return [shape.toUpperCase(), sci(s.frequency), sci(s.amplitude), sci(s.offset), sci(s.noise)].join(
          ',',
        );
      },
    },
  ];

  if (dialect.measureItem) {
    const items = MEASUREMENTS.flatMap((m) => (m.item ? [m.item] : []));
    const itemArgs = (ctx: CommandContext) => {
      ctx.params.atMost(2);
      const item = ctx.params.keyword(0, items);
      const entry = MEASUREMENTS.find((m) => m.item === item) as (typeof MEASUREMENTS)[number];
      return { pick: entry.pick, source: ctx.params.has(1) ? sourceArg(ctx, 1) : state.measureSource };
    };
    commands.push({
      pattern: ':MEASure:ITEM',
      // Setting an item only adds it to the screen; there is no screen here.
      set: (ctx) => void itemArgs(ctx),
      query: (ctx) => {
        const { pick, source } = itemArgs(ctx);
        return measured(source, pick);
      },
    });
  }
  if (dialect.ds1000d) {
    commands.push(
      {
        pattern: ':WAVeform:POINts:MODE',
        set: (ctx) => {
          state.waveMode = enumSetting<keyof typeof WAVE_MODES, WaveMode>(WAVE_MODES, ctx);
        },
        query: () => state.waveMode,
      },
      { pattern: ':AUTO', set: () => scope.autoscale() },
      { pattern: ':FORCetrig', set: () => scope.forceTrigger() },
    );
  }
  return commands;
}

function encode(record: WaveformRecord, format: keyof typeof FORMATS): Buffer {
  switch (format) {
    case 'BYTE':
      return Buffer.from(record.codes);
    case 'WORD': {
      const words = Buffer.alloc(record.points * 2);
      record.codes.forEach((code, i) => {
        words.writeUInt16LE(code, i * 2);
      });
      return words;
    }
    case 'ASCii': {
      const { yorigin, yreference, yincrement } = record;
      const volts = Array.from(record.codes, (code) => sci((code - yorigin - yreference) * yincrement));
      return Buffer.from(volts.join(','));
    }
  }
}

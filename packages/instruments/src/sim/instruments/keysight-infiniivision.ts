// Keysight InfiniiVision 1000 X and 2000 X oscilloscopes (their programmer's guides). Replies in Keysight's
// format (+1.00000000E-03), 9.9E+37 for what cannot be measured; errors print as +0,"No error".
//
// :CHANnel<n>:OFFSet is the voltage at the centre of the screen (a positive offset moves the trace down).
// :WAVeform:PREamble? answers format,type,points,count,xincrement,xorigin,xreference,yincrement,yorigin,
// yreference with format 0 BYTE, 1 WORD, 4 ASCii; :WAVeform:DATA? a definite block (#8 + eight digits) in which
// volts = (byte − yreference) × yincrement + yorigin (WORD: the code in the high byte, most significant first;
// ASCii: %e volts). :DIGitize acquires once and stops; :OPERegister:CONDition? has bit 3 (8) set while running,
// :TER? answers +1 once per trigger.

import type { Measurements } from '../physics/measure.js';
import type { ChannelSettings, OscilloscopeSim, Slope, WaveformRecord } from '../physics/scope.js';
import type { CommandContext, CommandSpec } from '../scpi/engine.js';
import { ScpiError } from '../scpi/errors.js';
import { keysight, sci } from './format.js';
import { channelDisplay, runControls, sourceSetting } from './scope-commands.js';

const FORMATS = { BYTE: 0, WORD: 1, ASCii: 4 } as const;
type Format = keyof typeof FORMATS;
const SLOPES: Record<string, Slope> = { POSitive: 'POS', NEGative: 'NEG', EITHer: 'RFAL', ALTernate: 'RFAL' };
const NOT_MEASURABLE = '+9.9E+37';

const MEASUREMENTS: ReadonlyArray<{ pattern: string; pick: keyof Measurements }> = [
  { pattern: 'VPP', pick: 'vpp' },
  { pattern: 'VMAX', pick: 'vmax' },
  { pattern: 'VMIN', pick: 'vmin' },
  { pattern: 'VAVerage', pick: 'vavg' },
  { pattern: 'VRMS', pick: 'vrms' },
  { pattern: 'FREQuency', pick: 'freq' },
  { pattern: 'PERiod', pick: 'period' },
  { pattern: 'RISetime', pick: 'rise' },
  { pattern: 'FALLtime', pick: 'fall' },
  { pattern: 'PWIDth', pick: 'pwidth' },
  { pattern: 'NWIDth', pick: 'nwidth' },
  { pattern: 'DUTYcycle', pick: 'pduty' },
];

/** Keysight's definite block: '#8', eight digits of length, the bytes. */
const block8 = (payload: Buffer) =>
  Buffer.concat([Buffer.from(`#8${String(payload.length).padStart(8, '0')}`), payload]);

function encode(record: WaveformRecord, format: Format): Buffer {
  switch (format) {
    case 'BYTE':
      return Buffer.from(record.codes);
    case 'WORD': {
      const words = Buffer.alloc(record.points * 2);
      record.codes.forEach((code, i) => {
        words.writeUInt16BE(code << 8, i * 2);
      });
      return words;
    }
    case 'ASCii': {
      const { yorigin, yreference, yincrement } = record;
      return Buffer.from(
        Array.from(record.codes, (code) => sci((code - yorigin - yreference) * yincrement)).join(','),
      );
    }
  }
}

export function infiniiVisionCommands(scope: OscilloscopeSim): CommandSpec[] {
  const count = scope.geometry.channels;
  const state = { waveSource: 1, measureSource: 1, format: 'BYTE' as Format, triggered: false };
  const channel = (ctx: CommandContext) => {
    const settings = scope.channels[(ctx.suffix('CHANnel') ?? 1) - 1];
    if (!settings) throw new ScpiError(-114);
    return settings as ChannelSettings;
  };
  /** A CHANn source parameter. */
  const sourceArg = (ctx: CommandContext, index: number) => ctx.params.channel(index, ['CHANnel'], count);
  const onlySource = (ctx: CommandContext) => {
    ctx.params.atMost(1);
    return sourceArg(ctx, 0);
  };
  /** A measurement's source: its last parameter (VAVerage? DISPlay,CHAN1), else :MEASure:SOURce. */
  const measureSource = (ctx: CommandContext) =>
    ctx.params.count > 0 ? sourceArg(ctx, ctx.params.count - 1) : state.measureSource;
  /** Notes a trigger for :TER?, which reports each once. */
  const status = () => {
    const s = scope.triggerStatus();
    if (s === 'TD') state.triggered = true;
    return s;
  };

  return [
    {
      pattern: ':TIMebase[:MAIN]:SCALe',
      set: (ctx) => {
        scope.timebase.scale = ctx.params.atMost(1).number(0, { min: 5e-10, max: 50 });
      },
      query: () => keysight(scope.timebase.scale),
    },
    {
      pattern: ':TIMebase[:MAIN]:POSition',
      set: (ctx) => {
        scope.timebase.offset = ctx.params.atMost(1).number(0, { min: -500, max: 500 });
      },
      query: () => keysight(scope.timebase.offset),
    },
    {
      pattern: ':CHANnel<n>:SCALe',
      set: (ctx) => {
        channel(ctx).scale = ctx.params.atMost(1).number(0, { min: 1e-3, max: 5 * channel(ctx).probe });
      },
      query: (ctx) => keysight(channel(ctx).scale),
    },
    {
      // The voltage at screen centre: the opposite of the display shift the physics calls offset.
      pattern: ':CHANnel<n>:OFFSet',
      set: (ctx) => {
        channel(ctx).offset = -ctx.params.atMost(1).number(0, { min: -100, max: 100 });
      },
      query: (ctx) => keysight(-channel(ctx).offset),
    },
    {
      pattern: ':CHANnel<n>:COUPling',
      set: (ctx) => {
        channel(ctx).coupling = ctx.params.atMost(1).keyword(0, ['AC', 'DC']);
      },
      query: (ctx) => channel(ctx).coupling,
    },
    {
      pattern: ':CHANnel<n>:PROBe',
      set: (ctx) => {
        channel(ctx).probe = ctx.params.atMost(1).number(0, { min: 0.001, max: 10000 });
      },
      query: (ctx) => keysight(channel(ctx).probe),
    },
    channelDisplay(channel),
    {
      pattern: ':TRIGger:MODE',
      set: (ctx) => void ctx.params.atMost(1).keyword(0, ['EDGE']),
      query: () => 'EDGE',
    },
    sourceSetting(':TRIGger[:EDGE]:SOURce', scope.trigger, 'source', onlySource),
    {
      pattern: ':TRIGger[:EDGE]:LEVel',
      set: (ctx) => {
        scope.trigger.level = ctx.params.atMost(2).number(0, { min: -1000, max: 1000 });
      },
      query: () => keysight(scope.trigger.level),
    },
    {
      pattern: ':TRIGger[:EDGE]:SLOPe',
      set: (ctx) => {
        scope.trigger.slope = SLOPES[ctx.params.atMost(1).keyword(0, Object.keys(SLOPES))] as Slope;
      },
      query: () => ({ POS: 'POS', NEG: 'NEG', RFAL: 'EITH' })[scope.trigger.slope],
    },
    {
      pattern: ':TRIGger:SWEep',
      set: (ctx) => {
        scope.trigger.sweep =
          ctx.params.atMost(1).keyword(0, ['AUTO', 'NORMal']) === 'AUTO' ? 'AUTO' : 'NORM';
      },
      query: () => (scope.trigger.sweep === 'AUTO' ? 'AUTO' : 'NORM'),
    },
    { pattern: ':TRIGger:FORCe', set: () => scope.forceTrigger() },
    ...runControls(scope),
    {
      // One acquisition of the listed channels (all shown ones without a list), then stopped.
      pattern: ':DIGitize',
      set: (ctx) => {
        for (let i = 0; i < ctx.params.count; i++) sourceArg(ctx, i);
        scope.run();
        scope.stop();
      },
    },
    { pattern: ':OPERegister:CONDition', query: () => String(status() === 'STOP' ? 0 : 8) },
    {
      pattern: ':TER',
      query: () => {
        status();
        const fired = state.triggered;
        state.triggered = false;
        return fired ? '+1' : '+0';
      },
    },
    sourceSetting(':WAVeform:SOURce', state, 'waveSource', onlySource),
    {
      pattern: ':WAVeform:FORMat',
      set: (ctx) => {
        state.format = ctx.params.atMost(1).keyword(0, Object.keys(FORMATS) as Format[]);
      },
      query: () => state.format.replace(/[a-z]/g, ''),
    },
    // Point count and mode: accepted; the screen record goes out whole.
    { pattern: ':WAVeform:POINts', set: () => {}, query: () => `+${scope.geometry.screenPoints}` },
    { pattern: ':WAVeform:POINts:MODE', set: () => {}, query: () => 'NORM' },
    {
      pattern: ':WAVeform:PREamble',
      query: () => {
        const r = scope.waveform(state.waveSource, 'NORM');
        return [
          `+${FORMATS[state.format]}`,
          '+0',
          `+${r.points}`,
          '+1',
          keysight(r.xincrement),
          keysight(r.xorigin),
          '+0',
          keysight(r.yincrement),
          keysight(-r.yorigin * r.yincrement),
          `+${r.yreference}`,
        ].join(',');
      },
    },
    {
      pattern: ':WAVeform:DATA',
      query: () => {
        if (!scope.channels[state.waveSource - 1]?.display) throw new ScpiError(-222);
        return block8(encode(scope.waveform(state.waveSource, 'NORM'), state.format));
      },
    },
    sourceSetting(':MEASure:SOURce', state, 'measureSource', onlySource),
    ...MEASUREMENTS.map(
      ({ pattern, pick }): CommandSpec => ({
        pattern: `:MEASure:${pattern}`,
        query: (ctx) => {
          const n = measureSource(ctx);
          if (!scope.channels[n - 1]?.display) return NOT_MEASURABLE;
          const value = scope.measure(n)[pick];
          if (value === null) return NOT_MEASURABLE;
          return keysight(pick === 'pduty' ? value * 100 : value);
        },
      }),
    ),
  ];
}

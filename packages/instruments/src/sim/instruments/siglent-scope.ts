// Siglent oscilloscopes in their two command sets.
//
// SDS1000X-E (SDS1104X-E, SDS1202X-E; Digital Oscilloscopes programming guide, the legacy set): short headers such
// as `C1:VDIV 1V`, `TDIV 1MS`, `C1:PAVA? PKPK`; replies repeat the header unless `CHDR OFF` (`C1:VDIV 1.00E+00V`,
// with unit), 3 significant digits, `****` for what cannot be measured. `C1:WF? DAT2` answers `C1:WF DAT2,`
// then a definite block of signed bytes and two line feeds; volts = code × VDIV / 25 − OFST, the first point at
// −TRDL − TDIV × 14 / 2, one point every 1 / SARA.
//
// SDS2000X Plus (SDS2104X Plus; SDS series programming guide, the newer SCPI set): `:CHANnel1:SCALe`,
// `:TIMebase:SCALe`, `:TRIGger:EDGE:…`, `:MEASure:SIMPle:VALue? PKPK`; `:WAVeform:PREamble?` is a 346-byte
// WAVEDESC block (little-endian: points at 116, V/div at 156, offset at 160, codes per division at 164, ADC bits
// at 172, sample interval at 176, trigger delay (double) at 180, probe at 328), `:WAVeform:DATA?` a block of
// signed bytes; volts = code × V/div / codes-per-div − offset, the first point at −delay − TDIV × 10 / 2.

import type { Measurements } from '../physics/measure.js';
import type { ChannelSettings, OscilloscopeSim, TriggerStatus } from '../physics/scope.js';
import { definiteBlock } from '../scpi/block.js';
import type { CommandContext, CommandSpec } from '../scpi/engine.js';
import { ScpiError } from '../scpi/errors.js';
import { sci } from './format.js';
import { sourceSetting } from './scope-commands.js';

/** Siglent prints three significant digits: 1.00E+00. */
const num = (value: number) => sci(value, 2).toUpperCase();
const NOT_MEASURED = '****';
/** The physics' ADC codes are centred on 127; Siglent's signed codes on 0. */
const CENTRE = 127;

/** Parameter names of PAVA / MEASure:SIMPle and what they report. */
const ITEMS: Record<string, keyof Measurements> = {
  PKPK: 'vpp',
  MAX: 'vmax',
  MIN: 'vmin',
  MEAN: 'vavg',
  RMS: 'vrms',
  FREQ: 'freq',
  PER: 'period',
  RISE: 'rise',
  FALL: 'fall',
  PWID: 'pwidth',
  NWID: 'nwidth',
  DUTY: 'pduty',
};
const UNIT: Partial<Record<keyof Measurements, string>> = {
  freq: 'Hz',
  period: 'S',
  rise: 'S',
  fall: 'S',
  pwidth: 'S',
  nwidth: 'S',
  pduty: '%',
};

const STATUS: Record<TriggerStatus, string> = {
  TD: "Trig'd",
  WAIT: 'Ready',
  RUN: 'Roll',
  AUTO: 'Auto',
  STOP: 'Stop',
};

/** Signed 8-bit codes of a channel's screen record (what DAT2 and :WAVeform:DATA? send). */
function signedCodes(scope: OscilloscopeSim, n: number): Buffer {
  const record = scope.waveform(n, 'NORM');
  const bytes = Buffer.alloc(record.points);
  record.codes.forEach((code, i) => {
    bytes.writeInt8(Math.max(-128, Math.min(127, code - CENTRE)), i);
  });
  return bytes;
}

function measured(scope: OscilloscopeSim, n: number, item: string): string {
  const pick = ITEMS[item];
  if (pick === undefined) throw new ScpiError(-224);
  if (!scope.channels[n - 1]?.display) return NOT_MEASURED;
  const value = scope.measure(n)[pick];
  if (value === null) return NOT_MEASURED;
  return pick === 'pduty' ? num(value * 100) : num(value);
}

/** Shared by both sets: the channel of a `C<n>` / `CHANnel<n>` header node. */
function headerChannel(scope: OscilloscopeSim, ctx: CommandContext, keyword: string): ChannelSettings {
  const n = ctx.suffix(keyword) ?? 1;
  const settings = scope.channels[n - 1];
  if (!settings) throw new ScpiError(-114);
  return settings;
}

// ---- SDS1000X-E ------------------------------------------------------------------------------------------------

const COUPLINGS = { D1M: 'DC', A1M: 'AC', GND: 'GND', D50: 'DC', A50: 'AC' } as const;
const SLOPES = { POS: 'POS', NEG: 'NEG', WINDOW: 'RFAL' } as const;
const SWEEPS = { AUTO: 'AUTO', NORM: 'NORM', SINGLE: 'SING' } as const;

export function sds1000xeCommands(scope: OscilloscopeSim): CommandSpec[] {
  const count = scope.geometry.channels;
  let headers: 'SHORT' | 'LONG' | 'OFF' = 'SHORT';
  /** A reply with its header and unit, as CHDR says. */
  const reply = (header: string, value: string, unit = '') =>
    headers === 'OFF' ? `${value}${unit}` : `${header} ${value}${unit}`;
  const channel = (ctx: CommandContext) => headerChannel(scope, ctx, 'C');
  const n = (ctx: CommandContext) => ctx.suffix('C') ?? 1;
  const source = (text: string) => {
    const m = /^C(\d)$/i.exec(text);
    const index = m ? Number(m[1]) : 0;
    if (index < 1 || index > count) throw new ScpiError(-224);
    return index;
  };
  const window = () => scope.geometry.divisions * scope.timebase.scale;

  return [
    {
      pattern: 'CHDR',
      set: (ctx) => {
        headers = ctx.params.atMost(1).keyword(0, ['SHORT', 'LONG', 'OFF']);
      },
      query: () => reply('CHDR', headers),
    },
    {
      pattern: 'C<n>:VDIV',
      set: (ctx) => {
        channel(ctx).scale = ctx.params.atMost(1).number(0, { min: 5e-4, max: 10 });
      },
      query: (ctx) => reply(`C${n(ctx)}:VDIV`, num(channel(ctx).scale), 'V'),
    },
    {
      pattern: 'C<n>:OFST',
      set: (ctx) => {
        channel(ctx).offset = ctx.params.atMost(1).number(0, { min: -100, max: 100 });
      },
      query: (ctx) => reply(`C${n(ctx)}:OFST`, num(channel(ctx).offset), 'V'),
    },
    {
      pattern: 'C<n>:CPL',
      set: (ctx) => {
        channel(ctx).coupling =
          COUPLINGS[ctx.params.atMost(1).keyword(0, Object.keys(COUPLINGS) as Array<keyof typeof COUPLINGS>)];
      },
      query: (ctx) => {
        const coupling = channel(ctx).coupling;
        return reply(`C${n(ctx)}:CPL`, coupling === 'GND' ? 'GND' : coupling === 'AC' ? 'A1M' : 'D1M');
      },
    },
    {
      pattern: 'C<n>:ATTN',
      set: (ctx) => {
        channel(ctx).probe = ctx.params.atMost(1).number(0, { min: 0.1, max: 10000 });
      },
      query: (ctx) => reply(`C${n(ctx)}:ATTN`, String(channel(ctx).probe)),
    },
    {
      pattern: 'C<n>:TRAce',
      set: (ctx) => {
        channel(ctx).display = ctx.params.atMost(1).bool(0);
      },
      query: (ctx) => reply(`C${n(ctx)}:TRA`, channel(ctx).display ? 'ON' : 'OFF'),
    },
    {
      pattern: 'TDIV',
      set: (ctx) => {
        scope.timebase.scale = ctx.params.atMost(1).number(0, { min: 1e-9, max: 100 });
      },
      query: () => reply('TDIV', num(scope.timebase.scale), 'S'),
    },
    {
      // Trigger delay: positive moves the trigger point left of centre, so the screen centre is at −TRDL.
      pattern: 'TRDL',
      set: (ctx) => {
        scope.timebase.offset = -ctx.params.atMost(1).number(0, { min: -1000, max: 1000 });
      },
      query: () => reply('TRDL', num(-scope.timebase.offset), 'S'),
    },
    {
      pattern: 'SARA',
      query: () => reply('SARA', num(scope.geometry.screenPoints / window()), 'Sa'),
    },
    {
      // TRSE EDGE,SR,C1,HT,OFF: edge trigger on a source; the hold-off part is accepted and ignored.
      pattern: 'TRSE',
      set: (ctx) => {
        ctx.params.keyword(0, ['EDGE']);
        if (ctx.params.has(1)) {
          ctx.params.keyword(1, ['SR']);
          scope.trigger.source = source(ctx.params.text(2));
        }
      },
      query: () => reply('TRSE', `EDGE,SR,C${scope.trigger.source},HT,OFF`),
    },
    {
      pattern: 'C<n>:TRLV',
      set: (ctx) => {
        scope.trigger.level = ctx.params.atMost(1).number(0, { min: -1000, max: 1000 });
      },
      query: (ctx) => reply(`C${n(ctx)}:TRLV`, num(scope.trigger.level), 'V'),
    },
    {
      pattern: 'C<n>:TRSLope',
      set: (ctx) => {
        scope.trigger.slope =
          SLOPES[ctx.params.atMost(1).keyword(0, Object.keys(SLOPES) as Array<keyof typeof SLOPES>)];
      },
      query: (ctx) => {
        const slope = scope.trigger.slope;
        return reply(`C${n(ctx)}:TRSL`, slope === 'RFAL' ? 'WINDOW' : slope);
      },
    },
    {
      pattern: 'TRMD',
      set: (ctx) => {
        const mode = ctx.params.atMost(1).keyword(0, ['AUTO', 'NORM', 'SINGLE', 'STOP']);
        if (mode === 'STOP') scope.stop();
        else if (mode === 'SINGLE') scope.single();
        else {
          scope.trigger.sweep = SWEEPS[mode];
          scope.run();
        }
      },
      query: () => {
        if (!scope.running) return reply('TRMD', 'STOP');
        return reply('TRMD', scope.trigger.sweep === 'SING' ? 'SINGLE' : scope.trigger.sweep);
      },
    },
    { pattern: 'SAST', query: () => reply('SAST', STATUS[scope.triggerStatus()]) },
    { pattern: 'ARM', set: () => scope.run() },
    { pattern: 'STOP', set: () => scope.stop() },
    { pattern: 'FRTR', set: () => scope.forceTrigger() },
    { pattern: 'ASET', set: () => scope.autoscale() },
    {
      pattern: 'C<n>:PAVA',
      query: (ctx) => {
        const item = ctx.params.atMost(1).text(0).toUpperCase();
        const value = measured(scope, n(ctx), item);
        const unit = value === NOT_MEASURED ? '' : (UNIT[ITEMS[item] as keyof Measurements] ?? 'V');
        return headers === 'OFF' ? `${item},${value}${unit}` : `C${n(ctx)}:PAVA ${item},${value}${unit}`;
      },
    },
    {
      // Sparsing, number of points and first point: accepted; every point of the screen record is sent.
      pattern: 'WFSU',
      set: () => {},
      query: () => reply('WFSU', 'SP,0,NP,0,FP,0'),
    },
    {
      pattern: 'C<n>:WaveForm',
      query: (ctx) => {
        ctx.params.atMost(1).keyword(0, ['DAT2']);
        const index = n(ctx);
        if (!scope.channels[index - 1]?.display) throw new ScpiError(-221);
        const head = headers === 'OFF' ? 'DAT2,' : `C${index}:WF DAT2,`;
        return Buffer.concat([
          Buffer.from(head),
          definiteBlock(signedCodes(scope, index)),
          Buffer.from('\n'),
        ]);
      },
    },
  ];
}

// ---- SDS2000X Plus ---------------------------------------------------------------------------------------------

const NEW_SLOPES = { RISing: 'POS', FALLing: 'NEG', ALTernate: 'RFAL' } as const;
const CODES_PER_DIV = 25;

/** The WAVEDESC block :WAVeform:PREamble? answers for a channel's screen record. */
function waveDescriptor(scope: OscilloscopeSim, n: number): Buffer {
  const settings = scope.channels[n - 1] as ChannelSettings;
  const record = scope.waveform(n, 'NORM');
  const desc = Buffer.alloc(346);
  desc.write('WAVEDESC', 0, 'latin1');
  desc.write('WAVEACE', 16, 'latin1');
  desc.writeInt16LE(0, 32); // byte data
  desc.writeInt16LE(1, 34); // low byte first
  desc.writeInt32LE(346, 36);
  desc.writeInt32LE(record.points, 60);
  desc.writeInt32LE(record.points, 116);
  desc.writeFloatLE(settings.scale / settings.probe, 156);
  desc.writeFloatLE(settings.offset / settings.probe, 160);
  desc.writeFloatLE(CODES_PER_DIV, 164);
  desc.writeInt16LE(8, 172);
  desc.writeFloatLE(record.xincrement, 176);
  desc.writeDoubleLE(-scope.timebase.offset, 180);
  desc.writeFloatLE(settings.probe, 328);
  return desc;
}

export function sds2000xPlusCommands(scope: OscilloscopeSim): CommandSpec[] {
  const count = scope.geometry.channels;
  const state = { waveSource: 1, measureSource: 1 };
  const channel = (ctx: CommandContext) => headerChannel(scope, ctx, 'CHANnel');
  /** The single C<n> parameter of a source command. */
  const source = (ctx: CommandContext) => ctx.params.atMost(1).channel(0, ['C'], count);
  return [
    {
      pattern: ':CHANnel<n>:SCALe',
      set: (ctx) => {
        channel(ctx).scale = ctx.params.atMost(1).number(0, { min: 5e-4, max: 10 });
      },
      query: (ctx) => num(channel(ctx).scale),
    },
    {
      pattern: ':CHANnel<n>:OFFSet',
      set: (ctx) => {
        channel(ctx).offset = ctx.params.atMost(1).number(0, { min: -100, max: 100 });
      },
      query: (ctx) => num(channel(ctx).offset),
    },
    {
      pattern: ':CHANnel<n>:COUPling',
      set: (ctx) => {
        channel(ctx).coupling = ctx.params.atMost(1).keyword(0, ['DC', 'AC', 'GND']);
      },
      query: (ctx) => channel(ctx).coupling,
    },
    {
      // :CHANnel1:PROBe VALue,10 (or DEFault).
      pattern: ':CHANnel<n>:PROBe',
      set: (ctx) => {
        ctx.params.atMost(2);
        if (ctx.params.keyword(0, ['VALue', 'DEFault']) === 'DEFault') channel(ctx).probe = 1;
        else channel(ctx).probe = ctx.params.number(1, { min: 1e-6, max: 1e6 });
      },
      query: (ctx) => num(channel(ctx).probe),
    },
    {
      pattern: ':CHANnel<n>:SWITch',
      set: (ctx) => {
        channel(ctx).display = ctx.params.atMost(1).bool(0);
      },
      query: (ctx) => (channel(ctx).display ? 'ON' : 'OFF'),
    },
    {
      pattern: ':TIMebase:SCALe',
      set: (ctx) => {
        scope.timebase.scale = ctx.params.atMost(1).number(0, { min: 2e-10, max: 1000 });
      },
      query: () => num(scope.timebase.scale),
    },
    {
      pattern: ':TIMebase:DELay',
      set: (ctx) => {
        scope.timebase.offset = -ctx.params.atMost(1).number(0, { min: -1000, max: 1000 });
      },
      query: () => num(-scope.timebase.offset),
    },
    {
      pattern: ':TRIGger:MODE',
      set: (ctx) => {
        const mode = ctx.params.atMost(1).keyword(0, ['AUTO', 'NORMal', 'SINGle', 'FTRIG']);
        if (mode === 'FTRIG') scope.forceTrigger();
        else if (mode === 'SINGle') scope.single();
        else scope.trigger.sweep = mode === 'AUTO' ? 'AUTO' : 'NORM';
      },
      query: () => ({ AUTO: 'AUTO', NORM: 'NORMal', SING: 'SINGle' })[scope.trigger.sweep],
    },
    { pattern: ':TRIGger:STATus', query: () => STATUS[scope.triggerStatus()] },
    { pattern: ':TRIGger:RUN', set: () => scope.run() },
    { pattern: ':TRIGger:STOP', set: () => scope.stop() },
    {
      pattern: ':TRIGger:TYPE',
      set: (ctx) => void ctx.params.atMost(1).keyword(0, ['EDGE']),
      query: () => 'EDGE',
    },
    sourceSetting(':TRIGger:EDGE:SOURce', scope.trigger, 'source', source, 'C'),
    {
      pattern: ':TRIGger:EDGE:LEVel',
      set: (ctx) => {
        scope.trigger.level = ctx.params.atMost(1).number(0, { min: -1000, max: 1000 });
      },
      query: () => num(scope.trigger.level),
    },
    {
      pattern: ':TRIGger:EDGE:SLOPe',
      set: (ctx) => {
        scope.trigger.slope =
          NEW_SLOPES[
            ctx.params.atMost(1).keyword(0, Object.keys(NEW_SLOPES) as Array<keyof typeof NEW_SLOPES>)
          ];
      },
      query: () => ({ POS: 'RISing', NEG: 'FALLing', RFAL: 'ALTernate' })[scope.trigger.slope],
    },
    { pattern: ':AUToset', set: () => scope.autoscale() },
    sourceSetting(':MEASure:SIMPle:SOURce', state, 'measureSource', source, 'C'),
    {
      pattern: ':MEASure:SIMPle:VALue',
      query: (ctx) => measured(scope, state.measureSource, ctx.params.atMost(1).text(0).toUpperCase()),
    },
    sourceSetting(':WAVeform:SOURce', state, 'waveSource', source, 'C'),
    // First point, number of points (0: all), data width: accepted; the whole screen record goes out as bytes.
    { pattern: ':WAVeform:STARt', set: () => {}, query: () => '0' },
    { pattern: ':WAVeform:POINt', set: () => {}, query: () => '0' },
    {
      pattern: ':WAVeform:WIDTh',
      set: (ctx) => void ctx.params.atMost(1).keyword(0, ['BYTE']),
      query: () => 'BYTE',
    },
    {
      pattern: ':WAVeform:PREamble',
      query: () => definiteBlock(waveDescriptor(scope, state.waveSource)),
    },
    {
      pattern: ':WAVeform:DATA',
      query: () => {
        if (!scope.channels[state.waveSource - 1]?.display) throw new ScpiError(-221);
        return definiteBlock(signedCodes(scope, state.waveSource));
      },
    },
  ];
}

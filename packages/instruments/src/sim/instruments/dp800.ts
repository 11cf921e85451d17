// Rigol DP832 (DP800 Programming Guide): three channels, CH1/CH2 30 V/3 A, CH3 5 V/3 A.
// Reply formats as the guide and the instrument give them: setpoints 5.000 / 1.0000, readings 5.0114 / 0.1500 /
// 0.751 (V, A, W), :APPLy? CH1 → "CH1:30V/3A,5.000,1.0000", :OUTPut? → ON|OFF, :OUTPut:MODE? → CV|CC|UR.

import type { ChannelRating, PowerSupplySim, PsuChannel } from '../physics/psu.js';
import type { CommandContext, CommandSpec } from '../scpi/engine.js';
import { ScpiError } from '../scpi/errors.js';
import { fixed } from './format.js';
import { simulateLoadCommands } from './simulate-load.js';

export const DP832_RATINGS: readonly ChannelRating[] = [
  { maxVoltage: 30, maxCurrent: 3 },
  { maxVoltage: 30, maxCurrent: 3 },
  { maxVoltage: 5, maxCurrent: 3 },
];

const label = (n: number, rating: ChannelRating) => `CH${n}:${rating.maxVoltage}V/${rating.maxCurrent}A`;
const volts = (value: number) => fixed(value, 3);
const amps = (value: number) => fixed(value, 4);

export function dp800Commands(psu: PowerSupplySim): CommandSpec[] {
  const count = psu.channels.length;
  /** The channel named by an optional CHn parameter, else the selected one. */
  const channelArg = (ctx: CommandContext, index = 0) =>
    ctx.params.has(index) ? ctx.params.channel(index, ['CH'], count) : psu.selected;
  /** The channel of [:SOURce<n>]: its suffix, else the selected one. */
  const sourceChannel = (ctx: CommandContext) => {
    const n = ctx.suffix('SOURce') ?? psu.selected;
    if (n < 1 || n > count) throw new ScpiError(-114);
    return n;
  };
  const voltageArg = (ctx: CommandContext, index: number, channel: PsuChannel) =>
    ctx.params.number(index, {
      min: 0,
      max: channel.rating.maxVoltage,
      keywords: { MIN: 0, MAX: channel.rating.maxVoltage, DEF: 0 },
    });
  const currentArg = (ctx: CommandContext, index: number, channel: PsuChannel) =>
    ctx.params.number(index, {
      min: 0,
      max: channel.rating.maxCurrent,
      keywords: { MIN: 0, MAX: channel.rating.maxCurrent, DEF: 1 },
    });
  const select = (ctx: CommandContext) => {
    psu.selected = ctx.params.atMost(1).channel(0, ['CH'], count);
  };

  return [
    { pattern: ':INSTrument[:SELect]', set: select, query: () => `CH${psu.selected}` },
    // The guide spells this keyword both SELect and SELEct; the instrument takes either short form.
    { pattern: ':INSTrument[:SELEct]', set: select, query: () => `CH${psu.selected}` },
    {
      pattern: ':INSTrument:NSELect',
      set: (ctx) => {
        psu.selected = ctx.params.atMost(1).integer(0, { min: 1, max: count });
      },
      query: () => String(psu.selected),
    },
    {
      pattern: ':APPLy',
      set: (ctx) => {
        ctx.params.atMost(3);
        const named = ctx.params.has(0) && /^CH/i.test(ctx.params.text(0));
        const n = named ? ctx.params.channel(0, ['CH'], count) : psu.selected;
        const channel = psu.channel(n);
        const first = named ? 1 : 0;
        // Validate everything before changing anything: a refused APPLy leaves the channel as it was.
        const voltage = ctx.params.has(first) ? voltageArg(ctx, first, channel) : channel.voltageSet;
        const current = ctx.params.has(first + 1) ? currentArg(ctx, first + 1, channel) : channel.currentSet;
        psu.selected = n;
        channel.voltageSet = voltage;
        channel.currentSet = current;
      },
      query: (ctx) => {
        const n = channelArg(ctx);
        const channel = psu.channel(n);
        if (ctx.params.atMost(2).has(1)) {
          const item = ctx.params.keyword(1, ['CURRent', 'VOLTage']);
          return item === 'VOLTage' ? volts(channel.voltageSet) : amps(channel.currentSet);
        }
        return `${label(n, channel.rating)},${volts(channel.voltageSet)},${amps(channel.currentSet)}`;
      },
    },
    {
      pattern: '[:SOURce<n>]:VOLTage[:LEVel][:IMMediate][:AMPLitude]',
      set: (ctx) => {
        const channel = psu.channel(sourceChannel(ctx));
        ctx.params.atMost(1);
        channel.voltageSet = voltageArg(ctx, 0, channel);
      },
      query: (ctx) => volts(psu.channel(sourceChannel(ctx)).voltageSet),
    },
    {
      pattern: '[:SOURce<n>]:CURRent[:LEVel][:IMMediate][:AMPLitude]',
      set: (ctx) => {
        const channel = psu.channel(sourceChannel(ctx));
        ctx.params.atMost(1);
        channel.currentSet = currentArg(ctx, 0, channel);
      },
      query: (ctx) => amps(psu.channel(sourceChannel(ctx)).currentSet),
    },
    {
      pattern: ':OUTPut[:STATe]',
      set: (ctx) => {
        const named = ctx.params.atMost(2).count === 2;
        psu.channel(named ? channelArg(ctx) : psu.selected).output = ctx.params.bool(named ? 1 : 0);
      },
      query: (ctx) => (psu.channel(channelArg(ctx)).output ? 'ON' : 'OFF'),
    },
    { pattern: ':OUTPut:MODE', query: (ctx) => psu.channel(channelArg(ctx)).measure().mode },
    {
      pattern: ':MEASure[:VOLTage][:DC]',
      query: (ctx) => fixed(psu.channel(channelArg(ctx)).measure().voltage, 4),
    },
    {
      pattern: ':MEASure:CURRent[:DC]',
      query: (ctx) => fixed(psu.channel(channelArg(ctx)).measure().current, 4),
    },
    {
      pattern: ':MEASure:POWEr[:DC]',
      query: (ctx) => fixed(psu.channel(channelArg(ctx)).measure().power, 3),
    },
    {
      pattern: ':MEASure:ALL[:DC]',
      query: (ctx) => {
        const r = psu.channel(channelArg(ctx)).measure();
        return `${fixed(r.voltage, 4)},${fixed(r.current, 4)},${fixed(r.power, 3)}`;
      },
    },
    ...simulateLoadCommands(psu, ['CH']),
  ];
}

// B&K Precision supplies that speak SCPI: the 9130B triple output (9130B Series Programming Manual) and the
// single-output 9205B/9206B (9200 Series). Channel-less commands act on the selected channel, as on the real
// 9130B after INSTrument:SELect/NSELect. Replies: setpoints 5.000 / 1.000, readings 5.000 / 0.5000 (V, A),
// OUTPut? → 1|0, INSTrument? → CH1, APP:VOLT? → 1.000,2.000,3.000.

import type { ChannelRating, ChannelReading, PowerSupplySim } from '../physics/psu.js';
import type { CommandContext, CommandSpec } from '../scpi/engine.js';
import { keywordOf } from '../scpi/params.js';
import { fixed } from './format.js';
import { simulateLoadCommands } from './simulate-load.js';

export const BK9130B_RATINGS: readonly ChannelRating[] = [
  { maxVoltage: 30, maxCurrent: 3 },
  { maxVoltage: 30, maxCurrent: 3 },
  { maxVoltage: 5, maxCurrent: 3 },
];
export const BK9205B_RATING: ChannelRating = { maxVoltage: 60, maxCurrent: 10 };
export const BK9206B_RATING: ChannelRating = { maxVoltage: 120, maxCurrent: 5 };

const CHANNEL_NAMES = ['FIRst', 'SECOnd', 'THIrd'] as const;

/** Commands every B&K SCPI supply shares, acting on the selected channel. */
function selectedChannelCommands(psu: PowerSupplySim): CommandSpec[] {
  const selected = () => psu.channel(psu.selected);
  const setpoint = (ctx: CommandContext, max: number) =>
    ctx.params.atMost(1).number(0, { min: 0, max, keywords: { MIN: 0, MAX: max } });
  return [
    {
      pattern: '[:SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]',
      set: (ctx) => {
        selected().voltageSet = setpoint(ctx, selected().rating.maxVoltage);
      },
      query: () => fixed(selected().voltageSet, 3),
    },
    {
      pattern: '[:SOURce]:CURRent[:LEVel][:IMMediate][:AMPLitude]',
      set: (ctx) => {
        selected().currentSet = setpoint(ctx, selected().rating.maxCurrent);
      },
      query: () => fixed(selected().currentSet, 3),
    },
    {
      pattern: ':OUTPut[:STATe]',
      set: (ctx) => {
        selected().output = ctx.params.atMost(1).bool(0);
      },
      query: () => (selected().output ? '1' : '0'),
    },
    { pattern: ':MEASure[:SCALar]:VOLTage[:DC]', query: () => fixed(selected().measure().voltage, 3) },
    { pattern: ':MEASure[:SCALar]:CURRent[:DC]', query: () => fixed(selected().measure().current, 4) },
    { pattern: ':MEASure[:SCALar]:POWer[:DC]', query: () => fixed(selected().measure().power, 3) },
    // Remote/local only switch the front panel lock; accepted so drivers can send them.
    { pattern: ':SYSTem:REMote', set: () => {} },
    { pattern: ':SYSTem:LOCal', set: () => {} },
  ];
}

export function bk9130bCommands(psu: PowerSupplySim): CommandSpec[] {
  const count = psu.channels.length;
  /** APPLy:VOLTage/CURRent: one value per channel, all validated before any is applied. */
  const applyAll = (key: 'voltageSet' | 'currentSet', limit: 'maxVoltage' | 'maxCurrent') => ({
    set: (ctx: CommandContext) => {
      ctx.params.atMost(count);
      const values = psu.channels.map((channel, i) =>
        ctx.params.number(i, {
          min: 0,
          max: channel.rating[limit],
          keywords: { MIN: 0, MAX: channel.rating[limit] },
        }),
      );
      psu.channels.forEach((channel, i) => {
        channel[key] = values[i] as number;
      });
    },
    query: () => psu.channels.map((channel) => fixed(channel[key], 3)).join(','),
  });
  const measureAll = (pick: (reading: ChannelReading) => string) => () =>
    psu.channels.map((channel) => pick(channel.measure())).join(',');
  return [
    {
      pattern: ':INSTrument[:SELect]',
      set: (ctx) => {
        const text = ctx.params.atMost(1).text(0);
        const named = keywordOf(text, CHANNEL_NAMES);
        psu.selected = named ? CHANNEL_NAMES.indexOf(named) + 1 : ctx.params.channel(0, ['CH'], count);
      },
      query: () => `CH${psu.selected}`,
    },
    {
      pattern: ':INSTrument:NSELect',
      set: (ctx) => {
        psu.selected = ctx.params.atMost(1).integer(0, { min: 1, max: count });
      },
      query: () => String(psu.selected),
    },
    // The 9130B manual capitalises APPly, so its short form is APP (APP:VOLT 1,2,3).
    { pattern: ':APPly:VOLTage', ...applyAll('voltageSet', 'maxVoltage') },
    { pattern: ':APPly:CURRent', ...applyAll('currentSet', 'maxCurrent') },
    {
      pattern: ':APPly:OUTput',
      set: (ctx) => {
        ctx.params.atMost(count);
        const states = psu.channels.map((_, i) => ctx.params.bool(i));
        psu.channels.forEach((channel, i) => {
          channel.output = states[i] as boolean;
        });
      },
      query: () => psu.channels.map((channel) => (channel.output ? '1' : '0')).join(','),
    },
    { pattern: ':MEASure[:SCALar]:VOLTage:ALL[:DC]', query: measureAll((r) => fixed(r.voltage, 3)) },
    { pattern: ':MEASure[:SCALar]:CURRent:ALL[:DC]', query: measureAll((r) => fixed(r.current, 4)) },
    { pattern: ':MEASure[:SCALar]:POWer:ALL[:DC]', query: measureAll((r) => fixed(r.power, 3)) },
    ...selectedChannelCommands(psu),
    ...simulateLoadCommands(psu, ['CH']),
  ];
}

export function bk9200Commands(psu: PowerSupplySim): CommandSpec[] {
  const channel = psu.channel(1);
  return [
    {
      pattern: '[:SOURce]:APPLy',
      set: (ctx) => {
        ctx.params.atMost(2);
        const { maxVoltage, maxCurrent } = channel.rating;
        const voltage = ctx.params.number(0, {
          min: 0,
          max: maxVoltage,
          keywords: { MIN: 0, MAX: maxVoltage },
        });
        const current = ctx.params.has(1)
          ? ctx.params.number(1, { min: 0, max: maxCurrent, keywords: { MIN: 0, MAX: maxCurrent } })
          : channel.currentSet;
        channel.voltageSet = voltage;
        channel.currentSet = current;
      },
      query: () => `${fixed(channel.voltageSet, 3)},${fixed(channel.currentSet, 3)}`,
    },
    ...selectedChannelCommands(psu),
    ...simulateLoadCommands(psu, ['CH']),
  ];
}

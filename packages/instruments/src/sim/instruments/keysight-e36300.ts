// Keysight E36312A / E36313A triple-output supplies (E36300 Series programming guide). Every setting takes an
// optional channel list after its value (`VOLT 5,(@1)`, `OUTP ON,(@1:3)`), every query one as its parameter
// (`MEAS:VOLT? (@1,2)` → one answer per channel, comma-separated); without a list they act on the channel chosen
// with INSTrument:NSELect. Replies in Keysight's format (+5.00000000E+00), OUTPut? as 0|1, and the operation
// condition register (STATus:OPERation:CONDition? (@1)) with bit 8 for CV and bit 10 for CC.

import type { ChannelRating, PowerSupplySim, PsuChannel } from '../physics/psu.js';
import type { CommandContext, CommandSpec } from '../scpi/engine.js';
import { ScpiError } from '../scpi/errors.js';
import { keysight } from './format.js';
import { simulateLoadCommands } from './simulate-load.js';

export const E36312A_RATINGS: readonly ChannelRating[] = [
  { maxVoltage: 6, maxCurrent: 5 },
  { maxVoltage: 25, maxCurrent: 1 },
  { maxVoltage: 25, maxCurrent: 1 },
];
export const E36313A_RATINGS: readonly ChannelRating[] = [
  { maxVoltage: 6, maxCurrent: 10 },
  { maxVoltage: 25, maxCurrent: 2 },
  { maxVoltage: 25, maxCurrent: 2 },
];

const CV_BIT = 1 << 8;
const CC_BIT = 1 << 10;

/**
 * The channel list given from parameter `from` on: `(@1)`, `(@1,3)`, `(@1:3)`. The parameter parser splits at
 * commas, so the pieces are joined back first. Without a list: the selected channel.
 */
function channelList(ctx: CommandContext, from: number, psu: PowerSupplySim): PsuChannel[] {
  if (!ctx.params.has(from)) return [psu.channel(psu.selected)];
  const pieces: string[] = [];
  for (let i = from; i < ctx.params.count; i++) pieces.push(ctx.params.text(i));
  const m = /^\(@\s*([\d\s,:]+)\)$/.exec(pieces.join(','));
  if (!m) throw new ScpiError(-104);
  const numbers = (m[1] as string).split(',').flatMap((part) => {
    const [first, last = first] = part.split(':').map((n) => Number(n.trim()));
    if (first === undefined || last === undefined || last < first) throw new ScpiError(-224);
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  });
  return numbers.map((n) => {
    if (!Number.isInteger(n) || n < 1 || n > psu.channels.length) throw new ScpiError(-224);
    return psu.channel(n);
  });
}

export function e36300Commands(psu: PowerSupplySim): CommandSpec[] {
  const perChannel = (pick: (channel: PsuChannel) => string) => (ctx: CommandContext) =>
    channelList(ctx, 0, psu).map(pick).join(',');
  const setpoint = (key: 'voltageSet' | 'currentSet', limit: 'maxVoltage' | 'maxCurrent'): CommandSpec => ({
    pattern: `[:SOURce]:${key === 'voltageSet' ? 'VOLTage' : 'CURRent'}[:LEVel][:IMMediate][:AMPLitude]`,
    set: (ctx) => {
      const channels = channelList(ctx, 1, psu);
      // Validate against every listed channel before changing any.
      const values = channels.map((channel) =>
        ctx.params.number(0, {
          min: 0,
          max: channel.rating[limit],
          keywords: { MIN: 0, MAX: channel.rating[limit] },
        }),
      );
      channels.forEach((channel, i) => {
        channel[key] = values[i] as number;
      });
    },
    query: perChannel((channel) => keysight(channel[key])),
  });
  return [
    {
      pattern: ':INSTrument:NSELect',
      set: (ctx) => {
        psu.selected = ctx.params.atMost(1).integer(0, { min: 1, max: psu.channels.length });
      },
      query: () => String(psu.selected),
    },
    {
      pattern: ':INSTrument[:SELect]',
      set: (ctx) => {
        psu.selected = ctx.params.atMost(1).channel(0, ['CH'], psu.channels.length);
      },
      query: () => `CH${psu.selected}`,
    },
    setpoint('voltageSet', 'maxVoltage'),
    setpoint('currentSet', 'maxCurrent'),
    {
      pattern: ':OUTPut[:STATe]',
      set: (ctx) => {
        const on = ctx.params.bool(0);
        for (const channel of channelList(ctx, 1, psu)) channel.output = on;
      },
      query: perChannel((channel) => (channel.output ? '1' : '0')),
    },
    {
      pattern: ':MEASure[:SCALar]:VOLTage[:DC]',
      query: perChannel((channel) => keysight(channel.measure().voltage)),
    },
    {
      pattern: ':MEASure[:SCALar]:CURRent[:DC]',
      query: perChannel((channel) => keysight(channel.measure().current)),
    },
    {
      pattern: ':STATus:OPERation:CONDition',
      query: perChannel((channel) => {
        if (!channel.output) return '0';
        return String(channel.operatingPoint().mode === 'CC' ? CC_BIT : CV_BIT);
      }),
    },
    ...simulateLoadCommands(psu, ['CH']),
  ];
}

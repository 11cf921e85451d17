// Siglent SPD3303X / SPD3303X-E (SPD3000X programming guide): CH1 and CH2 programmable to 32 V / 3.2 A, CH3 a
// fixed output that can only be switched. Commands name their channel as a header node (`CH1:VOLTage 5`) or act
// on the channel chosen with `INSTrument CH1`. Replies: setpoints and readings with three decimals (5.000),
// `SYSTem:STATus?` a hex word (0x0010): bit 0/1 CH1/CH2 in CC (0 = CV), bits 2–3 tracking (01 independent),
// bit 4/5 CH1/CH2 output on.

import type { ChannelRating, PowerSupplySim } from '../physics/psu.js';
import type { CommandContext, CommandSpec } from '../scpi/engine.js';
import { ScpiError } from '../scpi/errors.js';
import { fixed } from './format.js';
import { simulateLoadCommands } from './simulate-load.js';

/** CH1, CH2 and the fixed CH3 (its switch picks 2.5, 3.3 or 5 V; only its output is programmable). */
export const SPD3303X_RATINGS: readonly ChannelRating[] = [
  { maxVoltage: 32, maxCurrent: 3.2 },
  { maxVoltage: 32, maxCurrent: 3.2 },
  { maxVoltage: 5, maxCurrent: 3.2 },
];

/** The programmable channels. */
const PROGRAMMABLE = 2;
const TRACK_MODES = ['0', '1', '2'] as const;

export function spd3303xCommands(psu: PowerSupplySim): CommandSpec[] {
  let track = 0;
  /** The channel of a `CH<n>:` header node, else the one INSTrument selected. */
  const headerChannel = (ctx: CommandContext) => {
    const n = ctx.suffix('CH') ?? psu.selected;
    if (n < 1 || n > PROGRAMMABLE) throw new ScpiError(-114);
    return psu.channel(n);
  };
  /** MEASure's optional CH1|CH2 parameter. */
  const measured = (ctx: CommandContext) =>
    psu
      .channel(ctx.params.atMost(1).has(0) ? ctx.params.channel(0, ['CH'], PROGRAMMABLE) : psu.selected)
      .measure();
  const setpoint = (key: 'voltageSet' | 'currentSet', limit: 'maxVoltage' | 'maxCurrent'): CommandSpec => ({
    pattern: `[:CH<n>]:${key === 'voltageSet' ? 'VOLTage' : 'CURRent'}`,
    set: (ctx) => {
      const channel = headerChannel(ctx);
      const max = channel.rating[limit];
      channel[key] = ctx.params.atMost(1).number(0, { min: 0, max, keywords: { MIN: 0, MAX: max } });
    },
    query: (ctx) => fixed(headerChannel(ctx)[key], 3),
  });
  const status = () => {
    let word = (track === 0 ? 0b01 : track === 1 ? 0b11 : 0b10) << 2;
    for (let n = 1; n <= PROGRAMMABLE; n++) {
      const channel = psu.channel(n);
      if (channel.output) word |= 1 << (3 + n);
      if (channel.output && channel.operatingPoint().mode === 'CC') word |= 1 << (n - 1);
    }
    return `0x${word.toString(16).padStart(4, '0')}`;
  };
  return [
    {
      pattern: ':INSTrument[:SELect]',
      set: (ctx) => {
        psu.selected = ctx.params.atMost(1).channel(0, ['CH'], PROGRAMMABLE);
      },
      query: () => `CH${psu.selected}`,
    },
    setpoint('voltageSet', 'maxVoltage'),
    setpoint('currentSet', 'maxCurrent'),
    {
      // OUTPut CH1,ON — CH3 included; the output states are read back through SYSTem:STATus?.
      pattern: ':OUTPut[:STATe]',
      set: (ctx) => {
        const n = ctx.params.atMost(2).channel(0, ['CH'], psu.channels.length);
        psu.channel(n).output = ctx.params.bool(1);
      },
    },
    {
      pattern: ':OUTPut:TRACK',
      set: (ctx) => {
        track = TRACK_MODES.indexOf(ctx.params.atMost(1).keyword(0, TRACK_MODES));
      },
    },
    { pattern: ':MEASure:VOLTage', query: (ctx) => fixed(measured(ctx).voltage, 3) },
    { pattern: ':MEASure:CURRent', query: (ctx) => fixed(measured(ctx).current, 3) },
    { pattern: ':MEASure:POWEr', query: (ctx) => fixed(measured(ctx).power, 3) },
    { pattern: ':SYSTem:STATus', query: status },
    ...simulateLoadCommands(psu, ['CH']),
  ];
}

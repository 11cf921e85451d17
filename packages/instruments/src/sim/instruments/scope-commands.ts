// Commands the simulated scopes spell alike: a setting that names one channel as the source of the trigger, the
// waveform or the measurements; a channel's display switch and the run controls Keysight and Rigol name the same
// way.

import type { ChannelSettings, OscilloscopeSim } from '../physics/scope.js';
import type { CommandContext, CommandSpec } from '../scpi/engine.js';

/** A source setting held in `holder[key]`: `pick` reads the channel off the parameters; the query answers
 * `<prefix><n>` (CHAN1, or Siglent's C1). */
export function sourceSetting<K extends string>(
  pattern: string,
  holder: Record<K, number>,
  key: K,
  pick: (ctx: CommandContext) => number,
  prefix = 'CHAN',
): CommandSpec {
  return {
    pattern,
    set: (ctx) => {
      holder[key] = pick(ctx);
    },
    query: () => `${prefix}${holder[key]}`,
  };
}

/** :RUN, :STOP, :SINGle and :AUToscale. */
export const runControls = (scope: OscilloscopeSim): CommandSpec[] => [
  { pattern: ':RUN', set: () => scope.run() },
  { pattern: ':STOP', set: () => scope.stop() },
  { pattern: ':SINGle', set: () => scope.single() },
  { pattern: ':AUToscale', set: () => scope.autoscale() },
];

/** :CHANnel<n>:DISPlay ON|OFF|1|0, answered 1 or 0; `settingsOf` finds the header's channel. */
export const channelDisplay = (settingsOf: (ctx: CommandContext) => ChannelSettings): CommandSpec => ({
  pattern: ':CHANnel<n>:DISPlay',
  set: (ctx) => {
    settingsOf(ctx).display = ctx.params.atMost(1).bool(0);
  },
  query: (ctx) => (settingsOf(ctx).display ? '1' : '0'),
});

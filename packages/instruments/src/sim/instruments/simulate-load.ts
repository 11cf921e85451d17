// Sim-only commands shared by the simulated supplies. No real instrument has them; they let a plain SCPI client
// (a script, another process) change what the simulated supply is connected to, without the in-process API.

import type { PowerSupplySim } from '../physics/psu.js';
import type { CommandSpec } from '../scpi/engine.js';
import { ScpiError } from '../scpi/errors.js';
import { keywordOf } from '../scpi/params.js';

/** SIMulate:LOAD CH1,<ohms>|OPEN connects a resistor to a channel's terminals; SIMulate:LOAD? CH1 reads it. */
export function simulateLoadCommands(psu: PowerSupplySim, prefixes: readonly string[]): CommandSpec[] {
  const count = psu.channels.length;
  return [
    {
      pattern: ':SIMulate:LOAD',
      set: (ctx) => {
        const n = ctx.params.atMost(2).channel(0, prefixes, count);
        const ohms = keywordOf(ctx.params.text(1), ['OPEN'])
          ? Number.POSITIVE_INFINITY
          : ctx.params.number(1);
        if (!(ohms > 0)) throw new ScpiError(-222);
        psu.setLoadResistance(n, ohms);
      },
      query: (ctx) => String(psu.channel(ctx.params.channel(0, prefixes, count)).loadOhms),
    },
  ];
}
